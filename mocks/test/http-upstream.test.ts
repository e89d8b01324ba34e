/** The mock upstream's Streamable HTTP behaviour, on a real socket, as the transport page requires. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { request } from 'undici';
import { createParser } from 'eventsource-parser';
import { Recorder, startHttpUpstream, type HttpUpstream } from '../upstream/index.ts';
import { recordBodyJson } from '../../wire/index.ts';

let upstream: HttpUpstream;
const recorder = new Recorder();

beforeAll(async () => {
  upstream = await startHttpUpstream({ recorder });
});
afterAll(async () => {
  await upstream.close();
});

async function post(body: unknown, headers: Record<string, string> = {}) {
  const res = await request(upstream.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

function sseMessages(text: string): unknown[] {
  const out: unknown[] = [];
  const parser = createParser({ onEvent: (e) => e.data && out.push(JSON.parse(e.data)) });
  parser.feed(text);
  return out;
}

async function initialize(version = '2025-11-25') {
  const res = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 't', version: '1' } } });
  return { ...res, session: res.headers['mcp-session-id'] as string, json: JSON.parse(res.text) };
}

describe('mock upstream over Streamable HTTP', () => {
  test('initialize assigns a session and negotiates the asked version', async () => {
    const { status, session, json } = await initialize('2025-06-18');
    expect(status).toBe(200);
    expect(session).toMatch(/^[\x21-\x7e]+$/);
    expect(json.result.protocolVersion).toBe('2025-06-18');
    const other = await initialize('1999-01-01');
    expect(other.json.result.protocolVersion).toBe('2025-11-25');
  });

  test('requests without a session get 400, with an unknown one 404', async () => {
    const call = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
    expect((await post(call)).status).toBe(400);
    expect((await post(call, { 'mcp-session-id': 'nope' })).status).toBe(404);
  });

  test('an unsupported MCP-Protocol-Version gets 400', async () => {
    const { session } = await initialize();
    const res = await post({ jsonrpc: '2.0', id: 3, method: 'ping' }, { 'mcp-session-id': session, 'mcp-protocol-version': '1999-01-01' });
    expect(res.status).toBe(400);
  });

  test('notifications get 202 with an empty body', async () => {
    const { session } = await initialize();
    const res = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': session });
    expect(res.status).toBe(202);
    expect(res.text).toBe('');
  });

  test('echo returns exactly its arguments, as JSON or as SSE on request', async () => {
    const { session } = await initialize();
    const args = { a: [1, 'ü', { b: null }], n: 1.5 };
    const json = await post({ jsonrpc: '2.0', id: 'x', method: 'tools/call', params: { name: 'echo', arguments: args } }, { 'mcp-session-id': session });
    expect(json.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(json.text).result.structuredContent).toEqual(args);
    const sse = await post(
      { jsonrpc: '2.0', id: 'y', method: 'tools/call', params: { name: 'echo', arguments: args, _meta: { 'io.proxyspec/sse': true } } },
      { 'mcp-session-id': session },
    );
    expect(sse.headers['content-type']).toMatch(/text\/event-stream/);
    const messages = sseMessages(sse.text) as Array<Record<string, unknown>>;
    expect(messages.at(-1)).toMatchObject({ id: 'y', result: { structuredContent: args } });
  });

  test('error answers with the scripted code, message and data', async () => {
    const { session } = await initialize();
    const res = await post({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'error', arguments: { code: 4242, message: 'm', data: { d: 1 } } } }, { 'mcp-session-id': session });
    expect(JSON.parse(res.text)).toEqual({ jsonrpc: '2.0', id: 7, error: { code: 4242, message: 'm', data: { d: 1 } } });
  });

  test('progress streams N notifications before the result', async () => {
    const { session } = await initialize();
    const res = await post(
      { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'progress', arguments: { count: 3, intervalMs: 1 }, _meta: { progressToken: 'p' } } },
      { 'mcp-session-id': session },
    );
    const messages = sseMessages(res.text) as Array<Record<string, unknown>>;
    expect(messages.map((m) => m.method ?? 'result')).toEqual(['notifications/progress', 'notifications/progress', 'notifications/progress', 'result']);
  });

  test('DELETE ends the session, after which it is 404', async () => {
    const { session } = await initialize();
    const del = await request(upstream.url, { method: 'DELETE', headers: { 'mcp-session-id': session } });
    await del.body.dump();
    expect(del.statusCode).toBe(200);
    expect((await post({ jsonrpc: '2.0', id: 9, method: 'ping' }, { 'mcp-session-id': session })).status).toBe(404);
  });

  test('batches are accepted under 2025-03-26 only', async () => {
    const old = await initialize('2025-03-26');
    const batch = [{ jsonrpc: '2.0', id: 1, method: 'ping' }, { jsonrpc: '2.0', id: 2, method: 'ping' }];
    const ok = await post(batch, { 'mcp-session-id': old.session });
    expect(JSON.parse(ok.text)).toHaveLength(2);
    const current = await initialize('2025-11-25');
    expect((await post(batch, { 'mcp-session-id': current.session })).status).toBe(400);
  });

  test('records what it received and sent, with correlation ids and connections', async () => {
    const { session } = await initialize();
    const cid = 'psc_0123456789abcdef';
    await post({ jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'echo', arguments: { cid } } }, { 'mcp-session-id': session, 'x-custom': 'yes' });
    const received = recorder.query({ cid, direction: 'in' });
    expect(received).toHaveLength(1);
    expect(received[0].sessionId).toBe(session);
    expect(received[0].headers?.['x-custom']).toBe('yes');
    expect(recordBodyJson(received[0])).toMatchObject({ method: 'tools/call' });
    expect(recorder.query({ cid, direction: 'out' })).toHaveLength(1);
    expect(recorder.connectionRecords().length).toBeGreaterThan(0);
  });
});

describe('faults on cue', () => {
  test('killed, it refuses connections; restarted on the same port, it keeps or forgets its sessions as asked', async () => {
    const own = await startHttpUpstream({ recorder, name: 'restartable' });
    try {
      const res = await request(own.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
      });
      await res.body.dump();
      const session = res.headers['mcp-session-id'] as string;
      const ping = async () => {
        const r = await request(own.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', 'mcp-session-id': session }, body: '{"jsonrpc":"2.0","id":2,"method":"ping"}', reset: true });
        await r.body.dump();
        return r.statusCode;
      };
      await own.kill();
      await expect(ping()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await own.restart({ keepSessions: true });
      expect(await ping()).toBe(200);
      await own.kill();
      await own.restart({ keepSessions: false });
      expect(await ping()).toBe(404);
      expect(own.sessionCount()).toBe(0);
    } finally {
      await own.close();
    }
  });

  test('a stream cut after N events runs on, and a GET with Last-Event-ID replays the rest of that stream only', async () => {
    const { session } = await initialize();
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
    const res = await request(upstream.url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'cut', method: 'tools/call', params: { name: 'progress', arguments: { count: 4, intervalMs: 20 }, _meta: { progressToken: 'a', 'io.proxyspec/fault': 'drop-after:2' } } }),
    });
    // Read what arrives until the cut.
    let text = '';
    await (async () => {
      for await (const chunk of res.body) text += (chunk as Buffer).toString('utf8');
    })().catch(() => undefined);
    expect(text).not.toContain('"id":"cut"');
    // Whatever arrived before the cut carries ids of the form session:stream:n.
    const ids = [...text.matchAll(/^id: (.*)$/gm)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids[0]).toMatch(new RegExp(`^${session}:\\d+:\\d+$`));
    // Another stream of the same session, whole.
    await post({ jsonrpc: '2.0', id: 'other', method: 'tools/call', params: { name: 'progress', arguments: { count: 1, intervalMs: 0 }, _meta: { progressToken: 'b' } } }, headers);
    const resumed = await request(upstream.url, { method: 'GET', headers: { ...headers, accept: 'text/event-stream', 'last-event-id': ids[0] } });
    const replayed = sseMessages(await resumed.body.text()) as Array<{ id?: unknown; params?: { progressToken?: unknown; progress?: unknown } }>;
    expect(replayed.filter((m) => m.params?.progressToken === 'b' || m.id === 'other')).toEqual([]);
    expect(replayed.filter((m) => m.params?.progressToken === 'a').map((m) => m.params?.progress)).toEqual([1, 2, 3, 4]);
    expect(replayed.at(-1)).toMatchObject({ id: 'cut' });
  });
});
