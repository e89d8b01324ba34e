// One vitest project per folder; the suites run against the built-in targets (`reference`,
// `reference-stdio`, `direct`), where every verdict must pass. vitest 4 reads `test.projects`.
import { defineConfig } from 'vitest/config';

const suites = (target: string) => ({
  test: {
    name: `suites-${target}`,
    include: ['suites/**/*.test.ts'],
    globalSetup: ['harness/src/run/vitest-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'proxy', include: ['proxy/test/**/*.test.ts'] } },
      { test: { name: 'mocks', include: ['mocks/test/**/*.test.ts'] } },
      { test: { name: 'harness', include: ['harness/test/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 60_000, maxConcurrency: 3 } },
      { test: { name: 'reports', include: ['reports/test/**/*.test.ts'] } },
      suites('reference'),
      suites('reference-stdio'),
      suites('direct'),
    ],
  },
});
