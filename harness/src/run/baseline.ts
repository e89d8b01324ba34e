/**
 * Expected-failure baselines (`--baseline file.yaml`): a list of check ids whose failure is known.
 * They still show as failures in the report but do not fail the gate; one that now passes is stale.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { HarnessError } from '../errors.ts';
import { hasCheck } from '../../../catalogue/index.ts';

const BaselineSchema = z.strictObject({
  expectedFailures: z.array(z.union([z.string(), z.strictObject({ id: z.string(), reason: z.string().optional() })])),
});

export type Baseline = Set<string>;

export async function loadBaseline(file: string): Promise<Baseline> {
  let raw: unknown;
  try {
    raw = parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new HarnessError('HARNESS_ERR_BASELINE_INVALID', `cannot read baseline ${file}: ${(cause as Error).message}`, { cause });
  }
  const result = BaselineSchema.safeParse(raw);
  if (!result.success) throw new HarnessError('HARNESS_ERR_BASELINE_INVALID', `invalid baseline ${file}:\n${z.prettifyError(result.error)}`);
  const ids = result.data.expectedFailures.map((e) => (typeof e === 'string' ? e : e.id));
  const unknown = ids.filter((id) => !hasCheck(id));
  if (unknown.length) throw new HarnessError('HARNESS_ERR_BASELINE_INVALID', `baseline ${file} names unknown checks: ${unknown.join(', ')}`);
  return new Set(ids);
}
