// Watch folders in this window: one core watchFolder per folder, each with its own AbortController,
// and what each folder's pending/, running/, completed/ and failed/ hold, read back for the
// Watch Folders view. The watcher's runs go to the RunStore like any other run.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  multiHeader,
  parseWatchResult,
  watchEventLine,
  watchFolder,
  WATCH_DIRS,
  type RunEvent,
  type RunStatus,
  type WatchEvent,
  type WatchOutcome,
} from '../core';
import { toolsOrExplain } from './ffmpegTools';
import type { JobSpecLog } from './log';
import { notify } from './notify';
import type { Runner } from './runner';
import type { RunState, RunStore } from './runs';
import { readSettings } from './settings';
import { trustedOrExplain } from './trust';

export type WatchState = (typeof WATCH_DIRS)[number];

/** What a <name>.result.json says, reduced to what the view shows. */
export interface OutcomeSummary {
  reason?: string;
  status?: RunStatus;
  jobId?: string;
  clips?: number;
  completedClips?: number;
  elapsedSeconds?: number;
  reportPath?: string;
  /** Error messages of an invalid JobSpec. */
  problems: string[];
  /** The message of the clip that failed (or was cancelled), when the JobSpec ran. */
  failedClip?: string;
}

export interface WatchedFile {
  /** The file's name in its state folder. */
  name: string;
  state: WatchState;
  file: string;
  /** completed/ and failed/: the result file, when it is there. */
  resultFile?: string;
  outcome?: OutcomeSummary;
}

export interface WatchedFolder {
  dir: string;
  phase: 'watching' | 'stopping';
  maxWorkers: number;
  since: number;
  ffmpeg: string;
  controller: AbortController;
  /** Settles once the core's watcher has stopped and filed what it was running. */
  stopped: Promise<void>;
  /** The newest SHOWN_PER_STATE files of each state (pending and running in the order they are taken). */
  files: Record<WatchState, WatchedFile[]>;
  counts: Record<WatchState, number>;
  /** The watcher's runs in progress, by the file's name in pending/ (which it keeps in running/). */
  runs: Map<string, RunState>;
  /** Why the last look at the folder failed (it was deleted, unmounted, …). */
  scanError?: string;
}

/** Files listed per state; the rest are counted. Completed folders grow without bound. */
export const SHOWN_PER_STATE = 100;
/** At most one look at the folders per this many milliseconds. */
const SCAN_MS = 300;
const POLL_MS = 1000;
const STATE_KEY = 'jobspec.watchFolders';

const emptyRecord = <T>(make: () => T): Record<WatchState, T> => ({ pending: make(), running: make(), completed: make(), failed: make() });

/** What the view shows of a result file, read through the core's parser (which never guesses). */
export function summarizeOutcome(value: unknown): OutcomeSummary {
  const o = parseWatchResult(value);
  const s: OutcomeSummary = { problems: (o.problems ?? []).filter((p) => p.severity !== 'warning').map((p) => p.message) };
  if (o.reason !== undefined) s.reason = o.reason;
  const r = o.result;
  if (r) {
    s.status = r.status;
    s.jobId = r.job_id;
    s.elapsedSeconds = r.elapsed_seconds;
    if (r.report_path) s.reportPath = r.report_path;
    s.clips = r.clips.length;
    s.completedClips = r.clips.filter((c) => c.status === 'COMPLETED' || c.status === 'SKIPPED').length;
    const failed = r.clips.find((c) => c.status === 'FAILED' || c.status === 'CANCELLED');
    if (failed?.message) s.failedClip = failed.message;
  }
  return s;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class WatchFolders implements vscode.Disposable {
  private readonly folders = new Map<string, WatchedFolder>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after the folders were looked at again, or one was added or removed. */
  readonly onDidChange = this.changed.event;
  private readonly fileWatchers = new Map<string, vscode.FileSystemWatcher>();
  /** Parsed result files, kept while their size and time stay the same. */
  private readonly outcomes = new Map<string, { stamp: string; summary: OutcomeSummary }>();
  private scanTimer: NodeJS.Timeout | undefined;
  private scanning = false;
  private rescan = false;
  private lastScan = 0;
  private disposed = false;
  /** While folders are watched again on start-up, the saved list is written once at the end. */
  private resuming = false;

  constructor(
    private readonly state: vscode.Memento,
    private readonly store: RunStore,
    private readonly runner: Runner,
    private readonly log: JobSpecLog,
  ) {}

  all(): WatchedFolder[] {
    return [...this.folders.values()].sort((a, b) => a.dir.localeCompare(b.dir));
  }

  get(dir: string): WatchedFolder | undefined {
    return this.folders.get(path.resolve(dir));
  }

  /**
   * Start watching a folder. Resolves with its absolute path once the watcher runs, or undefined
   * when it did not start (a message has said why).
   */
  async watch(dir: string, how: 'user' | 'resume' = 'user'): Promise<string | undefined> {
    const root = path.resolve(dir);
    if (!trustedOrExplain('Watching a folder')) return undefined;
    if (this.folders.has(root)) {
      if (how === 'user') notify('info', `${root} is already watched.`);
      return root;
    }
    const st = await fs.stat(root).catch(() => undefined);
    if (!st?.isDirectory()) {
      // A folder that is gone is not created again: it may be an unmounted drive.
      const why = st ? 'it is not a folder' : 'it does not exist';
      if (how === 'user') notify('error', `Cannot watch ${root}: ${why}.`);
      else this.log.warn(`Not watching ${root} again: ${why}.`);
      return undefined;
    }
    const uri = vscode.Uri.file(root);
    const tools = await toolsOrExplain(uri, this.log);
    if (!tools || this.folders.has(root)) return tools ? root : undefined;
    const settings = readSettings(uri);
    const controller = new AbortController();
    const folder: WatchedFolder = {
      dir: root,
      phase: 'watching',
      maxWorkers: settings.watchMaxWorkers,
      since: Date.now(),
      ffmpeg: tools.ffmpeg,
      controller,
      stopped: Promise.resolve(),
      files: emptyRecord<WatchedFile[]>(() => []),
      counts: emptyRecord(() => 0),
      runs: new Map(),
    };
    this.folders.set(root, folder);
    const label = path.basename(root) || root;
    this.log.info(
      `${how === 'resume' ? 'Watching again' : 'Watching'} ${root}: JobSpecs dropped into pending/ run ${folder.maxWorkers === 1 ? 'one at a time' : `up to ${folder.maxWorkers} at a time`} with ${tools.ffmpeg} (${tools.version}).`,
    );
    folder.stopped = watchFolder(root, {
      tools,
      maxWorkers: folder.maxWorkers,
      signal: controller.signal,
      pollMs: POLL_MS,
      stallTimeoutSeconds: settings.stallTimeoutSeconds,
      onEvent: (e) => this.onWatchEvent(folder, label, e),
    })
      .then(
        () => {
          if (!this.disposed) this.log.info(`Stopped watching ${root}.`);
        },
        (err: unknown) => {
          if (this.disposed) return;
          this.log.error(`Watching ${root} stopped: ${message(err)}`);
          notify('error', `Watching ${root} stopped: ${message(err)}`, { title: 'Show Log', run: () => this.log.show() });
        },
      )
      .finally(() => this.forget(folder));
    this.addFileWatcher(root);
    await this.persist();
    this.requestScan();
    this.changed.fire();
    return root;
  }

  /** Stop a watcher: a JobSpec it is running is cancelled and filed under failed/. Resolves once it stopped. */
  async stop(dir: string): Promise<boolean> {
    const folder = this.get(dir);
    if (!folder) return false;
    if (folder.phase === 'watching') {
      folder.phase = 'stopping';
      this.log.info(
        `Stopping the watch of ${folder.dir}${folder.runs.size > 0 ? `; cancelling ${folder.runs.size} JobSpec run${folder.runs.size === 1 ? '' : 's'}` : ''}…`,
      );
      folder.controller.abort();
      await this.persist();
      this.changed.fire();
    }
    await folder.stopped;
    return true;
  }

  /** Watch again what this workspace watched when it was last open. */
  async resume(): Promise<void> {
    const saved = this.state.get<string[]>(STATE_KEY, []);
    if (saved.length === 0) return;
    if (!vscode.workspace.isTrusted) {
      this.log.info(
        `${saved.length} watch folder${saved.length === 1 ? '' : 's'} of this workspace will be watched again once you trust it.`,
      );
      return;
    }
    // A folder that is gone is forgotten; one that could not be watched now (no ffmpeg) is kept for next time.
    const keep: string[] = [];
    this.resuming = true;
    try {
      for (const dir of saved) {
        const st = await fs.stat(dir).catch(() => undefined);
        if (!st?.isDirectory()) {
          this.log.warn(`Not watching ${dir} again: ${st ? 'it is not a folder' : 'it does not exist'}.`);
          continue;
        }
        keep.push(dir);
        await this.watch(dir, 'resume');
      }
    } finally {
      this.resuming = false;
    }
    if (!this.disposed)
      await this.state.update(STATE_KEY, [
        ...new Set([
          ...keep,
          ...this.all()
            .filter((f) => f.phase === 'watching')
            .map((f) => f.dir),
        ]),
      ]);
  }

  /** The watcher's own events: logged by kind, never by matching their wording. */
  private onWatchEvent(folder: WatchedFolder, label: string, e: WatchEvent): void {
    if (this.disposed) return;
    if (e.type === 'run') {
      this.onEvent(folder, e.name, e.event);
      return;
    }
    if (e.type === 'finished') this.onResult(folder, e.name, e.outcome);
    const line = watchEventLine(e);
    if (line) {
      const text = line.replace(/^\[watch\]/, `[watch ${label}]`);
      if (e.type === 'problem' || (e.type === 'finished' && e.outcome.state === 'failed')) this.log.error(text);
      else if (e.type === 'recovered' || e.type === 'set-aside') this.log.warn(text);
      else this.log.info(text);
    }
    this.requestScan();
  }

  private onEvent(folder: WatchedFolder, name: string, e: RunEvent): void {
    if (e.type === 'run-started') {
      const run = this.store.begin({
        jobspecFile: path.join(folder.dir, 'running', name),
        jobId: e.job_id,
        ffmpegPath: folder.ffmpeg,
        controller: folder.controller,
        watchFolder: folder.dir,
      });
      folder.runs.set(name, run);
      this.log.write(
        ...multiHeader(e.job_id, e.total)
          .filter((l) => l !== '')
          .map((text) => ({ level: 'info' as const, text })),
      );
      this.log.info(`JobSpec: ${run.jobspecFile} (watch folder)`);
    }
    const run = folder.runs.get(name);
    if (!run) return;
    this.store.apply(run, e);
    this.runner.logEvent(run, e);
  }

  private onResult(folder: WatchedFolder, name: string, outcome: WatchOutcome): void {
    const run = folder.runs.get(name);
    folder.runs.delete(name);
    if (run) {
      this.store.relocate(run, path.join(folder.dir, outcome.state, outcome.name));
      // Normally finished by its run-finished event; not when the run threw (an environment error).
      if (run.phase === 'running') this.store.finish(run, outcome.result, outcome.reason);
    }
    this.requestScan();
  }

  private forget(folder: WatchedFolder): void {
    if (this.folders.get(folder.dir) !== folder) return;
    this.folders.delete(folder.dir);
    for (const run of folder.runs.values()) this.store.finish(run, undefined, 'The watcher stopped.');
    this.fileWatchers.get(folder.dir)?.dispose();
    this.fileWatchers.delete(folder.dir);
    if (this.disposed) return;
    void this.persist();
    this.changed.fire();
  }

  private addFileWatcher(dir: string): void {
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '*/*.json'));
    const scan = (): void => this.requestScan();
    w.onDidCreate(scan);
    w.onDidChange(scan);
    w.onDidDelete(scan);
    this.fileWatchers.set(dir, w);
  }

  private async persist(): Promise<void> {
    if (this.disposed || this.resuming) return;
    await this.state.update(
      STATE_KEY,
      this.all()
        .filter((f) => f.phase === 'watching')
        .map((f) => f.dir),
    );
  }

  /** Look at the folders again soon: at most once per SCAN_MS, and always once after the last request. */
  requestScan(): void {
    if (this.scanTimer || this.disposed) return;
    const wait = Math.max(0, this.lastScan + SCAN_MS - Date.now());
    this.scanTimer = setTimeout(() => void this.scanAll(), wait);
  }

  private async scanAll(): Promise<void> {
    this.scanTimer = undefined;
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = true;
    try {
      const seen = new Set<string>();
      await Promise.all([...this.folders.values()].map((f) => this.scan(f, seen)));
      for (const key of this.outcomes.keys()) if (!seen.has(key)) this.outcomes.delete(key);
    } finally {
      this.scanning = false;
      this.lastScan = Date.now();
      if (!this.disposed) this.changed.fire();
      if (this.rescan) {
        this.rescan = false;
        this.requestScan();
      }
    }
  }

  private async scan(folder: WatchedFolder, seen: Set<string>): Promise<void> {
    try {
      await fs.access(folder.dir);
      delete folder.scanError;
    } catch (err) {
      folder.scanError = message(err);
      return;
    }
    await Promise.all(
      WATCH_DIRS.map(async (state) => {
        const sub = path.join(folder.dir, state);
        const names = (await fs.readdir(sub).catch(() => [] as string[])).filter((n) => n.endsWith('.jobspec.json'));
        folder.counts[state] = names.length;
        if (state === 'pending' || state === 'running') {
          // The order the watcher takes them in.
          folder.files[state] = names
            .sort()
            .slice(0, SHOWN_PER_STATE)
            .map((name) => ({ name, state, file: path.join(sub, name) }));
          return;
        }
        // Newest first, by when the result was written.
        const dated = await Promise.all(
          names.map(async (name) => {
            const resultFile = path.join(sub, `${name.replace(/\.jobspec\.json$/, '')}.result.json`);
            const st = await fs.stat(resultFile).catch(() => undefined);
            return { name, resultFile: st ? resultFile : undefined, st };
          }),
        );
        dated.sort((a, b) => (b.st?.mtimeMs ?? 0) - (a.st?.mtimeMs ?? 0) || a.name.localeCompare(b.name));
        folder.files[state] = await Promise.all(
          dated.slice(0, SHOWN_PER_STATE).map(async ({ name, resultFile, st }) => {
            const f: WatchedFile = { name, state, file: path.join(sub, name) };
            if (resultFile && st) {
              f.resultFile = resultFile;
              seen.add(resultFile);
              const outcome = await this.outcome(resultFile, `${st.size}:${st.mtimeMs}`);
              if (outcome) f.outcome = outcome;
            }
            return f;
          }),
        );
      }),
    );
  }

  private async outcome(file: string, stamp: string): Promise<OutcomeSummary | undefined> {
    const cached = this.outcomes.get(file);
    if (cached?.stamp === stamp) return cached.summary;
    try {
      const summary = summarizeOutcome(JSON.parse(await fs.readFile(file, 'utf8')) as unknown);
      this.outcomes.set(file, { stamp, summary });
      return summary;
    } catch {
      return undefined;
    }
  }

  dispose(): void {
    // The window is closing: what runs is cancelled, and the folders stay saved to be watched again.
    this.disposed = true;
    clearTimeout(this.scanTimer);
    for (const f of this.folders.values()) f.controller.abort();
    for (const w of this.fileWatchers.values()) w.dispose();
    this.changed.dispose();
  }
}
