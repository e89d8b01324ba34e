#!/usr/bin/env node
// Where a proxy's CPU went, from a V8 CPU profile (node --cpu-prof): busy time by what it was spent
// on, start-up left out, with the microseconds per request when the request count is given.
//
//   node scripts/cpu-profile-summary.mjs <file.cpuprofile> [requests]
//
// The profile of the reference proxy under load comes from examples/targets/reference-cpu-profile.yaml
// (README, "Performance": where the reference proxy's time goes).
import { readFileSync } from 'node:fs';

const [file, requestsArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node scripts/cpu-profile-summary.mjs <file.cpuprofile> [requests]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);

const ancestors = function* (id) {
  for (let at = id; at !== undefined; at = parent.get(at)) yield nodes.get(at).callFrame;
};

const SOCKET_WRITES = new Set(['writev', 'writeUtf8String', 'writeString', 'writeBuffer', 'writeLatin1String']);
const STARTUP = /internal\/modules\/(esm|cjs)/;

/** What a sample's own frame was doing, by where its code lives. */
function bucket(id) {
  const { url, functionName: name } = nodes.get(id).callFrame;
  if (name === '(idle)') return undefined;
  for (const frame of ancestors(id)) if (STARTUP.test(frame.url)) return 'start-up';
  if (name === '(garbage collector)') return 'garbage collection';
  if (SOCKET_WRITES.has(name)) return 'socket writes (syscalls)';
  if (url.includes('/node_modules/undici')) return 'undici: the upstream client';
  if (/\/node_modules\/(fastify|find-my-way|avvio|fast-json-stringify)/.test(url)) return 'fastify: routing, hooks, reply';
  if (url.includes('rate-limit')) return 'rate limiting';
  if (url.includes('/node_modules/jose') || url.includes('proxy/src/auth')) return 'auth: the token check';
  if (/pino|sonic-boom|prom-client|proxy\/src\/observe/.test(url)) return 'logging, metrics, audit';
  if (url.includes('proxy/src')) return 'MCP logic (proxy/src): parse, route, sessions, relay';
  if (url.startsWith('node:_http') || name.startsWith('parserOn')) return 'node:http: parsing and heads';
  if (/streams|node:events|task_queues|internal\/timers/.test(url) || name === 'runMicrotasks') return 'streams, events, promises';
  if (name === '(program)') return 'V8 and native (JSON among them)';
  return 'other';
}

const spent = new Map();
profile.samples.forEach((id, i) => {
  const what = bucket(id);
  if (what) spent.set(what, (spent.get(what) ?? 0) + profile.timeDeltas[i]);
});
spent.delete('start-up');
const busy = [...spent.values()].reduce((a, b) => a + b, 0);
const requests = Number(requestsArg) || 0;
process.stdout.write(`busy ${(busy / 1000).toFixed(0)} ms (start-up left out)${requests ? `, ${requests} requests: ${(busy / requests).toFixed(0)} µs each` : ''}\n`);
for (const [what, us] of [...spent].sort((a, b) => b[1] - a[1])) {
  process.stdout.write(`${((100 * us) / busy).toFixed(1).padStart(5)} %${requests ? `${(us / requests).toFixed(1).padStart(8)} µs` : ''}  ${what}\n`);
}
