/**
 * stdio upstream: one child process per client session, newline-delimited JSON-RPC. Each POSTed
 * request gets a route; the child's messages for it (matched by id, or by progress token) are relayed
 * on that route: as JSON when the first thing the child says is the answer, as SSE otherwise.
 * Messages that belong to no request go to the session's GET stream.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { WireErrors } from '../errors.ts';
import type { StdioUpstreamConfig } from '../config/schema.ts';
import { idKey, type MessageInfo } from '../protocol/message.ts';
import type { UpstreamConnector, UpstreamReply, UpstreamSession } from './types.ts';

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const MAX_BACKLOG = 100;

interface Route {
  remaining: Set<string>;
  tokens: string[];
  stream: PassThrough | null;
  settle: (reply: UpstreamReply) => void;
  fail: (err: Error) => void;
}

export function createStdioConnector(config: StdioUpstreamConfig, log: (msg: string) => void = () => {}): UpstreamConnector {
  const children = new Set<ChildProcess>();

  return {
    open(): UpstreamSession {
      const child = spawn(config.command, {
        shell: true,
        cwd: config.cwd,
        env: { ...process.env, ...config.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        // Own process group, so that stopping the session stops whatever the shell started.
        detached: true,
      });
      children.add(child);
      const routes = new Map<string, Route>();
      const byToken = new Map<string, Route>();
      let getStream: PassThrough | null = null;
      const backlog: string[] = [];
      let eventSeq = 0;
      let exited = false;
      let answered = false;
      const endedListeners: Array<() => void> = [];

      const sse = (line: string) => `id: ${++eventSeq}\ndata: ${line}\n\n`;

      const finish = (route: Route) => {
        for (const key of route.remaining) routes.delete(key);
        for (const token of route.tokens) byToken.delete(token);
        route.stream?.end();
      };

      const deliver = (route: Route, line: string, final: boolean) => {
        if (!route.stream) {
          if (final) {
            route.settle({ status: 200, headers: { 'content-type': 'application/json' }, body: Readable.from([Buffer.from(line)]) });
            return;
          }
          route.stream = new PassThrough();
          route.settle({ status: 200, headers: SSE_HEADERS, body: route.stream });
        }
        route.stream.write(sse(line));
      };

      const onLine = (line: string) => {
        if (!line.trim()) return;
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line);
        } catch {
          log(`stdio upstream wrote a line that is not JSON; dropped`);
          return;
        }
        const items = Array.isArray(msg) ? msg : [msg];
        const first = items[0] as Record<string, unknown> | undefined;
        const isResponse = first && !('method' in first) && ('result' in first || 'error' in first);
        if (isResponse) {
          answered = true;
          const route = routes.get(idKey(first.id));
          if (!route) return log('stdio upstream answered an id nobody asked; dropped');
          for (const item of items) route.remaining.delete(idKey((item as Record<string, unknown>).id));
          const final = route.remaining.size === 0;
          deliver(route, line, final);
          if (final) finish(route);
          return;
        }
        const params = first?.params as Record<string, unknown> | undefined;
        const token = params?.progressToken;
        const byProgress = token !== undefined ? byToken.get(idKey(token)) : undefined;
        if (byProgress) return deliver(byProgress, line, false);
        // stdio cannot say which request a message belongs to. A server→client request is answered in
        // the context of a call in flight; any other notification goes to the GET stream when one is open.
        const inFlight = routes.size > 0 ? [...routes.values()].at(-1) : undefined;
        const isRequest = first !== undefined && 'id' in first;
        if (inFlight && (isRequest || !getStream)) return deliver(inFlight, line, false);
        if (getStream) getStream.write(sse(line));
        else if (backlog.length < MAX_BACKLOG) backlog.push(line);
      };

      createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', onLine);
      child.stderr!.on('data', (chunk: Buffer) => log(`stdio upstream stderr: ${chunk.toString('utf8').trimEnd()}`));
      child.stdin!.on('error', () => {});
      child.on('error', (err) => log(`stdio upstream failed to start: ${err.message}`));
      child.on('exit', (code, signal) => {
        exited = true;
        children.delete(child);
        const failure = WireErrors.upstreamUnavailable(`upstream process exited (${signal ?? code})`);
        for (const route of new Set(routes.values())) {
          if (route.stream) {
            for (const key of route.remaining) {
              const id = key.startsWith('n:') ? Number(key.slice(2)) : key.slice(2);
              route.stream.write(sse(failure.body(id)));
            }
            route.stream.end();
          } else route.fail(failure);
        }
        routes.clear();
        byToken.clear();
        getStream?.end();
        for (const listener of endedListeners) listener();
      });

      const write = (body: Buffer, parsed: boolean) => {
        // stdio forbids embedded newlines; a pretty-printed body is compacted, any other is sent as is.
        const bytes = body.includes(0x0a) && parsed ? Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8')))) : body;
        child.stdin!.write(Buffer.concat([bytes, Buffer.from('\n')]));
      };

      return {
        async post(body, _headers, info: MessageInfo, gone) {
          if (exited) throw WireErrors.upstreamUnavailable('upstream process has exited');
          if (info.requestIds.length === 0) {
            write(body, true);
            return { status: 202, headers: {}, body: null };
          }
          return new Promise<UpstreamReply>((resolve, reject) => {
            // Until the process has answered once, it may still be starting.
            const timer = setTimeout(() => {
              finish(route);
              reject(WireErrors.upstreamTimeout());
            }, answered ? config.timeoutMs : Math.max(config.timeoutMs, config.startupTimeoutMs));
            const route: Route = {
              remaining: new Set(info.requestIds.map(idKey)),
              tokens: info.progressTokens.map(idKey),
              stream: null,
              settle: (reply) => {
                clearTimeout(timer);
                resolve(reply);
              },
              fail: (err) => {
                clearTimeout(timer);
                reject(err);
              },
            };
            for (const key of route.remaining) routes.set(key, route);
            for (const token of route.tokens) byToken.set(token, route);
            gone.once('abort', () => finish(route));
            write(body, true);
          });
        },
        async get() {
          if (exited) throw WireErrors.upstreamUnavailable('upstream process has exited');
          if (getStream) throw WireErrors.streamConflict();
          const stream = new PassThrough();
          getStream = stream;
          stream.on('close', () => {
            if (getStream === stream) getStream = null;
          });
          for (const line of backlog.splice(0)) stream.write(sse(line));
          return { status: 200, headers: SSE_HEADERS, body: stream };
        },
        async delete() {
          await stop(child);
          return { status: 200, headers: {}, body: null };
        },
        close: () => stop(child),
        onEnded: (listener) => endedListeners.push(listener),
      };
    },
    async close() {
      await Promise.all([...children].map(stop));
    },
  };
}

/** SIGTERM, then SIGKILL if the process is still there after two seconds. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        child.kill(signal);
      }
    };
    const timer = setTimeout(() => signalGroup('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin?.end();
    signalGroup('SIGTERM');
  });
}
