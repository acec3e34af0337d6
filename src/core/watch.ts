// Watch folders: JobSpecs dropped into DIR/pending/ move to running/, run, then land in completed/ or
// failed/ with <name>.result.json beside them. Taken in sorted-name order, once complete: a file must
// have stopped changing for a while and hold a whole JSON document (a copy that arrives in chunks is
// waited for). What is not a file (a folder, a FIFO, a dangling link) is set aside with a reason; a
// file that cannot be moved is reported once, not retried forever. One watcher per folder (lock.ts).
// Everything the watcher does is a typed event; nothing downstream parses prose.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileDurably, fsyncDir } from './durable';
import { validateJobSpecText } from './jobspec';
import { FolderLock } from './lock';
import { runJob } from './run';
import { SettleTracker } from './settle';
import { tempName } from './temp';
import { quote } from './text';
import { EnvironmentError, type Tools } from './tools';
import { EXIT, type Problem, type RunEvent, type RunResult } from './types';

export const WATCH_DIRS = ['pending', 'running', 'completed', 'failed'] as const;
export type WatchState = (typeof WATCH_DIRS)[number];
export const WATCH_LOCK = '.jobspec-watch.lock';
export const WATCH_RESULT_SCHEMA = 'jobspec-watch-result/1';

/** What `<name>.result.json` holds (schemas/watch-result.schema.json). */
export interface WatchOutcome {
  schema?: typeof WATCH_RESULT_SCHEMA;
  /** The JobSpec's file name where it was filed. */
  name: string;
  state: 'completed' | 'failed';
  /** The run's result, when it ran. */
  result?: RunResult;
  /** Why it could not run: an invalid JobSpec. */
  problems?: Problem[];
  /** One sentence on why it failed. */
  reason?: string;
}

export type WatchEvent =
  | { type: 'watch-started'; dir: string; maxWorkers: number; once: boolean }
  /** Left in running/ by a watcher that stopped: filed under failed/. */
  | { type: 'recovered'; name: string; filedAs: string }
  /** Moved from pending/ to running/; its run starts. */
  | { type: 'taken'; name: string }
  /** A run's own event, for the JobSpec known by `name` in pending/. */
  | { type: 'run'; name: string; event: RunEvent }
  /** Filed under completed/ or failed/ with its result. */
  | { type: 'finished'; name: string; outcome: WatchOutcome }
  /** Not a JobSpec file (a folder, FIFO, link to nothing): moved to failed/ with the reason. */
  | { type: 'set-aside'; name: string; filedAs: string; reason: string }
  /** Something the watcher could not do, said once (a file it cannot move, a result it cannot write). */
  | { type: 'problem'; name?: string; message: string }
  | { type: 'watch-stopped'; reason: 'cancelled' | 'done' | 'lock-lost' };

export interface WatchOptions {
  tools: Tools;
  once?: boolean;
  maxWorkers?: number;
  signal?: AbortSignal;
  /** Milliseconds between scans. */
  pollMs?: number;
  /** A JobSpec is taken once it has not changed for this long (default 2 s). */
  settleMs?: number;
  /** A file that stays unreadable as JSON for this long after its last change is filed as invalid (default 30 s). */
  giveUpMs?: number;
  onEvent?: (e: WatchEvent) => void;
  /** Passed through to runJob (default there: 120 s; 0 turns it off). */
  stallTimeoutSeconds?: number;
}

async function ensureDirs(dir: string): Promise<void> {
  for (const d of WATCH_DIRS) await fs.mkdir(path.join(dir, d), { recursive: true });
}

async function absent(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return false;
  } catch {
    return true;
  }
}

/** A base name free in `dir` for both the JobSpec and its result: `a`, then `a.2`, … */
async function freeBase(dir: string, name: string): Promise<string> {
  const base = name.replace(/\.jobspec\.json$/, '');
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}.${n}`;
    if ((await absent(path.join(dir, `${candidate}.jobspec.json`))) && (await absent(path.join(dir, `${candidate}.result.json`))))
      return candidate;
  }
}

/**
 * Write a result file that did not exist: written to a fresh temporary name, flushed, then linked to
 * its name (a link never follows or replaces what is there, so a planted symlink is never written
 * through). Where the volume has no links, an exclusive create does the same.
 */
async function writeResult(dir: string, base: string, outcome: WatchOutcome): Promise<string> {
  const body = JSON.stringify({ schema: WATCH_RESULT_SCHEMA, ...outcome }, null, 2) + '\n';
  for (let n = 1; n < 100; n++) {
    const target = path.join(dir, n === 1 ? `${base}.result.json` : `${base}.result.${n}.json`);
    const tmp = path.join(dir, tempName('result.tmp'));
    try {
      await writeFileDurably(tmp, body);
      try {
        await fs.link(tmp, target);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue;
        if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'].includes(code ?? '')) throw err;
        try {
          await fs.writeFile(target, body, { flag: 'wx' });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
          throw e;
        }
      }
      await fsyncDir(dir);
      return target;
    } finally {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
    }
  }
  throw new Error(`no free name for the result of ${base} in ${dir}`);
}

function errText(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/**
 * File a JobSpec (from running/, or set aside from pending/) under completed/ or failed/, with its
 * result. A JobSpec that vanished meanwhile (deleted from running/) still gets its result filed.
 */
async function fileAway(
  root: string,
  from: string,
  name: string,
  outcome: Omit<WatchOutcome, 'name'>,
  emit: (e: WatchEvent) => void,
): Promise<WatchOutcome> {
  const destDir = path.join(root, outcome.state);
  const base = await freeBase(destDir, name);
  const finalName = `${base}.jobspec.json`;
  try {
    await fs.rename(from, path.join(destDir, finalName));
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'it was removed while it ran'
        : `it cannot be moved (${errText(err)}); move it yourself`;
    emit({ type: 'problem', name, message: `${name}: filed its result under ${outcome.state}/ without the JobSpec: ${why}.` });
  }
  const done: WatchOutcome = { name: finalName, ...outcome };
  try {
    await writeResult(destDir, base, done);
  } catch (err) {
    emit({ type: 'problem', name, message: `${name}: could not write its result file in ${quote(destDir)}: ${errText(err)}.` });
  }
  return done;
}

export async function watchFolder(dir: string, opts: WatchOptions): Promise<number> {
  const root = path.resolve(dir);
  const emit = (e: WatchEvent): void => {
    try {
      opts.onEvent?.(e);
    } catch {
      // A listener's bug must not stop the watcher.
    }
  };
  await ensureDirs(root);
  const lock = await FolderLock.take(path.join(root, WATCH_LOCK), root);
  try {
    return await watchLoop(root, opts, emit, lock);
  } finally {
    await lock.release();
  }
}

async function watchLoop(root: string, opts: WatchOptions, emit: (e: WatchEvent) => void, lock: FolderLock): Promise<number> {
  const poll = opts.pollMs ?? 1000;
  const settleMs = opts.settleMs ?? 2000;
  const giveUpMs = opts.giveUpMs ?? 30_000;
  const maxWorkers = Math.max(1, opts.maxWorkers ?? 1);
  const pending = path.join(root, 'pending');
  const running = path.join(root, 'running');

  // Anything in running/ at start-up was interrupted (one watcher per folder: its owner is gone).
  for (const name of (await fs.readdir(running).catch(() => [] as string[])).filter((n) => n.endsWith('.jobspec.json'))) {
    const done = await fileAway(
      root,
      path.join(running, name),
      name,
      {
        state: 'failed',
        reason:
          'Found in running/ when the watcher started: the watcher stopped while this JobSpec ran. Check its outputs, then move it back to pending/ to run it again.',
      },
      emit,
    );
    emit({ type: 'recovered', name, filedAs: done.name });
  }
  emit({ type: 'watch-started', dir: root, maxWorkers, once: !!opts.once });

  const seen = new SettleTracker(true);
  const active = new Set<Promise<void>>();
  const taken = new Set<string>();
  let anyFailed = false;
  let lockLost = false;

  const fail = async (from: string, name: string, outcome: Omit<WatchOutcome, 'name' | 'state'>): Promise<WatchOutcome> => {
    anyFailed = true;
    return fileAway(root, from, name, { state: 'failed', ...outcome }, emit);
  };

  const run1 = async (name: string, text: string): Promise<void> => {
    const runningPath = path.join(running, name);
    let outcome: Omit<WatchOutcome, 'name'>;
    try {
      // Relative paths keep meaning what they meant where the file was dropped.
      const loaded = await validateJobSpecText(text, path.join(pending, name), { probeWritable: true });
      if (!loaded.ok) {
        const errors = loaded.problems.filter((p) => p.severity === 'error');
        outcome = {
          state: 'failed',
          problems: loaded.problems,
          reason: `invalid JobSpec: ${errors[0]?.message ?? 'see problems'}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`,
        };
      } else {
        const result = await runJob(loaded.spec, {
          tools: opts.tools,
          jobspecFile: runningPath,
          signal: opts.signal,
          stallTimeoutSeconds: opts.stallTimeoutSeconds,
          onEvent: (event) => emit({ type: 'run', name, event }),
        });
        outcome = { state: result.status === 'COMPLETED' ? 'completed' : 'failed', result };
        if (result.status !== 'COMPLETED') {
          const c = result.clips.find((x) => x.status === 'FAILED' || x.status === 'CANCELLED');
          outcome.reason = `run ${result.status}${c ? `: ${c.message ?? ''}` : ''}`;
        }
      }
    } catch (e) {
      outcome = { state: 'failed', reason: e instanceof EnvironmentError ? e.message : `unexpected error: ${errText(e)}` };
    }
    if (outcome.state === 'failed') anyFailed = true;
    const done = await fileAway(root, runningPath, name, outcome, emit);
    emit({ type: 'finished', name, outcome: done });
  };

  /** Move a complete JobSpec to running/ and start it; false when it could not be moved. */
  const take = async (name: string, text: string): Promise<boolean> => {
    try {
      await fs.rename(path.join(pending, name), path.join(running, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true; // gone: nothing to do
      const code = errText(err);
      const fix =
        code === 'EXDEV'
          ? 'pending/ and running/ are on different volumes (a mount inside the watch folder); keep the four folders on one volume'
          : code === 'EROFS'
            ? 'the folder is read-only'
            : "check the folders' permissions";
      emit({
        type: 'problem',
        name,
        message: `${name} cannot be moved from pending/ to running/ (${code}); it is left where it is until it changes: ${fix}.`,
      });
      return false;
    }
    emit({ type: 'taken', name });
    taken.add(name);
    const p: Promise<void> = run1(name, text).finally(() => {
      active.delete(p);
      taken.delete(name);
    });
    active.add(p);
    return true;
  };

  for (;;) {
    if (opts.signal?.aborted) break;
    if (!(await lock.held())) {
      lockLost = true;
      emit({ type: 'problem', message: `${root}: this watcher's lock was taken by another; it stops taking JobSpecs.` });
      break;
    }
    const names = (await fs.readdir(pending).catch(() => [] as string[])).filter((n) => n.endsWith('.jobspec.json')).sort();
    seen.keepOnly(new Set(names));
    const now = Date.now();
    let waiting = 0;
    for (const name of names) {
      if (taken.has(name)) continue;
      const file = path.join(pending, name);
      const l = await fs.lstat(file).catch(() => null);
      if (!l) continue;
      const st = l.isSymbolicLink() ? await fs.stat(file).catch(() => null) : l;
      if (!st || !st.isFile()) {
        const what = !st
          ? 'a link that leads nowhere'
          : st.isDirectory()
            ? 'a folder'
            : st.isFIFO()
              ? 'a FIFO (named pipe)'
              : 'not a regular file';
        const reason = `${name} is ${what}, not a JobSpec file; it was set aside without being opened.`;
        const done = await fail(file, name, { reason });
        emit({ type: 'set-aside', name, filedAs: done.name, reason });
        continue;
      }
      // A file that sat there before the watcher started need not wait out the settle time again.
      const state = seen.observe(name, st, now, settleMs);
      const prev = seen.get(name);
      if (state === 'changed' || !prev) {
        waiting++;
        continue;
      }
      if (prev.stuck) continue;
      if (state === 'settling') {
        waiting++;
        continue;
      }
      if (active.size >= maxWorkers) {
        waiting++;
        continue;
      }
      // Complete means a whole JSON document; a copy paused between chunks is waited for, up to giveUpMs.
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch (err) {
        prev.stuck = true;
        anyFailed = true;
        emit({ type: 'problem', name, message: `${name} cannot be read (${errText(err)}); it is left in pending/ until it changes.` });
        continue;
      }
      if (!wholeJson(text) && now - prev.since < giveUpMs) {
        waiting++;
        continue;
      }
      if (!(await take(name, text))) {
        prev.stuck = true;
        anyFailed = true;
      } else seen.delete(name);
    }
    if (opts.once && active.size === 0 && waiting === 0) break;
    await Promise.race([new Promise((r) => setTimeout(r, poll)), ...(active.size >= maxWorkers ? [...active] : [])]);
  }
  await Promise.all(active);
  const reason = opts.signal?.aborted ? 'cancelled' : lockLost ? 'lock-lost' : 'done';
  emit({ type: 'watch-stopped', reason });
  return opts.signal?.aborted ? EXIT.CANCELLED : lockLost ? EXIT.ENVIRONMENT : anyFailed ? EXIT.CLIP_FAILED : EXIT.OK;
}

/** Whether `text` parses as one JSON document (an unfinished copy does not). */
function wholeJson(text: string): boolean {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (!body.trim()) return false;
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

/** One line for a watch event, as the command prints it and the editor logs it; null for a run's own events. */
export function watchEventLine(e: WatchEvent): string | null {
  switch (e.type) {
    case 'watch-started':
      return `[watch] watching ${path.join(e.dir, 'pending')} (${e.maxWorkers} at a time${e.once ? ', once' : ''})`;
    case 'recovered':
      return `[watch] ${e.name}: left in running/ by an interrupted watcher; moved to failed/ as ${e.filedAs}`;
    case 'taken':
      return `[watch] ${e.name}: started`;
    case 'finished':
      return `[watch] ${e.name}: ${e.outcome.state}${e.outcome.reason ? ` (${e.outcome.reason})` : ''}`;
    case 'set-aside':
      return `[watch] ${e.reason} Moved to failed/ as ${e.filedAs}.`;
    case 'problem':
      return `[watch] ${e.message}`;
    case 'watch-stopped':
      return e.reason === 'lock-lost' ? '[watch] stopped: another watcher holds the folder' : null;
    case 'run':
      return null;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Read a `<name>.result.json` back, defensively (it may be from another version, or edited by hand):
 * what does not have the documented shape is left out, never guessed.
 */
export function parseWatchResult(value: unknown): Partial<WatchOutcome> {
  if (!isRecord(value)) return {};
  const out: Partial<WatchOutcome> = {};
  if (typeof value.name === 'string') out.name = value.name;
  if (value.state === 'completed' || value.state === 'failed') out.state = value.state;
  if (typeof value.reason === 'string') out.reason = value.reason;
  if (Array.isArray(value.problems))
    out.problems = value.problems.filter((p): p is Problem => isRecord(p) && typeof p.message === 'string');
  if (isRecord(value.result) && typeof value.result.status === 'string' && Array.isArray(value.result.clips))
    out.result = value.result as unknown as RunResult;
  return out;
}
