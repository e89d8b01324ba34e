/**
 * The mock upstream's resources, prompts and completions. The two lists come in pages of uneven
 * size, behind cursors that only this server can read: a proxy that parses, trims or re-encodes a
 * cursor gets -32602 (Invalid params), and one that takes a short page for the last misses the rest.
 * In the stateless era the cursor after the first page is the empty string, which the 2026-07-28
 * pagination page calls valid; the list's cache scope is the same on every page.
 */
import { ErrorCode } from '../../wire/index.ts';

export const RESOURCES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf'].map((name) => ({
  uri: `mock://resources/${name}`,
  name,
  mimeType: 'text/plain',
}));

export const PROMPTS = ['greet', 'summarize', 'translate', 'review', 'explain'].map((name) => ({
  name,
  description: `The mock's ${name} prompt.`,
  arguments: [{ name: 'lang', description: 'A language code.', required: false }],
}));

/** The capabilities these answer to, as the mock declares them. */
export const CATALOG_CAPABILITIES = { resources: {}, prompts: {}, completions: {} } as const;

/** Page sizes, uneven on purpose: the second page is shorter than the first, and not the last. */
const PAGE_SIZES = [3, 1, 2];
const pageSize = (page: number) => PAGE_SIZES[page % PAGE_SIZES.length]!;

/** The cache scope each list carries on all its pages (stateless era): resources are the caller's own. */
export const LIST_CACHE_SCOPE = { 'resources/list': 'private', 'prompts/list': 'public' } as const;
export type ListMethod = keyof typeof LIST_CACHE_SCOPE;

/** Raised for a cursor this server did not issue, or a missing resource or prompt. */
export class CatalogError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The cursor for a page: base64 of where it starts (with `+`, `/` and `=` to trip a proxy that
 * decodes it as a URL), except that in the stateless era the second page's cursor is "".
 */
function cursorFor(list: ListMethod, page: number, stateless: boolean): string {
  if (stateless && page === 1) return '';
  return Buffer.from(`~${list}?page=${page}>>`).toString('base64');
}

function pageOf(list: ListMethod, cursor: unknown, stateless: boolean): number {
  if (cursor === undefined) return 0;
  if (stateless && cursor === '') return 1;
  if (typeof cursor === 'string' && cursor !== '') {
    const match = /^~([a-z]+\/list)\?page=(\d+)>>$/.exec(Buffer.from(cursor, 'base64').toString('latin1'));
    if (match && match[1] === list && cursorFor(list, Number(match[2]), stateless) === cursor) return Number(match[2]);
  }
  throw new CatalogError(ErrorCode.InvalidParams, `Invalid cursor: ${JSON.stringify(cursor)} is not one this server issued for ${list}`);
}

/** One page of a list: its items, and the cursor of the next page when there is one. */
export function listPage(list: ListMethod, cursor: unknown, stateless: boolean): Record<string, unknown> {
  const items = list === 'resources/list' ? RESOURCES : PROMPTS;
  const page = pageOf(list, cursor, stateless);
  let start = 0;
  for (let p = 0; p < page; p++) start += pageSize(p);
  if (start >= items.length) throw new CatalogError(ErrorCode.InvalidParams, `Invalid cursor: page ${page} of ${list} is past its end`);
  const end = start + pageSize(page);
  const key = list === 'resources/list' ? 'resources' : 'prompts';
  return { [key]: items.slice(start, end), ...(end < items.length && { nextCursor: cursorFor(list, page + 1, stateless) }) };
}

export function readResource(uri: unknown): Record<string, unknown> {
  const resource = RESOURCES.find((r) => r.uri === uri);
  if (!resource) throw new CatalogError(ErrorCode.InvalidParams, `Resource not found: ${JSON.stringify(uri)}`);
  return { contents: [{ uri: resource.uri, mimeType: resource.mimeType, text: `The text of ${resource.name}.` }] };
}

export function getPrompt(name: unknown, args: unknown): Record<string, unknown> {
  const prompt = PROMPTS.find((p) => p.name === name);
  if (!prompt) throw new CatalogError(ErrorCode.InvalidParams, `Prompt not found: ${JSON.stringify(name)}`);
  const lang = (args as { lang?: unknown } | undefined)?.lang;
  return { description: prompt.description, messages: [{ role: 'user', content: { type: 'text', text: `${prompt.name}${typeof lang === 'string' ? ` in ${lang}` : ''}` } }] };
}

const LANGS = ['de', 'en', 'es', 'et', 'fr'];

/** Completes a prompt's lang argument from a fixed set of language codes. */
export function complete(params: Record<string, unknown>): Record<string, unknown> {
  const value = (params.argument as { value?: unknown } | undefined)?.value;
  const prefix = typeof value === 'string' ? value : '';
  const values = LANGS.filter((l) => l.startsWith(prefix));
  return { completion: { values, total: values.length, hasMore: false } };
}
