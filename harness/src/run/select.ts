/** Which checks a run includes: --suite narrows by suite, --only and --exclude by id glob. */
import { CHECKS } from '../../../catalogue/index.ts';
import { SUITES } from '../../../catalogue/types.ts';
import { HarnessError } from '../errors.ts';

export interface Selection {
  suites: string[];
  only: string[];
  exclude: string[];
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

export function selectChecks(selection: Selection): string[] {
  const unknown = selection.suites.filter((s) => !(SUITES as readonly string[]).includes(s));
  if (unknown.length) throw new HarnessError('HARNESS_ERR_USAGE', `unknown suite ${unknown.join(', ')}; known: ${SUITES.join(', ')}`);
  const only = selection.only.map(globToRegExp);
  const exclude = selection.exclude.map(globToRegExp);
  const ids = CHECKS.filter(
    (c) =>
      (selection.suites.length === 0 || selection.suites.includes(c.suite)) &&
      (only.length === 0 || only.some((r) => r.test(c.id))) &&
      !exclude.some((r) => r.test(c.id)),
  ).map((c) => c.id);
  if (ids.length === 0) throw new HarnessError('HARNESS_ERR_USAGE', 'the selection (--suite, --only, --exclude) matches no check');
  return ids;
}
