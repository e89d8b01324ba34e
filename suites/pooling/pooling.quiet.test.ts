/**
 * Upstream connections are a shared pool, not one per client or per request. Counted in the quiet
 * phase (after the other suites, alone): the streams of another scenario, cut while this one runs,
 * take their connections with them, and the pool then opens new ones that are no fault of its own.
 */
import { TargetFailure, inPool, scenario } from '../../harness/src/index.ts';

const REUSED = 'pooling/upstream-connections-reused';
const CLIENTS = 20;
const WAVE = 5;
const CALLS = 5;

scenario('Twenty clients share fewer upstream connections than there are clients', [REUSED], async (t) => {
  const cid = t.cid();
  const bulk = t.bulk();
  const statuses: number[] = [];
  // All twenty sessions stay open throughout; their traffic comes five clients at a time, so a pool
  // needs about five connections where a connection per client needs twenty.
  const sessions: (string | undefined)[] = [];
  for (let w = 0; w < CLIENTS; w += WAVE) {
    for (const s of await inPool(WAVE, WAVE, () => bulk.open(cid))) {
      if (!s.ok) throw new TargetFailure(`a session did not open, or server/discover was refused (HTTP ${s.status} ${s.error ?? ''}), so connections could not be counted`);
      sessions.push(s.id);
    }
  }
  for (let w = 0; w < CLIENTS; w += WAVE) {
    await inPool(WAVE, WAVE, async (i) => {
      for (let c = 0; c < CALLS; c++) statuses.push(await bulk.call(sessions[w + i], 'echo', { c }, cid));
    });
  }
  await inPool(sessions.length, WAVE, (i) => bulk.delete(sessions[i]));
  const failed = statuses.filter((s) => s !== 200).length;
  if (failed) throw new TargetFailure(`${failed} of ${statuses.length} calls failed, so connections could not be counted`);
  const records = await t.upstream.received(cid);
  const connections = new Set(records.map((r) => r.connectionId).filter((id) => id !== undefined));
  t.judge(REUSED, connections.size < CLIENTS, {
    seen: { 'upstream requests': records.length, 'upstream connections': connections.size },
    message: `${records.length} upstream requests from ${CLIENTS} clients arrived on ${connections.size} upstream connections`,
    expected: `fewer than ${CLIENTS} upstream connections`,
    observed: `${connections.size} connections`,
  });
});
