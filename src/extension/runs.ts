// What the window knows about runs: one record per run, fed by the core's events. The tree, the
// status bar, the CodeLens and the context keys all read from here; nothing here draws anything.
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

export type RunPhase = 'running' | 'finished';

export interface RunState {
  /** Unique within the window; also the tree item id. */
  key: string;
  jobspecFile: string;
  /** The file name without `.jobspec.json`. */
  name: string;
  jobId: string;
  phase: RunPhase;
  status?: RunStatus;
  /** Only the clips this run covers, in sources order. */
  clips: ClipState[];
  /** `only` indices when this is a re-run. */
  only?: number[];
  startedAt: number;
  finishedAt?: number;
  result?: RunResult;
  /** Why the run ended without a result (environment error, crash). */
  error?: string;
  ffmpegPath: string;
  /** For a watch folder's run, the folder's: aborting it stops the whole watcher. */
  controller: AbortController;
  /** Set when a watch folder started this run (it cannot be cancelled or re-run on its own). */
  watchFolder?: string;
}

export function jobspecName(file: string): string {
  return path.basename(file).replace(/\.jobspec\.json$/i, '');
}

/**
 * The clips a re-run of this finished run covers: those that failed, were cancelled or never ran.
 * None for a watch folder's run: its file has moved on to failed/, and running it again means
 * moving it back to pending/.
 */
export function rerunIndices(run: RunState): number[] {
  return run.phase === 'finished' && run.result && !run.watchFolder ? unfinishedIndices(run.result) : [];
}

export class RunStore implements vscode.Disposable {
  private readonly runs: RunState[] = [];
  /** Files between "execute" and the run's first event: reserved so a double start cannot race. */
  private readonly reserved = new Set<string>();
  private seq = 0;
  private readonly changed = new vscode.EventEmitter<RunState | undefined>();
  /** Fires for every change, progress included; listeners throttle themselves. */
  readonly onDidChange = this.changed.event;
  private readonly phaseChanged = new vscode.EventEmitter<RunState | undefined>();
  /** Fires only when a run starts or finishes (cheap listeners: CodeLens, context keys). */
  readonly onDidChangePhase = this.phaseChanged.event;

  constructor(private maxFinished: number) {}

  setMaxFinished(n: number): void {
    this.maxFinished = n;
    this.prune();
  }

  all(): readonly RunState[] {
    return this.runs;
  }

  active(): RunState[] {
    return this.runs.filter((r) => r.phase === 'running');
  }

  activeFor(file: string): RunState | undefined {
    return this.runs.find((r) => r.phase === 'running' && r.jobspecFile === file);
  }

  /** Newest finished run, of one file when given. */
  latestFinished(file?: string, where: (r: RunState) => boolean = () => true): RunState | undefined {
    return this.runs.find((r) => r.phase === 'finished' && (file === undefined || r.jobspecFile === file) && where(r));
  }

  get(key: string): RunState | undefined {
    return this.runs.find((r) => r.key === key);
  }

  /** Claim the file for a run; false when it is already running or being started. */
  reserve(file: string): boolean {
    if (this.reserved.has(file) || this.activeFor(file)) return false;
    this.reserved.add(file);
    return true;
  }

  release(file: string): void {
    this.reserved.delete(file);
  }

  isBusy(file: string): boolean {
    return this.reserved.has(file) || this.activeFor(file) !== undefined;
  }

  begin(init: {
    jobspecFile: string;
    jobId: string;
    ffmpegPath: string;
    controller: AbortController;
    only?: number[];
    watchFolder?: string;
  }): RunState {
    const run: RunState = {
      key: `run-${++this.seq}`,
      jobspecFile: init.jobspecFile,
      name: jobspecName(init.jobspecFile),
      jobId: init.jobId,
      phase: 'running',
      clips: [],
      startedAt: Date.now(),
      ffmpegPath: init.ffmpegPath,
      controller: init.controller,
    };
    if (init.only) run.only = init.only;
    if (init.watchFolder) run.watchFolder = init.watchFolder;
    this.runs.unshift(run);
    this.prune();
    this.changed.fire(run);
    this.phaseChanged.fire(run);
    return run;
  }

  /** Apply one event of the core's runner to its run. */
  apply(run: RunState, e: RunEvent): void {
    switch (e.type) {
      case 'run-started':
        run.jobId = e.job_id;
        run.clips = e.clips.map((c) => ({ index: c.index, source: c.source, output: c.output, status: 'QUEUED', ffmpegArgs: [] }));
        break;
      case 'clip-started': {
        const clip = this.clip(run, e.index, e.source, e.output);
        clip.status = 'RUNNING';
        clip.ffmpegArgs = e.ffmpeg_args;
        break;
      }
      case 'clip-progress': {
        const clip = run.clips.find((c) => c.index === e.index);
        if (clip) clip.progress = e.progress;
        break;
      }
      case 'clip-finished': {
        const clip = this.clip(run, e.result.index, e.result.source, e.result.output);
        this.settle(clip, e.result);
        break;
      }
      case 'run-finished':
        this.finish(run, e.result);
        return;
      default:
        return;
    }
    this.changed.fire(run);
  }

  /** The run is over: with the core's result, or with an error that kept it from producing one. */
  finish(run: RunState, result: RunResult | undefined, error?: string): void {
    if (run.phase === 'finished') return;
    if (result) {
      run.result = result;
      run.status = result.status;
      run.jobId = result.job_id;
      for (const r of result.clips) this.settle(this.clip(run, r.index, r.source, r.output), r);
    } else {
      run.status = run.controller.signal.aborted ? 'CANCELLED' : 'FAILED';
      for (const c of run.clips) if (c.status === 'QUEUED' || c.status === 'RUNNING') c.status = 'NOT_RUN';
    }
    if (error) run.error = error;
    run.phase = 'finished';
    run.finishedAt = Date.now();
    this.changed.fire(run);
    this.phaseChanged.fire(run);
  }

  /** The run's JobSpec moved (a watch folder files it under completed/ or failed/). */
  relocate(run: RunState, jobspecFile: string): void {
    run.jobspecFile = jobspecFile;
    this.changed.fire(run);
  }

  clearFinished(): void {
    for (let i = this.runs.length - 1; i >= 0; i--) if (this.runs[i].phase === 'finished') this.runs.splice(i, 1);
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

  private clip(run: RunState, index: number, source: string, output: string): ClipState {
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
    for (let i = 0; i < this.runs.length; i++) {
      if (this.runs[i].phase !== 'finished') continue;
      if (++finished > this.maxFinished) {
        this.runs.splice(i, 1);
        i--;
      }
    }
  }

  dispose(): void {
    for (const r of this.active()) r.controller.abort();
    this.changed.dispose();
    this.phaseChanged.dispose();
  }
}
