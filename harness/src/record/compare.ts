/**
 * Compares what one leg sent with what the other received: a structural JSON diff that keeps number
 * and string apart and reports the first few differing paths in words a proxy author can act on.
 */

export function diffJson(expected: unknown, observed: unknown, path = '$', out: string[] = [], limit = 10): string[] {
  if (out.length >= limit) return out;
  if (Object.is(expected, observed)) return out;
  const te = kind(expected);
  const to = kind(observed);
  if (te !== to) {
    out.push(`${path}: expected ${te} ${preview(expected)}, got ${to} ${preview(observed)}`);
    return out;
  }
  if (te === 'array') {
    const a = expected as unknown[];
    const b = observed as unknown[];
    if (a.length !== b.length) out.push(`${path}: expected ${a.length} items, got ${b.length}`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) diffJson(a[i], b[i], `${path}[${i}]`, out, limit);
    return out;
  }
  if (te === 'object') {
    const a = expected as Record<string, unknown>;
    const b = observed as Record<string, unknown>;
    for (const key of Object.keys(a)) {
      if (!(key in b)) out.push(`${path}.${key}: missing (expected ${preview(a[key])})`);
      else diffJson(a[key], b[key], `${path}.${key}`, out, limit);
    }
    for (const key of Object.keys(b)) if (!(key in a)) out.push(`${path}.${key}: unexpected member ${preview(b[key])}`);
    return out;
  }
  out.push(`${path}: expected ${preview(expected)}, got ${preview(observed)}`);
  return out;
}

/** A JSON-RPC message without its id: a proxy may renumber ids upstream as long as the client gets its own back. */
export function withoutId(message: unknown): unknown {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return message;
  const { id: _id, ...rest } = message as Record<string, unknown>;
  return rest;
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
