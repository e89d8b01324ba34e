#!/usr/bin/env node
/**
 * `npm run image`: builds the reference proxy as a container image, locally, with no base image to
 * pull (there is no registry to pull from here). The image is `FROM scratch` with a root filesystem
 * of this machine's node binary, the shared libraries `ldd` lists for it, the proxy compiled to
 * JavaScript (dist/, built first when run from a clone) and its configs, and the packages it imports
 * (with their own dependencies). Its entry point is
 * `proxyspec proxy`, so the arguments of `podman run IMAGE …` are the proxy's (`--config …`).
 *
 *   node scripts/build-image.mjs [--tag proxyspec-reference:local] [--engine podman|docker]
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, chmodSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { tag: { type: 'string', default: 'proxyspec-reference:local' }, engine: { type: 'string' } } });

/** The container engine's CLI: podman where it is installed, else docker. */
function engine() {
  if (values.engine) return values.engine;
  for (const candidate of ['podman', 'docker']) {
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // not installed
    }
  }
  throw new Error('neither podman nor docker is installed: the image is built with one of them (see README, "The reference proxy as a container image")');
}

/** The packages the compiled proxy and the `proxyspec` entry point import, read off their code. */
function importedPackages() {
  const names = new Set();
  const scan = (file) => {
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from ['"]([^'".][^'"]*)['"]/g)) {
      if (spec.startsWith('node:')) continue;
      names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  };
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.js')) scan(path);
    }
  };
  walk(join(ROOT, 'dist/proxy/src'));
  scan(join(ROOT, 'bin/proxyspec.js'));
  return [...names].sort();
}

/** Where Node would find package `name` from `fromDir`: the nearest node_modules up the tree. */
function locate(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === ROOT || dir === dirname(dir)) return undefined;
  }
}

/** Every package folder the roots need: themselves and their dependencies, transitively (optional ones when installed). */
function closure(roots) {
  const seen = new Set();
  const visit = (dir) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const deps = { ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies };
    for (const name of Object.keys(deps)) {
      const found = locate(name, dir);
      if (found) visit(found);
      else if (!(pkg.optionalDependencies && name in pkg.optionalDependencies) && !(pkg.peerDependencies && name in pkg.peerDependencies)) {
        throw new Error(`${relative(ROOT, dir)} needs ${name}, which is not installed: run npm ci first`);
      }
    }
  };
  for (const name of roots) {
    const found = locate(name, ROOT);
    if (!found) throw new Error(`the proxy imports ${name}, which is not installed: run npm ci first`);
    visit(found);
  }
  return [...seen];
}

/** The shared libraries the node binary loads, as `ldd` lists them (the dynamic loader included). */
function sharedLibraries(binary) {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return [...out.matchAll(/(\/\S+)/g)].map((m) => m[1]).filter((path) => existsSync(path));
}

// From a clone, the proxy is compiled now; an installed package has its dist/ already.
if (existsSync(join(ROOT, 'scripts/build.mjs'))) execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
if (!existsSync(join(ROOT, 'dist/BUILT'))) throw new Error('dist/ is missing: the proxy is not compiled');

const staging = mkdtempSync(join(tmpdir(), 'proxyspec-image-'));
try {
  const rootfs = join(staging, 'rootfs');
  const node = process.execPath;
  cpSync(node, join(rootfs, 'usr/local/bin/node'));
  for (const lib of sharedLibraries(node)) cpSync(lib, join(rootfs, lib), { dereference: true });
  const app = join(rootfs, 'app');
  for (const part of ['bin/proxyspec.js', 'dist/proxy/src', 'dist/BUILT', 'proxy/configs', 'package.json']) cpSync(join(ROOT, part), join(app, part), { recursive: true });
  const packages = closure(importedPackages());
  for (const dir of packages) cpSync(dir, join(app, relative(ROOT, dir)), { recursive: true, dereference: true });
  // A temporary folder, as programs expect one; the proxy itself writes nothing.
  mkdirSync(join(rootfs, 'tmp'), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  writeFileSync(
    join(staging, 'Containerfile'),
    [
      '# Generated by scripts/build-image.mjs: the reference proxy on no base image.',
      'FROM scratch',
      'COPY rootfs/ /',
      'WORKDIR /app',
      'ENV NODE_ENV=production',
      'ENTRYPOINT ["/usr/local/bin/node", "/app/bin/proxyspec.js", "proxy"]',
      'CMD ["--help"]',
      '',
    ].join('\n'),
  );
  const size = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => sum + (e.isDirectory() ? size(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
  const cli = engine();
  const started = Date.now();
  execFileSync(cli, ['build', '--tag', values.tag, '--file', join(staging, 'Containerfile'), staging], { stdio: ['ignore', 'ignore', 'inherit'] });
  process.stdout.write(`built ${values.tag} with ${cli} in ${((Date.now() - started) / 1000).toFixed(1)} s: node ${process.version}, ${packages.length} packages, ${(size(rootfs) / 1e6).toFixed(0)} MB\n`);
} finally {
  rmSync(staging, { recursive: true, force: true });
}
