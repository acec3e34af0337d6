// Starting, queueing, watching and ending runs: the adapter between the commands and the core's
// runJob. A run uses the JobSpec as saved when it starts (the core loads it once), one run per file;
// with jobspec.runQueue "queue" (the default) a second run waits for the one ahead of it.
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  dryRun,
  existingOutputs,
  formatCommandLine,
  loadJobSpec,
  multiHeader,
  resolveSelection,
  problemLine,
  runJob,
  RunInterrupted,
  type DryRunClip,
  type JobSpec,
  type Problem,
  type RunEvent,
  type RunOptions,
  type RunResult,
  type Selection,
  type Tools,
} from '../core';
import type { JobSpecDiagnostics } from './diagnostics';
import { toolsOrExplain } from './ffmpegTools';
import { plural, sentence } from './format';
import { clipLogLines, countByStatus, runFooterLines, type LogLine } from './lines';
import type { JobSpecLog } from './log';
import { notify } from './notify';
import { RunQueue } from './queue';
import { revealPath } from './reveal';
import { jobspecName, rerunIndices, type FinishedRun, type RunningRun, type RunState, type RunStore } from './runs';
import { doneCount, runFraction } from './runText';
import { readSettings } from './settings';
import { trustedOrExplain } from './trust';

/** Progress notifications are updated at most this often. */
const PROGRESS_MS = 250;

export const SHOW_RUNS_COMMAND = 'jobspec.runs.focus';

type RunPart = Pick<RunOptions, 'selection'>;

/** The clips a re-run or resume makes (a resume's carried-over clips are reported, not made); undefined: all. */
function clipsToMake(sel: Selection | null | undefined): number[] | undefined {
  if (!sel) return undefined;
  const carried = new Set(sel.carriedOver.map((c) => c.index));
  return sel.indices.filter((i) => !carried.has(i));
}
/** What to do with outputs that are already there, chosen for one run. */
type ExistingChoice = 'skip' | 'replace';

interface Prepared {
  tools: Tools;
  spec: JobSpec;
  partial: RunPart;
  choice?: ExistingChoice;
}

/**
 * A run started by a task: its terminal gets the events, it is cancelled with the task, and it
 * neither asks (the JobSpec's overwrite policy holds as written) nor notifies.
 */
export interface TaskRun {
  signal: AbortSignal;
  onEvent: (e: RunEvent) => void;
}

/** The prefix of a run's lines in the log, so that two runs at once can be told apart. */
export function logPrefix(run: { name: string }): string {
  return `${run.name} › `;
}

export class Runner {
  private readonly queue = new RunQueue();
  /** Runs in progress in this window, to wait for when it closes. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing = false;
  /** Dry runs in progress, by JobSpec file: Cancel Run stops them too. */
  private readonly dryRuns = new Map<string, AbortController>();

  constructor(
    private readonly store: RunStore,
    private readonly log: JobSpecLog,
    private readonly diagnostics: JobSpecDiagnostics,
  ) {}

  /** Save unsaved edits first (or ask, per jobspec.saveBeforeRun); false when the run must not start. */
  private async saved(uri: vscode.Uri): Promise<boolean> {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (!doc?.isDirty) return true;
    if (readSettings(uri).saveBeforeRun === 'prompt') {
      const save = 'Save and Run';
      const choice = await vscode.window.showWarningMessage(
        `${path.basename(uri.fsPath)} has unsaved changes. A run uses the file as saved; save it first?`,
        { modal: true },
        save,
      );
      if (choice !== save) return false;
    }
    if (await doc.save()) return true;
    notify('error', `Could not save ${path.basename(uri.fsPath)}, so it was not run.`);
    return false;
  }

  /** Load the JobSpec as it is on disk now: this object is the run's snapshot. */
  private async load(uri: vscode.Uri): Promise<JobSpec | undefined> {
    const loaded = await loadJobSpec(uri.fsPath);
    if (loaded.ok) return loaded.spec;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (doc) void this.diagnostics.validate(doc);
    this.reportProblems(uri, loaded.problems, 'cannot run');
    return undefined;
  }

  reportProblems(uri: vscode.Uri, problems: Problem[], verb: string): void {
    const errors = problems.filter((p) => p.severity === 'error');
    for (const p of problems) this.log.write({ level: p.severity === 'error' ? 'error' : 'warn', text: problemLine(uri.fsPath, p) });
    const first = errors[0] ?? problems[0];
    if (!first) return;
    const more = errors.length > 1 ? ` (and ${plural(errors.length - 1, 'more problem')})` : '';
    notify(
      errors.length > 0 ? 'error' : 'warning',
      `JobSpec ${path.basename(uri.fsPath)} ${verb}: ${first.message}${more}`,
      { title: 'Show Problems', run: () => vscode.commands.executeCommand('workbench.actions.view.problems') },
      { title: 'Show Log', run: () => this.log.show() },
    );
  }

  busyMessage(file: string): void {
    const run = this.store.activeFor(file);
    const where =
      run?.phase === 'running'
        ? ` (${doneCount(run)} of ${plural(run.clips.length, 'clip')} done)`
        : run?.phase === 'queued'
          ? ' (it is queued)'
          : '';
    notify(
      'info',
      `JobSpec ${path.basename(file)} is already ${run?.phase === 'queued' ? 'waiting to run' : 'running'}${where}. Wait for it to finish, or cancel it before starting again.`,
      { title: 'Show Run', run: () => vscode.commands.executeCommand(SHOW_RUNS_COMMAND) },
      { title: 'Cancel Run', run: () => run?.controller.abort() },
    );
  }

  /**
   * Run a JobSpec, or (given an earlier run) the clips of it that did not complete. Resolves when
   * the run is over, with its result, or undefined when it did not start (a message has said why).
   */
  execute(uri: vscode.Uri, rerun?: FinishedRun, task?: TaskRun): Promise<RunResult | undefined> {
    const running = this.executeNow(uri, rerun, task);
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
    return running;
  }

  private async executeNow(uri: vscode.Uri, rerun?: FinishedRun, task?: TaskRun): Promise<RunResult | undefined> {
    const file = uri.fsPath;
    const what = rerun ? (rerun.status === 'INTERRUPTED' ? 'Resuming a run' : 'Re-running clips') : 'Running a JobSpec';
    if (this.closing || !trustedOrExplain(what)) return undefined;
    if (!this.store.reserve(file)) {
      this.busyMessage(file);
      return undefined;
    }
    try {
      if (!(await this.saved(uri))) return undefined;
      // Everything that can be checked now is, so a run that cannot start never waits in the queue.
      let ready = await this.prepare(uri, rerun, !task);
      if (!ready) return undefined;
      const controller = new AbortController();
      task?.signal.addEventListener('abort', () => controller.abort(), { once: true });
      const only = ready.partial.selection ? { only: ready.partial.selection.indices } : {};
      const previousReport = rerun?.result?.report_path ? { previousReport: rerun.result.report_path } : {};
      if (this.queue.mustWait(readSettings(uri).runQueue === 'parallel')) {
        const queued = this.store.enqueue({ jobspecFile: file, jobId: ready.spec.job_id, controller, ...only, ...previousReport });
        // The queued record holds the file from here on.
        this.store.release(file);
        const ahead = this.store.running().find((r) => !r.watchFolder);
        this.log.info(`${logPrefix(queued)}queued: it starts when ${ahead ? ahead.name : 'the run ahead of it'} ends.`);
        if (!(await this.queue.wait(controller.signal))) {
          this.store.dequeue(queued);
          this.log.warn(`${logPrefix(queued)}removed from the queue before it started.`);
          return undefined;
        }
        try {
          // A run uses the JobSpec as saved when it starts, not when it was queued.
          ready = await this.prepare(uri, rerun, false, ready.choice);
          if (!ready) {
            this.store.dequeue(queued);
            return undefined;
          }
          const run = this.store.begin({
            jobspecFile: file,
            jobId: ready.spec.job_id,
            ffmpegPath: ready.tools.ffmpeg,
            controller,
            queued,
            ...only,
            ...previousReport,
          });
          return await this.run(run, ready, task);
        } finally {
          this.queue.release();
        }
      }
      this.queue.take();
      try {
        const run = this.store.begin({
          jobspecFile: file,
          jobId: ready.spec.job_id,
          ffmpegPath: ready.tools.ffmpeg,
          controller,
          ...only,
          ...previousReport,
        });
        return await this.run(run, ready, task);
      } finally {
        this.queue.release();
      }
    } finally {
      this.store.release(file);
    }
  }

  /** Tools, the JobSpec as saved, the clips of a re-run, and what to do with outputs already there. */
  private async prepare(
    uri: vscode.Uri,
    rerun: FinishedRun | undefined,
    ask: boolean,
    choice?: ExistingChoice,
  ): Promise<Prepared | undefined> {
    const tools = await toolsOrExplain(uri, this.log);
    if (!tools) return undefined;
    const spec = await this.load(uri);
    if (!spec) return undefined;
    const partial = rerun ? await this.rerunOptions(spec, rerun) : {};
    if (!partial) return undefined;
    if (ask) {
      const asked = await this.askAboutExisting(jobspecName(uri.fsPath), spec, partial);
      if (asked === 'cancel') return undefined;
      choice = asked;
    }
    // For this run only: the file keeps what it says.
    if (choice) spec.overwrite = choice;
    return { tools, spec, partial, ...(choice ? { choice } : {}) };
  }

  /**
   * With overwrite "never", an output that is already there stops the run at its clip. Ask before
   * the run instead: skip those clips, make them again, or do not run.
   */
  private async askAboutExisting(name: string, spec: JobSpec, partial: RunPart): Promise<ExistingChoice | 'cancel' | undefined> {
    if (spec.overwrite !== 'never') return undefined;
    const making = clipsToMake(partial.selection);
    const existing = await existingOutputs(spec, partial.selection?.namingTime ?? new Date(), making);
    if (existing.length === 0) return undefined;
    const total = making?.length ?? spec.sources.length;
    const n = existing.length;
    const missing = total - n;
    const names = existing
      .slice(0, 3)
      .map((c) => path.basename(c.output))
      .join(', ');
    const items: (vscode.QuickPickItem & { choice: ExistingChoice | 'cancel' })[] = [
      {
        label: `$(debug-step-over) Skip ${n === total ? 'them' : `the ${n} already there`}`,
        description: missing > 0 ? `make the ${plural(missing, 'missing proxy', 'missing proxies')}` : 'nothing left to make',
        detail: 'Each existing proxy is left as it is and its clip is SKIPPED (for this run; the JobSpec keeps overwrite "never").',
        choice: 'skip',
      },
      {
        label: `$(replace-all) Replace ${n === 1 ? 'it' : n === total ? 'them all' : `the ${n} already there`}`,
        description: `make ${plural(total, 'proxy', 'proxies')}`,
        detail: 'Each existing proxy is replaced only once its new one is complete and checked.',
        choice: 'replace',
      },
      { label: "$(close) Don't run", choice: 'cancel' },
    ];
    this.log.info(
      `${logPrefix({ name })}${n} of ${plural(total, 'output')} already ${n === 1 ? 'exists' : 'exist'} in ${spec.output_directory}; asking whether to skip or replace ${n === 1 ? 'it' : 'them'}.`,
    );
    const picked = await vscode.window.showQuickPick(items, {
      title: `${n} of ${plural(total, 'proxy', 'proxies')} already ${n === 1 ? 'exists' : 'exist'} in ${path.basename(spec.output_directory)}/: ${names}${n > 3 ? ', …' : ''}`,
      placeHolder: 'The JobSpec says overwrite "never": a run would stop at the first of them. What should this run do?',
      ignoreFocusOut: true,
    });
    if (!picked || picked.choice === 'cancel') return 'cancel';
    return picked.choice;
  }

  /** The actual run, with its progress notification; the run's record is finished whatever happens. */
  private async run(run: RunningRun, { tools, spec, partial, choice }: Prepared, task?: TaskRun): Promise<RunResult | undefined> {
    const p = logPrefix(run);
    this.log.write(
      ...multiHeader(spec.job_id, clipsToMake(partial.selection)?.length ?? spec.sources.length)
        .filter((l) => l !== '')
        .map((text) => ({ level: 'info' as const, text: p + text })),
    );
    this.log.info(`${p}JobSpec: ${run.jobspecFile}${partial.selection ? ` (${partial.selection.description})` : ''}`);
    this.log.info(`${p}ffmpeg: ${tools.ffmpeg} (${tools.version})`);
    if (choice)
      this.log.info(
        `${p}Outputs that are already there are ${choice === 'skip' ? 'skipped' : 'replaced'} in this run, as chosen when it started.`,
      );
    const settings = readSettings(vscode.Uri.file(run.jobspecFile));
    try {
      const go = (onEvent?: (e: RunEvent) => void): Promise<RunResult> =>
        runJob(spec, {
          tools,
          jobspecFile: run.jobspecFile,
          signal: run.controller.signal,
          stallTimeoutSeconds: settings.stallTimeoutSeconds,
          onEvent: (e) => {
            // The record is finished below, with the announcement; events only feed it.
            if (e.type !== 'run-finished') this.store.apply(run, e);
            this.logEvent(run, e);
            onEvent?.(e);
            task?.onEvent(e);
          },
          ...partial,
        });
      // A task's terminal shows its progress; a run of its own gets a notification with Cancel.
      const result = task
        ? await go()
        : await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: `JobSpec ${run.name}`, cancellable: true },
            async (progress, token) => {
              const cancel = token.onCancellationRequested(() => run.controller.abort());
              const report = progressReporter(progress, this.store);
              try {
                return await go((e) => report(run, e));
              } finally {
                cancel.dispose();
              }
            },
          );
      if (result.status === 'INTERRUPTED') {
        // The window is closing under the run: its report says so, and the next window offers Resume.
        this.store.finish(run, result, 'The window closed while it ran.');
        return result;
      }
      const done = this.store.finish(run, result);
      if (done && !task) this.announce(done, result);
      return result;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error(`${p}${message}`);
      this.store.finish(run, undefined, message);
      notify('error', `JobSpec ${run.name} could not run: ${message}`, { title: 'Show Log', run: () => this.log.show() });
      return undefined;
    }
  }

  /**
   * A re-run covers the clips of an earlier run that did not complete, named exactly as then:
   * the core reads that run's report for the job id, the clock and the clips.
   */
  private async rerunOptions(spec: JobSpec, previous: FinishedRun): Promise<RunPart | undefined> {
    const report = previous.result?.report_path;
    if (!report) {
      notify(
        'error',
        `${previous.name} (job ${previous.jobId}) has no report to re-run from${previous.result?.report_error ? `: ${previous.result.report_error}` : ''}. Run the whole JobSpec instead.`,
      );
      return undefined;
    }
    try {
      // An interrupted run resumes: its completed clips are carried into the new report, the rest are made.
      const sel = await resolveSelection(spec, previous.status === 'INTERRUPTED' ? { resumeFrom: report } : { onlyFailed: report });
      if (!sel || clipsToMake(sel)?.length === 0) {
        notify('info', `Every clip of ${previous.name} (job ${previous.jobId}) completed; there is nothing to re-run.`);
        return undefined;
      }
      return { selection: sel };
    } catch (err) {
      notify('error', `Cannot re-run the unfinished clips of ${previous.name}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  /** The seed's lines for one event of a run, in the log channel, each with the run's prefix (watch-folder runs use it too). */
  logEvent(run: RunState, e: RunEvent): void {
    const p = logPrefix(run);
    const write = (lines: LogLine[]): void => this.log.write(...lines.map((l) => ({ ...l, text: p + l.text })));
    switch (e.type) {
      case 'clip-started':
        this.log.info(`${p}[${e.position}/${e.total}] START ${path.basename(e.source)} → ${path.basename(e.output)}`);
        this.log.debug(`${p}     ${formatCommandLine(run.phase === 'running' ? run.ffmpegPath : 'ffmpeg', e.ffmpeg_args)}`);
        break;
      case 'clip-finished':
        // NOT_RUN clips are listed once, at the end of the run.
        if (e.result.status !== 'NOT_RUN') write(clipLogLines(e.result, e.position, e.total));
        break;
      case 'notice':
        this.log.info(p + e.message);
        break;
      case 'run-finished': {
        // Clips that never started get no clip-finished event; list them so every clip has a line.
        const total = e.result.clips.length;
        e.result.clips.forEach((c, i) => {
          if (c.status === 'NOT_RUN') write(clipLogLines(c, i + 1, total));
        });
        write(runFooterLines(e.result));
        break;
      }
      default:
        break;
    }
  }

  /** The closing notification: what happened, naming the clip and the reason, with the next step. */
  private announce(run: FinishedRun, result: RunResult): void {
    const counts = countByStatus(result);
    const name = run.name;
    const showLog = { title: 'Show Log', run: () => this.log.show() };
    const rerun = { title: 'Re-run Failed Clips', run: () => vscode.commands.executeCommand('jobspec.rerunFailed', run.key) };
    if (result.status === 'COMPLETED') {
      const skipped = counts.SKIPPED > 0 ? `, ${counts.SKIPPED} skipped` : '';
      if (readSettings(vscode.Uri.file(run.jobspecFile)).revealOutputOnSuccess) {
        const first = result.clips.find((c) => c.status === 'COMPLETED');
        if (first) void revealPath(path.dirname(first.output));
      }
      notify(
        'info',
        `JobSpec ${name}: ${plural(counts.COMPLETED, 'clip')} completed${skipped} in ${result.elapsed_seconds.toFixed(1)}s.`,
        { title: 'Reveal Output', run: () => vscode.commands.executeCommand('jobspec.revealOutput', run.key) },
        { title: 'Open Report', run: () => vscode.commands.executeCommand('jobspec.openReport', run.key) },
      );
      return;
    }
    const notRun = counts.NOT_RUN > 0 ? ` ${plural(counts.NOT_RUN, 'clip')} not run.` : '';
    if (result.status === 'CANCELLED') {
      notify(
        'warning',
        `JobSpec ${name} was cancelled: ${counts.COMPLETED} completed.${notRun}`,
        showLog,
        ...(rerunIndices(run).length ? [rerun] : []),
      );
      return;
    }
    const failed = result.clips.find((c) => c.status === 'FAILED');
    const what = failed
      ? sentence(`${path.basename(failed.source)} failed: ${failed.message ?? `ffmpeg exit code ${failed.exit_code ?? '?'}`}`)
      : 'the run failed.';
    const showClip = { title: 'Show Failed Clip', run: () => vscode.commands.executeCommand('jobspec.showFailedClip', run.key) };
    notify('error', `JobSpec ${name}: ${what}${notRun}`, showClip, rerun, showLog);
  }

  /** Resolve every output and the exact ffmpeg command of each clip, running nothing; with progress, and cancellable. */
  async dryRun(uri: vscode.Uri): Promise<DryRunClip[] | undefined> {
    if (!trustedOrExplain('A dry run (it runs ffprobe on the sources)')) return undefined;
    if (!(await this.saved(uri))) return undefined;
    const tools = await toolsOrExplain(uri, this.log);
    if (!tools) return undefined;
    const spec = await this.load(uri);
    if (!spec) return undefined;
    const name = jobspecName(uri.fsPath);
    const p = logPrefix({ name });
    if (this.dryRuns.has(uri.fsPath)) {
      notify('info', `A dry run of ${name} is already in progress.`);
      return undefined;
    }
    const controller = new AbortController();
    this.dryRuns.set(uri.fsPath, controller);
    this.log.info(`${p}Dry run (job ${spec.job_id}): probing ${plural(spec.sources.length, 'clip')}…`);
    const clips = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Dry run of ${name}`, cancellable: true },
      async (progress, token) => {
        const cancel = token.onCancellationRequested(() => controller.abort());
        let shown = 0;
        try {
          return await dryRun(spec, tools, {
            signal: controller.signal,
            onClip: (done, total) => {
              const percent = (done / total) * 100;
              progress.report({
                message: `probing ${done + 1} of ${total}: ${path.basename(spec.sources[done])}`,
                increment: percent - shown,
              });
              shown = percent;
            },
          });
        } finally {
          cancel.dispose();
          this.dryRuns.delete(uri.fsPath);
        }
      },
    );
    const total = spec.sources.length;
    if (controller.signal.aborted) {
      this.log.warn(`${p}Dry run (job ${spec.job_id}) cancelled after ${clips.length} of ${plural(total, 'clip')}.`);
      this.printDryRun(p, clips, total);
      this.log.show();
      return undefined;
    }
    this.log.info(`${p}Dry run (job ${spec.job_id}): ${plural(clips.length, 'clip')}, nothing is run.`);
    this.printDryRun(p, clips, total);
    this.log.show();
    const bad = clips.filter((c) => c.problem);
    if (bad.length > 0) {
      notify('warning', `Dry run of ${name}: ${path.basename(bad[0].source)} would fail: ${bad[0].problem ?? ''}`, {
        title: 'Show Log',
        run: () => this.log.show(),
      });
    }
    return clips;
  }

  private printDryRun(p: string, clips: DryRunClip[], total: number): void {
    clips.forEach((c, i) => {
      this.log.info(`${p}[${i + 1}/${total}] ${path.basename(c.source)} → ${c.output}`);
      if (c.problem) this.log.error(`${p}     Problem: ${c.problem}`);
      else this.log.info(`${p}     ${c.commandLine}`);
    });
  }

  /** Stop the dry run of this file; false when none is in progress. */
  cancelDryRun(file: string): boolean {
    const controller = this.dryRuns.get(file);
    controller?.abort();
    return controller !== undefined;
  }

  /**
   * The window is closing: stop this window's runs (ffmpeg must not outlive it) and wait, within
   * the time VS Code gives, for their reports to be written; queued runs just leave the queue.
   */
  async interruptAll(withinMs: number): Promise<void> {
    this.closing = true;
    const why = new RunInterrupted('the window closed while it ran');
    for (const run of this.store.active()) if (!run.watchFolder) run.controller.abort(why);
    for (const controller of this.dryRuns.values()) controller.abort();
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, withinMs))]);
  }
}

type Reporter = vscode.Progress<{ message?: string; increment?: number }>;

/** Feed a progress notification from run events: overall percent over the run's clips, throttled. */
function progressReporter(progress: Reporter, store: RunStore): (run: RunState, e: RunEvent) => void {
  let shown = 0;
  let last = 0;
  return (started, e) => {
    if (e.type !== 'clip-progress' && e.type !== 'clip-started' && e.type !== 'clip-finished') return;
    const now = Date.now();
    if (e.type === 'clip-progress' && now - last < PROGRESS_MS) return;
    last = now;
    const run = store.current(started) ?? started;
    const total = Math.max(1, run.clips.length);
    const percent = runFraction(run) * 100;
    const running = run.clips.filter((c) => c.status === 'RUNNING');
    const position = run.clips.findIndex((c) => c.status === 'RUNNING') + 1;
    const message =
      running.length === 1
        ? `[${position}/${total}] ${path.basename(running[0].source)} ${running[0].progress?.percent != null ? `${Math.floor(running[0].progress.percent)}%` : ''}`.trim()
        : running.length > 1
          ? `${running.length} clips running`
          : `${Math.round(percent)}%`;
    progress.report({ message, increment: Math.max(0, percent - shown) });
    shown = Math.max(shown, percent);
  };
}
