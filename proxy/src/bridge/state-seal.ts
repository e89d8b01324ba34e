/**
 * What the bridge hands a client to bring back (the `requestState` of a multi round-trip request),
 * sealed so that it comes back as it left: an HMAC-SHA256 over the payload, with a key the proxy's
 * replicas share (`state.secret`) or one of this process's own. A state that fails the check is the
 * client's invalid params, never answers the bridge would replay to the upstream.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface StateSeal {
  /** `payload` as a requestState: its base64url text, a dot, and the MAC. */
  seal(payload: unknown): string;
  /** The payload a requestState carries, or undefined when it was not sealed with this key or was changed since. */
  open(state: string): unknown;
}

export function createStateSeal(secret?: string): StateSeal {
  const key = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
  const mac = (text: string) => createHmac('sha256', key).update(text).digest();
  return {
    seal(payload) {
      const text = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${text}.${mac(text).toString('base64url')}`;
    },
    open(state) {
      const dot = state.lastIndexOf('.');
      if (dot < 0) return undefined;
      const text = state.slice(0, dot);
      const given = Buffer.from(state.slice(dot + 1), 'base64url');
      const expected = mac(text);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      try {
        return JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
      } catch {
        return undefined;
      }
    },
  };
}
