/**
 * The stdio bridge in front of servers of either era, with 2026-07-28 clients: it asks the server its
 * era once (server/discover) and bridges a legacy one, as the HTTP route does; a server that speaks
 * 2026-07-28 gets the requests as they are.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { request } from 'undici';
import { buildProxy, parseConfig, type ProxyApp } from '../src/index.ts';
import { post } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/proxyspec.js', import.meta.url));
const VERSION = '2026-07-28';
const apps: ProxyApp[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.shutdown()));
});

async function bridgeTo(server: string): Promise<string> {
  const config = parseConfig({ logging: { level: 'silent' }, upstream: { command: `"${process.execPath}" "${BIN}" mock upstream --stdio ${server}`, timeoutMs: 10_000 } });
  const app = await buildProxy(config);
  apps.push(app);
  return `${await app.listen({ port: 0, host: '127.0.0.1' })}/mcp`;
}

let nextId = 1;
function modern(url: string, method: string, params: Record<string, unknown> = {}, options: { version?: string; capabilities?: Record<string, unknown> } = {}) {
  const version = options.version ?? VERSION;
  const body = { jsonrpc: '2.0', id: nextId++, method, params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': version, 'io.modelcontextprotocol/clientCapabilities': options.capabilities ?? {} } } };
  const headers: Record<string, string> = { 'mcp-protocol-version': version, 'mcp-method': method, accept: 'application/json, text/event-stream' };
  if (typeof params.name === 'string') headers['mcp-name'] = params.name;
  return post(url, body, headers).then((res) => ({ ...res, id: body.id }));
}

describe.each([
  ['the mock in the legacy era', '--era legacy', 'proxyspec-mock-upstream'],
  ['the TypeScript SDK v1 server', '--server sdk-v1', 'proxyspec-sdk-v1-upstream'],
])('in front of %s', (_name, server, serverName) => {
  let url: string;
  test('server/discover is answered in full from the legacy initialize, naming 2026-07-28', async () => {
    url = await bridgeTo(server);
    const res = await modern(url, 'server/discover');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: res.id, result: { supportedVersions: [VERSION], capabilities: { tools: {} }, resultType: 'complete', ttlMs: 0, cacheScope: 'private', _meta: { 'io.modelcontextprotocol/serverInfo': { name: serverName } } } });
  });

  test('results get resultType, and lists their cache hints', async () => {
    const call = await modern(url, 'tools/call', { name: 'echo', arguments: { a: 1 } });
    expect(call.json).toMatchObject({ id: call.id, result: { structuredContent: { a: 1 }, resultType: 'complete' } });
    const list = await modern(url, 'tools/list');
    expect(list.json).toMatchObject({ id: list.id, result: { resultType: 'complete', ttlMs: 0, cacheScope: 'private' } });
    expect((list.json as { result: { tools: unknown[] } }).result.tools.length).toBeGreaterThan(5);
  });

  test('a method 2026-07-28 removed is 404 with -32601, another version 400 with -32022', async () => {
    for (const method of ['ping', 'logging/setLevel', 'resources/subscribe']) {
      const res = await modern(url, method);
      expect(res.status, method).toBe(404);
      expect(res.json).toMatchObject({ id: res.id, error: { code: -32601 } });
    }
    const old = await modern(url, 'tools/list', {}, { version: '2099-01-01' });
    expect(old.status).toBe(400);
    expect(old.json).toMatchObject({ id: old.id, error: { code: -32022, data: { supported: [VERSION], requested: '2099-01-01' } } });
  });

  test('subscriptions/listen holds a legacy session of its own: acknowledged first, with the subscription\'s id, and the session ends with the stream', async () => {
    const body = { jsonrpc: '2.0', id: 'listen-1', method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true }, _meta: { 'io.modelcontextprotocol/protocolVersion': VERSION, 'io.modelcontextprotocol/clientCapabilities': {} } } };
    const controller = new AbortController();
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': VERSION, 'mcp-method': 'subscriptions/listen' }, body: JSON.stringify(body), signal: controller.signal });
    expect(res.statusCode).toBe(200);
    const first = await new Promise<string>((resolve) => res.body.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8'))));
    const ack = JSON.parse(first.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
    expect(ack).toMatchObject({ method: 'notifications/subscriptions/acknowledged', params: { _meta: { 'io.modelcontextprotocol/subscriptionId': 'listen-1' } } });
    controller.abort();
    await res.body.dump().catch(() => undefined);
  });

  test('a call whose server asks for sampling the client did not declare is refused with -32021', async () => {
    const res = await modern(url, 'tools/call', { name: 'sample', arguments: { prompt: 'hi' } });
    const messages = res.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
    const answers = [...messages, ...(res.json ? [res.json] : [])].filter((m) => m.id === res.id);
    expect(answers).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: -32021, data: { requiredCapabilities: { sampling: {} } } }) })]);
    // No request of the server's reaches the client.
    expect(messages.filter((m) => m.method === 'sampling/createMessage')).toEqual([]);
  });
});

test('in front of a server that speaks 2026-07-28, nothing is bridged: its own answers come through', async () => {
  const url = await bridgeTo('');
  const res = await modern(url, 'server/discover');
  expect(res.json).toMatchObject({ id: res.id, result: { supportedVersions: [VERSION], cacheScope: 'public', _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'proxyspec-mock-upstream' } } } });
  // ping is the server's to refuse: a legacy bridge would have said "has no ping".
  const ping = await modern(url, 'ping');
  expect(ping.status).toBe(404);
  expect(JSON.stringify(ping.json)).not.toContain('has no ping');
});
