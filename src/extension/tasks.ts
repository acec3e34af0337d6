// The `jobspec` task type: Validate, Execute or Dry Run a JobSpec as a task, so runs chain in
// tasks.json (dependsOn) and show in the Terminal. The terminal prints what the headless command
// prints, problems (and failed clips, at their entry in `sources`) as `file:line:col: error:` lines.
// The task reports those problems in the Problems panel itself: a problem matcher reads the
// terminal as it is drawn, and a task terminal behind another panel view was seen not to be drawn
// (no problems at all). The `$jobspec` problem matcher is for the headless command in shell tasks.
// An execute task is a run like any other: in the Runs view, in the queue, in the log. The
// JobSpec's overwrite policy holds as written: a task never stops to ask.
import * as path from 'node:path';
import * as vscode from 'vscode';
import * as jsonc from 'jsonc-parser';
import { dryRun, loadJobSpec, multiFooter, multiHeader, clipLines, problemLine, type RunEvent, type RunResult } from '../core';
import { toolsOrExplain } from './ffmpegTools';
import { problemSpan } from './jsonRanges';
import type { JobSpecLog } from './log';
import type { Runner } from './runner';

export const TASK_TYPE = 'jobspec';
/** What a task found, for the Problems panel (source "JobSpec task"). */
export interface TaskProblem {
  offset: number;
  length: number;
  message: string;
  severity: 'error' | 'warning';
  code: string;
}
export type TaskCommand = 'execute' | 'validate' | 'dry-run';

export interface JobSpecTaskDefinition extends vscode.TaskDefinition {
  type: typeof TASK_TYPE;
  /** The JobSpec, relative to the workspace folder or absolute. */
  file: string;
  command?: TaskCommand;
}

function isDefinition(d: vscode.TaskDefinition): d is JobSpecTaskDefinition {
  return d.type === TASK_TYPE && typeof d.file === 'string';
}

/** 1-based line and column of a character offset. */
function lineCol(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

class JobSpecTaskTerminal implements vscode.Pseudoterminal {
  private readonly writes = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writes.event;
  private readonly closes = new vscode.EventEmitter<number>();
  readonly onDidClose = this.closes.event;
  private readonly controller = new AbortController();

  constructor(
    private readonly file: string,
    private readonly command: TaskCommand,
    private readonly runner: Runner,
    private readonly log: JobSpecLog,
    private readonly report: (file: string, text: string, problems: TaskProblem[]) => void,
  ) {}

  open(): void {
    void this.run()
      .catch((err: unknown) => {
        this.line(`error: ${err instanceof Error ? err.message : String(err)}`);
        return 1;
      })
      .then((code) => this.closes.fire(code));
  }

  /** The task was terminated: a run in progress is cancelled like Cancel Run. */
  close(): void {
    this.controller.abort();
  }

  private line(text: string): void {
    this.writes.fire(`${text.replace(/\r?\n/g, '\r\n')}\r\n`);
  }

  private async run(): Promise<number> {
    this.line(`jobspec ${this.command} ${this.file}`);
    const loaded = await loadJobSpec(this.file);
    for (const p of loaded.problems) this.line(problemLine(this.file, p));
    this.report(
      this.file,
      loaded.text,
      loaded.problems.map((p) => ({
        offset: p.offset ?? 0,
        length: p.length ?? 0,
        message: p.message,
        severity: p.severity,
        code: p.code,
      })),
    );
    if (!loaded.ok) {
      const errors = loaded.problems.filter((p) => p.severity === 'error').length;
      this.line(`${this.file}: ${errors} problem${errors === 1 ? '' : 's'} found; nothing was run.`);
      return 1;
    }
    const spec = loaded.spec;
    if (this.command === 'validate') {
      this.line(
        `${this.file}: valid: ${spec.sources.length} source${spec.sources.length === 1 ? '' : 's'} → ${spec.output_directory} (${spec.codec} in ${spec.container}, ${spec.resolution})`,
      );
      return 0;
    }
    const uri = vscode.Uri.file(this.file);
    if (this.command === 'dry-run') {
      const tools = await toolsOrExplain(uri, this.log);
      if (!tools) return 4;
      const clips = await dryRun(spec, tools, { signal: this.controller.signal });
      clips.forEach((c, i) => {
        this.line(`[${i + 1}/${spec.sources.length}] ${path.basename(c.source)} → ${c.output}`);
        this.line(c.problem ? `     Problem: ${c.problem}` : `     ${c.commandLine}`);
      });
      return clips.some((c) => c.problem) ? 2 : 0;
    }
    const result = await this.runner.execute(uri, undefined, { signal: this.controller.signal, onEvent: (e) => this.event(e) });
    if (!result) {
      this.line('The run did not start; the notification and the JobSpec log say why.');
      return 1;
    }
    this.failedClips(loaded.text, result);
    return result.exit_code;
  }

  /** The headless command's lines for a run, as it goes. */
  private event(e: RunEvent): void {
    if (e.type === 'run-started') for (const l of multiHeader(e.job_id, e.total)) this.line(l);
    else if (e.type === 'clip-finished' && e.result.status !== 'NOT_RUN')
      for (const l of clipLines(e.result, e.position, e.total)) this.line(l);
    else if (e.type === 'notice') this.line(e.message);
    else if (e.type === 'run-finished') {
      const total = e.result.clips.length;
      e.result.clips.forEach((c, i) => {
        if (c.status === 'NOT_RUN') for (const l of clipLines(c, i + 1, total)) this.line(l);
      });
      for (const l of multiFooter(e.result)) this.line(l);
    }
  }

  /** Each failed clip as a problem at its entry in `sources`. */
  private failedClips(text: string, result: RunResult): void {
    const tree = jsonc.parseTree(text);
    const problems: TaskProblem[] = [];
    for (const c of result.clips) {
      if (c.status !== 'FAILED') continue;
      const span = problemSpan(
        text,
        { pointer: `/sources/${c.index}`, message: '', severity: 'error', code: 'clip-failed', kind: 'meaning' },
        tree,
      );
      const at = lineCol(text, span.offset);
      const message = `clip ${c.index + 1} (${path.basename(c.source)}) failed: ${c.message ?? `ffmpeg exit code ${c.exit_code ?? '?'}`}`;
      this.line(`${this.file}:${at.line}:${at.column}: error: ${message} [clip-failed]`);
      problems.push({ offset: span.offset, length: span.length, message, severity: 'error', code: 'clip-failed' });
    }
    this.report(this.file, text, problems);
  }
}

export class JobSpecTaskProvider implements vscode.TaskProvider {
  private readonly problems = vscode.languages.createDiagnosticCollection('jobspec-task');

  constructor(
    private readonly runner: Runner,
    private readonly log: JobSpecLog,
  ) {}

  register(): vscode.Disposable[] {
    return [vscode.tasks.registerTaskProvider(TASK_TYPE, this), this.problems];
  }

  /** The problems of a task's last run of this file replace those of the one before. */
  private readonly report = (file: string, text: string, problems: TaskProblem[]): void => {
    const position = (offset: number): vscode.Position => {
      const at = lineCol(text, offset);
      return new vscode.Position(at.line - 1, at.column - 1);
    };
    this.problems.set(
      vscode.Uri.file(file),
      problems.map((p) => {
        const d = new vscode.Diagnostic(
          new vscode.Range(position(p.offset), position(p.offset + p.length)),
          p.message,
          p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
        );
        d.source = 'JobSpec task';
        d.code = p.code;
        return d;
      }),
    );
  };

  async provideTasks(): Promise<vscode.Task[]> {
    const files = await vscode.workspace.findFiles('**/*.jobspec.json', '**/node_modules/**', 200);
    return files.flatMap((uri) => {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      const file = folder ? path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/') : uri.fsPath;
      return (['execute', 'validate'] as const).map((command) =>
        this.task({ type: TASK_TYPE, file, command }, folder ?? vscode.TaskScope.Workspace),
      );
    });
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    return isDefinition(task.definition) ? this.task(task.definition, task.scope ?? vscode.TaskScope.Workspace) : undefined;
  }

  private task(definition: JobSpecTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope): vscode.Task {
    const command = definition.command ?? 'execute';
    const base = typeof scope === 'object' ? scope.uri.fsPath : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const file = path.isAbsolute(definition.file) || !base ? definition.file : path.join(base, definition.file);
    const task = new vscode.Task(
      definition,
      scope,
      `${command} ${definition.file}`,
      TASK_TYPE,
      new vscode.CustomExecution(() => Promise.resolve(new JobSpecTaskTerminal(file, command, this.runner, this.log, this.report))),
      // The task reports its problems itself (see above); $jobspec is for the headless command in shell tasks.
      [],
    );
    task.detail =
      command === 'execute'
        ? 'Make the proxies of this JobSpec'
        : command === 'validate'
          ? 'Check this JobSpec'
          : 'Show each output and ffmpeg command, running nothing';
    if (command === 'execute') task.group = vscode.TaskGroup.Build;
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
    return task;
  }
}
