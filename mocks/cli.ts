/**
 * `proxyspec mock …`: the mocks run on their own, for a proxy author who wants to point a proxy at
 * the mock upstream or the authorization server by hand, and for the self-test targets (the broken
 * proxies). The harness's command line adds this command as it is; the mocks know nothing of the
 * harness, so what they print and how a usage error is reported come in as `io`.
 */
import { Command, Option } from 'commander';

export interface MockIo {
  out(text: string): void;
  /** The error to throw for a wrong argument (the harness's exits 2). */
  usage(message: string): Error;
}

/** Resolves on SIGTERM or SIGINT: a mock runs until it is told to stop. */
function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
}

export function mockCommand(io: MockIo): Command {
  const mock = new Command('mock').description('Run the mocks standalone.');
  mock
    .command('upstream')
    .description('Run the mock MCP upstream (Streamable HTTP, or stdio with --stdio).')
    .option('--port <n>', 'port for Streamable HTTP (default: a free one)', (v) => Number.parseInt(v, 10), 0)
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--stdio', 'speak MCP on stdin/stdout instead')
    .option('--control <url>', 'report records to this harness control URL (stdio)')
    .addOption(new Option('--era <era>', 'the revisions it serves: both eras, 2025-11-25 and earlier only, or 2026-07-28 only').choices(['dual', 'legacy', 'modern']).default('dual'))
    .addOption(new Option('--server <kind>', "the server: proxyspec's scriptable mock, or the same tools on the official TypeScript SDK v1's McpServer (legacy era)").choices(['mock', 'sdk-v1']).default('mock'))
    .action(async (opts: { port: number; host: string; stdio?: boolean; control?: string; era: 'dual' | 'legacy' | 'modern'; server: 'mock' | 'sdk-v1' }) => {
      const { runStdioUpstream, startHttpUpstream, startControlServer, Recorder } = await import('./upstream/index.ts');
      if (opts.stdio) {
        if (opts.server === 'sdk-v1') await (await import('./upstream/sdk-server.ts')).runSdkStdioUpstream({ controlUrl: opts.control });
        else await runStdioUpstream({ controlUrl: opts.control, era: opts.era });
        return;
      }
      const recorder = new Recorder();
      const control = await startControlServer(recorder);
      const upstream = await startHttpUpstream({ recorder, port: opts.port, host: opts.host, era: opts.era });
      io.out(`mock upstream: ${upstream.url}\ncontrol (records): ${control.url}/records\n`);
      await waitForSignal();
      await upstream.close();
      await control.close();
    });
  mock
    .command('idp')
    .description('Run the mock OAuth 2.1 authorization server (oidc-provider): JWT access tokens for a resource, client_credentials, PKCE.')
    .option('--port <n>', 'port (default: a free one)', (v) => Number.parseInt(v, 10), 0)
    .option('--audience <url>', 'the protected resource tokens are for (your proxy\'s MCP URL)', 'http://127.0.0.1:8080/mcp')
    .option('--resource <url...>', 'other resources tokens may be asked for (an upstream)', [])
    .action(async (opts: { port: number; audience: string; resource: string[] }) => {
      const { startIdp, PROXY_CALLBACK_PATH } = await import('./idp/index.ts');
      const idp = await startIdp({ port: opts.port, audience: opts.audience, otherResources: opts.resource });
      const sample = await idp.token();
      io.out(
        [
          `issuer:         ${idp.issuer}`,
          `discovery:      ${idp.issuer}/.well-known/openid-configuration`,
          `jwks_uri:       ${idp.jwksUri}`,
          `token endpoint: ${idp.tokenEndpoint}`,
          `audience:       ${idp.audience}`,
          `client:         ${idp.clients.client.id} / ${idp.clients.client.secret} (client_credentials, authorization_code + PKCE)`,
          `other client:   ${idp.clients.other.id} / ${idp.clients.other.secret} (client_credentials, a second user)`,
          `proxy client:   ${idp.clients.proxy.id} / ${idp.clients.proxy.secret} (client_credentials, for the proxy's own upstream token; authorization_code + PKCE back to http://127.0.0.1:<any port>${PROXY_CALLBACK_PATH}, for an OAuth proxy)`,
          `a token for the audience (1 hour):`,
          sample,
          '',
        ].join('\n'),
      );
      await waitForSignal();
      await idp.close();
    });
  mock
    .command('proxy')
    .description('Run the small pass-through proxy used in self-tests, optionally with one deliberate defect.')
    .requiredOption('--upstream <url>', 'Streamable HTTP URL of the upstream')
    .option('--port <n>', 'port to listen on', (v) => Number.parseInt(v, 10), 0)
    .option('--defect <name>', 'the defect to have (see mocks/broken-proxies)', 'none')
    .option('--timeout-ms <ms>', 'time the upstream has to start answering', (v) => Number.parseInt(v, 10), 30_000)
    .option('--oauth-issuer <url>', 'run an OAuth proxy\'s authorization front too, sending users to this third-party authorization server')
    .option('--oauth-client-id <id>', 'the static client id at the third party (with --oauth-issuer)')
    .option('--oauth-client-secret <secret>', 'its secret (with --oauth-issuer)')
    .option('--oauth-redirect-uri <url>', 'this proxy\'s callback, as registered at the third party (with --oauth-issuer)')
    .action(async (opts: { upstream: string; port: number; defect: string; timeoutMs: number; oauthIssuer?: string; oauthClientId?: string; oauthClientSecret?: string; oauthRedirectUri?: string }) => {
      const { startBrokenProxy, DEFECTS } = await import('./broken-proxies/index.ts');
      if (!(DEFECTS as readonly string[]).includes(opts.defect)) throw io.usage(`unknown defect ${opts.defect}; known: ${DEFECTS.join(', ')}`);
      const { oauthIssuer: issuer, oauthClientId: clientId, oauthClientSecret: clientSecret, oauthRedirectUri: redirectUri } = opts;
      const oauthGiven = [issuer, clientId, clientSecret, redirectUri].filter((v) => v !== undefined).length;
      if (oauthGiven !== 0 && oauthGiven !== 4) throw io.usage('--oauth-issuer, --oauth-client-id, --oauth-client-secret and --oauth-redirect-uri go together');
      const oauth = issuer && clientId && clientSecret && redirectUri ? { issuer, clientId, clientSecret, redirectUri } : undefined;
      const proxy = await startBrokenProxy({ upstream: opts.upstream, port: opts.port, defect: opts.defect as never, timeoutMs: opts.timeoutMs, oauth });
      io.out(`pass-through proxy (defect: ${opts.defect}): ${proxy.url}\n`);
      await waitForSignal();
      await proxy.close();
    });
  mock
    .command('multiplexer')
    .description('Run the broken stdio bridge that puts every client onto one upstream process and closes it on any DELETE (a self-test target).')
    .requiredOption('--upstream-command <command>', 'shell command that runs the stdio upstream')
    .option('--port <n>', 'port to listen on', (v) => Number.parseInt(v, 10), 0)
    .action(async (opts: { upstreamCommand: string; port: number }) => {
      const { startMultiplexer } = await import('./broken-proxies/index.ts');
      const proxy = await startMultiplexer({ upstreamCommand: opts.upstreamCommand, port: opts.port });
      io.out(`multiplexing stdio bridge: ${proxy.url}\n`);
      await waitForSignal();
      await proxy.close();
    });
  mock
    .command('reference')
    .description('Run the reference proxy with one deliberate defect (the Level 2 and Level 3 self-tests).')
    .requiredOption('--defect <name>', 'the defect to have (see mocks/broken-proxies/reference-defects.ts)')
    .requiredOption('-c, --config <file>', 'the reference proxy config to start from')
    .option('--port <n>', 'port to listen on', (v) => Number.parseInt(v, 10), 0)
    .option('--redis <url>', 'a Redis shared with other replicas (as the reference proxy\'s --redis)')
    .action(async (opts: { defect: string; config: string; port: number; redis?: string }) => {
      const { buildDefectiveReference, REFERENCE_DEFECTS } = await import('./broken-proxies/index.ts');
      const { loadConfigFile, parseConfig } = await import('../proxy/src/index.ts');
      if (!(REFERENCE_DEFECTS as readonly string[]).includes(opts.defect)) throw io.usage(`unknown defect ${opts.defect}; known: ${REFERENCE_DEFECTS.join(', ')}`);
      const loaded = await loadConfigFile(opts.config);
      const config = opts.redis === undefined ? loaded : parseConfig({ ...loaded, state: { ...loaded.state, redis: opts.redis } });
      const app = await buildDefectiveReference(opts.defect as never, config);
      const address = await app.listen({ port: opts.port, host: '127.0.0.1' });
      io.out(`reference proxy (defect: ${opts.defect}): ${address}\n`);
      await waitForSignal();
      await app.shutdown();
    });

  return mock;
}
