/**
 * What operators rely on: a rate limit per token subject, metrics that count exactly, and health and
 * readiness that say what the proxy can do. Counted on copies of the target of their own where other
 * scenarios would move the counters.
 */
import { Agent, request } from 'undici';
import parsePrometheus from 'parse-prometheus-text-format';
import { FAULT_META_KEY, describeCall, forge, preciseNow, scenario, validClaims, waitUntil, type CallResult, type McpClient, type ScenarioContext } from '../../harness/src/index.ts';

const RATE = 'operations/rate-limited-per-subject';
const METRICS = 'operations/metrics-exact';
const HEALTH = 'operations/health-and-readiness';

/** A hint's URL for the target at `targetUrl`: `{port}` is that target's port. */
const atPort = (template: string, targetUrl: string) => template.replaceAll('{port}', new URL(targetUrl).port);

scenario('A proxy MUST limit a token subject to its rate, with 429 and Retry-After, and no one else', [RATE], async (t: ScenarioContext) => {
  const { requests, windowMs, subject, otherSubject } = t.hint(RATE, 'rateLimit');
  if (!t.ctx.target.auth) return t.untested(RATE, 'a rate limit per user needs the feature auth: the harness tells users apart by the subject of their tokens');
  const claims = validClaims(t.auth);
  const token = async (sub: string) => `Bearer ${await forge(t.auth, { ...claims, sub, client_id: sub })}`;
  const limitedHeaders = { ...t.ctx.target.headers, authorization: await token(subject) };
  // Another subject: a second limited one when the profile names it (its own budget, from the same address), else one with no limit.
  const otherName = otherSubject ?? `proxyspec-other-${Date.now().toString(36)}`;
  const otherHeaders = { ...t.ctx.target.headers, authorization: await token(otherName) };

  // Two clients of the limited subject, used in turn, each with a session (where the revision has
  // them) and a connection of its own: a limit per session or per connection lets through twice as many.
  const started = preciseNow();
  let sent = 0;
  let refusal: { call: CallResult; cid: string } | undefined;
  const agents = [new Agent({ connections: 1 }), new Agent({ connections: 1 })];
  const opened = await Promise.all(
    agents.map(async (dispatcher) => {
      const client = t.client({ headers: limitedHeaders, timeoutMs: 30_000, dispatcher });
      return { client, init: await client.initialize({ cid: t.cid() }) };
    }),
  );
  t.onCleanup(async () => {
    await Promise.all(opened.map((o) => o.client.close()));
    await Promise.all(agents.map((a) => a.close()));
  });
  for (const { client, init } of opened) {
    // initialize is followed by notifications/initialized; server/discover is one request.
    sent += init.response && 'result' in init.response && !client.stateless ? 2 : 1;
    if (init.exchange.status === 429) refusal ??= { call: init, cid: '' };
  }
  const sessions: McpClient[] = opened.filter((o) => o.init.response && 'result' in o.init.response).map((o) => o.client);
  if (!refusal && sessions.length < 2) return t.block(RATE, `the limited subject's two clients could not ${sessions[0]?.stateless ? 'discover the server' : 'open their sessions'}`, opened.map((o) => describeCall(o.init)).join('; '));
  // Until refused, or beyond what any limit of this rate could allow in the time it took (a bucket that refills included).
  const beyond = () => requests + Math.ceil((requests * (preciseNow() - started)) / windowMs) + 1;
  for (let i = 0; !refusal && sent <= beyond() && i < 3 * requests + 10; i++) {
    const cid = t.cid();
    const call = await sessions[i % sessions.length].callTool('echo', { cid }, { cid });
    sent++;
    if (call.exchange.status === 429) refusal = { call, cid };
    else if (!call.response || !('result' in call.response)) return t.block(RATE, `a request under the limit got ${describeCall(call)}, so the limit cannot be told from other refusals`, describeCall(call));
  }
  const elapsed = preciseNow() - started;
  // A window may have ended meanwhile, and the count started again: then no refusal proves nothing.
  if (!refusal && elapsed >= windowMs) return t.block(RATE, `the harness took ${Math.round(elapsed)} ms to send ${sent} requests, a whole ${windowMs} ms window, so the limit was not tested at its rate`);

  const problems: string[] = [];
  if (!refusal) problems.push(`${sent} requests of subject ${subject} in ${Math.round(elapsed)} ms, over a limit of ${requests} per ${windowMs} ms, were all served`);
  else {
    const { call, cid } = refusal;
    const allowedUpTo = requests + Math.ceil((requests * elapsed) / windowMs);
    if (sent - 1 < requests) problems.push(`the ${sent}th request was refused, under the limit of ${requests}`);
    if (sent - 1 > allowedUpTo) problems.push(`${sent - 1} requests were served before the first refusal, over the limit of ${requests}`);
    const retryAfter = call.exchange.headers['retry-after'];
    if (retryAfter === undefined || !(/^\d+$/.test(retryAfter) || !Number.isNaN(Date.parse(retryAfter)))) problems.push(`the 429 has no valid Retry-After (got ${JSON.stringify(retryAfter)})`);
    const error = call.response && 'error' in call.response ? (call.response.error as { code?: unknown; message?: unknown }) : undefined;
    if (!error || !Number.isInteger(error.code) || typeof error.message !== 'string') problems.push(`the 429 body is not a JSON-RPC error with code and message: ${call.exchange.body.slice(0, 160)}`);
    if (cid && (await t.upstream.received(cid)).length > 0) problems.push('the refused request reached the upstream');
  }
  // Meanwhile, another subject on the same address is served.
  const other = t.client({ headers: otherHeaders });
  const init = await other.initialize({ cid: t.cid() });
  const otherCid = t.cid();
  const otherCall = init.response && 'result' in init.response ? await other.callTool('echo', { cid: otherCid }, { cid: otherCid }) : init;
  if (otherCall.exchange.status === 429 || !otherCall.response || !('result' in otherCall.response)) {
    problems.push(`${otherSubject ? `${otherSubject}, limited on its own and calling from the same address,` : 'another subject'} while ${subject} was limited, got ${describeCall(otherCall)}`);
  }
  t.judgeProblems(RATE, problems, {
    seen: { 'requests of the limited subject': sent, 'refusals': refusal ? 1 : 0 },
    fail: 'the rate limit was not applied per subject as configured',
    pass: `${sent - 1} requests of ${subject} were served, the next got 429 with Retry-After ${refusal?.call.exchange.headers['retry-after']} and a JSON-RPC error, and never reached the upstream; ${otherSubject ? `${otherSubject}, limited on its own, was served from the same address` : 'another subject was served'} meanwhile`,
    expected: `${requests} requests per ${windowMs} ms for ${subject} across its sessions, then 429 + Retry-After + JSON-RPC error; other subjects unaffected${otherSubject ? `, ${otherSubject} with a budget of its own` : ''}`,
  });
});

interface Family {
  name: string;
  type?: string;
  metrics: Array<{ value?: string; labels?: Record<string, string> }>;
}

/**
 * Several replicas' metrics as an operator aggregates them: counters (and anything not a gauge)
 * summed per label set over the replicas, gauges taken at their highest (a gauge of something the
 * replicas share, such as the sessions in a shared store, is the same on each; one of something a
 * replica keeps alone is non-zero on that replica only, in a copy of the target that starts empty).
 */
function combine(pages: Family[][]): Family[] {
  const byName = new Map<string, { type?: string; samples: Map<string, { labels?: Record<string, string>; value: number }> }>();
  for (const page of pages) {
    for (const family of page) {
      const entry = byName.get(family.name) ?? { type: family.type, samples: new Map() };
      byName.set(family.name, entry);
      for (const sample of family.metrics) {
        const key = JSON.stringify(Object.entries(sample.labels ?? {}).sort());
        const value = Number(sample.value ?? 0);
        const seen = entry.samples.get(key);
        if (!seen) entry.samples.set(key, { labels: sample.labels, value });
        else seen.value = family.type?.toLowerCase() === 'gauge' ? Math.max(seen.value, value) : seen.value + value;
      }
    }
  }
  return [...byName].map(([name, { type, samples }]) => ({ name, type, metrics: [...samples.values()].map((s) => ({ labels: s.labels, value: String(s.value) })) }));
}

/** The metrics of every replica (one URL without replicas), as one page. */
async function scrapeAll(urls: string[]): Promise<{ families: Family[] } | { problem: string }> {
  const pages = await Promise.all(urls.map(scrape));
  const failed = pages.find((p) => 'problem' in p);
  if (failed) return failed;
  return { families: combine(pages.map((p) => (p as { families: Family[] }).families)) };
}

/** Scrapes and parses the metrics; an unreadable page is the target's failure to judge. */
async function scrape(url: string): Promise<{ families: Family[] } | { problem: string }> {
  try {
    const res = await request(url, { headersTimeout: 5000, bodyTimeout: 5000 });
    const text = await res.body.text();
    if (res.statusCode !== 200) return { problem: `${url} answered HTTP ${res.statusCode}` };
    return { families: parsePrometheus(text) as Family[] };
  } catch (err) {
    return { problem: `${url} could not be read as Prometheus text: ${(err as Error).message}` };
  }
}

/** The sum of a series' samples whose labels match. */
function total(families: Family[], name: string, match: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  let sum = 0;
  for (const sample of family?.metrics ?? []) {
    if (Object.entries(match).every(([k, v]) => sample.labels?.[k] === v)) sum += Number(sample.value ?? 0);
  }
  return sum;
}

scenario('A proxy MUST serve Prometheus metrics that count exactly what a client did', [METRICS], async (t: ScenarioContext) => {
  const hint = t.hint(METRICS, 'metrics');
  // A copy of its own: on the shared target, other scenarios move the same counters.
  const target = await t.isolatedTarget();
  // As replicas, each serves its own metrics: read from every one of them, as an operator's Prometheus would.
  const urls = (target.replicas?.map((r) => r.url) ?? [target.url]).map((u) => atPort(hint.url, u));
  const scrape = () => scrapeAll(urls);
  const before = await scrape();
  if ('problem' in before) return t.judge(METRICS, false, { seen: {}, message: 'the metrics could not be read', observed: before.problem });

  const client = await t.session({ url: target.url, headers: target.headers });
  const afterOpen = await scrape();
  const ok: CallResult[] = [];
  for (let i = 0; i < 3; i++) {
    const cid = t.cid();
    ok.push(await client.callTool('echo', { cid }, { cid }));
  }
  // A call the proxy refuses itself: a protocol version no revision has (400, before anything goes upstream).
  const refusedCid = t.cid();
  const refused = await client.callTool('echo', { cid: refusedCid }, { cid: refusedCid, headers: { 'mcp-protocol-version': '1999-01-01' } });
  const failedCid = t.cid();
  const failed = await client.callTool('echo', { cid: failedCid }, { cid: failedCid, timeoutMs: 10_000, meta: { [FAULT_META_KEY]: 'reset' } });
  const after = await scrape();
  await client.close();
  const closed = await scrape();
  if ('problem' in afterOpen || 'problem' in after || 'problem' in closed) {
    const problem = [afterOpen, after, closed].find((s) => 'problem' in s) as { problem: string };
    return t.judge(METRICS, false, { seen: {}, message: 'the metrics could not be read', observed: problem.problem });
  }
  if (ok.some((c) => !c.response || !('result' in c.response)) || failed.exchange.status < 500 || refused.exchange.status !== 400) {
    return t.block(METRICS, 'the calls did not come back as scripted (3 served, 1 refused with 400, 1 failed upstream), so there is no exact count to expect', [...ok, refused, failed].map(describeCall).join('; '));
  }

  const problems: string[] = [];
  const m = hint.methodLabel;
  const delta = (name: string, match: Record<string, string> = {}, from = before.families, to = after.families) => total(to, name, match) - total(from, name, match);
  const calls = delta(hint.requests, { [m]: 'tools/call' });
  if (calls !== 5) problems.push(`${hint.requests}{${m}="tools/call"} moved by ${calls}, not 5`);
  // How the client opened: initialize in the session era, server/discover in the stateless one.
  const opening = client.stateless ? 'server/discover' : 'initialize';
  const inits = delta(hint.requests, { [m]: opening });
  if (inits !== 1) problems.push(`${hint.requests}{${m}="${opening}"} moved by ${inits}, not 1`);
  // By outcome: the three served calls under one value of the outcome label, the refused one and the
  // failed one each under another (a proxy may count a refusal and an error alike, never as served).
  const outcomeValues = new Set((after.families.find((f) => f.name === hint.requests)?.metrics ?? []).filter((s) => s.labels?.[m] === 'tools/call').map((s) => s.labels?.[hint.outcomeLabel] ?? ''));
  const outcomes = new Map([...outcomeValues].map((v) => [v, delta(hint.requests, { [m]: 'tools/call', [hint.outcomeLabel]: v })] as const));
  const byOutcome = [...outcomes.values()].filter((n) => n !== 0).sort((a, b) => a - b);
  if (!['[1,1,3]', '[2,3]'].includes(JSON.stringify(byOutcome))) {
    problems.push(`the tools/call counts by ${hint.outcomeLabel} moved by ${JSON.stringify(Object.fromEntries(outcomes))}, not 3 under one outcome and the refused and the failed call under others`);
  }
  const failures = delta(hint.upstreamFailures);
  if (failures !== 1) problems.push(`${hint.upstreamFailures} moved by ${failures}, not 1`);
  // The stateless era opens no session: the gauge must not move.
  const sessionsOpened = client.stateless ? 0 : 1;
  const opened = delta(hint.sessionsOpen, {}, before.families, afterOpen.families);
  if (opened !== sessionsOpened) problems.push(`${hint.sessionsOpen} moved by ${opened} when ${client.stateless ? 'a stateless client sent server/discover' : 'one session opened'}, not ${sessionsOpened}`);
  const ended = total(closed.families, hint.sessionsOpen) - total(before.families, hint.sessionsOpen);
  if (ended !== 0) problems.push(`${hint.sessionsOpen} is ${ended} above where it started after the session was deleted`);

  let circuitSeen = 1;
  if (hint.circuitOpen) {
    // Fail until the proxy refuses by itself (its circuit opened), then read the gauge.
    let opened503 = false;
    const again = await t.session({ url: target.url, headers: target.headers });
    for (let i = 0; i < 50 && !opened503; i++) {
      const cid = t.cid();
      const call = await again.callTool('echo', { cid }, { cid, timeoutMs: 10_000, meta: { [FAULT_META_KEY]: 'reset' } });
      opened503 = call.exchange.status === 503 && (await t.upstream.received(cid)).length === 0 && (await target.upstream.received(cid)).length === 0;
    }
    const open = await scrape();
    circuitSeen = opened503 ? 1 : 0;
    if (opened503 && 'families' in open && total(open.families, hint.circuitOpen) < 1) problems.push(`${hint.circuitOpen} stayed ${total(open.families, hint.circuitOpen)} while the proxy refused calls with 503 without sending them upstream (its circuit was open)`);
  }
  t.judgeProblems(METRICS, problems, {
    seen: { 'calls counted': 5, ...(hint.circuitOpen && { 'circuit opened': circuitSeen }) },
    fail: 'the metrics do not count what happened',
    pass: `${hint.requests} counted 1 ${opening} and 5 tools/call (${byOutcome.reverse().join(', ')} by ${hint.outcomeLabel}, the served ones apart), ${hint.upstreamFailures} 1, ${hint.sessionsOpen} ${client.stateless ? 'unmoved' : '+1 then back'}${hint.circuitOpen ? `, ${hint.circuitOpen} 1 while open` : ''}`,
    expected: `after ${opening}, 3 served calls, 1 call refused for its protocol version and 1 whose upstream connection was reset${client.stateless ? '' : ', then DELETE'}: exactly those counts${client.stateless ? ', the open-sessions gauge unmoved' : ''}`,
  });
});


scenario('A proxy MUST stay live, and report not ready while no upstream can take requests', [HEALTH], async (t: ScenarioContext) => {
  const hint = t.hint(HEALTH, 'health');
  const target = await t.isolatedTarget();
  const live = atPort(hint.liveness, target.url);
  const ready = atPort(hint.readiness, target.url);
  const ok = (s: number) => s >= 200 && s < 300;
  // Kept in the transcript: the answers are the evidence. 0 when nothing answers.
  const statusOf = async (url: string) => (await t.raw('GET', [], '', 5000, { bare: true, url })).status;
  const problems: string[] = [];
  const up = [await statusOf(live), await statusOf(ready)];
  if (!ok(up[0]) || !ok(up[1])) {
    return t.judge(HEALTH, false, { seen: {}, message: 'not live and ready with its upstream up', observed: `liveness HTTP ${up[0] || 'no answer'}, readiness HTTP ${up[1] || 'no answer'}`, expected: '2xx for both' });
  }
  await target.primary.kill();
  const downReady = await waitUntil(() => statusOf(ready), (s) => !ok(s), 10_000, 250);
  const downLive = await statusOf(live);
  if (ok(downReady)) problems.push(`readiness still answered HTTP ${downReady} 10 s after the only upstream went down`);
  if (!ok(downLive)) problems.push(`liveness answered ${downLive ? `HTTP ${downLive}` : 'nothing'} while the upstream was down: an orchestrator would restart a proxy that is fine`);
  await target.primary.restart({ keepSessions: true });
  const backReady = await waitUntil(() => statusOf(ready), ok, 15_000, 250);
  if (!ok(backReady)) problems.push(`readiness answered HTTP ${backReady || 'nothing'} 15 s after the upstream came back`);
  t.judgeProblems(HEALTH, problems, {
    seen: { 'readiness answers': 3 },
    fail: 'liveness and readiness do not tell an orchestrator what it needs',
    pass: `ready with the upstream up, HTTP ${downReady} from readiness (and live) while it was down, ready again once it came back`,
    expected: 'liveness 2xx throughout; readiness 2xx, then non-2xx within 10 s of the upstream going down, then 2xx within 15 s of it coming back',
  });
});
