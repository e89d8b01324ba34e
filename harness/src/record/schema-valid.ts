/**
 * Whether a message is valid for a revision, by that revision's own JSON Schema: a request or a
 * notification against the definition of its method (the envelope alone for a method the schema does
 * not define), a result against the result of the request it answers, an error against the error
 * envelope. What is wrong is said as the schema path and the rule broken, for a verdict to quote.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { has, type Revision } from '../../../wire/index.ts';
import { revisionSchema } from '../../../catalogue/schemas.ts';

export interface SchemaProblem {
  /** The definition the message was held to (`CallToolResult`, `JSONRPCNotification`, …). */
  definition: string;
  /** Where in the message, as a JSON pointer. */
  at: string;
  /** The rule broken, in ajv's words. */
  rule: string;
}

type Json = Record<string, unknown>;

/** A label of a _meta key's prefix: a letter first, a letter or digit last, hyphens between. */
const LABEL = '[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
/** A _meta key (2025-06-18 on): an optional prefix (labels joined by dots, then a slash) and a name, empty or alphanumeric at both ends. */
const META_KEY = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*/)?(?:[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)?$`);

/** The first _meta key anywhere in `value` that breaks the naming rules, with where it is. */
export function badMetaKey(value: unknown, at = ''): { at: string; key: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k === '_meta' && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const key = Object.keys(v).find((name) => !META_KEY.test(name));
      if (key !== undefined) return { at: `${at}/_meta`, key };
    }
    const inner = badMetaKey(v, `${at}/${k}`);
    if (inner) return inner;
  }
  return undefined;
}

/** The validators of one revision, compiled on first use. */
export class MessageSchemas {
  private readonly ajv: Ajv;
  private readonly defs: Json;
  private readonly prefix: string;
  private readonly compiled = new Map<string, ValidateFunction>();
  /** Definition names by the method they define, requests and notifications apart. */
  private readonly requests = new Map<string, string[]>();
  private readonly notifications = new Map<string, string[]>();

  constructor(readonly revision: Revision) {
    const schema = revisionSchema(revision);
    const modern = String(schema.$schema).includes('2020-12');
    // Formats (uri, date-time …) are not what a proxy is judged on; unknown keywords are the schema's own annotations.
    const options = { strict: false, validateFormats: false, allErrors: false };
    this.ajv = modern ? new Ajv2020(options) : new Ajv(options);
    this.ajv.addSchema(schema, 'mcp');
    this.defs = ((modern ? schema.$defs : schema.definitions) ?? {}) as Json;
    this.prefix = modern ? 'mcp#/$defs/' : 'mcp#/definitions/';
    for (const [name, def] of Object.entries(this.defs)) {
      const method = ((def as Json).properties as Json | undefined)?.method as Json | undefined;
      if (typeof method?.const !== 'string') continue;
      // By name: the older revisions define a method's shape without its envelope (no id, no jsonrpc).
      const index = name.endsWith('Request') ? this.requests : name.endsWith('Notification') ? this.notifications : undefined;
      index?.set(method.const, [...(index.get(method.const) ?? []), name]);
    }
  }

  /** The definition of what a request with `method` is answered with, if the schema defines one. */
  resultOf(method: string): string | undefined {
    for (const name of this.requests.get(method) ?? []) {
      const result = name.replace(/Request$/, 'Result');
      if (result in this.defs) return result;
    }
    return undefined;
  }

  /**
   * What is wrong with `message` (one JSON-RPC message, or a batch of them), or undefined when it is
   * valid. `answering` gives the method of the request a response answers, where it is known.
   */
  problem(message: unknown, answering?: (id: unknown) => string | undefined): SchemaProblem | undefined {
    if (Array.isArray(message)) {
      for (const [i, item] of message.entries()) {
        const found = this.problem(item, answering);
        if (found) return { ...found, at: `/${i}${found.at}` };
      }
      return undefined;
    }
    const m = (message ?? {}) as Json;
    if (has(this.revision, 'meta-key-names')) {
      const bad = badMetaKey(m);
      if (bad) return { definition: 'MetaObject', at: bad.at, rule: `the _meta key ${JSON.stringify(bad.key)} breaks the key naming rules (an optional prefix of dot-separated labels, each a letter first and a letter or digit last, and a slash; then a name alphanumeric at both ends)` };
    }
    if (typeof m.method === 'string') {
      const request = 'id' in m;
      // A method the schema defines only as a notification, sent with an id: a notification that carries one.
      if (request && this.notifications.has(m.method) && !this.requests.has(m.method)) return { definition: 'JSONRPCNotification', at: '/id', rule: `${m.method} is a notification, and a notification carries no id` };
      const envelope = this.check(request ? 'JSONRPCRequest' : 'JSONRPCNotification', m);
      if (envelope) return envelope;
      const names = (request ? this.requests : this.notifications).get(m.method);
      return names ? this.firstValid(names, m) : undefined;
    }
    if ('error' in m) return this.check(this.envelope('JSONRPCErrorResponse', 'JSONRPCError'), m);
    const envelope = this.check(this.envelope('JSONRPCResultResponse', 'JSONRPCResponse'), m);
    if (envelope) return envelope;
    const method = answering?.(m.id);
    const result = method === undefined ? undefined : this.resultOf(method);
    // A stateless-era server may answer a request with input_required instead of its result.
    const inputRequired = (m.result as Json | undefined)?.resultType === 'input_required' && 'InputRequiredResult' in this.defs;
    // 2025-11-25: a task-augmented request is answered with a CreateTaskResult in place of its own result.
    const taskCreated = typeof (m.result as Json | undefined)?.task === 'object' && 'CreateTaskResult' in this.defs;
    const found = inputRequired ? this.check('InputRequiredResult', m.result) : taskCreated ? this.firstValid(['CreateTaskResult', result ?? 'Result'], m.result) : this.check(result ?? 'Result', m.result);
    return found && { ...found, at: `/result${found.at}` };
  }

  private envelope(current: string, older: string): string {
    return current in this.defs ? current : older;
  }

  /** Valid against any of `names`: undefined; else what the first says. */
  private firstValid(names: string[], value: unknown): SchemaProblem | undefined {
    const problems = names.map((name) => this.check(name, value));
    return problems.some((p) => p === undefined) ? undefined : problems[0];
  }

  private check(name: string, value: unknown): SchemaProblem | undefined {
    let validate = this.compiled.get(name);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${this.prefix}${name}` });
      this.compiled.set(name, validate);
    }
    if (validate(value)) return undefined;
    const error = validate.errors?.[0];
    const params = error?.params && Object.keys(error.params).length ? ` (${JSON.stringify(error.params)})` : '';
    return { definition: name, at: error?.instancePath ?? '', rule: `${error?.message ?? 'invalid'}${params}` };
  }
}

const cache = new Map<Revision, MessageSchemas>();

/** The validators of `revision`, shared within a process. */
export function messageSchemas(revision: Revision): MessageSchemas {
  let schemas = cache.get(revision);
  if (!schemas) {
    schemas = new MessageSchemas(revision);
    cache.set(revision, schemas);
  }
  return schemas;
}
