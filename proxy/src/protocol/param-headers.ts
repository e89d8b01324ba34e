/**
 * Mcp-Param-{Name} headers (MCP 2026-07-28, Streamable HTTP "Custom Headers from Tool Parameters").
 * A tool's inputSchema may mark parameters with `x-mcp-header`; a client mirrors their values into
 * headers, so that routers can act on them without reading the body. The proxy reads the body (auth,
 * policy), so it must refuse a call whose headers say something else than its arguments: it learns
 * each tool's marks from the tools/list answers it relays, and checks the calls of the tools it knows.
 */
import { firstHeader } from './headers.ts';
import { encodedHeaderValue } from './mirrored.ts';

/** One marked parameter: the header's name part (lower case, as Node gives header names) and the properties that lead to it. */
interface Marked {
  header: string;
  label: string;
  path: string[];
  integer: boolean;
}

const SENTINEL = /^=\?base64\?([A-Za-z0-9+/=]*)\?=$/;
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The parameters a schema marks, reached by properties alone; others (under items, oneOf …) are not followed, as a client would reject such a tool. */
function marksOf(schema: unknown, path: string[] = [], out: Marked[] = []): Marked[] {
  if (!isObject(schema)) return out;
  const name = schema['x-mcp-header'];
  if (path.length > 0 && typeof name === 'string' && name !== '') out.push({ header: `mcp-param-${name.toLowerCase()}`, label: `Mcp-Param-${name}`, path, integer: schema.type === 'integer' });
  if (isObject(schema.properties)) for (const [key, sub] of Object.entries(schema.properties)) marksOf(sub, [...path, key], out);
  return out;
}

/** RFC 9110 tchar: what an x-mcp-header value may be made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Keywords under which a mark would not be statically reachable from the schema's root. */
const NOT_REACHABLE = new Set(['items', 'prefixItems', 'additionalProperties', 'patternProperties', 'contains', 'oneOf', 'anyOf', 'allOf', 'not', 'if', 'then', 'else', '$defs', 'definitions', 'dependentSchemas']);

/** Whether a mark sits anywhere inside a value. */
function marked(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(marked);
  return isObject(value) && ('x-mcp-header' in value || Object.values(value).some(marked));
}

/**
 * Why a tool's marks break the rules a client holds them to (2026-07-28, tools "x-mcp-header"), or
 * undefined: a client must leave such a tool out of its tools/list.
 */
export function invalidMarks(schema: unknown): string | undefined {
  const names = new Set<string>();
  const walk = (node: Record<string, unknown>, depth: number): string | undefined => {
    for (const [key, value] of Object.entries(node)) if (NOT_REACHABLE.has(key) && marked(value)) return `a mark under ${key}`;
    if ('x-mcp-header' in node) {
      const name = node['x-mcp-header'];
      if (depth === 0) return 'a mark on the schema itself';
      if (typeof name !== 'string' || !TOKEN.test(name)) return `the mark ${JSON.stringify(name)} is no header name`;
      if (!['string', 'integer', 'boolean'].includes(node.type as string)) return `the mark ${name} is on a ${JSON.stringify(node.type ?? null)}`;
      if (names.has(name.toLowerCase())) return `the mark ${name} is used twice`;
      names.add(name.toLowerCase());
    }
    if (!isObject(node.properties)) return undefined;
    for (const sub of Object.values(node.properties)) {
      const why = isObject(sub) ? walk(sub, depth + 1) : undefined;
      if (why) return why;
    }
    return undefined;
  };
  return isObject(schema) ? walk(schema, 0) : undefined;
}

/** A header value for a parameter's value (2026-07-28 "Value Encoding"): strings as they are or in the Base64 form, integers in decimal, booleans in lower case. */
function headerValue(value: unknown): string | undefined {
  if (typeof value === 'string') return encodedHeaderValue(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

/** The Mcp-Param headers a client sends for a call of a tool with this schema (none for an absent or null value). */
export function paramHeadersFor(schema: unknown, args: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const mark of marksOf(schema)) {
    const value = headerValue(valueAt(args, mark.path));
    if (value !== undefined) out[mark.header] = value;
  }
  return out;
}

function valueAt(args: unknown, path: string[]): unknown {
  let at = args;
  for (const key of path) {
    if (!isObject(at) || !(key in at)) return undefined;
    at = at[key];
  }
  return at;
}

/** Why a call's Mcp-Param headers disagree with its arguments, or undefined. */
function mismatchOf(marks: Marked[], headers: Record<string, string | string[] | undefined>, args: unknown): string | undefined {
  for (const mark of marks) {
    const header = firstHeader(headers, mark.header);
    const value = valueAt(args, mark.path);
    if (header !== undefined && !HEADER_VALUE.test(header)) return `${mark.label} carries characters a header value may not hold`;
    if (value === undefined || value === null) {
      if (header !== undefined) return `${mark.label} is set, but the arguments have no ${mark.path.join('.')}`;
      continue;
    }
    if (header === undefined) return `${mark.label} is missing for the arguments' ${mark.path.join('.')}`;
    const m = SENTINEL.exec(header.trim());
    const said = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : header.trim();
    const agrees = mark.integer ? said !== '' && Number(said) === value : said === (typeof value === 'string' ? value : JSON.stringify(value));
    if (!agrees) return `${mark.label} does not match the arguments' ${mark.path.join('.')}`;
  }
  return undefined;
}

/**
 * How long what a tools/list said of a tool is kept. Not the answer's ttlMs, which tells clients how
 * long to reuse it (a bridged legacy list says 0): a client that is refused for a tool whose marks
 * changed lists the tools again (the spec says it should), and that list teaches the new marks.
 */
const KEEP_MS = 10 * 60_000;
/** At most this many tools are remembered; the oldest go first. */
const MAX_TOOLS = 10_000;

/** The marks of the tools whose tools/list answers the proxy relayed, with when each is to be forgotten. */
export class ParamHeaders {
  private readonly tools = new Map<string, { marks: Marked[]; until: number }>();

  /** Learns the marks of the tools that tools/list answers (the messages of one reply) name. */
  learn(messages: unknown[]): void {
    for (const message of messages) {
      const result = isObject(message) ? message.result : undefined;
      if (!isObject(result) || !Array.isArray(result.tools)) continue;
      for (const tool of result.tools) {
        if (!isObject(tool) || typeof tool.name !== 'string') continue;
        this.tools.delete(tool.name);
        this.tools.set(tool.name, { marks: marksOf(tool.inputSchema), until: Date.now() + KEEP_MS });
        if (this.tools.size > MAX_TOOLS) this.tools.delete(this.tools.keys().next().value!);
      }
    }
  }

  /** Why a tools/call's Mcp-Param headers disagree with its arguments; undefined when they agree, or the tool's marks are not known (the upstream then judges). */
  mismatch(headers: Record<string, string | string[] | undefined>, tool: string | undefined, args: unknown): string | undefined {
    const known = tool === undefined ? undefined : this.tools.get(tool);
    if (!known || known.marks.length === 0) return undefined;
    if (known.until < Date.now()) {
      this.tools.delete(tool!);
      return undefined;
    }
    return mismatchOf(known.marks, headers, args);
  }
}
