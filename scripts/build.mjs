#!/usr/bin/env node
/**
 * `npm run build`: compiles proxyspec's TypeScript into dist/ (tsconfig.build.json; the `.ts` of
 * relative imports become `.js`), beside the one file of code that is not TypeScript, and stamps
 * the build. bin/proxyspec.js runs dist/ when it is there and not older than the sources; `npm pack`
 * builds first (prepack), so the package runs compiled JavaScript, with no tsx.
 *
 * A run may be loading dist/ while it is rebuilt (a concurrent `npm pack`). So the new build is
 * written whole, stamp last, into a folder of its own, and only then takes dist/'s place: one
 * rename moves the old build aside and another puts the new one there. A module loaded from dist/
 * is always one of a complete build.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('../', import.meta.url);
const dist = new URL('dist/', root);
const fresh = new URL(`dist.new-${process.pid}/`, root);
const old = new URL(`dist.old-${process.pid}/`, root);
rmSync(fresh, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', new URL('tsconfig.build.json', root).pathname, '--outDir', fresh.pathname], { stdio: 'inherit' });
  // The bench's load generator requires this one from its worker threads, as CommonJS.
  cpSync(new URL('harness/src/bench/unique-ids.cjs', root), new URL('harness/src/bench/unique-ids.cjs', fresh));
  writeFileSync(new URL('BUILT', fresh), `${new Date().toISOString()}\n`);
} catch (err) {
  rmSync(fresh, { recursive: true, force: true });
  throw err;
}
if (existsSync(dist)) renameSync(dist, old);
renameSync(fresh, dist);
rmSync(old, { recursive: true, force: true });
process.stdout.write(`built dist/\n`);
