// One vitest project per folder; the suites run against the built-in targets (`reference`,
// `reference-stdio`, `direct`), where every verdict must pass. vitest 4 reads `test.projects`.
// The quiet scenarios against `reference` run in groups of their own, once the busy ones have finished.
import { defineConfig } from 'vitest/config';

const suites = (target: string, groupOrder = 0, maxWorkers?: number) => ({
  test: {
    name: `suites-${target}`,
    ...(maxWorkers && { maxWorkers }),
    include: ['suites/**/*.test.ts'],
    // Timing- and memory-sensitive scenarios run in the quiet group below, after everything else.
    exclude: ['**/node_modules/**', 'suites/**/*.quiet.test.ts'],
    globalSetup: ['harness/src/run/vitest-setup.ts'],
    // Suite files share nothing but the harness: loaded once per worker, not once per file (as `proxyspec run` does).
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    sequence: { groupOrder },
  },
});

/** The timing- and memory-sensitive scenarios against `target`, one file at a time, in a group of their own. */
const quiet = (target: string, groupOrder: number) => ({
  test: {
    name: `suites-${target}-quiet`,
    include: ['suites/**/*.quiet.test.ts'],
    globalSetup: ['harness/src/run/vitest-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    sequence: { groupOrder },
  },
});

export default defineConfig({
  test: {
    // Most test files wait on child processes and sockets, not on the CPU: three at a time on two
    // cores (four overloaded a fresh clone, whose tsx cache starts cold).
    maxWorkers: 3,
    projects: [
      // A proxy test may start an upstream process, which a loaded machine with a cold tsx cache
      // takes seconds to bring up: the default 5 s is too short for that (seen in CI).
      { test: { name: 'proxy', include: ['proxy/test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000, sequence: { groupOrder: 0 } } },
      { test: { name: 'mocks', include: ['mocks/test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000, sequence: { groupOrder: 0 } } },
      {
        test: {
          name: 'harness',
          include: ['harness/test/**/*.test.ts'],
          // A third-party proxy's full run and the broken-proxy matrix take minutes: scripts of their own
          // (npm run test:third-party, npm run test:defects), which CI runs too.
          exclude: ['**/node_modules/**', 'harness/test/third-party.test.ts', 'harness/test/broken-proxies.test.ts', 'harness/test/image.test.ts', 'harness/test/package.test.ts', 'harness/test/replicas.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          maxConcurrency: 3,
          sequence: { groupOrder: 0 },
        },
      },
      // Every check proven able to fail: one run per broken proxy, three at a time.
      { test: { name: 'defects', include: ['harness/test/broken-proxies.test.ts'], testTimeout: 180_000, hookTimeout: 60_000, maxConcurrency: 3, sequence: { groupOrder: 0 } } },
      // Image targets on a real engine (DOCKER_HOST): npm run test:image, which CI runs after starting Podman.
      { test: { name: 'image', include: ['harness/test/image.test.ts'], testTimeout: 420_000, hookTimeout: 180_000, sequence: { groupOrder: 0 } } },
      // Two reference proxies sharing a Redis (redis-server from the system): npm run test:replicas.
      { test: { name: 'replicas', include: ['harness/test/replicas.test.ts'], testTimeout: 420_000, hookTimeout: 60_000, sequence: { groupOrder: 0 } } },
      // The packed package installed into an empty folder, on this Node and on 22 and 24: npm run test:package.
      { test: { name: 'package', include: ['harness/test/package.test.ts'], testTimeout: 400_000, hookTimeout: 360_000, sequence: { groupOrder: 0 } } },
      { test: { name: 'third-party', include: ['harness/test/third-party.test.ts'], testTimeout: 400_000, sequence: { groupOrder: 2 } } },
      { test: { name: 'reports', include: ['reports/test/**/*.test.ts'], sequence: { groupOrder: 0 } } },
      // The session era (2025-11-25) and the stateless one (2026-07-28, the default --spec): every
      // check judged there passes against the mock itself (direct), and through the reference proxy.
      suites('reference@2025-11-25'),
      // A stdio bridge starts a process per session, which a machine busy with the self-tests makes
      // slow enough to time out: it runs last, after the quiet groups, on a machine at rest, two
      // files at a time (one at a time when each process compiled TypeScript through tsx: a file
      // that opens two dozen sessions at once starved another's; compiled, they start in a fraction).
      suites('reference-stdio@2025-11-25', 3, 2),
      // Its 2026-07-28 requests share a process per principal (a legacy server's, a pool), so it starts few.
      suites('reference-stdio@2026-07-28', 3, 2),
      suites('direct@2025-11-25'),
      suites('direct@2026-07-28'),
      suites('reference@2026-07-28'),
      // Alone, after everything else: the session era's in group 1, the stateless era's in group 2
      // (memory, overhead, and the pooling count, which another scenario's cut streams skew). Not after the stdio group: the
      // processes it leaves exiting made the overhead check measure the reference proxy 1.2 ms over
      // its allowance twice in a full run, where alone it stays 0.4 to 0.6 ms under.
      quiet('reference@2025-11-25', 1),
      quiet('reference@2026-07-28', 2),
    ],
  },
});
