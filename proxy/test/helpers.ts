/** Test helpers: the proxy in front of a real mock upstream, both on port 0. */
import { request } from 'undici';
import { Recorder, startHttpUpstream, type HttpUpstream, type UpstreamEra } from '../../mocks/upstream/index.ts';
import { buildProxy, parseConfig, type ProxyApp, type ProxyConfigInput } from '../src/index.ts';

export interface Rig {
  proxy: ProxyApp;
  url: string;
  upstream: HttpUpstream;
  recorder: Recorder;
  close(): Promise<void>;
}

/** `era` narrows the mock upstream to one era (default: both). */
export async function startRig(overrides: (upstreamUrl: string) => Partial<ProxyConfigInput> = () => ({}), era: UpstreamEra = 'dual'): Promise<Rig> {
  const recorder = new Recorder();
  const upstream = await startHttpUpstream({ recorder, era });
  const config = parseConfig({ listen: { port: 0 }, logging: { level: 'silent' }, upstream: { url: upstream.url }, ...overrides(upstream.url) });
  const proxy = await buildProxy(config);
  const address = await proxy.listen({ port: 0, host: '127.0.0.1' });
  return {
    proxy,
    url: `${address}/mcp`,
    upstream,
    recorder,
    async close() {
      await proxy.shutdown();
      await upstream.close();
    },
  };
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

export const initializeMessage = (id: string | number = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
});

export async function openSession(url: string): Promise<string> {
  const res = await post(url, initializeMessage());
  return res.headers['mcp-session-id'] as string;
}
