/**
 * The target as replicas (`replicas:` in its profile), each reached on its own address so that which
 * replica gets a request is the scenario's choice, not the balancer's: a session opened on one and
 * used on another, deleted on one and asked for on all, its replica killed; a rate limit counted
 * across replicas; stateless requests spread over replicas.
 */
import { Agent } from 'undici';
import { describeCall, forge, preciseNow, scenario, validClaims, waitUntil, type CallResult, type McpClient, type ScenarioContext } from '../../harness/src/index.ts';
import { ask, startTask } from '../transparency/tasks-steps.ts';

const CONTINUES = 'replicas/session-continues-elsewhere';
const DELETED = 'replicas/delete-seen-everywhere';
const LOSS = 'replicas/replica-loss-survived';
const RATE = 'replicas/rate-limit-shared';
const STATELESS = 'replicas/stateless-any-replica';

/** The replicas' own endpoints, or undefined (the check is then untested) when there are fewer than two. */
function replicaUrls(t: ScenarioContext, id: string, urls: string[] | undefined): string[] | undefined {
  if (urls && urls.length >= 2) return urls;
  t.untested(id, `the target claims the feature replicas, but the harness started ${urls?.length ?? 1} copy of it: give \`replicas: 2\` (or more) in the profile`);
  return undefined;
}

/** A client of `url` that carries on `from`'s session (its id and negotiated version). */
function sameSession(t: ScenarioContext, from: McpClient, url: string, headers?: Record<string, string>): McpClient {
  const client = t.client({ url, ...(headers && { headers }) });
  client.sessionId = from.sessionId;
  client.negotiatedVersion = from.negotiatedVersion;
  return client;
}

const answered = (call: CallResult) => call.response !== undefined && 'result' in call.response;

/**
 * 2025-11-25: a task started through one replica is the session's, so another replica must reach it:
 * tasks/get and tasks/result through replica 2 find the task replica 1 created, and tasks/result
 * gives the call's own result. Not judged when the session offers no tasks (nothing to hand over).
 */
async function taskHandedOver(t: ScenarioContext, first: McpClient, second: McpClient): Promise<{ problems: string[]; judged: boolean }> {
  const args = { text: 'a task handed over', n: 7 };
  const started = await startTask(first, 'echo', args, t.cid());
  if (!started.taskId) return { problems: [], judged: false };
  const got = await ask(second, 'tasks/get', { taskId: started.taskId }, t.cid());
  const result = await ask(second, 'tasks/result', { taskId: started.taskId }, t.cid());
  const problems: string[] = [];
  if (got.result?.taskId !== started.taskId) problems.push(`tasks/get on replica 2 for the task replica 1 started (${started.taskId}): ${got.error ? `error ${JSON.stringify(got.error).slice(0, 120)}` : got.described}`);
  const structured = (result.result as { structuredContent?: Record<string, unknown> } | undefined)?.structuredContent;
  if (structured?.text !== args.text) problems.push(`tasks/result on replica 2 for the task replica 1 started: ${result.error ? `error ${JSON.stringify(result.error).slice(0, 120)}` : result.result ? `a result without the call's own (${JSON.stringify(structured ?? null).slice(0, 120)})` : result.described}`);
  return { problems, judged: true };
}

scenario('A proxy run as replicas MUST carry a session on, on whichever replica gets its next request', [CONTINUES], async (t: ScenarioContext) => {
  const urls = replicaUrls(t, CONTINUES, t.ctx.target.replicas);
  if (!urls) return;
  const first = await t.session({ url: urls[0] });
  const second = sameSession(t, first, urls[1]);
  const problems: string[] = [];
  const seen: Record<string, number> = {};

  const before = t.cid();
  await first.callTool('echo', { cid: before }, { cid: before });
  const upstreamSession = (await t.upstream.receivedRequest(before, 'tools/call'))?.sessionId;
  if (!upstreamSession) return t.block(CONTINUES, 'a call on the replica that opened the session never reached the upstream in a session, so there is no upstream session to follow');

  const cid = t.cid();
  const call = await second.callTool('echo', { cid }, { cid });
  seen['calls on replica 2'] = 1;
  if (!answered(call)) problems.push(`session known only to replica 1: a call on replica 2 got ${describeCall(call)}`);
  else {
    const relayed = (await t.upstream.receivedRequest(cid, 'tools/call'))?.sessionId;
    if (relayed !== upstreamSession) problems.push(`replica 2 sent the call in upstream session ${relayed ?? '(none)'}, not the session's own ${upstreamSession}`);
  }

  if (!problems.length && t.has('tasks')) {
    const handed = await taskHandedOver(t, first, second);
    problems.push(...handed.problems);
    if (handed.judged) seen['tasks on replica 2'] = 1;
  }

  if (!problems.length) {
    const stream = await second.openGet();
    seen['GET streams on replica 2'] = stream.status === 200 ? 1 : 0;
    if (stream.status !== 200) problems.push(`a GET stream on replica 2 got HTTP ${stream.status}`);
    else {
      const note = t.cid();
      await first.callTool('notify', { cid: note, data: { cid: note } }, { cid: note });
      if (!(await stream.waitFor((e) => e.data.includes(note), 5000))) problems.push('a server notification for the session never arrived on its GET stream on replica 2');
    }
    stream.close();
    const deleted = await second.delete();
    seen['DELETE on replica 2'] = 1;
    if (deleted.status < 200 || deleted.status >= 300) problems.push(`DELETE on replica 2 got HTTP ${deleted.status}${deleted.error ? ` (${deleted.error})` : ''}`);
    else {
      const live = await waitUntil(() => t.upstream.liveSessions(), (sessions) => !sessions.includes(upstreamSession));
      if (live.includes(upstreamSession)) problems.push(`the upstream session ${upstreamSession} is still alive after DELETE on replica 2`);
    }
  }
  first.sessionId = undefined;
  second.sessionId = undefined;
  t.judgeProblems(CONTINUES, problems, {
    seen,
    fail: 'the session did not carry on on another replica',
    pass: `opened on replica 1, then on replica 2: a call in the same upstream session${seen['tasks on replica 2'] ? ', a task started on replica 1 read and its result taken on replica 2' : ''}, a GET stream that carried the session's notification, and a DELETE that ended the upstream session`,
    expected: 'on replica 2, for a session opened on replica 1: the call answered in the same upstream session, the GET stream open and carrying the notification, DELETE ending the upstream session',
  });
});

scenario('A proxy run as replicas MUST answer 404 everywhere for a session deleted on one replica', [DELETED], async (t: ScenarioContext) => {
  const urls = replicaUrls(t, DELETED, t.ctx.target.replicas);
  if (!urls) return;
  const first = await t.session({ url: urls[0] });
  const others = urls.slice(1).map((url) => sameSession(t, first, url));
  // Every replica serves the session first, so that each has had its chance to keep a copy.
  for (const [i, client] of others.entries()) {
    const cid = t.cid();
    const call = await client.callTool('echo', { cid }, { cid });
    if (!answered(call)) return t.block(DELETED, `replica ${i + 2} did not serve the session before the DELETE (${describeCall(call)}), so what it does after cannot be told from what it never knew`);
  }
  const sessionId = first.sessionId;
  const deleted = await first.delete();
  if (deleted.status < 200 || deleted.status >= 300) return t.block(DELETED, `DELETE on replica 1 got HTTP ${deleted.status}, so the session did not end`);
  const problems: string[] = [];
  for (const [i, client] of [first, ...others].entries()) {
    const cid = t.cid();
    const after = await client.callTool('echo', { cid }, { cid, session: sessionId ?? null });
    if (after.exchange.status !== 404) problems.push(`replica ${i + 1} answered the deleted session with HTTP ${after.exchange.status}${answered(after) ? ' and a result' : ''}, not 404`);
    // The replica answers for the session it ended: one that asks the upstream still believes in it.
    else if ((await t.upstream.received(cid)).length > 0) problems.push(`replica ${i + 1} still took the deleted session for live: it sent the request upstream, whose own 404 came back`);
    client.sessionId = undefined;
  }
  t.judgeProblems(DELETED, problems, {
    seen: { 'replicas asked after DELETE': urls.length },
    fail: 'a replica still served a deleted session',
    pass: `every one of ${urls.length} replicas served the session, and every one answered 404 after DELETE on replica 1`,
    expected: '404 from every replica for the session deleted on replica 1, without sending the request upstream',
  });
});

scenario('A proxy run as replicas MUST serve a client on when the replica that served it dies', [LOSS], async (t: ScenarioContext) => {
  const target = await t.isolatedTarget();
  const replicas = target.replicas;
  if (!replicaUrls(t, LOSS, replicas?.map((r) => r.url))) return;
  const [doomed, survivor] = replicas!;
  const client = await t.session({ url: doomed.url, headers: target.headers });
  const before = t.cid();
  const first = await client.callTool('echo', { cid: before }, { cid: before });
  if (!answered(first)) return t.block(LOSS, `the session's first call on replica 1 got ${describeCall(first)}`);
  await doomed.kill();
  const problems: string[] = [];
  const viaSurvivor = sameSession(t, client, survivor.url, target.headers);
  const cid = t.cid();
  const call = await viaSurvivor.callTool('echo', { cid }, { cid });
  if (!answered(call)) problems.push(`after replica 1 was killed, a call on replica 2 got ${describeCall(call)}`);
  // And through the balancer, which now has one replica that answers.
  const viaBalancer = sameSession(t, client, target.url, target.headers);
  const cid2 = t.cid();
  const balanced = await viaBalancer.callTool('echo', { cid: cid2 }, { cid: cid2 });
  if (!answered(balanced)) problems.push(`after replica 1 was killed, a call through the balancer got ${describeCall(balanced)}`);
  for (const c of [client, viaSurvivor, viaBalancer]) c.sessionId = undefined;
  t.judgeProblems(LOSS, problems, {
    seen: { 'calls after the kill': 2 },
    fail: client.stateless ? 'the client was not served once its replica died' : 'the session died with its replica',
    pass: client.stateless
      ? 'replica 1 was killed (SIGKILL) after serving the client; its calls were then answered on replica 2 and through the balancer'
      : 'replica 1 was killed (SIGKILL) after opening the session; the session\'s calls were then answered on replica 2 and through the balancer',
    expected: `after SIGKILL of the replica that ${client.stateless ? 'served the client' : 'opened the session'}: calls answered on another replica and through the balancer`,
  });
});

scenario('A proxy run as replicas MUST count a subject\'s rate across all replicas', [RATE], async (t: ScenarioContext) => {
  if (!replicaUrls(t, RATE, t.ctx.target.replicas)) return;
  if (!t.ctx.target.auth) return t.untested(RATE, 'a rate limit per subject needs the feature auth: the harness tells subjects apart by their tokens');
  const { requests, windowMs, subject } = t.hint(RATE, 'rateLimit');
  // A copy of its own: on the shared target, the subject's counters are also moved by the per-subject check.
  const target = await t.isolatedTarget();
  const urls = target.replicas!.map((r) => r.url);
  const auth = target.auth!;
  const headers = { ...target.headers, authorization: `Bearer ${await forge(auth, { ...validClaims(auth), sub: subject, client_id: subject })}` };
  // One client per replica, each on a connection of its own, used in turn.
  const agents = urls.map(() => new Agent({ connections: 1 }));
  t.onCleanup(async () => {
    await Promise.all(agents.map((a) => a.close()));
  });
  const started = preciseNow();
  let sent = 0;
  let refused: CallResult | undefined;
  const clients: McpClient[] = [];
  for (const [i, url] of urls.entries()) {
    const client = t.client({ url, headers, dispatcher: agents[i], timeoutMs: 30_000 });
    const init = await client.initialize({ cid: t.cid() });
    sent += answered(init) && !client.stateless ? 2 : 1;
    if (init.exchange.status === 429) refused ??= init;
    else if (!answered(init)) return t.block(RATE, `the limited subject could not open its client on replica ${i + 1}: ${describeCall(init)}`);
    clients.push(client);
  }
  // Until refused, or beyond what the limit could allow all replicas together in the time it took.
  const beyond = () => requests + Math.ceil((requests * (preciseNow() - started)) / windowMs) + 1;
  for (let i = 0; !refused && sent <= beyond() && i < 3 * requests * urls.length + 10; i++) {
    const cid = t.cid();
    const call = await clients[i % clients.length].callTool('echo', { cid }, { cid });
    sent++;
    if (call.exchange.status === 429) refused = call;
    else if (!answered(call)) return t.block(RATE, `a request under the limit got ${describeCall(call)}, so the limit cannot be told from other refusals`);
  }
  const elapsed = preciseNow() - started;
  if (!refused && elapsed >= windowMs) return t.block(RATE, `the harness took ${Math.round(elapsed)} ms, a whole ${windowMs} ms window, so the limit was not tested at its rate`);
  t.judge(RATE, refused !== undefined, {
    seen: { 'requests sent': sent, replicas: urls.length },
    message: refused
      ? `refused with 429 after ${sent} requests spread over ${urls.length} replicas, within the subject's ${requests} per ${windowMs} ms`
      : `${sent} requests spread over ${urls.length} replicas were all served, more than ${requests} per ${windowMs} ms allows: each replica counted its own`,
    expected: `429 once the replicas together have served ${requests} requests of the subject in a window (allowing for refill)`,
    observed: refused ? `429 at request ${sent}` : `no 429 in ${sent} requests over ${Math.round(elapsed)} ms`,
  });
});

scenario('A proxy run as replicas MUST answer stateless requests on any replica, with nothing from earlier ones', [STATELESS], async (t: ScenarioContext) => {
  const urls = replicaUrls(t, STATELESS, t.ctx.target.replicas);
  if (!urls) return;
  const problems: string[] = [];
  let served = 0;
  // A client new to every replica: with authentication, a subject of its own that no request of the run has carried.
  const headers = t.ctx.target.auth ? { ...t.ctx.target.headers, authorization: `Bearer ${await forge(t.auth, { ...validClaims(t.auth), sub: `proxyspec-new-${t.cid()}` })}` } : t.ctx.target.headers;
  const agents: Agent[] = [];
  t.onCleanup(async () => {
    await Promise.all(agents.map((a) => a.close()));
  });
  // Each replica gets each kind of request from a client it has never heard of, and from one that
  // spoke to another replica first: the answer may not depend on either.
  const plan: Array<[string, (c: McpClient, cid: string) => Promise<CallResult>]> = [
    ['tools/call', (c, cid) => c.callTool('echo', { cid }, { cid })],
    ['tools/list', (c, cid) => c.request('tools/list', {}, { cid })],
    ['server/discover', (c, cid) => c.request('server/discover', {}, { cid })],
  ];
  for (const [r, url] of urls.entries()) {
    for (const [method, send] of plan) {
      const agent = new Agent({ connections: 1 });
      agents.push(agent);
      const fresh = t.client({ url, headers, dispatcher: agent });
      const cid = t.cid();
      const call = await send(fresh, cid);
      if (answered(call)) served++;
      else problems.push(`replica ${r + 1} answered a first ${method} from a new client with ${describeCall(call)}`);
      const elsewhere = t.client({ url: urls[(r + 1) % urls.length], headers });
      const cid2 = t.cid();
      const again = await send(elsewhere, cid2);
      if (answered(again)) served++;
      else problems.push(`replica ${((r + 1) % urls.length) + 1} answered ${method} from a client that had just spoken to replica ${r + 1} with ${describeCall(again)}`);
    }
  }
  t.judgeProblems(STATELESS, problems, {
    seen: { 'requests answered': served },
    fail: 'a replica needed earlier requests to answer',
    pass: `${served} requests (tools/call, tools/list, server/discover) answered on ${urls.length} replicas, each from clients it had never seen and from clients that had spoken to another replica`,
    expected: 'every request answered by whichever replica got it',
  });
});
