/**
 * The relay canary: before each scenario, one plain tools/call through the target on a session the
 * worker keeps, seen both at the client (the result carries the call's correlation id) and at the
 * upstream. When it fails, the scenario does not run: its checks are blocked, and the report names
 * the check after which the target stopped relaying, instead of twenty checks failing for the wrong
 * reason.
 */
import { newCorrelationId, preciseNow } from '../../../wire/index.ts';
import { McpClient } from '../client/mcp-client.ts';
import { UpstreamView, recordMethod } from '../record/upstream-view.ts';
import type { RunContext } from '../context.ts';
import type { CanaryOutcome } from './scenario-record.ts';

/**
 * As long as any client of the harness waits (a stdio bridge starts a process for a new session, on a
 * loaded machine in seconds); once a canary of this worker has failed, short, so that a wedged
 * target does not stall the rest of the run.
 */
const CANARY_TIMEOUT_MS = 30_000;
const AFTER_FAILURE_TIMEOUT_MS = 3000;

/** The check whose requirement the canary repeats: once the canary fails, that requirement is broken. */
export const RELAY_CHECK_ID = 'transparency/call-relayed';

export interface RelayCanary {
  run(): Promise<CanaryOutcome>;
  /** Forgets the canary's session (see below why it is not deleted). */
  close(): Promise<void>;
}

export function createRelayCanary(ctx: RunContext): RelayCanary {
  const upstream = new UpstreamView(ctx.controlUrl);
  let client: McpClient | undefined;
  let failed = false;

  /** Opens the canary's session; what went wrong when it could not. */
  const open = async (cid: string): Promise<{ detail: string } | undefined> => {
    // With replicas, the canary asks the first one: whether the target relays at all, not whether its replicas agree.
    const opening = new McpClient({ url: ctx.target.replicas?.[0] ?? ctx.target.url, revision: ctx.revision, headers: ctx.target.headers, timeoutMs: failed ? AFTER_FAILURE_TIMEOUT_MS : CANARY_TIMEOUT_MS });
    client = opening;
    const init = await opening.initialize({ cid });
    if (init.response && 'result' in init.response) return undefined;
    client = undefined;
    const { exchange } = init;
    return { detail: `${opening.stateless ? 'server/discover' : 'initialize'} got ${exchange.outcome === 'answered' ? `HTTP ${exchange.status} ${exchange.body.slice(0, 160)}` : `no answer (${exchange.outcome}: ${exchange.error})`}` };
  };

  const call = async (cid: string) => {
    const result = await client!.callTool('echo', { cid }, { cid });
    const text = JSON.stringify(result.response?.result ?? null);
    return { result, answered: text.includes(cid) };
  };

  /** One try: the call on the canary's session (opened, or opened again after a 404). */
  const attempt = async (cid: string): Promise<{ ok: boolean; detail: string }> => {
    if (!client) {
      const refused = await open(cid);
      if (refused) return { ok: false, ...refused };
    }
    let tried = await call(cid);
    // The canary's own session may have been reaped or deleted by the target: that is no fault.
    if (tried.result.exchange.status === 404) {
      const refused = await open(cid);
      if (refused) return { ok: false, detail: `its session ended, and ${refused.detail}` };
      tried = await call(cid);
    }
    const { exchange } = tried.result;
    const reached = (await upstream.received(cid)).some((r) => recordMethod(r) === 'tools/call');
    if (tried.answered && reached) return { ok: true, detail: `tools/call answered (HTTP ${exchange.status}) and seen upstream` };
    const got = exchange.outcome === 'answered' ? `HTTP ${exchange.status} ${exchange.body.slice(0, 200)}` : `no answer (${exchange.outcome}${exchange.error ? `: ${exchange.error}` : ''})`;
    return { ok: false, detail: `a plain tools/call got ${got}${reached ? '' : '; the upstream never received it'}` };
  };

  return {
    async run() {
      const at = preciseNow();
      const tryOnce = async () => {
        try {
          return await attempt(newCorrelationId());
        } catch (err) {
          return { ok: false, detail: `the canary could not run: ${(err as Error).message}` };
        }
      };
      let result = await tryOnce();
      // One slow or failed answer on a loaded machine (a proxy's own 504 included) is not a target
      // that stopped relaying: a second try, on a new session. A target that did stop fails it too.
      if (!result.ok && !failed) {
        client = undefined;
        result = await tryOnce();
      }
      if (!result.ok) {
        failed = true;
        // A new session next time. This one is left as it is: a DELETE from the canary must not
        // be what changes the target (some close a shared upstream on any DELETE).
        client = undefined;
      }
      return { ok: result.ok, at, endedAt: preciseNow(), detail: result.detail };
    },
    async close() {
      // The session is left to the target's idle reaping, not ended with DELETE: a target that breaks on
      // any DELETE (one that closes a shared upstream) would otherwise be broken by the harness's own
      // housekeeping at the end of a suite file, with no check to name for it.
      client = undefined;
    },
  };
}
