/**
 * Decides, before a scenario runs, whether each of its checks applies to this run and can be judged:
 * selected by the user, in the revision's range, its feature claimed, meaningful for this target,
 * upstream kind and upstream era (otherwise `n/a` or `skipped`), and given the hints it needs (otherwise `untested`,
 * with the hint named, so the summary says what to add to the profile).
 */
import { MECHANISMS, missingIn, whyLacking } from '../../../wire/index.ts';
import type { RunContext } from '../context.ts';
import { describeHint, missingHints } from '../../../catalogue/hints.ts';
import type { CheckDef, Verdict } from '../../../catalogue/types.ts';
import { bridgeOf } from '../record/bridge-view.ts';

export interface NotRun {
  verdict: Extract<Verdict, 'n/a' | 'skipped' | 'untested'>;
  message: string;
}

export function whyNotRun(check: CheckDef, ctx: RunContext): NotRun | null {
  if (!ctx.selected.includes(check.id)) return { verdict: 'skipped', message: 'excluded by the run\'s selection (--suite, --only, --exclude)' };
  const lacking = missingIn(ctx.revision, check.needs);
  if (lacking.length) {
    const why = lacking.map((m) => `${MECHANISMS[m]}: ${whyLacking(ctx.revision, m)}`).join('; ');
    return { verdict: 'n/a', message: `needs what ${ctx.revision} does not have (${why}); applies to ${check.revisions.join(', ')}` };
  }
  for (const feature of [...(check.feature ? [check.feature] : []), ...(check.alsoNeeds ?? [])]) {
    if (!ctx.target.features.includes(feature)) return { verdict: 'n/a', message: `needs the feature "${feature}", which the target does not claim` };
  }
  if (check.proxyOnly && ctx.target.kind === 'direct') return { verdict: 'n/a', message: 'judges a proxy, and the direct target has none' };
  if (check.upstreams && !check.upstreams.includes(ctx.target.upstream)) {
    return { verdict: 'n/a', message: `cannot be judged with a ${ctx.target.upstream} upstream${check.upstreamReason ? `: ${check.upstreamReason}` : ''}` };
  }
  if (check.sameEraOnly && bridgeOf(ctx.target, ctx.revision)) {
    return { verdict: 'n/a', message: `the upstream serves the ${ctx.target.upstreamEra} era only, so the proxy bridges to it and that leg speaks the other era's revision: ${check.sameEraOnly}` };
  }
  const missing = missingHints(check.hints ?? [], ctx.target.config);
  if (missing.length) {
    return { verdict: 'untested', message: `untested: give ${missing.map((h) => `config.${h} (${describeHint(h)})`).join(' and ')} in the profile to judge ${check.id}` };
  }
  return null;
}
