/**
 * Reads the relay canaries of a run (one before each scenario, in every worker) and says whether the
 * target stopped relaying, and after which check: the checks of the scenarios that ended between the
 * last canary that worked and the first that did not. Those judged while the relay was broken are
 * blocked, so that a check's fail is always about its own requirement.
 */
import type { ScenarioRecord } from '../checks/scenario-record.ts';
import type { CheckResult } from '../../../catalogue/types.ts';
import { RELAY_CHECK_ID } from '../checks/canary.ts';

export interface RelayFinding {
  ok: boolean;
  /** The checks whose scenario ran last before the relay stopped; empty when it never worked. */
  stoppedAfter: string[];
  /** When the first failed canary ended (epoch ms), the relay broken by then; undefined when none failed. */
  brokeAt?: number;
  message: string;
}

/** Which check ids of a scenario count as "having run" (judged, not n/a or skipped). */
function ran(record: ScenarioRecord): string[] {
  return record.results.filter((r) => !['n/a', 'skipped', 'untested'].includes(r.verdict)).map((r) => r.id);
}

export function findRelayBreak(records: readonly ScenarioRecord[]): RelayFinding {
  // A canary tells its result when it ends (a failed one has tried twice, which takes a while): a good
  // one proves the relay worked just before its end, a failed one that it was broken by then. So the
  // break lies between the last good end and the first failed end, and what was at work then did it.
  const canaries = records.filter((r) => r.canary).sort((a, b) => a.canary!.endedAt - b.canary!.endedAt);
  const firstBad = canaries.find((r) => !r.canary!.ok);
  if (!firstBad) return { ok: true, stoppedAfter: [], message: `the relay canary worked before each of ${canaries.length} scenarios` };
  const brokeAt = firstBad.canary!.endedAt;
  const lastGoodAt = Math.max(0, ...canaries.filter((r) => r.canary!.ok && r.canary!.endedAt < brokeAt).map((r) => r.canary!.endedAt));
  // The scenarios at work between the last canary that worked and the first that did not: those that
  // had ended by then, or else those still running (a scenario's cleanup, a DELETE, can be what broke it).
  // The relay check's own scenario, when it did not pass, saw the relay broken rather than broke it.
  const sawItBroken = (r: ScenarioRecord) => r.results.some((x) => x.id === RELAY_CHECK_ID && x.verdict !== 'pass');
  const active = records.filter((r) => r !== firstBad && r.startedAt < brokeAt && r.endedAt > lastGoodAt && ran(r).length > 0 && !sawItBroken(r));
  const ended = active.filter((r) => r.endedAt <= brokeAt);
  const culprits = (ended.length ? ended : active).sort((a, b) => b.endedAt - a.endedAt).flatMap(ran);
  const detail = firstBad.canary!.detail;
  if (culprits.length === 0) {
    return { ok: false, stoppedAfter: [], brokeAt, message: `The target did not relay a plain tools/call before any check had run (${detail}); the checks after that are blocked.` };
  }
  const named = culprits.length === 1 ? culprits[0] : `${culprits[0]} (or ${culprits.slice(1).join(', ')}, at work in the same moment)`;
  return { ok: false, stoppedAfter: culprits, brokeAt, message: `The target stopped relaying after ${named}: then a plain tools/call ${detail.replace(/^a plain tools\/call /, '')}; the checks after that are blocked.` };
}

/**
 * The verdicts of one scenario once the relay break is known: the relay check fails (the canary
 * repeats its requirement); a scenario whose canary failed has its checks blocked (the worker wrote
 * that; here the culprit is named); one that was running when the relay broke keeps its passes, but
 * its fails and errors are blocked, and its blocked checks say why, unless it is a culprit.
 */
export function applyRelayBreak(record: ScenarioRecord, finding: RelayFinding): CheckResult[] {
  if (finding.ok || finding.brokeAt === undefined) return record.results;
  if (record.checks.includes(RELAY_CHECK_ID)) {
    // The canary repeats this check's own requirement, so a canary that failed is a fail of it, whenever it ran.
    return record.results.map((r) =>
      r.id === RELAY_CHECK_ID && !['n/a', 'skipped', 'untested'].includes(r.verdict) ? { ...r, verdict: 'fail' as const, message: finding.message, observed: r.verdict === 'pass' ? `it passed when it ran; later ${finding.message}` : r.observed } : r,
    );
  }
  const after = finding.stoppedAfter.length ? `after ${finding.stoppedAfter[0]}` : 'before any check had run';
  if (record.canary && !record.canary.ok) {
    return record.results.map((r) => (r.verdict === 'blocked' ? { ...r, message: `blocked: the target stopped relaying ${after} (${record.canary!.detail})` } : r));
  }
  const straddles = record.startedAt < finding.brokeAt && record.endedAt > finding.brokeAt;
  const isCulprit = record.checks.some((id) => finding.stoppedAfter.includes(id));
  if (!straddles || isCulprit) return record.results;
  // A check blocked on its own (its scenario hung on a call the broken relay never answered) is told why too.
  return record.results.map((r) =>
    ['fail', 'warn', 'error', 'blocked'].includes(r.verdict)
      ? { ...r, verdict: 'blocked' as const, message: `blocked: the target stopped relaying ${after} while this check ran; what it saw: ${r.message.replace(/^blocked: /, '')}` }
      : r,
  );
}
