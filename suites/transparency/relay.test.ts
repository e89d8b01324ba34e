/**
 * The plain relay: one tools/call through the target, seen at the upstream and answered with the
 * upstream's own result. The relay canary repeats this call before every other scenario.
 */
import { scenario, type ScenarioContext } from '../../harness/src/index.ts';

const CALL = 'transparency/call-relayed';

scenario(
  'A proxy MUST relay a plain tools/call and bring back the upstream\'s result',
  [CALL],
  async (t: ScenarioContext) => {
    const cid = t.cid();
    // As patient as the relay canary: a stdio bridge starts a process for the session, which a loaded machine takes seconds to do.
    const client = t.client({ timeoutMs: 30_000 });
    const init = await client.initialize({ cid });
    const problems: string[] = [];
    const seen = { 'tools/call received upstream': 0, 'result at the client': 0 };
    if (!init.response || !('result' in init.response)) {
      problems.push(`initialize got ${init.exchange.outcome === 'answered' ? `HTTP ${init.exchange.status}: ${init.exchange.body.slice(0, 160)}` : `no answer (${init.exchange.outcome})`}`);
    } else {
      const call = await client.callTool('echo', { cid, text: 'a plain call' }, { cid });
      const { request: received, message: answer } = await t.upstream.answerTo(cid, 'tools/call');
      seen['tools/call received upstream'] = received ? 1 : 0;
      if (!received) problems.push('the tools/call never reached the upstream');
      if (!call.response) problems.push(`no answer with the call's id (${call.exchange.outcome === 'answered' ? `HTTP ${call.exchange.status}` : call.exchange.outcome})`);
      // A request is answered as JSON or as an SSE stream: nothing else tells the client how to read it.
      const type = call.exchange.headers['content-type'] ?? '';
      if (call.exchange.status === 200 && !/^(application\/json|text\/event-stream)\b/i.test(type)) problems.push(`the answer came as ${JSON.stringify(type || null)}, neither application/json nor text/event-stream`);
      if (call.response && !('result' in call.response)) problems.push(`a JSON-RPC error instead of the result: ${JSON.stringify(call.response.error).slice(0, 160)}`);
      else if (call.response && answer) {
        // That it is the upstream's answer is all this check asks; whether it arrived unchanged is
        // transparency/response-body-unchanged's to judge.
        seen['result at the client'] = 1;
        if (!JSON.stringify(call.response.result).includes(cid)) problems.push(`the result is not the upstream's answer to this call: ${JSON.stringify(call.response.result).slice(0, 160)}`);
      }
    }
    t.judgeProblems(CALL, problems, {
      seen,
      fail: 'a plain tools/call does not cross the target',
      pass: 'the tools/call reached the upstream and the upstream\'s result for it came back',
      expected: 'initialize, then tools/call echo: received upstream, the upstream\'s result at the client',
    });
  },
  // This scenario judges relaying itself; the canary before it would only repeat it.
  { canary: false, timeoutMs: 70_000 },
);
