// Starting, watching and ending runs: the adapter between the commands and the core's runJob.
// A run uses the JobSpec as saved when it starts (the core loads it once), one run per file.
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  dryRun,
  formatCommandLine,
  loadJobSpec,
  multiHeader,
  resolveSelection,
  problemLine,
  runJob,
  type DryRunClip,
  type JobSpec,
  type Problem,
  type RunEvent,
  type RunOptions,
  type RunResult,
} from '../core';
import type { JobSpecDiagnostics } from './diagnostics';
import { toolsOrExplain } from './ffmpegTools';
import { plural } from './format';
import { clipLogLines, countByStatus, runFooterLines } from './lines';
import type { JobSpecLog } from './log';
import { notify } from './notify';
import { revealPath } from './reveal';
import { jobspecName, rerunIndices, type RunState, type RunStore } from './runs';
import { readSettings } from './settings';
import { trustedOrExplain } from './trust';

/** Progress notifications are updated at most this often. */
const PROGRESS_MS = 250;

export const SHOW_RUNS_COMMAND = 'jobspec.runs.focus';

export class Runner {
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
    const where = run
      ? ` (clip ${run.clips.filter((c) => c.status !== 'QUEUED' && c.status !== 'RUNNING').length + 1} of ${run.clips.length})`
      : '';
    notify(
      'info',
      `JobSpec ${path.basename(file)} is already running${where}. Wait for it to finish, or cancel it before starting again.`,
      { title: 'Show Run', run: () => vscode.commands.executeCommand(SHOW_RUNS_COMMAND) },
      { title: 'Cancel Run', run: () => run?.controller.abort() },
    );
  }

  /**
   * Run a JobSpec (or, with `only`, some of its clips). Resolves when the run is over, with its
   * result, or undefined when it did not start (a message has said why).
   */
  async execute(uri: vscode.Uri, rerun?: RunState): Promise<RunResult | undefined> {
    const file = uri.fsPath;
    if (!trustedOrExplain(rerun ? 'Re-running clips' : 'Running a JobSpec')) return undefined;
    if (!this.store.reserve(file)) {
      this.busyMessage(file);
      return undefined;
    }
    let run: RunState | undefined;
    try {
      if (!(await this.saved(uri))) return undefined;
      const tools = await toolsOrExplain(uri, this.log);
      if (!tools) return undefined;
      const spec = await this.load(uri);
      if (!spec) return undefined;
      const partial = rerun ? await this.rerunOptions(spec, rerun) : {};
      if (!partial) return undefined;
      const only = partial.selection?.indices;
      const controller = new AbortController();
      run = this.store.begin({
        jobspecFile: file,
        jobId: spec.job_id,
        ffmpegPath: tools.ffmpeg,
        controller,
        ...(only ? { only } : {}),
      });
      const started = run;
      this.log.write(
        ...multiHeader(spec.job_id, only?.length ?? spec.sources.length)
          .filter((l) => l !== '')
          .map((text) => ({ level: 'info' as const, text })),
      );
      this.log.info(`JobSpec: ${file}${only ? ` (re-run of clips ${only.map((i) => i + 1).join(', ')})` : ''}`);
      this.log.info(`ffmpeg: ${tools.ffmpeg} (${tools.version})`);
      const settings = readSettings(uri);
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `JobSpec ${started.name}`, cancellable: true },
        async (progress, token) => {
          const cancel = token.onCancellationRequested(() => controller.abort());
          const report = progressReporter(progress);
          try {
            return await runJob(spec, {
              tools,
              jobspecFile: file,
              signal: controller.signal,
              stallTimeoutSeconds: settings.stallTimeoutSeconds,
              onEvent: (e) => {
                this.store.apply(started, e);
                this.logEvent(started, e);
                report(started, e);
              },
              ...partial,
            });
          } finally {
            cancel.dispose();
          }
        },
      );
      this.store.finish(started, result);
      this.announce(started, result);
      return result;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error(message);
      if (run) this.store.finish(run, undefined, message);
      notify('error', `JobSpec ${path.basename(file)} could not run: ${message}`, { title: 'Show Log', run: () => this.log.show() });
      return undefined;
    } finally {
      this.store.release(file);
    }
  }

  /**
   * A re-run covers the clips of an earlier run that did not complete, named exactly as then:
   * the core reads that run's report for the job id, the clock and the clips.
   */
  private async rerunOptions(spec: JobSpec, previous: RunState): Promise<Pick<RunOptions, 'selection'> | undefined> {
    const report = previous.result?.report_path;
    if (!report) {
      notify(
        'error',
        `${previous.name} (job ${previous.jobId}) has no report to re-run from${previous.result?.report_error ? `: ${previous.result.report_error}` : ''}. Run the whole JobSpec instead.`,
      );
      return undefined;
    }
    try {
      const sel = await resolveSelection(spec, { onlyFailed: report });
      if (!sel || sel.indices.length === 0) {
        notify('info', `Every clip of ${previous.name} (job ${previous.jobId}) completed; there is nothing to re-run.`);
        return undefined;
      }
      return { selection: sel };
    } catch (err) {
      notify('error', `Cannot re-run the failed clips of ${previous.name}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  /** The seed's lines for one event of a run, in the log channel (watch-folder runs use it too). */
  logEvent(run: RunState, e: RunEvent): void {
    switch (e.type) {
      case 'clip-started':
        this.log.info(`[${e.position}/${e.total}] START ${path.basename(e.source)} → ${path.basename(e.output)}`);
        this.log.debug(`     ${formatCommandLine(run.ffmpegPath, e.ffmpeg_args)}`);
        break;
      case 'clip-finished':
        // NOT_RUN clips are listed once, at the end of the run.
        if (e.result.status !== 'NOT_RUN') this.log.write(...clipLogLines(e.result, e.position, e.total));
        break;
      case 'notice':
        this.log.info(e.message);
        break;
      case 'run-finished': {
        // Clips that never started get no clip-finished event; list them so every clip has a line.
        const total = e.result.clips.length;
        e.result.clips.forEach((c, i) => {
          if (c.status === 'NOT_RUN') this.log.write(...clipLogLines(c, i + 1, total));
        });
        this.log.write(...runFooterLines(e.result));
        break;
      }
      default:
        break;
    }
  }

  /** The closing notification: what happened, naming the clip and the reason, with the next step. */
  private announce(run: RunState, result: RunResult): void {
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
    notify('error', `JobSpec ${name}: ${what}${notRun}`, showLog, rerun);
  }

  /** Resolve every output and the exact ffmpeg command of each clip, running nothing. */
  async dryRun(uri: vscode.Uri): Promise<DryRunClip[] | undefined> {
    if (!trustedOrExplain('A dry run (it runs ffprobe on the sources)')) return undefined;
    if (!(await this.saved(uri))) return undefined;
    const tools = await toolsOrExplain(uri, this.log);
    if (!tools) return undefined;
    const spec = await this.load(uri);
    if (!spec) return undefined;
    const clips = await dryRun(spec, tools);
    this.log.info(`Dry run of ${jobspecName(uri.fsPath)} (job ${spec.job_id}): ${plural(clips.length, 'clip')}, nothing is run.`);
    clips.forEach((c, i) => {
      this.log.info(`[${i + 1}/${clips.length}] ${path.basename(c.source)} → ${c.output}`);
      if (c.problem) this.log.error(`     Problem: ${c.problem}`);
      else this.log.info(`     ${c.commandLine}`);
    });
    this.log.show();
    const bad = clips.filter((c) => c.problem);
    if (bad.length > 0) {
      notify('warning', `Dry run of ${jobspecName(uri.fsPath)}: ${path.basename(bad[0].source)} would fail: ${bad[0].problem ?? ''}`, {
        title: 'Show Log',
        run: () => this.log.show(),
      });
    }
    return clips;
  }
}

/** End with exactly one full stop: core messages usually bring their own. */
function sentence(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}

type Reporter = vscode.Progress<{ message?: string; increment?: number }>;

/** Feed a progress notification from run events: overall percent over the run's clips, throttled. */
function progressReporter(progress: Reporter): (run: RunState, e: RunEvent) => void {
  let shown = 0;
  let last = 0;
  return (run, e) => {
    if (e.type !== 'clip-progress' && e.type !== 'clip-started' && e.type !== 'clip-finished') return;
    const now = Date.now();
    if (e.type === 'clip-progress' && now - last < PROGRESS_MS) return;
    last = now;
    const total = Math.max(1, run.clips.length);
    let done = 0;
    for (const c of run.clips) {
      if (c.status === 'RUNNING') done += (c.progress?.percent ?? 0) / 100;
      else if (c.status !== 'QUEUED') done += 1;
    }
    const percent = (done / total) * 100;
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
