// A status bar item while runs are active: what runs and how far it is. Click shows the Runs view.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatDuration } from '../core';
import type { RunStore } from './runs';
import { SHOW_RUNS_COMMAND } from './runner';
import { clipProgressText, doneOfTotal, runEtaSeconds } from './runText';

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

  /** The text shown now (also read by the tests). */
  text(): string | undefined {
    const running = this.store.running();
    const queued = this.store.active().length - running.length;
    const waiting = queued > 0 ? ` · ${queued} queued` : '';
    if (running.length === 0) return queued > 0 ? `$(clock) ${queued} JobSpec run${queued === 1 ? '' : 's'} queued` : undefined;
    if (running.length > 1) return `$(sync~spin) ${running.length} JobSpec runs${waiting}`;
    const run = running[0];
    const clip = run.clips.find((c) => c.status === 'RUNNING');
    const percent = clip?.progress?.percent != null ? ` · ${Math.floor(clip.progress.percent)}%` : '';
    const eta = runEtaSeconds(run);
    // The same done/total count as the run's row in the Runs view.
    return `$(sync~spin) ${run.name} ${doneOfTotal(run)}${percent}${eta !== null ? ` · ETA ${formatDuration(eta)}` : ''}${waiting}`;
  }

  update(): void {
    const text = this.text();
    if (!text) {
      this.item.hide();
      return;
    }
    this.item.text = text;
    const running = this.store.running();
    const clip = running.length === 1 ? running[0].clips.find((c) => c.status === 'RUNNING') : undefined;
    this.item.tooltip = clip
      ? `JobSpec ${running[0].name}: ${doneOfTotal(running[0])} clips done; ${path.basename(clip.source)} — ${clipProgressText(clip)}\nClick to show the Runs view.`
      : `${this.store
          .active()
          .map((r) => `${r.name} (${r.phase})`)
          .join('\n')}\nClick to show the Runs view.`;
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subscription.dispose();
    this.item.dispose();
  }
}
