/**
 * Streamable HTTP upstream over an undici Pool: connections are reused across client sessions,
 * the upstream's session id is kept per client session, and transport failures become the proxy's
 * own attributable wire errors (502 unreachable, 504 timed out).
 */
import { Pool, errors as undiciErrors } from 'undici';
import { WireErrors, ProxyWireError } from '../errors.ts';
import type { HttpUpstreamConfig } from '../config/schema.ts';
import type { MessageInfo } from '../protocol/message.ts';
import { firstHeader } from '../protocol/headers.ts';
import type { ClientGone, UpstreamConnector, UpstreamReply, UpstreamSession } from './types.ts';
import { createUpstreamCredential } from './credential.ts';

export function createHttpConnector(config: HttpUpstreamConfig): UpstreamConnector {
  const url = new URL(config.url);
  const pool = new Pool(url.origin, {
    connections: config.connections,
    headersTimeout: config.timeoutMs,
    bodyTimeout: config.idleTimeoutMs,
    keepAliveTimeout: 30_000,
  });
  const path = `${url.pathname}${url.search}`;
  const credential = createUpstreamCredential(config);

  async function send(method: 'POST' | 'GET' | 'DELETE', headers: Record<string, string>, body: Buffer | null, gone?: ClientGone, streaming = false): Promise<UpstreamReply> {
    try {
      const authorization = await credential();
      const res = await pool.request({
        path,
        method,
        headers: authorization === undefined ? headers : { ...headers, authorization },
        body,
        signal: gone,
        reset: !config.keepAlive,
        // A GET stream may be silent for as long as the session lives.
        bodyTimeout: streaming ? 0 : config.idleTimeoutMs,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      throw toWireError(err);
    }
  }

  return {
    open(): UpstreamSession {
      let upstreamSessionId: string | undefined;
      const withSession = (headers: Record<string, string>) =>
        upstreamSessionId === undefined ? headers : { ...headers, 'mcp-session-id': upstreamSessionId };
      return {
        async post(body: Buffer, headers: Record<string, string>, info: MessageInfo, gone: ClientGone) {
          const reply = await send('POST', withSession(headers), body, gone);
          if (info.isInitialize && reply.status >= 200 && reply.status < 300) {
            upstreamSessionId = firstHeader(reply.headers, 'mcp-session-id');
          }
          return reply;
        },
        get: (headers, gone) => send('GET', withSession(headers), null, gone, true),
        delete: (headers) => send('DELETE', withSession(headers), null),
        async close() {},
      };
    },
    close: () => pool.close(),
  };
}

function toWireError(err: unknown): ProxyWireError {
  if (err instanceof ProxyWireError) return err;
  const code = (err as { code?: string }).code ?? '';
  if (err instanceof undiciErrors.HeadersTimeoutError || code === 'UND_ERR_HEADERS_TIMEOUT') return WireErrors.upstreamTimeout();
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return WireErrors.upstreamTimeout();
  if ((err as Error).name === 'AbortError') return WireErrors.upstreamUnavailable('request aborted');
  return WireErrors.upstreamUnavailable(code || 'connection failed');
}
