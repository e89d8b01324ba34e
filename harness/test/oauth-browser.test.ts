/** The harness's browser for OAuth flows: what it reads of cookies, forms and pages. */
import { expect, test } from 'vitest';
import { formsOf, parseSetCookie, textOf } from '../src/auth/browser.ts';

test('a Set-Cookie is read with its attributes, flags included, names in lower case', () => {
  const c = parseSetCookie('__Host-s=abc=def; Path=/; Secure; HttpOnly; SameSite=Lax');
  expect(c.name).toBe('__Host-s');
  expect(c.value).toBe('abc=def');
  expect([...c.attributes]).toEqual([['path', '/'], ['secure', ''], ['httponly', ''], ['samesite', 'Lax']]);
});

test("a page's forms: action resolved, hidden fields decoded, submit buttons with their text", () => {
  const html = `<form method="POST" action="/consent?x=1&amp;y=2"><input type="hidden" name="csrf" value="a&#x2F;b">
    <button name="decision" value="approve"><b>Allow</b></button><input type="submit" name="deny" value="Deny"></form><form action="/search"></form>`;
  const [consent, search] = formsOf(html, 'http://127.0.0.1:5/authorize');
  expect(consent.action.href).toBe('http://127.0.0.1:5/consent?x=1&y=2');
  expect(consent.method).toBe('post');
  expect(consent.fields.get('csrf')).toBe('a/b');
  expect(consent.buttons).toEqual([{ name: 'decision', value: 'approve', text: 'Allow' }, { name: 'deny', value: 'Deny', text: 'Deny' }]);
  expect(search.method).toBe('get');
});

test("what a page shows: text and attribute values, character references decoded, tags gone", () => {
  const shown = textOf('<p>Allow <em>My&#32;App</em>?</p><a href="https:&#x2F;&#x2F;app.example&#x2F;cb">where</a>');
  expect(shown).toContain('My App');
  expect(shown).toContain('https://app.example/cb');
  expect(shown).not.toContain('<em>');
});
