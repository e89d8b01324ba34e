/**
 * `proxyspec mock bench-upstream [--port N | --stdio]`: the lean upstream for load, started without
 * the CLI (bench starts it as a process; stdio targets start one per session).
 */
import { runBenchStdio, startBenchUpstream } from './upstream.ts';

export async function main(args: string[]): Promise<number> {
  if (args.includes('--stdio')) return runBenchStdio();
  const i = args.indexOf('--port');
  const port = i >= 0 ? Number.parseInt(args[i + 1] ?? '', 10) : 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write('usage: proxyspec mock bench-upstream [--port N | --stdio]\n');
    return 2;
  }
  const upstream = await startBenchUpstream(port);
  process.stdout.write(`bench upstream: ${upstream.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await upstream.close();
  return 0;
}
