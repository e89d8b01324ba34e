/**
 * Lean entry of the stdio mock (`proxyspec mock upstream --stdio`): a proxy may start one per client
 * session, so this path loads only what the mock needs, not the whole CLI.
 */
import { parseArgs } from 'node:util';
import { runStdioUpstream } from './stdio-server.ts';
import type { UpstreamEra } from './http-server.ts';

const ERAS: readonly UpstreamEra[] = ['dual', 'legacy', 'modern'];

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { stdio: { type: 'boolean' }, control: { type: 'string' }, era: { type: 'string' }, server: { type: 'string' } }, strict: true });
  const era = (values.era ?? 'dual') as UpstreamEra;
  if (!ERAS.includes(era)) {
    process.stderr.write(`proxyspec mock: --era must be one of ${ERAS.join(', ')}\n`);
    return 2;
  }
  if (values.server === 'sdk-v1') {
    const { runSdkStdioUpstream } = await import('./sdk-server.ts');
    await runSdkStdioUpstream({ controlUrl: values.control });
    return 0;
  }
  if (values.server !== undefined && values.server !== 'mock') {
    process.stderr.write('proxyspec mock: --server must be mock or sdk-v1\n');
    return 2;
  }
  await runStdioUpstream({ controlUrl: values.control, era });
  return 0;
}
