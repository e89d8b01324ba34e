/**
 * Every message of a representative conversation, on both legs, held to the JSON Schema of the
 * revision in use: what the proxy delivered to the client (answers, stream events) and what it sent
 * the upstream (requests, notifications). A proxy that rebuilds or trims messages can leave them
 * well-formed JSON-RPC and still invalid MCP (a result without the resultType of 2026-07-28, a tool
 * without its inputSchema), which breaks a strict client far from the cause. Every other scenario's
 * messages are held to the same schemas (record/message-scan.ts), and the report folds them into
 * this check's verdict.
 */
import { scanMessages, scenario, type ScenarioContext, type UpstreamRecord } from '../../harness/src/index.ts';

const VALID = 'transparency/messages-schema-valid';

scenario('A proxy MUST deliver and send only messages that are valid for the revision in use', [VALID], async (t: ScenarioContext) => {
  const initCid = t.cid();
  const client = await t.session({ cid: initCid });
  const cid = t.cid();
  await client.request('tools/list', {}, { cid });
  await client.callTool('echo', { cid, text: 'a message to hold to the schema' }, { cid });
  await client.callTool('progress', { cid, count: 2, intervalMs: 0 }, { cid, meta: { progressToken: `${cid}-progress` } });
  await client.callTool('error', { cid }, { cid });
  await client.request('proxyspec/no-such-method', {}, { cid });

  // The upstream leg: everything the upstream received from the proxy in this conversation (its
  // session's records in the session era, the records carrying the scenario's ids in the stateless one).
  const opened = client.stateless ? undefined : (await t.upstream.answerTo(initCid, 'initialize')).answer?.sessionId;
  const bySeq = new Map<number, UpstreamRecord>();
  for (const record of [...(await t.upstream.received(initCid)), ...(await t.upstream.received(cid)), ...(opened ? await t.upstream.records({ sessionId: opened, direction: 'in' }) : [])]) bySeq.set(record.seq, record);
  const scan = scanMessages({ revision: t.revision, mcpUrls: [t.ctx.target.url], target: t.ctx.target, exchanges: t.exchanges, records: [...bySeq.values()] });

  t.judgeProblems(VALID, scan.invalid, {
    seen: { 'message delivered to the client': scan.delivered, 'message sent to the upstream': scan.sent },
    fail: `the proxy passed on ${scan.invalidCount} message${scan.invalidCount === 1 ? '' : 's'} that the JSON Schema of ${t.revision} (or of the upstream's revision) rejects`,
    pass: `${scan.delivered} messages delivered to the client and ${scan.sent} sent to the upstream in this conversation are valid: for ${t.revision} to the client, for ${scan.upstreamRevisions?.join(' and ')} to the upstream`,
    expected: `every message on both legs valid against the JSON Schema of its revision: ${t.revision} to the client, the revision each message declares (or the upstream's era) to the upstream`,
  });
});
