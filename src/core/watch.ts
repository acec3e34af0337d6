// Watch folders: JobSpecs dropped into DIR/pending/ move to running/, run, then land in completed/ or
// failed/ with <name>.result.json beside them. Taken in sorted-name order, once they stop growing.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateJobSpecText } from './jobspec';
import { runJob } from './run';
import { processAlive } from './temp';
import { EnvironmentError, type Tools } from './tools';
import { EXIT, type Problem, type RunEvent, type RunResult } from './types';

export const WATCH_DIRS = ['pending', 'running', 'completed', 'failed'] as const;

export interface WatchOptions {
  tools: Tools;
  once?: boolean;
  maxWorkers?: number;
  signal?: AbortSignal;
  /** Milliseconds between scans; a file must look the same on two scans to be taken. */
  pollMs?: number;
  log?: (line: string) => void;
  onResult?: (name: string, outcome: WatchOutcome) => void;
  /** Each run's events, passed through from runJob; `name` is the file's name in pending/. */
  onEvent?: (name: string, e: RunEvent) => void;
  /** Passed through to runJob (default there: 120 s; 0 turns it off). */
  stallTimeoutSeconds?: number;
}

export interface WatchOutcome {
  name: string;
  state: 'completed' | 'failed';
  result?: RunResult;
  problems?: Problem[];
  reason?: string;
}

async function ensureDirs(dir: string): Promise<void> {
  for (const d of WATCH_DIRS) await fs.mkdir(path.join(dir, d), { recursive: true });
}

async function writeJson(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, JSON.stringify(value, null, 2) + '\n');
  await fs.rename(tmp, file);
}

/** A name not yet taken in `dir`: `a.jobspec.json`, then `a.2.jobspec.json`, … */
async function freeName(dir: string, name: string): Promise<string> {
  const base = name.replace(/\.jobspec\.json$/, '');
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? name : `${base}.${n}.jobspec.json`;
    try {
      await fs.lstat(path.join(dir, candidate));
    } catch {
      return candidate;
    }
  }
}

async function finishFile(dir: string, runningPath: string, name: string, outcome: Omit<WatchOutcome, 'name'>): Promise<WatchOutcome> {
  const destDir = path.join(dir, outcome.state);
  const finalName = await freeName(destDir, name);
  await fs.rename(runningPath, path.join(destDir, finalName));
  await writeJson(path.join(destDir, finalName.replace(/\.jobspec\.json$/, '') + '.result.json'), { name: finalName, ...outcome });
  return { name: finalName, ...outcome };
}

/** Anything in running/ at start-up was interrupted: it goes to failed/ with the reason. */
async function recover(dir: string, log: (l: string) => void): Promise<void> {
  const names = (await fs.readdir(path.join(dir, 'running'))).filter((n) => n.endsWith('.jobspec.json'));
  for (const name of names) {
    await finishFile(dir, path.join(dir, 'running', name), name, {
      state: 'failed',
      reason:
        'Found in running/ when the watcher started: the watcher stopped while this JobSpec ran. Check its outputs, then move it back to pending/ to run it again.',
    });
    log(`[watch] ${name}: left in running/ by an interrupted watcher; moved to failed/`);
  }
}

export async function watchFolder(dir: string, opts: WatchOptions): Promise<number> {
  const root = path.resolve(dir);
  const log = opts.log ?? (() => undefined);
  const poll = opts.pollMs ?? 1000;
  const maxWorkers = Math.max(1, opts.maxWorkers ?? 1);
  await ensureDirs(root);
  const release = await takeWatchLock(root);
  try {
    return await watchLoop(root, opts, log, poll, maxWorkers);
  } finally {
    await release();
  }
}

export const WATCH_LOCK = '.jobspec-watch.lock';

interface LockOwner {
  host?: string;
  pid?: number;
  started?: string;
}

/**
 * One watcher per folder: a second one would take the first one's running/ files for leftovers of
 * a crash and move them to failed/. A lock whose process is gone (on this host) is taken over.
 */
async function takeWatchLock(root: string): Promise<() => Promise<void>> {
  const lock = path.join(root, WATCH_LOCK);
  const me = { host: os.hostname(), pid: process.pid, started: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(lock, JSON.stringify(me) + '\n', { flag: 'wx' });
      return () => fs.rm(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    let owner: LockOwner | null = null;
    try {
      owner = JSON.parse(await fs.readFile(lock, 'utf8')) as LockOwner;
    } catch {
      owner = null; // Unreadable or half-written: nobody can be holding it meaningfully.
    }
    if (owner?.host && owner.host !== me.host) {
      throw new Error(
        `${root} is already watched from host ${owner.host} (process ${owner.pid}, since ${owner.started}). Stop that watcher first; if it is gone for good, delete ${lock}.`,
      );
    }
    if (owner && typeof owner.pid === 'number' && processAlive(owner.pid)) {
      throw new Error(
        `${root} is already watched by process ${owner.pid} (since ${owner.started}). Stop that watcher first: two watchers would take each other's running JobSpecs for crashed ones.`,
      );
    }
    await fs.rm(lock, { force: true });
  }
}

async function watchLoop(root: string, opts: WatchOptions, log: (line: string) => void, poll: number, maxWorkers: number): Promise<number> {
  await recover(root, log);
  log(`[watch] watching ${path.join(root, 'pending')} (${maxWorkers} at a time${opts.once ? ', once' : ''})`);

  const seen = new Map<string, string>();
  const active = new Set<Promise<void>>();
  const taken = new Set<string>();
  let anyFailed = false;

  const process1 = async (name: string): Promise<void> => {
    const running = path.join(root, 'running', name);
    try {
      await fs.rename(path.join(root, 'pending', name), running);
    } catch {
      return; // Someone else took it, or it vanished.
    }
    log(`[watch] ${name}: started`);
    let outcome: Omit<WatchOutcome, 'name'>;
    try {
      const text = await fs.readFile(running, 'utf8');
      // Relative paths keep meaning what they meant where the file was dropped.
      const loaded = await validateJobSpecText(text, path.join(root, 'pending', name), { probeWritable: true });
      if (!loaded.ok) {
        outcome = {
          state: 'failed',
          problems: loaded.problems,
          reason: `invalid JobSpec: ${loaded.problems
            .filter((p) => p.severity === 'error')
            .map((p) => p.message)
            .join(' | ')}`,
        };
      } else {
        const onEvent = opts.onEvent;
        const result = await runJob(loaded.spec, {
          tools: opts.tools,
          jobspecFile: running,
          signal: opts.signal,
          stallTimeoutSeconds: opts.stallTimeoutSeconds,
          onEvent: onEvent && ((e) => onEvent(name, e)),
        });
        outcome = { state: result.status === 'COMPLETED' ? 'completed' : 'failed', result };
        if (result.status !== 'COMPLETED')
          outcome.reason = `run ${result.status}: ${result.clips.find((c) => c.status === 'FAILED' || c.status === 'CANCELLED')?.message ?? ''}`;
      }
    } catch (e) {
      outcome = { state: 'failed', reason: e instanceof EnvironmentError ? e.message : `unexpected error: ${(e as Error).message}` };
    }
    if (outcome.state === 'failed') anyFailed = true;
    const done = await finishFile(root, running, name, outcome);
    log(`[watch] ${name}: ${done.state}${outcome.reason ? ` (${outcome.reason})` : ''}`);
    opts.onResult?.(name, done);
  };

  for (;;) {
    if (opts.signal?.aborted) break;
    const names = (await fs.readdir(path.join(root, 'pending')).catch(() => [] as string[]))
      .filter((n) => n.endsWith('.jobspec.json'))
      .sort();
    const stable: string[] = [];
    const now = new Set(names);
    for (const name of [...seen.keys()]) if (!now.has(name)) seen.delete(name);
    for (const name of names) {
      if (taken.has(name)) continue;
      const st = await fs.stat(path.join(root, 'pending', name)).catch(() => null);
      if (!st || !st.isFile()) continue;
      const sig = `${st.size}:${st.mtimeMs}`;
      // Taken only once it looked the same on two scans: a copy in progress is left to finish.
      if (seen.get(name) === sig) stable.push(name);
      else seen.set(name, sig);
    }
    for (const name of stable) {
      if (active.size >= maxWorkers) break;
      taken.add(name);
      seen.delete(name);
      const p: Promise<void> = process1(name).finally(() => {
        active.delete(p);
        taken.delete(name);
      });
      active.add(p);
    }
    const pendingLeft = names.some((n) => !taken.has(n));
    if (opts.once && active.size === 0 && !pendingLeft) break;
    await Promise.race([new Promise((r) => setTimeout(r, poll)), ...(active.size >= maxWorkers ? [...active] : [])]);
  }
  await Promise.all(active);
  return opts.signal?.aborted ? EXIT.CANCELLED : anyFailed ? EXIT.CLIP_FAILED : EXIT.OK;
}
