#!/usr/bin/env node
// Entry point of the `proxyspec` command. An installed package runs the JavaScript that `npm run
// build` put in dist/. A clone runs its TypeScript sources through tsx's loader, so it works with
// no build step; a dist/ there is used only while it is newer than every source file, so that an
// old build never runs in place of an edited source. `proxy` is the reference proxy, a product of
// its own; everything else is the harness.
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const SOURCES = ['catalogue', 'harness/src', 'proxy/src', 'mocks', 'suites', 'wire', 'reports/src'];

/** The newest modification time of the TypeScript sources (0 when there are none: an installed package). */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of SOURCES) if (existsSync(new URL(dir, root))) walk(new URL(dir, root).pathname);
  return newest;
}

const stamp = new URL('dist/BUILT', root);
const compiled = existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource();
if (!compiled) (await import('tsx/esm/api')).register();
/** One of proxyspec's modules, from dist/ or from the sources. */
const load = (module) => import(new URL(compiled ? `dist/${module}.js` : `${module}.ts`, root).href);

const args = process.argv.slice(2);
if (args[0] === 'proxy') {
  const { main } = await load('proxy/src/main');
  // The proxy has stopped (or never started): leave now, whatever timers a library left behind.
  process.exit(await main(args.slice(1)));
} else if (args[0] === 'mock' && args[1] === 'upstream' && args.includes('--stdio') && !args.includes('--help')) {
  // Started once per client session by stdio bridges: skip the CLI and load only the mock. Its input
  // has ended: leave now (stdout to a pipe is written synchronously), whatever keep-alive a library holds.
  const { main } = await load('mocks/upstream/stdio-main');
  process.exit(await main(args.slice(2)));
} else if (args[0] === 'mock' && args[1] === 'bench-upstream' && !args.includes('--help')) {
  // The load test's upstream: as lean a process as it can be.
  const { main } = await load('mocks/bench/main');
  process.exitCode = await main(args.slice(2));
} else {
  const { main } = await load('harness/src/cli/main');
  const code = await main(args);
  // A pipe takes 64 KB at a time: what is still queued (a long `coverage --json`) is written before
  // the exit, which would otherwise cut it off where the reader had not caught up.
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
  // Reports are written by now; a mock's pending timer (a slow tool's answer) must not hold the exit.
  process.exit(code);
}
