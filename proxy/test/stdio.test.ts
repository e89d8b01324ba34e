/** The proxy bridging to a stdio upstream: one process per session, answers framed by what the process says. */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { request } from 'undici';
import { buildProxy, parseConfig, type ProxyApp } from '../src/index.ts';
import { initializeMessage, post } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/proxyspec.js', import.meta.url));
let proxy: ProxyApp;
let url: string;

beforeAll(async () => {
  const config = parseConfig({ logging: { level: 'silent' }, upstream: { command: `"${process.execPath}" "${BIN}" mock upstream --stdio`, timeoutMs: 5000 } });
  proxy = await buildProxy(config);
  url = `${await proxy.listen({ port: 0, host: '127.0.0.1' })}/mcp`;
});
afterAll(async () => {
  await proxy.shutdown();
});

test('initialize starts a process; a plain answer comes back as JSON, one with progress as SSE', async () => {
  const init = await post(url, initializeMessage('i'));
  expect(init.status).toBe(200);
  const sid = init.headers['mcp-session-id'] as string;
  expect(init.json).toMatchObject({ id: 'i', result: { serverInfo: { name: 'proxyspec-mock-upstream' } } });
  const echo = await post(url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { a: 1 } } }, { 'mcp-session-id': sid });
  expect(echo.headers['content-type']).toMatch(/application\/json/);
  expect(echo.json).toMatchObject({ id: 2, result: { structuredContent: { a: 1 } } });
  const progress = await post(
    url,
    { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'progress', arguments: { count: 2, intervalMs: 1 }, _meta: { progressToken: 'p' } } },
    { 'mcp-session-id': sid },
  );
  expect(progress.headers['content-type']).toMatch(/text\/event-stream/);
  expect(progress.text.match(/notifications\/progress/g)).toHaveLength(2);
});

test('an unknown MCP-Protocol-Version is refused by the proxy itself (the stdio server has no HTTP)', async () => {
  const init = await post(url, initializeMessage('v'));
  const sid = init.headers['mcp-session-id'] as string;
  const res = await post(url, { jsonrpc: '2.0', id: 4, method: 'ping' }, { 'mcp-session-id': sid, 'mcp-protocol-version': '1999-01-01' });
  expect(res.status).toBe(400);
  expect(res.json).toMatchObject({ id: 4, error: { code: -32600 } });
});

test('DELETE stops the process and ends the session', async () => {
  const init = await post(url, initializeMessage('d'));
  const sid = init.headers['mcp-session-id'] as string;
  const del = await request(url, { method: 'DELETE', headers: { 'mcp-session-id': sid } });
  await del.body.dump();
  expect(del.statusCode).toBe(200);
  expect((await post(url, { jsonrpc: '2.0', id: 5, method: 'ping' }, { 'mcp-session-id': sid })).status).toBe(404);
});

test('messages that name no request go to the one in flight, not to one answered before it', async () => {
  const init = await post(url, initializeMessage('m'));
  const sid = init.headers['mcp-session-id'] as string;
  // Two requests answered, then a third that takes the first one's id again (an id may be used again once answered).
  for (const id of ['again', 'other']) expect((await post(url, { jsonrpc: '2.0', id, method: 'tools/list' }, { 'mcp-session-id': sid })).status).toBe(200);
  // Log messages carry no progress token: only the request in flight can be theirs.
  const logged = await post(url, { jsonrpc: '2.0', id: 'again', method: 'tools/call', params: { name: 'log', arguments: {}, _meta: { 'io.modelcontextprotocol/logLevel': 'alert' } } }, { 'mcp-session-id': sid });
  expect(logged.headers['content-type']).toMatch(/text\/event-stream/);
  expect(logged.text.match(/notifications\/message/g)).toHaveLength(2);
  expect(logged.text).toContain('"id":"again"');
});

test('a stream the proxy makes opens with a priming event (id, retry, empty data) for a 2025-11-25 client, and not for an older one', async () => {
  const init = await post(url, initializeMessage('prime'));
  const sid = init.headers['mcp-session-id'] as string;
  const call = (version: string, id: number) =>
    post(url, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'progress', arguments: { count: 1, intervalMs: 1 }, _meta: { progressToken: `p${id}` } } }, { 'mcp-session-id': sid, 'mcp-protocol-version': version });
  const current = await call('2025-11-25', 10);
  expect(current.headers['content-type']).toMatch(/text\/event-stream/);
  const [first, second] = current.text.split('\n\n');
  expect(first).toMatch(/^id: \d+\nretry: \d+\ndata: $/);
  expect(second).toMatch(/^id: \d+\ndata: \{/);
  const older = await call('2025-06-18', 11);
  expect(older.text.split('\n\n')[0]).toMatch(/^id: \d+\ndata: \{/);
});

test('a 2025-11-25 client that loses a stream the proxy made resumes it with Last-Event-ID: what it missed once, then the answer', async () => {
  const init = await post(url, initializeMessage('resume'));
  const sid = init.headers['mcp-session-id'] as string;
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
  const body = { jsonrpc: '2.0', id: 'long', method: 'tools/call', params: { name: 'progress', arguments: { count: 6, intervalMs: 100 }, _meta: { progressToken: 'r' } } };
  const controller = new AbortController();
  const res = await request(url, { method: 'POST', headers, body: JSON.stringify(body), signal: controller.signal });
  // Read up to the first progress notification, and leave.
  let text = '';
  await new Promise<void>((resolve) =>
    res.body.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('notifications/progress')) resolve();
    }),
  );
  controller.abort();
  await res.body.dump().catch(() => undefined);
  const seen = text.split('\n\n').filter((e) => e.startsWith('id: '));
  const lastId = seen.at(-1)!.match(/^id: (\d+)/)![1]!;
  const resumed = await request(url, { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25', 'last-event-id': lastId } });
  expect(resumed.statusCode).toBe(200);
  const rest = await resumed.body.text();
  const messages = [...text.split('\n\n'), ...rest.split('\n\n')].filter((e) => /^data: ./m.test(e)).map((e) => JSON.parse(e.match(/^data: (.*)$/m)![1]!));
  // Every progress notification once over the two legs, and the answer once, on the resumed stream.
  expect(messages.filter((m) => m.method === 'notifications/progress').map((m) => m.params.progress)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(messages.filter((m) => m.id === 'long')).toEqual([expect.objectContaining({ result: expect.objectContaining({ structuredContent: expect.objectContaining({ sent: 6 }) }) })]);
  expect(rest).toContain('"id":"long"');
});

test("a task's progress, sent after its call was answered with a CreateTaskResult, reaches the GET stream under the call's token", async () => {
  const init = await post(url, initializeMessage('t'));
  const sid = init.headers['mcp-session-id'] as string;
  const headers = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
  const get = await request(url, { method: 'GET', headers: { accept: 'text/event-stream', ...headers } });
  expect(get.statusCode).toBe(200);
  const created = await post(url, { jsonrpc: '2.0', id: 't1', method: 'tools/call', params: { name: 'progress', arguments: { count: 3, intervalMs: 20 }, task: {}, _meta: { progressToken: 'task-token' } } }, headers);
  const taskId = (created.json as { result?: { task?: { taskId?: unknown } } }).result?.task?.taskId;
  expect(typeof taskId).toBe('string');
  let seen = '';
  for await (const chunk of get.body) {
    seen += String(chunk);
    if ((seen.match(/"progressToken":"task-token"/g) ?? []).length >= 3) break;
  }
  get.body.destroy();
  expect((seen.match(/"progressToken":"task-token"/g) ?? []).length).toBe(3);
  expect((await post(url, { jsonrpc: '2.0', id: 't2', method: 'tasks/result', params: { taskId } }, headers)).json).toMatchObject({ id: 't2', result: { _meta: { 'io.modelcontextprotocol/related-task': { taskId } } } });
});
