// What the window knows about runs: one record per run, fed by the core's events and by the
// reports on disk. The tree, the status bar, the CodeLens and the context keys all read from here;
// nothing here draws anything. A run's record is replaced (same key) when it changes phase, so its
// type always says what it holds; the store's methods take any record of a run and act on the current one.
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  unfinishedIndices,
  type ClipResult,
  type ClipStatus,
  type ProgressInfo,
  type RunEvent,
  type RunResult,
  type RunStatus,
} from '../core';

export interface ClipState {
  index: number;
  source: string;
  output: string;
  status: ClipStatus;
  progress?: ProgressInfo;
  ffmpegArgs: string[];
  result?: ClipResult;
}

/** How a run that is over ended: a report's status other than RUNNING. */
export type FinishedStatus = Exclude<RunStatus, 'RUNNING'>;

interface RunBase {
  /** Unique within the window, kept across phases; also the tree item id. */
  key: string;
  jobspecFile: string;
  /** The file name without `.jobspec.json`. */
  name: string;
  jobId: string;
  /** Only the clips this run covers, in sources order (empty until the run has started). */
  clips: ClipState[];
  /** The clip indices of a re-run (or resume), which covers only some clips. */
  only?: number[];
  /** The report whose unfinished clips this run runs again. */
  previousReport?: string;
  /** Set when a watch folder started this run (it is stopped with its folder, not on its own). */
  watchFolder?: string;
}

/** Waiting for the run ahead of it in this window to end (jobspec.runQueue). */
export interface QueuedRun extends RunBase {
  phase: 'queued';
  queuedAt: number;
  controller: AbortController;
}

export interface RunningRun extends RunBase {
  phase: 'running';
  startedAt: number;
  ffmpegPath: string;
  /** For a watch folder's run, the folder's: aborting it stops the whole watcher. */
  controller: AbortController;
}

export interface FinishedRun extends RunBase {
  phase: 'finished';
  status: FinishedStatus;
  startedAt: number;
  finishedAt: number;
  /** The ffmpeg that ran, or '' when the run ended before finding one. */
  ffmpegPath: string;
  /** The core's result; absent when an error kept the run from producing one. */
  result?: RunResult;
  /** Why the run ended without a result, or the extension's note on it (it was interrupted). */
  error?: string;
  /** `window`: ran in this window; `disk`: read back from its report (an earlier window, the command, another machine). */
  origin: 'window' | 'disk';
}

/** A run that another process is writing now: its report says RUNNING and its writer is alive. */
export interface ElsewhereRun extends RunBase {
  phase: 'elsewhere';
  startedAt: number;
  ffmpegPath: string;
  result: RunResult;
}

export type RunState = QueuedRun | RunningRun | FinishedRun | ElsewhereRun;
export type RunPhase = RunState['phase'];
/** Runs whose work is still ahead or under way in this window. */
export type ActiveRun = QueuedRun | RunningRun;

export function jobspecName(file: string): string {
  return path.basename(file).replace(/\.jobspec\.json$/i, '');
}

export function isActive(run: RunState): run is ActiveRun {
  return run.phase === 'queued' || run.phase === 'running';
}

/** The report a run wrote (or was read from), if any. */
export function reportOf(run: RunState): string | undefined {
  return run.phase === 'finished' || run.phase === 'elsewhere' ? (run.result?.report_path ?? undefined) : undefined;
}

/**
 * The clips a re-run of this finished run covers: those that failed, were cancelled, never ran or
 * were interrupted. None for a watch folder's run: its file has moved on to failed/, and running it
 * again means moving it back to pending/.
 */
export function rerunIndices(run: RunState): number[] {
  return run.phase === 'finished' && run.result && !run.watchFolder ? unfinishedIndices(run.result) : [];
}

export function clipsFromResult(result: RunResult): ClipState[] {
  return result.clips.map((c) => ({
    index: c.index,
    source: c.source,
    output: c.output,
    status: c.status,
    ffmpegArgs: c.ffmpeg_args,
    result: c,
  }));
}

/** A run read back from its report: finished, or still being written by another process. */
export function runFromReport(key: string, result: RunResult, status: RunStatus, note?: string): FinishedRun | ElsewhereRun {
  const base = {
    key,
    jobspecFile: result.jobspec_file,
    name: jobspecName(result.jobspec_file),
    jobId: result.job_id,
    clips: clipsFromResult(result),
    startedAt: Date.parse(result.started_at),
    ffmpegPath: result.ffmpeg?.path ?? '',
    ...(result.selection?.kind === 'only-failed' ? { only: result.selection.indices } : {}),
    ...(result.selection?.previous_report ? { previousReport: result.selection.previous_report } : {}),
  };
  if (status === 'RUNNING') return { ...base, phase: 'elsewhere', result };
  const finished = Date.parse(result.finished_at);
  return {
    ...base,
    phase: 'finished',
    status,
    finishedAt: Number.isFinite(finished) ? finished : base.startedAt,
    result,
    origin: 'disk',
    ...(note ? { error: note } : {}),
  };
}

function newestFirst(a: RunState, b: RunState): number {
  const t = (r: RunState): number => (r.phase === 'queued' ? r.queuedAt : r.startedAt);
  return t(b) - t(a);
}

export class RunStore implements vscode.Disposable {
  private runs: RunState[] = [];
  /** Files between "execute" and the run's first record: reserved so a double start cannot race. */
  private readonly reserved = new Set<string>();
  private seq = 0;
  private readonly changed = new vscode.EventEmitter<RunState | undefined>();
  /** Fires for every change, progress included; listeners throttle themselves. */
  readonly onDidChange = this.changed.event;
  private readonly phaseChanged = new vscode.EventEmitter<RunState | undefined>();
  /** Fires only when a run is added, changes phase or goes (cheap listeners: CodeLens, context keys). */
  readonly onDidChangePhase = this.phaseChanged.event;
  private readonly added = new vscode.EventEmitter<RunState>();
  /** Fires when this window queues or starts a run (the view reveals it). */
  readonly onDidAdd = this.added.event;

  constructor(private maxFinished: number) {}

  setMaxFinished(n: number): void {
    this.maxFinished = n;
    this.prune();
    this.changed.fire(undefined);
    this.phaseChanged.fire(undefined);
  }

  /** Newest first. */
  all(): readonly RunState[] {
    return this.runs;
  }

  active(): ActiveRun[] {
    return this.runs.filter(isActive);
  }

  running(): RunningRun[] {
    return this.runs.filter((r): r is RunningRun => r.phase === 'running');
  }

  /** The run of this file that is queued or running in this window. */
  activeFor(file: string): ActiveRun | undefined {
    return this.active().find((r) => r.jobspecFile === file);
  }

  get(key: string): RunState | undefined {
    return this.runs.find((r) => r.key === key);
  }

  /** The store's record of this run now (a caller may hold the record of an earlier phase). */
  current(run: RunState): RunState | undefined {
    return this.get(run.key);
  }

  /** Claim the file for a run; false when it is already queued, running or being started. */
  reserve(file: string): boolean {
    if (this.isBusy(file)) return false;
    this.reserved.add(file);
    return true;
  }

  release(file: string): void {
    this.reserved.delete(file);
  }

  isBusy(file: string): boolean {
    return this.reserved.has(file) || this.activeFor(file) !== undefined;
  }

  private base(init: { jobspecFile: string; jobId: string; only?: number[]; previousReport?: string; watchFolder?: string }): RunBase {
    return {
      key: `run-${++this.seq}`,
      jobspecFile: init.jobspecFile,
      name: jobspecName(init.jobspecFile),
      jobId: init.jobId,
      clips: [],
      ...(init.only ? { only: init.only } : {}),
      ...(init.previousReport ? { previousReport: init.previousReport } : {}),
      ...(init.watchFolder ? { watchFolder: init.watchFolder } : {}),
    };
  }

  private add(run: RunState): void {
    this.runs.unshift(run);
    this.runs.sort(newestFirst);
    this.prune();
    this.changed.fire(run);
    this.phaseChanged.fire(run);
    this.added.fire(run);
  }

  private replace(run: RunState, next: RunState): boolean {
    const i = this.runs.findIndex((r) => r.key === run.key);
    if (i < 0) return false;
    this.runs[i] = next;
    this.runs.sort(newestFirst);
    this.changed.fire(next);
    this.phaseChanged.fire(next);
    return true;
  }

  enqueue(init: { jobspecFile: string; jobId: string; controller: AbortController; only?: number[]; previousReport?: string }): QueuedRun {
    const run: QueuedRun = { ...this.base(init), phase: 'queued', queuedAt: Date.now(), controller: init.controller };
    this.add(run);
    return run;
  }

  /** A queued run leaves the queue without running (it was cancelled while waiting). */
  dequeue(run: QueuedRun): void {
    const i = this.runs.findIndex((r) => r.key === run.key && r.phase === 'queued');
    if (i < 0) return;
    this.runs.splice(i, 1);
    this.changed.fire(undefined);
    this.phaseChanged.fire(undefined);
  }

  /** A new run, or a queued one whose turn came: running from now. */
  begin(init: {
    jobspecFile: string;
    jobId: string;
    ffmpegPath: string;
    controller: AbortController;
    only?: number[];
    previousReport?: string;
    watchFolder?: string;
    queued?: QueuedRun;
  }): RunningRun {
    const run: RunningRun = {
      key: init.queued?.key ?? this.newKey(),
      jobspecFile: init.jobspecFile,
      name: jobspecName(init.jobspecFile),
      jobId: init.jobId,
      clips: [],
      phase: 'running',
      startedAt: Date.now(),
      ffmpegPath: init.ffmpegPath,
      controller: init.controller,
      ...(init.only ? { only: init.only } : {}),
      ...(init.previousReport ? { previousReport: init.previousReport } : {}),
      ...(init.watchFolder ? { watchFolder: init.watchFolder } : {}),
    };
    if (!(init.queued && this.replace(init.queued, run))) this.add(run);
    return run;
  }

  /** Apply one event of the core's runner to its run. */
  apply(run: RunState, e: RunEvent): void {
    const live = this.current(run);
    if (live?.phase !== 'running') return;
    switch (e.type) {
      case 'run-started':
        live.jobId = e.job_id;
        live.clips = e.clips.map((c) => ({ index: c.index, source: c.source, output: c.output, status: 'QUEUED', ffmpegArgs: [] }));
        break;
      case 'clip-started': {
        const clip = this.clip(live, e.index, e.source, e.output);
        clip.status = 'RUNNING';
        clip.ffmpegArgs = e.ffmpeg_args;
        break;
      }
      case 'clip-progress': {
        const clip = live.clips.find((c) => c.index === e.index);
        if (clip) clip.progress = e.progress;
        break;
      }
      case 'clip-finished':
        this.settle(this.clip(live, e.result.index, e.result.source, e.result.output), e.result);
        break;
      case 'run-finished':
        this.finish(live, e.result);
        return;
      default:
        return;
    }
    this.changed.fire(live);
  }

  /**
   * The run is over: with the core's result, or with an error that kept it from producing one.
   * `interrupted`: the window closed under it (its report says CANCELLED; the view says why).
   */
  finish(run: RunState, result: RunResult | undefined, error?: string): FinishedRun | undefined {
    const live = this.current(run);
    if (live?.phase !== 'running') return undefined;
    const clips = live.clips;
    if (result) for (const r of result.clips) this.settle(this.clip(live, r.index, r.source, r.output), r);
    else for (const c of clips) if (c.status === 'QUEUED' || c.status === 'RUNNING') c.status = 'NOT_RUN';
    const status: FinishedStatus = result
      ? result.status === 'RUNNING'
        ? 'INTERRUPTED'
        : result.status
      : live.controller.signal.aborted
        ? 'CANCELLED'
        : 'FAILED';
    const done: FinishedRun = {
      key: live.key,
      jobspecFile: live.jobspecFile,
      name: live.name,
      jobId: result?.job_id ?? live.jobId,
      clips: live.clips,
      phase: 'finished',
      status,
      startedAt: live.startedAt,
      finishedAt: Date.now(),
      ffmpegPath: live.ffmpegPath,
      origin: 'window',
      ...(result ? { result } : {}),
      ...(error ? { error } : {}),
      ...(live.only ? { only: live.only } : {}),
      ...(live.previousReport ? { previousReport: live.previousReport } : {}),
      ...(live.watchFolder ? { watchFolder: live.watchFolder } : {}),
    };
    this.replace(live, done);
    this.prune();
    return done;
  }

  /** The run's JobSpec moved (a watch folder files it under completed/ or failed/). */
  relocate(run: RunState, jobspecFile: string): void {
    const live = this.current(run);
    if (!live) return;
    live.jobspecFile = jobspecFile;
    this.changed.fire(live);
  }

  /**
   * Runs read back from reports on disk replace the ones read before; a report this window wrote
   * stays with the run that wrote it.
   */
  setHistory(fromDisk: (FinishedRun | ElsewhereRun)[]): void {
    const mine = new Set(
      this.runs
        .filter((r) => !(r.phase === 'elsewhere' || (r.phase === 'finished' && r.origin === 'disk')))
        .map(reportOf)
        .filter((p): p is string => p !== undefined),
    );
    const before = this.runs.filter((r) => r.phase === 'elsewhere' || (r.phase === 'finished' && r.origin === 'disk'));
    const kept = new Map(before.map((r) => [reportOf(r), r]));
    this.runs = this.runs.filter((r) => !before.includes(r));
    for (const run of fromDisk) {
      const report = reportOf(run);
      if (report && mine.has(report)) continue;
      // The same report keeps its key (and so its row and its expansion in the view).
      const old = report ? kept.get(report) : undefined;
      this.runs.push(old ? { ...run, key: old.key } : run);
    }
    this.runs.sort(newestFirst);
    this.prune();
    this.changed.fire(undefined);
    this.phaseChanged.fire(undefined);
  }

  newKey(): string {
    return `run-${++this.seq}`;
  }

  clearFinished(): void {
    this.runs = this.runs.filter((r) => r.phase !== 'finished');
    this.changed.fire(undefined);
    this.phaseChanged.fire(undefined);
  }

  private settle(clip: ClipState, result: ClipResult): void {
    clip.status = result.status;
    clip.result = result;
    clip.output = result.output;
    if (result.ffmpeg_args.length > 0) clip.ffmpegArgs = result.ffmpeg_args;
    if (result.status !== 'RUNNING') delete clip.progress;
  }

  private clip(run: RunningRun, index: number, source: string, output: string): ClipState {
    let clip = run.clips.find((c) => c.index === index);
    if (!clip) {
      clip = { index, source, output, status: 'QUEUED', ffmpegArgs: [] };
      run.clips.push(clip);
      run.clips.sort((a, b) => a.index - b.index);
    }
    return clip;
  }

  private prune(): void {
    let finished = 0;
    this.runs = this.runs.filter((r) => r.phase !== 'finished' || ++finished <= this.maxFinished);
  }

  dispose(): void {
    for (const r of this.active()) r.controller.abort();
    this.changed.dispose();
    this.phaseChanged.dispose();
    this.added.dispose();
  }
}
