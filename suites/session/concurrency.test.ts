/** Twenty sessions at once: each its own upstream session, each only its own answers. */
import { scenario, type ScenarioContext } from '../../harness/src/index.ts';

const CONCURRENT = 'session/isolation-concurrent';
const CLIENTS = 20;

scenario('A proxy MUST keep twenty concurrent sessions apart', [CONCURRENT], async (t: ScenarioContext) => {
  const cids = Array.from({ length: CLIENTS }, () => t.cid());
  // Generous time: a stdio bridge starts twenty processes at once.
  const clients = await Promise.all(cids.map((cid) => t.session({ cid, timeoutMs: 40_000 })));
  const problems: string[] = [];
  const ids = new Set(clients.map((c) => c.sessionId));
  const withIds = clients.filter((c) => c.sessionId !== undefined).length;
  if (withIds === CLIENTS && ids.size !== CLIENTS) problems.push(`${CLIENTS} clients got only ${ids.size} distinct session ids`);

  const calls = await Promise.all(clients.map((c, i) => c.callTool('echo', { cid: cids[i], index: i }, { cid: cids[i], sse: i % 2 === 1 })));
  const upstreamSessions = new Set<string>();
  let seenUpstream = 0;
  for (const [i, call] of calls.entries()) {
    const text = JSON.stringify(call.response ?? '');
    if (!call.response) problems.push(`client ${i + 1}: no answer (HTTP ${call.exchange.status})`);
    else if (!text.includes(cids[i])) problems.push(`client ${i + 1}: got an answer that is not its own`);
    const foreign = cids.filter((c, j) => j !== i && text.includes(c));
    if (foreign.length) problems.push(`client ${i + 1}: received data of ${foreign.length} other client(s)`);
    const record = await t.upstream.receivedRequest(cids[i], 'tools/call');
    if (record?.sessionId) {
      upstreamSessions.add(record.sessionId);
      seenUpstream++;
    }
  }
  if (seenUpstream === CLIENTS && upstreamSessions.size !== CLIENTS) problems.push(`${CLIENTS} clients' calls reached only ${upstreamSessions.size} distinct upstream sessions`);
  t.judge(CONCURRENT, problems.length === 0, {
    // Every client's session id and every call's upstream session are needed to tell sessions apart.
    seen: { 'session ids for all clients': withIds === CLIENTS ? 1 : 0, 'upstream sessions of all calls': seenUpstream === CLIENTS ? 1 : 0 },
    message: problems.length ? 'concurrent sessions were not isolated' : `${CLIENTS} concurrent clients: distinct sessions upstream, no crossed answers`,
    expected: `${CLIENTS} distinct session ids and upstream sessions, each client only its own answer`,
    observed: problems.slice(0, 8).join('; ') || undefined,
  });
}, { timeoutMs: 90_000 });
