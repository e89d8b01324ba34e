/**
 * A bridge reads what it relays: the upstream's answer (one JSON body, or an SSE stream) message by
 * message, each one passed on as it is, changed, or dropped. SSE answers stay streams: each message
 * goes to the client as soon as it has been read, so progress still arrives before the result.
 */
import { PassThrough, Readable } from 'node:stream';
import { createParser } from 'eventsource-parser';
import { firstHeader } from '../protocol/headers.ts';
import { WireErrors } from '../errors.ts';
import type { UpstreamReply } from '../upstream/types.ts';

export type Message = Record<string, unknown>;
/** What becomes of one message: itself, another, or nothing (null). */
export type MessageMap = (message: Message) => Message | null;

const isSse = (reply: UpstreamReply) => /^text\/event-stream\b/i.test(firstHeader(reply.headers, 'content-type') ?? '');
const isJson = (reply: UpstreamReply) => /^application\/json\b/i.test(firstHeader(reply.headers, 'content-type') ?? '');

/** A body read to its end (none: empty). */
export async function readAll(body: Readable | null): Promise<Buffer> {
  const chunks: Buffer[] = [];
  if (body) for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const isObject = (value: unknown): value is Message => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An answer read to its end: its bytes, and a reply that carries them still, to be relayed. */
export async function readWhole(reply: UpstreamReply): Promise<{ bytes: Buffer; reply: UpstreamReply }> {
  const bytes = await readAll(reply.body);
  return { bytes, reply: { ...reply, body: Readable.from([bytes]) } };
}

/** Every JSON-RPC message of an answer, read to its end (for the bridge's own set-up requests). */
export async function readMessages(reply: UpstreamReply): Promise<Message[]> {
  return messagesOf(reply, await readAll(reply.body));
}

/** The JSON-RPC messages of an answer's bytes: its one JSON body, or the data of each SSE event. */
export function messagesOf(reply: UpstreamReply, bytes: Buffer): Message[] {
  const text = bytes.toString('utf8');
  if (!isSse(reply)) {
    const value = parse(text);
    return (Array.isArray(value) ? value : [value]).filter(isObject);
  }
  const messages: Message[] = [];
  const parser = createParser({
    onEvent: (event) => {
      const value = parse(event.data);
      if (isObject(value)) messages.push(value);
    },
  });
  parser.feed(text);
  return messages;
}

/** The response to request `id` among an answer's messages. */
export function responseTo(messages: Message[], id: unknown): Message | undefined {
  return messages.find((m) => m.id === id && ('result' in m || 'error' in m));
}

/** A reply of the proxy's own making, in one JSON body. */
export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): UpstreamReply {
  const bytes = Buffer.from(JSON.stringify(body));
  return { status, headers: { ...headers, 'content-type': 'application/json', 'content-length': String(bytes.length) }, body: Readable.from([bytes]) };
}

/** JSON text of a message the proxy writes anew; one nested too deeply to write again is refused as the client's invalid request. */
export function serialize(message: Message): Buffer {
  try {
    return Buffer.from(JSON.stringify(message));
  } catch (err) {
    if (err instanceof RangeError) throw WireErrors.invalidRequest('the message is nested too deeply to be written again');
    throw err;
  }
}

export const emptyReply = (status: number, headers: Record<string, string> = {}): UpstreamReply => ({ status, headers, body: null });

/**
 * The upstream's answer with each message passed through `map`; `done` runs once the answer has
 * been read to its end, or cut (by the upstream or by the client going away). Bodies that are
 * neither JSON nor SSE (an HTML error page) are passed on untouched. `statusOf` may give a whole
 * JSON answer the status its message calls for.
 */
export async function mapAnswer(reply: UpstreamReply, map: MessageMap, done: () => void, statusOf?: (message: Message) => number | undefined): Promise<UpstreamReply> {
  if (!reply.body || (!isJson(reply) && !isSse(reply))) {
    if (!reply.body) done();
    else reply.body.once('close', done);
    return reply;
  }
  const headers = { ...reply.headers };
  delete headers['content-length'];
  if (isJson(reply)) {
    let text: string;
    let mapped: unknown;
    // `done` once the answer has been read and mapped: what the map saw (the upstream's response) is known by then.
    try {
      text = (await readAll(reply.body)).toString('utf8');
      const value = parse(text);
      mapped = Array.isArray(value) ? value.filter(isObject).map(map).filter((m) => m !== null) : isObject(value) ? map(value) : value;
    } finally {
      done();
    }
    if (mapped === null) return emptyReply(202, headers as Record<string, string>);
    const bytes = Buffer.from(mapped === undefined ? text : JSON.stringify(mapped));
    // A whole answer's status may follow from what it says (in 2026-07-28 a method not found is a 404).
    const status = isObject(mapped) ? (statusOf?.(mapped) ?? reply.status) : reply.status;
    return { status, headers: { ...headers, 'content-length': String(bytes.length) }, body: Readable.from([bytes]) };
  }
  const upstream = reply.body;
  const out = new PassThrough();
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    done();
  };
  // With `statusOf`, the reply waits for the first message it passes on: when that is already the
  // answer, and the answer calls for a status of its own (a bridge's refusal), it goes as a whole
  // JSON answer with that status, not as a 200 stream; anything else opens the stream as before.
  let decided = statusOf === undefined;
  let decide: (reply: UpstreamReply) => void = () => {};
  const decision = new Promise<UpstreamReply>((resolve) => (decide = resolve));
  const streamed: UpstreamReply = { status: reply.status, headers, body: out };
  const pass = (text: string, mapped: unknown) => {
    if (!decided) {
      decided = true;
      const status = isObject(mapped) && ('result' in mapped || 'error' in mapped) ? statusOf?.(mapped) : undefined;
      if (status !== undefined) {
        const bytes = Buffer.from(text);
        decide({ status, headers: { ...headers, 'content-type': 'application/json', 'content-length': String(bytes.length) }, body: Readable.from([bytes]) });
        // The rest of the upstream's stream is read (the map sees it) and dropped.
        out.resume();
        return;
      }
      decide(streamed);
    }
    out.write(`event: message\ndata: ${text}\n\n`);
  };
  const parser = createParser({
    onEvent: (event) => {
      // An event without data primes a legacy stream for resumption, which the bridge does not offer.
      if (event.data === '') return;
      const value = parse(event.data);
      const mapped = isObject(value) ? map(value) : value;
      if (mapped === null) return;
      pass(mapped === undefined ? event.data : JSON.stringify(mapped), mapped === undefined ? value : mapped);
    },
  });
  const decoder = new TextDecoder();
  upstream.on('data', (chunk: Buffer) => parser.feed(decoder.decode(chunk, { stream: true })));
  upstream.once('end', () => {
    decide(streamed);
    out.end();
    finish();
  });
  upstream.once('error', (err) => {
    decide(streamed);
    // The reply may be taken only after this (the decision resolves later): the error waits in the
    // stream for whoever reads it, instead of being thrown with no listener.
    out.on('error', () => {});
    out.destroy(err);
    finish();
  });
  // The client went away: the upstream's stream goes too.
  out.once('close', () => {
    upstream.destroy();
    finish();
  });
  return decided ? streamed : decision;
}
