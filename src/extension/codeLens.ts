// CodeLens at the top of a JobSpec: Execute, Validate, Dry Run; while it runs or waits, what it is doing and Cancel.
import * as vscode from 'vscode';
import type { RunStore } from './runs';

export class JobSpecCodeLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly store: RunStore) {
    this.subscription = store.onDidChangePhase(() => this.changed.fire());
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const top = new vscode.Range(0, 0, 0, 0);
    const args = [doc.uri];
    const run = this.store.activeFor(doc.uri.fsPath);
    if (run) {
      return [
        new vscode.CodeLens(top, {
          title: run.phase === 'queued' ? '$(clock) Queued…' : '$(sync~spin) Running…',
          tooltip: 'Show this run in the Runs view',
          command: 'jobspec.runs.focus',
        }),
        new vscode.CodeLens(top, {
          title: '$(debug-stop) Cancel Run',
          tooltip:
            run.phase === 'queued' ? 'Take this run out of the queue' : 'Stop this run; the clip in progress leaves no partial output',
          command: 'jobspec.cancel',
          arguments: args,
        }),
      ];
    }
    return [
      new vscode.CodeLens(top, {
        title: '$(play) Execute',
        tooltip: 'Run this JobSpec with ffmpeg',
        command: 'jobspec.execute',
        arguments: args,
      }),
      new vscode.CodeLens(top, {
        title: '$(check) Validate',
        tooltip: 'Check this JobSpec, sources and output folder included',
        command: 'jobspec.validate',
        arguments: args,
      }),
      new vscode.CodeLens(top, {
        title: '$(eye) Dry Run',
        tooltip: 'Show each output path and ffmpeg command, running nothing',
        command: 'jobspec.dryRun',
        arguments: args,
      }),
    ];
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
