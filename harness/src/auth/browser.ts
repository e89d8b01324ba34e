/**
 * A user's browser, as far as an OAuth flow needs one: cookies kept per origin (with the attributes
 * they were set with), redirects not followed but handed back, forms read and posted. It drives an
 * OAuth proxy's own pages and the harness's authorization server, whose development login and
 * consent pages it fills in as a user would.
 */

export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names in lower case, with their values ('' for flags such as Secure). */
  attributes: Map<string, string>;
  /** The header as the server sent it. */
  raw: string;
}

export interface Visit {
  url: string;
  status: number;
  headers: Headers;
  /** The redirect's target, resolved against the page. */
  location: URL | undefined;
  cookies: SetCookie[];
  body: string;
}

export interface Form {
  action: URL;
  method: string;
  fields: URLSearchParams;
  /** The submit buttons, by name and value, with their text. */
  buttons: Array<{ name: string; value: string; text: string }>;
}

export function parseSetCookie(raw: string): SetCookie {
  const [pair, ...attrs] = raw.split(';');
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const a of attrs) {
    const i = a.indexOf('=');
    attributes.set((i < 0 ? a : a.slice(0, i)).trim().toLowerCase(), i < 0 ? '' : a.slice(i + 1).trim());
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes, raw };
}

const attribute = (tag: string, name: string) => new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'i').exec(tag)?.slice(1).find((v) => v !== undefined);
const unescapeHtml = (s: string) => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCharCode(Number.parseInt(n, 16))).replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** What a page says, as a user reads it: the HTML's text and attribute values, character references decoded. */
export function textOf(html: string): string {
  const attributes = [...html.matchAll(/\b(?:value|href|title)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)].map((m) => m[1] ?? m[2]);
  return unescapeHtml([html.replace(/<[^>]*>/g, ' '), ...attributes].join(' '));
}

/** The forms of a page, with their hidden and text fields and their submit buttons. */
export function formsOf(html: string, base: string): Form[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map(([, open, inner]) => {
    const fields = new URLSearchParams();
    const buttons: Array<Form['buttons'][number] & { at: number }> = [];
    for (const { 0: tag, index } of inner.matchAll(/<input\b[^>]*>/gi)) {
      const name = attribute(tag, 'name');
      const type = (attribute(tag, 'type') ?? 'text').toLowerCase();
      if (!name) continue;
      const value = unescapeHtml(attribute(tag, 'value') ?? '');
      if (type === 'submit') buttons.push({ name, value, text: value, at: index });
      else fields.set(name, value);
    }
    for (const { 1: tag, 2: text, index } of inner.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)) {
      buttons.push({ name: attribute(tag, 'name') ?? '', value: unescapeHtml(attribute(tag, 'value') ?? ''), text: unescapeHtml(text.replace(/<[^>]*>/g, '')).trim(), at: index });
    }
    const inOrder = buttons.sort((x, y) => x.at - y.at).map(({ at: _, ...button }) => button);
    return { action: new URL(unescapeHtml(attribute(open, 'action') ?? ''), base), method: (attribute(open, 'method') ?? 'get').toLowerCase(), fields, buttons: inOrder };
  });
}

export class Browser {
  /** The cookies it holds, per origin, each as the server set it. */
  readonly held = new Map<string, Map<string, SetCookie>>();

  constructor(private readonly fetcher: typeof fetch = fetch) {}

  /** Another browser holding those of this one's cookies that `keep` keeps. */
  copy(keep: (origin: string, cookie: SetCookie) => boolean): Browser {
    const copy = new Browser(this.fetcher);
    for (const [origin, jar] of this.held) copy.held.set(origin, new Map([...jar].filter(([, c]) => keep(origin, c))));
    return copy;
  }

  /** One request, with this browser's cookies for its origin; a redirect is handed back, not followed. */
  async go(url: string | URL, init: { form?: URLSearchParams; headers?: Record<string, string> } = {}): Promise<Visit> {
    const target = new URL(url);
    const jar = this.held.get(target.origin) ?? new Map<string, SetCookie>();
    this.held.set(target.origin, jar);
    const headers: Record<string, string> = { accept: 'text/html,application/json;q=0.9,*/*;q=0.8', ...init.headers };
    if (jar.size) headers.cookie = [...jar.values()].map((c) => `${c.name}=${c.value}`).join('; ');
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await this.fetcher(target.href, { method: init.form ? 'POST' : 'GET', headers, body: init.form?.toString(), redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    const cookies = res.headers.getSetCookie().map(parseSetCookie);
    for (const c of cookies) {
      const expired = c.attributes.get('max-age') === '0' || (c.attributes.has('expires') && Date.parse(c.attributes.get('expires')!) < Date.now());
      if (expired) jar.delete(c.name);
      else jar.set(c.name, c);
    }
    const location = res.headers.get('location');
    return { url: target.href, status: res.status, headers: res.headers, location: location ? new URL(location, target) : undefined, cookies, body: await res.text() };
  }
}

/**
 * Walks a user through the harness's authorization server, from an authorization request to the
 * redirect that leaves it: logs in and consents on its development pages. The redirect back (to the
 * proxy's callback, say) is returned, not followed.
 */
export async function throughAuthorizationServer(browser: Browser, start: URL, issuer: string): Promise<URL> {
  const own = new URL(issuer).origin;
  let visit = await browser.go(start);
  for (let step = 0; step < 12; step++) {
    if (visit.location) {
      if (visit.location.origin !== own) return visit.location;
      visit = await browser.go(visit.location);
      continue;
    }
    const [form] = formsOf(visit.body, visit.url);
    if (!form) throw new Error(`the authorization server stopped at HTTP ${visit.status} with no form and no redirect`);
    if (form.fields.has('login')) form.fields.set('login', 'proxyspec-user');
    if (form.fields.has('password')) form.fields.set('password', 'proxyspec');
    visit = await browser.go(form.action, { form: form.fields });
  }
  throw new Error('the authorization server did not send the user back within 12 steps');
}
