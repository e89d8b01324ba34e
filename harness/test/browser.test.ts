/**
 * The HTML pages in a real browser: headless Chromium (Debian's package, driven by playwright-core)
 * opens a run's index.html (with a failed check) and a bench's perf.html, with no network. No
 * console errors, every section there, a failed check expands to its evidence. Screenshots of both
 * pages are kept in reports/screenshots/ (a CI artifact).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { brokenProfile, cli, ROOT, runTarget } from './cli-helpers.ts';

const CHROMIUM = process.env.PROXYSPEC_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const SHOTS = join(ROOT, 'reports/screenshots');

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set PROXYSPEC_CHROMIUM`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  await mkdir(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});

/** Opens a page offline, collecting console errors and failed requests. */
async function open(file: string): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request: ${r.url()}`));
  await page.goto(pathToFileURL(file).href);
  return { page, problems };
}

test('index.html: levels, one table per suite, and a failed check that expands to both legs of its transcript', async () => {
  const { outDir, report } = await runTarget(await brokenProfile('stringify-ids'), ['--suite', 'transparency']);
  const failed = report.checks.find((c) => c.verdict === 'fail')!;
  expect(failed.id).toBe('transparency/id-preserved');
  const { page, problems } = await open(join(outDir, 'index.html'));
  await expect(page.getByRole('heading', { name: 'Levels' }).count()).resolves.toBe(1);
  await expect(page.getByRole('heading', { name: 'transparency', exact: true }).count()).resolves.toBe(1);
  expect(await page.locator('[aria-label="achieved level none"]').count()).toBe(1);

  const toggle = page.getByRole('button', { name: failed.id });
  const detail = page.locator(`#c-${failed.id.replace(/[^A-Za-z0-9_-]/g, '-')}-detail`);
  expect(await detail.isVisible()).toBe(false);
  await toggle.focus();
  await page.keyboard.press('Enter');
  expect(await toggle.getAttribute('aria-expanded')).toBe('true');
  expect(await detail.isVisible()).toBe(true);
  const text = await detail.innerText();
  expect(text).toContain('client ↔ proxy');
  expect(text).toContain('proxy ↔ upstream');
  expect(text).toContain(failed.observed!.slice(0, 40));
  expect(await detail.locator('a[href^="https://modelcontextprotocol.io/"]').count()).toBeGreaterThan(0);

  // The coverage section lists every requirement with its link, and shows one state at a time.
  const requirements = report.coverage!.requirements!;
  const listed = page.locator('#coverage-requirements tbody tr');
  expect(await listed.count()).toBe(requirements.length);
  const untested = requirements.filter((r) => r.state === 'untested').length;
  expect(untested).toBeGreaterThan(0);
  await page.getByRole('button', { name: `untested ${untested}` }).click();
  expect(await page.locator('#coverage-requirements tbody tr:visible').count()).toBe(untested);
  expect(await page.locator('#coverage-requirements tbody tr:visible a[href^="https://modelcontextprotocol.io/"]').count()).toBe(untested);
  await page.getByRole('button', { name: `all ${requirements.length}` }).click();
  expect(await page.locator('#coverage-requirements tbody tr:visible').count()).toBe(requirements.length);
  await page.screenshot({ path: join(SHOTS, 'index.png'), fullPage: false });
  expect(problems).toEqual([]);
});

test('perf.html: the machine, a chart and a table per figure, no console errors', async () => {
  const out = await mkdtemp(join(tmpdir(), 'proxyspec-browser-'));
  const { code, stderr } = await cli(['bench', '--target', 'floor', '--scenario', 'small-json,paced-json,slow-20ms', '--connections', '1,8', '--rate', '100', '--duration', '1', '--rounds', '1', '--out', out], { timeoutMs: 120_000 });
  expect(code, stderr).toBe(0);
  const { page, problems } = await open(join(out, 'perf.html'));
  for (const name of [/Latency: small-json/, /Latency: paced-json/, /Latency: slow-20ms/, /Throughput against concurrency/, /Added median latency at 100 req\/s/, /Overhead against direct/, /Every round/]) {
    expect(await page.getByRole('heading', { name }).count(), String(name)).toBe(1);
  }
  // One chart per figure (three latency scenarios, throughput, added latency, overhead), each beside its table.
  expect(await page.locator('svg[role="img"]').count()).toBe(6);
  expect(await page.getByRole('table').count()).toBeGreaterThanOrEqual(8);
  await page.screenshot({ path: join(SHOTS, 'perf.png'), fullPage: false });
  expect(problems).toEqual([]);
});
