#!/usr/bin/env node
/**
 * `npm run catalogue`: turns the requirement catalogue, written by hand in YAML
 * (catalogue/requirements/<revision>.yaml and <revision>.exclusions.yaml), into one JSON file per
 * revision (<revision>.json: `{ requirements, exclusions }`), which is what the harness loads.
 * Parsing the YAML took 1.2-3.9 s of CPU in every process that needed all four revisions; the JSON
 * takes about 35 ms. The JSON is committed, so that a clone runs with no build step, and a test fails
 * when it no longer says what the YAML says.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

const folder = new URL('../catalogue/requirements/', import.meta.url);
const revisions = readdirSync(folder).filter((f) => /^\d{4}-\d{2}-\d{2}\.yaml$/.test(f)).map((f) => f.slice(0, -'.yaml'.length));

/** The JSON of one revision, as the loader reads it (harness/test/coverage.test.ts checks the files against the YAML). */
function catalogueJson(revision) {
  const read = (name) => (existsSync(new URL(name, folder)) ? parse(readFileSync(new URL(name, folder), 'utf8')) : undefined);
  return `${JSON.stringify({ requirements: read(`${revision}.yaml`) ?? [], exclusions: read(`${revision}.exclusions.yaml`) ?? [] })}\n`;
}

for (const revision of revisions) {
  writeFileSync(new URL(`${revision}.json`, folder), catalogueJson(revision));
  process.stdout.write(`catalogue/requirements/${revision}.json\n`);
}
