/**
 * The floor: a minimal pass-through proxy (node:http + undici, nothing else) in a process of its own,
 * in front of a given upstream. What it adds to a call is what one more loopback hop costs on this
 * machine; the performance check judges a proxy by what it adds beyond that.
 */
import { shellQuote } from './placeholders.ts';
import { PACKAGE_ROOT, PROXYSPEC_BIN } from '../run/environment.ts';
import { freePort } from './free-port.ts';
import { startProcess, waitReady } from './process-target.ts';

export async function startFloorProxy(upstreamUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const command = `${shellQuote(process.execPath)} ${shellQuote(PROXYSPEC_BIN)} mock proxy --defect none --port ${port} --upstream ${shellQuote(upstreamUrl)}`;
  const { child, started } = startProcess(command, PACKAGE_ROOT, {});
  const url = `http://127.0.0.1:${port}/mcp`;
  try {
    await waitReady({ url, timeoutMs: 20_000 }, child, started.stderr);
  } catch (err) {
    await started.stop();
    throw err;
  }
  return { url, stop: () => started.stop() };
}
