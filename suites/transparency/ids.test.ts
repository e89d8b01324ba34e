/** JSON-RPC ids come back exactly as sent, in value and in type, for results and for errors. */
import { scenario, type ScenarioContext } from '../../harness/src/index.ts';

const ID_PRESERVED = 'transparency/id-preserved';

const IDS: Array<string | number> = ['abc', '', 'ünï-🆔', 0, 1, 42, '42', -7, 9007199254740991, '9007199254740993'];

scenario('A proxy MUST answer each request with the id the client sent, in value and type', [ID_PRESERVED], async (t: ScenarioContext) => {
  const client = await t.session();
  const problems: string[] = [];
  let answers = 0;
  for (const [i, id] of IDS.entries()) {
    const cid = t.cid();
    // Alternate results and errors, and JSON and SSE answers.
    const tool = i % 3 === 2 ? 'error' : 'echo';
    const { exchange } = await client.callTool(tool, { cid, code: -32602, message: 'scripted' }, { id, cid, sse: i % 2 === 1 });
    const messages = exchange.kind === 'json' ? [exchange.json] : exchange.events.map((e) => e.json);
    const answer = messages.find((m) => !!m && typeof m === 'object' && !('method' in (m as object)) && ('result' in (m as object) || 'error' in (m as object))) as
      | Record<string, unknown>
      | undefined;
    if (answer) answers++;
    if (!answer) {
      problems.push(`id ${JSON.stringify(id)}: no response came back (HTTP ${exchange.status}${exchange.error ? `, ${exchange.error}` : ''})`);
    } else if (!Object.is(answer.id, id)) {
      problems.push(`sent id ${JSON.stringify(id)} (${typeof id}), got ${JSON.stringify(answer.id)} (${typeof answer.id})`);
    }
  }
  t.judgeProblems(ID_PRESERVED, problems, {
    seen: { answers },
    fail: `${problems.length} of ${IDS.length} responses did not carry the request's id`,
    pass: `all ${IDS.length} ids came back with the same value and type`,
    expected: `ids ${IDS.map((id) => JSON.stringify(id)).join(', ')} returned as sent`,
  });
});
