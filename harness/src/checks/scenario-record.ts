/**
 * What a scenario writes to the run's results file: one JSON line per scenario, with its verdicts,
 * its timing and the relay canary it ran first. The parent process validates every line against this
 * schema (derived from the report's own), so a malformed or missing line becomes an `error` for the
 * checks it should have carried, never an empty pass.
 */
import { z } from 'zod';
import { CheckReportSchema } from '../../../reports/src/schema.ts';
import { MessageScanSchema } from '../record/message-scan.ts';

export const CheckResultSchema = CheckReportSchema.pick({ id: true, verdict: true, message: true, expected: true, observed: true, durationMs: true, evidence: true });

export const CanaryOutcomeSchema = z.object({
  ok: z.boolean(),
  /** When the canary call started and ended (epoch ms, comparable across workers). */
  at: z.number(),
  endedAt: z.number(),
  /** What the canary saw: the answer and whether the upstream got the call. */
  detail: z.string(),
});
export type CanaryOutcome = z.infer<typeof CanaryOutcomeSchema>;

export const ScenarioRecordSchema = z.object({
  kind: z.literal('scenario'),
  title: z.string(),
  checks: z.array(z.string()),
  /** When the scenario's own work started and ended (after its canary). */
  startedAt: z.number(),
  endedAt: z.number(),
  /** The relay canary run just before the scenario; absent when no check of it ran or it is the canary's own check. */
  canary: CanaryOutcomeSchema.optional(),
  results: z.array(CheckResultSchema),
  /** The scenario's messages held to their schemas (record/message-scan.ts), when the run judges transparency/messages-schema-valid. */
  messages: MessageScanSchema.optional(),
});
export type ScenarioRecord = z.infer<typeof ScenarioRecordSchema>;
