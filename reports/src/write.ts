/** Writes every output of a run into its folder and points `latest` beside it at the folder. */
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { toJson } from './json.ts';
import { toJunit } from './junit.ts';
import { toMarkdown } from './markdown.ts';
import { toHtml } from './html.ts';
import type { Report } from './schema.ts';

export async function writeReports(report: Report, outDir: string, options: { linkLatest?: boolean } = {}): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const files = {
    'report.json': toJson(report),
    'junit.xml': toJunit(report),
    'summary.md': toMarkdown(report),
    'index.html': toHtml(report),
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(outDir, name), text);
  if (options.linkLatest) {
    const latest = join(dirname(outDir), 'latest');
    await rm(latest, { force: true, recursive: false }).catch(() => undefined);
    await symlink(basename(outDir), latest).catch(() => undefined);
  }
  return Object.keys(files).map((f) => join(outDir, f));
}
