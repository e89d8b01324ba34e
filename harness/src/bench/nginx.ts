/**
 * The bench's `nginx` target: the fastest common hop beside the proxies, on the same upstream.
 * A configuration generated for the run (one worker, a keep-alive pool to the upstream, no buffering
 * either way, no access log), in a temporary folder that goes with it. Needs nginx installed
 * (Debian: nginx-light); `PROXYSPEC_NGINX` names another binary.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import { freePort } from '../targets/free-port.ts';
import { shellQuote } from '../targets/placeholders.ts';
import { startProcess, waitReady } from '../targets/process-target.ts';
import type { OwnProcess } from '../targets/own-process.ts';

/** Where nginx is: PROXYSPEC_NGINX, else the PATH, else Debian's /usr/sbin (not on a user's PATH). */
function nginxBinary(): string | undefined {
  if (process.env.PROXYSPEC_NGINX) return process.env.PROXYSPEC_NGINX;
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) if (dir && existsSync(join(dir, 'nginx'))) return join(dir, 'nginx');
  return undefined;
}

export function nginxConfig(dir: string, port: number, upstream: URL): string {
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream mcp {
    server ${upstream.host};
    keepalive 256;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://mcp;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host ${upstream.host};
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 300s;
    }
  }
}
`;
}

export async function startNginx(upstreamUrl: string): Promise<OwnProcess> {
  const binary = nginxBinary();
  if (!binary) throw new HarnessError('HARNESS_ERR_BENCH_TARGET', 'the bench target nginx needs nginx installed (Debian: apt-get install -y nginx-light), or PROXYSPEC_NGINX set to its path');
  const upstream = new URL(upstreamUrl);
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'proxyspec-nginx-'));
  await writeFile(join(dir, 'nginx.conf'), nginxConfig(dir, port, upstream));
  const { child, started } = startProcess(`exec ${shellQuote(binary)} -p ${shellQuote(dir)} -c ${shellQuote(join(dir, 'nginx.conf'))} -g 'daemon off;'`, dir, {});
  const stop = async () => {
    await started.stop();
    await rm(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}${upstream.pathname}`;
  try {
    await waitReady({ url, timeoutMs: 10_000 }, child, started.stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}
