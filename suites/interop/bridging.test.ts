/**
 * Era bridging, for a proxy that claims it: each scenario runs a copy of the target in front of an
 * upstream that speaks one era only, and a client of the other era. What the client gets must be
 * what a server of its own era would send; what reaches the upstream must be what a client of the
 * upstream's era would send. The upstream's records prove that each request went through to it.
 */
import { encodeHeaderValue, paramHeadersFor, paramHeadersOf } from '../../wire/index.ts';
import { LATEST_SESSION_REVISION, META, bodyJson, describeCall, diffJson, exchangeMessages, recordHeader, recordMethod, resultOf, revisionsOfEra, scenario, type CallResult, type McpClient, type ScenarioContext, type UpstreamRecord } from '../../harness/src/index.ts';

const MODERN_CLIENT = 'interop/era-bridge-modern-client';
const LEGACY_CLIENT = 'interop/era-bridge-legacy-client';
/** The legacy revision the second scenario's client speaks. */
const LEGACY_REVISIONS: readonly string[] = revisionsOfEra(false);
const LEGACY = LATEST_SESSION_REVISION;

const errorOf = (call: CallResult) => (call.response && 'error' in call.response ? (call.response.error as { code?: unknown; message?: unknown }) : undefined);
const firstCalling = (records: UpstreamRecord[], method: string) => records.find((r) => r.direction === 'in' && recordMethod(r) === method);

scenario('A proxy that bridges eras MUST serve a 2026-07-28 client from a 2025-11-25 upstream', [MODERN_CLIENT], async (t: ScenarioContext) => {
  const target = await t.isolatedTarget({ upstreamEra: 'legacy' });
  const client = t.client({ url: target.url, headers: target.headers, timeoutMs: 20_000 });
  const problems: string[] = [];
  const seen = { 'server/discover answers': 0, 'calls received upstream in a session': 0, '-32002 errors sent upstream': 0, 'server-to-client requests sent upstream': 0 };

  // server/discover: a legacy server has none, so the bridge must answer it.
  const discovered = await client.initialize({ cid: t.cid() });
  const discovery = resultOf(discovered);
  if (!discovery) problems.push(`server/discover: ${describeCall(discovered)}`);
  else {
    seen['server/discover answers']++;
    const versions = discovery.supportedVersions;
    if (!Array.isArray(versions) || !versions.includes(t.revision)) problems.push(`server/discover: supportedVersions ${JSON.stringify(versions)} does not name ${t.revision}`);
    if (discovery.resultType !== 'complete') problems.push(`server/discover: resultType ${JSON.stringify(discovery.resultType)}, not "complete"`);
  }

  // A call: the upstream's result, with resultType "complete" added and nothing else of it changed.
  const cid = t.cid();
  const args = { cid, text: 'bridged ✓ across eras' };
  const call = await client.callTool('echo', args, { cid });
  const result = resultOf(call);
  const received = await target.upstream.received(cid);
  const init = firstCalling(received, 'initialize');
  const upstreamCall = firstCalling(received, 'tools/call');
  if (!result) problems.push(`tools/call: ${describeCall(call)}`);
  else {
    if (result.resultType !== 'complete') problems.push(`tools/call: resultType ${JSON.stringify(result.resultType)}, not "complete"`);
    const diff = diffJson(args, result.structuredContent);
    if (diff.length) problems.push(`tools/call: the upstream's result changed on the way (${diff.join('; ')})`);
  }
  if (!upstreamCall) problems.push('tools/call: the call never reached the upstream');
  else {
    const version = recordHeader(upstreamCall, 'mcp-protocol-version');
    const session = recordHeader(upstreamCall, 'mcp-session-id');
    const offered = (bodyJson(init ?? upstreamCall) as { params?: { protocolVersion?: unknown } } | undefined)?.params?.protocolVersion;
    if (!init) problems.push('tools/call: the upstream received no initialize before the call, so the call reached it outside any session');
    else if (!LEGACY_REVISIONS.includes(String(offered))) problems.push(`initialize upstream: protocolVersion ${JSON.stringify(offered)}, which the 2025-11-25 upstream does not speak`);
    if (session === undefined) problems.push('tools/call upstream: no Mcp-Session-Id, so the legacy upstream cannot serve it');
    else if (version === undefined || !LEGACY_REVISIONS.includes(version)) problems.push(`tools/call upstream: MCP-Protocol-Version ${version ?? '(none)'}, not the negotiated legacy revision`);
    else seen['calls received upstream in a session']++;
  }

  // The retired -32002 (resource not found): a 2026-07-28 client must get -32602.
  const errCid = t.cid();
  const failed = await client.callTool('error', { code: -32002, message: 'Resource not found', data: { cid: errCid } }, { cid: errCid });
  const upstreamError = (await target.upstream.answerTo(errCid, 'tools/call')).message?.error as { code?: unknown } | undefined;
  if (upstreamError?.code === -32002) seen['-32002 errors sent upstream']++;
  const code = errorOf(failed)?.code;
  if (code !== -32602) problems.push(`an upstream error -32002 reached the client as ${code === undefined ? describeCall(failed) : `code ${JSON.stringify(code)}`}, not -32602`);

  // A request from the upstream to the client: a 2026-07-28 server never sends one, so neither may the bridge.
  const askCid = t.cid();
  const asked = await client.callTool('sample', { prompt: 'hello' }, { cid: askCid });
  if ((await target.upstream.sent(askCid)).some((r) => recordMethod(r) === 'sampling/createMessage')) seen['server-to-client requests sent upstream']++;
  const forwarded = exchangeMessages(asked.exchange).filter((m) => {
    const message = m as { method?: unknown; id?: unknown };
    return typeof message.method === 'string' && message.id !== undefined;
  });
  if (forwarded.length) problems.push(`the upstream's ${(forwarded[0] as { method: string }).method} reached the client as a JSON-RPC request on the call's stream`);
  if (!asked.response) problems.push(`a call whose upstream asked the client for sampling never ended: ${describeCall(asked)}`);

  t.judgeProblems(MODERN_CLIENT, problems, {
    pass: 'the 2026-07-28 client was served from the 2025-11-25 upstream as a 2026-07-28 server would serve it',
    fail: 'the 2026-07-28 client got what a 2026-07-28 server must not send, or was not served',
    expected: 'server/discover answered; the call carried upstream in a legacy session and its result relayed with resultType "complete"; -32002 sent as -32602; the upstream\'s sampling request not forwarded, and the call ended',
    seen,
  });
}, { timeoutMs: 90_000 });

/**
 * The bridge is the 2026-07-28 client over HTTP: it leaves out of the legacy client's tools/list a
 * tool whose x-mcp-header marks break the rules, and mirrors the marked arguments of each call into
 * Mcp-Param headers, encoded as the revision says (Base64 for spaces at the ends, for non-ASCII and
 * for a value shaped like the sentinel; integers in decimal; booleans in lower case; nothing for an
 * absent parameter), and a name a header cannot carry plainly into the Base64 form of Mcp-Name.
 */
async function bridgedParamHeaders(t: ScenarioContext, client: McpClient, upstream: { received(cid: string): Promise<UpstreamRecord[]>; sent(cid: string): Promise<UpstreamRecord[]> }): Promise<{ problems: string[]; calls: number }> {
  const problems: string[] = [];
  const listCid = t.cid();
  const listed = resultOf(await client.request('tools/list', {}, { cid: listCid }));
  const tools = (listed?.tools ?? []) as Array<{ name?: unknown; inputSchema?: unknown }>;
  const sentUpstream = (await upstream.sent(listCid)).flatMap((r) => ((bodyJson(r) as { result?: { tools?: Array<{ name?: unknown; inputSchema?: unknown }> } } | undefined)?.result?.tools ?? []));
  const invalid = sentUpstream.filter((tool) => 'invalid' in paramHeadersOf(tool.inputSchema)).map((tool) => String(tool.name));
  const offered = invalid.filter((name) => tools.some((tool) => tool.name === name));
  if (offered.length) problems.push(`tools/list: the bridge offered ${offered.join(', ')}, whose x-mcp-header marks break the rules, where a client over HTTP must leave it out`);
  const marks = paramHeadersOf(tools.find((tool) => tool.name === 'route')?.inputSchema);
  if (!('headers' in marks) || marks.headers.length === 0) return { problems: [...problems, 'tools/list: no route tool with marked parameters came back, so no call could be mirrored'], calls: 0 };
  let calls = 0;
  for (const args of [
    { region: 'us-west1', tenant: { id: ' padded ' }, shard: 42, dryRun: false },
    { region: '=?base64?literal?=', tenant: { id: 'Zürich' }, shard: -7 },
  ]) {
    const cid = t.cid();
    const call = await client.callTool('route', { ...args, cid }, { cid });
    const received = firstCalling(await upstream.received(cid), 'tools/call');
    if (!received) {
      problems.push(`route ${JSON.stringify(args)}: the call never reached the upstream (${describeCall(call)})`);
      continue;
    }
    calls++;
    const expected = paramHeadersFor(marks.headers, args);
    const got = Object.fromEntries(Object.entries(received.headers ?? {}).filter(([k]) => k.startsWith('mcp-param-')).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
    const diffs = diffJson(expected, got);
    if (diffs.length) problems.push(`route ${JSON.stringify(args)}: the Mcp-Param headers upstream are not the call's arguments as the revision encodes them (${diffs.join('; ')})`);
    if (!resultOf(call)) problems.push(`route ${JSON.stringify(args)}: ${describeCall(call)}`);
  }
  // A resource URI a header cannot carry plainly: Mcp-Name in the Base64 form (the read itself may fail: the resource need not exist).
  const uri = 'mock://resources/ünïcode';
  const readCid = t.cid();
  await client.request('resources/read', { uri }, { cid: readCid });
  const read = firstCalling(await upstream.received(readCid), 'resources/read');
  if (!read) problems.push('resources/read: never reached the upstream');
  else if (recordHeader(read, 'mcp-name') !== encodeHeaderValue(uri)) problems.push(`resources/read of ${uri}: Mcp-Name ${JSON.stringify(recordHeader(read, 'mcp-name') ?? null)} upstream, not ${encodeHeaderValue(uri)}`);
  return { problems, calls };
}

scenario('A proxy that bridges eras MUST serve a 2025-11-25 client from a 2026-07-28 upstream', [LEGACY_CLIENT], async (t: ScenarioContext) => {
  const target = await t.isolatedTarget({ upstreamEra: 'modern' });
  const client = t.client({ url: target.url, headers: target.headers, revision: LEGACY, timeoutMs: 20_000 });
  const problems: string[] = [];
  const seen = { 'initialize answers': 0, 'calls received upstream': 0 };
  const capabilities = { sampling: {}, roots: { listChanged: true }, experimental: { 'dev.proxyspec/bridge': { cid: t.cid() } } };

  const opened = await client.initialize({ cid: t.cid(), params: { capabilities } });
  const init = resultOf(opened);
  if (!init || client.sessionId === undefined) {
    problems.push(`initialize: ${describeCall(opened)}${init ? ', without an Mcp-Session-Id' : ''}`);
  } else {
    seen['initialize answers']++;
    if (!LEGACY_REVISIONS.includes(String(init.protocolVersion))) problems.push(`initialize: protocolVersion ${JSON.stringify(init.protocolVersion)}, which a ${LEGACY} client cannot speak`);
    const info = init.serverInfo as { name?: unknown } | undefined;
    if (typeof info?.name !== 'string') problems.push('initialize: no serverInfo with a name');
  }

  const cid = t.cid();
  const args = { cid, text: 'bridged ✓ across eras' };
  const call = await client.callTool('echo', args, { cid });
  const result = resultOf(call);
  if (!result) problems.push(`tools/call: ${describeCall(call)}`);
  else {
    const diff = diffJson(args, result.structuredContent);
    if (diff.length) problems.push(`tools/call: the upstream's result changed on the way (${diff.join('; ')})`);
  }
  const upstreamCall = firstCalling(await target.upstream.received(cid), 'tools/call');
  if (!upstreamCall) problems.push('tools/call: the call never reached the upstream');
  else {
    seen['calls received upstream']++;
    const meta = ((bodyJson(upstreamCall) as { params?: { _meta?: Record<string, unknown> } } | undefined)?.params?._meta ?? {}) as Record<string, unknown>;
    const version = meta[META.protocolVersion];
    if (typeof version !== 'string' || LEGACY_REVISIONS.includes(version)) problems.push(`tools/call upstream: _meta ${META.protocolVersion} ${JSON.stringify(version)}, not a revision the 2026-07-28 upstream speaks`);
    if (recordHeader(upstreamCall, 'mcp-protocol-version') !== version) problems.push(`tools/call upstream: MCP-Protocol-Version ${recordHeader(upstreamCall, 'mcp-protocol-version') ?? '(none)'} does not match _meta's ${JSON.stringify(version)}`);
    const declared = diffJson(capabilities, meta[META.clientCapabilities]);
    if (declared.length) problems.push(`tools/call upstream: _meta ${META.clientCapabilities} is not what the client declared in initialize (${declared.join('; ')})`);
    if (recordHeader(upstreamCall, 'mcp-method') !== 'tools/call') problems.push(`tools/call upstream: Mcp-Method ${recordHeader(upstreamCall, 'mcp-method') ?? '(none)'}`);
    if (recordHeader(upstreamCall, 'mcp-name') !== 'echo') problems.push(`tools/call upstream: Mcp-Name ${recordHeader(upstreamCall, 'mcp-name') ?? '(none)'}, not echo`);
  }

  const mirrored = await bridgedParamHeaders(t, client, target.upstream);
  problems.push(...mirrored.problems);
  seen['calls received upstream'] += mirrored.calls;

  // ping is the session era's; a 2026-07-28 server has none, so the bridge answers it.
  const ping = await client.request('ping', {}, { cid: t.cid() });
  if (!resultOf(ping)) problems.push(`ping: ${describeCall(ping)}`);

  // DELETE ends the client's session: what comes after it in that session is 404.
  const deleted = await client.delete();
  if (deleted.status !== undefined && (deleted.status < 200 || deleted.status >= 300) && deleted.status !== 405) problems.push(`DELETE: HTTP ${deleted.status}`);
  if (deleted.status !== 405) {
    const after = await client.callTool('echo', { cid }, { cid: t.cid() });
    if (after.exchange.status !== 404) problems.push(`a call after DELETE: ${describeCall(after)}, not HTTP 404`);
  }

  t.judgeProblems(LEGACY_CLIENT, problems, {
    pass: 'the 2025-11-25 client was served from the 2026-07-28 upstream, each request carrying its version, capabilities and mirrored headers upstream, the marked arguments of each call in Mcp-Param headers encoded as the revision says, and a tool whose marks break the rules left out of its tools/list',
    fail: 'the 2025-11-25 client was not served, or its requests reached the 2026-07-28 upstream in a shape that revision refuses',
    expected: 'initialize answered with a session; the call sent upstream with _meta protocolVersion and the declared clientCapabilities, MCP-Protocol-Version, Mcp-Method and Mcp-Name matching the body (Base64 where a header cannot carry it plainly), and one Mcp-Param header per marked argument present, encoded; its result relayed; no tool with invalid marks in tools/list; ping answered; DELETE ends the session',
    seen,
  });
}, { timeoutMs: 90_000 });
