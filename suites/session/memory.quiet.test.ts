/**
 * Memory that stays behind per client: a session opened and deleted in the session era; in the
 * stateless era, a client that discovers the server and makes a call. Timing- and load-sensitive, so
 * it runs in the quiet phase of a run (`*.quiet.test.ts`: after the other suites, alone).
 */
import { TargetFailure, inPool, scenario, targetRss, slope } from '../../harness/src/index.ts';

const MEMORY = 'session/memory-bounded';
const PER_BATCH = 300;
const BATCHES = 4;
/**
 * Resident memory moves by several megabytes as V8 grows and shrinks its heap, which over a batch of
 * 300 sessions reads as up to ~25 KB per session on a proxy that keeps nothing; 64 KB stays clear
 * of that and still catches a proxy that keeps a request's worth of data per session.
 */
const LIMIT_BYTES = 64 * 1024;

scenario(
  'Clients coming and going by the hundred leave no memory behind',
  [MEMORY],
  async (t) => {
    const pid = t.ctx.target.pid;
    if (pid === undefined) return t.untested(MEMORY, 'the harness did not start the target (it attached by url), so it cannot read its memory');
    const bulk = t.bulk();
    const cid = t.cid();
    const rss: number[] = [];
    const unit = t.has('sessions') ? 'session' : 'client';
    // One client's visit: a session opened and deleted; stateless, server/discover and a call.
    const visit = async () => {
      const s = await bulk.open(cid);
      if (!s.ok) return false;
      if (s.id !== undefined) return (await bulk.delete(s.id)) !== 0;
      return (await bulk.call(undefined, 'echo', { cid }, cid).catch(() => 0)) === 200;
    };
    for (let b = 0; b < BATCHES; b++) {
      const failed = (await inPool(PER_BATCH, 10, visit)).filter((ok) => !ok).length;
      if (failed) throw new TargetFailure(`${failed} of ${PER_BATCH} ${unit === 'session' ? 'sessions did not open' : 'clients got no answer to their discovery or call'}, so memory per ${unit} cannot be measured`);
      await new Promise((r) => setTimeout(r, 300));
      const bytes = await targetRss(t.ctx.target);
      if (bytes === undefined) return t.untested(MEMORY, "the target's memory cannot be read on this system (no /proc)");
      rss.push(bytes);
    }
    // The first batch warms up (JIT, pools, buffers). After it, the trend of resident memory over the
    // batches (least squares, so that one garbage collection does not decide) is what stays per session.
    const perUnit = slope(rss.slice(1)) / PER_BATCH;
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    t.judge(MEMORY, perUnit < LIMIT_BYTES, {
      seen: { 'memory readings': rss.length },
      message: `resident memory after each batch of ${PER_BATCH} ${unit}s: ${rss.map(mb).join(', ')}; ${(perUnit / 1024).toFixed(1)} KB per ${unit} after warm-up`,
      expected: `under ${LIMIT_BYTES / 1024} KB per ${unit === 'session' ? 'session opened and deleted' : 'client that discovered the server and made a call'}`,
      observed: `${(perUnit / 1024).toFixed(1)} KB per ${unit}`,
    });
  },
  { timeoutMs: 120_000 },
);
