/**
 * The JSON Schema each MCP revision publishes (catalogue/schemas/<revision>.json, vendored unchanged:
 * see the README there), read once per revision.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Revision } from '../wire/index.ts';

/** The files at the package root: this module is two folders down from it once compiled into dist/. */
const DATA = new URL(import.meta.url.endsWith('.js') ? '../../catalogue/schemas/' : './schemas/', import.meta.url);

const loaded = new Map<Revision, Record<string, unknown>>();

export function revisionSchema(revision: Revision): Record<string, unknown> {
  let schema = loaded.get(revision);
  if (!schema) {
    schema = JSON.parse(readFileSync(fileURLToPath(new URL(`${revision}.json`, DATA)), 'utf8')) as Record<string, unknown>;
    loaded.set(revision, schema);
  }
  return schema;
}
