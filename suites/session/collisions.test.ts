/**
 * JSON-RPC ids and progress tokens are unique only within one client's session. Several clients
 * here use the very same id and progress token at the same moment; each must get only its own
 * answer and its own progress. A proxy that multiplexes clients onto one upstream and routes by id
 * crosses them. And where a proxy puts several clients' calls onto one upstream session (or one
 * stdio process), it is the sender there: the calls it has in flight at once must carry ids and
 * progress tokens of its own making, distinct, as the upstream saw them.
 */
import { bodyJson, scenario, waitUntil, type ScenarioContext, type SseEventRecord } from '../../harness/src/index.ts';

const COLLIDING = 'session/colliding-ids-kept-apart';
const CLIENTS = 4;
const SHARED_ID = 1;
const SHARED_TOKEN = 'proxyspec-shared-token';

interface Progress {
  progressToken?: unknown;
  progress?: number;
  total?: number;
}

const progressOf = (e: SseEventRecord) => {
  const m = e.json as { method?: string; params?: Progress } | undefined;
  return m?.method === 'notifications/progress' ? m.params : undefined;
};

scenario('A proxy MUST keep answers and progress apart when clients use the same ids and tokens', [COLLIDING], async (t: ScenarioContext) => {
  const cids = Array.from({ length: CLIENTS }, () => t.cid());
  const clients = await Promise.all(cids.map((cid) => t.session({ cid })));
  // Each client's standalone stream too: progress sent there reaches the client (a SHOULD broken, not this MUST).
  const standalone = await Promise.all(clients.map((c) => c.standaloneStream()));
  // Client i asks for i + 2 notifications: the count tells whose result and whose progress a message is.
  const counts = cids.map((_, i) => i + 2);
  const calls = await Promise.all(
    clients.map((c, i) => c.callTool('progress', { cid: cids[i], count: counts[i], intervalMs: 25 }, { id: SHARED_ID, cid: cids[i], meta: { progressToken: SHARED_TOKEN }, timeoutMs: 15_000 })),
  );
  // What went to a standalone stream may come a moment after the result, on its other connection.
  const total = (i: number) => [...calls[i].exchange.events, ...(standalone[i]?.events ?? [])].filter((e) => progressOf(e) !== undefined).length;
  if (standalone.some(Boolean)) await waitUntil(async () => counts.every((n, i) => total(i) >= n), (done) => done, 1000);
  const problems: string[] = [];
  // A notification lost without crossing is not this check's: transparency/progress-streamed judges losses.
  const lost: string[] = [];
  let answered = 0;
  let progressSeen = 0;
  for (const [i, call] of calls.entries()) {
    const who = `client ${i + 1}`;
    const sent = (call.response?.result as { structuredContent?: { sent?: number } } | undefined)?.structuredContent?.sent;
    if (!call.response) problems.push(`${who} got no answer with its id ${SHARED_ID} (${call.exchange.outcome === 'answered' ? `HTTP ${call.exchange.status}` : call.exchange.outcome})`);
    else if (sent !== counts[i]) problems.push(`${who} got the answer to a call with ${sent ?? 'no'} notifications, not its own ${counts[i]}: another client's answer`);
    else answered++;
    const progress = [...call.exchange.events, ...(standalone[i]?.events ?? [])].map(progressOf).filter((p): p is Progress => p !== undefined);
    progressSeen += progress.length;
    const foreign = progress.filter((p) => p.total !== counts[i]);
    if (foreign.length) problems.push(`${who} got ${foreign.length} progress notifications of other clients' calls (totals ${[...new Set(foreign.map((p) => p.total))].join(', ')})`);
    const own = progress.filter((p) => p.total === counts[i]).map((p) => p.progress);
    if (own.length !== counts[i]) lost.push(`${who} got ${own.length} of its ${counts[i]} progress notifications`);
  }
  const upstream = await sharedUpstreamClashes(t, cids);
  problems.push(...upstream.clashes);
  const apart = upstream.sharing ? `; ${upstream.sharing} pairs of the calls were in flight at once in one upstream session, each with an id and progress token of its own there` : '';
  const besides = lost.length ? ` (${lost.join('; ')}: lost, not crossed, and transparency/progress-streamed's to judge)` : '';
  t.judgeProblems(COLLIDING, problems, {
    seen: { 'answers to the clients': answered, 'progress notifications': progressSeen },
    // "Crossed" only when a client got another's answer or progress; a lost one is said as what it is.
    fail: problems.some((p) => p.includes('another client') || p.includes("other clients'"))
      ? `answers or progress crossed between clients that used the same id and token${besides}`
      : problems.some((p) => p.includes('one upstream session'))
        ? 'the proxy sent calls of different clients to one upstream session with the same id or progress token while both were in flight'
        : (problems[0] ?? ''),
    pass: lost.length
      ? `${CLIENTS} clients used id ${SHARED_ID} and progress token "${SHARED_TOKEN}" at once; each got only its own answer, and no progress of another's${apart}${besides}`
      : `${CLIENTS} clients used id ${SHARED_ID} and progress token "${SHARED_TOKEN}" at once; each got only its own answer and its own ${counts.join(', ')} notifications${apart}`,
    expected: `each client: the answer to its own call and exactly its own progress notifications`,
  });
});

/**
 * The calls the upstream had in flight at once in one session (or one stdio process) that carried
 * the same id or the same progress token. A session-less HTTP upstream (2026-07-28) is left out:
 * each of its requests is an exchange of its own, with no sender's session to be unique in.
 */
async function sharedUpstreamClashes(t: ScenarioContext, cids: string[]): Promise<{ clashes: string[]; sharing: number }> {
  const seen = await Promise.all(cids.map((cid) => t.upstream.answerTo(cid, 'tools/call')));
  const calls = seen.flatMap(({ request, answer }, i) => {
    const message = request && (bodyJson(request) as { id?: unknown; params?: { _meta?: { progressToken?: unknown } } } | undefined);
    if (!request?.sessionId || !message) return [];
    return [{ client: i + 1, where: `${request.upstream}/${request.sessionId}`, from: request.at, to: answer?.at ?? Infinity, id: JSON.stringify(message.id), token: JSON.stringify(message.params?._meta?.progressToken) }];
  });
  const clashes: string[] = [];
  let sharing = 0;
  for (const [n, a] of calls.entries()) {
    for (const b of calls.slice(n + 1)) {
      if (a.where !== b.where || !(a.from < b.to && b.from < a.to)) continue;
      sharing++;
      const same = [a.id === b.id && `id ${a.id}`, a.token !== undefined && a.token === b.token && `progress token ${a.token}`].filter(Boolean);
      if (same.length) clashes.push(`the calls of clients ${a.client} and ${b.client} reached one upstream session in flight at once with the same ${same.join(' and ')}`);
    }
  }
  return { clashes, sharing };
}
