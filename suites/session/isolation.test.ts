/**
 * Sessions stay apart: each client gets its own visible-ASCII session id, its own upstream session,
 * only its own answers, and only its own notifications on its GET stream.
 */
import { scenario, type ScenarioContext } from '../../harness/src/index.ts';

const ISOLATION = 'session/isolation';
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

scenario('A proxy MUST keep client sessions apart', [ISOLATION], async (t: ScenarioContext) => {
  const cids = [t.cid(), t.cid()];
  const clients = [await t.session({ cid: cids[0] }), await t.session({ cid: cids[1] })];
  const problems: string[] = [];

  const ids = clients.map((c) => c.sessionId);
  for (const [i, id] of ids.entries()) {
    if (id !== undefined && !VISIBLE_ASCII.test(id)) problems.push(`client ${i + 1}'s session id ${JSON.stringify(id)} has characters outside 0x21–0x7E`);
  }
  if (ids[0] !== undefined && ids[0] === ids[1]) problems.push(`both clients were given the same session id ${ids[0]}`);

  // Each client calls; each must get only its own answer, from its own upstream session.
  const calls = await Promise.all(clients.map((c, i) => c.callTool('echo', { cid: cids[i], who: `client-${i + 1}` }, { cid: cids[i] })));
  const upstreamSessions: Array<string | null | undefined> = [];
  for (const [i, call] of calls.entries()) {
    const text = JSON.stringify(call.response ?? call.exchange.body);
    if (!call.response) problems.push(`client ${i + 1} got no answer (HTTP ${call.exchange.status})`);
    else if (!text.includes(cids[i])) problems.push(`client ${i + 1} got an answer that is not its own`);
    if (text.includes(cids[1 - i])) problems.push(`client ${i + 1} received client ${2 - i}'s data`);
    upstreamSessions.push((await t.upstream.receivedRequest(cids[i], 'tools/call'))?.sessionId);
  }
  const bothSeenUpstream = upstreamSessions.every((u) => typeof u === 'string');
  if (bothSeenUpstream && upstreamSessions[0] === upstreamSessions[1]) {
    problems.push(t.ctx.target.upstream === 'stdio' ? 'both clients\' calls reached the same upstream process' : `both clients' calls reached the upstream in the same upstream session ${upstreamSessions[0]}`);
  }

  // GET streams: a notification for one session must reach that session's stream only.
  const streams = await Promise.all(clients.map((c) => c.openGet()));
  const streamsOpen = streams.every((s) => s.status === 200);
  if (streamsOpen) {
    const received: string[][] = [[], []];
    for (const [i, client] of clients.entries()) {
      const notify = await client.callTool('notify', { cid: cids[i], data: { cid: cids[i] } }, { cid: cids[i] });
      received[i].push(...notify.exchange.events.map((e) => e.data));
      // With a stdio upstream a bridge may deliver it on the call's own stream (see get-stream-relayed).
      const onCall = t.ctx.target.upstream === 'stdio' && received[i].some((d) => d.includes(cids[i]));
      const got = onCall || (await streams[i].waitFor((e) => e.data.includes(cids[i]), 5000));
      if (!got) problems.push(`client ${i + 1}'s own notification never reached it`);
    }
    for (const [i, s] of streams.entries()) {
      const all = [...received[i], ...s.events.map((e) => e.data)];
      if (all.some((d) => d.includes(cids[1 - i]))) problems.push(`client ${i + 1} received client ${2 - i}'s notification`);
    }
  }

  // Whether each half was judged is said, never left out: the GET-stream half needs both streams open.
  const getHalf = streamsOpen ? 'only their own notifications on their GET streams' : `(GET streams not compared: GET got HTTP ${streams.map((s) => s.status).join(' and ')}, which transparency/get-stream-relayed judges)`;
  t.judgeProblems(ISOLATION, problems, {
    seen: { 'answers to both clients': calls.every((c) => c.response) ? 1 : 0, 'upstream sessions of both calls': bothSeenUpstream ? 1 : 0 },
    fail: 'sessions are not isolated',
    pass: `two clients got distinct sessions, distinct upstream sessions, only their own answers and ${getHalf}`,
    expected: 'distinct visible-ASCII session ids, distinct upstream sessions, no message crossing sessions',
  });
});
