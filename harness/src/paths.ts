/**
 * Where proxyspec's own files are. From a clone, the TypeScript sources run where they are; from an
 * installed package, the JavaScript that `npm run build` compiled into dist/, beside the files that
 * are not code (configs, the requirement catalogue, package.json), which stay at the package root.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Whether this is the compiled JavaScript in dist/ (an installed package) rather than the sources. */
export const COMPILED = import.meta.url.endsWith('.js');

/** The package's root: package.json, bin/, proxy/configs/, catalogue/requirements/, examples/. */
export const PACKAGE_ROOT = fileURLToPath(new URL(COMPILED ? '../../../' : '../../', import.meta.url));

/** Where the code that runs is: the root itself, or dist/ under it. Suite files are found here. */
export const CODE_ROOT = COMPILED ? join(PACKAGE_ROOT, 'dist') : PACKAGE_ROOT;

/** How the code's files end: `.ts` in a clone, `.js` compiled. */
export const CODE_EXT = COMPILED ? '.js' : '.ts';

/** The `proxyspec` command, which child processes (targets, mocks, the floor) are started with. */
export const PROXYSPEC_BIN = join(PACKAGE_ROOT, 'bin', 'proxyspec.js');
