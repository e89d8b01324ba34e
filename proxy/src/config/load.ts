/**
 * Loads the proxy's YAML (or JSON) config: `${VAR}` references are filled from the environment
 * (secrets stay out of the file), the result is validated once and frozen.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ProxyError } from '../errors.ts';
import { ProxyConfigSchema, type ProxyConfig, type ProxyConfigInput } from './schema.ts';

/** Replaces `${NAME}` in every string of the tree; a missing variable is a config error. */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const found = env[name];
      if (found === undefined) throw new ProxyError('PROXY_ERR_CONFIG_ENV', `config ${path || 'value'}: environment variable ${name} is not set`);
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, path ? `${path}.${k}` : k)]));
  }
  return value;
}

/** Validates a config object; throws PROXY_ERR_CONFIG_INVALID listing every problem. */
export function parseConfig(input: ProxyConfigInput | unknown, env: NodeJS.ProcessEnv = process.env): Readonly<ProxyConfig> {
  const result = ProxyConfigSchema.safeParse(expandEnv(input, env));
  if (!result.success) {
    throw new ProxyError('PROXY_ERR_CONFIG_INVALID', `invalid proxy config:\n${z.prettifyError(result.error)}`);
  }
  return deepFreeze(result.data);
}

export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Readonly<ProxyConfig>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ProxyError('PROXY_ERR_CONFIG_READ', `cannot read proxy config ${file}: ${(cause as Error).message}`, { cause });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (cause) {
    throw new ProxyError('PROXY_ERR_CONFIG_SYNTAX', `proxy config ${file} is not valid YAML: ${(cause as Error).message}`, { cause });
  }
  return parseConfig(raw ?? {}, env);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
