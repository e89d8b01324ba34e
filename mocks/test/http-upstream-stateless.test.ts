/** The mock upstream under 2026-07-28 (stateless), on the same endpoint that serves the session era. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { request } from 'undici';
import { createParser } from 'eventsource-parser';
import { Recorder, startHttpUpstream, type HttpUpstream } from '../upstream/index.ts';
import { CID_META_KEY, META, encodeHeaderValue, mirroredHeaders, newCorrelationId, recordBodyText } from '../../wire/index.ts';

let upstream: HttpUpstream;
const recorder = new Recorder();
const VERSION = '2026-07-28';

beforeAll(async () => {
  upstream = await startHttpUpstream({ recorder });
});
afterAll(async () => {
  await upstream.close();
});

type Json = Record<string, any>;
let nextId = 1;

/** A well-formed stateless request: _meta and mirrored headers as a client of 2026-07-28 sends them. */
function modern(method: string, params: Json = {}, version = VERSION) {
  const body = { jsonrpc: '2.0', id: nextId++, method, params: { ...params, _meta: { [META.protocolVersion]: version, [META.clientCapabilities]: {}, [META.clientInfo]: { name: 't', version: '1' }, ...params._meta } } };
  return { body, headers: { 'mcp-protocol-version': version, ...mirroredHeaders(method, body.params) } as Record<string, string> };
}

async function post(body: unknown, headers: Record<string, string>) {
  const res = await request(upstream.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: res.headers['content-type'] === 'application/json' ? (JSON.parse(text) as Json) : undefined };
}

const send = (m: ReturnType<typeof modern>, headers: Record<string, string> = {}) => post(m.body, { ...m.headers, ...headers });

function sse(text: string): Json[] {
  const out: Json[] = [];
  createParser({ onEvent: (e) => e.data && out.push(JSON.parse(e.data)) }).feed(text);
  return out;
}

describe('mock upstream under 2026-07-28', () => {
  test('a tools/call needs no handshake: answered with resultType and the server\'s identity, and no session is minted', async () => {
    const cid = newCorrelationId();
    const res = await send(modern('tools/call', { name: 'echo', arguments: { cid }, _meta: { [CID_META_KEY]: cid } }));
    expect(res.status).toBe(200);
    expect(res.headers['mcp-session-id']).toBeUndefined();
    expect(res.json?.result).toMatchObject({ resultType: 'complete', structuredContent: { cid }, _meta: { [META.serverInfo]: { name: 'proxyspec-mock-upstream' } } });
    expect(recorder.query().filter((r) => recordBodyText(r).includes(cid) && r.direction === 'in').map((r) => r.sessionId)).toEqual([null]);
  });

  test('server/discover and tools/list: supported versions, cacheable results', async () => {
    const discovered = await send(modern('server/discover'));
    expect(discovered.json?.result).toMatchObject({ resultType: 'complete', supportedVersions: [VERSION], capabilities: { tools: {} }, cacheScope: 'public', ttlMs: expect.any(Number) });
    const listed = await send(modern('tools/list'));
    expect(listed.json?.result).toMatchObject({ resultType: 'complete', cacheScope: 'public', ttlMs: expect.any(Number) });
    expect(listed.json?.result.tools.map((t: Json) => t.name)).toContain('echo');
  });

  test('headers that disagree with the body, or are missing, get 400 HeaderMismatch; a Base64 Mcp-Name is decoded first', async () => {
    const call = modern('tools/call', { name: 'echo', arguments: {} });
    for (const headers of [{ 'mcp-method': 'tools/list' }, { 'mcp-name': 'restricted' }, { 'mcp-protocol-version': '2025-11-25' }] as Record<string, string>[]) {
      const res = await send(call, headers);
      expect(res.status, JSON.stringify(headers)).toBe(400);
      expect(res.json?.error.code).toBe(-32020);
    }
    const { 'mcp-name': _dropped, ...withoutName } = call.headers;
    expect((await post(call.body, withoutName)).json?.error.code).toBe(-32020);
    expect(encodeHeaderValue('ok name ')).toBe('=?base64?b2sgbmFtZSA=?=');
    const odd = modern('tools/call', { name: 'echo', arguments: {} });
    expect((await send(odd, { 'mcp-name': '=?base64?ZWNobw==?=' })).status).toBe(200);
  });

  test('an unsupported version is 400 UnsupportedProtocolVersion naming the supported ones; ping is gone and constructor unknown (404, -32601)', async () => {
    const res = await send(modern('tools/list', {}, '2099-01-01'));
    expect(res.status).toBe(400);
    expect(res.json?.error).toMatchObject({ code: -32022, data: { requested: '2099-01-01', supported: [VERSION] } });
    const ping = await send(modern('ping'));
    expect(ping.status).toBe(404);
    expect(ping.json?.error.code).toBe(-32601);
    // A method named after a member of Object.prototype is unknown like any other, not a header mismatch.
    const proto = await send(modern('constructor'));
    expect(proto.status).toBe(404);
    expect(proto.json?.error.code).toBe(-32601);
  });

  test('sampling is a multi round-trip request: input_required, then the retry with the answer and the requestState unchanged', async () => {
    // A client that did not declare sampling is refused, not asked: 400 and -32021 naming the capability.
    const undeclared = await send(modern('tools/call', { name: 'sample', arguments: { prompt: 'hi' } }));
    expect(undeclared.status).toBe(400);
    expect(undeclared.json?.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { sampling: {} } } });
    const first = await send(modern('tools/call', { name: 'sample', arguments: { prompt: 'hi' }, _meta: { [META.clientCapabilities]: { sampling: {} } } }));
    const result = first.json?.result;
    expect(result).toMatchObject({ resultType: 'input_required', inputRequests: { sampling_createMessage: { method: 'sampling/createMessage' } }, requestState: expect.any(String) });
    const answer = { role: 'assistant', content: { type: 'text', text: 'hello' }, model: 'm' };
    const retry = await send(modern('tools/call', { name: 'sample', arguments: { prompt: 'hi' }, inputResponses: { sampling_createMessage: answer }, requestState: result.requestState }));
    expect(retry.json?.result).toMatchObject({ resultType: 'complete', structuredContent: { answer: { result: answer } } });
    const tampered = await send(modern('tools/call', { name: 'sample', arguments: { prompt: 'hi' }, inputResponses: { sampling_createMessage: answer }, requestState: `${result.requestState}x` }));
    expect(tampered.json?.error.code).toBe(-32602);
  });

  test('subscriptions/listen: acknowledged first with its id; a tool list change reaches the subscription that asked for it and no other', async () => {
    const open = async (notifications: Json) => {
      const m = modern('subscriptions/listen', { notifications });
      const res = await request(upstream.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...m.headers }, body: JSON.stringify(m.body) });
      const events: Json[] = [];
      const parser = createParser({ onEvent: (e) => e.data && events.push(JSON.parse(e.data)) });
      res.body.on('data', (chunk: Buffer) => parser.feed(chunk.toString('utf8')));
      return { id: m.body.id, events, close: () => res.body.destroy() };
    };
    const wants = await open({ toolsListChanged: true });
    const other = await open({ promptsListChanged: true });
    const until = async (f: () => boolean) => {
      for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    await until(() => wants.events.length > 0 && other.events.length > 0);
    expect(wants.events[0]).toMatchObject({ method: 'notifications/subscriptions/acknowledged', params: { _meta: { [META.subscriptionId]: wants.id }, notifications: { toolsListChanged: true } } });
    expect(other.events[0]).toMatchObject({ method: 'notifications/subscriptions/acknowledged', params: { _meta: { [META.subscriptionId]: other.id }, notifications: {} } });
    const notified = await send(modern('tools/call', { name: 'notify', arguments: {} }));
    expect(notified.json?.result.structuredContent).toEqual({ delivered: true });
    await until(() => wants.events.length > 1);
    expect(wants.events[1]).toMatchObject({ method: 'notifications/tools/list_changed', params: { _meta: { [META.subscriptionId]: wants.id } } });
    expect(other.events).toHaveLength(1);
    wants.close();
    other.close();
  });

  test('closing the response stream cancels the call: recorded, and nothing more is sent for it', async () => {
    const cid = newCorrelationId();
    const m = modern('tools/call', { name: 'progress', arguments: { count: 50, intervalMs: 20 }, _meta: { progressToken: 'p1', [CID_META_KEY]: cid } });
    const res = await request(upstream.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...m.headers }, body: JSON.stringify(m.body) });
    expect(res.headers['content-type']).toBe('text/event-stream');
    await new Promise<void>((resolve) => res.body.once('data', () => resolve()));
    res.body.destroy();
    const closed = () => recorder.query().some((r) => recordBodyText(r).startsWith('(stream closed by the client'));
    for (let i = 0; i < 200 && !closed(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(closed()).toBe(true);
    const closedAt = recorder.query().find((r) => recordBodyText(r).startsWith('(stream closed by the client'))!.seq;
    await new Promise((r) => setTimeout(r, 100));
    const progressAfter = recorder.query().filter((r) => r.seq > closedAt && recordBodyText(r).includes('"progressToken":"p1"'));
    expect(progressAfter).toEqual([]);
  });

  test('dual-era: a 2025-11-25 client still initializes on the same endpoint; GET under 2026-07-28 is 405', async () => {
    const init = await post({ jsonrpc: '2.0', id: 'i', method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }, {});
    expect(init.status).toBe(200);
    expect(init.headers['mcp-session-id']).toBeTruthy();
    const get = await request(upstream.url, { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-protocol-version': VERSION } });
    await get.body.text();
    expect(get.statusCode).toBe(405);
  });
});

describe('one era only (the upstreams of a version-bridging proxy)', () => {
  const initialize = { jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
  const at = async (url: string, body: unknown, headers: Record<string, string>) => {
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(body) });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, json: JSON.parse(text) as Json };
  };

  test('legacy: a modern request is refused with a 400 that carries no modern error, as a 2025-11-25 server would; initialize opens a session', async () => {
    const legacy = await startHttpUpstream({ recorder, era: 'legacy' });
    try {
      const m = modern('tools/list');
      const refused = await at(legacy.url, m.body, m.headers);
      expect(refused.status).toBe(400);
      expect([-32020, -32021, -32022]).not.toContain(refused.json.error.code);
      const opened = await at(legacy.url, initialize, {});
      expect(opened.status).toBe(200);
      expect(opened.headers['mcp-session-id']).toBeTruthy();
    } finally {
      await legacy.close();
    }
  });

  test('modern: initialize is refused with 400 and -32022 naming the versions it speaks; GET is 405; a modern request is served', async () => {
    const only = await startHttpUpstream({ recorder, era: 'modern' });
    try {
      const refused = await at(only.url, initialize, {});
      expect(refused.status).toBe(400);
      expect(refused.json.error).toMatchObject({ code: -32022, data: { supported: [VERSION] } });
      const get = await request(only.url, { method: 'GET', headers: { accept: 'text/event-stream' } });
      await get.body.text();
      expect(get.statusCode).toBe(405);
      const m = modern('tools/list');
      expect((await at(only.url, m.body, m.headers)).json).toMatchObject({ result: { resultType: 'complete' } });
      expect(only.sessionCount()).toBe(0);
    } finally {
      await only.close();
    }
  });
});

describe('the per-request log level', () => {
  test('log messages at and above the level a request set, on its own stream before the result; none without a level; an unknown level is -32602', async () => {
    const asked = modern('tools/call', { name: 'log', arguments: {}, _meta: { [META.logLevel]: 'error' } });
    const streamed = await send(asked);
    expect(streamed.headers['content-type']).toMatch(/text\/event-stream/);
    const messages = sse(streamed.text);
    expect(messages.filter((m) => m.method === 'notifications/message').map((m) => m.params.level)).toEqual(['error', 'critical', 'alert', 'emergency']);
    expect(messages.at(-1)).toMatchObject({ id: asked.body.id, result: { resultType: 'complete' } });

    const silent = await send(modern('tools/call', { name: 'log', arguments: {} }));
    expect(silent.json).toMatchObject({ result: { structuredContent: { sent: [] } } });

    const invalid = await send(modern('tools/call', { name: 'log', arguments: {}, _meta: { [META.logLevel]: 'loud' } }));
    expect(invalid.json ?? sse(invalid.text).at(-1)).toMatchObject({ error: { code: -32602 } });
  });
});
