import type { ScenarioContext } from '../../harness/src/index.ts';

/** What the interop scenarios share: a step of a real client's work, bounded in time and named when it is not done. */
export function withTimeout<T>(step: string, promise: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${step}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The progress step of a real client's work: it throws, naming how many of the 3 notifications the
 * client counted before the result, and how many the upstream sent (followed by the token its
 * request carried, which a proxy may have put in place of the client's). A client counts only what
 * arrives before the result: progress a proxy sends on the standalone GET stream can come after it.
 */
export async function expectThreeProgress(t: ScenarioContext, cid: string, counted: number, isError: boolean | undefined): Promise<void> {
  if (counted === 3 && !isError) return;
  const sent = (await t.upstream.progressFor(cid, 'tools/call')).length;
  throw new Error(`tools/call with progress: ${counted} of 3 progress notifications reached the client before the result, of ${sent} the upstream sent${isError ? ', and an error result' : ''}`);
}
