/** The reference proxy with 2026-07-28 clients: requests relayed on their own, headers checked against bodies. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { request } from 'undici';
import { post, startRig, type Rig } from './helpers.ts';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig((upstreamUrl) => ({ policy: { deniedTools: ['restricted'] }, upstream: { url: upstreamUrl } }));
});
afterAll(async () => {
  await rig.close();
});

const VERSION = '2026-07-28';
let nextId = 1;
/** A stateless request and the headers its body calls for. */
function stateless(method: string, params: Record<string, unknown>, cid: string) {
  const body = { jsonrpc: '2.0', id: nextId++, method, params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': VERSION, 'io.modelcontextprotocol/clientCapabilities': {}, 'io.proxyspec/cid': cid } } };
  const headers: Record<string, string> = { 'mcp-protocol-version': VERSION, 'mcp-method': method };
  if (typeof params.name === 'string') headers['mcp-name'] = params.name;
  return { body, headers };
}

describe('the stateless era (2026-07-28)', () => {
  test('a tools/call needs no session: relayed with its mirrored headers, answered without a session id, and nothing kept', async () => {
    const cid = 'psc_2026000000000001';
    const { body, headers } = stateless('tools/call', { name: 'echo', arguments: { cid } }, cid);
    const sessionsBefore = rig.upstream.sessionCount();
    const res = await post(rig.url, body, { ...headers, 'mcp-param-region': 'us-west1' });
    expect(res.status).toBe(200);
    expect(res.headers['mcp-session-id']).toBeUndefined();
    expect(res.json).toMatchObject({ id: body.id, result: { resultType: 'complete', structuredContent: { cid } } });
    const [record] = rig.recorder.query({ cid, direction: 'in' });
    expect(record.sessionId).toBeNull();
    expect(record.headers).toMatchObject({ 'mcp-method': 'tools/call', 'mcp-name': 'echo', 'mcp-param-region': 'us-west1' });
    expect(rig.upstream.sessionCount()).toBe(sessionsBefore);
  });

  test('headers that disagree with the body are refused with 400 and -32020, and the request never reaches the upstream', async () => {
    for (const [i, override] of ([{ 'mcp-name': 'restricted' }, { 'mcp-method': 'tools/list' }, { 'mcp-protocol-version': '2025-11-25' }] as Record<string, string>[]).entries()) {
      const cid = `psc_20260000000001${i}0`;
      const { body, headers } = stateless('tools/call', { name: 'echo', arguments: { cid } }, cid);
      const res = await post(rig.url, body, { ...headers, ...override });
      expect(res.status, JSON.stringify(override)).toBe(400);
      expect(res.json).toMatchObject({ id: body.id, error: { code: -32020, data: { source: 'proxyspec-reference-proxy' } } });
      expect(rig.recorder.query({ cid })).toEqual([]);
    }
  });

  test('policy decides on the body: a denied tool is refused even when the headers name another', async () => {
    const cid = 'psc_2026000000000002';
    const { body, headers } = stateless('tools/call', { name: 'restricted', arguments: { cid } }, cid);
    const refused = await post(rig.url, body, headers);
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: { code: -31044 } });
    // Naming an allowed tool in the header is a mismatch, refused before policy could be fooled.
    const disguised = await post(rig.url, body, { ...headers, 'mcp-name': 'echo' });
    expect(disguised.status).toBe(400);
    expect(rig.recorder.query({ cid })).toEqual([]);
  });

  test('closing the response stream closes the upstream\'s stream for the call', async () => {
    const cid = 'psc_2026000000000003';
    const { body, headers } = stateless('tools/call', { name: 'progress', arguments: { count: 100, intervalMs: 50 } }, cid);
    (body.params._meta as Record<string, unknown>).progressToken = 'p-close';
    const res = await request(rig.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(body) });
    expect(res.headers['content-type']).toBe('text/event-stream');
    await new Promise<void>((resolve) => res.body.once('data', () => resolve()));
    res.body.destroy();
    const closed = () => rig.recorder.query({ cid, direction: 'out' }).some((r) => Buffer.from(r.bodyBase64, 'base64').toString().startsWith('(stream closed by the client'));
    for (let i = 0; i < 300 && !closed(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(closed()).toBe(true);
  });
});
