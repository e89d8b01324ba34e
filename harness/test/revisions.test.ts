import { describe, expect, test } from 'vitest';
import { REVISIONS, errorCodes, has, missingIn, retiredWithoutReplacement, revisionsWith, whyLacking, type Mechanism } from '../../wire/index.ts';
import { CHECKS } from '../../catalogue/index.ts';
import { defineChecks } from '../../catalogue/define.ts';

describe('what each revision has', () => {
  test('sessions, the handshake and the GET stream end with 2026-07-28; batches with 2025-03-26; priming events come with 2025-11-25', () => {
    expect(revisionsWith(['sessions'])).toEqual(['2025-03-26', '2025-06-18', '2025-11-25']);
    expect(revisionsWith(['initialize', 'get-stream', 'resumability', 'ping'])).toEqual(['2025-03-26', '2025-06-18', '2025-11-25']);
    expect(revisionsWith(['batches'])).toEqual(['2025-03-26']);
    expect(revisionsWith(['priming-events'])).toEqual(['2025-11-25']);
    expect(revisionsWith(['version-header'])).toEqual(['2025-06-18', '2025-11-25', '2026-07-28']);
    expect(revisionsWith(['method-headers', 'discover', 'subscriptions-listen', 'result-type', 'input-required'])).toEqual(['2026-07-28']);
    expect(revisionsWith([])).toEqual([...REVISIONS]);
  });

  test('a closed stream cancels the call only in 2026-07-28, and the two rules never hold together', () => {
    for (const r of REVISIONS) expect(has(r, 'disconnect-is-cancel')).toBe(!has(r, 'disconnect-not-cancel'));
    expect(revisionsWith(['disconnect-is-cancel'])).toEqual(['2026-07-28']);
  });

  test('error codes: resource not found moves to -32602, the new codes sit in the reserved range', () => {
    expect(errorCodes('2025-11-25')).toEqual({ resourceNotFound: -32002 });
    expect(errorCodes('2026-07-28')).toEqual({ resourceNotFound: -32602, headerMismatch: -32020, missingClientCapability: -32021, unsupportedProtocolVersion: -32022 });
  });

  test('2026-07-28 retires -32042 with nothing in its place, and -32002 for -32602; earlier revisions retire neither', () => {
    expect(retiredWithoutReplacement('2026-07-28', -32042)).toBe(true);
    expect(retiredWithoutReplacement('2026-07-28', -32002)).toBe(false);
    expect(retiredWithoutReplacement('2025-11-25', -32042)).toBe(false);
    expect(retiredWithoutReplacement('2026-07-28', 4242)).toBe(false);
  });

  test('missingIn names what a revision lacks', () => {
    expect(missingIn('2026-07-28', ['sessions', 'result-type', 'get-stream'])).toEqual(['sessions', 'get-stream']);
    expect(missingIn('2025-11-25', ['sessions'])).toEqual([]);
  });
});

test('a mechanism a revision lacks is explained: by the changelog item of the revision that removed it, or by the revision that adds it', () => {
  expect(whyLacking('2026-07-28', 'sessions')).toMatch(/^2026-07-28 removed it \(its changelog, major change 1: "Remove protocol-level sessions/);
  expect(whyLacking('2026-07-28', 'batches')).toMatch(/^2025-06-18 removed it \(its changelog, major change 1: "Remove support for JSON-RPC batching"\)/);
  expect(whyLacking('2025-06-18', 'priming-events')).toBe('it comes only with 2025-11-25');
  expect(whyLacking('2025-03-26', 'discover')).toBe('it comes only with 2026-07-28');
});

describe('checks declare needs, not revisions', () => {
  test('every check applies exactly to the revisions that have what it needs', () => {
    for (const check of CHECKS) expect(check.revisions, check.id).toEqual(revisionsWith(check.needs));
  });

  test('a declaration needing an unknown mechanism, or a mix no revision has, is refused when the suite loads', () => {
    const base = { id: 'transparency/x', title: 'A proxy MUST t', level: 1, scenario: 'transparency/x.test.ts', provenBy: [{ defect: 'd', revisions: ['2025-11-25'] }], requirements: [], why: 'w' } as const;
    expect(() => defineChecks([{ ...base, needs: ['telepathy' as Mechanism] }])).toThrow(/unknown mechanism telepathy/);
    expect(() => defineChecks([{ ...base, needs: ['sessions', 'discover'] }])).toThrow(/no revision has together/);
  });

  test('a declaration states its suite, its strength and its proof once, and each is checked when it loads', () => {
    const base = { id: 'transparency/x', title: 'A proxy SHOULD t, and MUST not u', level: 1, needs: ['sessions'], scenario: 'transparency/x.test.ts', provenBy: [{ defect: 'd', revisions: ['2025-11-25'] }], requirements: [], why: 'w' } as const;
    const [check] = defineChecks([base]);
    expect([check.suite, check.strength]).toEqual(['transparency', 'SHOULD']);
    expect(() => defineChecks([{ ...base, id: 'nosuch/x' }])).toThrow(/known suite/);
    expect(() => defineChecks([{ ...base, title: 'a proxy relays' }])).toThrow(/names no MUST or SHOULD/);
    expect(() => defineChecks([{ ...base, provenBy: [] }])).toThrow(/names no defect/);
    // sessions exist only up to 2025-11-25: a proof under 2026-07-28 would prove nothing.
    expect(() => defineChecks([{ ...base, provenBy: [{ defect: 'd', revisions: ['2026-07-28'] }] }])).toThrow(/where it is not judged/);
    expect(() => defineChecks([{ ...base, scenario: 'x.ts' }])).toThrow(/suite file/);
  });
});

