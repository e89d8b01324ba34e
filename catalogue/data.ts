/**
 * The catalogue's data files (requirements/, schemas/): JSON read once per file, from the catalogue
 * folder at the package root, which is two folders up from this module once compiled into dist/.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = new URL(import.meta.url.endsWith('.js') ? '../../catalogue/' : './', import.meta.url);

const read = new Map<string, unknown>();

/** `catalogue/<folder>/<name>.json`, parsed, the same object for every caller. */
export function catalogueJson<T>(folder: 'requirements' | 'schemas', name: string): T {
  const path = `${folder}/${name}.json`;
  if (!read.has(path)) read.set(path, JSON.parse(readFileSync(fileURLToPath(new URL(path, ROOT)), 'utf8')));
  return read.get(path) as T;
}
