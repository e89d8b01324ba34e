/** The client's credentials stay on the client↔proxy hop: no bearer token ever reaches the upstream. */
import { placesCarrying, scenario, type ScenarioContext } from '../../harness/src/index.ts';

const AUTHORIZATION = 'boundary/authorization-not-forwarded';

scenario('A proxy MUST NOT forward the client\'s Authorization header upstream', [AUTHORIZATION], async (t: ScenarioContext) => {
  const cid = t.cid();
  const token = `proxyspec-client-token-${cid}`;
  const client = t.client({ headers: { ...t.ctx.target.headers, authorization: `Bearer ${token}` } });
  const init = await client.initialize({ cid });
  if (init.exchange.status === 401 || init.exchange.status === 403) {
    // A proxy that authenticates refuses a made-up token: then nothing it forwarded can carry it.
    const leaked = (await t.upstream.received(cid)).some((r) => JSON.stringify(r.headers ?? {}).includes(token));
    return t.judge(AUTHORIZATION, !leaked, {
      seen: { 'refusal of the made-up token': 1 },
      message: leaked ? 'the proxy refused the token but still forwarded it upstream' : `the proxy refused the unknown token (HTTP ${init.exchange.status}) and forwarded nothing with it`,
      expected: 'the token never reaches the upstream',
    });
  }
  if (!init.response || !('result' in init.response)) {
    return t.block(AUTHORIZATION, 'could not open a session through the target, so nothing was forwarded to look at', `HTTP ${init.exchange.status || init.exchange.outcome}`);
  }
  await client.callTool('echo', { cid }, { cid });
  const records = await t.upstream.received(cid);
  const leaks = placesCarrying(records, token);
  if (records.length === 0) {
    return t.block(AUTHORIZATION, 'nothing reached the upstream, so forwarding cannot be judged', 'no upstream record carries the correlation id');
  }
  t.judge(AUTHORIZATION, leaks.length === 0, {
    seen: { 'upstream requests': records.length },
    message: leaks.length ? 'the client\'s bearer token reached the upstream' : `${records.length} upstream requests carried no trace of the client's token`,
    expected: 'no Authorization header (nor the token anywhere) on the upstream leg',
    observed: leaks.join('; ') || undefined,
  });
});
