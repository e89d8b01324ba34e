/**
 * Streams stay streams: progress arrives while the tool runs, server requests reach the client and its
 * answers reach the upstream, the GET stream carries server notifications, framing and priming survive.
 */
import { bodyJson, scenario, waitUntil, type ScenarioContext, type SseEventRecord } from '../../harness/src/index.ts';

const FRAMING = 'transparency/response-framing-preserved';
const PROGRESS = 'transparency/progress-streamed';
const SERVER_REQUEST = 'transparency/server-request-relayed';
const GET_STREAM = 'transparency/get-stream-relayed';
const PRIMING = 'transparency/sse-priming-relayed';
const PRIMED_OVER_STDIO = 'transparency/sse-primed-over-stdio';
const UNBUFFERED = 'transparency/sse-unbuffered';

const isMethod = (e: SseEventRecord, method: string) => (e.json as Record<string, unknown> | undefined)?.method === method;

scenario('A proxy SHOULD keep JSON answers JSON and SSE answers SSE', [FRAMING], async (t: ScenarioContext) => {
  const client = await t.session();
  const asJson = await client.callTool('echo', { cid: t.cid() }, { cid: t.cids.at(-1) });
  const asSse = await client.callTool('echo', { cid: t.cid() }, { cid: t.cids.at(-1), sse: true });
  const problems: string[] = [];
  if (asJson.exchange.kind !== 'json') problems.push(`a JSON answer arrived as ${asJson.exchange.kind} (${asJson.exchange.headers['content-type'] ?? 'no content-type'})`);
  if (asSse.exchange.kind !== 'sse') problems.push(`an SSE answer arrived as ${asSse.exchange.kind} (${asSse.exchange.headers['content-type'] ?? 'no content-type'})`);
  t.judgeProblems(FRAMING, problems, {
    seen: { answers: [asJson, asSse].filter((c) => c.exchange.outcome === 'answered').length === 2 ? 2 : 0 },
    fail: 'the proxy changed how answers are framed',
    pass: 'JSON stayed JSON and SSE stayed SSE',
    expected: 'application/json for the JSON answer, text/event-stream for the SSE answer',
  });
});

// Every stream the client was sent, the relayed ones and those a bridge makes itself (a stdio server's answer).
scenario('A proxy SHOULD open each SSE stream with X-Accel-Buffering: no', [UNBUFFERED], async (t: ScenarioContext) => {
  const client = t.client();
  const cid = t.cid();
  const streamed = await client.callTool('progress', { count: 2, intervalMs: 0, cid }, { cid, meta: { progressToken: `unbuffered-${cid}` } });
  if (streamed.exchange.kind !== 'sse') return t.block(UNBUFFERED, 'the call that streams its progress was not answered with an SSE stream, so there was no stream to judge', `HTTP ${streamed.exchange.status || streamed.exchange.outcome} (${streamed.exchange.headers['content-type'] ?? 'no content-type'})`);
  const header = streamed.exchange.headers['x-accel-buffering'];
  t.judge(UNBUFFERED, header?.trim().toLowerCase() === 'no', {
    seen: { 'SSE streams': 1 },
    message: header === undefined ? 'the SSE stream came without X-Accel-Buffering' : header.trim().toLowerCase() === 'no' ? 'the SSE stream came with X-Accel-Buffering: no' : `the SSE stream came with X-Accel-Buffering: ${header}`,
    expected: 'X-Accel-Buffering: no on the SSE answer',
    observed: `X-Accel-Buffering: ${header ?? '(absent)'}`,
  });
});

/*
 * In the session era the standalone GET stream is open beside the calls below: a proxy that sends
 * what belongs to a call there breaks a SHOULD of the transport, not the MUST that it reach the
 * client, and the verdict says where it went.
 */
scenario('A proxy MUST relay progress notifications while the tool is still running', [PROGRESS], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const token = `progress-${cid}`;
  const isOurs = (e: SseEventRecord) => isMethod(e, 'notifications/progress') && (e.json as { params?: { progressToken?: unknown } }).params?.progressToken === token;
  const stream = await client.standaloneStream();
  let firstProgressAt: number | undefined;
  let onGetStream = false;
  const seeFirst = (e: SseEventRecord) => {
    if (firstProgressAt !== undefined) return;
    firstProgressAt = e.at;
    void t.upstream.release(cid);
  };
  void stream?.waitFor(isOurs, 12_000).then((e) => e && firstProgressAt === undefined && ((onGetStream = true), seeFirst(e)));
  // The upstream sends one notification, then waits until the harness has seen it arrive: a proxy
  // that buffers the stream never lets it through, and the upstream goes on only when its gate times out.
  const { exchange, response } = await client.callTool('progress', { cid, count: 3, intervalMs: 0, gate: true, gateTimeoutMs: 6000 }, {
    cid,
    meta: { progressToken: token, 'io.proxyspec/cid': cid },
    timeoutMs: 12_000,
    onEvent: (e) => isMethod(e, 'notifications/progress') && seeFirst(e),
  });
  // The call's own stream, and the standalone one for what the proxy sent there (which may come a moment after the result, on its other connection).
  const onCall = exchange.events.filter((e) => isMethod(e, 'notifications/progress'));
  if (stream && onCall.length < 3) await waitUntil(async () => stream.events.filter(isOurs).length, (n) => onCall.length + n >= 3, 1000);
  const progress = [...onCall, ...(stream?.events.filter(isOurs) ?? [])];
  // When did the upstream send its second notification? Only after the gate opened, or after it gave up.
  // Followed by the token the upstream got, which a proxy may have put in place of the client's.
  const upstreamProgress = await t.upstream.progressFor(cid, 'tools/call');
  const secondSentAt = upstreamProgress[1]?.at;
  const problems: string[] = [];
  if (!response) problems.push(`no result came back (HTTP ${exchange.status}${exchange.error ? `, ${exchange.error}` : ''})`);
  if (progress.length !== 3) problems.push(`${progress.length} of 3 progress notifications reached the client`);
  // In the order the upstream sent them: each progress value above the one before (on the call's own stream, where order is kept).
  const values = onCall.map((e) => (e.json as { params?: { progress?: unknown } }).params?.progress);
  if (values.some((v, i) => i > 0 && !(typeof v === 'number' && typeof values[i - 1] === 'number' && v > (values[i - 1] as number)))) problems.push(`progress arrived out of order: ${values.join(', ')}`);
  // Nothing for the call after its answer, on its own stream, where order is kept (the GET stream is another connection, whose timing is its own).
  const answeredAt = exchange.events.findIndex((e) => {
    const m = e.json as { id?: unknown; method?: unknown } | undefined;
    return m?.id !== undefined && m.method === undefined;
  });
  const late = answeredAt < 0 ? [] : exchange.events.slice(answeredAt + 1).filter((e) => isMethod(e, 'notifications/progress'));
  if (late.length) problems.push(`${late.length} progress notification(s) came on the call's stream after its answer`);
  if (firstProgressAt === undefined) problems.push('no progress notification reached the client');
  else if (secondSentAt === undefined) problems.push('the upstream never sent its second notification');
  else {
    // The upstream itself says whether the harness let it go on (having seen the first notification)
    // or it gave up waiting. That is the verdict; the two processes' clocks may differ by a few
    // milliseconds, so their timestamps decide only for an upstream answer that does not say.
    const released = ((response?.result as { structuredContent?: { released?: unknown } } | undefined)?.structuredContent ?? {}).released;
    if (released === false) problems.push(`the first notification reached the client only after the upstream had given up waiting for it (6 s) and gone on${firstProgressAt > secondSentAt ? `, ${Math.round(firstProgressAt - secondSentAt)} ms after its second` : ''}`);
    else if (released !== true && firstProgressAt > secondSentAt) problems.push(`the first notification reached the client ${Math.round(firstProgressAt - secondSentAt)} ms after the upstream had gone on without it`);
  }
  t.judgeProblems(PROGRESS, problems, {
    seen: { 'progress notifications at the client': progress.length, 'sent upstream': upstreamProgress.length },
    fail: 'progress was not streamed',
    pass: `the first progress notification arrived while the tool was still running${onGetStream ? ', on the standalone GET stream rather than on the stream of the call it belongs to (the transport says it SHOULD be on that one)' : ''}`,
    expected: 'progress 1 delivered before the upstream sends progress 2, then 3 and the result',
  });
});

scenario('A proxy MUST relay a sampling request to the client and its answer upstream', [SERVER_REQUEST], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const answerText = `sampled answer for ${cid}`;
  let asked: Record<string, unknown> | undefined;
  let onGetStream = false;
  let reply: Promise<import('../../harness/src/index.ts').Exchange> | undefined;
  const answer = (e: SseEventRecord) => {
    const m = e.json as Record<string, unknown> | undefined;
    if (asked || m?.method !== 'sampling/createMessage' || !('id' in m)) return false;
    asked = m;
    reply = client.post({ jsonrpc: '2.0', id: m.id, result: { role: 'assistant', content: { type: 'text', text: answerText }, model: 'proxyspec', stopReason: 'endTurn' } });
    return true;
  };
  // A proxy that sends the request on the standalone stream still relays it, and is told where it went.
  const stream = await client.standaloneStream();
  const call = client.callTool('sample', { cid, prompt: 'Say hello' }, { cid, timeoutMs: 8000, onEvent: (e) => void answer(e) });
  if (stream) void stream.waitFor((e) => !asked && (e.json as { method?: unknown } | undefined)?.method === 'sampling/createMessage', 8000).then((e) => e && answer(e) && (onGetStream = true));
  const called = await call;
  const replied = await reply;
  const problems: string[] = [];
  if (!asked) problems.push('the sampling request never reached the client');
  if (replied && replied.status !== 202) problems.push(`the client's answer got HTTP ${replied.status} instead of 202`);
  // The answer must reach the upstream under the id the upstream gave its request (a proxy may show
  // the client an id of its own): found by what it carries, then held to that id.
  const upstreamAsk = (await t.upstream.sent(cid)).map((r) => bodyJson(r) as Record<string, unknown> | undefined).find((m) => m?.method === 'sampling/createMessage');
  const answers = (await t.upstream.records({ direction: 'in' }))
    .map((r) => bodyJson(r) as Record<string, unknown> | undefined)
    .filter((m) => !!m && JSON.stringify(m.result ?? '').includes(answerText));
  if (asked && answers.length === 0) problems.push('the client\'s answer never reached the upstream');
  else if (asked && upstreamAsk && !answers.some((m) => m!.id === upstreamAsk.id)) problems.push(`the client's answer reached the upstream with id ${JSON.stringify(answers[0]!.id)}, not ${JSON.stringify(upstreamAsk.id)}, the id of the upstream's request`);
  const final = JSON.stringify(called.response?.result ?? '');
  if (!final.includes(answerText)) problems.push(`the tool result did not carry the client's answer (HTTP ${called.exchange.status}${called.exchange.error ? `, ${called.exchange.error}` : ''})`);
  t.judgeProblems(SERVER_REQUEST, problems, {
    seen: { 'sampling requests at the client': asked ? 1 : 0 },
    fail: problems[0] ?? 'the server→client round trip broke',
    pass: onGetStream
      ? 'the sampling request reached the client and its answer reached the upstream; the request came on the standalone GET stream, not on the stream of the call it belongs to (the transport says it SHOULD relate to the originating request)'
      : 'the sampling request reached the client and its answer reached the upstream',
    expected: 'sampling/createMessage on the call\'s stream; the client\'s response → 202 and upstream; the tool result carries it',
  });
});

scenario('A proxy MUST relay server notifications on the GET stream', [GET_STREAM], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const stream = await client.openGet();
  const problems: string[] = [];
  let onCallStream = false;
  if (stream.status !== 200) {
    problems.push(`GET got HTTP ${stream.status} although the upstream offers a GET stream`);
  } else if (!/^text\/event-stream\b/i.test(stream.contentType ?? '')) {
    problems.push(`GET got HTTP 200 with Content-Type ${JSON.stringify(stream.contentType ?? null)}, not text/event-stream`);
  } else {
    // A proxy may answer the client's GET before its own GET upstream is open: the notification is
    // sent again (a second apart, five times at most) until the upstream has a stream to send it on.
    let notify = await client.callTool('notify', { cid, data: { cid } }, { cid });
    const deliveredOf = (call: typeof notify) => (call.response?.result as { structuredContent?: { delivered?: boolean } } | undefined)?.structuredContent?.delivered;
    for (let tries = 1; deliveredOf(notify) === false && tries < 5; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      notify = await client.callTool('notify', { cid, data: { cid } }, { cid });
    }
    const delivered = deliveredOf(notify);
    // A stdio server has one output: a bridge cannot tell an unrelated notification from one about the
    // call in flight, so on the call's own stream it is delivered too.
    onCallStream = t.ctx.target.upstream === 'stdio' && notify.exchange.events.some((e) => e.data.includes(cid));
    const got = onCallStream || (await stream.waitFor((e) => e.data.includes(cid), 5000));
    if (delivered === false) problems.push('the upstream saw no open GET stream for this session');
    if (!got) problems.push('the notification never arrived on the client\'s GET stream');
  }
  stream.close();
  // A stream the client did not resume carries requests and notifications, never a response.
  const responses = stream.events.filter((e) => {
    const m = e.json as Record<string, unknown> | undefined;
    return m !== undefined && 'id' in m && ('result' in m || 'error' in m) && !('method' in m);
  });
  if (responses.length) problems.push(`the GET stream carried ${responses.length} JSON-RPC responses, the first ${responses[0]!.data.slice(0, 120)}`);
  t.judge(GET_STREAM, problems.length === 0, {
    seen: { 'GET streams opened': stream.status === 200 ? 1 : 0 },
    message: problems.length
      ? 'the GET stream did not carry the notification'
      : onCallStream
        ? 'the server notification reached the client, on the stream of the call in flight (stdio upstream)'
        : 'the server notification arrived on the GET stream',
    expected: 'notifications/message with the correlation id on the GET stream',
    observed: problems.join('; ') || undefined,
  });
});

scenario('A proxy that makes SSE streams for a stdio server SHOULD open each with a priming event', [PRIMED_OVER_STDIO], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  // Progress before the result: the proxy answers with a stream of its own making.
  const { exchange } = await client.callTool('progress', { cid, count: 2, intervalMs: 10 }, { cid, meta: { progressToken: `prime-${cid}` } });
  if (exchange.kind !== 'sse') return t.block(PRIMED_OVER_STDIO, 'the call was not answered with a stream, so there was no stream to prime', `HTTP ${exchange.status || exchange.outcome}, ${exchange.headers['content-type'] ?? 'no content-type'}`);
  const [first] = exchange.events;
  const primed = first !== undefined && first.data === '' && first.id !== undefined && first.id !== '';
  t.judge(PRIMED_OVER_STDIO, primed, {
    seen: { 'SSE events at the client': exchange.events.length },
    message: primed
      ? `the stream opened with the priming event (id ${first!.id}, empty data${exchange.retries?.length ? `, retry ${exchange.retries[0]}` : ''}) before its ${exchange.events.length - 1} messages`
      : `the stream opened with ${first ? JSON.stringify({ id: first.id, data: first.data.slice(0, 80) }) : 'nothing'}, not with a priming event`,
    expected: 'the first SSE event: an event id and an empty data field',
    observed: primed ? undefined : `first event: ${first ? JSON.stringify({ id: first.id ?? null, data: first.data.slice(0, 120) }) : 'none'}`,
  });
});

scenario('A proxy SHOULD relay the priming SSE event and its retry field', [PRIMING], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const { exchange } = await client.callTool('echo', { cid }, { cid, sse: true });
  const priming = exchange.events.find((e) => e.data === '' && e.id !== undefined);
  // The mock upstream announces retry: 2500 on its priming event.
  const retried = (exchange.retries ?? []).includes(2500);
  const problems: string[] = [];
  if (!priming) problems.push(`no priming event; events: ${exchange.events.map((e) => JSON.stringify({ id: e.id, data: e.data.slice(0, 40) })).join(', ') || '(none)'}`);
  if (!retried) problems.push(`the retry field did not arrive (got ${JSON.stringify(exchange.retries ?? [])})`);
  t.judgeProblems(PRIMING, problems, {
    seen: { 'SSE events at the client': exchange.events.length },
    fail: 'the priming event or its retry field was dropped',
    pass: 'the priming event (id, empty data) and retry: 2500 reached the client',
    expected: 'an SSE event with an id and empty data, and retry: 2500, before the response',
  });
});
