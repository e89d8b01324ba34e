/**
 * Cacheable results across authorization contexts (2026-07-28): two users send the same tools/list,
 * which the upstream answers as private and fresh each time. Each must get an answer of its own, with
 * the cacheScope and ttlMs the upstream gave it; a proxy that caches may reuse a user's answer for
 * that user, never for the other.
 */
import { CACHE_SCOPE_META_KEY, CID_META_KEY, SERVED_META_KEY, bodyJson, bridgeSeen, describeCall, forge, scenario, validClaims, type ScenarioContext } from '../../harness/src/index.ts';

const PRIVATE = 'auth/private-results-not-shared';

scenario('A proxy MUST NOT serve a private result to another authorization context', [PRIVATE], async (t: ScenarioContext) => {
  const claims = validClaims(t.auth);
  const stamp = Date.now().toString(36);
  const users = ['alice', 'bob'].map((name) => `proxyspec-${name}-${stamp}`);
  // One correlation id for both: the two requests are the same, byte for byte but for their JSON-RPC ids.
  const cid = t.cid();
  const answers: Array<{ user: string; served?: unknown; cacheScope?: unknown; ttlMs?: unknown; said: string }> = [];
  for (const user of users) {
    const token = await forge(t.auth, { ...claims, sub: user, client_id: user });
    const client = t.client({ headers: { ...t.ctx.target.headers, authorization: `Bearer ${token}` } });
    // Twice each: a proxy that caches per user may answer the second from its cache, which is allowed.
    for (let i = 0; i < 2; i++) {
      const call = await client.request('tools/list', { _meta: { [CID_META_KEY]: cid, [CACHE_SCOPE_META_KEY]: 'private' } }, { cid });
      const result = call.response && 'result' in call.response ? (call.response.result as Record<string, any>) : undefined;
      if (!result) return t.block(PRIVATE, `${user}'s tools/list was not served (${describeCall(call)}), so there is no result to compare`);
      answers.push({ user, served: result._meta?.[SERVED_META_KEY], cacheScope: result.cacheScope, ttlMs: result.ttlMs, said: describeCall(call) });
    }
  }
  // What the upstream sent, for the scope and ttl each answer must carry.
  const sent = (await t.upstream.sent(cid))
    .map((r) => (bodyJson(r) as { result?: Record<string, any> } | undefined)?.result)
    .filter((r): r is Record<string, any> => r?._meta?.[SERVED_META_KEY] !== undefined);
  if (sent.length === 0) return t.block(PRIVATE, 'no private tools/list answer was seen leaving the upstream, so none can be followed', answers.map((a) => a.said).join('; '));
  const byServed = new Map(sent.map((r) => [r._meta[SERVED_META_KEY], r]));
  const bridged = bridgeSeen(t.ctx.target, t.revision, await t.upstream.receivedRequest(cid, 'tools/list')) === 'to-legacy';
  const problems: string[] = [];
  const owner = new Map<unknown, string>();
  for (const a of answers) {
    const upstream = byServed.get(a.served);
    if (!upstream) {
      problems.push(`${a.user} got a tools/list the upstream never sent (served ${JSON.stringify(a.served)})`);
      continue;
    }
    const first = owner.get(a.served);
    if (first && first !== a.user) problems.push(`${a.user} was served the private tools/list the upstream made for ${first}`);
    owner.set(a.served, first ?? a.user);
    if (bridged) {
      // A legacy upstream says nothing of caching: a bridge must not let what it cannot know be shared.
      if (a.cacheScope !== 'private') problems.push(`${a.user}'s answer says cacheScope ${JSON.stringify(a.cacheScope)}, where a legacy upstream's list can only be private`);
      continue;
    }
    if (a.cacheScope !== upstream.cacheScope) problems.push(`${a.user}'s answer says cacheScope ${JSON.stringify(a.cacheScope)}, the upstream's ${JSON.stringify(upstream.cacheScope)}`);
    if (a.ttlMs !== upstream.ttlMs) problems.push(`${a.user}'s answer says ttlMs ${JSON.stringify(a.ttlMs)}, the upstream's ${JSON.stringify(upstream.ttlMs)}`);
  }
  t.judgeProblems(PRIVATE, problems, {
    seen: { 'private answers compared': answers.length, 'made upstream': sent.length },
    fail: 'a private result crossed authorization contexts, or lost its cache hints',
    pass: `each of the ${answers.length} answers was one the upstream made for that user (${sent.length} made upstream), with its cacheScope private and ttlMs ${String(bridged ? answers[0].ttlMs : sent[0].ttlMs)}${bridged ? ' (set by the bridge: the legacy upstream says nothing of caching)' : ''}`,
    expected: 'no answer made for one user served to the other; cacheScope and ttlMs as the upstream sent them',
  });
});
