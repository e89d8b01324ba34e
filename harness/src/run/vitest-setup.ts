/**
 * vitest globalSetup for the project's own `suites-<target>[@<revision>]` projects (`npm test`): starts the mocks
 * and the built-in target named by the project, provides the run context to the suite files, and
 * stops everything afterwards. In these runs every verdict must pass (assertPass).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { DEFAULT_REVISION, RevisionSchema } from '../../../wire/index.ts';
import { CHECKS } from '../../../catalogue/index.ts';
import { startFixture } from '../fixture/fixture.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // suites-<target>[@<revision>][-quiet]: the revision in the name, else PROXYSPEC_SPEC, else the default.
  const [targetName, named] = project.name.replace(/^suites-/, '').replace(/-quiet$/, '').split('@');
  const revision = RevisionSchema.parse(named ?? process.env.PROXYSPEC_SPEC ?? DEFAULT_REVISION);
  const fixture = await startFixture(targetName, { mocks: {} });
  const scratch = await mkdtemp(join(tmpdir(), 'proxyspec-suites-'));
  project.provide('proxyspec', fixture.context({ targetSpec: targetName, revision, resultsFile: join(scratch, 'results.jsonl'), selected: CHECKS.map((c) => c.id), assertPass: true }));
  return async () => {
    await fixture.stop();
    await rm(scratch, { recursive: true, force: true });
  };
}
