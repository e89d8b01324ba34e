/**
 * Turns a `--target` argument into a running target: the built-in `reference` (the bundled proxy,
 * started as a command like any other) and `direct` (no proxy at all), or a profile file.
 */
import { resolve } from 'node:path';
import { HarnessError } from '../errors.ts';
import { HARNESS_VERSION } from '../version.ts';
import { REFERENCE_FEATURES, REFERENCE_HINTS } from '../../../catalogue/reference.ts';
import type { TargetAuth, TargetInfo } from '../context.ts';
import { PACKAGE_ROOT, PROXYSPEC_BIN } from '../paths.ts';
import { freePort } from './free-port.ts';
import { AUTH_PLACEHOLDERS, fill, fillRecord, placeholderEnv, shellQuote, usesPlaceholder, type PlaceholderValues } from './placeholders.ts';
import { loadProfile, parseProfile, upstreamChoice, type LoadedProfile, type UpstreamChoice } from './profile.ts';
import { startProcess, waitReady, type LogTail } from './process-target.ts';
import { startImage } from './image-target.ts';
import { startBalancer } from './balancer.ts';
import { startRedis } from './redis.ts';

export interface RunningTarget {
  info: TargetInfo;
  logs(): { stdout: string; stderr: string };
  stop(): Promise<void>;
  /** SIGTERM, resolved once the process has exited; absent when the harness did not start the target. */
  terminate?: () => Promise<void>;
  /** The run's fresh folder, `{workdir}`. */
  workdir?: string;
  /** With `replicas:`, each replica's MCP endpoint and a way to crash it. */
  replicas?: Array<{ url: string; kill(): Promise<void> }>;
}

/**
 * The bundled proxy, wired to the mock upstream and authorization server through the placeholders any
 * profile uses. `replicas`: two of it sharing a Redis that the harness starts, behind its balancer.
 */
export function referenceProfile(variant: 'http' | 'stdio' | 'replicas' = 'http'): LoadedProfile {
  const upstream = variant === 'stdio' ? 'stdio' : 'http';
  const config = resolve(PACKAGE_ROOT, `proxy/configs/reference-${upstream}.yaml`);
  const command = `${shellQuote(process.execPath)} ${shellQuote(PROXYSPEC_BIN)} proxy --config ${shellQuote(config)} --port {port}`;
  const loaded = parseProfile(
    {
      name: variant === 'http' ? 'reference' : `reference-${variant}`,
      version: HARNESS_VERSION,
      command: variant === 'replicas' ? `${command} --redis {redis_url}` : command,
      upstream,
      // Its config reads the backups from the environment: said here, so the failover check knows the proxy is told of them.
      env: { PROXYSPEC_UPSTREAM_BACKUP_URLS: '{upstream_backup_urls}' },
      config: REFERENCE_HINTS,
      // The reference proxy relays bodies as bytes.
      features: [...REFERENCE_FEATURES[variant]],
      ...(variant === 'replicas' && { replicas: 2 }),
    },
    variant === 'http' ? 'reference' : `reference-${variant}`,
    PACKAGE_ROOT,
  );
  return { ...loaded, reference: true };
}

const BUILT_IN = ['direct', 'reference', 'reference-stdio', 'reference-replicas'];

/** A --target value that stays valid from any working directory (for a scenario's own copy of the target). */
export function targetSpecOf(spec: string): string {
  return BUILT_IN.includes(spec) ? spec : resolve(spec);
}

export async function resolveTarget(spec: string): Promise<LoadedProfile | 'direct'> {
  if (spec === 'direct') return 'direct';
  if (spec === 'reference') return referenceProfile('http');
  if (spec === 'reference-stdio') return referenceProfile('stdio');
  if (spec === 'reference-replicas') return referenceProfile('replicas');
  return loadProfile(spec);
}

/** What starting a target needs from its peers (the mocks, or the bench's upstream): its placeholders, and the upstream (for `direct`). */
export interface TargetEnvironment {
  placeholders(port: number): PlaceholderValues;
  upstream: { url: string };
}

export async function startTarget(target: LoadedProfile | 'direct', env: TargetEnvironment, choice: UpstreamChoice = upstreamChoice(undefined)): Promise<RunningTarget> {
  const chosen = { upstreamEra: choice.era, upstreamServer: choice.server };
  if (target === 'direct') {
    return {
      info: { name: 'direct', kind: 'direct', url: env.upstream.url, headers: {}, features: [], upstream: 'http', ...chosen, config: {}, wiresBackups: false },
      logs: () => ({ stdout: '', stderr: '' }),
      stop: async () => {},
    };
  }
  const { profile, baseDir } = target;
  const starts = profile.command !== undefined || profile.image !== undefined;
  const texts = [profile.command ?? '', ...profile.args, ...Object.values(profile.env)];
  const usesPort = profile.url.includes('{port}') || texts.some((t) => t.includes('{port}'));
  if (!starts && profile.url.includes('{port}')) {
    throw new HarnessError('HARNESS_ERR_PROFILE_INVALID', `target ${profile.name}: a profile without \`command\` attaches to a running proxy, so its \`url\` must be a real address, not use {port}`);
  }
  const replicas = profile.replicas;
  // The port clients use: the proxy's own, or with replicas the balancer's; each replica gets one more.
  const port = usesPort ? await freePort() : 0;
  const replicaPorts = replicas > 1 ? await Promise.all(Array.from({ length: replicas }, () => freePort())) : [];
  const stops: Array<() => Promise<void>> = [];
  let redisPid: number | undefined;
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const base = env.placeholders(port);
    if (texts.some((t) => usesPlaceholder(t, ['redis_url']))) {
      const redis = await startRedis();
      stops.push(redis.stop);
      base.redis_url = redis.url;
      redisPid = redis.pid;
    }
    const url = fill(profile.url, base, 'url');
    const auth = needsAuthorizationServer(target) ? await startAuthorizationServer(url, base) : undefined;
    if (auth) stops.push(auth.stop);
    const values: PlaceholderValues = { ...base, ...auth?.values };
    const headers = fillRecord(profile.headers, values, 'headers');
    // A proxy that authenticates gets the run's token on every request, unless its profile sends its own.
    if (auth && profile.features.includes('auth') && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
      headers.authorization = `Bearer ${auth.info.token}`;
    }
    const info: TargetInfo = {
      name: profile.name,
      kind: target.reference ? 'reference' : 'profile',
      version: profile.version,
      url,
      headers,
      features: profile.features,
      upstream: profile.upstream,
      ...(profile.image !== undefined && { image: true }),
      ...chosen,
      config: profile.config,
      wiresBackups: texts.some((t) => usesPlaceholder(t, ['upstream_urls', 'upstream_backup_urls'])),
      ...(auth && { auth: auth.info }),
    };

    if (!starts) {
      const readyUrl = profile.ready.url ? fill(profile.ready.url, values, 'ready.url') : undefined;
      await waitReady({ url, readyUrl, timeoutMs: profile.ready.timeoutMs });
      return { info, logs: () => ({ stdout: '', stderr: '' }), stop: stopAll };
    }

    if (replicas === 1) {
      const instance = await startInstance(target, { ...values, replica: '1' });
      stops.push(instance.stop);
      if (instance.pid !== undefined) info.pid = instance.pid;
      // The sessions' state lives in the store as much as in the proxy: both count for memory.
      if (redisPid !== undefined) info.pids = [...(instance.pid === undefined ? [] : [instance.pid]), redisPid];
      return { info, terminate: instance.terminate, workdir: values.workdir, logs: instance.logs, stop: stopAll };
    }

    // Replicas: each on its own port ({port}) with its number ({replica}), behind the balancer on the target's port.
    const instances: StartedInstance[] = [];
    for (let i = 0; i < replicas; i++) {
      const instance = await startInstance(target, { ...values, port: String(replicaPorts[i]), replica: String(i + 1) });
      stops.push(instance.stop);
      instances.push(instance);
    }
    const balancer = await startBalancer(replicaPorts, port);
    stops.push(balancer.close);
    const pids = instances.flatMap((r) => (r.pid === undefined ? [] : [r.pid]));
    if (pids.length) info.pid = pids[0];
    info.pids = [...pids, ...(redisPid === undefined ? [] : [redisPid])];
    info.replicas = instances.map((r) => r.url);
    const replicaLogs = (pick: 'stdout' | 'stderr') => instances.map((r, i) => `--- replica ${i + 1} ---\n${r.logs()[pick]}`).join('\n');
    return {
      info,
      replicas: instances.map((r) => ({ url: r.url, kill: r.kill })),
      terminate: async () => {
        await Promise.all(instances.map((r) => r.terminate()));
      },
      workdir: values.workdir,
      logs: () => ({ stdout: replicaLogs('stdout'), stderr: replicaLogs('stderr') }),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** One started copy of a profile's proxy: a process, or a container. */
interface StartedInstance {
  /** Its MCP endpoint. */
  url: string;
  pid?: number;
  logs(): { stdout: string; stderr: string };
  stop(): Promise<void>;
  terminate(): Promise<void>;
  /** SIGKILL, as a crash: resolved once it is gone. */
  kill(): Promise<void>;
}

async function startInstance({ profile, baseDir }: LoadedProfile, values: PlaceholderValues): Promise<StartedInstance> {
  const url = fill(profile.url, values, 'url');
  const readyUrl = profile.ready.url ? fill(profile.ready.url, values, 'ready.url') : undefined;
  if (profile.image) {
    const args = profile.args.map((a, i) => fill(a, values, `args[${i}]`));
    const containerEnv = { ...placeholderEnv(values), ...fillRecord(profile.env, values, 'env') };
    const name = profile.replicas > 1 ? `${profile.name}-${values.replica}` : profile.name;
    const container = await startImage({ image: profile.image, args, env: containerEnv, name, workdir: values.workdir }, { url, readyUrl, timeoutMs: profile.ready.timeoutMs });
    return {
      url,
      pid: container.pid,
      // The engine gives one stream for both: it is reported as the container's stdout.
      logs: () => ({ stdout: container.logs.toString(), stderr: '' }),
      stop: container.stop,
      terminate: container.terminate,
      kill: container.kill,
    };
  }
  const command = fill(profile.command!, values, 'command');
  const processEnv = { ...placeholderEnv(values), ...fillRecord(profile.env, values, 'env') };
  const cwd = resolve(baseDir, profile.cwd ?? '.');
  const { child, started } = startProcess(command, cwd, processEnv);
  try {
    await waitReady({ url, readyUrl, timeoutMs: profile.ready.timeoutMs }, child, started.stderr as LogTail);
  } catch (err) {
    await started.stop();
    throw err;
  }
  return { url, pid: child.pid, logs: () => ({ stdout: started.stdout.toString(), stderr: started.stderr.toString() }), stop: started.stop, terminate: started.terminate, kill: started.kill };
}

/** A target needs the authorization server when it claims `auth` or uses one of its placeholders. */
function needsAuthorizationServer({ profile }: LoadedProfile): boolean {
  const texts = [profile.command ?? '', ...profile.args, profile.ready.url ?? '', ...Object.values(profile.env), ...Object.values(profile.headers)];
  return profile.features.includes('auth') || profile.features.includes('oauth-proxy') || texts.some((t) => usesPlaceholder(t, AUTH_PLACEHOLDERS));
}

/**
 * Starts the mock authorization server for a target: tokens are for the target's own URL (its
 * resource), and the proxy gets a token of its own for the upstream.
 */
async function startAuthorizationServer(audience: string, base: PlaceholderValues): Promise<{ values: PlaceholderValues; info: TargetAuth; stop(): Promise<void> }> {
  const { startIdp, FOREIGN_RESOURCE, PROXY_CALLBACK_PATH } = await import('../../../mocks/idp/index.ts');
  let idp: Awaited<ReturnType<typeof startIdp>>;
  const upstreamAudience = base.upstream_url ?? audience;
  try {
    idp = await startIdp({ audience, otherResources: [upstreamAudience, FOREIGN_RESOURCE], proxyDefaultResource: upstreamAudience });
  } catch (cause) {
    throw new HarnessError('HARNESS_ERR_MOCK_START', `the mock authorization server could not start: ${(cause as Error).message}`, { cause });
  }
  try {
    const upstreamToken = await idp.token({ client: 'proxy', resource: upstreamAudience });
    const token = await idp.token();
    return {
      values: {
        issuer: idp.issuer,
        jwks_uri: idp.jwksUri,
        audience,
        upstream_token: upstreamToken,
        token_endpoint: idp.tokenEndpoint,
        proxy_client_id: idp.clients.proxy.id,
        proxy_client_secret: idp.clients.proxy.secret,
        // Where the authorization server sends the proxy's users back, on the proxy's own origin.
        proxy_redirect_uri: `${new URL(audience).origin}${PROXY_CALLBACK_PATH}`,
      },
      info: {
        issuer: idp.issuer,
        jwksUri: idp.jwksUri,
        tokenEndpoint: idp.tokenEndpoint,
        audience,
        upstreamAudience,
        clients: idp.clients,
        scopes: idp.scopes,
        token,
        signingKey: idp.signingKey() as Record<string, unknown>,
      },
      stop: () => idp.close(),
    };
  } catch (cause) {
    await idp.close();
    throw new HarnessError('HARNESS_ERR_MOCK_START', `the mock authorization server did not issue tokens: ${(cause as Error).message}`, { cause });
  }
}
