/**
 * Resident memory of a started target: the sum over every process in its process group (the shell,
 * the proxy, whatever it spawned), read from /proc. Undefined where there is no /proc.
 */
import { readdir, readFile } from 'node:fs/promises';

const PAGE_BYTES = 4096;

/** The processes of a group as /proc shows them (state letter, resident pages); undefined where there is no /proc. */
async function groupMembers(pgid: number): Promise<Array<{ state: string; pages: number }> | undefined> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  const members: Array<{ state: string; pages: number }> = [];
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (pid) => {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
        // Fields after the command name, which is in parentheses and may hold spaces.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[2]) !== pgid) return;
        members.push({ state: fields[0], pages: Number(fields[21]) || 0 });
      }),
  );
  return members;
}

export async function processGroupRss(pgid: number): Promise<number | undefined> {
  const members = await groupMembers(pgid);
  return members?.length ? members.reduce((sum, m) => sum + m.pages, 0) * PAGE_BYTES : undefined;
}

/** Resident memory of a target: the sum over its process groups (`pids`, every replica and its store), else over `pid`'s. */
export async function targetRss(target: { pid?: number; pids?: number[] }): Promise<number | undefined> {
  const groups = target.pids ?? (target.pid === undefined ? [] : [target.pid]);
  const each = await Promise.all(groups.map(processGroupRss));
  return groups.length && each.every((b) => b !== undefined) ? each.reduce((sum: number, b) => sum + b!, 0) : undefined;
}

/**
 * Whether any process of the group still runs. A zombie does not count: a process whose shell parent
 * died first is reparented, and a container's first process may never reap it.
 */
export async function processGroupAlive(pgid: number): Promise<boolean> {
  const members = await groupMembers(pgid);
  if (members) return members.some((m) => m.state !== 'Z');
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
