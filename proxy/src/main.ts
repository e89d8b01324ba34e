/**
 * `proxyspec proxy`: runs the reference proxy as a product, from a YAML config or from quick-start
 * flags, and shuts it down cleanly on SIGTERM/SIGINT.
 */
import { Command, CommanderError } from 'commander';
import { buildProxy, loadConfigFile, parseConfig, ProxyError } from './index.ts';
import type { ProxyConfig } from './config/schema.ts';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('proxyspec proxy')
    .description('Run the proxyspec reference MCP proxy.')
    .option('-c, --config <file>', 'proxy config file (YAML or JSON)')
    .option('--upstream <url>', 'Streamable HTTP URL of the upstream MCP server (quick start)')
    .option('--upstream-command <cmd>', 'shell command of a stdio upstream MCP server (quick start)')
    .option('--port <n>', 'port to listen on (overrides the config)', (v) => Number.parseInt(v, 10))
    .option('--host <addr>', 'address to bind (overrides the config)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .option('--redis <url>', 'Redis shared by replicas of this proxy: sessions, rate limits, circuits (overrides state.redis)')
    .option('--upstream-timeout-ms <ms>', 'time the upstream has to start answering (overrides the config)', (v) => Number.parseInt(v, 10))
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  const opts = program.opts<{ config?: string; upstream?: string; upstreamCommand?: string; port?: number; host?: string; logLevel?: string; upstreamTimeoutMs?: number; redis?: string }>();

  let config: Readonly<ProxyConfig>;
  try {
    if (opts.config) {
      if (opts.upstream || opts.upstreamCommand) throw new ProxyError('PROXY_ERR_CONFIG_INVALID', 'give either --config or --upstream/--upstream-command, not both');
      config = await loadConfigFile(opts.config);
    } else {
      if (!opts.upstream === !opts.upstreamCommand) {
        throw new ProxyError('PROXY_ERR_CONFIG_INVALID', 'give --config, or exactly one of --upstream and --upstream-command');
      }
      config = parseConfig({ upstream: opts.upstream ? { url: opts.upstream } : { command: opts.upstreamCommand } });
    }
    if (opts.port !== undefined || opts.host !== undefined || opts.logLevel !== undefined || opts.upstreamTimeoutMs !== undefined || opts.redis !== undefined) {
      config = parseConfig({
        ...config,
        upstream: { ...config.upstream, ...(opts.upstreamTimeoutMs !== undefined && { timeoutMs: opts.upstreamTimeoutMs }) },
        listen: { ...config.listen, ...(opts.port !== undefined && { port: opts.port }), ...(opts.host && { host: opts.host }) },
        logging: { ...config.logging, ...(opts.logLevel && { level: opts.logLevel }) },
        state: { ...config.state, ...(opts.redis !== undefined && { redis: opts.redis }) },
      });
    }
  } catch (err) {
    if (err instanceof ProxyError) {
      process.stderr.write(`proxyspec proxy: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  const app = await buildProxy(config);
  try {
    await app.listen({ port: config.listen.port, host: config.listen.host, backlog: config.listen.backlog });
  } catch (err) {
    process.stderr.write(`proxyspec proxy: cannot listen on ${config.listen.host}:${config.listen.port}: ${(err as Error).message}\n`);
    return 3;
  }
  if (config.listen.host !== '127.0.0.1' && config.listen.host !== 'localhost' && config.listen.host !== '::1') {
    app.log.warn({ host: config.listen.host }, 'listening beyond loopback without authentication: anyone who reaches this port can use the upstream');
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      app.log.info({ signal }, 'shutting down');
      app.shutdown().then(
        () => resolve(0),
        (err) => {
          app.log.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
