/**
 * Every message of a representative conversation, on both legs, held to the JSON Schema of the
 * revision in use: what the proxy delivered to the client (answers, stream events) and what it sent
 * the upstream (requests, notifications). A proxy that rebuilds or trims messages can leave them
 * well-formed JSON-RPC and still invalid MCP (a result without the resultType of 2026-07-28, a tool
 * without its inputSchema), which breaks a strict client far from the cause.
 */
import { LATEST_SESSION_REVISION, bodyJson, bridgeOf, exchangeMessages, messageSchemas, requestMessages, revisionsOfEra, scenario, type Revision, type ScenarioContext, type SchemaProblem, type UpstreamRecord } from '../../harness/src/index.ts';

const VALID = 'transparency/messages-schema-valid';

/** The method of each request a message list carries, by id. */
function methodsById(messages: unknown[]): Map<unknown, string> {
  const methods = new Map<unknown, string>();
  for (const m of messages) {
    const o = (m ?? {}) as { id?: unknown; method?: unknown };
    if (typeof o.method === 'string' && o.id !== undefined) methods.set(o.id, o.method);
  }
  return methods;
}

/** What a message is, for a verdict: its method, or the request it answers. */
function what(message: unknown, answered?: string): string {
  const m = (message ?? {}) as { method?: string };
  return m.method ?? (answered ? `the answer to ${answered}` : 'a response');
}

/**
 * The revision the upstream leg speaks: the client's, unless the upstream serves the other era only,
 * where a proxy must bridge, and speaks to it in that era's newest revision.
 */
function upstreamRevision(t: ScenarioContext): Revision {
  const bridge = bridgeOf(t.ctx.target, t.revision);
  if (bridge === 'to-legacy') return LATEST_SESSION_REVISION;
  if (bridge === 'to-modern') return revisionsOfEra(true).at(-1)!;
  return t.revision;
}

scenario('A proxy MUST deliver and send only messages that are valid for the revision in use', [VALID], async (t: ScenarioContext) => {
  const schemas = messageSchemas(t.revision);
  const upstreamLeg = upstreamRevision(t);
  const upstreamSchemas = upstreamLeg === t.revision ? schemas : messageSchemas(upstreamLeg);
  const initCid = t.cid();
  const client = await t.session({ cid: initCid });
  const cid = t.cid();
  await client.request('tools/list', {}, { cid });
  await client.callTool('echo', { cid, text: 'a message to hold to the schema' }, { cid });
  await client.callTool('progress', { cid, count: 2, intervalMs: 0 }, { cid, meta: { progressToken: `${cid}-progress` } });
  await client.callTool('error', { cid }, { cid });
  await client.request('proxyspec/no-such-method', {}, { cid });

  const problems: string[] = [];
  const invalid = (leg: string, message: unknown, problem: SchemaProblem, answered?: string, revision: Revision = t.revision) =>
    problems.push(`${leg}: ${what(message, answered)} is not a valid ${problem.definition} of ${revision}: at ${problem.at || '/'} it ${problem.rule}; the message: ${JSON.stringify(message).slice(0, 200)}`);

  // The client leg: everything the proxy delivered, each answer held to the result of the request it answers.
  let delivered = 0;
  for (const exchange of t.exchanges) {
    const asked = methodsById(requestMessages(exchange));
    for (const message of exchangeMessages(exchange)) {
      delivered++;
      const problem = schemas.problem(message, (id) => asked.get(id));
      if (problem) invalid('delivered to the client', message, problem, asked.get((message as { id?: unknown }).id));
    }
  }

  // The upstream leg: everything the upstream received from the proxy in this conversation (its
  // session's records in the session era, the records carrying the scenario's ids in the stateless one).
  const opened = client.stateless ? undefined : (await t.upstream.answerTo(initCid, 'initialize')).answer?.sessionId;
  const bySeq = new Map<number, UpstreamRecord>();
  for (const record of [...(await t.upstream.received(initCid)), ...(await t.upstream.received(cid)), ...(opened ? await t.upstream.records({ sessionId: opened, direction: 'in' }) : [])]) bySeq.set(record.seq, record);
  const records = [...bySeq.values()];
  let sent = 0;
  for (const record of records) {
    const message = bodyJson(record);
    if (message === undefined) continue;
    sent++;
    const problem = upstreamSchemas.problem(message);
    if (problem) invalid('sent to the upstream', message, problem, undefined, upstreamLeg);
  }

  t.judgeProblems(VALID, problems.slice(0, 3), {
    seen: { 'message delivered to the client': delivered, 'message sent to the upstream': sent },
    fail: `the proxy passed on ${problems.length} message${problems.length === 1 ? '' : 's'} that ${t.revision}'s JSON Schema rejects`,
    pass: `${delivered} messages delivered to the client and ${sent} sent to the upstream are all valid for ${upstreamLeg === t.revision ? t.revision : `${t.revision} and ${upstreamLeg} (the upstream's era)`}`,
    expected: `every message on both legs valid against the JSON Schema of its revision: ${t.revision} to the client, ${upstreamLeg} to the upstream`,
  });
});
