/** The reference proxy's operator features on their own: policy, rate limits, metrics, audit trail, readiness. */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { request } from 'undici';
import { SSE_META_KEY } from '../../wire/index.ts';
import { waitUntil } from '../../harness/src/record/wait.ts';
import { initializeMessage, post, startRig, type Rig } from './helpers.ts';

const rigs: Rig[] = [];
afterEach(async () => {
  await Promise.all(rigs.splice(0).map((r) => r.close()));
});
async function rig(overrides: Parameters<typeof startRig>[0]) {
  const r = await startRig(overrides);
  rigs.push(r);
  return r;
}
const origin = (url: string) => new URL(url).origin;

describe('policy', () => {
  test('a denied tool gets 403 and a JSON-RPC error without reaching the upstream; tools/list leaves it out, as JSON and as SSE', async () => {
    const { url, recorder } = await rig(() => ({ policy: { deniedTools: ['restricted'] } }));
    const session = (await post(url, initializeMessage())).headers['mcp-session-id'] as string;
    const headers = { 'mcp-session-id': session };
    const denied = await post(url, { jsonrpc: '2.0', id: 'd', method: 'tools/call', params: { name: 'restricted', arguments: {} } }, { ...headers, 'mcp-name': 'echo' });
    expect(denied.status).toBe(403);
    expect(denied.json).toMatchObject({ id: 'd', error: { code: -31044 } });
    expect(recorder.query({ direction: 'in' }).some((r) => Buffer.from(r.bodyBase64, 'base64').toString().includes('"restricted"'))).toBe(false);
    for (const meta of [{}, { [SSE_META_KEY]: true }]) {
      const list = await post(url, { jsonrpc: '2.0', id: 'l', method: 'tools/list', params: { _meta: meta } }, headers);
      // As SSE, the answer follows a priming event with empty data.
      const body = list.json ?? JSON.parse([...list.text.matchAll(/^data: (.+)$/gm)].at(-1)![1]);
      const names = body.result.tools.map((t: { name: string }) => t.name);
      expect(names).toContain('echo');
      expect(names).not.toContain('restricted');
    }
  });
});

describe('rate limit', () => {
  test('over the limit of its subject a client gets 429 with Retry-After and a JSON-RPC error with the id', async () => {
    const { url } = await rig(() => ({ rateLimit: { default: { requests: 2, windowMs: 60_000 } } }));
    const session = (await post(url, initializeMessage())).headers['mcp-session-id'] as string;
    const call = (id: string) => post(url, { jsonrpc: '2.0', id, method: 'ping' }, { 'mcp-session-id': session });
    expect((await call('a')).status).toBe(200);
    const refused = await call('b');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json).toMatchObject({ id: 'b', error: { code: -31043 } });
  });

  test('health and metrics are never limited', async () => {
    const { url } = await rig(() => ({ rateLimit: { default: { requests: 1, windowMs: 60_000 } } }));
    for (let i = 0; i < 3; i++) expect((await request(`${origin(url)}/healthz`)).statusCode).toBe(200);
  });
});

describe('metrics and audit', () => {
  test('requests are counted by method and outcome, and each is one audit line without the token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'proxyspec-audit-'));
    const file = join(dir, 'audit.log');
    const { url } = await rig(() => ({ audit: { file } }));
    const session = (await post(url, initializeMessage(), { authorization: 'Bearer not-forwarded-and-not-logged' })).headers['mcp-session-id'] as string;
    await post(url, { jsonrpc: '2.0', id: 'e', method: 'tools/call', params: { name: 'echo', arguments: {} } }, { 'mcp-session-id': session });
    await post(url, { jsonrpc: '2.0', id: 'x', method: 'ping' }, { 'mcp-session-id': 'unknown' });
    const text = await (await request(`${origin(url)}/metrics`)).body.text();
    expect(text).toMatch(/mcp_proxy_requests_total\{method="tools\/call",outcome="ok"\} 1/);
    expect(text).toMatch(/mcp_proxy_requests_total\{method="ping",outcome="refused"\} 1/);
    expect(text).toMatch(/mcp_proxy_sessions_open 1/);
    // Written in a batch within flushMs (200 ms by default).
    const lines = (await waitUntil(() => readFile(file, 'utf8'), (t) => t.trim().split('\n').length >= 3, 5000)).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.method, l.status, l.outcome])).toEqual([
      ['initialize', 200, 'ok'],
      ['tools/call', 200, 'ok'],
      ['ping', 404, 'refused'],
    ]);
    expect(lines[1]).toMatchObject({ session, tool: 'echo' });
    expect(lines[2].reason).toBe('Session not found');
    expect(JSON.stringify(lines)).not.toContain('not-forwarded-and-not-logged');
  });

  test('audit entries wait in a batch, off the request path, and every one is written when the proxy shuts down', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'proxyspec-audit-'));
    const file = join(dir, 'audit.log');
    const r = await startRig(() => ({ audit: { file, flushMs: 60_000 } }));
    const session = (await post(r.url, initializeMessage())).headers['mcp-session-id'] as string;
    for (let i = 0; i < 5; i++) await post(r.url, { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'echo', arguments: {} } }, { 'mcp-session-id': session });
    // Six entries, far under 4 KB, and a minute before the next batch: none written yet.
    expect(await readFile(file, 'utf8').catch(() => '')).toBe('');
    await r.close();
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.method)).toEqual(['initialize', ...Array(5).fill('tools/call')]);
  });
});

describe('readiness', () => {
  test('not ready while the upstream is down, ready again once it is back', async () => {
    const r = await rig(() => ({}));
    const ready = async () => (await request(`${origin(r.url)}/readyz`)).statusCode;
    expect(await ready()).toBe(200);
    await r.upstream.kill();
    await new Promise((res) => setTimeout(res, 1100));
    expect(await ready()).toBe(503);
    expect((await request(`${origin(r.url)}/healthz`)).statusCode).toBe(200);
    await r.upstream.restart({ keepSessions: true });
    await new Promise((res) => setTimeout(res, 1100));
    expect(await ready()).toBe(200);
  });
});
