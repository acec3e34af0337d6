// The Runs view follows the work: a run this window queues or starts is scrolled into view, then
// each clip as it starts, and when a run ends with a failure its failed clip is selected. Only while
// the view is visible: a hidden view is never forced open.
import type * as vscode from 'vscode';
import type { RunsViewControl } from './commands';
import type { RunState, RunStore } from './runs';
import type { RunsNode, RunsTreeProvider } from './tree';

export class RunsFollower implements RunsViewControl, vscode.Disposable {
  /** Ids of the rows revealed, in order (the tests read them). */
  readonly revealed: string[] = [];
  /** Per run, the clip last scrolled to. */
  private readonly followed = new Map<string, number>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly view: vscode.TreeView<RunsNode>,
    private readonly tree: RunsTreeProvider,
    private readonly store: RunStore,
  ) {
    this.subscriptions = [
      store.onDidAdd((run) => void this.reveal(run, undefined, false, false)),
      store.onDidChange((run) => {
        if (run?.phase !== 'running') return;
        // The clip started last is the one to watch (with several at once, the others are just above it).
        const clip = [...run.clips].reverse().find((c) => c.status === 'RUNNING');
        if (!clip || this.followed.get(run.key) === clip.index) return;
        this.followed.set(run.key, clip.index);
        void this.reveal(run, clip.index, false, false);
      }),
      store.onDidChangePhase((run) => {
        if (run?.phase !== 'finished' || run.origin !== 'window') return;
        this.followed.delete(run.key);
        const failed = run.clips.find((c) => c.status === 'FAILED');
        if (failed) void this.reveal(run, failed.index, true, false);
      }),
    ];
  }

  async revealClip(run: RunState, index: number, focus: boolean): Promise<void> {
    await this.reveal(run, index, true, focus);
  }

  private async reveal(run: RunState, index: number | undefined, select: boolean, focus: boolean): Promise<void> {
    if (!focus && !this.view.visible) return;
    await this.tree.flushed();
    const live = this.store.current(run);
    if (!live) return;
    const clip = index === undefined ? undefined : live.clips.find((c) => c.index === index);
    const node = this.tree.node(live, clip);
    try {
      await this.view.reveal(node, { select, focus, expand: clip === undefined ? false : 1 });
      this.revealed.push(clip ? `${live.key}/${clip.index}` : live.key);
    } catch {
      // The row went away meanwhile (a refresh, the run pruned): nothing to show.
    }
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
