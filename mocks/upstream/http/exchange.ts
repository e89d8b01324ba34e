/**
 * What both eras of the HTTP mock do with one exchange: record what came in and what goes out, answer
 * with JSON or open an SSE stream. Every byte the mock sends passes through here, so that the recorder
 * sees it.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Recorder } from '../recorder.ts';

const JSON_HEADERS = { 'content-type': 'application/json' };

export interface RecordFields {
  direction: 'in' | 'out';
  req: IncomingMessage;
  body: Buffer;
  sessionId: string | null;
  status?: number;
}

/** The mock's voice on the wire, and its ear: shared by the session era, the stateless era and the fault injector. */
export class HttpExchanges {
  private readonly connectionIds = new WeakMap<Socket, number>();

  constructor(
    readonly recorder: Recorder,
    /** This upstream's name in the records. */
    readonly name: string,
  ) {}

  /** A new connection, numbered by the recorder (pooling checks count them). */
  connected(socket: Socket): void {
    this.connectionIds.set(socket, this.recorder.addConnection(this.name, socket.remotePort).id);
  }

  record(fields: RecordFields): void {
    this.recorder.add({
      upstream: this.name,
      transport: 'http',
      direction: fields.direction,
      httpMethod: fields.req.method,
      path: fields.req.url,
      status: fields.status,
      headers: fields.direction === 'in' ? (fields.req.headers as Record<string, string | string[]>) : undefined,
      body: fields.body,
      sessionId: fields.sessionId,
      connectionId: this.connectionIds.get(fields.req.socket),
    });
  }

  /** Something that is not a JSON-RPC message, for the records only: a cut, a reset, a closed stream. */
  note(req: IncomingMessage, text: string, sessionId: string | null): void {
    this.record({ direction: 'out', req, body: Buffer.from(text), sessionId });
  }

  /** A whole answer: a JSON body (or none), recorded. */
  send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, sessionId: string | null, headers: Record<string, string> = {}): void {
    const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
    this.record({ direction: 'out', req, body: bytes, sessionId, status });
    res.writeHead(status, body === undefined ? headers : { ...JSON_HEADERS, ...headers, 'content-length': String(bytes.length) });
    res.end(bytes);
  }

  /** Starts an SSE answer: 200 and the stream's headers, flushed at once. */
  openSse(res: ServerResponse, headers: Record<string, string> = {}): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no', ...headers });
    res.flushHeaders();
  }
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A mock's HTTP server from listening to a crash and back: its connections numbered by the
 * recorder, `stop` as a crash (nothing new accepted from the first moment, so a proxy that tries
 * again on the connections' reset finds the port refusing, not a listener about to go; seen under
 * load; `cut` ends what the server holds open first), and `listen` again on the same port.
 */
export function serverLife(server: Server, host: string, io: HttpExchanges, cut: () => void = () => {}) {
  const sockets = new Set<Socket>();
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    io.connected(socket);
  });
  return {
    listen: (port: number) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      }),
    async stop(): Promise<void> {
      const closed = server.listening ? new Promise<void>((done) => server.close(() => done())) : Promise.resolve();
      cut();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    port: () => (server.address() as AddressInfo).port,
  };
}
