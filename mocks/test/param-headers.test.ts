/** Mcp-Param headers as the mock upstream and the harness read them: marks that keep the rules, the values a client sends, and the mismatches a server refuses. */
import { describe, expect, test } from 'vitest';
import { paramHeaderMismatch, paramHeadersFor, paramHeadersOf, type ParamHeader } from '../../wire/index.ts';
import { TOOLS } from '../upstream/tools.ts';

const route = TOOLS.find((t) => t.name === 'route')!;
const marks = (paramHeadersOf(route.inputSchema) as { headers: ParamHeader[] }).headers;

describe('x-mcp-header marks', () => {
  test("the route tool marks four parameters, one of them nested, each reached by properties alone", () => {
    expect(marks.map((m) => [m.name, m.path.join('.'), m.type])).toEqual([
      ['Region', 'region', 'string'],
      ['Tenant', 'tenant.id', 'string'],
      ['Shard', 'shard', 'integer'],
      ['Dry-Run', 'dryRun', 'boolean'],
    ]);
  });

  test('marks that break the rules make the tool invalid', () => {
    const schema = (props: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', properties: props, ...extra });
    const invalid = [
      schema({ a: { type: 'string', 'x-mcp-header': '' } }),
      schema({ a: { type: 'string', 'x-mcp-header': 'Bad Name' } }),
      schema({ a: { type: 'string', 'x-mcp-header': 'A\r\nX: 1' } }),
      schema({ a: { type: 'number', 'x-mcp-header': 'A' } }),
      schema({ a: { type: 'object', 'x-mcp-header': 'A' } }),
      schema({ a: { type: 'string', 'x-mcp-header': 'Same' }, b: { type: 'string', 'x-mcp-header': 'same' } }),
      schema({ a: { type: 'array', items: { type: 'string', 'x-mcp-header': 'A' } } }),
      schema({}, { anyOf: [{ properties: { a: { type: 'string', 'x-mcp-header': 'A' } } }] }),
    ];
    for (const s of invalid) expect(paramHeadersOf(s), JSON.stringify(s)).toHaveProperty('invalid');
    expect(paramHeadersOf(schema({ a: { type: 'string' } }))).toEqual({ headers: [] });
  });
});

describe('Mcp-Param values and mismatches', () => {
  const args = { region: 'us-west1', tenant: { id: 'Zürich' }, shard: 42, dryRun: true };
  const sent = paramHeadersFor(marks, args);

  test('a client sends each present value, the non-ASCII one in the Base64 form, and nothing for a null or absent one', () => {
    expect(sent).toEqual({ 'mcp-param-region': 'us-west1', 'mcp-param-tenant': `=?base64?${Buffer.from('Zürich').toString('base64')}?=`, 'mcp-param-shard': '42', 'mcp-param-dry-run': 'true' });
    expect(paramHeadersFor(marks, { region: null, shard: 1 })).toEqual({ 'mcp-param-shard': '1' });
    expect(paramHeadersFor(marks, { region: '=?base64?x?=' })['mcp-param-region']).toBe(`=?base64?${Buffer.from('=?base64?x?=').toString('base64')}?=`);
  });

  test('headers that agree pass, integers compared as numbers; every disagreement is named', () => {
    expect(paramHeaderMismatch(sent, marks, args)).toBeUndefined();
    expect(paramHeaderMismatch({ ...sent, 'mcp-param-shard': '42.0' }, marks, args)).toBeUndefined();
    expect(paramHeaderMismatch({ 'mcp-param-shard': '1' }, marks, { region: null, shard: 1 })).toBeUndefined();
    expect(paramHeaderMismatch({ ...sent, 'mcp-param-region': 'eu-west1' }, marks, args)).toMatch(/Mcp-Param-Region "eu-west1" does not match/);
    const { 'mcp-param-region': _gone, ...withoutRegion } = sent;
    expect(paramHeaderMismatch(withoutRegion, marks, args)).toMatch(/Mcp-Param-Region is missing/);
    expect(paramHeaderMismatch({ ...sent, 'mcp-param-dry-run': 'true' }, marks, { ...args, dryRun: undefined })).toMatch(/arguments have no dryRun/);
    expect(paramHeaderMismatch({ ...sent, 'mcp-param-dry-run': 'True' }, marks, args)).toMatch(/does not match/);
    expect(paramHeaderMismatch({ ...sent, 'mcp-param-region': 'us-wést1' }, marks, { ...args, region: 'us-wést1' })).toMatch(/characters a header value may not carry/);
  });
});
