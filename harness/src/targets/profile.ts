/**
 * Target profiles: a YAML or JSON file that tells the harness how to start (or where to find) a proxy
 * under test. Strict schema: an unknown or misspelt key is an error that names it.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HarnessError } from '../errors.ts';
import { FEATURES } from '../../../catalogue/types.ts';
import { HintsSchema } from '../../../catalogue/hints.ts';

/** The revisions a mock upstream serves (mocks/upstream: `--era`). */
export const UPSTREAM_ERAS = ['dual', 'legacy', 'modern'] as const;
export type UpstreamEra = (typeof UPSTREAM_ERAS)[number];
/** The upstream servers a run can start: the scriptable mock, or its tools on the TypeScript SDK v1. */
export const UPSTREAM_SERVERS = ['mock', 'sdk-v1'] as const;
export type UpstreamServer = (typeof UPSTREAM_SERVERS)[number];

export const TargetProfileSchema = z
  .strictObject({
    /** Shown in reports; also the default output folder's prefix. */
    name: z.string().min(1).regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, dash or underscore'),
    version: z.string().optional(),
    /** Shell command that starts the proxy; omit to attach to one already running at `url`. */
    command: z.string().min(1).optional(),
    /** Container image run through testcontainers instead of `command`, on the host's network. */
    image: z.string().min(1).optional(),
    /** The image's arguments (after its entry point), with placeholders; only with `image`. */
    args: z.array(z.string()).default([]),
    /** Working directory of the command; default: the profile file's folder. */
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).default({}),
    /** The MCP endpoint clients use. */
    url: z.string().default('http://127.0.0.1:{port}/mcp'),
    /** Sent on every client request (front-door keys). */
    headers: z.record(z.string(), z.string()).default({}),
    /** Which kind of upstream the proxy is wired to. */
    upstream: z.enum(['http', 'stdio']).default('http'),
    /**
     * The revisions the mock upstream serves: both eras (default), `legacy` (2025-11-25 and earlier, as
     * most servers today) or `modern` (2026-07-28 only). A proxy in front of a legacy upstream must
     * bridge 2026-07-28 clients, or refuse them clearly.
     */
    upstreamEra: z.enum(UPSTREAM_ERAS).optional(),
    /** The upstream server: proxyspec's scriptable mock, or the same tools on the official TypeScript SDK v1 (`sdk-v1`, legacy era only). */
    upstreamServer: z.enum(UPSTREAM_SERVERS).default('mock'),
    /** Optional features the proxy claims; checks of unclaimed features are n/a. */
    features: z.array(z.enum(FEATURES)).default([]),
    ready: z
      .strictObject({
        timeoutMs: z.number().int().positive().default(20_000),
        /** Readiness URL: any HTTP answer means ready. Default: the port accepts TCP. */
        url: z.string().optional(),
      })
      .prefault({}),
    /**
     * Copies of the proxy to start, each on its own `{port}` with its number in `{replica}`, behind a
     * TCP round-robin balancer of the harness's own on the target's port. The replica checks need 2 or more.
     */
    replicas: z.number().int().min(1).max(8).default(1),
    /** Hints for the checks: how the proxy is configured (its timeouts, its scopes). See harness/src/checks/hints.ts. */
    config: HintsSchema.default({}),
  })
  .refine((p) => !(p.command && p.image), { message: 'give either command or image, not both' })
  .refine((p) => p.upstreamServer !== 'sdk-v1' || p.upstreamEra === undefined || p.upstreamEra === 'legacy', { message: 'the SDK v1 server speaks the legacy era only: leave upstreamEra out, or set it to legacy', path: ['upstreamEra'] })
  .refine((p) => p.image || p.args.length === 0, { message: 'args are the arguments of an image; a command carries its own', path: ['args'] })
  // Without `upstream: stdio` the run judges an HTTP upstream's checks against what is a stdio one: false verdicts, not a run.
  .refine((p) => p.upstream === 'stdio' || ![p.command ?? '', p.url ?? '', ...p.args, ...Object.values(p.env)].some((t) => /\{upstream_command\}|PROXYSPEC_UPSTREAM_COMMAND/.test(t)), {
    message: 'the profile passes {upstream_command} (or $PROXYSPEC_UPSTREAM_COMMAND: a stdio upstream) but does not say upstream: stdio; add it, or the run would judge the proxy as if its upstream were HTTP',
    path: ['upstream'],
  })
  .refine((p) => p.replicas === 1 || p.command !== undefined || p.image !== undefined, { message: 'replicas are started by the harness: give a command or an image', path: ['replicas'] })
  .refine((p) => p.replicas === 1 || [p.command ?? '', ...p.args, ...Object.values(p.env)].some((t) => t.includes('{port}')), {
    message: 'each replica listens on a port of its own: pass {port} to the command, its args or its env',
    path: ['replicas'],
  });

export type TargetProfile = z.infer<typeof TargetProfileSchema>;

/** The upstream a run wires the target to, as the profile or the command line chose it. */
export interface UpstreamChoice {
  era: UpstreamEra;
  server: UpstreamServer;
}

/** The profile's upstream, with what the command line overrides; the SDK v1 server is legacy by nature. */
export function upstreamChoice(profile: Pick<TargetProfile, 'upstreamEra' | 'upstreamServer'> | undefined, override: Partial<UpstreamChoice> = {}): UpstreamChoice {
  const server = override.server ?? profile?.upstreamServer ?? 'mock';
  const era = override.era ?? profile?.upstreamEra ?? (server === 'sdk-v1' ? 'legacy' : 'dual');
  if (server === 'sdk-v1' && era !== 'legacy') throw new HarnessError('HARNESS_ERR_USAGE', `the SDK v1 upstream speaks the legacy era only, not ${era}`);
  return { era, server };
}

export interface LoadedProfile {
  profile: TargetProfile;
  /** Folder the profile came from: the default cwd of its command. */
  baseDir: string;
  path?: string;
  /** Set for the bundled proxy's built-in profiles. */
  reference?: true;
}

export function parseProfile(raw: unknown, source: string, baseDir: string): LoadedProfile {
  const result = TargetProfileSchema.safeParse(raw);
  if (!result.success) {
    throw new HarnessError('HARNESS_ERR_PROFILE_INVALID', `invalid target profile ${source}:\n${z.prettifyError(result.error)}`);
  }
  return { profile: result.data, baseDir };
}

export async function loadProfile(file: string): Promise<LoadedProfile> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new HarnessError('HARNESS_ERR_PROFILE_READ', `cannot read target profile ${file}: ${(cause as Error).message}`, { cause });
  }
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new HarnessError('HARNESS_ERR_PROFILE_SYNTAX', `target profile ${file} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(cause as Error).message}`, { cause });
  }
  return { ...parseProfile(raw ?? {}, file, dirname(path)), path };
}
