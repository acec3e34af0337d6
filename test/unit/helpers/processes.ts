// Processes a test started, or that a command under test started: alive, children, waits (Linux /proc).
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';

/** Name, state and parent of a process (Linux /proc/PID/stat), or undefined when it is gone. */
function procStat(pid: number | string): { comm: string; state: string; ppid: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name, in parentheses, may hold spaces and parentheses itself: the fields start after the last ')'.
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), state: fields[0], ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie is dead for our purposes.
  const st = procStat(pid);
  return st !== undefined && st.state !== 'Z';
}

/** Live processes whose parent is `ppid` (Linux /proc). */
export function childrenOf(ppid: number): { pid: number; comm: string }[] {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const out: { pid: number; comm: string }[] = [];
  for (const n of names.filter((n) => /^\d+$/.test(n))) {
    const st = procStat(n);
    if (st && st.ppid === ppid && st.state !== 'Z') out.push({ pid: Number(n), comm: st.comm });
  }
  return out;
}

/** Call `probe` every `everyMs` until it returns something truthy, and return that; fail after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The last pid written to `file` (by a stand-in), once there is one. */
export async function readPid(file: string): Promise<number> {
  return waitFor(`a pid in ${file}`, async () => {
    try {
      const n = Number((await fsp.readFile(file, 'utf8')).trim().split('\n').pop());
      return Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  });
}

/** SIGKILL every process a stand-in recorded in `file` (one pid a line) that still lives: a test's cleanup. */
export async function killRecorded(file: string): Promise<void> {
  if (!fs.existsSync(file)) return;
  for (const p of (await fsp.readFile(file, 'utf8')).split('\n').filter(Boolean))
    if (pidAlive(Number(p))) process.kill(Number(p), 'SIGKILL');
}
