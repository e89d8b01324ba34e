/**
 * The report model: what `report.json` holds, as a zod schema. `reports/report.schema.json` is
 * generated from it (`npm run schema`) and published for users' tools. Version 1; fields are only
 * ever added, never renamed.
 */
import { z } from 'zod';

export const REPORT_SCHEMA_VERSION = 1;

export const ReportVerdictSchema = z.enum(['pass', 'fail', 'warn', 'n/a', 'skipped', 'blocked', 'untested', 'error']);
export type ReportVerdict = z.infer<typeof ReportVerdictSchema>;

export const LevelStateSchema = z.enum(['success', 'partial', 'failure', 'untested']);
export type LevelState = z.infer<typeof LevelStateSchema>;

export const SpecRefSchema = z.object({
  requirement: z.string(),
  revision: z.string(),
  url: z.string(),
  quote: z.string(),
  strength: z.string(),
});

export const EvidenceItemSchema = z.object({
  leg: z.enum(['client', 'upstream']),
  at: z.number(),
  summary: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

export const CheckReportSchema = z.object({
  id: z.string(),
  title: z.string(),
  suite: z.string(),
  level: z.number().int().min(1).max(3),
  strength: z.enum(['MUST', 'SHOULD']),
  revisions: z.array(z.string()),
  feature: z.string().optional(),
  dependsOn: z.array(z.string()),
  requirements: z.array(z.string()),
  /** Profile hints (`config.<name>`) the check needs; without them it is `untested`. Added in 0.2. */
  hints: z.array(z.string()).optional(),
  verdict: ReportVerdictSchema,
  message: z.string(),
  expected: z.string().optional(),
  observed: z.string().optional(),
  specRefs: z.array(SpecRefSchema),
  durationMs: z.number(),
  evidence: z.array(EvidenceItemSchema),
  /** Listed in the baseline as an expected failure. */
  baseline: z.enum(['expected-failure', 'stale']).optional(),
});
export type CheckReport = z.infer<typeof CheckReportSchema>;

export const LevelReportSchema = z.object({
  level: z.number().int().min(1).max(3),
  name: z.string(),
  state: LevelStateSchema,
  /** Features the level needs that the target does not claim. */
  missingFeatures: z.array(z.string()),
  /** Why the state is what it is, in a sentence. */
  reason: z.string(),
  counts: z.record(z.string(), z.number()),
});
export type LevelReport = z.infer<typeof LevelReportSchema>;

const CoverageCountsSchema = z.object({
  total: z.number().int(),
  traced: z.number().int(),
  excluded: z.number().int(),
  untested: z.number().int(),
  /** Those a proxy owes on the wire (total less excluded): the share traced is out of these. Absent from reports before it was added, where the share was out of total. */
  judgeable: z.number().int().optional(),
});

export const ReportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  harness: z.object({ name: z.literal('proxyspec'), version: z.string() }),
  startedAt: z.string(),
  durationMs: z.number(),
  spec: z.string(),
  target: z.object({
    name: z.string(),
    kind: z.enum(['reference', 'direct', 'profile']),
    version: z.string().optional(),
    url: z.string(),
    upstream: z.enum(['http', 'stdio']),
    /** The revisions the run's upstream served (`dual`: both eras), and which server it was; absent in reports of earlier versions. */
    upstreamEra: z.enum(['dual', 'legacy', 'modern']).optional(),
    upstreamServer: z.enum(['mock', 'sdk-v1']).optional(),
    features: z.array(z.string()),
    logs: z.object({ stdout: z.string(), stderr: z.string() }),
  }),
  selection: z.object({ suites: z.array(z.string()), only: z.array(z.string()), exclude: z.array(z.string()) }),
  levels: z.array(LevelReportSchema),
  /** The achieved level: the highest in state success, 0 when none. */
  level: z.number().int().min(0).max(3),
  requiredLevel: z.number().int().min(1).max(3).optional(),
  /** Whether the run met the gate (required level reached, no stale baseline entries). */
  gate: z.object({ passed: z.boolean(), reasons: z.array(z.string()) }),
  /** Verdict counts; reports written before `untested` existed lack that key. */
  summary: z.partialRecord(ReportVerdictSchema, z.number()),
  /**
   * The relay canary: a plain tools/call through the target between scenarios. When it stopped
   * working, `stoppedAfter` names the check(s) whose scenario ran last before it did; the checks
   * judged after that are blocked. Added in 0.2.
   */
  relay: z
    .object({
      ok: z.boolean(),
      stoppedAfter: z.array(z.string()),
      message: z.string(),
    })
    .optional(),
  /**
   * Where the run's time went, per suite: its scenarios, the time they took (summed: scenarios of a
   * suite may run side by side), and the wall time from the first one's start to the last one's
   * end. Relay canaries and target start-up are not in it. Added in 0.3.
   */
  suites: z.array(z.object({ suite: z.string(), scenarios: z.number().int(), scenarioMs: z.number(), wallMs: z.number() })).optional(),
  /**
   * How much of the run's revision the checks judge: its requirements that concern a proxy and
   * show on the wire, traced to a check, excluded with a reviewed reason, or untested (the untested
   * MUSTs listed). What `proxyspec coverage` prints. Added in 0.2.
   */
  coverage: z
    .object({
      revision: z.string(),
      must: CoverageCountsSchema,
      should: CoverageCountsSchema,
      untestedMusts: z.array(z.string()),
      /** Every requirement counted, with its link and state, and the checks that trace it or the reason it is excluded. Added in 0.4. */
      requirements: z
        .array(
          z.object({
            id: z.string(),
            strength: z.string(),
            state: z.enum(['traced', 'excluded', 'untested']),
            url: z.string(),
            checks: z.array(z.string()),
            reason: z.string().optional(),
            /** For an excluded one: removed, not-a-proxy-duty or unobservable. */
            exclusion: z.enum(['removed', 'not-a-proxy-duty', 'unobservable']).optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  checks: z.array(CheckReportSchema),
  machine: z.object({ node: z.string(), platform: z.string(), cpus: z.number(), cpuModel: z.string() }),
});
export type Report = z.infer<typeof ReportSchema>;

/** The JSON Schema published for report.json. */
export function reportJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ReportSchema, { target: 'draft-2020-12' }),
    $id: 'https://proxyspec.dev/schema/report-v1.json',
    title: 'proxyspec report',
  };
}
