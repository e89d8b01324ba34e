/**
 * The mock MCP upstream over Streamable HTTP, on raw `node:http` so that it stays far faster than
 * any proxy in front of it. Dual-era, as servers migrate: 2025-03-26 to 2025-11-25 with sessions,
 * JSON or SSE answers chosen per call, the GET stream, DELETE, resumption and the 400/404 rules of
 * the transport page; and 2026-07-28 on the same endpoint, chosen per request by the protocol
 * version in its _meta: no session, mirrored headers checked against the body, server/discover,
 * subscriptions/listen, and a closed response stream taken as the call's cancellation.
 * Every request it receives and every message it sends is given to the recorder. Each era is a module
 * of its own (http/session-era.ts, http/stateless-era.ts) around one fault injector (http/faults.ts);
 * this one routes a request to its era and owns the server's life: listen, kill, restart.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ErrorCode, HEADER, errorResponse, isRevision, isStateless, requestProtocolVersion, revisionsOfEra } from '../../wire/index.ts';
import type { Recorder } from './recorder.ts';
import { HttpExchanges, header, parseJson, serverLife } from './http/exchange.ts';
import { SessionEra } from './http/session-era.ts';
import { StatelessEra } from './http/stateless-era.ts';


export interface HttpUpstreamOptions {
  recorder: Recorder;
  /** Name in the records, to tell several upstreams apart. */
  name?: string;
  port?: number;
  host?: string;
  /** Endpoint path; default /mcp. */
  path?: string;
  /**
   * The revisions it serves: `dual` (default) both eras on one endpoint; `legacy` 2025-11-25 and
   * earlier only, as a server that predates 2026-07-28; `modern` 2026-07-28 only, as a server that
   * dropped sessions. The last two are the upstreams a version-bridging proxy is judged against.
   */
  era?: UpstreamEra;
}

export type UpstreamEra = 'dual' | 'legacy' | 'modern';

export interface HttpUpstream {
  url: string;
  port: number;
  server: Server;
  /** This upstream's name in the records. */
  name: string;
  sessionCount(): number;
  /** Stops listening and cuts every connection, as a crashed server would; its sessions stay for a restart. */
  kill(): Promise<void>;
  /** Listens again on the same port after kill(); `keepSessions: false` forgets every session, as a restarted process does. */
  restart(options: { keepSessions: boolean }): Promise<void>;
  close(): Promise<void>;
}

export async function startHttpUpstream(options: HttpUpstreamOptions): Promise<HttpUpstream> {
  const name = options.name ?? 'primary';
  const endpoint = options.path ?? '/mcp';
  const era = options.era ?? 'dual';
  const io = new HttpExchanges(options.recorder, name);
  const legacy = new SessionEra(io, endpoint);
  const modern = new StatelessEra(io);

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const sessionHeader = header(req, HEADER.sessionId);
    io.record({ direction: 'in', req, body, sessionId: sessionHeader ?? null });
    const path = (req.url ?? '/').split('?')[0];
    if (path !== endpoint) return io.send(req, res, 404, { error: 'not found' }, null);
    await route(req, res, body, sessionHeader);
  });

  /** To the era the request is of: in `dual`, a protocol version in the body's _meta, or a header naming a stateless one without a session. */
  async function route(req: IncomingMessage, res: ServerResponse, body: Buffer, sessionHeader: string | undefined): Promise<void> {
    const version = header(req, HEADER.protocolVersion);
    const modernHeader = version !== undefined && isRevision(version) && isStateless(version);
    // A POST's body is parsed here once, for the era to take as it is.
    const parsed = req.method === 'POST' ? parseJson(body) : undefined;
    if (req.method === 'POST') {
      const asked = parsed && !Array.isArray(parsed) ? requestProtocolVersion((parsed as { params?: unknown }).params) : undefined;
      // A legacy server knows nothing of _meta versions: such a request goes where any other would (and lacks a session).
      if (era === 'modern' || (era === 'dual' && (asked !== undefined || (modernHeader && sessionHeader === undefined)))) return modern.post(req, res, parsed);
    } else if (era === 'modern' || (era === 'dual' && modernHeader && sessionHeader === undefined)) {
      // No GET stream and no DELETE in this era.
      return io.send(req, res, 405, errorResponse(null, ErrorCode.InvalidRequest, `Method not allowed: ${req.method} has no meaning in ${version ?? 'the stateless revisions'}`), null, { allow: 'POST' });
    }
    if (version !== undefined && !revisionsOfEra(false).includes(version as never)) {
      return io.send(req, res, 400, errorResponse(null, ErrorCode.InvalidRequest, `Bad Request: unsupported MCP-Protocol-Version ${version}`), sessionHeader ?? null);
    }
    if (req.method === 'POST') return legacy.post(req, res, parsed, sessionHeader);
    if (req.method === 'GET') return legacy.get(req, res, sessionHeader);
    if (req.method === 'DELETE') return legacy.delete(req, res, sessionHeader);
    io.send(req, res, 405, errorResponse(null, ErrorCode.InvalidRequest, 'Method not allowed'), sessionHeader ?? null, { allow: 'GET, POST, DELETE' });
  }

  const host = options.host ?? '127.0.0.1';
  const { listen, stop, port: portOf } = serverLife(server, host, io, () => {
    legacy.endStreams();
    modern.endStreams();
  });
  await listen(options.port ?? 0);
  const port = portOf();
  return {
    url: `http://${host}:${port}${endpoint}`,
    port,
    server,
    name,
    sessionCount: () => legacy.size,
    kill: stop,
    async restart({ keepSessions }) {
      if (!keepSessions) legacy.forgetAll();
      await listen(port);
    },
    close: stop,
  };
}
