/** The reference proxy's resilience on its own: failover to a backup upstream, and the circuit breaker. */
import { afterEach, describe, expect, test } from 'vitest';
import { Recorder, startHttpUpstream, type HttpUpstream } from '../../mocks/upstream/index.ts';
import { FAULT_META_KEY } from '../../wire/index.ts';
import { buildProxy, parseConfig, type ProxyApp, type ProxyConfigInput } from '../src/index.ts';
import { initializeMessage, post } from './helpers.ts';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function rig(upstreamConfig: (primary: HttpUpstream, backup: HttpUpstream) => Partial<ProxyConfigInput['upstream']>, era: 'dual' | 'legacy' = 'dual') {
  const recorder = new Recorder();
  const primary = await startHttpUpstream({ recorder, name: 'primary', era });
  const backup = await startHttpUpstream({ recorder, name: 'backup' });
  const config = parseConfig({ logging: { level: 'silent' }, upstream: { url: primary.url, ...upstreamConfig(primary, backup) } });
  const proxy: ProxyApp = await buildProxy(config);
  const url = `${await proxy.listen({ port: 0, host: '127.0.0.1' })}/mcp`;
  open.push({ close: async () => (await proxy.shutdown(), await primary.close(), await backup.close()) });
  return { url, primary, backup, recorder };
}

const call = (id: string, meta: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { id }, _meta: meta } });
const methodsOn = (recorder: Recorder, upstream: string) =>
  recorder
    .query({ upstream, direction: 'in' })
    .map((r) => (JSON.parse(Buffer.from(r.bodyBase64, 'base64').toString('utf8') || 'null') as { method?: string } | null)?.method)
    .filter(Boolean);

describe('failover', () => {
  test('when the primary is gone, the session moves to the backup with the client\'s own initialize and the call is answered there', async () => {
    const { url, primary, recorder } = await rig((_p, b) => ({ backups: b.url }));
    const init = await post(url, initializeMessage('init-1'));
    const session = init.headers['mcp-session-id'] as string;
    await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': session });
    await primary.kill();
    const answer = await post(url, call('after-kill'), { 'mcp-session-id': session });
    expect(answer.status).toBe(200);
    expect(answer.json.result.structuredContent).toEqual({ id: 'after-kill' });
    expect(answer.headers['mcp-session-id']).toBe(session);
    expect(methodsOn(recorder, 'backup')).toEqual(['initialize', 'notifications/initialized', 'tools/call']);
    const replayed = recorder.query({ upstream: 'backup', direction: 'in' })[0];
    expect(JSON.parse(Buffer.from(replayed.bodyBase64, 'base64').toString('utf8'))).toEqual(initializeMessage('init-1'));
  });

  test('a backup list may be one comma-separated string (as an environment variable gives it)', () => {
    const config = parseConfig({ upstream: { url: 'http://127.0.0.1:1/mcp', backups: 'http://127.0.0.1:2/mcp, http://127.0.0.1:3/mcp' } });
    expect('url' in config.upstream && config.upstream.backups).toEqual(['http://127.0.0.1:2/mcp', 'http://127.0.0.1:3/mcp']);
    expect(() => parseConfig({ upstream: { url: 'http://127.0.0.1:1/mcp', backups: 'not a url' } })).toThrow(/backups/);
  });
});

describe('circuit breaker', () => {
  test('after the configured failures in a row it refuses with 503 without calling the upstream, then a probe closes it', async () => {
    const { url, recorder } = await rig(() => ({ breaker: { failures: 2, openMs: 300 } }));
    const session = (await post(url, initializeMessage())).headers['mcp-session-id'] as string;
    const headers = { 'mcp-session-id': session };
    for (const id of ['f1', 'f2']) expect((await post(url, call(id, { [FAULT_META_KEY]: 'reset' }), headers)).status).toBe(502);
    const calls = () => methodsOn(recorder, 'primary').filter((m) => m === 'tools/call').length;
    const before = calls();
    const refused = await post(url, call('while-open'), headers);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json).toMatchObject({ id: 'while-open', error: { code: -31053, data: { source: 'proxyspec-reference-proxy' } } });
    expect(calls()).toBe(before);
    await new Promise((r) => setTimeout(r, 350));
    expect((await post(url, call('probe'), headers)).status).toBe(200);
    expect((await post(url, call('closed'), headers)).status).toBe(200);
    expect(calls()).toBe(before + 2);
  });

  // A bridge opens and ends a legacy session around each call: those successes are its own, and must not reset the calls' failures in a row.
  test('in front of a legacy upstream, a 2026-07-28 client\'s failing calls open the circuit too', async () => {
    const { url, recorder } = await rig(() => ({ breaker: { failures: 2, openMs: 300 }, era: 'legacy' }), 'legacy');
    const modern = (id: string, fault?: string) => {
      const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}, ...(fault && { [FAULT_META_KEY]: fault }) };
      return [{ ...call(id), params: { ...call(id).params, _meta: meta } }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' }] as const;
    };
    for (const id of ['m1', 'm2']) expect((await post(url, ...modern(id, 'reset'))).status).toBe(502);
    const reached = () => recorder.query({ upstream: 'primary', direction: 'in' }).length;
    const before = reached();
    const refused = await post(url, ...modern('while-open'));
    expect(refused.status).toBe(503);
    expect(refused.json).toMatchObject({ id: 'while-open', error: { code: -31053 } });
    expect(reached()).toBe(before);
    await new Promise((r) => setTimeout(r, 350));
    expect((await post(url, ...modern('probe'))).json).toMatchObject({ id: 'probe', result: { resultType: 'complete' } });
  });
});
