/**
 * Input any client can send: too big, not UTF-8, absurdly nested, a huge header, a request head
 * trickled byte by byte. Each gets a clear refusal (or the connection closed), and the proxy goes on
 * serving everyone else.
 */
import { connect } from 'node:net';
import { preciseNow, scenario, type Exchange, type McpClient, type ScenarioContext } from '../../harness/src/index.ts';

const HOSTILE = 'limits/hostile-input-contained';
const SLOW = 'limits/slow-request-cut-off';

const SLOW_BOUND_MS = 15_000;

/**
 * A request as `client` would send it, in its revision's shape (session headers, or the stateless
 * era's _meta and mirrored headers), with `hole` in the serialised body replaced by raw bytes: the
 * hostile part is what the scenario adds, never a malformed envelope the era would refuse anyway.
 */
function shaped(client: McpClient, message: { id: string; method: string; params: Record<string, unknown> }, extra: Array<[string, string]> = [], hole?: Buffer | string): { headers: Array<[string, string]>; body: Buffer | string } {
  const full = { jsonrpc: '2.0', ...message, params: client.requestParams(message.params) };
  const headers: Array<[string, string]> = [
    ['content-type', 'application/json'],
    ['accept', 'application/json, text/event-stream'],
    ...Object.entries(client.headersFor(full)),
    ...extra,
  ];
  const text = JSON.stringify(full);
  if (hole === undefined) return { headers, body: text };
  const [before, after] = text.split(JSON.stringify(HOLE));
  return { headers, body: typeof hole === 'string' ? `${before}${hole}${after}` : Buffer.concat([Buffer.from(before), hole, Buffer.from(after)]) };
}

/** Where `shaped` puts the raw bytes. */
const HOLE = '\u0000proxyspec-hole';

/** A refusal: a 4xx, or the connection closed without an answer. A 2xx means the message was relayed and answered. */
function outcome(ex: Exchange): 'refused' | 'answered' | 'cut' | 'server-error' | 'hung' {
  if (ex.status >= 400 && ex.status < 500) return 'refused';
  if (ex.status >= 200 && ex.status < 300) return 'answered';
  if (ex.status >= 500) return 'server-error';
  return ex.outcome === 'timeout' ? 'hung' : 'cut';
}

/** Whether another client is served: a new session (an old one may have been reaped meanwhile) and a call. */
async function stillServes(t: ScenarioContext): Promise<string | undefined> {
  const cid = t.cid();
  const client = t.client();
  // A stdio bridge starts a process for the new session, which a busy machine can take well over 10 s to do.
  const init = await client.initialize({ cid, timeoutMs: 30_000 });
  if (!init.response || !('result' in init.response)) return `initialize: HTTP ${init.exchange.status || init.exchange.error}`;
  const call = await client.callTool('echo', { cid }, { cid, timeoutMs: 10_000 });
  return call.response && 'result' in call.response ? undefined : `HTTP ${call.exchange.status || call.exchange.error}`;
}

scenario(
  'Oversized, non-UTF-8, deeply nested and huge-header requests are refused, object-member names are handled like any other, and the proxy keeps serving',
  [HOSTILE],
  async (t) => {
    const victim = await t.session();
    const deep = 100_000;
    const send = (r: { headers: Array<[string, string]>; body: Buffer | string }, timeoutMs: number) => t.raw('POST', r.headers, r.body, timeoutMs);
    const cases: Array<{ name: string; send: () => Promise<Exchange>; allowed: Array<ReturnType<typeof outcome>> }> = [
      {
        name: 'a 32 MB body',
        send: () => send(shaped(victim, { id: 'big', method: 'tools/call', params: { name: 'echo', arguments: { pad: 'x'.repeat(32 * 1024 * 1024) } } }), 20_000),
        allowed: ['refused', 'cut'],
      },
      {
        name: 'invalid UTF-8',
        send: () => send(shaped(victim, { id: 'utf8', method: 'tools/call', params: { name: 'echo', arguments: { text: HOLE } } }, [], Buffer.from([0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22])), 10_000),
        allowed: ['refused', 'cut'],
      },
      {
        // Relaying it is fine (it is valid JSON); crashing, hanging or a 5xx is not.
        name: `JSON nested ${deep.toLocaleString('en')} deep`,
        send: () => send(shaped(victim, { id: 'deep', method: 'tools/list', params: { nested: HOLE } }, [], `${'['.repeat(deep)}${']'.repeat(deep)}`), 10_000),
        allowed: ['refused', 'cut', 'answered'],
      },
      {
        // Names that an object has of its own: a proxy that looks methods or tools up in a plain
        // object finds Object.prototype's members there. Relayed (the upstream answers) or refused.
        name: 'the method constructor',
        send: () => send(shaped(victim, { id: 'proto-method', method: 'constructor', params: {} }), 10_000),
        allowed: ['answered', 'refused'],
      },
      {
        name: 'the tool __proto__',
        send: () => send(shaped(victim, { id: 'proto-tool', method: 'tools/call', params: { name: '__proto__', arguments: {} } }), 10_000),
        allowed: ['answered', 'refused'],
      },
      {
        name: 'a 64 KB header',
        send: () => send(shaped(victim, { id: 'hdr', method: 'tools/list', params: {} }, [['x-proxyspec-padding', 'a'.repeat(64 * 1024)]]), 10_000),
        allowed: ['refused', 'cut'],
      },
    ];
    const problems: string[] = [];
    const seen: string[] = [];
    for (const c of cases) {
      const ex = await c.send();
      const got = outcome(ex);
      seen.push(`${c.name}: ${ex.status || 'closed'}`);
      if (!c.allowed.includes(got)) problems.push(`${c.name}: ${got === 'answered' ? `answered HTTP ${ex.status} as if it were fine` : got === 'hung' ? 'no answer and the connection left open' : `HTTP ${ex.status || ex.error}`}`);
      const broken = await stillServes(t);
      if (broken) problems.push(`after ${c.name}, another client's call failed: ${broken}`);
    }
    t.judgeProblems(HOSTILE, problems, {
      seen: { 'hostile requests sent': seen.length },
      pass: `${seen.join('; ')}; other clients served throughout`,
      fail: 'hostile input is not contained',
      expected: 'a 4xx (413, 400, 431) or the connection closed; for the method constructor and the tool __proto__, an answer or a 4xx; and other clients served',
    });
  },
  { timeoutMs: 150_000 },
);

scenario(
  'A request head trickled byte by byte is cut off, and others are served meanwhile',
  [SLOW],
  async (t) => {
    const url = new URL(t.ctx.target.url);
    const started = preciseNow();
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const closed = new Promise<number>((resolve) => {
      socket.on('close', () => resolve(preciseNow() - started));
      socket.on('error', () => undefined);
    });
    socket.resume();
    socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n`);
    let n = 0;
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write(`X-Drip-${n++}: ${'z'}\r\n`);
    }, 500);
    try {
      const during = await stillServes(t);
      const result = await Promise.race([closed, new Promise<null>((r) => setTimeout(() => r(null), SLOW_BOUND_MS))]);
      const problems: string[] = [];
      if (during) problems.push(`another client's call failed during the drip: ${during}`);
      if (result === null) problems.push(`the connection was still open after ${SLOW_BOUND_MS / 1000} s of trickled headers`);
      t.judgeProblems(SLOW, problems, {
        seen: { 'trickling connections': 1 },
        pass: `the trickling connection was closed after ${((result ?? 0) / 1000).toFixed(1)} s; another client was served meanwhile`,
        fail: 'slow clients can hold connections open indefinitely',
        expected: `connection closed within ${SLOW_BOUND_MS / 1000} s`,
      });
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
  },
  { timeoutMs: 40_000 },
);
