/** The proxy's config: strict schema, defaults, env expansion, clear messages. */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadConfigFile, parseConfig } from '../src/index.ts';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/proxyspec.js', import.meta.url));

describe('proxy config', () => {
  test('defaults fill what is left out, and the result is frozen', () => {
    const config = parseConfig({ upstream: { url: 'http://127.0.0.1:1/mcp' } });
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080, path: '/mcp', backlog: 4096 });
    expect(Object.isFrozen(config.listen)).toBe(true);
  });

  test('an unknown key is an error that names it', () => {
    expect(() => parseConfig({ upstream: { url: 'http://x/mcp' }, lisen: {} })).toThrow(/lisen/);
    expect(() => parseConfig({ upstream: { url: 'http://x/mcp', timeout: 5 } })).toThrow(/PROXY_ERR_CONFIG_INVALID|invalid proxy config/);
  });

  test('${VAR} is filled from the environment; a missing one is an error', () => {
    const config = parseConfig({ upstream: { url: '${UP}' } }, { UP: 'http://127.0.0.1:2/mcp' });
    expect('url' in config.upstream && config.upstream.url).toBe('http://127.0.0.1:2/mcp');
    expect(() => parseConfig({ upstream: { url: '${NOPE}' } }, {})).toThrow(/NOPE/);
  });

  test('a YAML file loads; a broken one is reported with its name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'proxy-config-'));
    await writeFile(join(dir, 'ok.yaml'), 'upstream:\n  command: node server.js\nlisten:\n  port: 0\n');
    const config = await loadConfigFile(join(dir, 'ok.yaml'));
    expect('command' in config.upstream && config.upstream.command).toBe('node server.js');
    await writeFile(join(dir, 'bad.yaml'), 'upstream: [unclosed\n');
    await expect(loadConfigFile(join(dir, 'bad.yaml'))).rejects.toThrow(/bad\.yaml/);
  });
});

describe('listen.backlog', () => {
  test('the listening socket holds as many connections as configured (ss shows the backlog as Send-Q)', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const dir = await mkdtemp(join(tmpdir(), 'proxy-backlog-'));
    const file = join(dir, 'proxy.yaml');
    await writeFile(file, `listen: { port: ${port}, backlog: 321 }\nupstream: { url: "http://127.0.0.1:9/mcp" }\nlogging: { level: warn }\n`);
    const child = spawn(process.execPath, [BIN, 'proxy', '--config', file], { stdio: 'ignore' });
    try {
      let line = '';
      for (let i = 0; i < 100 && !line; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const { stdout } = await run('ss', ['-Hltn', `sport = :${port}`]);
        line = stdout.trim();
      }
      // State, Recv-Q, Send-Q (for a listening socket: its backlog), local address, peer.
      expect(line.split(/\s+/).slice(0, 4)).toEqual(['LISTEN', '0', '321', `127.0.0.1:${port}`]);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});
