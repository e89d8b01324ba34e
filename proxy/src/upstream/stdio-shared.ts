/**
 * A stdio server of the 2026-07-28 era, shared by the requests of one principal. Each 2026-07-28
 * request stands alone, so one server process can serve them all at once, as it serves a stdio
 * client that sends several requests before the first is answered; starting a process per request
 * would cost seconds each time and keep a subscription apart from the changes it listens for.
 *
 * Requests of different clients share the process, and their ids and progress tokens may be the
 * same. So each request goes to the server with an id and a progress token of the channel's own
 * making, and what comes back is given the client's again: the response's id, the progress
 * notifications' token, and the subscription id that the notifications of a `subscriptions/listen`
 * carry (the listen's request id). A process of another principal never sees the request.
 *
 * stdio says nothing of which request a log message (`notifications/message`) belongs to, so a
 * request that sets a log level does not share its process: the principal keeps a second one for
 * such requests, which serves them one at a time.
 *
 * A process with no request in flight for `idleTimeoutMs` is stopped, and so is the oldest idle one
 * beyond `maxIdle`; one that exited is replaced by the next request.
 */
import { WireErrors } from '../errors.ts';
import { inspectMessage } from '../protocol/message.ts';
import { emptyReply, mapAnswer, serialize, type Message } from '../bridge/answers.ts';
import { discoverRequest } from '../bridge/probe.ts';
import { META_LOG_LEVEL, META_SUBSCRIPTION_ID } from '../bridge/meta.ts';
import { ClientGone, type UpstreamConnector, type UpstreamReply, type UpstreamSession } from './types.ts';

interface Channel {
  session: UpstreamSession;
  /** Requests in flight; the idle timer runs while there are none. */
  inFlight: number;
  timer?: NodeJS.Timeout;
  exited: boolean;
}

export class SharedStdio {
  private readonly channels = new Map<string, Channel>();
  /** For a channel whose requests run one at a time: the end of the last one waiting. */
  private readonly turns = new WeakMap<Channel, Promise<void>>();
  /** The ids the channels give requests: unique across every channel of the proxy. */
  private next = 0;

  constructor(
    private readonly connector: UpstreamConnector,
    private readonly config: { idleTimeoutMs: number; maxIdle: number },
  ) {}

  /** A 2026-07-28 request of `principal` to its server process; the answer comes back in the client's own ids. */
  async post(principal: string | undefined, message: Message, headers: Record<string, string>, gone: ClientGone): Promise<UpstreamReply> {
    const info = inspectMessage(message);
    if (info.kind !== 'request') {
      // A cancellation names a request by the client's id, which on a shared process may be another
      // client's: not sent (a 2026-07-28 client cancels by closing its stream, which is passed on).
      // Any other notification goes as it is.
      if (info.method === 'notifications/cancelled') return emptyReply(202);
      return this.channelOf(principal ?? '').session.post(serialize(message), headers, info, gone);
    }
    const params = (message.params ?? {}) as Record<string, unknown>;
    const meta = (params._meta ?? {}) as Record<string, unknown>;
    // stdio cannot say which request a log message belongs to: a request that sets a log level runs
    // alone, one at a time, on a process its principal keeps for such requests.
    const alone = meta[META_LOG_LEVEL] !== undefined;
    const channel = this.channelOf(alone ? `${principal ?? ''}\u0000alone` : (principal ?? ''));
    const release = alone ? await this.turn(channel) : () => undefined;
    const id = ++this.next;
    const token = meta.progressToken;
    const ownToken = `progress-${id}`;
    const sent = { ...message, id, params: { ...params, ...(token !== undefined && { _meta: { ...meta, progressToken: ownToken } }) } };
    const back = (m: Message): Message => {
      if (m.id === id && !('method' in m)) return { ...m, id: message.id };
      const p = m.params as Record<string, unknown> | undefined;
      if (!p) return m;
      if (token !== undefined && p.progressToken === ownToken) return { ...m, params: { ...p, progressToken: token } };
      const tag = (p._meta as Record<string, unknown> | undefined)?.[META_SUBSCRIPTION_ID];
      if (tag === id) return { ...m, params: { ...p, _meta: { ...(p._meta as Record<string, unknown>), [META_SUBSCRIPTION_ID]: message.id } } };
      return m;
    };
    const done = () => {
      this.end(channel);
      release();
    };
    try {
      this.begin(channel);
    } catch (err) {
      release();
      throw err;
    }
    try {
      const reply = await channel.session.post(serialize(sent), headers, inspectMessage(sent), gone);
      return await mapAnswer(reply, back, done);
    } catch (err) {
      done();
      throw err;
    }
  }

  /** Waits for the channel's turn; the returned function ends it. */
  private async turn(channel: Channel): Promise<() => void> {
    const before = this.turns.get(channel) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.turns.set(channel, before.then(() => mine));
    await before;
    return release;
  }

  /** Stops the processes' timers; the connector stops the processes. */
  close(): void {
    for (const channel of this.channels.values()) clearTimeout(channel.timer);
    this.channels.clear();
  }

  private channelOf(principal: string): Channel {
    const found = this.channels.get(principal);
    if (found && !found.exited) return found;
    const channel: Channel = { session: this.connector.open(), inFlight: 0, exited: false };
    channel.session.onEnded?.(() => {
      channel.exited = true;
      clearTimeout(channel.timer);
      if (this.channels.get(principal) === channel) this.channels.delete(principal);
    });
    this.channels.set(principal, channel);
    this.end(channel, 0);
    // Its first answer says the process has started: from then on each request has timeoutMs of its
    // own, not the allowance for a start (a slow call on a new process is timed as a slow call).
    const warmUp = discoverRequest(`proxyspec-warm-up-${++this.next}`);
    channel.session
      .post(serialize(warmUp), {}, inspectMessage(warmUp), new ClientGone())
      .then((reply) => reply.body?.resume())
      .catch(() => undefined);
    return channel;
  }

  private begin(channel: Channel): void {
    if (channel.exited) throw WireErrors.upstreamUnavailable('upstream process has exited');
    channel.inFlight++;
    clearTimeout(channel.timer);
    channel.timer = undefined;
  }

  private end(channel: Channel, by = 1): void {
    channel.inFlight -= by;
    if (channel.inFlight > 0 || channel.exited) return;
    clearTimeout(channel.timer);
    channel.timer = setTimeout(() => this.retire(channel), this.config.idleTimeoutMs);
    channel.timer.unref();
    // No more idle processes than maxIdle, however many principals came: the oldest go first.
    const idle = [...this.channels.values()].filter((c) => c.inFlight === 0);
    for (const c of idle.slice(0, Math.max(0, idle.length - this.config.maxIdle))) this.retire(c);
  }

  private retire(channel: Channel): void {
    clearTimeout(channel.timer);
    for (const [principal, c] of this.channels) if (c === channel) this.channels.delete(principal);
    void channel.session.close();
  }
}
