/**
 * Who may call the proxy from a browser, and under which host name: the defence against DNS
 * rebinding. A rebinding page has its own origin (a name the attacker controls, pointed at
 * 127.0.0.1): its POSTs carry that Origin, and a GET it makes carries no Origin at all, only that
 * name in Host. So while the proxy listens on loopback it serves Origins on loopback (a page on the
 * same machine, the proxy's own origin included) and the listed ones, and Host names on loopback
 * (and the listed ones); everything else gets 403.
 */
import type { ProxyConfig } from '../config/schema.ts';

/** localhost, 127.0.0.0/8 and ::1: names no other machine can answer for. */
export function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}

/** The host name of a Host header value (host, host:port, [v6]:port). */
function hostnameOf(host: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(host.trim());
  return m ? m[1] : host;
}

export interface OriginPolicy {
  /** Whether a request with this Origin may be served. */
  originAllowed(origin: string): boolean;
  /** Whether a request with this Host may be served (undefined: no Host header, HTTP/1.0). */
  hostAllowed(host: string | undefined): boolean;
}

export function createOriginPolicy(security: ProxyConfig['security'], listenHost: string): OriginPolicy {
  const origins = new Set(security.allowedOrigins);
  const onLoopback = isLoopbackName(listenHost);
  const hosts = security.allowedHosts?.map((h) => h.toLowerCase());
  return {
    originAllowed(origin) {
      if (origins.has('*') || origins.has(origin)) return true;
      if (!onLoopback || !security.loopbackOrigins) return false;
      try {
        const url = new URL(origin);
        return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackName(url.hostname);
      } catch {
        // `null` (an opaque origin) and anything else that is no URL: not an origin to trust.
        return false;
      }
    },
    hostAllowed(host) {
      if (host === undefined) return true;
      if (hosts) return hosts.includes('*') || hosts.includes(host.toLowerCase()) || hosts.includes(hostnameOf(host).toLowerCase());
      return !onLoopback || isLoopbackName(hostnameOf(host));
    },
  };
}
