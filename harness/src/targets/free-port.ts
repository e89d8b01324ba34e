/**
 * A free loopback port for a target to listen on. The target binds it a second or two after it is
 * chosen, and in that window any process's listen(0) could be handed the same port by the kernel
 * (it happened: the target then failed to bind and the harness tested a stranger). So the port
 * is drawn below the kernel's ephemeral range, where listen(0) never lands, and checked free.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The kernel's ephemeral range (Linux); listen(0) picks from it. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch {
    // Not Linux: the IANA dynamic range.
  }
  return [49152, 65535];
}

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Asks the kernel for any free port (bind to 0, read it, release it). */
function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  // Registered ports below the ephemeral range, above the well-known services' usual spots.
  const from = Math.min(20_000, low - 1000);
  const to = low - 1;
  if (to > from) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = from + Math.floor(Math.random() * (to - from));
      if (await tryListen(port)) return port;
    }
  }
  return kernelPort();
}
