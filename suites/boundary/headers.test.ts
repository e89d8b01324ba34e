/** Hop-by-hop headers stay on their hop; end-to-end headers cross. Sent with node:http, which lets
 * a client send a Connection header naming other headers. */
import { recordHeader, scenario, type ScenarioContext } from '../../harness/src/index.ts';

const HOP = 'boundary/hop-by-hop-not-forwarded';
const END_TO_END = 'boundary/end-to-end-headers-forwarded';
const HOST = 'boundary/host-is-upstream';

scenario('A proxy MUST NOT forward hop-by-hop headers, MUST send the upstream\'s Host and SHOULD forward end-to-end ones', [HOP, END_TO_END, HOST], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const secret = `proxy-credential-${cid}`;
  const message = { jsonrpc: '2.0', id: `hop-${cid}`, method: 'tools/call', params: client.requestParams({ name: 'echo', arguments: { cid }, _meta: { 'io.proxyspec/cid': cid } }) };
  const body = JSON.stringify(message);
  // The session and version headers of the client's era (and, under 2026-07-28, the mirrored ones).
  const headers: Array<[string, string]> = [
    ['content-type', 'application/json'],
    ['accept', 'application/json, text/event-stream'],
    ...Object.entries(client.headersFor(message)),
    ['proxy-authorization', `Basic ${Buffer.from(`user:${secret}`).toString('base64')}`],
    ['connection', 'keep-alive, x-proxyspec-hop'],
    ['x-proxyspec-hop', `hop-${cid}`],
    ['x-proxyspec-trace', `trace-${cid}`],
  ];
  const exchange = await t.raw('POST', headers, body);
  const record = await t.upstream.receivedRequest(cid, 'tools/call');
  if (!record) {
    const observed = `the call never reached the upstream (HTTP ${exchange.status}${exchange.error ? `, ${exchange.error}` : ''})`;
    for (const id of [HOP, END_TO_END, HOST]) t.block(id, 'the call never reached the upstream, so what it forwarded cannot be judged', observed);
    return;
  }
  const leaks: string[] = [];
  if (recordHeader(record, 'proxy-authorization') !== undefined) leaks.push('Proxy-Authorization');
  if (recordHeader(record, 'x-proxyspec-hop') !== undefined) leaks.push('X-Proxyspec-Hop (named in Connection)');
  if (JSON.stringify(record.headers ?? {}).includes(secret) && !leaks.includes('Proxy-Authorization')) leaks.push('the proxy credential, under another name');
  const seen = { 'call received upstream': 1 };
  t.judge(HOP, leaks.length === 0, {
    seen,
    message: leaks.length ? 'hop-by-hop headers reached the upstream' : 'Proxy-Authorization and the Connection-named header stayed on the client hop',
    expected: 'neither Proxy-Authorization nor X-Proxyspec-Hop upstream',
    observed: leaks.length ? `forwarded: ${leaks.join(', ')}` : undefined,
  });
  const host = recordHeader(record, 'host');
  const upstreamHost = new URL(t.ctx.upstreamUrl).host;
  t.judge(HOST, host === upstreamHost, {
    seen,
    message: host === upstreamHost ? 'the upstream got its own authority as Host' : 'the upstream got a Host that is not its own',
    expected: `host: ${upstreamHost}`,
    observed: host === undefined ? '(absent)' : `host: ${host}`,
  });
  const trace = recordHeader(record, 'x-proxyspec-trace');
  t.judge(END_TO_END, trace === `trace-${cid}`, {
    seen,
    message: trace === `trace-${cid}` ? 'the end-to-end header X-Proxyspec-Trace reached the upstream' : 'the end-to-end header X-Proxyspec-Trace was not forwarded',
    expected: `x-proxyspec-trace: trace-${cid}`,
    observed: trace === undefined ? '(absent)' : trace,
  });
});
