// Temporary files in the output folder: recognisable by name, owned by one process on one host,
// so that a later run can remove what a killed run left behind and never mistake it for a proxy.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

const PREFIX = '.jobspec-tmp-';
const HOST = createHash('sha1').update(os.hostname()).digest('hex').slice(0, 8);
const PATTERN = /^\.jobspec-tmp-([0-9a-f]{8})-(\d+)-[0-9a-f]+\./;

/** A fresh temporary file name; `suffix` keeps the container's extension so tools recognise it. */
export function tempName(suffix: string): string {
  return `${PREFIX}${HOST}-${process.pid}-${randomBytes(6).toString('hex')}.${suffix}`;
}

export function isTempName(name: string): boolean {
  return name.startsWith(PREFIX);
}

/** Whether a process of this host is still running (EPERM: it is, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove temporary files in `dir` left by runs of this host whose process is gone.
 * Files of live processes, and of other hosts (a shared folder), are left alone.
 */
export async function cleanStaleTemps(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = PATTERN.exec(name);
    if (!m || m[1] !== HOST) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      await fs.rm(path.join(dir, name), { force: true });
      removed.push(name);
    } catch {
      // Left for the next run; the caller reports what it did remove.
    }
  }
  return removed;
}
