/**
 * Session lifecycle through the proxy: unknown and missing sessions, DELETE, protocol version
 * negotiation and header, and SSE event ids.
 */
import { META, bodyJson, describeCall, errorCodes, recordHeader, scenario, waitUntil, type ScenarioContext } from '../../harness/src/index.ts';

const UNKNOWN = 'session/unknown-session-404';
const MISSING = 'session/missing-session-400';
const DELETE = 'session/delete-ends-session';
const VERSION = 'session/protocol-version-passthrough';
const BAD_VERSION = 'session/unsupported-version-400';
const EVENT_IDS = 'session/sse-event-ids-unique';

scenario('A proxy MUST answer an unknown session with 404 and SHOULD answer a missing one with 400', [UNKNOWN, MISSING], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const unknown = await client.callTool('echo', { cid }, { cid, session: `proxyspec-no-such-session-${cid}` });
  t.judge(UNKNOWN, unknown.exchange.status === 404, {
    seen: { answer: unknown.exchange.outcome === 'answered' ? 1 : 0 },
    message: unknown.exchange.status === 404 ? 'an unknown session id got 404' : `an unknown session id got HTTP ${unknown.exchange.status}`,
    expected: 'HTTP 404',
    observed: `HTTP ${unknown.exchange.status}${unknown.exchange.error ? ` (${unknown.exchange.error})` : ''}`,
  });
  const missing = await client.callTool('echo', { cid }, { cid, session: null });
  t.judge(MISSING, missing.exchange.status === 400, {
    seen: { answer: missing.exchange.outcome === 'answered' ? 1 : 0 },
    message: missing.exchange.status === 400 ? 'a request without a session got 400' : `a request without a session got HTTP ${missing.exchange.status}`,
    expected: 'HTTP 400',
    observed: `HTTP ${missing.exchange.status}`,
  });
});

scenario('A proxy MUST end a session on DELETE, upstream too', [DELETE], async (t: ScenarioContext) => {
  const initCid = t.cid();
  const client = await t.session({ cid: initCid });
  const cid = t.cid();
  await client.callTool('echo', { cid }, { cid });
  const upstreamSession = (await t.upstream.receivedRequest(cid, 'tools/call'))?.sessionId;
  // Without the upstream session of this client there is nothing to watch end.
  if (!upstreamSession) return t.block(DELETE, 'the call before the DELETE never reached the upstream in a session, so the upstream session\'s end cannot be watched');
  const sessionId = client.sessionId;
  const deleted = await client.delete();
  const problems: string[] = [];
  const seen: Record<string, number> = { 'upstream session': 1, 'answer to DELETE': deleted.outcome === 'answered' ? 1 : 0 };
  let ownUpstream = true;
  if (deleted.status === 405) {
    const upstream405 = (await t.upstream.records({ direction: 'out', sessionId: upstreamSession })).some((r) => r.httpMethod === 'DELETE' && r.status === 405);
    if (!upstream405) problems.push('the proxy answered DELETE with 405 although the upstream accepts DELETE');
  } else if (deleted.status < 200 || deleted.status >= 300) {
    problems.push(`DELETE got HTTP ${deleted.status}${deleted.error ? ` (${deleted.error})` : ''}`);
  } else {
    // The upstream session is the client's to end only if its initialize opened it. A proxy that serves
    // every client over one upstream session of its own (opened before, or without, this client's
    // initialize) must not end it for one client: then only the 404 after the DELETE is judged.
    const opened = (await t.upstream.answerTo(initCid, 'initialize')).answer?.sessionId ?? (await t.upstream.receivedRequest(initCid, 'initialize'))?.sessionId;
    ownUpstream = opened === upstreamSession;
    if (ownUpstream) {
      const live = await waitUntil(() => t.upstream.liveSessions(), (sessions) => !sessions.includes(upstreamSession));
      if (live.includes(upstreamSession)) problems.push(`the upstream session ${upstreamSession} is still alive after DELETE`);
    }
    const after = await client.callTool('echo', { cid }, { cid, session: sessionId ?? null });
    seen['answer after DELETE'] = after.exchange.outcome === 'answered' ? 1 : 0;
    if (after.exchange.status !== 404) problems.push(`the deleted session id then got HTTP ${after.exchange.status}, not 404`);
  }
  client.sessionId = undefined;
  t.judgeProblems(DELETE, problems, {
    seen,
    fail: problems[0] ?? 'DELETE did not end the session',
    pass:
      deleted.status === 405
        ? 'the upstream\'s own 405 for DELETE reached the client'
        : ownUpstream
          ? `DELETE got ${deleted.status}, the upstream session ${upstreamSession} ended and the id then got 404`
          : `DELETE got ${deleted.status} and the id then got 404; the upstream session ${upstreamSession} is the proxy's own, not opened by this client's initialize, so it was not this client's to end`,
    expected: 'a 2xx (upstream session ended, then 404) or the upstream\'s own 405',
  });
});

scenario('A proxy MUST pass protocol versions through exactly', [VERSION], async (t: ScenarioContext) => {
  const problems: string[] = [];
  let initsSeen = 0;
  let answered = 0;
  let selfAnswered = 0;
  // Once with the run's revision, once with a version the upstream does not know (it answers its latest).
  for (const asked of [t.revision, '2099-01-01']) {
    const cid = t.cid();
    const client = t.client();
    const init = await client.initialize({ cid, params: { protocolVersion: asked } });
    const initRecord = await t.upstream.receivedRequest(cid, 'initialize');
    const upstreamInit = initRecord && (bodyJson(initRecord) as { params?: { protocolVersion?: string } });
    if (upstreamInit) initsSeen++;
    const upstreamAnswer = (await t.upstream.sent(cid)).map((r) => bodyJson(r) as { result?: { protocolVersion?: string } } | undefined).find((m) => m?.result?.protocolVersion);
    const clientGot = (init.response?.result as { protocolVersion?: string } | undefined)?.protocolVersion;
    if (clientGot !== undefined) answered++;
    if (!upstreamInit) {
      // A proxy that serves its clients over an upstream session of its own answers initialize itself:
      // it is then the server its client negotiates with, and owes what a server owes (lifecycle-version-server-same).
      selfAnswered++;
      if (clientGot === undefined) problems.push(`initialize (${asked}) never reached the upstream, and the proxy did not answer it itself either (${describeCall(init)})`);
      else if (asked === t.revision && clientGot !== asked) problems.push(`the proxy answered initialize itself and told the client ${clientGot}, not the ${asked} it asked for, which it supports`);
      else if (asked !== t.revision && clientGot === asked) problems.push(`the proxy answered initialize itself and agreed to ${asked}, which no revision has`);
    } else if (upstreamInit.params?.protocolVersion !== asked) problems.push(`asked ${asked}, the upstream was asked ${upstreamInit.params?.protocolVersion}`);
    if (upstreamAnswer && clientGot !== upstreamAnswer.result?.protocolVersion) problems.push(`the upstream negotiated ${upstreamAnswer.result?.protocolVersion}, the client was told ${clientGot}`);
    if (asked === t.revision && t.has('version-header') && clientGot) {
      const callCid = t.cid();
      await client.callTool('echo', { cid: callCid }, { cid: callCid });
      const call = await t.upstream.receivedRequest(callCid, 'tools/call');
      const header = call ? recordHeader(call, 'mcp-protocol-version') : undefined;
      if (call?.transport === 'http' && header !== clientGot) problems.push(`MCP-Protocol-Version ${clientGot} reached the upstream as ${header ?? '(absent)'}`);
    }
  }
  t.judgeProblems(VERSION, problems, {
    seen: { 'initialize answered': answered },
    fail: problems[0] ?? 'the protocol version was changed on the way',
    pass:
      selfAnswered === 0
        ? 'requested and negotiated versions, and the version header, crossed exactly'
        : `the proxy answered ${selfAnswered} of 2 initialize requests itself (its upstream session is its own), with the requested version where it supports it${initsSeen ? '; what reached the upstream crossed exactly' : ''}`,
    expected: 'the requested version upstream, the negotiated version back, MCP-Protocol-Version forwarded',
  });
});

scenario('A proxy MUST refuse an unsupported protocol version with 400', [BAD_VERSION], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const unsupported = '1999-01-01';
  // The stateless era names the version in the body too (the header mirrors it): both say the unsupported one.
  const { exchange, response } = await client.callTool('echo', { cid }, { cid, protocolVersion: unsupported, ...(client.stateless && { meta: { [META.protocolVersion]: unsupported } }) });
  const problems: string[] = [];
  const carried = response && 'error' in response ? ` carrying error ${JSON.stringify((response.error as { code?: unknown }).code)}` : response ? ' carrying a result' : '';
  if (exchange.status !== 400) problems.push(`HTTP ${exchange.status}${exchange.outcome === 'answered' ? carried : ` (${exchange.outcome})`}`);
  // From 2026-07-28 the refusal is an UnsupportedProtocolVersionError that lists the versions supported.
  const code = errorCodes(t.revision).unsupportedProtocolVersion;
  if (code !== undefined && exchange.status === 400) {
    const error = response && 'error' in response ? (response.error as { code?: unknown; data?: { supported?: unknown } }) : undefined;
    if (!error) problems.push(`no JSON-RPC error with the request's id: ${exchange.body.slice(0, 160)}`);
    else if (error.code !== code) problems.push(`error code ${JSON.stringify(error.code)}, not ${code} (UnsupportedProtocolVersionError)`);
    else if (!Array.isArray(error.data?.supported) || error.data.supported.length === 0) problems.push(`the error lists no supported versions: ${JSON.stringify(error).slice(0, 160)}`);
  }
  t.judgeProblems(BAD_VERSION, problems, {
    seen: { answer: exchange.outcome === 'answered' ? 1 : 0 },
    fail: `a request in protocol version ${unsupported} was not refused as the revision says`,
    pass: `a request in protocol version ${unsupported} got 400${code === undefined ? '' : ` and error ${code} listing the versions supported`}`,
    expected: `HTTP 400${code === undefined ? '' : `, a JSON-RPC error ${code} with the request's id and data.supported`}`,
  });
});

scenario('A proxy MUST keep SSE event ids unique across a session\'s streams', [EVENT_IDS], async (t: ScenarioContext) => {
  const client = await t.session();
  const stream = await client.openGet();
  const ids: string[] = [];
  let getDelivers = true;
  for (let i = 0; i < 3; i++) {
    const cid = t.cid();
    const { exchange } = await client.callTool(i === 2 ? 'progress' : 'echo', { cid, count: 2, intervalMs: 0 }, { cid, sse: true, meta: i === 2 ? { progressToken: `p-${cid}` } : undefined });
    ids.push(...exchange.events.map((e) => e.id).filter((id): id is string => id !== undefined));
    if (stream.status === 200 && getDelivers) {
      await client.callTool('notify', { cid, data: { cid } }, { cid });
      // A GET stream that does not deliver is another check's failure; here it only stops adding ids.
      getDelivers = (await stream.waitFor((e) => e.data.includes(cid), 5000)) !== undefined;
    }
  }
  stream.close();
  ids.push(...stream.events.map((e) => e.id).filter((id): id is string => id !== undefined));
  const seen = new Set<string>();
  const repeated = ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
  // The requirement binds ids that are present. A stdio bridge mints its own and may mint none; the
  // HTTP mock numbers every SSE event it sends, so there none at the client means the proxy stripped them.
  if (ids.length === 0 && t.ctx.target.upstream === 'stdio') {
    return t.notApplicable(EVENT_IDS, 'the bridge sends its SSE events without ids, and the requirement binds ids that are present ("If present, the ID MUST be globally unique")');
  }
  t.judge(EVENT_IDS, repeated.length === 0, {
    seen: { 'event ids at the client': ids.length },
    message: repeated.length ? 'event ids repeat within the session' : `${ids.length} event ids across the session's streams, all distinct`,
    expected: 'no event id twice in one session',
    observed: repeated.length ? `repeated: ${[...new Set(repeated)].slice(0, 10).join(', ')}` : ids.length === 0 ? 'no event id reached the client, although the upstream numbered every SSE event it sent' : undefined,
  });
});
