/**
 * The run context handed to every suite file: where the target listens, how to reach the mocks'
 * control channel, which checks are selected, where verdicts go. Plain data, so it crosses into
 * vitest's worker processes through `provide`/`inject`.
 */
import type { Revision } from '../../wire/index.ts';
import type { Feature } from '../../catalogue/types.ts';
import type { Hints } from '../../catalogue/hints.ts';

export interface TargetInfo {
  name: string;
  kind: 'reference' | 'direct' | 'profile';
  version?: string;
  url: string;
  headers: Record<string, string>;
  features: Feature[];
  upstream: 'http' | 'stdio';
  /** Whether the target runs from a container image (`image:` in its profile), whose copies start in a container of their own. */
  image?: boolean;
  /** The revisions the upstream serves (`dual`: both), and which server it is: the mock, or the SDK v1 server. */
  upstreamEra: 'dual' | 'legacy' | 'modern';
  upstreamServer: 'mock' | 'sdk-v1';
  /** The profile's hints for the checks (`config:`), validated when the profile was loaded. */
  config: Hints;
  /** Whether the target's command or env uses `{upstream_urls}` or `{upstream_backup_urls}`: it is told of backup upstreams. */
  wiresBackups: boolean;
  /** Process group of the started target (for memory figures); absent when the harness attached to it. */
  pid?: number;
  /**
   * Every process group whose memory is the target's, where there are several: each replica, and the
   * store the harness started for it (`{redis_url}`). Absent: `pid` alone.
   */
  pids?: number[];
  /** With `replicas:` in the profile, each replica's own MCP endpoint (the target's `url` is the balancer). */
  replicas?: string[];
  /** The mock authorization server this target trusts, when the run started one. */
  auth?: TargetAuth;
}

/** What scenarios need to get real tokens and forge hostile ones. */
export interface TargetAuth {
  issuer: string;
  jwksUri: string;
  tokenEndpoint: string;
  /** The target's resource URI: tokens for it name it in `aud`. */
  audience: string;
  /** The upstream's resource URI: the proxy's own tokens are for it. */
  upstreamAudience: string;
  clients: Record<'client' | 'other' | 'proxy', { id: string; secret: string }>;
  /** Every scope the authorization server knows; the run's default token carries them all. */
  scopes: string[];
  /** The token sent on every request of the run (also in the target's headers). */
  token: string;
  /** The authorization server's current private signing key (a JWK), for forged tokens. */
  signingKey: Record<string, unknown>;
}

export interface RunContext {
  target: TargetInfo;
  /** How the target was named (a built-in, or a profile's absolute path): destructive scenarios start their own copy. */
  targetSpec: string;
  revision: Revision;
  /** Base URL of the mocks' control server (records, sessions, connections). */
  controlUrl: string;
  /** Streamable HTTP URL of the primary mock upstream. */
  upstreamUrl: string;
  /** JSONL file every scenario appends its verdicts to. */
  resultsFile: string;
  /** Check ids the user selected (after --suite, --only, --exclude). */
  selected: string[];
  /** In the project's own test run: every verdict must be pass or n/a, or the vitest test fails. */
  assertPass: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    proxyspec: RunContext;
  }
}
