/**
 * The model of `perf.json`, written by `proxyspec bench`: the machine, every measured round, and per
 * target the figures against `direct` measured in the same run. `reports/perf.schema.json` is
 * generated from it (`npm run schema`). Version 1; fields are only ever added.
 */
import { z } from 'zod';

export const PERF_SCHEMA_VERSION = 1;

const Latency = z.object({ p50: z.number(), p90: z.number(), p99: z.number(), mean: z.number(), max: z.number() });

export const PerfRoundSchema = z.object({
  scenario: z.string(),
  /** The target's profile name (`direct`, `reference`, `floor` for the built-ins). */
  target: z.string(),
  round: z.number().int().min(1),
  connections: z.number().int().positive(),
  /** Requests per second in total when the load was paced (paced-json); absent when every connection was kept busy. */
  offeredRate: z.number().positive().optional(),
  durationSec: z.number(),
  requests: z.number().int(),
  requestsPerSec: z.number(),
  latencyMs: Latency,
  /**
   * How finely latencyMs was measured: 0.001 (each response's hrtime, kept in microseconds) or 1
   * (autocannon's whole milliseconds, when its worker threads carry the load). Absent in files
   * written before it was added, which were all 1.
   */
  latencyResolutionMs: z.number().positive().optional(),
  errors: z.number().int(),
  timeouts: z.number().int(),
  non2xx: z.number().int(),
  /** CPU of the load generator's own process during the round, in % of one core. */
  loadGeneratorCpuPercent: z.number(),
});
export type PerfRound = z.infer<typeof PerfRoundSchema>;

export const PerfSummarySchema = z.object({
  scenario: z.string(),
  target: z.string(),
  connections: z.number().int().positive(),
  /** As in the rounds: the offered rate of a paced scenario. */
  offeredRate: z.number().positive().optional(),
  rounds: z.number().int(),
  requestsPerSec: z.number(),
  latencyMs: Latency,
  errorRate: z.number(),
  /** Against `direct` in the same run; absent for direct itself. */
  vsDirect: z.object({ throughputRatio: z.number(), addedP50Ms: z.number(), addedP99Ms: z.number() }).optional(),
  /** Against the floor (a minimal node:http pass-through) in the same run, when the run had one: what this proxy costs beyond one more hop. */
  vsFloor: z.object({ throughputRatio: z.number(), addedP99Ms: z.number() }).optional(),
});
export type PerfSummary = z.infer<typeof PerfSummarySchema>;

export const PerfSchema = z.object({
  schemaVersion: z.literal(PERF_SCHEMA_VERSION),
  harness: z.object({ name: z.literal('proxyspec'), version: z.string() }),
  startedAt: z.string(),
  durationMs: z.number(),
  environment: z.object({
    cpuModel: z.string(),
    cores: z.number().int(),
    node: z.string(),
    platform: z.string(),
    release: z.string(),
    totalMemoryBytes: z.number(),
    loadAverageBefore: z.array(z.number()),
    loadAverageAfter: z.array(z.number()),
  }),
  settings: z.object({
    scenarios: z.array(z.string()),
    connections: z.array(z.number().int()),
    durationSec: z.number(),
    rounds: z.number().int(),
    /** paced-json's offered rate, in requests per second in total (added after version 1 first shipped). */
    rate: z.number().positive().optional(),
  }),
  targets: z.array(z.object({ name: z.string(), kind: z.enum(['direct', 'reference', 'profile', 'floor', 'nginx']), url: z.string(), upstream: z.enum(['http', 'stdio']), version: z.string().optional() })),
  results: z.array(PerfRoundSchema),
  summary: z.array(PerfSummarySchema),
  memory: z.array(
    z.object({
      target: z.string(),
      sessions: z.number().int(),
      rssBeforeBytes: z.number(),
      rssAfterBytes: z.number(),
      /**
       * The slope of resident memory against sessions opened, fitted over the batches; null when
       * the fit's spread is as large as the slope (noise could have drawn it): "not measurable in
       * this run", never a number noise produced. A number in every perf.json before 0.3.
       */
      bytesPerSession: z.number().nullable(),
      /** The standard error of that slope. Added in 0.3. */
      slopeStdErrBytes: z.number().optional(),
      /** Resident memory after each batch, with the sessions open by then. Added in 0.3. */
      readings: z.array(z.object({ sessions: z.number().int(), rssBytes: z.number() })).optional(),
    }),
  ),
  /** Why a scenario or a target has no figures (memory of a target the harness did not start, …). */
  notes: z.array(z.string()),
});
export type Perf = z.infer<typeof PerfSchema>;

export function perfJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(PerfSchema, { target: 'draft-2020-12' }), $id: 'https://proxyspec.dev/schema/perf-v1.json', title: 'proxyspec perf' };
}
