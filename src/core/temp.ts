// Temporary files in the output folder: recognisable by name and owned by one process, so that a later
// run removes what a killed run left behind, never mistakes it for a proxy, and never removes a file
// that a live run is still writing. A pid alone proves nothing (pids are reused, and a run in another
// PID namespace or container on this host has pids that mean nothing here), so a live run also keeps
// its temporary files fresh: it touches them every few seconds (see HEARTBEAT_MS in report.ts), and
// only a file untouched for longer than that, or one whose owner is known dead, is removed.
import { readlinkSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

const PREFIX = '.jobspec-tmp-';
const HOST = createHash('sha1').update(os.hostname()).digest('hex').slice(0, 8);
// .jobspec-tmp-<host>-n<pid namespace>-<pid>-<random>.<suffix>; files of older versions have no namespace.
const PATTERN = /^\.jobspec-tmp-([0-9a-f]{8})-(?:n(\d+)-)?(\d+)-[0-9a-f]+\./;

let pidns: string | undefined;
/** This process's PID namespace (its inode number on Linux), '0' where there is none to read. */
export function currentPidNamespace(): string {
  if (pidns === undefined) {
    try {
      pidns = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
    } catch {
      pidns = '0';
    }
  }
  return pidns;
}

/** A fresh temporary file name; `suffix` keeps the container's extension so tools recognise it. */
export function tempName(suffix: string): string {
  return `${PREFIX}${HOST}-n${currentPidNamespace()}-${process.pid}-${randomBytes(6).toString('hex')}.${suffix}`;
}

export function isTempName(name: string): boolean {
  return name.startsWith(PREFIX);
}

/** Whether a process of this host and namespace is still running (EPERM: it is, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A temporary file untouched for this long has no live writer: live runs touch theirs every 5 s. */
export const TEMP_STALE_MS = 30_000;

/**
 * Remove temporary files in `dir` left by runs of this host that are gone: the owner's pid is dead in
 * this PID namespace, or the file has not been touched for TEMP_STALE_MS. Files of other hosts (a
 * shared folder) are left alone: their clocks and processes cannot be judged from here.
 */
export async function cleanStaleTemps(dir: string, now = Date.now()): Promise<string[]> {
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
    const ns = m[2] ?? currentPidNamespace();
    const pid = Number(m[3]);
    if (ns === currentPidNamespace() && pid === process.pid) continue;
    const file = path.join(dir, name);
    let idle: number;
    try {
      idle = now - (await fs.lstat(file)).mtimeMs;
    } catch {
      continue;
    }
    const ownerDead = ns === currentPidNamespace() && !processAlive(pid);
    if (!ownerDead && idle < TEMP_STALE_MS) continue;
    try {
      await fs.rm(file, { force: true });
      removed.push(name);
    } catch {
      // Left for the next run; the caller reports what it did remove.
    }
  }
  return removed;
}

/** Keep files fresh while this process works on them: their mtime is what tells other runs they are alive. */
export class Heartbeat {
  private readonly files = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly everyMs: number) {}

  add(file: string): void {
    this.files.add(file);
    if (!this.timer) {
      this.timer = setInterval(() => this.beat(), this.everyMs);
      this.timer.unref();
    }
  }

  delete(file: string): void {
    this.files.delete(file);
  }

  private beat(): void {
    const t = new Date();
    for (const f of this.files) void fs.utimes(f, t, t).catch(() => undefined);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.files.clear();
  }
}
