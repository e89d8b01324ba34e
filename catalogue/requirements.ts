/**
 * The vendored requirement catalogue (catalogue/requirements/<revision>.yaml): every normative MCP
 * sentence that concerns a proxy, with a stable id. What is loaded is its JSON form
 * (<revision>.json, made by `npm run catalogue`), which parses in a fraction of the YAML's time.
 * Checks cite requirement ids; spec references (link and verbatim quote) are derived from here, so
 * a quote is never typed twice.
 */
import { catalogueJson } from './data.ts';
import { REVISIONS, type Revision } from '../wire/index.ts';
import type { CheckDef, SpecRef } from './types.ts';

export interface Requirement {
  id: string;
  page: string;
  anchor: string;
  quote: string;
  strength: string;
  role: string;
  proxy: string;
  observable: string;
  family: string;
  note?: string;
}

/** A revision's catalogue as scripts/build-catalogue.mjs writes it: its requirements and its reviewed exclusions. */
export interface CatalogueFile {
  requirements: Requirement[];
  exclusions: unknown;
}

const cache = new Map<Revision, Map<string, Requirement>>();

/** The JSON form of a revision's YAML (and its exclusions). */
export function catalogueFile(revision: Revision): CatalogueFile {
  return catalogueJson<CatalogueFile>('requirements', revision);
}

export function requirementsOf(revision: Revision): Map<string, Requirement> {
  let map = cache.get(revision);
  if (!map) {
    map = new Map(catalogueFile(revision).requirements.map((r) => [r.id, r]));
    cache.set(revision, map);
  }
  return map;
}

export function anchorSlug(anchor: string): string {
  return anchor
    .toLowerCase()
    .replace(/[`'"’]/g, '')
    .replace(/[^a-z0-9\s_-]/g, '')
    .trim()
    .replace(/\s+/g, '-');
}

export function specUrl(revision: Revision, page: string, anchor: string): string {
  const path =
    page === 'security-best-practices.mdx'
      ? `docs/${revision}/tutorials/security/security_best_practices`
      : `specification/${revision}/${page.replace(/\.mdx$/, '').replace(/(^|\/)index$/, '')}`;
  return `https://modelcontextprotocol.io/${path.replace(/\/$/, '')}#${anchorSlug(anchor)}`;
}

/** The requirement as worded in `revision`, or in the nearest revision that has it. */
export function findRequirement(id: string, revision: Revision): { requirement: Requirement; revision: Revision } | undefined {
  const start = REVISIONS.indexOf(revision);
  const order = [...REVISIONS.slice(start), ...REVISIONS.slice(0, start).reverse()];
  for (const rev of order) {
    const requirement = requirementsOf(rev).get(id);
    if (requirement) return { requirement, revision: rev };
  }
  return undefined;
}

/** Everything a check cites: its MCP requirements as worded in `revision`, then any other standard's sentences. */
export function specRefsOf(check: CheckDef, revision: Revision): SpecRef[] {
  return [...specRefsFor(check.requirements, revision), ...(check.externalRefs ?? [])];
}

export function specRefsFor(ids: readonly string[], revision: Revision): SpecRef[] {
  return ids.flatMap((id) => {
    const found = findRequirement(id, revision);
    if (!found) return [];
    const { requirement, revision: rev } = found;
    return [{ requirement: id, revision: rev, url: specUrl(rev, requirement.page, requirement.anchor), quote: requirement.quote, strength: requirement.strength }];
  });
}
