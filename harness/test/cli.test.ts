/** The CLI as a user meets it: built-in targets, profile errors, setup errors, exit codes, outputs. */
import { existsSync } from 'node:fs';
import type { Report } from '../../reports/src/index.ts';
import { mkdtemp, readFile, readlink, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { coverageOf } from '../src/checks/coverage.ts';
import type { Revision } from '../../wire/index.ts';
import { describe, expect, test } from 'vitest';
import { waitUntil } from '../src/record/wait.ts';
import { startMockEnvironment } from '../src/fixture/environment.ts';
import { fill } from '../src/targets/placeholders.ts';
import { stringify } from 'yaml';
import { REFERENCE_FEATURES, REFERENCE_HINTS } from '../../catalogue/reference.ts';
import { BIN, brokenProfile, cli, runTarget, verdicts } from './cli-helpers.ts';

async function tempProfile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'proxyspec-profile-'));
  const file = join(dir, 'target.yaml');
  await writeFile(file, text);
  return file;
}

// Every test runs its own CLI processes in its own folders: they can run at the same time.
describe.concurrent('proxyspec run', () => {
  test('direct passes every transparency check and writes every output', async () => {
    const { code, report, outDir } = await runTarget('direct', ['--require-level', '1']);
    expect(code).toBe(0);
    const transparency = report.checks.filter((c) => c.suite === 'transparency');
    expect(transparency.length).toBeGreaterThan(0);
    // Checks that judge a proxy (or a revision other than the run's) are n/a; every other one passes.
    expect(transparency.filter((c) => c.verdict !== 'pass' && c.verdict !== 'n/a').map((c) => c.id)).toEqual([]);
    expect(transparency.filter((c) => c.verdict === 'pass').length).toBeGreaterThan(5);
    expect(report.checks.find((c) => c.id === 'boundary/authorization-not-forwarded')?.verdict).toBe('n/a');
    for (const file of ['report.json', 'junit.xml', 'summary.md']) expect((await stat(join(outDir, file))).size).toBeGreaterThan(0);
    // The coverage of the run's revision, as `proxyspec coverage` counts it, in report.json and index.html.
    const coverage = coverageOf(report.spec as Revision);
    expect(report.coverage).toMatchObject({ revision: report.spec, must: coverage.must, should: coverage.should });
    expect(report.coverage?.untestedMusts).toHaveLength(coverage.must.untested);
    expect(await readFile(join(outDir, 'index.html'), 'utf8')).toContain(`Coverage of MCP ${report.spec}`);
  });

  // The full reference run at L2 is the suites-reference project (every verdict must pass) and the
  // quick start in .ci/run (--require-level 2): here only the default output folder is judged.
  test('without --out, the reports go to reports/out/<target>-<time> and reports/out/latest points there', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'proxyspec-cwd-'));
    const { code, stdout } = await cli(['run', '--target', 'direct', '--suite', 'transparency'], { cwd });
    expect(code).toBe(0);
    expect(stdout).toMatch(/Reports: .*reports\/out\/direct-/);
    const latest = await readlink(join(cwd, 'reports/out/latest'));
    expect(latest).toMatch(/^direct-/);
    const report = JSON.parse(await readFile(join(cwd, 'reports/out/latest/report.json'), 'utf8'));
    expect(report.target.name).toBe('direct');
    for (const file of ['junit.xml', 'summary.md', 'index.html']) expect((await stat(join(cwd, 'reports/out/latest', file))).size).toBeGreaterThan(0);
  });

  test('--only narrows the run and the rest is skipped', async () => {
    const { report } = await runTarget('direct', ['--only', 'transparency/id-*']);
    expect(verdicts(report, ['pass'])).toEqual(['transparency/id-preserved']);
    expect(report.checks.filter((c) => c.verdict === 'skipped').length).toBe(report.checks.length - 1);
    expect(report.levels[0].state).toBe('partial');
  });

  test('a misspelt profile key exits 2 and names the key', async () => {
    const file = await tempProfile('name: typo\ncomand: ./proxy --port {port}\n');
    const { code, stderr } = await cli(['run', '--target', file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/comand/);
  });

  test('the SDK v1 upstream is legacy only: a profile or a command line asking it for another era exits 2 and says why', async () => {
    const file = await tempProfile('name: sdk\ncommand: ./proxy --port {port}\nupstreamServer: sdk-v1\nupstreamEra: modern\n');
    const fromProfile = await cli(['run', '--target', file]);
    expect(fromProfile.code).toBe(2);
    expect(fromProfile.stderr).toMatch(/upstreamEra/);
    const fromFlags = await cli(['run', '--target', 'direct', '--upstream-server', 'sdk-v1', '--upstream-era', 'dual']);
    expect(fromFlags.code).toBe(2);
    expect(fromFlags.stderr).toMatch(/legacy era only/);
  });

  test('reference-stdio in front of the TypeScript SDK v1 server, under 2026-07-28: bridged, every check judged, Level 2 reached, and what reaches the client is valid 2026-07-28', async () => {
    // The SDK v1 server, its every line recorded, can take more than the bundled config's 3 s to answer
    // 5 MB with 10 MB on a busy machine; this run is not about timeouts, so the proxy waits 15 s (and is told so).
    const patient = await tempProfile(
      stringify({
        name: 'reference-stdio-patient',
        command: `${process.execPath} ${BIN} proxy --config ${join(dirname(BIN), '../proxy/configs/reference-stdio.yaml')} --upstream-timeout-ms 15000 --port {port}`,
        upstream: 'stdio',
        features: [...REFERENCE_FEATURES.stdio],
        config: { ...REFERENCE_HINTS, upstreamTimeoutMs: 15_000 },
      }),
    );
    const { code, report } = await runTarget(patient, ['--upstream-server', 'sdk-v1', '--require-level', '2']);
    expect(report.spec).toBe('2026-07-28');
    expect(report.target).toMatchObject({ upstream: 'stdio', upstreamEra: 'legacy', upstreamServer: 'sdk-v1' });
    // The verdicts first: when this fails, the message names the check, not just the exit code.
    expect(report.checks.filter((c) => ['fail', 'warn', 'blocked', 'untested', 'error'].includes(c.verdict)).map((c) => `${c.id} ${c.verdict}: ${c.message}`)).toEqual([]);
    expect(code).toBe(0);
    expect(report.level).toBe(2);
    expect(verdicts(report, ['pass'])).toEqual(expect.arrayContaining(['transparency/call-relayed', 'transparency/messages-schema-valid', 'transparency/subscription-relayed', 'auth/private-results-not-shared', 'interop/sdk-v2-client']));
    const schema = report.checks.find((c) => c.id === 'transparency/messages-schema-valid')!;
    expect(schema.message).toMatch(/valid: for 2026-07-28 to the client, for 2025-11-25 to the upstream/);
  });

  test('a misspelt or mistyped hint exits 2 and names it', async () => {
    for (const config of ['{ sessionIdleTimeout: 10000 }', '{ sessionIdleTimeoutMs: soon }']) {
      const file = await tempProfile(`name: hint\ncommand: ./proxy --port {port}\nconfig: ${config}\n`);
      const { code, stderr } = await cli(['run', '--target', file]);
      expect(code).toBe(2);
      expect(stderr).toMatch(/sessionIdleTimeout/);
    }
  });

  test('without its hints the reference proxy (in the session era, where idle reaping applies) leaves those checks untested, says which hint to give, and its level partial', async () => {
    const hinted = ['session/idle-reaped', 'errors/upstream-timeout-attributable', 'auth/scope-enforced'];
    const { code, report, stdout, summary } = await runTarget('harness/test/fixtures/reference-no-hints.yaml', ['--spec', '2025-11-25', '--require-level', '2', '--only', [...hinted, 'transparency/call-relayed'].join(',')]);
    expect(verdicts(report, ['untested'])).toEqual([...hinted].sort());
    expect(verdicts(report, ['pass'])).toEqual(['transparency/call-relayed']);
    for (const [id, hint] of [['session/idle-reaped', 'sessionIdleTimeoutMs'], ['errors/upstream-timeout-attributable', 'upstreamTimeoutMs'], ['auth/scope-enforced', 'toolScope']]) {
      expect(report.checks.find((c) => c.id === id)?.message).toContain(`config.${hint}`);
      // The first lines of the terminal summary and of summary.md say what to add.
      expect(stdout.split('\n').slice(0, 3).join('\n')).toContain(`config.${hint}`);
      expect(summary.split('\n').slice(0, 3).join('\n')).toContain(`config.${hint}`);
    }
    expect(report.levels[1].state).toBe('partial');
    expect(report.levels[1].reason).toMatch(/3 checks untested/);
    expect(code).toBe(1);
  });

  test('an unknown placeholder exits 2 and says which', async () => {
    const file = await tempProfile('name: ph\ncommand: ./proxy --port {prot}\n');
    const { code, stderr } = await cli(['run', '--target', file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/\{prot\}/);
  });

  test('the authorization server placeholders are filled: issuer, JWKS, the target\'s URL as audience, a JWT for the upstream', async () => {
    const file = await tempProfile(
      [
        'name: with-auth',
        `command: "printf '%s\\n' \\"$PROXYSPEC_ISSUER\\" {jwks_uri} {audience} {upstream_token} > seen.txt; exec node ${JSON.stringify(BIN).slice(1, -1)} mock proxy --port {port} --upstream {upstream_url}"`,
        '',
      ].join('\n'),
    );
    const { code, stderr } = await cli(['run', '--target', file, '--only', 'transparency/id-preserved']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [issuer, jwksUri, audience, token] = (await readFile(join(dirname(file), 'seen.txt'), 'utf8')).trim().split('\n');
    expect(issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(jwksUri).toBe(`${issuer}/jwks`);
    expect(audience).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    expect(payload.iss).toBe(issuer);
    expect(payload.client_id).toBe('proxyspec-proxy');
    expect(payload.aud).not.toBe(audience);
  });

  test('a command that crashes at start exits 3 with the tail of its stderr', async () => {
    const file = await tempProfile('name: crash\ncommand: "echo boom-at-start >&2; exit 7"\n');
    const { code, stderr } = await cli(['run', '--target', file]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/exit code 7/);
    expect(stderr).toMatch(/boom-at-start/);
  });

  test('a command that never listens exits 3 when its ready timeout passes', async () => {
    const file = await tempProfile('name: silent\ncommand: "sleep 30"\nready: { timeoutMs: 500 }\n');
    const { code, stderr } = await cli(['run', '--target', file]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/within 500 ms/);
  });

  test('an image target with no engine reachable exits 3 and says how to start one (DOCKER_HOST)', async () => {
    const file = await tempProfile('name: img\nimage: example/proxy:1\nargs: [--port, "{port}"]\n');
    const { code, stderr } = await cli(['run', '--target', file], { env: { DOCKER_HOST: 'unix:///nonexistent/proxyspec-test.sock' } });
    expect(code).toBe(3);
    expect(stderr).toMatch(/no container engine is reachable/);
    expect(stderr).toMatch(/DOCKER_HOST/);
    expect(stderr).toMatch(/podman system service/);
  });

  test('args without an image exit 2: a command carries its own', async () => {
    const file = await tempProfile('name: args\ncommand: ./proxy --port {port}\nargs: [--verbose]\n');
    const { code, stderr } = await cli(['run', '--target', file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/args are the arguments of an image/);
  });

  test('a profile that passes {upstream_command} without upstream: stdio exits 2 and says what to add', async () => {
    const file = await tempProfile('name: bridge\ncommand: ./bridge --port {port} -- {upstream_command}\n');
    const { code, stderr } = await cli(['run', '--target', file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/passes \{upstream_command\} .* but does not say upstream: stdio/);
  });

  test('{upstream_base_url} is the mock upstream without its /mcp path', async () => {
    const env = await startMockEnvironment();
    try {
      const values = env.placeholders(1234);
      expect(fill('{upstream_base_url}/mcp', values, 'command')).toBe(values.upstream_url);
      expect(values.upstream_base_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await env.close();
    }
  });

  test('a target that speaks only the session era, run with no --spec, is told so and judged there too; with --spec 2026-07-28 given, only told', async () => {
    const only = ['--upstream-era', 'legacy', '--only', 'transparency/call-relayed,transparency/id-preserved'];
    const { code, report, stdout, outDir } = await runTarget('direct', only);
    expect(report.spec).toBe('2026-07-28');
    expect(report.relay?.ok).toBe(false);
    const first = stdout.split('\n')[0];
    expect(first).toMatch(/before any check had run .* It answers initialize \(protocolVersion 2025-11-25\): it speaks the session era, not 2026-07-28\. Run again with --spec 2025-11-25/);
    // Two checks selected: no level is complete, and the two pass there.
    expect(first).toMatch(/No --spec was given, so it was judged under 2025-11-25 too: achieved no level \(2 pass, \d+ skipped\)/);
    expect(stdout).toMatch(/Under 2025-11-25, the era the target speaks:/);
    const followed = JSON.parse(await readFile(join(outDir, '2025-11-25', 'report.json'), 'utf8')) as Report;
    expect(followed.spec).toBe('2025-11-25');
    expect(verdicts(followed, ['pass'])).toEqual(['transparency/call-relayed', 'transparency/id-preserved']);
    // The exit code is the default revision's gate: none was required.
    expect(code).toBe(0);
    const told = await runTarget('direct', ['--spec', '2026-07-28', ...only]);
    expect(told.stdout.split('\n')[0]).toMatch(/Run again with --spec 2025-11-25 to judge it there\.$/);
    expect(told.stdout).not.toMatch(/the era the target speaks/);
    expect(existsSync(join(told.outDir, '2025-11-25'))).toBe(false);
  });

  test('a target that serves only the deprecated HTTP+SSE transport is told so in the first line', async () => {
    // The old transport: a GET stream at /sse names the endpoint to POST to; the MCP url answers nothing else.
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: endpoint\ndata: /messages?sessionId=proxyspec-test\n\n');
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Cannot POST /mcp');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const file = await tempProfile(`name: old-sse\nurl: http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp\n`);
      const { stdout, report } = await runTarget(file, ['--spec', '2025-11-25', '--only', 'transparency/call-relayed,transparency/id-preserved']);
      expect(report.relay?.ok).toBe(false);
      expect(stdout.split('\n')[0]).toMatch(/It serves the deprecated HTTP\+SSE transport \(GET \/sse announced the endpoint \/messages\?sessionId=proxyspec-test\), which proxyspec does not judge/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a missing profile file exits 2', async () => {
    const { code, stderr } = await cli(['run', '--target', '/nonexistent/profile.yaml']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/cannot read target profile/);
  });
});

describe('signals', () => {
  test('a run stopped with SIGTERM stops the target it started (no orphan process)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'proxyspec-sigterm-'));
    const pidFile = join(dir, 'target.pid');
    const file = join(dir, 'profile.yaml');
    await writeFile(file, `name: orphan-check\ncommand: echo $$ > ${pidFile}; exec node ${BIN} mock proxy --upstream {upstream_url} --port {port}\n`);
    const child = spawn(process.execPath, [BIN, 'run', '--target', file, '--out', join(dir, 'out')], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const pid = await waitUntil(async () => Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || 0, (p) => p > 0, 20_000, 100);
    expect(pid).toBeGreaterThan(0);
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(await waitUntil(async () => alive(), (a) => !a, 5000, 50)).toBe(false);
  });
});

describe.concurrent('--baseline', () => {
  test('a listed expected failure does not fail the gate but still shows; a listed check that passes is stale', async () => {
    const file = await tempProfile('expectedFailures:\n  - id: boundary/authorization-not-forwarded\n    reason: known bug\n');
    // The gate here is the baseline's own (no --require-level): a listed failure passes it, a stale entry fails it.
    const broken = await runTarget(await brokenProfile('forward-authorization'), ['--suite', 'boundary', '--baseline', file]);
    expect(broken.code).toBe(0);
    const check = broken.report.checks.find((c) => c.id === 'boundary/authorization-not-forwarded')!;
    expect(check.verdict).toBe('fail');
    expect(check.baseline).toBe('expected-failure');

    const stale = await runTarget('reference', ['--suite', 'boundary', '--baseline', file]);
    expect(stale.code).toBe(1);
    expect(stale.report.gate.reasons.join(' ')).toMatch(/baseline entry boundary\/authorization-not-forwarded is stale/);
  });

  test('a baseline naming an unknown check exits 2', async () => {
    const file = await tempProfile('expectedFailures: [no/such-check]\n');
    const { code, stderr } = await cli(['run', '--target', 'direct', '--baseline', file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/no\/such-check/);
  });
});

describe.concurrent('usage', () => {
  test('unknown flags exit 2', async () => {
    expect((await cli(['run', '--target', 'direct', '--no-such-flag'])).code).toBe(2);
    expect((await cli(['list', '--bogus'])).code).toBe(2);
  });

  test('a missing required option exits 2 and points to --help, on nested commands too', async () => {
    for (const args of [['run'], ['report', 'compare', 'x.json'], ['mock', 'proxy'], ['mock', 'reference', '--defect', 'slow-5ms']]) {
      const { code, stderr } = await cli(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr, args.join(' ')).toMatch(/required option .* not specified\n\(add --help for usage\)/);
    }
  });

  test('a bad --require-level exits 2', async () => {
    expect((await cli(['run', '--target', 'direct', '--require-level', '4'])).code).toBe(2);
  });

  test('--help works on every command', async () => {
    for (const args of [['--help'], ['run', '--help'], ['list', '--help'], ['mock', 'upstream', '--help'], ['proxy', '--help']]) {
      const { code, stdout } = await cli(args);
      expect(code, args.join(' ')).toBe(0);
      expect(stdout).toMatch(/Usage/);
    }
  });

  test('list shows every check with its level and a spec link', async () => {
    const { code, stdout } = await cli(['list', '--json']);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as Array<{ id: string; level: number; specRefs: Array<{ url: string }> }>;
    expect(rows.map((r) => r.id)).toContain('session/isolation');
    // Every check links the MCP spec, or for HTTP-only rules the RFC, or for proxyspec's own Level 2 bar the README.
    for (const r of rows) expect(r.specRefs[0]?.url, r.id).toMatch(/^(https:\/\/(modelcontextprotocol\.io|www\.rfc-editor\.org)\/|README\.md#)/);
  });
});
