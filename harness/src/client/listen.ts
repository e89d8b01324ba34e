/**
 * A subscriptions/listen stream (2026-07-28) held open in the background: its messages as they come,
 * a wait for the next ones, and the client's way to leave (closing the stream, the era's cancellation).
 */
import type { McpClient, CallResult } from './mcp-client.ts';
import type { SseEventRecord } from './exchange.ts';

export interface Listen {
  /** The listen request's id, which its notifications carry as their subscription id. */
  id: string;
  /** The JSON messages received so far, once there are `count` of them or the time is up. */
  waitFor(count: number, timeoutMs?: number): Promise<Array<Record<string, any>>>;
  messages(): Array<Record<string, any>>;
  /** Closes the stream, as a client that leaves does, and waits for the request to settle. */
  close(): Promise<CallResult>;
}

export function openListen(client: McpClient, notifications: Record<string, unknown>, options: { id: string; cid: string; timeoutMs?: number }): Listen {
  const controller = new AbortController();
  const events: SseEventRecord[] = [];
  const waiters: Array<() => void> = [];
  const json = () => events.filter((e) => e.json).map((e) => e.json as Record<string, any>);
  const done = client.request('subscriptions/listen', { notifications }, {
    id: options.id,
    cid: options.cid,
    timeoutMs: options.timeoutMs ?? 30_000,
    signal: controller.signal,
    onEvent: (e) => {
      events.push(e);
      for (const wake of waiters.splice(0)) wake();
    },
  });
  return {
    id: options.id,
    async waitFor(count, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      while (json().length < count && Date.now() < until) await new Promise<void>((resolve) => (waiters.push(resolve), setTimeout(resolve, until - Date.now())));
      return json();
    },
    messages: json,
    close() {
      controller.abort();
      return done;
    },
  };
}
