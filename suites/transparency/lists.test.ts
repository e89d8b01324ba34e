/**
 * Lists, page by page. The client walks tools/list, resources/list and prompts/list through the
 * proxy, following nextCursor to the end: once on one connection, again after a tools/call on that
 * connection, and once on another connection. Each walk must give the whole set the upstream
 * sent, every cursor that reaches the upstream must be one the upstream issued (a proxy may pass
 * cursors on, or issue its own and map them back, but not read or rewrite them), and, in
 * 2026-07-28, the empty cursor must count as more to come and every page of a list must carry one
 * cache scope. The mock's pages are of uneven size and its cursors break when decoded as URLs.
 */
import { bodyJson, describeCall, resultOf, scenario, type McpClient, type ScenarioContext } from '../../harness/src/index.ts';
import { paramHeadersOf } from '../../wire/index.ts';

const LISTS = 'transparency/lists-relayed';
const KEYS = { 'tools/list': 'tools', 'resources/list': 'resources', 'prompts/list': 'prompts' } as const;
type ListMethod = keyof typeof KEYS;
/** A walk that has not ended after this many pages is going round in circles. */
const MAX_PAGES = 20;

interface Walk {
  who: string;
  items: string[];
  pages: Array<{ cursor?: string; size: number; nextCursor?: unknown; cacheScope?: unknown }>;
  /** Why the walk stopped before the end, if it did. */
  broken?: string;
}

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const itemName = (item: unknown) => (isObject(item) ? String(item.uri ?? item.name) : JSON.stringify(item));

async function walk(client: McpClient, method: ListMethod, cid: string, who: string): Promise<Walk> {
  const found: Walk = { who, items: [], pages: [] };
  let cursor: string | undefined;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const call = await client.request(method, cursor === undefined ? {} : { cursor }, { cid });
    const result = resultOf(call);
    if (!result) {
      found.broken = `page ${page}${cursor === undefined ? '' : ` (cursor ${JSON.stringify(cursor)})`} got ${describeCall(call)}`;
      return found;
    }
    const items: unknown[] = Array.isArray(result[KEYS[method]]) ? result[KEYS[method]] : [];
    found.items.push(...items.map(itemName));
    found.pages.push({ cursor, size: items.length, nextCursor: result.nextCursor, cacheScope: result.cacheScope });
    if (typeof result.nextCursor !== 'string') return found;
    cursor = result.nextCursor;
  }
  found.broken = `${MAX_PAGES} pages and still a nextCursor`;
  return found;
}

/**
 * What the upstream did for one list: the cursors it got and issued, its items, and its pages'
 * cache scopes. Its answers are found by the session and id of each request (a session-era answer
 * need not carry the correlation id).
 */
async function upstreamSide(t: ScenarioContext, cid: string, method: ListMethod) {
  const key = (sessionId: string | null, id: unknown) => `${sessionId ?? ''}|${JSON.stringify(id)}`;
  const records = await t.upstream.records({ cid });
  const requests = new Set<string>();
  const received: unknown[] = [];
  const sessions = new Set<string>();
  for (const r of records.filter((r) => r.direction === 'in')) {
    const message = bodyJson(r);
    if (!isObject(message) || message.method !== method) continue;
    requests.add(key(r.sessionId, message.id));
    received.push(message.params?.cursor);
    if (r.sessionId) sessions.add(r.sessionId);
  }
  const answers = new Map(records.filter((r) => r.direction === 'out').map((r) => [r.seq, r]));
  for (const sessionId of sessions) for (const r of await t.upstream.records({ sessionId, direction: 'out' })) answers.set(r.seq, r);
  const issued = new Set<string>();
  const items = new Set<string>();
  // Tools whose x-mcp-header marks break the rules: a proxy that is a client over HTTP must leave them out.
  const rejectable = new Set<string>();
  const scopes = new Set<unknown>();
  for (const r of answers.values()) {
    const message = bodyJson(r);
    if (!isObject(message) || !requests.has(key(r.sessionId, message.id)) || !isObject(message.result)) continue;
    const result = message.result;
    if (typeof result.nextCursor === 'string') issued.add(result.nextCursor);
    for (const item of Array.isArray(result[KEYS[method]]) ? result[KEYS[method]] : []) {
      items.add(itemName(item));
      if (method === 'tools/list' && 'invalid' in paramHeadersOf(item?.inputSchema)) rejectable.add(itemName(item));
    }
    scopes.add(result.cacheScope);
  }
  return { received, issued, items, scopes, rejectable, asked: requests.size };
}

scenario('A proxy MUST relay lists page by page: cursors as the upstream issued them, the whole set on every connection, one cache scope per list', [LISTS], async (t: ScenarioContext) => {
  const cid = t.cid();
  const first = await t.session({ cid });
  const second = await t.session();
  const problems: string[] = [];
  const judged: string[] = [];
  const unjudged: string[] = [];
  let pagesSeen = 0;
  // A tool the profile says the proxy's policy denies is rightly missing from its tools/list.
  const denied = t.ctx.target.config.policy?.deniedTool;
  for (const method of Object.keys(KEYS) as ListMethod[]) {
    const opening = await walk(first, method, cid, 'the first walk');
    const upstream = await upstreamSide(t, cid, method);
    if (upstream.asked === 0) {
      // Nothing to compare with: the client's correlation id reached the upstream on no such request.
      unjudged.push(`${method}: the client's walk ${opening.broken ? `broke (${opening.broken})` : `gave ${opening.items.length} items`}, and no ${method} carrying its correlation id reached the upstream`);
      continue;
    }
    // Not offered by the upstream (the SDK's servers have no resources or prompts): it answered no page, so nothing to walk.
    if (opening.broken && opening.pages.length === 0 && upstream.items.size === 0 && upstream.issued.size === 0) continue;
    // The same list after another request on that connection, and on another connection.
    await first.callTool('echo', { between: method }, { cid });
    const walks = [opening, await walk(first, method, cid, 'the walk after a tools/call'), await walk(second, method, cid, 'the walk on another connection')];
    const after = await upstreamSide(t, cid, method);
    const filtered = method === 'tools/list' && denied && after.items.has(denied) ? `, ${denied} left out as the proxy's policy denies it` : '';
    judged.push(`${method} (${after.items.size} items${filtered})`);
    for (const w of walks) {
      pagesSeen += w.pages.length;
      const label = `${method}, ${w.who}`;
      if (w.broken) problems.push(`${label}: ${w.broken}`);
      const missing = [...after.items].filter((i) => !w.items.includes(i) && !(method === 'tools/list' && i === denied) && !after.rejectable.has(i));
      const extra = w.items.filter((i) => !after.items.has(i));
      const doubled = w.items.filter((i, n) => w.items.indexOf(i) !== n);
      if (missing.length) problems.push(`${label}: ${missing.length} of the ${after.items.size} items the upstream sent never reached the client (${missing.slice(0, 4).join(', ')}) over ${w.pages.length} pages, the last with nextCursor ${JSON.stringify(w.pages.at(-1)?.nextCursor ?? null)}${method === 'tools/list' ? ' (a tool the proxy\'s policy denies is expected missing once the profile names it in config.policy.deniedTool)' : ''}`);
      if (extra.length) problems.push(`${label}: items the upstream never sent (${extra.slice(0, 4).join(', ')})`);
      if (doubled.length) problems.push(`${label}: items listed twice (${doubled.slice(0, 4).join(', ')})`);
      if (!first.stateless) continue;
      // 2026-07-28: one cache scope on every page, and the upstream's when it sent one.
      const scopes = new Set(w.pages.map((p) => p.cacheScope));
      if (scopes.size > 1) problems.push(`${label}: its pages carry different cache scopes (${[...scopes].map((s) => JSON.stringify(s ?? null)).join(', ')})`);
      if (after.scopes.size === 1 && after.scopes.has('private') && !scopes.has('private')) problems.push(`${label}: the upstream made every page private, the client got ${[...scopes].map((s) => JSON.stringify(s ?? null)).join(', ')}`);
    }
    const unfollowed = [...after.issued].filter((c) => !after.received.includes(c));
    if (unfollowed.length) problems.push(`${method}: the upstream issued nextCursor ${unfollowed.map((c) => JSON.stringify(c)).join(', ')}, and no request ever came with it: the walk ended before the upstream's last page`);
    const foreign = after.received.filter((c) => c !== undefined && !(typeof c === 'string' && after.issued.has(c)));
    if (foreign.length) problems.push(`${method}: the upstream got cursors it never issued: ${foreign.slice(0, 3).map((c) => JSON.stringify(c)).join(', ')} (it issued ${[...after.issued].map((c) => JSON.stringify(c)).join(', ')})`);
  }
  if (judged.length === 0 && problems.length === 0) {
    if (unjudged.length) return t.block(LISTS, unjudged.join('; '));
    return t.untested(LISTS, 'the upstream serves no list this scenario can walk (it refused each itself)');
  }
  t.judgeProblems(LISTS, problems, {
    seen: { 'lists walked': judged.length, pages: pagesSeen },
    fail: 'a list did not come through whole, page by page',
    pass: `${judged.join(', ')}: each walked whole 3 times, on 2 connections and after a tools/call, over ${pagesSeen} pages, every cursor the upstream got one it had issued${first.stateless ? ', one cache scope per list' : ''}`,
    expected: 'every walk gives exactly the items the upstream sent, following every nextCursor (an empty one too); the upstream gets only cursors it issued; in 2026-07-28 every page of a list has the same cacheScope, private where the upstream made it private',
  });
});
