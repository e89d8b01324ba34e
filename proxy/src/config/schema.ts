/**
 * The reference proxy's configuration: one strict zod schema with every default in it. Unknown keys
 * are errors. This file is the reference for every option; README's config section mirrors it.
 */
import { z } from 'zod';

const HttpUpstreamSchema = z.strictObject({
  /** Streamable HTTP endpoint of the upstream MCP server. */
  url: z.url({ protocol: /^https?$/ }),
  /** Time allowed for the upstream to start answering (headers) before the client gets a 504. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Longest silence allowed inside a streamed answer before it is cut. 0 = none (GET streams never idle out). */
  idleTimeoutMs: z.number().int().min(0).default(300_000),
  /** Most TCP connections the proxy keeps open to this upstream. */
  connections: z.number().int().positive().default(128),
});

const StdioUpstreamSchema = z.strictObject({
  /** Shell command that starts the upstream MCP server; one process per client session. */
  command: z.string().min(1),
  /** Working directory of the command; default: the proxy's. */
  cwd: z.string().optional(),
  /** Extra environment variables for the command. */
  env: z.record(z.string(), z.string()).default({}),
  /** Time allowed for the process to send the first message of an answer before the client gets a 504. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Time allowed for a new process to answer initialize (starting a process can take seconds). */
  startupTimeoutMs: z.number().int().positive().default(30_000),
});

export const ProxyConfigSchema = z.strictObject({
  listen: z
    .strictObject({
      /** Address to bind. Keep 127.0.0.1 unless the proxy sits behind authentication. */
      host: z.string().default('127.0.0.1'),
      /** TCP port; 0 picks a free one. */
      port: z.number().int().min(0).max(65_535).default(8080),
      /** The single MCP endpoint path. */
      path: z.string().startsWith('/').default('/mcp'),
    })
    .prefault({}),
  /** The MCP server behind the proxy: `url` for Streamable HTTP, `command` for stdio. */
  upstream: z.union([HttpUpstreamSchema, StdioUpstreamSchema]),
  limits: z
    .strictObject({
      /** Largest request body accepted, in bytes (larger gets 413). */
      maxBodyBytes: z.number().int().positive().default(8 * 1024 * 1024),
    })
    .prefault({}),
  logging: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  shutdown: z
    .strictObject({
      /** How long SIGTERM waits for in-flight requests before closing what is left. */
      graceMs: z.number().int().min(0).default(10_000),
    })
    .prefault({}),
});

export type ProxyConfig = z.infer<typeof ProxyConfigSchema>;
export type ProxyConfigInput = z.input<typeof ProxyConfigSchema>;
export type HttpUpstreamConfig = z.infer<typeof HttpUpstreamSchema>;
export type StdioUpstreamConfig = z.infer<typeof StdioUpstreamSchema>;

export function isHttpUpstream(upstream: ProxyConfig['upstream']): upstream is HttpUpstreamConfig {
  return 'url' in upstream;
}
