/** Large messages cross whole, and a proxy that claims byte transparency keeps the exact bytes. */
import { META, bodyJson, bodyText, describeCall, scenario, type ScenarioContext } from '../../harness/src/index.ts';

const LARGE = 'transparency/large-payloads';
const BYTES = 'transparency/request-bytes-unchanged';
const SIZES = [1024 * 1024, 5 * 1024 * 1024];

function blob(size: number): string {
  const unit = 'The quick brown fox jumps over the lazy dog 0123456789. ';
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

scenario('A proxy MUST relay 1 MB and 5 MB messages whole, in both directions', [LARGE], async (t: ScenarioContext) => {
  const client = await t.session();
  const problems: string[] = [];
  for (const size of SIZES) {
    const label = `${size / 1024 / 1024} MB`;
    const cid = t.cid();
    const data = blob(size);
    const up = await client.callTool('echo', { cid, data }, { cid, timeoutMs: 30_000 });
    const received = (await t.upstream.received(cid)).map((r) => bodyJson(r) as { params?: { arguments?: { data?: string } } } | undefined);
    const got = received.find((m) => m?.params?.arguments?.data !== undefined)?.params?.arguments?.data;
    if (got === undefined) problems.push(`${label} request: never reached the upstream (client got HTTP ${up.exchange.status})`);
    else if (got !== data) problems.push(`${label} request: the upstream received ${got.length} characters, not the ${size} sent`);
    else if (!up.response || !('result' in up.response)) {
      // echo answers with the arguments twice (as text and as structuredContent): that answer is what did not cross.
      const answer = (await t.upstream.answerTo(cid, 'tools/call')).message;
      const answerMb = answer === undefined ? 'its' : `its ${(JSON.stringify(answer).length / 1024 / 1024).toFixed(1)} MB`;
      problems.push(`${label} request: it reached the upstream whole, but ${answerMb} answer (echo returns the arguments as text and as structuredContent) never reached the client, which got ${describeCall(up)}`);
    }

    const down = await client.callTool('large', { cid, bytes: size }, { cid, timeoutMs: 30_000 });
    const text = ((down.response?.result as { content?: Array<{ text?: string }> } | undefined)?.content?.[0]?.text) ?? undefined;
    if (text === undefined) problems.push(`${label} response: no result reached the client (HTTP ${down.exchange.status}${down.exchange.error ? `, ${down.exchange.error}` : ''})`);
    else if (text.length !== size || !text.startsWith('proxyspec-')) problems.push(`${label} response: the client got ${text.length} characters, not ${size}`);
  }
  t.judgeProblems(LARGE, problems, {
    seen: { 'payloads sent each way': SIZES.length },
    fail: problems[0] ?? 'a large message did not cross whole',
    pass: '1 MB and 5 MB crossed whole both ways',
    expected: 'requests and results of 1 MB and 5 MB relayed complete',
  });
});

scenario('A proxy that claims byte transparency MUST relay bodies byte for byte', [BYTES], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  // Spacing, escapes and number spellings that survive parsing but not re-serialising.
  // A stateless request carries its version and capabilities in _meta (the client mirrors the headers).
  const era = client.stateless ? `, "${META.protocolVersion}" : "${t.revision}", "${META.clientCapabilities}" : { }` : '';
  const raw = `{ "jsonrpc" : "2.0", "id" : "bytes-1",\n  "method" : "tools/call", "params" : { "name" : "echo",\n  "arguments" : { "cid" : "${cid}", "n" : 1.50, "e" : 1E2, "u" : "\\u00e9\\ud83d\\ude00", "s" : "\\/" },\n  "_meta" : { "io.proxyspec/cid" : "${cid}"${era} } } }`;
  const exchange = await client.post(raw);
  const received = (await t.upstream.received(cid)).find((r) => bodyText(r).includes('"bytes-1"'));
  // The upstream's answer to this very call, not to a request the proxy made of its own carrying the same _meta.
  const sent = (await t.upstream.answerTo(cid, 'tools/call')).answer;
  const problems: string[] = [];
  if (!received) problems.push('the request never reached the upstream');
  else if (bodyText(received) !== raw) problems.push(`request bytes differ: upstream got ${JSON.stringify(bodyText(received).slice(0, 200))}`);
  // Both directions are judged, or the check says it could not be: the upstream answered as JSON, so the client must get the same bytes.
  if (received && !sent) return t.block(BYTES, 'the upstream sent no answer to compare the response bytes with', problems.join('; ') || undefined);
  if (sent && exchange.body !== bodyText(sent)) problems.push(`response bytes differ: client got ${exchange.kind === 'sse' ? 'an SSE stream' : JSON.stringify(exchange.body.slice(0, 200))}`);
  t.judgeProblems(BYTES, problems, {
    seen: { 'request received upstream': received ? 1 : 0, 'upstream answer': sent ? 1 : 0 },
    fail: 'bytes were changed on the way',
    pass: 'request and response bytes crossed unchanged',
    expected: JSON.stringify(raw.slice(0, 200)),
  });
});
