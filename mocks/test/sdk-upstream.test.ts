/** The mock's tools on the TypeScript SDK v1 server, over Streamable HTTP, recorded as the mock records. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { request } from 'undici';
import { HTTP_STATUS_META_KEY } from '../../wire/index.ts';
import { Recorder, startSdkHttpUpstream, type HttpUpstream } from '../upstream/index.ts';

const recorder = new Recorder();
let upstream: HttpUpstream;
beforeAll(async () => {
  upstream = await startSdkHttpUpstream({ recorder });
});
afterAll(async () => {
  await upstream.close();
});

async function post(body: unknown, headers: Record<string, string> = {}) {
  const res = await request(upstream.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(body) });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

test('a session of the SDK server: initialize, a call with progress on its stream, every message recorded; DELETE ends it', async () => {
  const cid = 'psc_5d4a000000000001';
  const init = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
  expect(init.status).toBe(200);
  const sid = init.headers['mcp-session-id'] as string;
  expect(init.text).toContain('proxyspec-sdk-v1-upstream');
  expect(recorder.sessions()).toEqual([sid]);
  const headers = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
  expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, headers)).status).toBe(202);
  const call = await post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'progress', arguments: { count: 2, intervalMs: 0, cid }, _meta: { progressToken: cid } } }, headers);
  expect(call.text.match(/notifications\/progress/g)).toHaveLength(2);
  const out = recorder.query({ cid, direction: 'out' }).map((r) => JSON.parse(Buffer.from(r.bodyBase64, 'base64').toString('utf8')));
  expect(out.map((m) => m.method ?? 'result')).toEqual(['notifications/progress', 'notifications/progress']);
  expect(recorder.query({ cid, direction: 'in' })).toHaveLength(1);
  // A thrown tool error is an isError result on this server, as McpServer makes it.
  const error = await post({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'error', arguments: { code: -32050 } } }, headers);
  expect(error.text).toContain('"isError":true');
  // The wire faults a scenario scripts are the harness's, applied before the SDK sees the request.
  const scripted = await post({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'echo', arguments: {}, _meta: { [HTTP_STATUS_META_KEY]: 418 } } }, headers);
  expect(scripted.status).toBe(418);
  expect(scripted.text).toContain('scripted HTTP 418');
  const unknown = await post({ jsonrpc: '2.0', id: 4, method: 'tools/list' }, { 'mcp-session-id': 'no-such-session', 'mcp-protocol-version': '2025-11-25' });
  expect(unknown.status).toBe(404);
  const del = await request(upstream.url, { method: 'DELETE', headers });
  await del.body.dump();
  expect(del.statusCode).toBe(200);
  expect(recorder.sessions()).toEqual([]);
});
