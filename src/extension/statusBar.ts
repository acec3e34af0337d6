// A status bar item while runs are active: what runs and how far it is. Click shows the Runs view.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { countByStatus } from './lines';
import type { RunStore } from './runs';
import { SHOW_RUNS_COMMAND } from './runner';
import { clipProgressText } from './tree';

const REFRESH_MS = 250;

export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('jobspec.run', vscode.StatusBarAlignment.Left, 10);
  private readonly subscription: vscode.Disposable;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: RunStore) {
    this.item.name = 'JobSpec Run';
    this.item.command = SHOW_RUNS_COMMAND;
    this.subscription = store.onDidChange(() => {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.update();
      }, REFRESH_MS);
    });
  }

  update(): void {
    const active = this.store.active();
    if (active.length === 0) {
      this.item.hide();
      return;
    }
    if (active.length > 1) {
      this.item.text = `$(sync~spin) ${active.length} JobSpec runs`;
      this.item.tooltip = active.map((r) => r.name).join('\n');
    } else {
      const run = active[0];
      const counts = countByStatus(run);
      const running = run.clips.find((c) => c.status === 'RUNNING');
      const done = run.clips.length - counts.QUEUED - counts.RUNNING;
      this.item.text = `$(sync~spin) ${run.name} ${Math.min(done + 1, run.clips.length)}/${run.clips.length}${running?.progress?.percent != null ? ` ${Math.floor(running.progress.percent)}%` : ''}`;
      this.item.tooltip = running
        ? `JobSpec ${run.name}: ${path.basename(running.source)} — ${clipProgressText(running)}\nClick to show the Runs view.`
        : `JobSpec ${run.name}\nClick to show the Runs view.`;
    }
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subscription.dispose();
    this.item.dispose();
  }
}
