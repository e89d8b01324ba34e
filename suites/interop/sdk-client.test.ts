/**
 * Interop: the official MCP TypeScript SDK client runs a whole session through the target. It is
 * a real peer with its own ideas about the protocol, so it finds what a scripted client misses.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { CID_META_KEY, scenario, type ScenarioContext } from '../../harness/src/index.ts';
import { expectThreeProgress, withTimeout } from './steps.ts';

const SDK_SESSION = 'interop/sdk-client-session';

scenario('A proxy MUST carry a whole session of the official SDK client', [SDK_SESSION], async (t: ScenarioContext) => {
  const cid = t.cid();
  const transport = new StreamableHTTPClientTransport(new URL(t.ctx.target.url), { requestInit: { headers: t.ctx.target.headers }, fetch: t.recordingFetch() });
  const client = new Client({ name: 'proxyspec-interop', version: '0.1.0' }, { capabilities: { sampling: {} } });
  const answer = `sdk sampled ${cid}`;
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', content: { type: 'text', text: answer }, model: 'proxyspec', stopReason: 'endTurn' }));
  const steps: string[] = [];
  let failure: string | undefined;
  try {
    // As patient as the relay canary: over a stdio bridge, initialize starts a process, which a busy machine takes seconds to do.
    await withTimeout('initialize', client.connect(transport), 30_000);
    steps.push(`initialize (session ${transport.sessionId ?? 'none'})`);
    const { tools } = await withTimeout('tools/list', client.listTools({ _meta: { [CID_META_KEY]: cid } }));
    if (!tools.some((tool) => tool.name === 'echo')) throw new Error(`tools/list: the upstream's tools are missing (got ${tools.map((x) => x.name).join(', ') || 'none'})`);
    steps.push(`tools/list (${tools.length} tools)`);
    const progress: number[] = [];
    const called = await withTimeout(
      'tools/call with progress',
      client.callTool({ name: 'progress', arguments: { count: 3, intervalMs: 5 }, _meta: { [CID_META_KEY]: cid } }, undefined, { onprogress: (p) => progress.push(p.progress) }),
    );
    await expectThreeProgress(t, cid, progress.length, Boolean(called.isError));
    steps.push('tools/call with 3 progress notifications');
    const sampled = await withTimeout('sampling round trip', client.callTool({ name: 'sample', arguments: { prompt: 'hello' }, _meta: { [CID_META_KEY]: cid } }));
    if (!JSON.stringify(sampled).includes(answer)) throw new Error('sampling round trip: the tool result does not carry the client\'s answer');
    steps.push('sampling round trip');
    await withTimeout('DELETE', transport.terminateSession());
    steps.push('DELETE');
  } catch (err) {
    failure = (err as Error).message;
  } finally {
    await client.close().catch(() => undefined);
  }
  t.judge(SDK_SESSION, failure === undefined, {
    seen: { 'steps completed': steps.length },
    message: failure ? 'the SDK client could not complete its session' : 'the SDK client completed initialize, tools/list, progress, sampling and DELETE',
    expected: 'initialize → tools/list → tools/call with progress → sampling round trip → DELETE',
    observed: failure ? `completed: ${steps.join(', ') || 'nothing'}; then ${failure}` : undefined,
  });
}, { timeoutMs: 70_000 });
