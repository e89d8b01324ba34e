/**
 * The proxy as the upstream's client. On its upstream leg a proxy is the MCP client, bound by what
 * the transport asks of clients: an Accept header that lets the server answer with JSON or a stream,
 * and, when it authenticates, its credential on every request. Judged on every HTTP request the
 * upstream received for one client's work: in the session era, its session's requests (initialize,
 * the initialized notification, a streamed call, the GET stream, the DELETE); in 2026-07-28, the
 * requests that carry the client's correlation ids.
 */
import { CID_META_KEY, bodyJson, bodyText, diffJson, recordHeader, recordMethod, requestMessages, scenario, type ScenarioContext } from '../../harness/src/index.ts';
import { REVISIONS, type UpstreamRecord } from '../../wire/index.ts';

const ACCEPT = 'boundary/upstream-accept';
const CREDENTIAL = 'boundary/upstream-credential-every-request';

/** The media types an Accept header lists, lower-cased, without their parameters (q and the like). */
function mediaTypes(accept: string | undefined): string[] {
  return (accept ?? '').split(',').map((range) => range.split(';')[0]!.trim().toLowerCase()).filter(Boolean);
}

/** A request as the upstream saw it, for a message: `POST tools/call`, `GET`, `DELETE`. */
const describe = (r: UpstreamRecord) => [r.httpMethod ?? '?', recordMethod(r)].filter(Boolean).join(' ');

scenario("A proxy's requests upstream MUST carry an Accept header for JSON and streams, and its credential, if any, on every one", [ACCEPT, CREDENTIAL], async (t: ScenarioContext) => {
  const initCid = t.cid();
  const client = await t.session({ cid: initCid });
  const cid = t.cid();
  // A call the upstream answers with a stream (progress, then the result).
  const call = await client.callTool('progress', { count: 2, intervalMs: 0, cid }, { cid, meta: { progressToken: `accept-${cid}` } });
  if (!call.response || !('result' in call.response)) {
    const observed = `HTTP ${call.exchange.status || call.exchange.outcome}`;
    for (const id of [ACCEPT, CREDENTIAL]) t.block(id, 'the streamed call failed through the proxy, so its requests upstream are incomplete', observed);
    return;
  }
  let records: UpstreamRecord[];
  if (client.stateless) {
    records = [...(await t.upstream.received(initCid)), ...(await t.upstream.received(cid))];
  } else {
    // The session's GET stream and its end reach the upstream as requests of their own.
    const stream = await client.openGet({ timeoutMs: 5000 });
    stream.close();
    await client.delete();
    const sessionId = (await t.upstream.answerTo(initCid, 'initialize')).answer?.sessionId ?? undefined;
    const initialize = await t.upstream.received(initCid);
    records = [...initialize, ...(sessionId ? await t.upstream.records({ sessionId, direction: 'in' }) : [])];
  }
  // One entry per HTTP request (the initialize record may also be found through its session).
  const requests = [...new Map(records.filter((r) => r.transport === 'http' && r.httpMethod).map((r) => [r.seq, r])).values()].sort((a, b) => a.seq - b.seq);
  const seen = { 'upstream requests': requests.length };
  if (requests.length === 0) {
    for (const id of [ACCEPT, CREDENTIAL]) t.block(id, "the upstream recorded none of the client's requests", 'no HTTP request upstream');
    return;
  }

  const badAccept = requests.filter((r) => {
    const types = mediaTypes(recordHeader(r, 'accept'));
    return r.httpMethod === 'POST' ? !(types.includes('application/json') && types.includes('text/event-stream')) : r.httpMethod === 'GET' && !types.includes('text/event-stream');
  });
  t.judgeProblems(
    ACCEPT,
    badAccept.map((r) => `${describe(r)} had Accept: ${JSON.stringify(recordHeader(r, 'accept') ?? null)}`),
    {
      seen,
      pass: `all ${requests.length} upstream requests (${[...new Set(requests.map(describe))].join(', ')}) listed application/json and text/event-stream, or text/event-stream for a GET`,
      fail: `${badAccept.length} of ${requests.length} upstream requests did not list both answers the upstream may give`,
      expected: 'POST: Accept listing application/json and text/event-stream; GET: Accept listing text/event-stream',
    },
  );

  const withCredential = requests.filter((r) => recordHeader(r, 'authorization') !== undefined);
  // Whether it should have one is auth/own-upstream-credential's to judge; without one, nothing here shows it carried on every request.
  if (withCredential.length === 0) {
    return t.block(CREDENTIAL, `the proxy sent its upstream no credential on any of ${requests.length} requests, so there is none whose every use could be judged (auth/own-upstream-credential judges whether it should have one)`, `no Authorization header on ${requests.length} upstream requests`);
  }
  const problems = requests.flatMap((r) => {
    const value = recordHeader(r, 'authorization');
    if (value === undefined) return [`${describe(r)} went without the credential`];
    return /^Bearer [A-Za-z0-9\-._~+/]+=*$/.test(value) ? [] : [`${describe(r)} carried Authorization in another form: ${value.slice(0, 16)}…`];
  });
  t.judgeProblems(CREDENTIAL, problems, {
    seen: { ...seen, 'with a credential': withCredential.length },
    pass: `all ${requests.length} upstream requests carried Authorization: Bearer <token>`,
    fail: `the proxy authenticates to its upstream, but not on every request (${withCredential.length} of ${requests.length} carried a credential)`,
    expected: 'Authorization: Bearer <token> on every HTTP request to the upstream, the GET stream and DELETE included',
  });
});

const STDIN = 'boundary/stdio-stdin-clean';

/** What is wrong with one line a stdio server read, or undefined for a JSON-RPC message. */
function notAMessage(line: string): string | undefined {
  if (line.trim() === '') return 'an empty line';
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return `a line that is not JSON: ${JSON.stringify(line.slice(0, 60))}`;
  }
  const m = message as Record<string, unknown> | null;
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return `JSON that is not one message: ${line.slice(0, 60)}`;
  if (m.jsonrpc !== '2.0') return `a message without jsonrpc "2.0": ${line.slice(0, 60)}`;
  const request = typeof m.method === 'string';
  const response = 'id' in m && ('result' in m || 'error' in m);
  return request || response ? undefined : `JSON-RPC that is neither a request, a notification nor a response: ${line.slice(0, 60)}`;
}

scenario("A proxy MUST write only MCP messages, one per line, to a stdio server's stdin", [STDIN], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  // A plain call and a streamed one: the proxy writes their requests, and whatever it adds of its own.
  await client.callTool('echo', { cid }, { cid });
  await client.callTool('progress', { count: 2, intervalMs: 0, cid }, { cid, meta: { progressToken: `stdin-${cid}` } });
  const received = await t.upstream.received(cid);
  const sessionId = received.find((r) => r.transport === 'stdio')?.sessionId;
  if (!sessionId) return t.block(STDIN, 'the calls never reached a stdio server, so what the proxy writes there cannot be judged', `${received.length} records carrying the calls`);
  // Every line that process read, whoever's request it carried: all of it is the proxy's writing.
  const lines = (await t.upstream.records({ sessionId, direction: 'in' })).map(bodyText);
  const problems = lines.flatMap((line, n) => {
    const wrong = notAMessage(line);
    return wrong ? [`line ${n + 1}: ${wrong}`] : [];
  });
  t.judgeProblems(STDIN, problems, {
    seen: { 'lines read by the server': lines.length },
    pass: `all ${lines.length} lines the stdio server read were JSON-RPC messages, one each`,
    fail: `the stdio server read ${problems.length} of ${lines.length} lines that were not an MCP message`,
    expected: 'one JSON-RPC message per line, and nothing else',
  });
});

const OPENED = 'boundary/upstream-session-opened';

/**
 * A session the proxy holds with its upstream opens as a client opens one: initialize first (on
 * stdio, the first line the server reads; over HTTP nothing can come before the answer that names
 * the session), then notifications/initialized before any other request. And every message goes
 * in a POST of its own. Judged on the upstream session (or stdio process) that carried the client's
 * call, whoever opened it: a proxy may open it for the client or hold one of its own.
 */
/**
 * When the upstream got the client's own initialize (a session opened for the client), the
 * capabilities the client declared (roots and sampling) must be in it as the client declared them:
 * the upstream asks only what it is told the client supports.
 */
async function capabilitiesPassedOn(t: ScenarioContext, initCid: string): Promise<string[]> {
  const theirs = await t.upstream.receivedRequest(initCid, 'initialize');
  const ours = t.exchanges.map((ex) => requestMessages(ex)[0] as { method?: unknown; params?: { capabilities?: unknown; _meta?: Record<string, unknown> } } | undefined).find((m) => m?.method === 'initialize' && m.params?._meta?.[CID_META_KEY] === initCid);
  const got = theirs && (bodyJson(theirs) as { params?: { capabilities?: unknown } } | undefined)?.params?.capabilities;
  if (!theirs || !ours) return [];
  const diffs = diffJson(ours.params?.capabilities, got);
  return diffs.length ? [`the client's initialize reached the upstream with other capabilities than it declared: ${diffs.join('; ')}`] : [];
}

scenario("A proxy MUST open each upstream session with initialize, then notifications/initialized, each message in a POST of its own", [OPENED], async (t: ScenarioContext) => {
  const initCid = t.cid();
  const client = await t.session({ cid: initCid });
  const cid = t.cid();
  await client.callTool('echo', { cid }, { cid });
  const call = await t.upstream.receivedRequest(cid, 'tools/call');
  if (!call?.sessionId) return t.block(OPENED, "the call never reached the upstream in a session, so the session's opening cannot be judged", call ? 'the call reached the upstream outside any session' : 'the call never reached the upstream');
  const records = (await t.upstream.records({ sessionId: call.sessionId, direction: 'in' })).sort((a, b) => a.seq - b.seq);
  const stdio = call.transport === 'stdio';
  const problems: string[] = [];
  // The messages of the session in the order the server read them.
  const messages = records.flatMap((r) => {
    const body = bodyJson(r);
    return body === undefined ? [] : Array.isArray(body) ? body : [body];
  }) as Array<{ id?: unknown; method?: unknown }>;
  let rest = messages;
  // The version the session was opened with must be one a client can support: a revision that exists.
  const asked = (messages.find((m) => m.method === 'initialize') as { params?: { protocolVersion?: unknown } } | undefined)?.params?.protocolVersion;
  if (asked !== undefined && !REVISIONS.includes(asked as never)) problems.push(`the session's initialize asked for protocol version ${JSON.stringify(asked)}, which is no revision of MCP proxyspec knows`);
  problems.push(...(await capabilitiesPassedOn(t, initCid)));
  if (stdio) {
    if (messages[0]?.method !== 'initialize') problems.push(`the first message the stdio server read was ${messages[0] ? describeMessage(messages[0]) : 'nothing'}, not initialize`);
    else rest = messages.slice(1);
  }
  const initialized = rest.findIndex((m) => m.method === 'notifications/initialized');
  const firstRequest = rest.findIndex((m) => typeof m.method === 'string' && m.id !== undefined && m.method !== 'ping');
  if (initialized < 0) problems.push(`the upstream session never received notifications/initialized (${rest.length} messages after its initialize)`);
  else if (firstRequest >= 0 && firstRequest < initialized) problems.push(`${describeMessage(rest[firstRequest]!)} reached the upstream session before notifications/initialized`);
  if (!stdio) {
    // The version the session was opened with (the upstream's answer to the client's initialize, or to the proxy's own).
    const version = (await t.upstream.records({ sessionId: call.sessionId, direction: 'out' }))
      .map((r) => bodyJson(r) as { result?: { protocolVersion?: unknown; serverInfo?: unknown } } | undefined)
      .find((m) => typeof m?.result?.protocolVersion === 'string' && m.result.serverInfo !== undefined)?.result?.protocolVersion;
    const withoutVersion = records.filter((r) => {
      const header = recordHeader(r, 'mcp-protocol-version');
      return header === undefined || (version !== undefined && header !== version);
    });
    if (withoutVersion.length) problems.push(`${withoutVersion.length} of the session's ${records.length} requests came without MCP-Protocol-Version${version ? `: ${version}` : ''} (the first: ${describe(withoutVersion[0]!)} with ${JSON.stringify(recordHeader(withoutVersion[0]!, 'mcp-protocol-version') ?? null)})`);
    for (const r of records) {
      const body = bodyJson(r);
      if (body === undefined) continue;
      if (r.httpMethod !== 'POST') problems.push(`a message came in an HTTP ${r.httpMethod ?? '?'} request, not a POST`);
      else if (Array.isArray(body)) problems.push(`a POST carried ${body.length} messages at once`);
    }
  }
  t.judgeProblems(OPENED, problems, {
    seen: { 'messages in the upstream session': messages.length },
    pass: `the upstream ${stdio ? 'process read initialize first, then' : 'session received'} notifications/initialized before any request${stdio ? '' : `, and each of its ${records.length} requests carried one message by POST, with MCP-Protocol-Version`}`,
    fail: 'the proxy did not open its upstream session as a client must',
    expected: stdio ? 'initialize as the first line, then notifications/initialized before any request' : 'notifications/initialized before any request in the session, each message in a POST of its own, each request with MCP-Protocol-Version: the negotiated version',
  });
});

function describeMessage(m: { id?: unknown; method?: unknown }): string {
  if (typeof m.method === 'string') return m.id === undefined ? `the notification ${m.method}` : `the request ${m.method}`;
  return 'a response';
}

