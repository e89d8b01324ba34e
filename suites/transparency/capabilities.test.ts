/**
 * What the client is told the server can do. Through the proxy, the server the client sees is the
 * proxy: once it serves tools, resources, prompts, completions or tasks (2025-11-25), or passes on
 * log messages, its initialize result (session era) or server/discover result (2026-07-28) must
 * declare each of those capabilities. A gateway that rebuilds capabilities from the few it knows
 * leaves a client that checks them unable to use the rest.
 */
import { META, describeCall, resultOf, scenario, type McpClient, type ScenarioContext } from '../../harness/src/index.ts';

const DECLARED = 'transparency/capabilities-declared';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The capabilities the client is seen to be served, beside tools and logging: each by a request
 * whose result shows it (a list with an array, a completion, a task created for a call).
 */
async function servedBeyondTools(client: McpClient, cid: string, tasks: boolean): Promise<Record<string, string>> {
  const served: Record<string, string> = {};
  const resources = resultOf(await client.request('resources/list', {}, { cid }));
  if (Array.isArray(resources?.resources)) served.resources = `resources/list gave ${resources.resources.length} resources`;
  const prompts = resultOf(await client.request('prompts/list', {}, { cid }));
  if (Array.isArray(prompts?.prompts)) served.prompts = `prompts/list gave ${prompts.prompts.length} prompts`;
  const completed = resultOf(await client.request('completion/complete', { ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'lang', value: 'e' } }, { cid }));
  if (isObject(completed?.completion)) served.completions = 'completion/complete gave a completion';
  if (tasks) {
    const created = resultOf(await client.request('tools/call', { name: 'echo', arguments: { cid }, task: { ttl: 60_000 } }, { cid }));
    if (isObject(created?.task)) served.tasks = 'a task-augmented tools/call created a task';
  }
  return served;
}

scenario('A proxy MUST declare the capabilities it serves: tools, resources, prompts, completions and tasks, and logging when log messages reach the client', [DECLARED], async (t: ScenarioContext) => {
  const client = t.client();
  const cid = t.cid();
  const opened = await client.initialize({ cid });
  const result = resultOf(opened);
  const opening = client.stateless ? 'server/discover' : 'initialize';
  if (!result) return t.block(DECLARED, `${opening} got no result, so there are no declared capabilities to judge`, describeCall(opened));

  // What the server is seen to do: list tools, and send log messages for a request that asks for them.
  const listed = await client.request('tools/list', {}, { cid });
  const tools = resultOf(listed)?.tools as unknown[] | undefined;
  const logged = await client.callTool('log', {}, { cid, meta: { [META.logLevel]: 'warning' } });
  const logMessages = logged.exchange.events.filter((e) => (e.json as { method?: unknown } | undefined)?.method === 'notifications/message').length;
  const servesTools = Array.isArray(tools) && tools.length > 0;
  const beyond = await servedBeyondTools(client, cid, t.has('tasks'));
  if (!servesTools && logMessages === 0 && Object.keys(beyond).length === 0) {
    return t.block(DECLARED, 'neither a tool list nor a log message reached the client, so nothing is known to need declaring', `tools/list: ${describeCall(listed)}; the log call: ${describeCall(logged)}`);
  }

  const capabilities = result.capabilities;
  const problems: string[] = [];
  if (!isObject(capabilities)) problems.push(`the ${opening} result has no capabilities object (${JSON.stringify(capabilities ?? null)})`);
  else {
    if (servesTools && !isObject(capabilities.tools)) problems.push(`${tools.length} tools were listed, but the capabilities do not declare tools (${JSON.stringify(capabilities).slice(0, 160)})`);
    if (logMessages > 0 && !isObject(capabilities.logging)) problems.push(`${logMessages} log messages reached the client, but the capabilities do not declare logging (${JSON.stringify(capabilities).slice(0, 160)})`);
    for (const [capability, seen] of Object.entries(beyond)) {
      if (!isObject(capabilities[capability])) problems.push(`${seen}, but the capabilities do not declare ${capability} (${JSON.stringify(capabilities).slice(0, 160)})`);
    }
  }
  // 2025-11-25's initialize answer also names the server and the version it speaks.
  if (!client.stateless) {
    const info = result.serverInfo as { name?: unknown; version?: unknown } | undefined;
    if (typeof result.protocolVersion !== 'string') problems.push('the initialize result has no protocolVersion');
    if (!isObject(info) || typeof info.name !== 'string' || typeof info.version !== 'string') problems.push(`the initialize result has no serverInfo with a name and a version (${JSON.stringify(info ?? null)})`);
  }
  t.judgeProblems(DECLARED, problems, {
    // What was judged: the tools capability once tools were listed, the logging one once log messages came.
    seen: { 'capabilities in use': Number(servesTools) + Number(logMessages > 0) + Object.keys(beyond).length },
    fail: `the ${opening} result does not declare what the proxy serves`,
    pass: `the ${opening} result declares ${[servesTools && 'tools', logMessages > 0 && 'logging', ...Object.keys(beyond)].filter(Boolean).join(', ')}, which the client was served${client.stateless ? '' : ', and names the server and its version'}`,
    expected: `capabilities.tools (tools are listed), capabilities.logging (log messages arrive), and resources, prompts, completions${t.has('tasks') ? ' and tasks' : ''} for each that is served, in the ${opening} result${client.stateless ? '' : ', with protocolVersion and serverInfo'}`,
  });
});
