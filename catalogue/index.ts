/**
 * Every check proxyspec knows, gathered from the suites' declarations (`suites/<suite>/checks.ts`,
 * beside the scenarios that judge them). `proxyspec list`, the README's check table, the reports and
 * the engine all read this one list; nothing here declares a check.
 */
import { AUTH_CHECKS } from './checks/auth.ts';
import { BOUNDARY_CHECKS } from './checks/boundary.ts';
import { ERRORS_CHECKS } from './checks/errors.ts';
import { INTEROP_CHECKS } from './checks/interop.ts';
import { LIMITS_CHECKS } from './checks/limits.ts';
import { OPERATIONS_CHECKS } from './checks/operations.ts';
import { PERFORMANCE_CHECKS } from './checks/performance.ts';
import { POOLING_CHECKS } from './checks/pooling.ts';
import { REPLICAS_CHECKS } from './checks/replicas.ts';
import { RESILIENCE_CHECKS } from './checks/resilience.ts';
import { SECURITY_CHECKS } from './checks/security.ts';
import { SESSION_CHECKS } from './checks/session.ts';
import { TRANSPARENCY_CHECKS } from './checks/transparency.ts';
import { HINT_NAMES } from './hints.ts';
import type { CheckDef } from './types.ts';

/** Level 1 suites first, in the order a reader meets them; the order of the reports and the README. */
export const CHECKS: readonly CheckDef[] = [
  ...TRANSPARENCY_CHECKS,
  ...SESSION_CHECKS,
  ...ERRORS_CHECKS,
  ...BOUNDARY_CHECKS,
  ...INTEROP_CHECKS,
  ...AUTH_CHECKS,
  ...SECURITY_CHECKS,
  ...POOLING_CHECKS,
  ...LIMITS_CHECKS,
  ...PERFORMANCE_CHECKS,
  ...RESILIENCE_CHECKS,
  ...OPERATIONS_CHECKS,
  ...REPLICAS_CHECKS,
];

const byId = new Map<string, CheckDef>();
for (const check of CHECKS) {
  // Declarations are code: a slip here is a bug of ours, found the moment anything loads the catalogue.
  if (byId.has(check.id)) throw new Error(`check ${check.id} is declared twice`);
  for (const hint of check.hints ?? []) if (!HINT_NAMES.includes(hint)) throw new Error(`check ${check.id} names the unknown hint ${hint}`);
  byId.set(check.id, check);
}
for (const check of CHECKS) for (const dep of check.dependsOn ?? []) if (!byId.has(dep)) throw new Error(`check ${check.id} depends on the unknown check ${dep}`);

export function getCheck(id: string): CheckDef {
  const check = byId.get(id);
  if (!check) throw new Error(`unknown check id ${id}`);
  return check;
}

export function hasCheck(id: string): boolean {
  return byId.has(id);
}
