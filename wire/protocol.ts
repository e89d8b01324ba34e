/**
 * MCP protocol constants: revisions, header names and the correlation-id convention that lets the
 * harness find, on the upstream side, the messages its client sent through a proxy.
 */
import { z } from 'zod';
import { LATEST_REVISION, REVISIONS, has, isRevision, type Revision } from './revisions.ts';

export const RevisionSchema = z.enum(REVISIONS);
/** What `--spec` is when not given: the current revision. */
export const DEFAULT_REVISION: Revision = LATEST_REVISION;

export const HEADER = {
  sessionId: 'mcp-session-id',
  protocolVersion: 'mcp-protocol-version',
  lastEventId: 'last-event-id',
} as const;

/** Revisions in which clients send `MCP-Protocol-Version` on every request (after initialization, where there is one). */
export function sendsProtocolVersionHeader(revision: Revision): boolean {
  return has(revision, 'version-header');
}

/** Revisions that allow JSON-RPC batches in a POST body. */
export function allowsBatches(revision: string): boolean {
  return isRevision(revision) && has(revision, 'batches');
}

/** `_meta` key that carries the correlation id in every message the harness sends. */
export const CID_META_KEY = 'io.proxyspec/cid';
/** `_meta` key a caller sets to ask the mock upstream for an SSE answer instead of JSON. */
export const SSE_META_KEY = 'io.proxyspec/sse';
/** `_meta` key asking the mock upstream to answer with this HTTP status (and a JSON-RPC error body). */
export const HTTP_STATUS_META_KEY = 'io.proxyspec/http-status';
/**
 * `_meta` key asking the mock upstream to misbehave: `reset` (drop the connection unanswered),
 * `drop-sse` (cut the SSE stream mid-way, for good), or `drop-after:N` (cut the answer's SSE stream
 * after N events while the call runs on, so that a GET with Last-Event-ID resumes it).
 */
export const FAULT_META_KEY = 'io.proxyspec/fault';
/**
 * Stateless era: a tools/list whose _meta holds this key with "private" is answered with
 * `cacheScope: "private"` and a fresh `SERVED_META_KEY` in the result's _meta, so that a result
 * served to a client can be told apart from one served to another.
 */
export const CACHE_SCOPE_META_KEY = 'io.proxyspec/cache-scope';
export const SERVED_META_KEY = 'io.proxyspec/served';
const CID_PATTERN = /psc_[0-9a-f]{16}/g;

/** A fresh correlation id: ASCII, so no proxy re-encoding can change it. */
export function newCorrelationId(): string {
  let hex = '';
  for (let i = 0; i < 16; i++) hex += Math.floor(Math.random() * 16).toString(16);
  return `psc_${hex}`;
}

/** Every correlation id that occurs in a text (a body, a line), whatever its JSON structure. */
export function findCorrelationIds(text: string): string[] {
  return [...new Set(text.match(CID_PATTERN) ?? [])];
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one host. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
