/** The proxy's config: strict schema, defaults, env expansion, clear messages. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadConfigFile, parseConfig } from '../src/index.ts';

describe('proxy config', () => {
  test('defaults fill what is left out, and the result is frozen', () => {
    const config = parseConfig({ upstream: { url: 'http://127.0.0.1:1/mcp' } });
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080, path: '/mcp' });
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
