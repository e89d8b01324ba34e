/** The proxy learns each tool's x-mcp-header marks from the tools/list answers it relays, and refuses calls whose Mcp-Param headers disagree with their arguments. */
import { describe, expect, test } from 'vitest';
import { messagesOf } from '../src/bridge/answers.ts';
import { ParamHeaders } from '../src/protocol/param-headers.ts';

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

describe('ParamHeaders', () => {
  test('a tool is judged only once a tools/list naming it was relayed', () => {
    const headers = new ParamHeaders();
    const args = { region: 'us-west1', tenant: { id: 'Zürich' }, shard: 42 };
    expect(headers.mismatch({}, 'route', args)).toBeUndefined();
    headers.learn([answer]);
    expect(headers.mismatch({}, 'route', args)).toMatch(/Mcp-Param-Region is missing/);
    const good = { 'mcp-param-region': 'us-west1', 'mcp-param-tenant': `=?base64?${Buffer.from('Zürich').toString('base64')}?=`, 'mcp-param-shard': '42.0' };
    expect(headers.mismatch(good, 'route', args)).toBeUndefined();
    expect(headers.mismatch({ ...good, 'mcp-param-tenant': 'Zurich' }, 'route', args)).toMatch(/Mcp-Param-Tenant does not match/);
    expect(headers.mismatch({ ...good, 'mcp-param-region': 'us-wést1' }, 'route', { ...args, region: 'us-wést1' })).toMatch(/characters a header value may not hold/);
    expect(headers.mismatch({ 'mcp-param-shard': '1' }, 'route', { region: null, shard: 1 })).toBeUndefined();
    expect(headers.mismatch({ 'mcp-param-shard': '1', 'mcp-param-region': 'x' }, 'route', { shard: 1 })).toMatch(/arguments have no region/);
    expect(headers.mismatch({}, 'echo', { anything: 1 })).toBeUndefined();
  });

  test('an answer on an SSE stream teaches the same, read with the bridge\'s own reader', () => {
    const headers = new ParamHeaders();
    const sse = { status: 200, headers: { 'content-type': 'text/event-stream' }, body: null };
    headers.learn(messagesOf(sse, Buffer.from(`event: message\ndata: ${JSON.stringify(answer)}\n\n`)));
    expect(headers.mismatch({}, 'route', { region: 'a' })).toMatch(/Mcp-Param-Region is missing/);
  });
});
