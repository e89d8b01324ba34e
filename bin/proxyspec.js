#!/usr/bin/env node
// Entry point of the `proxyspec` command. TypeScript sources run through tsx's loader, so a clone
// works with no build step. `proxy` is the reference proxy, a product of its own; everything else
// is the harness.
import { register } from 'tsx/esm/api';

register();
const args = process.argv.slice(2);
if (args[0] === 'proxy') {
  const { main } = await import('../proxy/src/main.ts');
  // The proxy has stopped (or never started): leave now, whatever timers a library left behind.
  process.exit(await main(args.slice(1)));
} else if (args[0] === 'mock' && args[1] === 'upstream' && args.includes('--stdio') && !args.includes('--help')) {
  // Started once per client session by stdio bridges: skip the CLI and load only the mock.
  const { main } = await import('../mocks/upstream/stdio-main.ts');
  process.exitCode = await main(args.slice(2));
} else if (args[0] === 'mock' && args[1] === 'bench-upstream' && !args.includes('--help')) {
  // The load test's upstream: as lean a process as it can be.
  const { main } = await import('../mocks/bench/main.ts');
  process.exitCode = await main(args.slice(2));
} else {
  const { main } = await import('../harness/src/cli/main.ts');
  const code = await main(args);
  // A pipe takes 64 KB at a time: what is still queued (a long `coverage --json`) is written before
  // the exit, which would otherwise cut it off where the reader had not caught up.
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
  // Reports are written by now; a mock's pending timer (a slow tool's answer) must not hold the exit.
  process.exit(code);
}
