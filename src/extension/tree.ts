// The `Runs` view: each run, newest first, expands to its clips in sources order.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Coalescer } from './coalesce';
import { formatCommandLine, formatDuration, type ClipStatus, type RunStatus } from '../core';
import { bytes, plural } from './format';
import { countByStatus } from './lines';
import { rerunIndices, type ClipState, type RunState, type RunStore } from './runs';

export type RunsNode = { kind: 'run'; run: RunState } | { kind: 'clip'; run: RunState; clip: ClipState };

/** At most this many tree refreshes a second while a run reports progress. */
const REFRESH_MS = 250;

const CLIP_ICON: Record<ClipStatus, [string, string]> = {
  QUEUED: ['circle-large-outline', 'descriptionForeground'],
  RUNNING: ['sync~spin', 'charts.blue'],
  COMPLETED: ['pass-filled', 'testing.iconPassed'],
  FAILED: ['error', 'testing.iconFailed'],
  SKIPPED: ['debug-step-over', 'testing.iconSkipped'],
  CANCELLED: ['circle-slash', 'list.warningForeground'],
  NOT_RUN: ['circle-large-outline', 'disabledForeground'],
};

const RUN_ICON: Record<RunStatus, [string, string]> = {
  COMPLETED: ['pass-filled', 'testing.iconPassed'],
  FAILED: ['error', 'testing.iconFailed'],
  PARTIAL: ['warning', 'list.warningForeground'],
  CANCELLED: ['circle-slash', 'list.warningForeground'],
  RUNNING: ['sync~spin', 'charts.blue'],
  INTERRUPTED: ['debug-disconnect', 'list.warningForeground'],
};

function icon([id, color]: [string, string]): vscode.ThemeIcon {
  return new vscode.ThemeIcon(id, new vscode.ThemeColor(color));
}

export function elapsedSeconds(run: RunState, now = Date.now()): number {
  return run.result?.elapsed_seconds ?? ((run.finishedAt ?? now) - run.startedAt) / 1000;
}

export function clipProgressText(clip: ClipState): string {
  const p = clip.progress;
  if (!p) return 'starting…';
  const parts: string[] = [];
  if (p.percent !== null) parts.push(`${Math.floor(p.percent)}%`);
  if (p.fps !== null) parts.push(`${Math.round(p.fps)} fps`);
  if (p.speed !== null) parts.push(`${p.speed.toFixed(1)}×`);
  if (p.eta_seconds !== null) parts.push(`ETA ${formatDuration(p.eta_seconds)}`);
  return parts.length > 0 ? parts.join(' · ') : 'running…';
}

export function runDescription(run: RunState): string {
  const counts = countByStatus(run);
  const done = counts.COMPLETED + counts.SKIPPED;
  const head = run.phase === 'running' ? 'RUNNING' : (run.status ?? 'FAILED');
  // The job id is worth its room only when it says more than the label already does.
  const parts = run.jobId === run.name ? [] : [run.jobId];
  parts.push(`${head} ${done}/${run.clips.length}`);
  if (counts.FAILED > 0) parts.push(`${counts.FAILED} failed`);
  if (run.phase === 'finished' && counts.NOT_RUN > 0) parts.push(`${counts.NOT_RUN} not run`);
  parts.push(formatDuration(elapsedSeconds(run)));
  return parts.join(' · ');
}

function clipDescription(clip: ClipState): string {
  const r = clip.result;
  switch (clip.status) {
    case 'RUNNING':
      return clipProgressText(clip);
    case 'QUEUED':
      return 'queued';
    case 'COMPLETED':
      return [
        `→ ${path.basename(clip.output)}`,
        r ? `${r.elapsed_seconds.toFixed(1)}s` : '',
        r?.output_size != null ? bytes(r.output_size) : '',
      ]
        .filter(Boolean)
        .join(' · ');
    case 'FAILED':
      return [r?.exit_code != null ? `exit ${r.exit_code}` : '', r?.message ?? 'failed'].filter(Boolean).join(' · ');
    case 'NOT_RUN':
      return 'not run';
    default:
      return r?.message ?? clip.status.toLowerCase();
  }
}

/** The tree item id: stable across refreshes, so VS Code keeps each row (and its expansion) in place. */
function nodeId(node: RunsNode): string {
  return node.kind === 'run' ? node.run.key : `${node.run.key}/${node.clip.index}`;
}

function fence(text: string): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}text\n${text}\n${f}`;
}

export function clipTooltip(run: RunState, clip: ClipState): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${clip.status}** — clip ${clip.index + 1} of ${run.name}\n\n`);
  md.appendMarkdown('Source: ').appendText(clip.source).appendMarkdown('\n\n');
  md.appendMarkdown('Output: ').appendText(clip.output).appendMarkdown('\n\n');
  if (clip.status === 'RUNNING') md.appendText(clipProgressText(clip)).appendMarkdown('\n\n');
  const r = clip.result;
  if (r?.message) md.appendText(r.message).appendMarkdown('\n\n');
  if (clip.ffmpegArgs.length > 0)
    md.appendMarkdown('ffmpeg command:\n\n')
      .appendMarkdown(fence(formatCommandLine(run.ffmpegPath, clip.ffmpegArgs)))
      .appendMarkdown('\n\n');
  if (r && r.status === 'FAILED' && r.stderr_tail.length > 0)
    md.appendMarkdown('Last stderr:\n\n').appendMarkdown(fence(r.stderr_tail.join('\n')));
  return md;
}

function runTooltip(run: RunState): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${run.name}** — job \`${run.jobId}\`\n\n`);
  md.appendText(run.jobspecFile).appendMarkdown('\n\n');
  md.appendText(
    `${run.phase === 'running' ? 'RUNNING' : (run.status ?? '')} · ${plural(run.clips.length, 'clip')} · ${formatDuration(elapsedSeconds(run))}`,
  );
  if (run.only) md.appendText(` · re-run of clips ${run.only.map((i) => i + 1).join(', ')}`);
  md.appendMarkdown('\n\n');
  if (run.watchFolder) md.appendMarkdown('From the watch folder ').appendText(run.watchFolder).appendMarkdown('\n\n');
  if (run.error) md.appendText(run.error).appendMarkdown('\n\n');
  if (run.result?.report_path) md.appendMarkdown('Report: ').appendText(run.result.report_path);
  return md;
}

export function runContextValue(run: RunState): string {
  // A watch folder's run is stopped with its folder (Stop Watching Folder), not on its own.
  const tags = ['jobspecRun', run.phase === 'running' ? (run.watchFolder ? 'running' : 'active') : 'finished'];
  if (run.watchFolder) tags.push('watched');
  if (rerunIndices(run).length > 0) tags.push('rerunnable');
  if (run.result?.report_path) tags.push('report');
  if (run.phase === 'finished' && run.result) tags.push('output');
  return tags.join(' ');
}

export function clipContextValue(clip: ClipState): string {
  const tags = ['jobspecClip', clip.status.toLowerCase()];
  if (clip.status === 'COMPLETED' || clip.status === 'SKIPPED') tags.push('output');
  return tags.join(' ');
}

/** What a progress tick cannot change: when this differs, the run's rows are redrawn with the whole view. */
function runShape(run: RunState): string {
  return [
    run.phase,
    run.status ?? '',
    run.jobId,
    run.jobspecFile,
    run.error ?? '',
    run.result ? 'result' : '',
    ...run.clips.map((c) => `${c.index}:${c.status}`),
  ].join('|');
}

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | RunsNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** At most one redraw per REFRESH_MS, and always one after the last change. */
  private readonly refresh = new Coalescer(REFRESH_MS, () => this.flush());
  private readonly subscription: vscode.Disposable;
  /** Refreshes actually sent to the view (tests check the throttle). */
  refreshCount = 0;
  /** The whole view must be redrawn (a run came, went, or a clip changed status), or only rows of these runs (progress). */
  private whole = false;
  private readonly progressed = new Set<RunState>();
  /** Each run's shape when last seen, to tell a progress tick from a change of status. */
  private readonly shapes = new Map<string, string>();
  /**
   * One node object per row, kept across refreshes: VS Code finds a row to redraw by the object it
   * was given, and redrawing only the rows whose text changed keeps hovers on the others open.
   */
  private readonly nodes = new Map<string, RunsNode>();
  /** The description each row was last drawn with, as far as targeted redraws go. */
  private readonly drawn = new Map<string, string>();

  constructor(private readonly store: RunStore) {
    this.subscription = store.onDidChange((run) => {
      if (!run) this.whole = true;
      else {
        const shape = runShape(run);
        if (this.shapes.get(run.key) !== shape) this.whole = true;
        else this.progressed.add(run);
        this.shapes.set(run.key, shape);
      }
      this.refresh.request();
    });
  }

  private flush(): void {
    const runs = [...this.progressed];
    this.progressed.clear();
    if (this.whole) {
      this.whole = false;
      this.drawn.clear();
      const live = new Set(this.store.all().map((r) => r.key));
      for (const key of this.shapes.keys()) if (!live.has(key)) this.shapes.delete(key);
      this.refreshCount++;
      this.changed.fire(undefined);
      return;
    }
    const rows = runs.flatMap((run) => this.changedRows(run));
    if (rows.length === 0) return;
    this.refreshCount++;
    this.changed.fire(rows);
  }

  /** The rows of a run whose description moved on since they were last drawn: its running clips, and the run (elapsed time). */
  private changedRows(run: RunState): RunsNode[] {
    if (!this.store.all().includes(run)) return [];
    const rows: RunsNode[] = [];
    const mark = (node: RunsNode, description: string): void => {
      const id = nodeId(node);
      if (this.drawn.get(id) === description) return;
      this.drawn.set(id, description);
      rows.push(node);
    };
    mark(this.keep({ kind: 'run', run }), runDescription(run));
    for (const clip of run.clips) if (clip.status === 'RUNNING') mark(this.keep({ kind: 'clip', run, clip }), clipDescription(clip));
    return rows;
  }

  /** The kept node for this row (a new one when its run or clip record was replaced). */
  private keep(node: RunsNode): RunsNode {
    const id = nodeId(node);
    const kept = this.nodes.get(id);
    if (kept && kept.run === node.run && (kept.kind === 'run' || (node.kind === 'clip' && kept.clip === node.clip))) return kept;
    this.nodes.set(id, node);
    return node;
  }

  getChildren(node?: RunsNode): RunsNode[] {
    if (!node) {
      const runs = this.store.all();
      const live = new Set(runs.map((r) => r.key));
      for (const [id, kept] of this.nodes) if (!live.has(kept.run.key)) this.nodes.delete(id);
      return runs.map((run) => this.keep({ kind: 'run', run }));
    }
    if (node.kind === 'run') return node.run.clips.map((clip) => this.keep({ kind: 'clip', run: node.run, clip }));
    return [];
  }

  getParent(node: RunsNode): RunsNode | undefined {
    return node.kind === 'clip' ? this.keep({ kind: 'run', run: node.run }) : undefined;
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'run') {
      const { run } = node;
      const item = new vscode.TreeItem(
        run.name,
        run.phase === 'running' || run.status !== 'COMPLETED'
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed,
      );
      item.id = nodeId(node);
      item.description = runDescription(run);
      item.tooltip = runTooltip(run);
      item.iconPath =
        run.phase === 'running'
          ? new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue'))
          : icon(RUN_ICON[run.status ?? 'FAILED']);
      item.contextValue = runContextValue(run);
      item.resourceUri = vscode.Uri.file(run.jobspecFile);
      return item;
    }
    const { run, clip } = node;
    const item = new vscode.TreeItem(path.basename(clip.source), vscode.TreeItemCollapsibleState.None);
    item.id = nodeId(node);
    item.description = clipDescription(clip);
    item.tooltip = clipTooltip(run, clip);
    item.iconPath = icon(CLIP_ICON[clip.status]);
    item.contextValue = clipContextValue(clip);
    return item;
  }

  dispose(): void {
    this.refresh.dispose();
    this.subscription.dispose();
    this.changed.dispose();
  }
}
