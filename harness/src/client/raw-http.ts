/**
 * A bare `node:http` request for the cases undici refuses to produce: a `Connection` header naming
 * other headers, duplicate headers, hop-by-hop fields. Returns what came back, never throws.
 */
import { request } from 'node:http';
import { preciseNow } from '../../../wire/index.ts';
import { bodyKind, failureOutcome, newExchange, type Exchange } from './exchange.ts';

export function rawHttp(url: string, method: string, headers: Array<[string, string]>, body: string | Buffer, timeoutMs = 15_000): Promise<Exchange> {
  const flat: Record<string, string> = {};
  for (const [k, v] of headers) flat[k] = flat[k] === undefined ? v : `${flat[k]}, ${v}`;
  const ex = newExchange(method, url, flat, typeof body === 'string' ? body : body.toString('utf8'), preciseNow());
  return new Promise((resolve) => {
    const done = () => {
      ex.endedAt = preciseNow();
      resolve(ex);
    };
    // Headers as a flat [name, value, …] array, so repeated and hop-by-hop names go out as given.
    // With raw headers node adds no Host of its own, and HTTP/1.1 requires one.
    const withHost = headers.some(([k]) => k.toLowerCase() === 'host') ? headers : [['host', new URL(url).host] as [string, string], ...headers];
    const req = request(url, { method, headers: withHost.flat(), timeout: timeoutMs }, (res) => {
      ex.headersAt = preciseNow();
      ex.status = res.statusCode ?? 0;
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) ex.headers[k] = Array.isArray(v) ? v.join(', ') : v;
      ex.kind = bodyKind(ex.headers['content-type']);
      res.setEncoding('utf8');
      res.on('data', (c: string) => (ex.body += c));
      res.on('end', () => {
        ex.outcome = 'answered';
        if (ex.kind === 'json') {
          try {
            ex.json = JSON.parse(ex.body);
          } catch {
            ex.error = 'the body says application/json but is not JSON';
          }
        }
        if (ex.body === '' && ex.kind === 'other') ex.kind = 'empty';
        done();
      });
      res.on('error', (err) => {
        if (ex.outcome === 'pending') ex.outcome = timedOut ? 'timeout' : failureOutcome(err);
        ex.error = timedOut ? `no complete answer within ${timeoutMs} ms` : err.message;
        done();
      });
    });
    let timedOut = false;
    req.on('timeout', () => {
      timedOut = true;
      req.destroy();
    });
    req.on('error', (err) => {
      if (ex.outcome !== 'pending') return;
      ex.outcome = timedOut ? 'timeout' : failureOutcome(err);
      ex.error = timedOut ? `no complete answer within ${timeoutMs} ms` : err.message;
      done();
    });
    req.end(body);
  });
}
