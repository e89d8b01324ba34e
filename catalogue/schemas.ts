/**
 * The JSON Schema each MCP revision publishes (catalogue/schemas/<revision>.json, vendored unchanged:
 * see the README there), read once per revision.
 */
import type { Revision } from '../wire/index.ts';
import { catalogueJson } from './data.ts';

export function revisionSchema(revision: Revision): Record<string, unknown> {
  return catalogueJson<Record<string, unknown>>('schemas', revision);
}
