/**
 * The balancer in front of a target's replicas: plain TCP round robin, one connection to the next
 * replica in turn, bytes copied both ways and nothing read. No affinity of any kind: which replica a
 * client's next connection reaches has nothing to do with its session. Being below HTTP, it changes
 * nothing a check looks at (heads, bodies, streams, slow or oversized requests all reach a replica
 * as the client sent them), as a cloud's network load balancer would.
 *
 * A replica that refuses the connection (it was killed) is skipped for the next one, as a balancer's
 * health checks would skip it; once every replica has refused, the client's connection is closed.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Balancer {
  port: number;
  /** Connections handed to each replica so far, in replica order. */
  connections(): number[];
  close(): Promise<void>;
}

export async function startBalancer(replicaPorts: number[], port: number): Promise<Balancer> {
  let next = 0;
  const counts = replicaPorts.map(() => 0);
  const open = new Set<Socket>();

  const forward = (client: Socket, tried: number) => {
    if (tried >= replicaPorts.length || client.destroyed) return client.destroy();
    const index = next;
    next = (next + 1) % replicaPorts.length;
    const replica = connect({ host: '127.0.0.1', port: replicaPorts[index] });
    let connected = false;
    open.add(replica);
    replica.once('close', () => open.delete(replica));
    replica.once('error', () => {
      // Refused before anything was sent: the next replica gets the connection.
      if (!connected) return forward(client, tried + 1);
      client.destroy();
    });
    replica.once('connect', () => {
      connected = true;
      counts[index]++;
      replica.setNoDelay(true);
      client.pipe(replica);
      replica.pipe(client);
      client.resume();
      client.once('error', () => replica.destroy());
      client.once('close', () => replica.destroy());
      replica.once('close', () => client.destroy());
    });
  };

  const server: Server = createServer({ pauseOnConnect: true, noDelay: true }, (client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    // Until a replica is connected, an error on the client's side only ends it.
    client.on('error', () => client.destroy());
    forward(client, 0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    connections: () => [...counts],
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
