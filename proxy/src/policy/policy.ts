/**
 * The proxy's policy: tools and methods no client may call. Decided on the message body (the method,
 * and `params.name` of a tools/call), never on a header a client could set to anything. tools/list
 * answers leave the denied tools out, so that clients are not offered what they cannot call.
 */
import { Readable } from 'node:stream';
import type { ProxyConfig } from '../config/schema.ts';
import { WireErrors, type ProxyWireError } from '../errors.ts';
import { firstHeader } from '../protocol/headers.ts';
import type { MessageInfo } from '../protocol/message.ts';
import type { UpstreamReply } from '../upstream/types.ts';

export interface Policy {
  /** The refusal for a message that calls something denied; undefined when it may pass. */
  refusal(info: MessageInfo): ProxyWireError | undefined;
  /** Whether an answer to this message must have denied tools taken out of it. */
  filters(info: MessageInfo): boolean;
  /** The tools/list answer without the denied tools. */
  filterToolsList(reply: UpstreamReply): Promise<UpstreamReply>;
}

async function readAll(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function createPolicy(config: ProxyConfig['policy']): Policy | undefined {
  const tools = new Set(config.deniedTools);
  const methods = new Set(config.deniedMethods);
  if (tools.size === 0 && methods.size === 0) return undefined;

  /** The message with denied tools removed from its tools/list result; other messages unchanged. */
  const withoutDenied = (message: unknown): unknown => {
    const result = (message as { result?: { tools?: unknown } } | null)?.result;
    if (!result || !Array.isArray(result.tools)) return message;
    return { ...(message as object), result: { ...result, tools: result.tools.filter((t: { name?: unknown }) => !tools.has(String(t?.name))) } };
  };

  return {
    refusal(info) {
      for (const call of info.calls) {
        if (methods.has(call.method)) return WireErrors.policyDenied(`the method ${call.method}`);
        if (call.tool !== undefined && tools.has(call.tool)) return WireErrors.policyDenied(`the tool ${call.tool}`);
      }
      return undefined;
    },
    filters: (info) => tools.size > 0 && info.calls.some((c) => c.method === 'tools/list'),
    async filterToolsList(reply) {
      if (!reply.body || reply.status < 200 || reply.status >= 300) return reply;
      const type = firstHeader(reply.headers, 'content-type') ?? '';
      const text = await readAll(reply.body);
      let out = text;
      if (/^application\/json/i.test(type)) {
        try {
          const parsed = JSON.parse(text) as unknown;
          out = JSON.stringify(Array.isArray(parsed) ? parsed.map(withoutDenied) : withoutDenied(parsed));
        } catch {
          // Not JSON after all: relayed as it came.
        }
      } else if (/^text\/event-stream/i.test(type)) {
        // Event by event: the data of each (its lines joined) is parsed, and the answer rewritten on one data line.
        out = text
          .split(/\r?\n\r?\n/)
          .map((event) => {
            const lines = event.split(/\r?\n/);
            const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(l.startsWith('data: ') ? 6 : 5));
            if (data.length === 0) return event;
            try {
              const rewritten = JSON.stringify(withoutDenied(JSON.parse(data.join('\n'))));
              return [...lines.filter((l) => !l.startsWith('data:')), `data: ${rewritten}`].join('\n');
            } catch {
              return event;
            }
          })
          .join('\n\n');
      }
      const bytes = Buffer.from(out);
      const { 'content-length': _length, ...headers } = reply.headers;
      return { status: reply.status, headers: { ...headers, 'content-length': String(bytes.length) }, body: Readable.from([bytes]) };
    },
  };
}
