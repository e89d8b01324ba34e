#!/usr/bin/env node
/**
 * `npm run build`: compiles proxyspec's TypeScript into dist/ (tsconfig.build.json; the `.ts` of
 * relative imports become `.js`), beside the one file of code that is not TypeScript, and stamps
 * the build. bin/proxyspec.js runs dist/ when it is there and not older than the sources; `npm pack`
 * builds first (prepack), so the package runs compiled JavaScript, with no tsx.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('../', import.meta.url);
const dist = new URL('dist/', root);
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', new URL('tsconfig.build.json', root).pathname], { stdio: 'inherit' });
// The bench's load generator requires this one from its worker threads, as CommonJS.
cpSync(new URL('harness/src/bench/unique-ids.cjs', root), new URL('harness/src/bench/unique-ids.cjs', dist));
writeFileSync(new URL('BUILT', dist), `${new Date().toISOString()}\n`);
process.stdout.write(`built dist/\n`);
