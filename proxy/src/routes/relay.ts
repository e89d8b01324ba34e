/**
 * An upstream answer on its way to the client: headers translated, a small body in one write, a stream
 * chunk by chunk with backpressure, and the client going away stopping the upstream body.
 */
import type { FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { clientResponseHeaders, firstHeader } from '../protocol/headers.ts';
import type { UpstreamReply } from '../upstream/types.ts';

/** Answers up to this size (with a Content-Length) are relayed in one write. */
const WHOLE_BODY_BYTES = 64 * 1024;

async function readWhole(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/** Resolves once the client can take more, or is gone. */
function drained(to: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      to.off('drain', done);
      to.off('close', done);
      resolve();
    };
    to.on('drain', done);
    to.on('close', done);
  });
}

/**
 * Copies a stream to the client with backpressure; the client going away stops the upstream body.
 * (stream.pipeline would do it too, at the price of an AbortController per answer.)
 */
async function copy(from: Readable, to: ServerResponse): Promise<void> {
  const stop = () => from.destroy();
  to.once('close', stop);
  try {
    for await (const chunk of from) {
      if (to.destroyed) throw new Error('the client went away');
      if (!to.write(chunk)) await drained(to);
    }
    to.end();
  } finally {
    to.off('close', stop);
  }
}

/** Sends `upstream` to the client, naming `sessionId`; a stream is in `openStreams` while it flows, so that shutdown can end it. */
export async function relay(reply: FastifyReply, upstream: UpstreamReply, sessionId: string | undefined, openStreams: Set<FastifyReply>): Promise<void> {
  const headers = clientResponseHeaders(upstream.headers);
  if (sessionId !== undefined) headers['mcp-session-id'] = sessionId;
  reply.hijack();
  const res = reply.raw;
  const body = upstream.body;
  if (!body) {
    res.writeHead(upstream.status, headers);
    return void res.end();
  }
  try {
    // A body of known, small size is an answer, not a stream: read it whole and send head and body
    // in one write. Anything else (SSE, unknown length) is passed on chunk by chunk as it comes.
    const length = Number(firstHeader(upstream.headers, 'content-length'));
    if (length <= WHOLE_BODY_BYTES) {
      const bytes = await readWhole(body);
      res.writeHead(upstream.status, headers);
      return void res.end(bytes);
    }
    res.writeHead(upstream.status, headers);
    openStreams.add(reply);
    res.flushHeaders();
    await copy(body, res);
  } catch {
    // The client went away or the upstream cut the stream: either way this stream is over.
    if (!res.destroyed) res.destroy();
  } finally {
    openStreams.delete(reply);
  }
}
