/**
 * Interop in the stateless era: the official v2 TypeScript SDK client (`@modelcontextprotocol/client`),
 * pinned to 2026-07-28, works through the target: server/discover, tools/list, a call with progress,
 * a sampling round trip as an input_required result it fulfils itself, and a subscription that is told
 * of a tool list change. The SDK decides what is well-formed; the scenario only watches the outcome.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CID_META_KEY, bodyJson, scenario, type ScenarioContext } from '../../harness/src/index.ts';
import { expectThreeProgress, withTimeout } from './steps.ts';

const SDK_V2 = 'interop/sdk-v2-client';

scenario('A proxy MUST carry the official v2 SDK client through the stateless era', [SDK_V2], async (t: ScenarioContext) => {
  const cid = t.cid();
  const meta = { [CID_META_KEY]: cid };
  const transport = new StreamableHTTPClientTransport(new URL(t.ctx.target.url), { requestInit: { headers: t.ctx.target.headers }, fetch: t.recordingFetch() });
  const client = new Client(
    { name: 'proxyspec-interop-v2', version: '0.1.0' },
    { capabilities: { sampling: {} }, versionNegotiation: { mode: { pin: t.revision } } },
  );
  const answer = `sdk v2 sampled ${cid}`;
  client.setRequestHandler('sampling/createMessage', async () => ({ role: 'assistant', content: { type: 'text', text: answer }, model: 'proxyspec', stopReason: 'endTurn' }));
  let changed: () => void = () => undefined;
  const toolsChanged = new Promise<void>((resolve) => (changed = resolve));
  client.setNotificationHandler('notifications/tools/list_changed', () => changed());
  const steps: string[] = [];
  let failure: string | undefined;
  let blocked: string | undefined;
  try {
    await withTimeout('server/discover', client.connect(transport), 30_000);
    const version = client.getNegotiatedProtocolVersion();
    if (version !== t.revision) throw new Error(`server/discover: the client settled on ${version ?? 'no version'}, not ${t.revision}`);
    steps.push(`server/discover (${version})`);
    const { tools } = await withTimeout('tools/list', client.listTools({ _meta: meta }));
    if (!tools.some((tool) => tool.name === 'echo')) throw new Error(`tools/list: the upstream's tools are missing (got ${tools.map((x) => x.name).join(', ') || 'none'})`);
    steps.push(`tools/list (${tools.length} tools)`);
    const progress: number[] = [];
    const called = await withTimeout(
      'tools/call with progress',
      client.callTool({ name: 'progress', arguments: { count: 3, intervalMs: 5 }, _meta: meta }, { onprogress: (p) => progress.push(p.progress) }),
    );
    await expectThreeProgress(t, cid, progress.length, Boolean(called.isError));
    steps.push('tools/call with 3 progress notifications');
    const sampled = await withTimeout('sampling as input_required', client.callTool({ name: 'sample', arguments: { prompt: 'hello' }, _meta: meta }));
    if (!JSON.stringify(sampled).includes(answer)) throw new Error('sampling as input_required: the tool result does not carry the client\'s answer');
    steps.push('sampling as input_required, fulfilled and retried');
    const subscription = await withTimeout('subscriptions/listen', client.listen({ toolsListChanged: true }));
    try {
      const notified = await withTimeout('the call that changes the tool list', client.callTool({ name: 'notify', arguments: { cid, change: 'tools' }, _meta: meta }));
      // The upstream sends the change (tagged with the correlation id) only on a subscription it holds:
      // without one there, nothing was relayed, and the step cannot be judged.
      const sent = (await t.upstream.sent(cid)).some((r) => (bodyJson(r) as { method?: string } | undefined)?.method === 'notifications/tools/list_changed');
      if (!sent) blocked = `the upstream had no subscription to send the change to (notify answered ${JSON.stringify(notified).slice(0, 160)}), so whether the client hears of it cannot be judged`;
      else await withTimeout('a tool list change on the subscription', toolsChanged);
    } finally {
      await subscription.close();
    }
    if (!blocked) steps.push('subscriptions/listen told of a tool list change');
  } catch (err) {
    failure = (err as Error).message;
  } finally {
    await client.close().catch(() => undefined);
  }
  if (failure === undefined && blocked) return t.block(SDK_V2, `${steps.join(', ')} went through; then ${blocked}`);
  t.judge(SDK_V2, failure === undefined, {
    seen: { 'steps completed': steps.length },
    message: failure ? 'the v2 SDK client could not complete its work' : 'the v2 SDK client completed server/discover, tools/list, progress, sampling as input_required and a subscription',
    expected: 'server/discover → tools/list → tools/call with progress → input_required sampling, fulfilled → subscriptions/listen told of a change',
    observed: failure ? `completed: ${steps.join(', ') || 'nothing'}; then ${failure}` : undefined,
  });
}, { timeoutMs: 90_000 });
