/**
 * The outputs of `proxyspec bench`: perf.json, perf.html (inline SVG charts, each beside a table of
 * its numbers, and the machine described), and the terminal summary.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { esc, page } from './html-kit.ts';
import type { Perf, PerfSummary } from './perf-schema.ts';

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#9c755f', '#b07aa1', '#76b7b2', '#edc948'];

interface Series {
  name: string;
  values: Array<number | undefined>;
}

const fmt = (n: number | undefined, digits = 2) => (n === undefined || Number.isNaN(n) ? '—' : n >= 1000 ? Math.round(n).toLocaleString('en') : n.toFixed(digits));

/** An axis label: as many decimals as the value has (0.25, not 0.3), thousands grouped. */
const tick = (v: number) => (v >= 10 ? fmt(v, 0) : String(Number(v.toFixed(3))));

function niceMax(max: number): number {
  if (max <= 0) return 1;
  const pow = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * pow >= max) return step * pow;
  return 10 * pow;
}

function legend(series: Series[], x: number, y: number): string {
  return series.map((s, i) => `<rect x="${x + i * 130}" y="${y}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/><text x="${x + i * 130 + 16}" y="${y + 11}">${esc(s.name)}</text>`).join('');
}

function axis(height: number, top: number, left: number, width: number, max: number, unit: string): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = top + height - f * height;
    return `<line class="grid" x1="${left}" x2="${left + width}" y1="${y}" y2="${y}"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${esc(tick(max * f))}</text>`;
  });
  return `${ticks.join('')}<text x="${left - 6}" y="${top - 8}" text-anchor="end">${esc(unit)}</text>`;
}

/** Grouped vertical bars: one group per category, one bar per series. */
export function barChart(title: string, categories: string[], series: Series[], unit: string): string {
  const left = 64;
  const top = 24;
  const height = 220;
  const group = Math.max(48, series.length * 18 + 16);
  const width = Math.max(320, categories.length * group);
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== undefined))));
  const bar = (group - 16) / Math.max(series.length, 1);
  const bars = categories.flatMap((c, ci) =>
    series.map((s, si) => {
      const v = s.values[ci];
      if (v === undefined) return '';
      const h = (Math.max(0, v) / max) * height;
      const x = left + ci * group + 8 + si * bar;
      return `<rect x="${x.toFixed(1)}" y="${(top + height - h).toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"><title>${esc(`${s.name}, ${c}: ${fmt(v)} ${unit}`)}</title></rect>`;
    }),
  );
  const labels = categories.map((c, ci) => `<text x="${left + ci * group + group / 2}" y="${top + height + 16}" text-anchor="middle">${esc(c)}</text>`);
  return `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${left + width + 10} ${top + height + 56}" width="100%">${axis(height, top, left, width, max, unit)}${bars.join('')}${labels.join('')}${legend(series, left, top + height + 30)}<line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${top + height}"/></svg>`;
}

/** One line per series over ordered categories (connection counts). */
export function lineChart(title: string, categories: string[], series: Series[], unit: string): string {
  const left = 72;
  const top = 24;
  const height = 220;
  const width = Math.max(320, categories.length * 90);
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== undefined))));
  const xOf = (i: number) => left + (categories.length === 1 ? width / 2 : (i * width) / (categories.length - 1));
  // The axis starts at 0: a value below it (a target measured a hair faster than direct) sits on the axis; its tooltip and table keep the sign.
  const yOf = (v: number) => top + height - (Math.max(0, v) / max) * height;
  const lines = series.map((s, si) => {
    const points = s.values.map((v, i) => (v === undefined ? null : `${xOf(i).toFixed(1)},${yOf(v).toFixed(1)}`)).filter(Boolean);
    const color = PALETTE[si % PALETTE.length];
    const dots = s.values.map((v, i) => (v === undefined ? '' : `<circle cx="${xOf(i).toFixed(1)}" cy="${yOf(v).toFixed(1)}" r="3.5" fill="${color}"><title>${esc(`${s.name}, ${categories[i]}: ${fmt(v)} ${unit}`)}</title></circle>`));
    return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>${dots.join('')}`;
  });
  const labels = categories.map((c, i) => `<text x="${xOf(i)}" y="${top + height + 16}" text-anchor="middle">${esc(c)}</text>`);
  return `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${left + width + 30} ${top + height + 56}" width="100%">${axis(height, top, left, width, max, unit)}${lines.join('')}${labels.join('')}${legend(series, left, top + height + 30)}</svg>`;
}

function table(caption: string, head: string[], rows: Array<Array<string | number | undefined>>): string {
  return `<table><caption class="meta">${esc(caption)}</caption><thead><tr>${head.map((h, i) => `<th scope="col"${i ? ' class="num"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${esc(c)}</th>` : `<td class="num">${typeof c === 'number' ? esc(fmt(c)) : esc(c ?? '—')}</td>`)).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function section(id: string, title: string, intro: string, chart: string, numbers: string): string {
  return `<section aria-labelledby="${id}"><h2 id="${id}">${esc(title)}</h2><p class="meta">${intro}</p><div class="chart"><figure>${chart}</figure><div>${numbers}</div></div></section>`;
}

function targetsOf(perf: Perf): string[] {
  return perf.targets.map((t) => t.name);
}

function find(perf: Perf, scenario: string, target: string, connections?: number): PerfSummary | undefined {
  return perf.summary.find((s) => s.scenario === scenario && s.target === target && (connections === undefined || s.connections === connections));
}

const conns = (n: number | undefined) => `${n} connection${n === 1 ? '' : 's'}`;

/** How finely the latencies were measured, in a sentence (files from before the field say nothing). */
function resolutionNote(perf: Perf): string {
  const coarse = [...new Set(perf.results.filter((r) => r.latencyResolutionMs === 1).map((r) => r.connections))].sort((a, b) => a - b);
  if (!perf.results.some((r) => r.latencyResolutionMs !== undefined)) return '';
  const fine = 'Latencies are each response\'s time at the load generator, kept to the microsecond';
  return coarse.length ? `${fine}, except at ${coarse.join(', ')} connections (worker threads), where they are whole milliseconds.` : `${fine}.`;
}

export function perfHtml(perf: Perf): string {
  const targets = targetsOf(perf);
  const scenarios = [...new Set(perf.summary.map((s) => s.scenario))];
  const sweepOf = (scenario: string) => [...new Set(perf.summary.filter((s) => s.scenario === scenario).map((s) => s.connections))].sort((a, b) => a - b);
  const sweep = sweepOf('small-json');
  const env = perf.environment;
  const parts: string[] = [];
  parts.push(`<header><h1>proxyspec bench: ${targets.filter((t) => t !== 'direct').map(esc).join(', ') || 'direct'}</h1>
<p class="meta">Every figure comes from one run: each target against <code>direct</code> (the same upstream, no proxy), in rotating rounds of ${perf.settings.durationSec} s × ${perf.settings.rounds}. ${esc(resolutionNote(perf))}</p>
<table><caption class="meta">the machine</caption><tbody>
<tr><th scope="row">CPU</th><td>${esc(env.cpuModel)} × ${env.cores}</td></tr>
<tr><th scope="row">memory</th><td>${(env.totalMemoryBytes / 1024 ** 3).toFixed(1)} GB</td></tr>
<tr><th scope="row">system</th><td>${esc(env.platform)} ${esc(env.release)}, Node ${esc(env.node)}</td></tr>
<tr><th scope="row">load average</th><td>before ${env.loadAverageBefore.map((n) => n.toFixed(2)).join(' ')}, after ${env.loadAverageAfter.map((n) => n.toFixed(2)).join(' ')}</td></tr>
<tr><th scope="row">run</th><td>proxyspec ${esc(perf.harness.version)}, ${esc(perf.startedAt)}, ${(perf.durationMs / 1000).toFixed(0)} s</td></tr>
</tbody></table></header>`);

  for (const scenario of scenarios) {
    const rows = perf.summary.filter((s) => s.scenario === scenario);
    const counts = sweepOf(scenario);
    const connections = counts.includes(10) ? 10 : rows[0]?.connections;
    const rate = rows[0]?.offeredRate;
    const at = targets.map((t) => find(perf, scenario, t, connections));
    const series: Series[] = (['p50', 'p90', 'p99'] as const).map((p) => ({ name: p, values: at.map((s) => s?.latencyMs[p]) }));
    parts.push(
      section(
        `lat-${scenario}`,
        `Latency: ${scenario} (${conns(connections)}${rate ? `, ${rate} req/s offered` : ''})`,
        rate
          ? 'Percentiles of request latency at a fixed offered rate, in milliseconds; lower is better. Nothing queues here, so this is what each hop costs.'
          : 'Percentiles of request latency with every connection kept busy, in milliseconds; lower is better. Under such load the median is mostly queueing: connections divided by throughput.',
        barChart(`latency percentiles for ${scenario}`, targets, series, 'ms'),
        table(`${scenario}, ${conns(connections)}`, ['target', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'errors %'], at.map((s, i) => [targets[i], s?.requestsPerSec, s?.latencyMs.p50, s?.latencyMs.p90, s?.latencyMs.p99, s ? s.errorRate * 100 : undefined])),
      ),
    );
  }

  if (sweep.length) {
    const series: Series[] = targets.map((t) => ({ name: t, values: sweep.map((c) => find(perf, 'small-json', t, c)?.requestsPerSec) }));
    parts.push(
      section(
        'throughput',
        'Throughput against concurrency (small JSON calls)',
        'Requests per second at each number of connections; higher is better.',
        lineChart('throughput against concurrency', sweep.map(String), series, 'req/s'),
        table('requests per second', ['target', ...sweep.map((c) => `${c} conn.`)], targets.map((t) => [t, ...sweep.map((c) => find(perf, 'small-json', t, c)?.requestsPerSec)])),
      ),
    );
  }

  const proxied = targets.filter((t) => t !== 'direct');
  const pacedSweep = sweepOf('paced-json');
  if (pacedSweep.length && proxied.length) {
    const rate = find(perf, 'paced-json', 'direct')?.offeredRate;
    const added = (t: string, c: number) => find(perf, 'paced-json', t, c)?.vsDirect?.addedP50Ms;
    parts.push(
      section(
        'added-latency',
        `Added median latency at ${rate ?? 'a fixed'} req/s`,
        'What each target adds to the median of a small call over direct, with requests leaving on a schedule spread over each number of connections; lower is better.',
        lineChart('added median latency against connections', pacedSweep.map(String), proxied.map((t) => ({ name: t, values: pacedSweep.map((c) => added(t, c)) })), 'ms'),
        table('added p50 ms at a fixed rate', ['target', ...pacedSweep.map((c) => `${c} conn.`)], proxied.map((t) => [t, ...pacedSweep.map((c) => added(t, c))])),
      ),
    );
  }
  const ratioRows = perf.summary.filter((s) => s.vsDirect);
  if (ratioRows.length) {
    const cats = [...new Set(ratioRows.map((s) => `${s.scenario} ×${s.connections}`))];
    const series: Series[] = proxied.map((t) => ({ name: t, values: cats.map((c) => ratioRows.find((s) => s.target === t && `${s.scenario} ×${s.connections}` === c)?.vsDirect?.throughputRatio) }));
    parts.push(
      section(
        'overhead',
        'Overhead against direct',
        'Throughput as a share of direct (1 = no cost), and the latency each target adds to the median and the 99th percentile.',
        barChart('throughput ratio against direct', cats, series, '× direct'),
        table(
          'against direct, same run',
          ['target / scenario', 'throughput × direct', 'added p50 ms', 'added p99 ms'],
          ratioRows.map((s) => [`${s.target}: ${s.scenario} ×${s.connections}`, s.vsDirect!.throughputRatio, s.vsDirect!.addedP50Ms, s.vsDirect!.addedP99Ms]),
        ),
      ),
    );
  }

  const floorRows = perf.summary.filter((s) => s.vsFloor);
  if (floorRows.length) {
    parts.push(
      section(
        'vs-floor',
        'Against the floor',
        'Throughput as a share of the floor (a minimal node:http pass-through: one more loopback hop and nothing else), and the 99th percentile beyond the floor\'s, in the same run; what a proxy costs beyond the hop itself.',
        barChart('throughput ratio against the floor', floorRows.map((s) => `${s.target}: ${s.scenario} ×${s.connections}`), [{ name: '× floor', values: floorRows.map((s) => s.vsFloor!.throughputRatio) }], '× floor'),
        table('against the floor, same run', ['target / scenario', 'throughput × floor', 'p99 beyond the floor\'s, ms'], floorRows.map((s) => [`${s.target}: ${s.scenario} ×${s.connections}`, s.vsFloor!.throughputRatio, s.vsFloor!.addedP99Ms])),
      ),
    );
  }

  if (perf.memory.length) {
    const measured = perf.memory.filter((m) => m.bytesPerSession !== null);
    parts.push(
      section(
        'memory',
        'Memory per idle session',
        'Growth of the resident memory of the target\'s whole process tree per open, idle session, in KB; lower is better.',
        measured.length ? barChart('memory per idle session', measured.map((m) => m.target), [{ name: 'KB per session', values: measured.map((m) => m.bytesPerSession! / 1024) }], 'KB') : '',
        table(
          'idle sessions (KB per session: the slope of resident memory over the batches, ± its standard error)',
          ['target', 'sessions', 'RSS before MB', 'RSS after MB', 'KB per session', '± KB'],
          perf.memory.map((m) => [m.target, m.sessions, m.rssBeforeBytes / 1024 ** 2, m.rssAfterBytes / 1024 ** 2, m.bytesPerSession === null ? 'not measurable in this run' : m.bytesPerSession / 1024, m.slopeStdErrBytes === undefined ? undefined : m.slopeStdErrBytes / 1024]),
        ),
      ),
    );
  }

  const rounds = perf.results;
  parts.push(`<section aria-labelledby="rounds"><h2 id="rounds">Every round</h2><p class="meta">The load generator's own CPU is shown per round: near 100 % means it, not the target, set the pace.</p>${table(
    'all rounds in the order run',
    ['scenario / target', 'round', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'generator CPU %'],
    rounds.map((r) => [`${r.scenario} / ${r.target}`, r.round, r.connections, r.requestsPerSec, r.latencyMs.p50, r.latencyMs.p99, r.errors + r.timeouts, r.non2xx, r.loadGeneratorCpuPercent]),
  )}${perf.notes.length ? `<ul>${perf.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}</section>`);

  return page(`proxyspec bench — ${proxied.join(', ')}`, parts.join('\n'));
}

export function perfTerminal(perf: Perf): string {
  const lines = ['', `${'scenario'.padEnd(16)}${'target'.padEnd(20)}${'conn'.padStart(6)}${'req/s'.padStart(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'× direct'.padStart(10)}${'+p50 ms'.padStart(9)}${'× floor'.padStart(9)}`];
  for (const s of perf.summary) {
    lines.push(
      `${s.scenario.padEnd(16)}${s.target.padEnd(20)}${String(s.connections).padStart(6)}${fmt(s.requestsPerSec, 0).padStart(10)}${fmt(s.latencyMs.p50).padStart(9)}${fmt(s.latencyMs.p99).padStart(9)}${(s.vsDirect ? fmt(s.vsDirect.throughputRatio) : '').padStart(10)}${(s.vsDirect ? fmt(s.vsDirect.addedP50Ms) : '').padStart(9)}${(s.vsFloor ? fmt(s.vsFloor.throughputRatio) : '').padStart(9)}`,
    );
  }
  for (const m of perf.memory) {
    const spread = m.slopeStdErrBytes === undefined ? '' : ` ± ${(m.slopeStdErrBytes / 1024).toFixed(1)}`;
    const figure = m.bytesPerSession === null ? `not measurable in this run (the spread${spread} KB is as large as the trend)` : `${(m.bytesPerSession / 1024).toFixed(1)}${spread} KB per session`;
    lines.push(`idle sessions   ${m.target.padEnd(20)}${String(m.sessions).padStart(6)}  ${figure}`);
  }
  lines.push(`machine: ${perf.environment.cpuModel} × ${perf.environment.cores}, Node ${perf.environment.node}`);
  return `${lines.join('\n')}\n`;
}

export async function writePerf(perf: Perf, outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const files = { 'perf.json': `${JSON.stringify(perf, null, 2)}\n`, 'perf.html': perfHtml(perf) };
  for (const [name, text] of Object.entries(files)) await writeFile(join(outDir, name), text);
  return Object.keys(files).map((f) => join(outDir, f));
}
