/**
 * The L2 overhead check: a 20 ms upstream call, ten clients at once (each pausing up to 20 ms between
 * calls), in rotating rounds of one run: straight to the mock upstream (direct), through a minimal
 * pass-through proxy (the floor: what one more loopback hop costs on this machine), and through the
 * target, after a warm-up on each path. Only medians are compared: the target may add at most 1 ms (or 5 %) more than the floor.
 * A figure over the limit is measured once more and judged on both measurements together: on a busy
 * two-core machine the same proxy's figure moves by a few tenths of a millisecond from run to run
 * (measured: the reference's excess over the floor 0.2-0.8 ms, once 1.14 ms), and a proxy is not failed
 * on one unlucky run. A proxy truly over the limit is over it in both.
 */
import { TargetFailure, inPool, preciseNow, scenario, startFloorProxy } from '../../harness/src/index.ts';

const OVERHEAD = 'performance/overhead';
const CLIENTS = 10;
const CALLS_PER_ROUND = 3;
const ROUNDS = 24;
const UPSTREAM_MS = 20;
const THINK_MS = 20;
/** Calls per client on each path before anything is measured. */
const WARM_UP_CALLS = 40;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

scenario(
  'The proxy adds at most 1 ms (or 5 %) to the median of a 20 ms upstream call',
  [OVERHEAD],
  async (t) => {
    const cid = t.cid();
    const floor = await startFloorProxy(t.ctx.upstreamUrl);
    // As replicas, the proxy is measured on one of them: the balancer in front is the harness's, not the proxy's.
    const replica = t.ctx.target.replicas?.[0];
    const sides = {
      proxy: t.bulk(replica === undefined ? {} : { url: replica }),
      floor: t.bulk({ url: floor.url, headers: {} }),
      direct: t.bulk({ url: t.ctx.upstreamUrl, headers: {} }),
    };
    const SIDES = ['direct', 'floor', 'proxy'] as const;
    const latencies = { proxy: [] as number[], floor: [] as number[], direct: [] as number[] };
    let failures = 0;
    let measurements = 0;
    const figures = () => {
      const p50 = { proxy: median(latencies.proxy), floor: median(latencies.floor), direct: median(latencies.direct) };
      const hop = p50.floor - p50.direct;
      return { p50, hop, added: p50.proxy - p50.direct, allowed: hop + Math.max(1, 0.05 * p50.direct) };
    };
    try {
      const sessions = { proxy: [] as (string | undefined)[], floor: [] as (string | undefined)[], direct: [] as (string | undefined)[] };
      for (const side of SIDES) {
        for (const s of await inPool(CLIENTS, CLIENTS, () => sides[side].open(cid))) {
          if (!s.ok) throw new TargetFailure(`a ${side} session did not open, or server/discover was refused (HTTP ${s.status} ${s.error ?? ''}), so overhead cannot be measured`);
          sessions[side].push(s.id);
        }
      }
      // Every path warms up first: connections, and the JIT, which takes a proxy's longer code a few
      // hundred calls (measured: the proxy's excess over the floor falls from 2-4 ms in the first rounds
      // to a steady value by the tenth). Fast calls, back to back, warm the same code in a fraction of the time.
      for (const side of SIDES) {
        await inPool(CLIENTS, CLIENTS, async (i) => {
          for (let c = 0; c < WARM_UP_CALLS; c++) {
            if ((await sides[side].call(sessions[side][i], 'slow', { ms: 1 }, cid)) !== 200) failures++;
          }
        });
      }
      // Round 0 is one more warm-up (at the measured pace) and is not counted.
      const measure = async () => {
        measurements++;
        for (let round = 0; round <= ROUNDS; round++) {
          for (let k = 0; k < SIDES.length; k++) {
            const side = SIDES[(k + round) % SIDES.length];
            await inPool(CLIENTS, CLIENTS, async (i) => {
              for (let c = 0; c < CALLS_PER_ROUND; c++) {
                // Clients think between calls, as real ones do; in lockstep they would all arrive at once.
                await new Promise((r) => setTimeout(r, Math.random() * THINK_MS));
                const started = preciseNow();
                const status = await sides[side].call(sessions[side][i], 'slow', { ms: UPSTREAM_MS }, cid);
                if (status !== 200) failures++;
                else if (round > 0) latencies[side].push(preciseNow() - started);
              }
            });
          }
        }
      };
      await measure();
      const first = figures();
      if (!failures && first.added > first.allowed) await measure();
      await Promise.all(SIDES.flatMap((side) => sessions[side].map((id) => sides[side].delete(id))));
    } finally {
      await floor.stop();
    }
    if (failures) throw new TargetFailure(`${failures} calls failed, so overhead cannot be measured`);
    const { p50, hop, added, allowed } = figures();
    t.judge(OVERHEAD, added <= allowed, {
      seen: { 'calls through the proxy': latencies.proxy.length, 'direct': latencies.direct.length, 'through the floor': latencies.floor.length },
      message: `median ${p50.proxy.toFixed(2)} ms through the proxy, ${p50.floor.toFixed(2)} ms through a minimal pass-through, ${p50.direct.toFixed(2)} ms direct: the proxy adds ${added.toFixed(2)} ms, ${(added - hop).toFixed(2)} ms more than the extra hop itself (${latencies.proxy.length} calls each way, ${CLIENTS} clients, ${ROUNDS * measurements} rotating rounds${measurements > 1 ? ', measured twice since the first was over the limit' : ''}${replica === undefined ? '' : '; through replica 1 of ' + t.ctx.target.replicas!.length}`,
      expected: `at most ${allowed.toFixed(2)} ms added (the hop's ${hop.toFixed(2)} ms + ${Math.max(1, 0.05 * p50.direct).toFixed(2)} ms)`,
      observed: `${added.toFixed(2)} ms added`,
    });
  },
  { timeoutMs: 90_000 },
);
