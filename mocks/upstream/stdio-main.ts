/**
 * Lean entry of the stdio mock (`proxyspec mock upstream --stdio`): a proxy may start one per client
 * session, so this path loads only what the mock needs, not the whole CLI.
 */
import { parseArgs } from 'node:util';
import { runStdioUpstream } from './stdio-server.ts';

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { stdio: { type: 'boolean' }, control: { type: 'string' } }, strict: true });
  await runStdioUpstream({ controlUrl: values.control });
  return 0;
}
