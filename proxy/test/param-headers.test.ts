/** The proxy learns each tool's x-mcp-header marks from the tools/list answers it relays, and refuses calls whose Mcp-Param headers disagree with their arguments. */
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { ParamHeaders } from '../src/protocol/param-headers.ts';
import type { UpstreamReply } from '../src/upstream/types.ts';

const tool = {
  name: 'route',
  inputSchema: {
    type: 'object',
    properties: {
      region: { type: 'string', 'x-mcp-header': 'Region' },
      tenant: { type: 'object', properties: { id: { type: 'string', 'x-mcp-header': 'Tenant' } } },
      shard: { type: 'integer', 'x-mcp-header': 'Shard' },
    },
  },
};
const answer = { jsonrpc: '2.0', id: 1, result: { tools: [tool, { name: 'echo', inputSchema: { type: 'object' } }], ttlMs: 60_000, cacheScope: 'public', resultType: 'complete' } };

function reply(body: string, contentType: string): UpstreamReply {
  return { status: 200, headers: { 'content-type': contentType }, body: Readable.from([Buffer.from(body)]) };
}

async function text(r: UpstreamReply): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r.body!) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('ParamHeaders', () => {
  test('a tool is judged only once a tools/list naming it was relayed, and the relayed answer keeps its bytes', async () => {
    const headers = new ParamHeaders();
    const args = { region: 'us-west1', tenant: { id: 'Zürich' }, shard: 42 };
    expect(headers.mismatch({}, 'route', args)).toBeUndefined();
    const body = JSON.stringify(answer);
    expect(await text(await headers.learn(reply(body, 'application/json')))).toBe(body);
    expect(headers.mismatch({}, 'route', args)).toMatch(/Mcp-Param-Region is missing/);
    const good = { 'mcp-param-region': 'us-west1', 'mcp-param-tenant': `=?base64?${Buffer.from('Zürich').toString('base64')}?=`, 'mcp-param-shard': '42.0' };
    expect(headers.mismatch(good, 'route', args)).toBeUndefined();
    expect(headers.mismatch({ ...good, 'mcp-param-tenant': 'Zurich' }, 'route', args)).toMatch(/Mcp-Param-Tenant does not match/);
    expect(headers.mismatch({ ...good, 'mcp-param-region': 'us-wést1' }, 'route', { ...args, region: 'us-wést1' })).toMatch(/characters a header value may not hold/);
    expect(headers.mismatch({ 'mcp-param-shard': '1' }, 'route', { region: null, shard: 1 })).toBeUndefined();
    expect(headers.mismatch({ 'mcp-param-shard': '1', 'mcp-param-region': 'x' }, 'route', { shard: 1 })).toMatch(/arguments have no region/);
    expect(headers.mismatch({}, 'echo', { anything: 1 })).toBeUndefined();
  });

  test('an answer on an SSE stream teaches the same; an error status teaches nothing', async () => {
    const headers = new ParamHeaders();
    await headers.learn({ status: 500, headers: { 'content-type': 'application/json' }, body: Readable.from([Buffer.from(JSON.stringify(answer))]) });
    expect(headers.mismatch({}, 'route', { region: 'a' })).toBeUndefined();
    await text(await headers.learn(reply(`event: message\ndata: ${JSON.stringify(answer)}\n\n`, 'text/event-stream')));
    expect(headers.mismatch({}, 'route', { region: 'a' })).toMatch(/Mcp-Param-Region is missing/);
  });
});
