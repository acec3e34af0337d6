// Every command of the extension. Each takes what its callers pass: a file Uri (editor title,
// Explorer, CodeLens), a Runs-view node, a run key (buttons in notifications), or nothing (the
// palette: the active editor's JobSpec, or the newest run that fits).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DryRunClip, LoadResult, RunResult } from '../core';
import type { JobSpecDiagnostics } from './diagnostics';
import { plural } from './format';
import { CREATE_FOLDER_COMMAND, FOLDER_TO_CLIPS_COMMAND, folderToClipsEdit } from './quickFixes';
import { REPORT_VIEW } from './reportEditor';
import type { RunHistory } from './history';
import { isJobSpecUri } from './jobspecFiles';
import type { JobSpecLog } from './log';
import { notify } from './notify';
import { revealPath } from './reveal';
import { isActive, rerunIndices, type FinishedRun, type RunState, type RunStore } from './runs';
import type { Runner } from './runner';
import { doneOfTotal, startTimeText, statusWord } from './runText';
import type { RunsNode } from './tree';

type Target = vscode.Uri | RunsNode | string | undefined;

function isNode(t: unknown): t is RunsNode {
  return typeof t === 'object' && t !== null && 'kind' in t && 'run' in t;
}

/** Where a command that is given a run should show it. */
export interface RunsViewControl {
  revealClip(run: RunState, index: number, focus: boolean): Promise<void>;
}

export class Commands {
  constructor(
    private readonly store: RunStore,
    private readonly runner: Runner,
    private readonly diagnostics: JobSpecDiagnostics,
    private readonly log: JobSpecLog,
    private readonly history: RunHistory,
    private readonly view: RunsViewControl,
  ) {}

  register(): vscode.Disposable[] {
    const r = vscode.commands.registerCommand;
    return [
      r('jobspec.validate', (t?: Target) => this.validate(t)),
      r('jobspec.execute', (t?: Target) => this.execute(t)),
      r('jobspec.cancel', (t?: Target) => this.cancel(t)),
      r('jobspec.dryRun', (t?: Target) => this.dryRun(t)),
      r('jobspec.rerunFailed', (t?: Target) => this.rerunFailed(t, 'rerun')),
      r('jobspec.resume', (t?: Target) => this.rerunFailed(t, 'resume')),
      r('jobspec.revealOutput', (t?: Target) => this.revealOutput(t)),
      r('jobspec.openReport', (t?: Target) => this.openReport(t)),
      r('jobspec.showLog', () => this.log.show()),
      r('jobspec.openSource', (t?: Target) => this.openSource(t)),
      r('jobspec.clearFinished', () => this.store.clearFinished()),
      r('jobspec.refreshRuns', () => this.history.reload()),
      r('jobspec.showFailedClip', (t?: Target) => this.showFailedClip(t)),
      r(CREATE_FOLDER_COMMAND, (folder: string, doc?: vscode.Uri) => this.createFolder(folder, doc)),
      r(FOLDER_TO_CLIPS_COMMAND, (doc: vscode.Uri, index: number) => this.folderToClips(doc, index)),
    ];
  }

  /** The JobSpec file a command is about, asking when nothing says. */
  async jobspecUri(t: Target): Promise<vscode.Uri | undefined> {
    if (t instanceof vscode.Uri) return t;
    if (isNode(t)) return vscode.Uri.file(t.run.jobspecFile);
    if (typeof t === 'string') {
      const run = this.store.get(t);
      if (run) return vscode.Uri.file(run.jobspecFile);
    }
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active && isJobSpecUri(active)) return active;
    const found = await vscode.workspace.findFiles('**/*.jobspec.json', '**/node_modules/**', 200);
    if (found.length === 1) return found[0];
    if (found.length === 0) {
      notify('info', 'No JobSpec is open. Open a *.jobspec.json file, or create one.', {
        title: 'New JobSpec',
        run: () => vscode.commands.executeCommand('jobspec.new'),
      });
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      found.map((uri) => ({
        label: path.basename(uri.fsPath),
        description: vscode.workspace.asRelativePath(path.dirname(uri.fsPath)),
        uri,
      })),
      { placeHolder: 'Choose a JobSpec' },
    );
    return pick?.uri;
  }

  /**
   * The run a command is about: the one given (tree node, run key); for a file, its newest run
   * that fits; from the palette, the active editor's newest, else any, asking when several fit.
   */
  async pickRun<T extends RunState>(t: Target, fits: (r: RunState) => r is T, none: string): Promise<T | undefined> {
    if (isNode(t) || typeof t === 'string') {
      const run = isNode(t) ? this.store.current(t.run) : this.store.get(t);
      if (run && fits(run)) return run;
      if (!run) notify('info', none);
      return undefined;
    }
    const runs = this.store.all().filter(fits);
    const file = t instanceof vscode.Uri ? t.fsPath : vscode.window.activeTextEditor?.document.uri.fsPath;
    const ofFile = runs.filter((r) => r.jobspecFile === file);
    const candidates = t instanceof vscode.Uri ? ofFile.slice(0, 1) : ofFile.length > 0 ? ofFile.slice(0, 1) : runs;
    if (candidates.length === 0) {
      notify('info', none);
      return undefined;
    }
    if (candidates.length === 1) return candidates[0];
    const pick = await vscode.window.showQuickPick(
      candidates.map((run) => ({
        label: run.name,
        description: `${run.jobId} · ${statusWord(run)}${run.clips.length ? ` ${doneOfTotal(run)}` : ''}${run.phase === 'queued' ? '' : ` · ${startTimeText(run.startedAt)}`}`,
        run,
      })),
      { placeHolder: 'Choose a run' },
    );
    return pick?.run;
  }

  async validate(t: Target): Promise<LoadResult | undefined> {
    const uri = await this.jobspecUri(t);
    if (!uri) return undefined;
    const doc = await vscode.workspace.openTextDocument(uri);
    const result = await this.diagnostics.validate(doc);
    if (!result) return undefined;
    const name = path.basename(uri.fsPath);
    if (result.ok) {
      for (const p of result.problems) this.log.warn(p.message);
      const spec = result.spec;
      this.log.info(`${name} is valid: ${plural(spec.sources.length, 'clip')} → ${spec.output_directory}`);
      notify('info', `JobSpec ${name} is valid: ${plural(spec.sources.length, 'clip')} → ${spec.output_directory}`);
    } else {
      this.runner.reportProblems(uri, result.problems, 'has problems');
    }
    return result;
  }

  async execute(t: Target): Promise<RunResult | undefined> {
    const uri = await this.jobspecUri(t);
    return uri ? this.runner.execute(uri) : undefined;
  }

  async dryRun(t: Target): Promise<DryRunClip[] | undefined> {
    const uri = await this.jobspecUri(t);
    return uri ? this.runner.dryRun(uri) : undefined;
  }

  async cancel(t: Target): Promise<boolean> {
    if (t instanceof vscode.Uri && !this.store.activeFor(t.fsPath) && this.runner.cancelDryRun(t.fsPath)) return true;
    // From the palette a watch folder's runs are not offered; named (CodeLens, editor title, tree) they are explained.
    const run = await this.pickRun(
      t,
      (r): r is RunState => isActive(r) && (t !== undefined || !r.watchFolder),
      'No JobSpec run is in progress or queued.',
    );
    if (!run || !isActive(run)) return false;
    if (run.watchFolder) {
      const folder = run.watchFolder;
      notify('info', `${run.name} runs in the watch folder ${folder}. Stop watching the folder to cancel it; it then goes to failed/.`, {
        title: 'Stop Watching Folder',
        run: () => vscode.commands.executeCommand('jobspec.stopWatching', vscode.Uri.file(folder)),
      });
      return false;
    }
    this.log.warn(`${run.name} › ${run.phase === 'queued' ? 'Removing it from the queue' : `Cancelling run ${run.jobId}`}…`);
    run.controller.abort();
    return true;
  }

  async rerunFailed(t: Target, how: 'rerun' | 'resume'): Promise<RunResult | undefined> {
    const run = await this.pickRun(
      t,
      (r): r is FinishedRun => rerunIndices(r).length > 0 && (how === 'rerun' || (r.phase === 'finished' && r.status === 'INTERRUPTED')),
      how === 'resume' ? 'No interrupted run to resume.' : 'No finished run has failed, cancelled or unrun clips to run again.',
    );
    if (!run) return undefined;
    return this.runner.execute(vscode.Uri.file(run.jobspecFile), run);
  }

  async revealOutput(t: Target): Promise<string | undefined> {
    let target: string | undefined;
    if (isNode(t) && t.kind === 'clip') target = t.clip.output;
    else {
      const run = await this.pickRun(
        t,
        (r): r is FinishedRun => r.phase === 'finished' && r.result !== undefined,
        'No finished run to reveal the output of.',
      );
      const clip = run?.result?.clips.find((c) => c.status === 'COMPLETED' || c.status === 'SKIPPED') ?? run?.result?.clips[0];
      if (clip) target = path.dirname(clip.output);
    }
    if (target) await revealPath(target);
    return target;
  }

  async openReport(t: Target): Promise<vscode.Uri | undefined> {
    const run = await this.pickRun(
      t,
      (r): r is FinishedRun => r.phase === 'finished' && r.result?.report_path != null,
      'No finished run has a report yet.',
    );
    const report = run?.result?.report_path;
    if (!report) {
      const given = isNode(t) ? this.store.current(t.run) : typeof t === 'string' ? this.store.get(t) : undefined;
      if (given?.phase === 'finished' && given.result?.report_error)
        notify('error', `The report of ${given.name} was not written: ${given.result.report_error}`);
      return undefined;
    }
    const uri = vscode.Uri.file(report);
    // The report view (JSON is one click away in it).
    await vscode.commands.executeCommand('vscode.openWith', uri, REPORT_VIEW);
    return uri;
  }

  async openSource(t: Target): Promise<void> {
    if (!isNode(t) || t.kind !== 'clip') return;
    await revealPath(t.clip.source);
  }

  /** The quick fix for a missing output folder: create it, then check the JobSpec again. */
  async createFolder(folder: string, doc?: vscode.Uri): Promise<boolean> {
    try {
      await fs.mkdir(folder, { recursive: true });
    } catch (err) {
      notify(
        'error',
        `Could not create the folder ${folder}: ${(err as NodeJS.ErrnoException).code ?? String(err)}. Check the permissions of its parent.`,
      );
      return false;
    }
    this.log.info(`Created the output folder ${folder}.`);
    const open = doc && vscode.workspace.textDocuments.find((d) => d.uri.toString() === doc.toString());
    if (open) await this.diagnostics.validate(open);
    return true;
  }

  /** The quick fix for a folder in sources: its clips take its place. */
  async folderToClips(uri: vscode.Uri, index: number): Promise<boolean> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const edit = await folderToClipsEdit(doc, index);
    if (!edit) {
      notify('info', `sources[${index}] of ${path.basename(uri.fsPath)} is no longer a folder with clips in it.`);
      return false;
    }
    return vscode.workspace.applyEdit(edit);
  }

  /** Scroll the Runs view to a run's first failed clip and select it. */
  async showFailedClip(t: Target): Promise<number | undefined> {
    const run = await this.pickRun(
      t,
      (r): r is RunState => r.clips.some((c) => c.status === 'FAILED'),
      'No run in the Runs view has a failed clip.',
    );
    const failed = run?.clips.find((c) => c.status === 'FAILED');
    if (!run || !failed) return undefined;
    await this.view.revealClip(run, failed.index, true);
    return failed.index;
  }
}
