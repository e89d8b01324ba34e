/**
 * The run-wide half of transparency/messages-schema-valid (record/message-scan.ts): which messages it
 * holds to which schema, what it leaves out (hostile input, other endpoints), and how the report
 * folds every scenario's findings into the check's verdict.
 */
import { describe, expect, test } from 'vitest';
import { newExchange, type Exchange } from '../src/client/exchange.ts';
import { SCHEMA_CHECK, foldRunScans, scanMessages, type MessageScan } from '../src/record/message-scan.ts';
import { messageSchemas } from '../src/record/schema-valid.ts';
import { META, type UpstreamRecord } from '../../wire/index.ts';

const URL_MCP = 'http://127.0.0.1:4000/mcp';
const REVISION = '2026-07-28' as const;
const meta = (cid: string) => ({ [META.protocolVersion]: REVISION, [META.clientCapabilities]: {}, 'io.proxyspec/cid': cid });

/** A JSON exchange as the harness's client would have recorded it. */
function exchange(request: unknown, answer: unknown, options: { url?: string; status?: number; hostile?: string; raw?: string } = {}): Exchange {
  const ex = newExchange('POST', options.url ?? URL_MCP, {}, options.raw ?? JSON.stringify(request), 0);
  ex.status = options.status ?? 200;
  ex.kind = 'json';
  ex.json = answer;
  ex.body = JSON.stringify(answer);
  ex.outcome = 'answered';
  if (options.hostile) ex.hostile = options.hostile;
  return ex;
}

let seq = 0;
function record(message: unknown, options: { cids?: string[]; headers?: Record<string, string> } = {}): UpstreamRecord {
  return { seq: seq++, at: 0, upstream: 'primary', transport: 'http', direction: 'in', httpMethod: 'POST', path: '/mcp', headers: options.headers ?? {}, bodyBase64: Buffer.from(JSON.stringify(message)).toString('base64'), sessionId: null, cids: options.cids ?? [] };
}

const call = (cid: string) => ({ jsonrpc: '2.0', id: `call-${cid}`, method: 'tools/call', params: { name: 'echo', arguments: {}, _meta: meta(cid) } });
const complete = (cid: string) => ({ jsonrpc: '2.0', id: `call-${cid}`, result: { content: [], resultType: 'complete' } });
const withoutResultType = (cid: string) => ({ jsonrpc: '2.0', id: `call-${cid}`, result: { content: [] } });

const scan = (exchanges: Exchange[], records: UpstreamRecord[] = [], upstreamEra: 'dual' | 'legacy' | 'modern' = 'dual') =>
  scanMessages({ revision: REVISION, mcpUrls: [URL_MCP], target: { upstreamEra }, exchanges, records });

describe('scanMessages', () => {
  test('an answer without the resultType of 2026-07-28 is invalid, and the finding names the message and the schema path', () => {
    const found = scan([exchange(call('a'), complete('a')), exchange(call('b'), withoutResultType('b'))]);
    expect(found.delivered).toBe(2);
    expect(found.invalidCount).toBe(1);
    expect(found.invalid[0]).toMatch(/delivered to the client: the answer to tools\/call is not a valid \w+ of 2026-07-28: at \/result it must have required property 'resultType'/);
  });

  test('a hostile exchange is left out, with what the upstream got for it; an unmarked invalid request is a harness bug, not judged', () => {
    const bad = { jsonrpc: '2.0', id: 'x', method: 'tools/call', params: { name: 'echo', _meta: { 'io.proxyspec/cid': 'psc_00000000000000aa' } } };
    const found = scan(
      [exchange(bad, withoutResultType('x'), { hostile: '_meta without its version' }), exchange(bad, withoutResultType('x'))],
      [record({ jsonrpc: '2.0', id: 'x', method: 'tools/call', params: {} }, { cids: ['psc_00000000000000aa'] })],
    );
    expect(found).toMatchObject({ hostile: 1, delivered: 0, sent: 0, invalidCount: 0 });
    expect(found.unmarked).toHaveLength(1);
    expect(found.unmarked[0]).toMatch(/sent by the harness without a hostile mark: tools\/call is not a valid CallToolRequest of 2026-07-28: at \/params\/_meta/);
    // A body that is not JSON at all is the harness's too.
    expect(scan([exchange(undefined, { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' } }, { raw: '{"jsonrpc":' })]).unmarked[0]).toMatch(/is not JSON/);
  });

  test("JSON-RPC's null id on an error is held to the schema as an absent one; other endpoints and HTTP errors that are not JSON-RPC are not messages", () => {
    const found = scan([
      exchange(call('a'), { jsonrpc: '2.0', id: null, error: { code: -31040, message: 'Unauthorized' } }, { status: 401 }),
      exchange(call('b'), { error: 'invalid_token' }, { status: 401 }),
      exchange(call('c'), { status: 'ok' }, { url: 'http://127.0.0.1:4000/healthz' }),
    ]);
    expect(found).toMatchObject({ delivered: 1, invalidCount: 0 });
  });

  test('what the upstream got is held to the revision it declares, else to the era the upstream is spoken to in', () => {
    const legacyCall = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: {} } };
    const declared = record(legacyCall, { headers: { 'mcp-protocol-version': '2025-11-25' } });
    expect(scan([], [declared], 'modern')).toMatchObject({ sent: 1, invalidCount: 0 });
    // Undeclared: a dual upstream may be spoken to in the session era; a modern-only one may not.
    expect(scan([], [record(legacyCall)], 'dual')).toMatchObject({ sent: 1, invalidCount: 0 });
    const modern = scan([], [record(legacyCall)], 'modern');
    expect(modern.invalidCount).toBe(1);
    expect(modern.invalid[0]).toMatch(/sent to upstream primary: tools\/call is not a valid CallToolRequest of 2026-07-28/);
  });
});

describe('messageSchemas, beyond the JSON Schema', () => {
  const progress = { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 1 } };
  test('a notification that carries an id is invalid in every revision; a request of the same shape with a method the schema defines is not', () => {
    for (const revision of ['2025-03-26', '2025-11-25', '2026-07-28'] as const) {
      expect(messageSchemas(revision).problem(progress)).toBeUndefined();
      expect(messageSchemas(revision).problem({ ...progress, id: 7 })).toMatchObject({ at: '/id', rule: expect.stringMatching(/notification carries no id/) });
    }
    expect(messageSchemas('2025-11-25').problem({ jsonrpc: '2.0', id: 7, method: 'ping' })).toBeUndefined();
  });

  test('_meta keys are held to the naming rules from 2025-06-18, wherever the _meta is; 2025-03-26 had none', () => {
    const result = (key: string) => ({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'x', _meta: { [key]: 1 } }] } });
    for (const good of ['progressToken', 'io.modelcontextprotocol/related-task', 'com.example-2/a.b_c-d', 'com.example/', 'x']) {
      expect(messageSchemas('2025-11-25').problem(result(good)), good).toBeUndefined();
    }
    for (const bad of ['_via', 'via-', 'gw_proxy/hop', '1com.example/x', 'com.example-/x', 'com..example/x', 'a/b/c', 'com.example/-x']) {
      expect(messageSchemas('2025-11-25').problem(result(bad)), bad).toMatchObject({ at: '/result/content/0/_meta', rule: expect.stringContaining(JSON.stringify(bad)) });
      expect(messageSchemas('2026-07-28').problem({ ...result(bad), result: { ...result(bad).result, resultType: 'complete' } }), bad).toBeDefined();
      expect(messageSchemas('2025-03-26').problem(result(bad)), bad).toBeUndefined();
    }
  });
});

describe('scanMessages, 2026-07-28 streams', () => {
  test('a request delivered to the client is invalid: 2026-07-28 asks through input_required results only', () => {
    const ex = exchange(call('s'), complete('s'));
    ex.kind = 'sse';
    const asking = { jsonrpc: '2.0', id: 'srv-1', method: 'sampling/createMessage', params: { messages: [], maxTokens: 1 } };
    ex.events = [asking, complete('s')].map((json, i) => ({ id: String(i), event: 'message', data: JSON.stringify(json), json, at: 0 })) as never;
    const found = scan([ex]);
    expect(found.invalidCount).toBe(1);
    expect(found.invalid[0]).toMatch(/sampling\/createMessage .*is a request sent to the client, which 2026-07-28 does not have/);
  });
});

describe('scanMessages, 2026-07-28 cancellations and responses', () => {
  test("a server's cancellation delivered to the client must name the exchange's own subscriptions/listen", () => {
    const cancel = (requestId: unknown) => ({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'x' } });
    const ex = exchange(call('c'), complete('c'));
    ex.kind = 'sse';
    ex.events = [cancel('call-c'), complete('c')].map((json, i) => ({ id: String(i), event: 'message', data: JSON.stringify(json), json, at: 0 })) as never;
    const found = scan([ex]);
    expect(found.invalidCount).toBe(1);
    expect(found.invalid[0]).toMatch(/cancellation of tools\/call, where a 2026-07-28 server sends notifications\/cancelled only to end a subscriptions\/listen/);
    const listen = { jsonrpc: '2.0', id: 'listen-1', method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true }, _meta: meta('l') } };
    const ok = exchange(listen, undefined);
    ok.kind = 'sse';
    ok.events = [cancel('listen-1')].map((json, i) => ({ id: String(i), event: 'message', data: JSON.stringify(json), json, at: 0 })) as never;
    expect(scan([ok]).invalid.filter((f) => /cancellation/.test(f))).toEqual([]);
  });

  test('a response the proxy sends a 2026-07-28 upstream is invalid; the same to a session-era upstream is not judged so', () => {
    const answer = { jsonrpc: '2.0', id: 'srv-1', result: {} };
    const modern = scan([], [record(answer, { headers: { 'mcp-protocol-version': '2026-07-28' } })]);
    expect(modern.invalid.join(' ')).toMatch(/JSON-RPC response sent to a 2026-07-28 server/);
    const legacy = scan([], [record(answer, { headers: { 'mcp-protocol-version': '2025-11-25' } })]);
    expect(legacy.invalid.join(' ')).not.toMatch(/JSON-RPC response sent/);
  });

  test('a 2026-07-28 upstream gets each message in a POST of its own', () => {
    const headers = { 'mcp-protocol-version': '2026-07-28' };
    expect(scan([], [record(call('p'), { headers })]).invalidCount).toBe(0);
    expect(scan([], [record([call('p'), call('q')], { headers })]).invalid.join(' ')).toMatch(/2 messages in one POST/);
    const viaGet = { ...record(call('p'), { headers }), httpMethod: 'GET' };
    expect(scan([], [viaGet]).invalid.join(' ')).toMatch(/came in an HTTP GET/);
  });
});

describe('foldRunScans', () => {
  const clean: MessageScan = { delivered: 4, sent: 3, hostile: 1, invalid: [], invalidCount: 0, unmarked: [] };
  const own = { title: 'schema', checks: [SCHEMA_CHECK], messages: clean };
  const pass: { verdict: string; message: string; observed?: string } = { verdict: 'pass', message: 'its own conversation is valid' };

  test('a pass says how much more of the run it covers', () => {
    const folded = foldRunScans(pass, [own, { title: 'other', checks: ['x/y'], messages: clean }]);
    expect(folded.verdict).toBe('pass');
    expect(folded.message).toMatch(/across the run's other 1 scenarios, 4 messages delivered and 3 sent upstream are valid too \(1 hostile exchange left out\)/);
  });

  test('an invalid message in any other scenario fails the check, naming the scenario; n/a stays n/a', () => {
    const broken = { ...clean, invalid: ['delivered to the client: the answer to tools/call is not valid'], invalidCount: 2 };
    const folded = foldRunScans(pass, [own, { title: 'A proxy MUST relay progress', checks: ['x/y'], messages: broken }]);
    expect(folded.verdict).toBe('fail');
    expect(folded.message).toMatch(/2 messages elsewhere in the run are invalid/);
    expect(folded.observed).toMatch(/^in "A proxy MUST relay progress": delivered to the client/);
    expect(foldRunScans({ verdict: 'n/a', message: 'no' }, [{ title: 'o', checks: [], messages: broken }]).verdict).toBe('n/a');
  });
});
