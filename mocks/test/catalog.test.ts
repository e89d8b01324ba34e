/** The mock upstream's lists: uneven pages, cursors only it can read, and the empty cursor of the stateless era. */
import { describe, expect, test } from 'vitest';
import { CatalogError, PROMPTS, RESOURCES, complete, listPage, readResource } from '../upstream/catalog.ts';

type Page = { resources?: Array<{ name: string }>; prompts?: Array<{ name: string }>; nextCursor?: string };

function walk(list: 'resources/list' | 'prompts/list', stateless: boolean): { names: string[]; sizes: number[]; cursors: Array<string | undefined> } {
  const names: string[] = [];
  const sizes: number[] = [];
  const cursors: Array<string | undefined> = [];
  let cursor: string | undefined;
  for (;;) {
    cursors.push(cursor);
    const page = listPage(list, cursor, stateless) as Page;
    const items = page.resources ?? page.prompts ?? [];
    names.push(...items.map((i) => i.name));
    sizes.push(items.length);
    if (page.nextCursor === undefined) return { names, sizes, cursors };
    cursor = page.nextCursor;
  }
}

describe('mock upstream lists', () => {
  test('each list comes whole over pages of uneven size, the second shorter than the first and not the last', () => {
    const resources = walk('resources/list', false);
    expect(resources.names).toEqual(RESOURCES.map((r) => r.name));
    expect(resources.sizes).toEqual([3, 1, 2, 1]);
    expect(walk('prompts/list', false).names).toEqual(PROMPTS.map((p) => p.name));
  });

  test('in the stateless era the second page is behind the empty cursor; in the session era "" is no cursor of this server', () => {
    const stateless = walk('resources/list', true);
    expect(stateless.cursors[1]).toBe('');
    expect(stateless.names).toEqual(RESOURCES.map((r) => r.name));
    expect(walk('resources/list', false).cursors).not.toContain('');
    expect(() => listPage('resources/list', '', false)).toThrow(CatalogError);
  });

  test('a cursor decoded as a form value, one of another list, or one past the end is refused with -32602', () => {
    const cursor = (listPage('resources/list', undefined, false) as Page).nextCursor!;
    expect(cursor).toMatch(/[+/=]/);
    const refused = (c: unknown, list: 'resources/list' | 'prompts/list' = 'resources/list') => {
      try {
        listPage(list, c, false);
        return undefined;
      } catch (err) {
        return (err as CatalogError).code;
      }
    };
    expect(refused(cursor)).toBeUndefined();
    expect(refused(new URLSearchParams(`c=${cursor}`).get('c'))).toBe(-32602);
    expect(refused(cursor, 'prompts/list')).toBe(-32602);
    expect(refused(Buffer.from('~resources/list?page=9>>').toString('base64'))).toBe(-32602);
    expect(refused(42)).toBe(-32602);
  });

  test('a resource reads as text, an unknown one is refused; completions filter by prefix', () => {
    expect(readResource('mock://resources/alpha')).toMatchObject({ contents: [{ uri: 'mock://resources/alpha', text: 'The text of alpha.' }] });
    expect(() => readResource('mock://resources/zulu')).toThrow(CatalogError);
    expect(complete({ argument: { name: 'lang', value: 'e' } })).toEqual({ completion: { values: ['en', 'es', 'et'], total: 3, hasMore: false } });
  });
});
