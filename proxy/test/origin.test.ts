/** DNS rebinding: which Origins and Host names the proxy serves, on loopback and off it. */
import { afterEach, describe, expect, test } from 'vitest';
import { request } from 'undici';
import { createOriginPolicy, isLoopbackName } from '../src/policy/origin.ts';
import { parseConfig } from '../src/index.ts';
import { initializeMessage, post, startRig, type Rig } from './helpers.ts';

const security = (raw: Record<string, unknown> = {}) => parseConfig({ upstream: { url: 'http://127.0.0.1:9/mcp' }, security: raw }).security;

describe('the origin policy', () => {
  test('on loopback: loopback Origins on any port are served, the proxy\'s own among them; foreign ones and `null` are not', () => {
    const policy = createOriginPolicy(security(), '127.0.0.1');
    for (const ok of ['http://127.0.0.1:8080', 'http://localhost', 'http://localhost:3000', 'https://[::1]:8443', 'http://127.0.0.5:1']) expect(policy.originAllowed(ok), ok).toBe(true);
    for (const bad of ['https://evil.example', 'http://localhost.evil.example', 'http://127.0.0.1.evil.example:8080', 'null', 'file://', 'chrome-extension://abc']) expect(policy.originAllowed(bad), bad).toBe(false);
  });

  test('on loopback: a Host that is not a loopback name (a rebinding page\'s GET) is refused; configured names are served', () => {
    const policy = createOriginPolicy(security(), '127.0.0.1');
    for (const ok of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080', 'localhost', undefined]) expect(policy.hostAllowed(ok), String(ok)).toBe(true);
    for (const bad of ['evil.example:8080', 'attacker.invalid', '10.0.0.1:8080']) expect(policy.hostAllowed(bad), bad).toBe(false);
    const named = createOriginPolicy(security({ allowedHosts: ['mcp.internal'] }), '127.0.0.1');
    expect(named.hostAllowed('mcp.internal:8080')).toBe(true);
    expect(named.hostAllowed('127.0.0.1:8080')).toBe(false);
  });

  test('off loopback: only the listed Origins, and any Host unless hosts are listed; loopbackOrigins: false restores a strict list', () => {
    const open = createOriginPolicy(security({ allowedOrigins: ['https://app.example'] }), '0.0.0.0');
    expect(open.originAllowed('https://app.example')).toBe(true);
    expect(open.originAllowed('http://localhost:3000')).toBe(false);
    expect(open.hostAllowed('mcp.example.com')).toBe(true);
    expect(createOriginPolicy(security({ loopbackOrigins: false }), '127.0.0.1').originAllowed('http://127.0.0.1:8080')).toBe(false);
    expect(isLoopbackName('127.0.0.1')).toBe(true);
  });
});

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('on the wire', () => {
  test('the proxy\'s own Origin is served, a foreign one gets 403, and so does a foreign Host without an Origin', async () => {
    rig = await startRig();
    const own = new URL(rig.url).origin;
    expect((await post(rig.url, initializeMessage(), { origin: own })).status).toBe(200);
    expect((await post(rig.url, initializeMessage(), { origin: 'https://evil.example' })).status).toBe(403);
    const rebound = await request(rig.url, { method: 'GET', headers: { host: `rebound.example:${new URL(rig.url).port}`, accept: 'text/event-stream' } });
    expect(rebound.statusCode).toBe(403);
    expect(await rebound.body.json()).toMatchObject({ error: { code: -31045 } });
  });
});
