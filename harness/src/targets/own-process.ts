/**
 * proxyspec's own helper processes on a free port: the floor, a minimal pass-through proxy
 * (node:http + undici, nothing else) whose cost is what one more loopback hop costs on this machine
 * (the performance check judges a proxy by what it adds beyond that), and the bench's upstream.
 */
import { shellQuote } from './placeholders.ts';
import { PACKAGE_ROOT, PROXYSPEC_BIN } from '../paths.ts';
import { freePort } from './free-port.ts';
import { startProcess, waitReady } from './process-target.ts';

export interface OwnProcess {
  /** Its MCP endpoint. */
  url: string;
  stop(): Promise<void>;
}

/** Runs `proxyspec <args> --port <free port>` and waits until its /mcp answers; stopped again if it never does. */
export async function startOwnProcess(args: string): Promise<OwnProcess> {
  const port = await freePort();
  const { child, started } = startProcess(`${shellQuote(process.execPath)} ${shellQuote(PROXYSPEC_BIN)} ${args} --port ${port}`, PACKAGE_ROOT, {});
  const url = `http://127.0.0.1:${port}/mcp`;
  try {
    await waitReady({ url, timeoutMs: 20_000 }, child, started.stderr);
  } catch (err) {
    await started.stop();
    throw err;
  }
  return { url, stop: () => started.stop() };
}

export function startFloorProxy(upstreamUrl: string): Promise<OwnProcess> {
  return startOwnProcess(`mock proxy --defect none --upstream ${shellQuote(upstreamUrl)}`);
}
