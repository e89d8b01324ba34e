/**
 * Resident memory of a started target: the sum over every process in its process group (the shell,
 * the proxy, whatever it spawned), read from /proc. Undefined where there is no /proc.
 */
import { readdir, readFile } from 'node:fs/promises';

const PAGE_BYTES = 4096;

export async function processGroupRss(pgid: number): Promise<number | undefined> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  let pages = 0;
  let found = false;
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (pid) => {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
        // Fields after the command name, which is in parentheses and may hold spaces.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[2]) !== pgid) return;
        found = true;
        pages += Number(fields[21]) || 0;
      }),
  );
  return found ? pages * PAGE_BYTES : undefined;
}
