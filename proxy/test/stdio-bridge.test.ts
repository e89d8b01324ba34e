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
  if (typeof params.name === 'string' || typeof params.uri === 'string') headers['mcp-name'] = String(params.name ?? params.uri);
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

  test('subscriptions/listen is acknowledged first, with the subscription\'s id', async () => {
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

describe('the processes a stdio bridge keeps between 2026-07-28 requests', () => {
  /** The bridge in front of the legacy mock, with every process it starts numbered, and each request's method noted with the number of the process it went to. */
  async function pooledBridge(pool: Record<string, number> = {}) {
    const served: Array<{ process: number; method: string; tool?: string }> = [];
    let started = 0;
    const config = parseConfig({ logging: { level: 'silent' }, upstream: { command: `"${process.execPath}" "${BIN}" mock upstream --stdio --era legacy`, era: 'legacy', timeoutMs: 10_000, pool } });
    const app = await buildProxy(config, {
      connector: (built) => ({
        ...built,
        open: () => {
          const session = built.open();
          const number = ++started;
          return {
            ...session,
            post: (body, headers, info, gone, options) => {
              const message = JSON.parse(body.toString('utf8')) as { method?: string; params?: { name?: string } };
              if (message.method) served.push({ process: number, method: message.method, tool: message.params?.name });
              return session.post(body, headers, info, gone, options);
            },
          };
        },
      }),
    });
    apps.push(app);
    const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/mcp`;
    const processOf = (tool: string) => served.filter((s) => s.tool === tool).map((s) => s.process);
    return { url, served, processOf, started: () => started };
  }

  test('a client\'s requests share a process, one at a time; other capabilities get another, and so does a request made while the first is busy', async () => {
    const { url, served, processOf } = await pooledBridge();
    await modern(url, 'tools/call', { name: 'echo', arguments: { n: 1 } });
    await modern(url, 'tools/call', { name: 'add', arguments: { a: 1, b: 2 } });
    expect(processOf('echo')).toHaveLength(1);
    expect(processOf('add')).toEqual(processOf('echo'));
    // One initialize for both: the second request found the session kept.
    expect(served.filter((s) => s.method === 'initialize')).toHaveLength(1);
    await modern(url, 'tools/call', { name: 'large', arguments: { bytes: 10 } }, { capabilities: { sampling: {} } });
    expect(processOf('large')).toHaveLength(1);
    expect(processOf('large')).not.toEqual(processOf('echo'));
    // Two at once: the kept process serves one of them, and the other gets a process of its own.
    const [a, b] = await Promise.all([modern(url, 'tools/call', { name: 'slow', arguments: { ms: 300 } }), modern(url, 'tools/call', { name: 'slow', arguments: { ms: 300 } })]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(new Set(processOf('slow')).size).toBe(2);
  });

  test('a call whose client left is not given to the next request: its process ends', async () => {
    const { url, processOf } = await pooledBridge();
    await modern(url, 'tools/call', { name: 'echo', arguments: {} });
    const controller = new AbortController();
    const body = { jsonrpc: '2.0', id: 'cut', method: 'tools/call', params: { name: 'progress', arguments: { count: 50, intervalMs: 50 }, _meta: { 'io.modelcontextprotocol/protocolVersion': VERSION, 'io.modelcontextprotocol/clientCapabilities': {}, progressToken: 'p' } } };
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/call', 'mcp-name': 'progress' }, body: JSON.stringify(body), signal: controller.signal });
    await new Promise((resolve) => res.body.once('data', resolve));
    controller.abort();
    await res.body.dump().catch(() => undefined);
    expect(processOf('progress')).toEqual(processOf('echo'));
    await modern(url, 'tools/call', { name: 'add', arguments: { a: 1, b: 1 } });
    expect(processOf('add')).toHaveLength(1);
    expect(processOf('add')).not.toEqual(processOf('progress'));
  });

  test('a subscription hears the tool list change a call of the same principal makes in another process', async () => {
    const { url, processOf } = await pooledBridge();
    const body = { jsonrpc: '2.0', id: 'listen-pool', method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true }, _meta: { 'io.modelcontextprotocol/protocolVersion': VERSION, 'io.modelcontextprotocol/clientCapabilities': {} } } };
    const controller = new AbortController();
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': VERSION, 'mcp-method': 'subscriptions/listen' }, body: JSON.stringify(body), signal: controller.signal });
    const events: Array<Record<string, any>> = [];
    let text = '';
    const heard = new Promise<void>((resolve) =>
      res.body.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        events.splice(0, events.length, ...text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6))));
        if (events.length >= 2) resolve();
      }),
    );
    const call = await modern(url, 'tools/call', { name: 'notify', arguments: { change: 'tools' } });
    expect(call.status).toBe(200);
    await heard;
    expect(events[0]).toMatchObject({ method: 'notifications/subscriptions/acknowledged', params: { notifications: { toolsListChanged: true } } });
    expect(events[1]).toMatchObject({ method: 'notifications/tools/list_changed', params: { _meta: { 'io.modelcontextprotocol/subscriptionId': 'listen-pool' } } });
    expect(processOf('notify')).toHaveLength(1);
    controller.abort();
    await res.body.dump().catch(() => undefined);
  });

  test('maxIdle 0 keeps nothing: a process per request, as before the pool', async () => {
    const { url, processOf } = await pooledBridge({ maxIdle: 0, spare: 0 });
    await modern(url, 'tools/call', { name: 'echo', arguments: {} });
    await modern(url, 'tools/call', { name: 'add', arguments: { a: 1, b: 1 } });
    expect(processOf('echo')).toHaveLength(1);
    expect(processOf('add')).not.toEqual(processOf('echo'));
  });
});

test('a resource the legacy server does not have is -32602, naming the uri; inputResponses that are no object are refused before any process', async () => {
  const server = fileURLToPath(new URL('./fixtures/legacy-no-resources.mjs', import.meta.url));
  const app = await buildProxy(parseConfig({ logging: { level: 'silent' }, upstream: { command: `"${process.execPath}" "${server}"`, era: 'legacy', timeoutMs: 10_000 } }));
  apps.push(app);
  const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/mcp`;
  const missing = await modern(url, 'resources/read', { uri: 'test://nowhere' });
  expect(missing.json).toMatchObject({ id: missing.id, error: { code: -32602, data: { uri: 'test://nowhere' } } });
  const bad = await modern(url, 'tools/call', { name: 'echo', arguments: {}, inputResponses: null });
  expect(bad.status).toBe(400);
  expect(bad.json).toMatchObject({ id: bad.id, error: { code: -32602 } });
});

describe('a stdio server of 2026-07-28, shared by the requests of a principal', () => {
  /** The proxy in front of the mock's 2026-07-28 stdio server, counting the processes it starts. */
  async function sharedServer() {
    let started = 0;
    const config = parseConfig({ logging: { level: 'silent' }, upstream: { command: `"${process.execPath}" "${BIN}" mock upstream --stdio --era modern`, era: 'modern', timeoutMs: 10_000 } });
    const app = await buildProxy(config, { connector: (built) => ({ ...built, open: () => (started++, built.open()) }) });
    apps.push(app);
    return { url: `${await app.listen({ port: 0, host: '127.0.0.1' })}/mcp`, started: () => started };
  }

  /** A request with an id and a progress token of the test's choosing, as two clients may both choose them. */
  function send(url: string, id: unknown, method: string, params: Record<string, unknown>, meta: Record<string, unknown> = {}) {
    const body = { jsonrpc: '2.0', id, method, params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': VERSION, 'io.modelcontextprotocol/clientCapabilities': {}, ...meta } } };
    const headers: Record<string, string> = { 'mcp-protocol-version': VERSION, 'mcp-method': method, accept: 'application/json, text/event-stream' };
    if (typeof params.name === 'string') headers['mcp-name'] = params.name;
    return post(url, body, headers);
  }
  const messagesOf = (res: { text: string; json?: unknown }) => (res.json ? [res.json] : res.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)))) as Array<Record<string, any>>;

  test('two clients with the same id and progress token at once: one process, and each gets its own answer and progress under its own id and token', async () => {
    const { url, started } = await sharedServer();
    const [a, b] = await Promise.all([
      send(url, 1, 'tools/call', { name: 'progress', arguments: { count: 2, intervalMs: 100 } }, { progressToken: 'p' }),
      send(url, 1, 'tools/call', { name: 'progress', arguments: { count: 4, intervalMs: 50 } }, { progressToken: 'p' }),
    ]);
    for (const [res, count] of [[a, 2], [b, 4]] as const) {
      const messages = messagesOf(res);
      expect(messages.filter((m) => m.method === 'notifications/progress').map((m) => [m.params.progressToken, m.params.progress, m.params.total])).toEqual(Array.from({ length: count }, (_, i) => ['p', i + 1, count]));
      expect(messages.filter((m) => 'result' in m || 'error' in m)).toEqual([expect.objectContaining({ id: 1, result: expect.objectContaining({ resultType: 'complete' }) })]);
    }
    // One process answered both (the era is told, so no probe started one).
    expect(started()).toBe(1);
  });

  test('calls that set a log level each get their own log messages: they run one at a time on a process of their own, beside the shared one', async () => {
    const { url, started } = await sharedServer();
    const logged = (level: string) => send(url, 1, 'tools/call', { name: 'log', arguments: {} }, { 'io.modelcontextprotocol/logLevel': level });
    const [warning, alert, plain] = await Promise.all([logged('warning'), logged('alert'), send(url, 1, 'tools/call', { name: 'echo', arguments: { x: 1 } })]);
    const levels = (res: { text: string; json?: unknown }) => messagesOf(res).filter((m) => m.method === 'notifications/message').map((m) => m.params.level);
    expect(levels(warning)).toEqual(['warning', 'error', 'critical', 'alert', 'emergency']);
    expect(levels(alert)).toEqual(['alert', 'emergency']);
    expect(levels(plain)).toEqual([]);
    // The shared process and the one for calls with a log level.
    expect(started()).toBe(2);
  });

  test('a subscription on the shared process hears the change a call makes there, under its own id', async () => {
    const { url, started } = await sharedServer();
    const body = { jsonrpc: '2.0', id: 7, method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true }, _meta: { 'io.modelcontextprotocol/protocolVersion': VERSION, 'io.modelcontextprotocol/clientCapabilities': {} } } };
    const controller = new AbortController();
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': VERSION, 'mcp-method': 'subscriptions/listen' }, body: JSON.stringify(body), signal: controller.signal });
    let text = '';
    const events = () => text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
    const heard = (n: number) => new Promise<void>((resolve) => { const check = () => (events().length >= n ? resolve() : undefined); res.body.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); check(); }); check(); });
    await heard(1);
    // Another client, whose call has the same id as the listen.
    const call = await send(url, 7, 'tools/call', { name: 'notify', arguments: {} });
    expect(messagesOf(call).at(-1)).toMatchObject({ id: 7, result: { structuredContent: { delivered: true } } });
    await heard(2);
    expect(events()).toEqual([
      expect.objectContaining({ method: 'notifications/subscriptions/acknowledged', params: expect.objectContaining({ _meta: { 'io.modelcontextprotocol/subscriptionId': 7 } }) }),
      expect.objectContaining({ method: 'notifications/tools/list_changed', params: expect.objectContaining({ _meta: expect.objectContaining({ 'io.modelcontextprotocol/subscriptionId': 7 }) }) }),
    ]);
    expect(started()).toBe(1);
    controller.abort();
    await res.body.dump().catch(() => undefined);
  });
});

test('a call on a new shared process is timed by timeoutMs once the process has answered the proxy\'s own server/discover, not by the allowance for a start', async () => {
  const server = fileURLToPath(new URL('./fixtures/modern-never-answers-calls.mjs', import.meta.url));
  // A start allowance far longer than the client waits: only timeoutMs can end this call in time.
  const app = await buildProxy(parseConfig({ logging: { level: 'silent' }, upstream: { command: `"${process.execPath}" "${server}"`, era: 'modern', timeoutMs: 500, startupTimeoutMs: 120_000 } }));
  apps.push(app);
  const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/mcp`;
  const body = { jsonrpc: '2.0', id: 'hang', method: 'tools/call', params: { name: 'anything', arguments: {}, _meta: { 'io.modelcontextprotocol/protocolVersion': VERSION, 'io.modelcontextprotocol/clientCapabilities': {} } } };
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/call', 'mcp-name': 'anything' }, body: JSON.stringify(body), headersTimeout: 20_000 });
  expect(res.statusCode).toBe(504);
  expect(await res.body.json()).toMatchObject({ id: 'hang', error: { code: -31051 } });
});
