/**
 * JSON-RPC ids and progress tokens are unique only within one client's session. Several clients
 * here use the very same id and progress token at the same moment; each must get only its own
 * answer and its own progress. A proxy that multiplexes clients onto one upstream and routes by id
 * crosses them.
 */
import { scenario, waitUntil, type ScenarioContext, type SseEventRecord } from '../../harness/src/index.ts';

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
  const besides = lost.length ? ` (${lost.join('; ')}: lost, not crossed, and transparency/progress-streamed's to judge)` : '';
  t.judgeProblems(COLLIDING, problems, {
    seen: { 'answers to the clients': answered, 'progress notifications': progressSeen },
    // "Crossed" only when a client got another's answer or progress; a lost one is said as what it is.
    fail: problems.some((p) => p.includes('another client') || p.includes("other clients'")) ? `answers or progress crossed between clients that used the same id and token${besides}` : (problems[0] ?? ''),
    pass: lost.length
      ? `${CLIENTS} clients used id ${SHARED_ID} and progress token "${SHARED_TOKEN}" at once; each got only its own answer, and no progress of another's${besides}`
      : `${CLIENTS} clients used id ${SHARED_ID} and progress token "${SHARED_TOKEN}" at once; each got only its own answer and its own ${counts.join(', ')} notifications`,
    expected: `each client: the answer to its own call and exactly its own progress notifications`,
  });
});
