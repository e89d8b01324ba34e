/**
 * What a check is (its stable metadata) and what it yields (a verdict with expected, observed and
 * evidence). A failing requirement is data, never an exception.
 */
import { z } from 'zod';
import type { Mechanism, Revision } from '../wire/index.ts';
import type { HintName } from './hints.ts';

/**
 * pass: positive evidence that the requirement holds. fail / warn: a MUST / SHOULD broken. n/a: the
 * requirement does not apply (feature not claimed, revision out of range, no proxy). skipped:
 * excluded by the user. blocked: the target stopped relaying, or the scenario saw nothing to judge.
 * untested: it applies but could not be judged (a hint or fixture missing). error: our own fault.
 */
export const VERDICTS = ['pass', 'fail', 'warn', 'n/a', 'skipped', 'blocked', 'untested', 'error'] as const;
export const VerdictSchema = z.enum(VERDICTS);
export type Verdict = z.infer<typeof VerdictSchema>;

export const SUITES = ['transparency', 'session', 'errors', 'boundary', 'interop', 'auth', 'security', 'pooling', 'limits', 'performance', 'resilience', 'operations', 'replicas'] as const;
export type SuiteName = (typeof SUITES)[number];

export type Strength = 'MUST' | 'SHOULD';
export type Level = 1 | 2 | 3;

/** Features a target may claim; checks of an unclaimed feature are n/a. */
export const FEATURES = [
  'auth',
  'byte-transparency',
  'rate-limit',
  'policy',
  'metrics',
  'audit',
  'failover',
  'circuit-breaker',
  'resumability',
  'origin-validation',
  'era-bridging',
  'replicas',
  'oauth-proxy',
] as const;
export type Feature = (typeof FEATURES)[number];

export interface CheckDef {
  /** `<suite>/<kebab-slug>`; stable forever. */
  id: string;
  /** The requirement as a sentence with its keyword. */
  title: string;
  suite: SuiteName;
  level: Level;
  strength: Strength;
  /** The suite file (under suites/) whose scenario judges this check. */
  scenario: string;
  /** The broken proxies that prove the check can fail: each is caught by it (and by no check that does not name it) in the revisions listed. */
  provenBy: readonly Proof[];
  /** The protocol mechanisms its scenario uses (sessions, the GET stream, …). */
  needs: readonly Mechanism[];
  /** The revisions that have every mechanism it needs. */
  revisions: readonly Revision[];
  feature?: Feature;
  /** Other features the check needs besides `feature` (a shared rate limit needs a rate limit too); n/a without any of them. */
  alsoNeeds?: readonly Feature[];
  dependsOn?: readonly string[];
  /** Profile hints (`config.<name>`) the check needs to be judged; without them it is `untested`. */
  hints?: readonly HintName[];
  /** Requirement ids of the vendored catalogue (catalogue/requirements/<revision>.yaml) this check tests. */
  requirements: readonly string[];
  /** Sentences of other standards (HTTP) the check tests, where MCP itself says nothing. */
  externalRefs?: readonly SpecRef[];
  /** Why a proxy author should care, in a sentence or two. */
  why: string;
  /** Only meaningful with a proxy in the path: n/a on the `direct` target. */
  proxyOnly?: boolean;
  /** Upstream kinds the check can judge; default both. */
  upstreams?: readonly ('http' | 'stdio')[];
  /** Why it cannot be judged with the other upstream kind (shown with the n/a verdict). */
  upstreamReason?: string;
  /**
   * Set where the requirement binds a leg that speaks the client's revision, so that it does not
   * apply when the upstream serves the other era only (a proxy bridges, and the upstream leg speaks
   * that era's revision): why, shown with the n/a verdict.
   */
  sameEraOnly?: string;
}

/**
 * A defect (a name of mocks/broken-proxies/profiles.ts: the pass-through's in defects.ts, the
 * reference proxy's in reference-defects.ts) and the revisions in which the defect matrix
 * (harness/test/broken-proxies.test.ts) shows that this check catches it.
 */
export interface Proof {
  defect: string;
  revisions: readonly Revision[];
}

export interface SpecRef {
  requirement: string;
  /** The MCP revision quoted, or the standard (`RFC 9112`) for a sentence from outside MCP. */
  revision: Revision | `RFC ${number}` | 'RFC 9728' | 'OWASP' | 'proxyspec';
  url: string;
  quote: string;
  strength: string;
}

/** One evidence item: an HTTP exchange on the client leg, or a record of the upstream leg. */
export interface EvidenceItem {
  leg: 'client' | 'upstream';
  at: number;
  summary: string;
  detail: Record<string, unknown>;
}

export interface CheckResult {
  id: string;
  verdict: Verdict;
  message: string;
  expected?: string;
  observed?: string;
  durationMs: number;
  evidence: EvidenceItem[];
}
