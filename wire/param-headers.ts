/**
 * Tool parameters mirrored into `Mcp-Param-{Name}` headers (MCP 2026-07-28, Streamable HTTP "Custom
 * Headers from Tool Parameters"): which parameters a tool's inputSchema marks with `x-mcp-header`,
 * whether those marks keep the rules, the header values a client sends for a call's arguments, and
 * why a request's headers disagree with its arguments. The mock upstream validates with this; the
 * harness builds its requests with it. The reference proxy has its own, written apart, so that one
 * mistake cannot pass both.
 */
import { PARAM_HEADER_PREFIX, decodeHeaderValue, encodeHeaderValue } from './stateless.ts';

export const X_MCP_HEADER = 'x-mcp-header';

/** One annotated parameter: the header's name part, and the chain of `properties` keys that reaches it. */
export interface ParamHeader {
  name: string;
  path: string[];
  type: 'string' | 'integer' | 'boolean';
}

/** RFC 9110 tchar. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Keywords whose subschemas are not statically reachable: an annotation under them makes the tool invalid. */
const UNREACHABLE = ['items', 'prefixItems', 'additionalProperties', 'patternProperties', 'contains', 'oneOf', 'anyOf', 'allOf', 'not', 'if', 'then', 'else', '$defs', 'definitions', 'dependentSchemas'];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether any `x-mcp-header` sits anywhere inside `schema`. */
function annotatedAnywhere(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.some(annotatedAnywhere);
  if (!isObject(schema)) return false;
  return X_MCP_HEADER in schema || Object.values(schema).some(annotatedAnywhere);
}

/**
 * The annotated parameters of a tool's inputSchema, or why its annotations break the rules (the
 * tool must then be left out of a client's tools/list).
 */
export function paramHeadersOf(inputSchema: unknown): { headers: ParamHeader[] } | { invalid: string } {
  const headers: ParamHeader[] = [];
  const walk = (schema: Json, path: string[]): string | undefined => {
    for (const keyword of UNREACHABLE) if (keyword in schema && annotatedAnywhere(schema[keyword])) return `an ${X_MCP_HEADER} under ${keyword} at /${path.join('/')} is not statically reachable`;
    if ('$ref' in schema && path.length > 0 && X_MCP_HEADER in schema) return `an ${X_MCP_HEADER} beside $ref at /${path.join('/')}`;
    if (X_MCP_HEADER in schema) {
      const name = schema[X_MCP_HEADER];
      if (path.length === 0) return `${X_MCP_HEADER} on the schema root`;
      if (typeof name !== 'string' || name === '') return `${X_MCP_HEADER} at /${path.join('/')} is empty or not a string`;
      if (!TOKEN.test(name)) return `${X_MCP_HEADER} ${JSON.stringify(name)} is not an HTTP token`;
      const type = schema.type;
      if (type !== 'string' && type !== 'integer' && type !== 'boolean') return `${X_MCP_HEADER} ${JSON.stringify(name)} marks a parameter of type ${JSON.stringify(type ?? null)}, not string, integer or boolean`;
      if (headers.some((h) => h.name.toLowerCase() === name.toLowerCase())) return `${X_MCP_HEADER} ${JSON.stringify(name)} is used twice`;
      headers.push({ name, path, type });
    }
    const properties = schema.properties;
    if (properties === undefined) return undefined;
    if (!isObject(properties)) return undefined;
    for (const [key, sub] of Object.entries(properties)) {
      if (!isObject(sub)) continue;
      const why = walk(sub, [...path, key]);
      if (why) return why;
    }
    return undefined;
  };
  if (!isObject(inputSchema)) return { headers };
  const why = walk(inputSchema, []);
  return why ? { invalid: why } : { headers };
}

/** The value at a chain of properties keys in the arguments; undefined when any step is missing. */
function valueAt(args: unknown, path: string[]): unknown {
  let at: unknown = args;
  for (const key of path) {
    if (!isObject(at) || !(key in at)) return undefined;
    at = at[key];
  }
  return at;
}

/** The header value a client sends for a parameter's value: string as is, integer in decimal, boolean in lower case, then encoded. */
export function paramHeaderValue(value: unknown): string | undefined {
  if (typeof value === 'string') return encodeHeaderValue(value);
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

/** The `Mcp-Param-*` headers a client sends for a call with these arguments (none for a parameter that is absent or null). */
export function paramHeadersFor(params: ParamHeader[], args: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of params) {
    const value = paramHeaderValue(valueAt(args, p.path));
    if (value !== undefined) out[`${PARAM_HEADER_PREFIX}${p.name.toLowerCase()}`] = value;
  }
  return out;
}

/** Characters a header value may hold as sent: visible ASCII, space and tab. */
const VALID_VALUE = /^[\t\x20-\x7e]*$/;

/**
 * Why the request's `Mcp-Param-*` headers disagree with the call's arguments, or undefined when they
 * agree: a value present in the body needs its header, equal once decoded (integers compared as
 * numbers); an absent or null one needs none; a header of invalid characters is refused.
 */
export function paramHeaderMismatch(headers: Record<string, string | string[] | undefined>, params: ParamHeader[], args: unknown): string | undefined {
  for (const p of params) {
    const raw = headers[`${PARAM_HEADER_PREFIX}${p.name.toLowerCase()}`];
    const header = Array.isArray(raw) ? raw[0] : raw;
    const value = valueAt(args, p.path);
    const label = `Mcp-Param-${p.name}`;
    if (header !== undefined && !VALID_VALUE.test(header)) return `${label} holds characters a header value may not carry`;
    if (value === undefined || value === null) {
      if (header !== undefined) return `${label} is ${JSON.stringify(header)}, and the arguments have no ${p.path.join('.')}`;
      continue;
    }
    if (header === undefined) return `${label} is missing, and the arguments have ${p.path.join('.')} = ${JSON.stringify(value)}`;
    const decoded = decodeHeaderValue(header.trim());
    const same = p.type === 'integer' ? decoded.trim() !== '' && Number(decoded) === value : decoded === String(value);
    if (!same) return `${label} ${JSON.stringify(header)} does not match the arguments' ${p.path.join('.')} = ${JSON.stringify(value)}`;
  }
  return undefined;
}
