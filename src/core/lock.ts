// One owner per folder (a watch folder): a lock file holding who owns it and a token of its own.
// - Taken by an exclusive create; a lock is stale when its owner is known dead (this host and PID
//   namespace, pid gone) or its heartbeat stopped (the owner touches it every few seconds).
// - A stale lock is taken over atomically: it is renamed aside (only one contender can rename one
//   file), checked to be the very lock judged stale, and only then is a new one created. A fresh
//   lock moved aside by a contender that raced is put back.
// - The owner checks its lock as it works and stops if another token holds it; it releases only a
//   lock that still carries its own token.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import { currentPidNamespace, processAlive } from './temp';
import { quote } from './text';

export interface LockOwner {
  host: string;
  pid: number;
  pidns: string;
  token: string;
  started: string;
}

/** The owner touches its lock this often. */
export const LOCK_HEARTBEAT_MS = 5_000;
/** A lock untouched for this long (this host) has no live owner. */
export const LOCK_STALE_MS = 30_000;
/** Other hosts' clocks may be minutes off: their locks go stale only after this. */
const LOCK_STALE_OTHER_HOST_MS = 10 * 60_000;

export class LockHeldError extends Error {
  constructor(
    message: string,
    readonly owner: Partial<LockOwner> | null,
  ) {
    super(message);
    this.name = 'LockHeldError';
  }
}

async function readOwner(file: string): Promise<{ owner: Partial<LockOwner> | null; text: string; mtimeMs: number } | null> {
  try {
    const [text, st] = await Promise.all([fs.readFile(file, 'utf8'), fs.lstat(file)]);
    let owner: Partial<LockOwner> | null = null;
    try {
      owner = JSON.parse(text) as Partial<LockOwner>;
    } catch {
      owner = null; // half-written or damaged: judged by its age alone
    }
    return { owner, text, mtimeMs: st.mtimeMs };
  } catch {
    return null;
  }
}

function stale(found: { owner: Partial<LockOwner> | null; mtimeMs: number }, now: number): boolean {
  const o = found.owner;
  const host = os.hostname();
  // Locks of older versions name no namespace: they were taken in this one.
  const ns = o?.pidns ?? currentPidNamespace();
  if (o?.host === host && ns === currentPidNamespace() && typeof o.pid === 'number' && !processAlive(o.pid)) return true;
  const limit = o?.host && o.host !== host ? LOCK_STALE_OTHER_HOST_MS : LOCK_STALE_MS;
  return now - found.mtimeMs > limit;
}

function describeOwner(o: Partial<LockOwner> | null): string {
  if (!o) return 'another watcher';
  const where = o.host && o.host !== os.hostname() ? ` on host ${o.host}` : '';
  return `process ${o.pid ?? '?'}${where}${o.started ? ` (since ${o.started})` : ''}`;
}

export class FolderLock {
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  private constructor(
    readonly file: string,
    readonly owner: LockOwner,
  ) {}

  /** Take the lock at `file` for this process, or throw LockHeldError naming who holds it. */
  static async take(file: string, what: string): Promise<FolderLock> {
    const owner: LockOwner = {
      host: os.hostname(),
      pid: process.pid,
      pidns: currentPidNamespace(),
      token: randomBytes(8).toString('hex'),
      started: new Date().toISOString(),
    };
    const body = JSON.stringify(owner) + '\n';
    for (let attempt = 0; attempt < 8; attempt++) {
      try {
        await fs.writeFile(file, body, { flag: 'wx' });
        const lock = new FolderLock(file, owner);
        lock.beat();
        return lock;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const found = await readOwner(file);
      if (!found) continue; // released meanwhile: try again
      if (!stale(found, Date.now())) {
        throw new LockHeldError(
          `${what} is already watched by ${describeOwner(found.owner)}. Stop that watcher first: two watchers would take each other's running JobSpecs for crashed ones. If it is gone for good, its lock ${quote(file)} goes stale within ${LOCK_STALE_MS / 1000} s.`,
          found.owner,
        );
      }
      // Take the stale lock over: move it aside, and make sure what was moved is the lock judged stale.
      const aside = `${file}.stale-${owner.token}`;
      try {
        await fs.rename(file, aside);
      } catch {
        continue; // another contender moved it first
      }
      const moved = await readOwner(aside);
      if (moved && moved.text !== found.text) {
        // A fresh lock, created after the stale one was judged: put it back untouched.
        await fs.link(aside, file).catch(() => undefined);
        await fs.rm(aside, { force: true });
        throw new LockHeldError(`${what} was just taken by ${describeOwner(moved.owner)}; stop that watcher first.`, moved.owner);
      }
      await fs.rm(aside, { force: true });
    }
    throw new LockHeldError(
      `${what}: could not take its lock ${quote(file)} after several attempts; another watcher keeps taking it.`,
      null,
    );
  }

  /** Keep the lock fresh while the owner lives. */
  private beat(): void {
    this.timer = setInterval(() => {
      const t = new Date();
      void fs.utimes(this.file, t, t).catch(() => undefined);
    }, LOCK_HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Whether the lock file still carries this owner's token (a missing lock counts as lost). */
  async held(): Promise<boolean> {
    const found = await readOwner(this.file);
    return found?.owner?.token === this.owner.token;
  }

  /** Remove the lock, only if it is still this owner's. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    if (await this.held()) await fs.rm(this.file, { force: true });
  }
}
