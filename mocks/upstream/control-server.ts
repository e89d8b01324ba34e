/**
 * The control channel of the mocks: a small HTTP server (separate port, never proxied) through which
 * the harness's test workers read the recorder, and through which stdio mocks report what they saw.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { UpstreamRecordSchema } from '../../wire/index.ts';
import type { Recorder, RecordQuery } from './recorder.ts';

export interface ControlServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const ForeignRecordSchema = UpstreamRecordSchema.omit({ seq: true });
const SessionEventSchema = z.object({ upstream: z.string(), sessionId: z.string(), open: z.boolean() });
const SubscriptionEventSchema = z.object({ upstream: z.string(), subscriptionId: z.string(), open: z.boolean() });
const MAX_BODY = 128 * 1024 * 1024;

export async function startControlServer(recorder: Recorder): Promise<ControlServer> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://control');
    const reply = (status: number, body: unknown) => {
      const bytes = Buffer.from(JSON.stringify(body));
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(bytes.length) });
      res.end(bytes);
    };
    try {
      if (req.method === 'GET' && url.pathname === '/records') {
        const q: RecordQuery = {};
        const p = url.searchParams;
        if (p.has('cid')) q.cid = p.get('cid')!;
        if (p.has('session')) q.sessionId = p.get('session')!;
        if (p.has('upstream')) q.upstream = p.get('upstream')!;
        if (p.has('direction')) q.direction = p.get('direction') as 'in' | 'out';
        if (p.has('since')) q.sinceSeq = Number(p.get('since'));
        return reply(200, recorder.query(q));
      }
      if (req.method === 'GET' && url.pathname === '/connections') {
        return reply(200, recorder.connectionRecords(url.searchParams.get('upstream') ?? undefined));
      }
      if (req.method === 'GET' && (url.pathname === '/sessions' || url.pathname === '/subscriptions')) {
        return reply(200, recorder.open(url.pathname === '/sessions' ? 'session' : 'subscription', url.searchParams.get('upstream') ?? undefined));
      }
      if (req.method === 'POST' && url.pathname === '/release') {
        recorder.release(url.searchParams.get('cid') ?? '');
        return reply(200, { ok: true });
      }
      if (req.method === 'GET' && url.pathname === '/gate') {
        const timeoutMs = Math.min(Number(url.searchParams.get('timeoutMs') ?? 10_000), 60_000);
        return reply(200, { released: await recorder.waitRelease(url.searchParams.get('cid') ?? '', timeoutMs) });
      }
      if (req.method === 'POST' && ['/records', '/sessions', '/subscriptions'].includes(url.pathname)) {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of req) {
          size += (chunk as Buffer).length;
          if (size > MAX_BODY) return reply(413, { error: 'too large' });
          chunks.push(chunk as Buffer);
        }
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (url.pathname === '/records') return reply(200, recorder.addForeign(ForeignRecordSchema.parse(body)));
        const [kind, upstream, id, open] =
          url.pathname === '/sessions'
            ? (({ upstream, sessionId, open }) => ['session', upstream, sessionId, open] as const)(SessionEventSchema.parse(body))
            : (({ upstream, subscriptionId, open }) => ['subscription', upstream, subscriptionId, open] as const)(SubscriptionEventSchema.parse(body));
        if (open) recorder.opened(kind, upstream, id);
        else recorder.closed(kind, upstream, id);
        return reply(200, { ok: true });
      }
      reply(404, { error: 'not found' });
    } catch (err) {
      reply(400, { error: String(err) });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
