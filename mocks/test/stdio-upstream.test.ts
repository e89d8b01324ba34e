/** The mock upstream over stdio, in a child process, reporting its records over the control channel. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Recorder, startControlServer, type ControlServer } from '../upstream/index.ts';

const BIN = fileURLToPath(new URL('../../bin/proxyspec.js', import.meta.url));
const recorder = new Recorder();
let control: ControlServer;

beforeAll(async () => {
  control = await startControlServer(recorder);
});
afterAll(async () => {
  await control.close();
});

test('the stdio mock answers line by line and reports every line before answering', async () => {
  const child = spawn(process.execPath, [BIN, 'mock', 'upstream', '--stdio', '--control', control.url], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = createInterface({ input: child.stdout! });
  const answers: Array<Record<string, unknown>> = [];
  const next = () => new Promise<Record<string, unknown>>((resolve) => lines.once('line', (l) => resolve(JSON.parse(l))));
  try {
    const cid = 'psc_fedcba9876543210';
    child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } })}\n`);
    answers.push(await next());
    child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { cid } } })}\n`);
    answers.push(await next());
    expect(answers[0]).toMatchObject({ id: 1, result: { protocolVersion: '2025-11-25' } });
    expect(answers[1]).toMatchObject({ id: 2, result: { structuredContent: { cid } } });
    const records = recorder.query({ cid });
    expect(records.map((r) => r.direction)).toEqual(['in', 'out']);
    expect(records[0].transport).toBe('stdio');
    expect(records[0].sessionId).toMatch(/^stdio-/);
    expect(recorder.sessions()).toContain(records[0].sessionId);
  } finally {
    child.stdin!.end();
    await new Promise((resolve) => child.once('exit', resolve));
  }
  expect(recorder.sessions()).toEqual([]);
});

test('the stdio mock is dual-era: a request whose _meta names 2026-07-28 needs no initialize; subscriptions are acknowledged, tagged on the one channel, and counted while open', async () => {
  const child = spawn(process.execPath, [BIN, 'mock', 'upstream', '--stdio', '--control', control.url], { stdio: ['pipe', 'pipe', 'pipe'] });
  // Every line is queued as it comes: two lines of one chunk arrive in the same tick, before a new listener could be added.
  const queued: Array<Record<string, any>> = [];
  const waiting: Array<(m: Record<string, any>) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    const m = JSON.parse(l) as Record<string, any>;
    const take = waiting.shift();
    if (take) take(m);
    else queued.push(m);
  });
  const next = () => (queued.length ? Promise.resolve(queued.shift()!) : new Promise<Record<string, any>>((resolve) => waiting.push(resolve)));
  const meta = (version = '2026-07-28') => ({ 'io.modelcontextprotocol/protocolVersion': version, 'io.modelcontextprotocol/clientCapabilities': {} });
  const send = (m: unknown) => child.stdin!.write(`${JSON.stringify(m)}\n`);
  try {
    send({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: meta() } });
    expect(await next()).toMatchObject({ id: 1, result: { resultType: 'complete', supportedVersions: ['2026-07-28'] } });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { a: 1 }, _meta: meta('2099-01-01') } });
    expect(await next()).toMatchObject({ id: 2, error: { code: -32022, data: { supported: ['2026-07-28'] } } });
    send({ jsonrpc: '2.0', id: 'sub', method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true }, _meta: meta() } });
    expect(await next()).toMatchObject({ method: 'notifications/subscriptions/acknowledged', params: { _meta: { 'io.modelcontextprotocol/subscriptionId': 'sub' }, notifications: { toolsListChanged: true } } });
    expect(recorder.open('subscription')).toEqual([expect.stringMatching(/^stdio-.*\/"sub"$/)]);
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'notify', arguments: {}, _meta: meta() } });
    const [first, second] = [await next(), await next()];
    expect(first).toMatchObject({ method: 'notifications/tools/list_changed', params: { _meta: { 'io.modelcontextprotocol/subscriptionId': 'sub' } } });
    expect(second).toMatchObject({ id: 3, result: { resultType: 'complete', structuredContent: { delivered: true } } });
    send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'sub' } });
    send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'notify', arguments: {}, _meta: meta() } });
    expect(await next()).toMatchObject({ id: 4, result: { structuredContent: { delivered: false } } });
    expect(recorder.open('subscription')).toEqual([]);
    // A subscription still open when the process's input ends is counted as ended with it.
    send({ jsonrpc: '2.0', id: 'sub2', method: 'subscriptions/listen', params: { notifications: {}, _meta: meta() } });
    await next();
    expect(recorder.open('subscription')).toHaveLength(1);
  } finally {
    child.stdin!.end();
    await new Promise((resolve) => child.once('exit', resolve));
  }
  expect(recorder.open('subscription')).toEqual([]);
});
