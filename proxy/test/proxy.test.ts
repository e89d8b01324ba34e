/** The reference proxy against a real mock upstream: sessions, relaying, the hop boundary, failures. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { request } from 'undici';
import { request as httpRequest } from 'node:http';
import { recordBodyJson } from '../../wire/index.ts';
import { initializeMessage, openSession, post, startRig, type Rig } from './helpers.ts';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig.close();
});

function rawPost(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const call = (id: number | string, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args, ...(meta && { _meta: meta }) },
});

describe('sessions', () => {
  test('the proxy mints its own session id and maps it to the upstream session', async () => {
    const res = await post(rig.url, initializeMessage());
    const sid = res.headers['mcp-session-id'] as string;
    expect(res.status).toBe(200);
    expect(sid).toMatch(/^[\x21-\x7e]{32,}$/);
    const cid = 'psc_1111111111111111';
    await post(rig.url, call(2, 'echo', { cid }), { 'mcp-session-id': sid });
    const [record] = rig.recorder.query({ cid, direction: 'in' });
    expect(record.sessionId).toBeTruthy();
    expect(record.sessionId).not.toBe(sid);
    expect(record.headers?.['mcp-session-id']).toBe(record.sessionId);
  });

  test('a request without a session gets 400, an unknown session 404, both as JSON-RPC errors with the id', async () => {
    const missing = await post(rig.url, call(5, 'echo', {}));
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ id: 5, error: { code: -32600 } });
    const unknown = await post(rig.url, call('u', 'echo', {}), { 'mcp-session-id': 'not-a-session' });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ id: 'u', error: { data: { source: 'proxyspec-reference-proxy' } } });
  });

  test('DELETE reaches the upstream and ends the session', async () => {
    const sid = await openSession(rig.url);
    const before = rig.upstream.sessionCount();
    const res = await request(rig.url, { method: 'DELETE', headers: { 'mcp-session-id': sid } });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    expect(rig.upstream.sessionCount()).toBe(before - 1);
    expect((await post(rig.url, call(1, 'echo', {}), { 'mcp-session-id': sid })).status).toBe(404);
  });
});

describe('relaying', () => {
  test('the request body reaches the upstream byte for byte', async () => {
    const sid = await openSession(rig.url);
    const cid = 'psc_2222222222222222';
    const raw = `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"cid":"${cid}","x":1.50,"u":"\\u00e9"}}}`;
    await post(rig.url, raw, { 'mcp-session-id': sid });
    const [record] = rig.recorder.query({ cid, direction: 'in' });
    expect(Buffer.from(record.bodyBase64, 'base64').toString('utf8')).toBe(raw);
  });

  test('SSE answers are relayed as SSE with every event', async () => {
    const sid = await openSession(rig.url);
    const res = await post(rig.url, call(3, 'progress', { count: 3, intervalMs: 1 }, { progressToken: 't' }), { 'mcp-session-id': sid });
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    expect(res.text.match(/notifications\/progress/g)).toHaveLength(3);
    expect(res.text).toMatch(/"id":3/);
  });

  test('notifications get 202 from the upstream, relayed', async () => {
    const sid = await openSession(rig.url);
    const res = await post(rig.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': sid });
    expect(res.status).toBe(202);
    expect(res.text).toBe('');
  });

  test('malformed JSON gets 400 with -32700, and the proxy keeps serving', async () => {
    const sid = await openSession(rig.url);
    const bad = await post(rig.url, '{"jsonrpc": "2.0", "id": 1,', { 'mcp-session-id': sid });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { code: -32700 } });
    expect((await post(rig.url, call(2, 'echo', {}), { 'mcp-session-id': sid })).status).toBe(200);
  });
});

describe('the hop boundary', () => {
  test('Authorization, Proxy-Authorization and Connection-named headers stay on the client hop; end-to-end headers go on', async () => {
    const sid = await openSession(rig.url);
    const cid = 'psc_3333333333333333';
    // node:http, because undici will not send a Connection header naming other headers.
    await rawPost(rig.url, JSON.stringify(call(4, 'echo', { cid })), {
      'mcp-session-id': sid,
      authorization: 'Bearer client-secret',
      'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
      connection: 'keep-alive, x-hop-only',
      'x-hop-only': 'must-not-pass',
      'x-trace-id': 'end-to-end',
    });
    const [record] = rig.recorder.query({ cid, direction: 'in' });
    expect(record.headers?.authorization).toBeUndefined();
    expect(record.headers?.['proxy-authorization']).toBeUndefined();
    expect(record.headers?.['x-hop-only']).toBeUndefined();
    expect(record.headers?.['x-trace-id']).toBe('end-to-end');
    expect(record.headers?.host).toBe(new URL(rig.upstream.url).host);
  });
});

describe('upstream failures', () => {
  test('an unreachable upstream gets a prompt 502 with the request id and the proxy named as source', async () => {
    const down = await startRig(() => ({ upstream: { url: 'http://127.0.0.1:9/mcp' } }));
    try {
      const res = await post(down.url, initializeMessage('init-1'));
      expect(res.status).toBe(502);
      expect(res.json).toMatchObject({ id: 'init-1', error: { code: -31050, data: { source: 'proxyspec-reference-proxy' } } });
      expect(res.json.error.code).toBeGreaterThanOrEqual(-32099);
    } finally {
      await down.close();
    }
  });

  test('an upstream that does not answer in time gets a 504 timeout error, not a hang', async () => {
    const slow = await startRig((url) => ({ upstream: { url, timeoutMs: 200 } }));
    try {
      const sid = await openSession(slow.url);
      const res = await post(slow.url, call(11, 'slow', { ms: 2000 }), { 'mcp-session-id': sid });
      expect(res.status).toBe(504);
      expect(res.json).toMatchObject({ id: 11, error: { code: -31051, data: { source: 'proxyspec-reference-proxy' } } });
    } finally {
      await slow.close();
    }
  });

  test('the upstream receives what the proxy relayed, and nothing else', async () => {
    const sid = await openSession(rig.url);
    const cid = 'psc_4444444444444444';
    await post(rig.url, call(12, 'echo', { cid }), { 'mcp-session-id': sid });
    const records = rig.recorder.query({ cid, direction: 'in' });
    expect(records).toHaveLength(1);
    expect(recordBodyJson(records[0])).toMatchObject({ id: 12, method: 'tools/call' });
  });
});

describe('operations', () => {
  test('/healthz answers ok and /readyz reports ready with the session count', async () => {
    const health = await request(rig.url.replace(/\/mcp$/, '/healthz'));
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toEqual({ status: 'ok' });
    const ready = await request(rig.url.replace(/\/mcp$/, '/readyz'));
    expect(ready.statusCode).toBe(200);
    expect(await ready.body.json()).toMatchObject({ status: 'ready', sessions: expect.any(Number) });
  });

  test('shutdown ends open GET streams instead of waiting for them', async () => {
    const own = await startRig();
    const sid = await openSession(own.url);
    const get = await request(own.url, { method: 'GET', headers: { 'mcp-session-id': sid, accept: 'text/event-stream' } });
    expect(get.statusCode).toBe(200);
    const drained = get.body.text();
    await own.close();
    // The stream ended (the promise settles) rather than holding shutdown open.
    await expect(drained.then(() => 'ended', () => 'ended')).resolves.toBe('ended');
  });
});
