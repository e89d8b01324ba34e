/**
 * Which era an HTTP upstream speaks (MCP 2026-07-28, "Versioning: Backward Compatibility"): legacy
 * servers open sessions with `initialize`; modern ones take each request on its own, its version in
 * `_meta`. An upstream that serves both needs no bridge. The proxy is told the era by its
 * configuration, or learns it the way a dual-era client does: a modern request refused with a 400
 * that is not a recognized modern error (and a well-formed `server/discover` refused the same way)
 * marks a legacy upstream; an `initialize` refused with a modern error marks a modern one. What
 * was once served is never unlearnt: one odd refusal of a server that answered before changes nothing.
 */
import { RPC } from '../protocol/codes.ts';

export type EraSetting = 'auto' | 'dual' | 'legacy' | 'modern';

/** What can be learnt about an upstream's era; replicas tell one another (see `onLearnt`). */
export const ERA_FACTS = ['served-legacy', 'served-modern', 'legacy-only', 'modern-only'] as const;
export type EraFact = (typeof ERA_FACTS)[number];

/** Codes that only a server of 2026-07-28 or later sends: header mismatch, missing client capability, unsupported version. */
const MODERN_ERROR_CODES = new Set<number>([RPC.headerMismatch, RPC.missingClientCapability, RPC.unsupportedProtocolVersion]);

export class UpstreamEra {
  private legacyServed = false;
  private modernServed = false;
  private legacyOnly = false;
  private modernOnly = false;

  /** Told of each fact the first time it is learnt here (not when another replica told it: see `apply`). */
  onLearnt?: (fact: EraFact) => void;

  constructor(readonly setting: EraSetting) {}

  /** A fact another replica learnt, taken as if learnt here, under the same rules. */
  apply(fact: EraFact): void {
    this.learn(fact, false);
  }

  private learn(fact: EraFact, tell: boolean): void {
    const before = this.facts();
    if (fact === 'served-legacy') this.legacyServed = true;
    else if (fact === 'served-modern') this.modernServed = true;
    else if (fact === 'legacy-only' && this.mayBeLegacyOnly()) this.legacyOnly = true;
    else if (fact === 'modern-only' && this.mayBeModernOnly()) this.modernOnly = true;
    if (tell && this.facts() !== before) this.onLearnt?.(fact);
  }

  private facts(): string {
    return `${this.legacyServed}${this.modernServed}${this.legacyOnly}${this.modernOnly}`;
  }

  /** Modern clients must be bridged to sessions upstream. */
  get bridgesModern(): boolean {
    return this.setting === 'legacy' || this.legacyOnly;
  }

  /** Legacy clients' sessions must be bridged to modern requests upstream. */
  get bridgesLegacy(): boolean {
    return this.setting === 'modern' || this.modernOnly;
  }

  /** Whether a refusal may still teach the era (auto, and nothing learnt that rules it out). */
  get learning(): boolean {
    return this.setting === 'auto' && !this.legacyOnly && !this.modernOnly;
  }

  served(era: 'legacy' | 'modern'): void {
    this.learn(era === 'legacy' ? 'served-legacy' : 'served-modern', true);
  }

  mayBeLegacyOnly(): boolean {
    return this.learning && !this.modernServed;
  }

  mayBeModernOnly(): boolean {
    return this.learning && !this.legacyServed;
  }

  learnLegacyOnly(): void {
    this.learn('legacy-only', true);
  }

  learnModernOnly(): void {
    this.learn('modern-only', true);
  }
}

/** Whether a JSON-RPC error body carries one of the errors only a modern server sends. */
export function isModernRefusal(body: Buffer): boolean {
  try {
    const code = (JSON.parse(body.toString('utf8')) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'number' && MODERN_ERROR_CODES.has(code);
  } catch {
    return false;
  }
}
