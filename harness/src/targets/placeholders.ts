/**
 * Placeholders in a profile's command, env, url and headers: `{port}`, `{upstream_url}` and friends.
 * Each is also exported to the command as `PROXYSPEC_<NAME>`. An unknown placeholder is a profile
 * error; one whose service this run does not start is an error that says so.
 */
import { HarnessError } from '../errors.ts';

export const PLACEHOLDERS = [
  'port',
  'upstream_url',
  'upstream_url_encoded',
  'upstream_base_url',
  'upstream_urls',
  'upstream_backup_urls',
  'upstream_command',
  'issuer',
  'jwks_uri',
  'audience',
  'upstream_token',
  'token_endpoint',
  'proxy_client_id',
  'proxy_client_secret',
  'proxy_redirect_uri',
  'workdir',
  'replica',
  'redis_url',
] as const;
export type PlaceholderName = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Partial<Record<PlaceholderName, string>>;

const PATTERN = /\{([a-z_]+)\}/g;
export const AUTH_PLACEHOLDERS: readonly PlaceholderName[] = ['issuer', 'jwks_uri', 'audience', 'upstream_token', 'token_endpoint', 'proxy_client_id', 'proxy_client_secret', 'proxy_redirect_uri'];

/** Whether a text uses any of the given placeholders. */
export function usesPlaceholder(text: string, names: readonly PlaceholderName[]): boolean {
  return [...text.matchAll(PATTERN)].some((m) => (names as readonly string[]).includes(m[1]));
}

/** Fills every `{name}` in text; throws a usage error for an unknown or unavailable one. */
export function fill(text: string, values: PlaceholderValues, where: string): string {
  return text.replace(PATTERN, (match, name: string) => {
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new HarnessError('HARNESS_ERR_PROFILE_INVALID', `${where}: unknown placeholder ${match}; known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`);
    }
    const value = values[name as PlaceholderName];
    if (value === undefined) {
      throw new HarnessError('HARNESS_ERR_PROFILE_INVALID', `${where}: placeholder ${match} has no value in this place (the authorization server's values are known only once the target's url is)`);
    }
    return value;
  });
}

export function fillRecord(record: Record<string, string>, values: PlaceholderValues, where: string): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fill(v, values, `${where}.${k}`)]));
}

/** The PROXYSPEC_* environment variables for the values this run has. */
export function placeholderEnv(values: PlaceholderValues): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) if (value !== undefined) env[`PROXYSPEC_${name.toUpperCase()}`] = value;
  return env;
}

/** Quotes a value for /bin/sh. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
