// The Runs view remembers across reloads and restarts because it is rebuilt from the run reports on
// disk: those in the output folders of the workspace's JobSpecs, and in folders where this workspace
// ran JobSpecs from elsewhere. Reading is deferred past activation and redone when reports change.
import * as os from 'node:os';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadHistory, resolveAgainst } from '../core';
import { sentence } from './format';
import { referencedPaths } from './jsonRanges';
import type { JobSpecLog } from './log';
import { reportOf, runFromReport, type ElsewhereRun, type FinishedRun, type RunStore } from './runs';

const FOLDERS_KEY = 'jobspec.reportFolders';
/** Reports change in bursts (a run's journal, a copy of a whole folder): read again once things settle. */
const SETTLE_MS = 700;
/** At most this many JobSpecs of the workspace are looked at for their output folders. */
const MAX_JOBSPECS = 1000;

export class RunHistory implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;
  private again = false;
  private readonly watchers = new Map<string, vscode.FileSystemWatcher>();
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  /** Problems already logged, so that one bad report is named once, not on every reload. */
  private readonly logged = new Set<string>();

  constructor(
    private readonly store: RunStore,
    private readonly log: JobSpecLog,
    private readonly state: vscode.Memento,
    private readonly limit: () => number,
  ) {
    const jobspecs = vscode.workspace.createFileSystemWatcher('**/*.jobspec.json');
    const soon = (): void => this.schedule();
    this.disposables.push(
      jobspecs,
      jobspecs.onDidCreate(soon),
      jobspecs.onDidChange(soon),
      jobspecs.onDidDelete(soon),
      // Reports written by the command in a terminal, or another window, while this one was in the
      // background: the watchers may not have told (see diagnostics.ts), so look again on coming back.
      vscode.window.onDidChangeWindowState((w) => {
        if (w.focused) this.schedule();
      }),
      // A report this window wrote: its folder joins the history's folders for the next window.
      store.onDidChangePhase((run) => {
        const report = run ? reportOf(run) : undefined;
        if (report && run?.phase === 'finished' && run.origin === 'window') void this.remember(path.dirname(report));
      }),
    );
  }

  /** Read the history again soon (after things settled). */
  schedule(delay = SETTLE_MS): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), delay);
  }

  /** Read the reports again now; resolves when the view has them. */
  async reload(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = this.load().finally(() => {
      this.loading = undefined;
      if (this.again && !this.disposed) {
        this.again = false;
        this.schedule(0);
      }
    });
    return this.loading;
  }

  private async folders(): Promise<string[]> {
    const dirs = new Set(this.state.get<string[]>(FOLDERS_KEY, []));
    const files = await vscode.workspace.findFiles('**/*.jobspec.json', '**/node_modules/**', MAX_JOBSPECS);
    await Promise.all(
      files.map(async (uri) => {
        const text = await fsp.readFile(uri.fsPath, 'utf8').catch(() => '');
        // Read leniently: the file may be half-written.
        const out = referencedPaths(text).outputDirectory;
        if (out) dirs.add(resolveAgainst(path.dirname(uri.fsPath), out));
      }),
    );
    return [...dirs];
  }

  private async load(): Promise<void> {
    const dirs = await this.folders();
    if (this.disposed) return;
    this.watch(dirs);
    const { entries, problems } = await loadHistory(dirs, this.limit() + 10);
    if (this.disposed) return;
    for (const p of problems) {
      if (this.logged.has(p.file)) continue;
      this.logged.add(p.file);
      this.log.warn(`Run history: ${p.message}`);
    }
    const runs: (FinishedRun | ElsewhereRun)[] = [];
    for (const e of entries) {
      // A report this window is writing now is the run already in the view.
      if (e.status === 'RUNNING' && e.result.writer?.pid === process.pid && e.result.writer.host === os.hostname()) continue;
      runs.push(runFromReport(this.store.newKey(), e.result, e.status, e.result.interrupted ? sentence(e.result.interrupted) : undefined));
    }
    this.store.setHistory(runs);
  }

  /** Reports appear, change and go in these folders: read the history again when they do. */
  private watch(dirs: string[]): void {
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '*.report.json'));
      const soon = (): void => this.schedule();
      w.onDidCreate(soon);
      w.onDidChange(soon);
      w.onDidDelete(soon);
      this.watchers.set(dir, w);
    }
  }

  private async remember(dir: string): Promise<void> {
    const known = this.state.get<string[]>(FOLDERS_KEY, []);
    if (!known.includes(dir)) await this.state.update(FOLDERS_KEY, [...known, dir].slice(-200));
    this.watch([dir]);
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
