/**
 * Two reference proxies sharing one Redis (`state.redis`): any replica serves any session, a delete
 * or an idle reap on one is seen by all, a rate limit counts what they all served, an open circuit
 * is heard by the other, and a lost store is the proxy's own 503, never someone else's session.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { request } from 'undici';
import { Redis } from 'ioredis';
import { Recorder, startHttpUpstream, type HttpUpstream } from '../../mocks/upstream/index.ts';
import { startRedis, type StartedRedis } from '../../harness/src/targets/redis.ts';
import { buildProxy, parseConfig, type ProxyApp, type ProxyConfigInput } from '../src/index.ts';
import { initializeMessage, post } from './helpers.ts';

let redis: StartedRedis;
let upstream: HttpUpstream;
const recorder = new Recorder();
const started: ProxyApp[] = [];
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedis();
  upstream = await startHttpUpstream({ recorder });
});
afterAll(async () => {
  await upstream.close();
  await redis.stop();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.shutdown()));
});

/** `count` proxies on one upstream; sharing one Redis (under a prefix of this test's own) unless `shared` is false. */
/** The key prefix each replica URL was started with. */
const prefixOf = new Map<string, string>();
const keyPrefixOf = (url: string) => prefixOf.get(url)!;

/** Resolves `message` with the first message on the channel that matches; `ready` once subscribed. */
function heard(channel: string, match: (text: string) => boolean): { ready: Promise<unknown>; message: Promise<string> } {
  const listener = new Redis(redis.url);
  const ready = listener.subscribe(channel);
  const message = new Promise<string>((resolve) => {
    listener.on('message', (_channel: string, text: string) => {
      if (!match(text)) return;
      listener.disconnect();
      resolve(text);
    });
  });
  return { ready, message };
}

async function replicas(count: number, overrides: Partial<ProxyConfigInput> = {}, shared = true): Promise<string[]> {
  const keyPrefix = `test${++prefixes}:`;
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    const config = parseConfig({
      listen: { port: 0 },
      logging: { level: 'silent' },
      upstream: { url: upstream.url },
      ...(shared && { state: { redis: redis.url, keyPrefix } }),
      ...overrides,
    });
    const proxy = await buildProxy(config);
    started.push(proxy);
    urls.push(`${await proxy.listen({ port: 0, host: '127.0.0.1' })}/mcp`);
    prefixOf.set(urls.at(-1)!, keyPrefix);
  }
  return urls;
}

const call = (id: number, cid: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { cid } } });
const withSession = (sid: string) => ({ 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });

async function open(url: string): Promise<string> {
  const res = await post(url, initializeMessage());
  expect(res.status).toBe(200);
  const sid = res.headers['mcp-session-id'] as string;
  expect((await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, withSession(sid))).status).toBe(202);
  return sid;
}

describe('sessions shared by replicas', () => {
  test('a session opened on one replica is served by the other, on the same upstream session, and deleted for both', async () => {
    const [a, b] = await replicas(2);
    const sid = await open(a);
    const onA = 'psc_5a00000000000001';
    const onB = 'psc_5a00000000000002';
    expect((await post(a, call(2, onA), withSession(sid))).status).toBe(200);
    const served = await post(b, call(3, onB), withSession(sid));
    expect(served.status).toBe(200);
    expect(served.text).toContain(onB);
    const [viaA] = recorder.query({ cid: onA, direction: 'in' });
    const [viaB] = recorder.query({ cid: onB, direction: 'in' });
    expect(viaB.sessionId).toBeTruthy();
    expect(viaB.sessionId).toBe(viaA.sessionId);
    const stream = await request(b, { method: 'GET', headers: { ...withSession(sid), accept: 'text/event-stream' } });
    expect(stream.statusCode).toBe(200);
    expect(stream.headers['content-type']).toMatch(/text\/event-stream/);
    stream.body.destroy();
    const deleted = await request(b, { method: 'DELETE', headers: withSession(sid) });
    await deleted.body.dump();
    expect(deleted.statusCode).toBe(200);
    for (const url of [a, b]) expect((await post(url, call(4, onA), withSession(sid))).status).toBe(404);
  });

  test('without the shared store, a session is known to its own replica only', async () => {
    const [a, b] = await replicas(2, {}, false);
    const sid = await open(a);
    expect((await post(a, call(2, 'psc_a100000000000001'), withSession(sid))).status).toBe(200);
    expect((await post(b, call(3, 'psc_a100000000000002'), withSession(sid))).status).toBe(404);
  });

  test('a session idle on every replica is reaped once, upstream included; one busy on another replica is not', async () => {
    const [a, b] = await replicas(2, { sessions: { idleTimeoutMs: 1000 } });
    const idle = await open(a);
    const busy = await open(a);
    // A stream held open on b keeps `busy` alive while a and b both sweep.
    const stream = await request(b, { method: 'GET', headers: { ...withSession(busy), accept: 'text/event-stream' } });
    expect(stream.statusCode).toBe(200);
    // Asking would keep it alive: what is watched is the upstream, told by whichever replica reaped it.
    const deletes = () => recorder.query({ direction: 'in' }).filter((r) => r.httpMethod === 'DELETE').length;
    const before = deletes();
    const deadline = Date.now() + 10_000;
    while (deletes() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(deletes()).toBe(before + 1);
    for (const url of [a, b]) expect((await post(url, { jsonrpc: '2.0', id: 10, method: 'ping' }, withSession(idle))).status).toBe(404);
    expect((await post(a, { jsonrpc: '2.0', id: 11, method: 'ping' }, withSession(busy))).status).toBe(200);
    stream.body.destroy();
  });
});

describe('limits and circuits shared by replicas', () => {
  test('a rate limit holds for the sum of what the replicas served', async () => {
    const [a, b] = await replicas(2, { rateLimit: { default: { requests: 4, windowMs: 60_000 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await post(i % 2 ? b : a, { jsonrpc: '2.0', id: i, method: 'server/discover', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } } }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' })).status);
    expect(statuses.slice(0, 4).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(4)).toEqual([429, 429]);
  });

  test('failures in a row count over the replicas, and a circuit opened on one is open on the other, which refuses without trying', async () => {
    const dead = await startHttpUpstream({ recorder: new Recorder() });
    await dead.kill();
    const [a, b] = await replicas(2, { upstream: { url: dead.url, breaker: { failures: 2, openMs: 5000 } } });
    const discover = { jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } } };
    const headers = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' };
    // One failure on each replica: two in a row over both, which opens the circuit of two failures.
    const told = heard(`${keyPrefixOf(a)}events`, (m) => m.includes('"failure"'));
    await told.ready;
    expect((await post(b, discover, headers)).status).toBe(502);
    // Once Redis has passed b's failure on (to us, and so to a), a's own first failure is the second in a row.
    await told.message;
    const opened = heard(`${keyPrefixOf(a)}events`, (m) => m.includes('"open"'));
    await opened.ready;
    expect((await post(a, discover, headers)).status).toBe(502);
    expect((await post(a, discover, headers)).status).toBe(503);
    // b's own count is at two now, but b sends nothing more: once a's circuit is open, b's first answer is a 503.
    await opened.message;
    const refused = await post(b, discover, headers);
    expect(refused.status).toBe(503);
    expect(refused.json).toMatchObject({ error: { code: -31053 } });
    await dead.close();
  });

  test('a store that is gone is a 503 of the proxy\'s own, not a 404 and not another session', async () => {
    const own = await startRedis();
    try {
      const config = parseConfig({ listen: { port: 0 }, logging: { level: 'silent' }, upstream: { url: upstream.url }, state: { redis: own.url, timeoutMs: 300 } });
      const proxy = await buildProxy(config);
      started.push(proxy);
      const url = `${await proxy.listen({ port: 0, host: '127.0.0.1' })}/mcp`;
      const sid = await open(url);
      await own.stop();
      const res = await post(url, call(5, 'psc_5900000000000001'), withSession(sid));
      expect(res.status).toBe(503);
      expect(res.json).toMatchObject({ id: 5, error: { code: -31054, data: { source: 'proxyspec-reference-proxy' } } });
      expect((await post(url, initializeMessage(6))).status).toBe(503);
    } finally {
      await own.stop();
    }
  });
});

test('a shared store with a stdio upstream is a configuration error', () => {
  expect(() => parseConfig({ upstream: { command: 'true' }, state: { redis: 'redis://127.0.0.1:6379' } })).toThrow(/HTTP upstream/);
});
