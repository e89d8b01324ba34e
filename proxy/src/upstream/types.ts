/**
 * The proxy's view of an upstream: a connector opens one upstream session per client session, and
 * each session carries POST, GET and DELETE. Replies stream; nothing is buffered that needn't be.
 */
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { MessageInfo } from '../protocol/message.ts';

export interface UpstreamReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as it arrives; null when there is none. */
  body: Readable | null;
}

/**
 * Emits 'abort' once, when the client goes away before its answer is complete. An event emitter,
 * which undici accepts as a request's signal, costs far less than an AbortController, and one is
 * made for every request.
 */
export class ClientGone extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

/** How a request the proxy sends counts against the upstream's circuit. */
export interface SendOptions {
  /**
   * The proxy's own bookkeeping (a bridge's initialize, initialized and DELETE around a client's
   * request): its failures count, its successes do not reset the failures in a row, which are the
   * client requests'.
   */
  bookkeeping?: boolean;
}

export interface UpstreamSession {
  post(body: Buffer, headers: Record<string, string>, info: MessageInfo, gone: ClientGone, options?: SendOptions): Promise<UpstreamReply>;
  get(headers: Record<string, string>, gone: ClientGone): Promise<UpstreamReply>;
  delete(headers: Record<string, string>, options?: SendOptions): Promise<UpstreamReply>;
  /** Releases what the session holds (a child process); does not tell the upstream. */
  close(): Promise<void>;
  /** Called when the upstream ended the session on its own (a stdio process exited). */
  onEnded?: (listener: () => void) => void;
  /**
   * Everything another process needs to carry the session on, as plain JSON; absent where the
   * session cannot leave this process (a stdio child).
   */
  state?: () => UpstreamSessionState;
}

/** A session's upstream side as a shared store keeps it (see `UpstreamSession.state`). */
export type UpstreamSessionState = Record<string, unknown>;

export interface UpstreamConnector {
  open(): UpstreamSession;
  /** The session another process saved with `state()`; absent where sessions cannot move. */
  revive?: (state: UpstreamSessionState) => UpstreamSession;
  close(): Promise<void>;
}
