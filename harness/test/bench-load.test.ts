/** The loads of `bench` (autocannon's and the paced one), against small servers that count what they get. */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { afterEach, expect, test } from 'vitest';
import { ID_SLOT, pacedLoad } from '../src/bench/paced.ts';

const UNIQUE_IDS = fileURLToPath(new URL('../src/bench/unique-ids.cjs', import.meta.url));

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

async function serve(handler: RequestListener): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

test('requests leave on a schedule, spread over every connection, and each is timed', async () => {
  const arrivals: number[] = [];
  const sockets = new Set<number>();
  const url = await serve((req, res) => {
    arrivals.push(performance.now());
    sockets.add(req.socket.remotePort!);
    req.resume();
    // Answered after 20 ms: a closed loop over 5 connections would send 250 a second, and in bursts.
    setTimeout(() => res.end('{}'), 20);
  });
  const result = await pacedLoad({ url, headers: { 'content-type': 'application/json' }, body: '{}', connections: 5, rate: 100, durationSec: 1 });
  // 5 warm-up requests open the connections, then exactly rate × duration are measured.
  expect(arrivals).toHaveLength(105);
  expect(result.requests).toBe(100);
  expect(sockets.size).toBe(5);
  expect(result.errors + result.timeouts + result.non2xx).toBe(0);
  expect(result.latencyMs.p50).toBeGreaterThanOrEqual(20);
  // Paced, not bursty: of the 100 measured requests, about half arrive in the first half second.
  const measured = arrivals.slice(5);
  const firstHalf = measured.filter((t) => t - measured[0] < 500).length;
  expect(firstHalf).toBeGreaterThan(25);
  expect(firstHalf).toBeLessThan(75);
});

test('failures are counted by kind, and a request never answered is a timeout, not a hang', async () => {
  let n = 0;
  const url = await serve((req, res) => {
    req.resume();
    n++;
    if (n <= 2) return res.end('{}'); // the warm-up
    if (n % 3 === 0) return void res.writeHead(500).end('{}');
    if (n % 3 === 1) return; // never answered
    res.end('{}');
  });
  const result = await pacedLoad({ url, headers: {}, body: '{}', connections: 2, rate: 15, durationSec: 1, requestTimeoutMs: 300 });
  // Of the 15 measured (arrivals 3 to 17): every third fails with 500, every third is left unanswered.
  expect(result.requests).toBe(15);
  expect(result.non2xx).toBe(5);
  expect(result.timeouts).toBe(5);
  expect(result.non2xx + result.timeouts + result.errors + Math.round(result.requestsPerSec * result.durationSec)).toBe(15);
});

/** A server that answers after a few ms and counts requests arriving with an id another request still in flight carries. */
async function idServer(): Promise<{ url: string; clashes: () => number; ids: () => number }> {
  const inFlight = new Set<string>();
  const seen = new Set<string>();
  let clashes = 0;
  const url = await serve((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const id = String((JSON.parse(text) as { id: unknown }).id);
      if (inFlight.has(id)) clashes++;
      inFlight.add(id);
      seen.add(id);
      setTimeout(() => {
        inFlight.delete(id);
        res.end('{}');
      }, 2);
    });
  });
  return { url, clashes: () => clashes, ids: () => seen.size };
}

const body = JSON.stringify({ jsonrpc: '2.0', id: ID_SLOT, method: 'ping' });

test('under autocannon, no two requests in flight share a JSON-RPC id (each connection has ids of its own)', async () => {
  const server = await idServer();
  const run = (setup: boolean) =>
    autocannon({ url: server.url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 8, duration: 1, ...(setup && { setupClient: UNIQUE_IDS as never }) });
  const result = await run(true);
  expect(result.non2xx + result.errors).toBe(0);
  expect(server.clashes()).toBe(0);
  // Each connection draws on 64 ids of its own: never more than 8 × 64 in all, and more than one per
  // connection. (How far round each one gets in a second depends on the machine's load, so the
  // count is bounded, not exact.)
  expect(server.ids()).toBeLessThanOrEqual(8 * 64);
  expect(server.ids()).toBeGreaterThan(8);
  // Without it, every request carries the same id: what the server above exists to notice.
  await run(false);
  expect(server.clashes()).toBeGreaterThan(0);
});

test('the paced load gives every request an id of its own', async () => {
  const server = await idServer();
  const result = await pacedLoad({ url: server.url, headers: {}, body, connections: 4, rate: 200, durationSec: 1 });
  expect(result.requests).toBe(200);
  expect(server.clashes()).toBe(0);
  // 200 measured requests and 4 that opened the connections, all different.
  expect(server.ids()).toBe(204);
});
