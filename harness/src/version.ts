/** proxyspec's version, read once from package.json so that CLI, reports and client agree. */
import { readFileSync } from 'node:fs';

export const HARNESS_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
