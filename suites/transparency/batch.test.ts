/** Under 2025-03-26 a JSON-RPC batch crosses as a batch and every request gets its answer. */
import { exchangeMessages, scenario, type ScenarioContext } from '../../harness/src/index.ts';

const BATCH = 'transparency/batch-relayed';

scenario('A proxy MUST relay a JSON-RPC batch under 2025-03-26', [BATCH], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const batch = [
    { jsonrpc: '2.0', id: `b1-${cid}`, method: 'tools/call', params: { name: 'echo', arguments: { cid, n: 1 } } },
    { jsonrpc: '2.0', method: 'notifications/roots/list_changed', params: { _meta: { 'io.proxyspec/cid': cid } } },
    { jsonrpc: '2.0', id: 7, method: 'ping' },
  ];
  const exchange = await client.post(batch);
  const answers = exchangeMessages(exchange) as Array<Record<string, unknown>>;
  const problems: string[] = [];
  for (const id of [`b1-${cid}`, 7]) {
    if (!answers.some((a) => a && a.id === id && ('result' in a || 'error' in a))) problems.push(`no answer for id ${JSON.stringify(id)}`);
  }
  if (exchange.status >= 400) problems.push(`HTTP ${exchange.status}: ${exchange.body.slice(0, 160)}`);
  t.judgeProblems(BATCH, problems, {
    seen: { 'answer to the batch': exchange.outcome === 'answered' ? 1 : 0 },
    fail: 'the batch was not relayed',
    pass: 'both requests of the batch were answered',
    expected: 'answers for ids "b1-…" and 7',
  });
});
