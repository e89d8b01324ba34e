/**
 * The bench's scenario names, in the order they run. A module of its own so that the CLI can list
 * and check them without loading the bench (and autocannon with it).
 */
export const BENCH_SCENARIOS = ['small-json', 'paced-json', 'sse-progress', 'payload-100kb', 'slow-20ms', 'idle-sessions'] as const;

export type BenchScenario = (typeof BENCH_SCENARIOS)[number];

export function isBenchScenario(name: string): name is BenchScenario {
  return (BENCH_SCENARIOS as readonly string[]).includes(name);
}
