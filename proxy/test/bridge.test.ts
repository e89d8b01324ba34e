/** Era bridging: 2026-07-28 clients in front of a legacy upstream, 2025 clients in front of a modern one, and how the proxy learns which it has. */
import { afterEach, describe, expect, test } from 'vitest';
import { request } from 'undici';
import { initializeMessage, post, startRig, type Rig } from './helpers.ts';

const MODERN = '2026-07-28';
let nextId = 1;
function modern(method: string, params: Record<string, unknown>, cid: string, meta: Record<string, unknown> = {}) {
  const body = { jsonrpc: '2.0', id: nextId++, method, params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': { sampling: {} }, 'io.proxyspec/cid': cid, ...meta } } };
  const headers: Record<string, string> = { 'mcp-protocol-version': MODERN, 'mcp-method': method };
  if (typeof params.name === 'string') headers['mcp-name'] = params.name;
  return { body, headers };
}
const bodiesReceived = (rig: Rig, cid: string) => rig.recorder.query({ cid, direction: 'in' }).map((r) => JSON.parse(Buffer.from(r.bodyBase64, 'base64').toString('utf8') || 'null'));
const methodsReceived = (rig: Rig, cid: string) => bodiesReceived(rig, cid).map((b) => b?.method);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('a 2026-07-28 client, a legacy upstream', () => {
  test('each request gets a session of its own upstream, ended after the answer; results gain resultType, -32002 becomes -32602', async () => {
    rig = await startRig(() => ({}), 'legacy');
    const cid = 'psc_b000000000000001';
    const call = modern('tools/call', { name: 'echo', arguments: { cid } }, cid);
    const res = await post(rig.url, call.body, call.headers);
    expect(res.status).toBe(200);
    expect(res.headers['mcp-session-id']).toBeUndefined();
    expect(res.json).toMatchObject({ id: call.body.id, result: { resultType: 'complete', structuredContent: { cid }, _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'proxyspec-mock-upstream' } } } });
    expect(methodsReceived(rig, cid)).toEqual(expect.arrayContaining(['initialize', 'notifications/initialized', 'tools/call']));
    expect(bodiesReceived(rig, cid).find((b) => b?.method === 'initialize').params).toMatchObject({ protocolVersion: '2025-11-25', capabilities: { sampling: {} } });
    await expect.poll(() => rig!.upstream.sessionCount()).toBe(0);

    const missing = 'psc_b000000000000002';
    const failed = modern('tools/call', { name: 'error', arguments: { code: -32002, message: 'gone' } }, missing);
    expect((await post(rig.url, failed.body, failed.headers)).json).toMatchObject({ error: { code: -32602, message: 'gone' } });
  });

  test('server/discover is answered from the upstream\'s initialize; progress is streamed; the upstream\'s sampling request never reaches the client', async () => {
    rig = await startRig(() => ({}), 'legacy');
    const cid = 'psc_b000000000000003';
    const discover = modern('server/discover', {}, cid);
    expect((await post(rig.url, discover.body, discover.headers)).json).toMatchObject({ result: { supportedVersions: [MODERN], resultType: 'complete', capabilities: { tools: {} } } });

    const progress = modern('tools/call', { name: 'progress', arguments: { count: 2, intervalMs: 1 } }, cid, { progressToken: 'p1' });
    const streamed = await post(rig.url, progress.body, progress.headers);
    expect(streamed.headers['content-type']).toMatch(/text\/event-stream/);
    const events = streamed.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
    expect(events.map((e) => e.method ?? 'response')).toEqual(['notifications/progress', 'notifications/progress', 'response']);

    const sample = modern('tools/call', { name: 'sample', arguments: {} }, cid);
    const sampled = await post(rig.url, sample.body, sample.headers);
    const messages = sampled.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
    expect(messages.filter((m) => m.method !== undefined && m.id !== undefined)).toEqual([]);
    // It becomes a multi round-trip request: the upstream's own request, in an input_required result.
    const asked = messages.at(-1) as { id: number; result: { resultType: string; inputRequests: Record<string, { method: string }>; requestState: string } };
    expect(asked).toMatchObject({ id: sample.body.id, result: { resultType: 'input_required', inputRequests: { 'sampling/createMessage#1': { method: 'sampling/createMessage' } } } });
    // The retry runs the call again, and the upstream's request is answered with the client's answer.
    const answer = { role: 'assistant', content: { type: 'text', text: 'hi from the client' }, model: 'm' };
    const retry = modern('tools/call', { name: 'sample', arguments: {}, inputResponses: { 'sampling/createMessage#1': answer }, requestState: asked.result.requestState }, cid);
    const retried = await post(rig.url, retry.body, retry.headers);
    const final = retried.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6))).at(-1);
    expect(final).toMatchObject({ id: retry.body.id, result: { resultType: 'complete', structuredContent: { answer: { result: answer } } } });
    // What a legacy server knows nothing of stays out of its request.
    expect(bodiesReceived(rig, cid).filter((b) => b?.method === 'tools/call' && (b.params.inputResponses !== undefined || b.params.requestState !== undefined))).toEqual([]);

    // The state is sealed: changed, or made up, it is refused before any upstream session opens.
    const callsBefore = methodsReceived(rig, cid).filter((m) => m === 'tools/call').length;
    for (const requestState of [`${asked.result.requestState}-TAMPERED`, Buffer.from(JSON.stringify({ 'sampling/createMessage#1': answer })).toString('base64url')]) {
      const forged = modern('tools/call', { name: 'sample', arguments: {}, inputResponses: {}, requestState }, cid);
      const refused = await post(rig.url, forged.body, forged.headers);
      expect(refused.status).toBe(400);
      expect(refused.json).toMatchObject({ id: forged.body.id, error: { code: -32602 } });
    }
    expect(methodsReceived(rig, cid).filter((m) => m === 'tools/call').length).toBe(callsBefore);
  });

  test('a request\'s log level becomes its session\'s (logging/setLevel), and only its own log messages reach it', async () => {
    rig = await startRig(() => ({}), 'legacy');
    const cid = 'psc_b000000000000007';
    const logged = modern('tools/call', { name: 'log', arguments: {} }, cid, { 'io.modelcontextprotocol/logLevel': 'critical' });
    const res = await post(rig.url, logged.body, logged.headers);
    const levels = res.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6))).filter((m) => m.method === 'notifications/message').map((m) => m.params.level);
    expect(levels).toEqual(['critical', 'alert', 'emergency']);
    expect(methodsReceived(rig, cid)).toContain('tools/call');
    expect(rig.recorder.query({ direction: 'in' }).some((r) => Buffer.from(r.bodyBase64, 'base64').toString().includes('"logging/setLevel"'))).toBe(true);
  });

  test('with era: legacy set, modern requests are bridged from the first, even to an upstream that serves both', async () => {
    rig = await startRig((url) => ({ upstream: { url, era: 'legacy' } }));
    const cid = 'psc_b000000000000004';
    const call = modern('tools/call', { name: 'echo', arguments: { cid } }, cid);
    expect((await post(rig.url, call.body, call.headers)).json).toMatchObject({ result: { resultType: 'complete' } });
    expect(methodsReceived(rig, cid)[0]).toBe('initialize');
  });
});

describe('a 2025-11-25 client, a modern upstream', () => {
  test('initialize is answered from server/discover; requests go upstream with _meta and mirrored headers; ping, GET, DELETE stay here', async () => {
    rig = await startRig(() => ({}), 'modern');
    const init = initializeMessage();
    // Sampling declared: a modern server asks such a client for it (input_required), which a session-era client cannot be given.
    init.params.capabilities = { roots: { listChanged: true }, sampling: {} } as never;
    const opened = await post(rig.url, init);
    expect(opened.json).toMatchObject({ result: { protocolVersion: '2025-11-25', serverInfo: { name: 'proxyspec-mock-upstream' }, capabilities: { tools: {} } } });
    const session = opened.headers['mcp-session-id'] as string;
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };

    const cid = 'psc_b000000000000005';
    const call = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { cid } } };
    expect((await post(rig.url, call, headers)).json).toMatchObject({ id: 7, result: { structuredContent: { cid } } });
    const [received] = rig.recorder.query({ cid, direction: 'in' });
    expect(received.sessionId).toBeNull();
    expect(received.headers).toMatchObject({ 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'echo' });
    expect(JSON.parse(Buffer.from(received.bodyBase64, 'base64').toString()).params._meta).toMatchObject({
      'io.modelcontextprotocol/protocolVersion': MODERN,
      'io.modelcontextprotocol/clientCapabilities': { roots: { listChanged: true }, sampling: {} },
      'io.modelcontextprotocol/clientInfo': { name: 'test' },
    });

    expect((await post(rig.url, { jsonrpc: '2.0', id: 8, method: 'ping' }, headers)).json).toEqual({ jsonrpc: '2.0', id: 8, result: {} });
    const unknown = await post(rig.url, { jsonrpc: '2.0', id: 9, method: 'no/such' }, headers);
    expect(unknown.status).toBe(200);
    expect(unknown.json).toMatchObject({ id: 9, error: { code: -32601 } });
    const sampled = await post(rig.url, { jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'sample', arguments: {} } }, headers);
    expect(sampled.json).toMatchObject({ id: 10, error: { code: -32603, data: { upstream: { resultType: 'input_required' } } } });
    const get = await request(rig.url, { method: 'GET', headers: { ...headers, accept: 'text/event-stream' } });
    await get.body.text();
    expect(get.statusCode).toBe(405);

    const deleted = await request(rig.url, { method: 'DELETE', headers });
    await deleted.body.text();
    expect(deleted.statusCode).toBe(200);
    expect((await post(rig.url, call, headers)).status).toBe(404);
  });
});

describe('learning the era', () => {
  test('an odd 400 from an upstream that serves modern requests teaches nothing: the next requests are relayed as they are', async () => {
    rig = await startRig();
    const cid = 'psc_b000000000000006';
    // No client capabilities: the upstream refuses with -32602, which is no modern error code.
    const odd = { jsonrpc: '2.0', id: nextId++, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.proxyspec/cid': cid } } };
    expect((await post(rig.url, odd, { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' })).status).toBe(400);
    const sample = modern('tools/call', { name: 'sample', arguments: {} }, cid);
    // Relayed as is: the upstream's own input_required, which a bridge would never make.
    expect((await post(rig.url, sample.body, sample.headers)).json).toMatchObject({ result: { resultType: 'input_required' } });
    expect(methodsReceived(rig, cid)).not.toContain('initialize');
  });
});

describe('the Mcp-Name a bridge writes', () => {
  test('plain visible ASCII as it is; anything else, and anything shaped like the sentinel, in the Base64 sentinel form', async () => {
    const { encodedHeaderValue } = await import('../src/protocol/mirrored.ts');
    expect(encodedHeaderValue('echo')).toBe('echo');
    expect(encodedHeaderValue('échec')).toBe(`=?base64?${Buffer.from('échec').toString('base64')}?=`);
    expect(encodedHeaderValue('=?base64?abc?=')).toBe(`=?base64?${Buffer.from('=?base64?abc?=').toString('base64')}?=`);
    expect(encodedHeaderValue(' padded ')).not.toBe(' padded ');
  });
});
