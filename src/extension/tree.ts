// The `Runs` view: each run, newest first, expands to its clips in sources order. Runs of earlier
// windows come back from their reports on disk (history.ts); queued runs wait at the top.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Coalescer } from './coalesce';
import { formatCommandLine, formatDuration, type ClipStatus } from '../core';
import { bytes } from './format';
import { countByStatus } from './lines';
import { isActive, rerunIndices, type ClipState, type FinishedStatus, type RunState, type RunStore } from './runs';
import { clipProgressText, doneOfTotal, elapsedSeconds, rerunOfText, runEtaSeconds, startTimeText, statusWord } from './runText';

export { clipProgressText } from './runText';

export type RunsNode = { kind: 'run'; run: RunState } | { kind: 'clip'; run: RunState; clip: ClipState };

/** At most this many tree refreshes a second while a run reports progress. */
const REFRESH_MS = 250;
/** Hover text is wrapped at this many characters: a long unbroken line widens the hover past the screen and cuts the reason off. */
const WRAP = 88;

const CLIP_ICON: Record<ClipStatus, [string, string]> = {
  QUEUED: ['circle-large-outline', 'descriptionForeground'],
  RUNNING: ['sync~spin', 'charts.blue'],
  COMPLETED: ['pass-filled', 'testing.iconPassed'],
  FAILED: ['error', 'testing.iconFailed'],
  SKIPPED: ['debug-step-over', 'testing.iconSkipped'],
  CANCELLED: ['circle-slash', 'list.warningForeground'],
  NOT_RUN: ['circle-large-outline', 'disabledForeground'],
};

const RUN_ICON: Record<FinishedStatus, [string, string]> = {
  COMPLETED: ['pass-filled', 'testing.iconPassed'],
  FAILED: ['error', 'testing.iconFailed'],
  PARTIAL: ['warning', 'list.warningForeground'],
  CANCELLED: ['circle-slash', 'list.warningForeground'],
  INTERRUPTED: ['debug-pause', 'list.warningForeground'],
};

function icon([id, color]: [string, string]): vscode.ThemeIcon {
  return new vscode.ThemeIcon(id, new vscode.ThemeColor(color));
}

function runIcon(run: RunState): vscode.ThemeIcon {
  switch (run.phase) {
    case 'queued':
      return icon(['clock', 'descriptionForeground']);
    case 'running':
      return icon(['sync~spin', 'charts.blue']);
    case 'elsewhere':
      return icon(['sync', 'charts.blue']);
    case 'finished':
      return icon(RUN_ICON[run.status]);
  }
}

/** The start time of the run that wrote this report, when the view knows it. */
function startOfReport(store: RunStore): (report: string) => number | undefined {
  return (report) => {
    const run = store.all().find((r) => (r.phase === 'finished' || r.phase === 'elsewhere') && r.result?.report_path === report);
    return run && run.phase !== 'queued' ? run.startedAt : undefined;
  };
}

export function runDescription(run: RunState, store: RunStore, now = Date.now()): string {
  const counts = countByStatus(run);
  // The job id is worth its room only when it says more than the label already does.
  const parts = run.jobId === run.name ? [] : [run.jobId];
  if (run.phase === 'queued') {
    const ahead = store.running().find((r) => !r.watchFolder);
    parts.push(ahead ? `QUEUED · after ${ahead.name}` : 'QUEUED');
    return parts.join(' · ');
  }
  parts.push(run.clips.length > 0 ? `${statusWord(run)} ${doneOfTotal(run)}` : statusWord(run));
  if (counts.FAILED > 0) parts.push(`${counts.FAILED} failed`);
  if (run.phase === 'finished' && run.status === 'INTERRUPTED') {
    // The clip being encoded when the window closed was cancelled; it is as unfinished as the ones after it.
    const unfinished = counts.NOT_RUN + counts.CANCELLED;
    if (unfinished > 0) parts.push(`${unfinished} unfinished`);
  } else if (run.phase === 'finished' && counts.NOT_RUN > 0) parts.push(`${counts.NOT_RUN} not run`);
  parts.push(startTimeText(run.startedAt, now));
  const eta = runEtaSeconds(run, now);
  if (run.phase === 'running') parts.push(eta !== null ? `ETA ${formatDuration(eta)}` : formatDuration(elapsedSeconds(run, now)));
  else if (run.phase === 'finished') parts.push(formatDuration(elapsedSeconds(run, now)));
  const rerun = rerunOfText(run, startOfReport(store));
  if (rerun) parts.push(rerun);
  return parts.join(' · ');
}

function clipDescription(run: RunState, clip: ClipState): string {
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
      return run.phase === 'finished' && run.status === 'INTERRUPTED' ? 'unfinished' : 'not run';
    case 'CANCELLED':
      return run.phase === 'finished' && run.status === 'INTERRUPTED'
        ? 'interrupted while encoding · its partial proxy was removed'
        : (r?.message ?? 'cancelled');
    default:
      return r?.message ?? clip.status.toLowerCase();
  }
}

/** The tree item id: stable across refreshes, so VS Code keeps each row (and its expansion) in place. */
function nodeId(node: RunsNode): string {
  return node.kind === 'run' ? node.run.key : `${node.run.key}/${node.clip.index}`;
}

/** Break lines longer than `width` at spaces (or anywhere, for a long path), for fenced blocks in a hover. */
export function wrapLines(text: string, width = WRAP): string {
  const out: string[] = [];
  for (let line of text.split('\n')) {
    while (line.length > width) {
      const at = line.lastIndexOf(' ', width);
      const cut = at > width / 3 ? at : width;
      out.push(line.slice(0, cut));
      line = '    ' + line.slice(cut).trimStart();
    }
    out.push(line);
  }
  return out.join('\n');
}

/**
 * Text as markdown that wraps: MarkdownString.appendText keeps spaces as non-breaking ones, so a
 * long reason became one unbreakable line, wider than the hover, and was cut off.
 */
export function prose(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&').replace(/\n/g, '  \n');
}

function fence(text: string): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}text\n${wrapLines(text)}\n${f}`;
}

/** Extra lines for a clip's hover: its poster frames, when they can be made. */
export type ClipPictures = (run: RunState, clip: ClipState, token: vscode.CancellationToken) => Promise<string | undefined>;

export function clipTooltip(run: RunState, clip: ClipState, pictures?: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.supportHtml = true;
  md.appendMarkdown(`**${clip.status}** — clip ${clip.index + 1} of ${run.name}\n\n`);
  const r = clip.result;
  // The reason first: it is what a person hovers for.
  if (r?.message) md.appendMarkdown(prose(r.message)).appendMarkdown('\n\n');
  if (clip.status === 'RUNNING') md.appendMarkdown(prose(clipProgressText(clip))).appendMarkdown('\n\n');
  if (pictures) md.appendMarkdown(pictures).appendMarkdown('\n\n');
  md.appendMarkdown(`Source: ${prose(clip.source)}\n\n`);
  md.appendMarkdown(`Output: ${prose(clip.output)}\n\n`);
  if (r && r.status === 'FAILED' && r.stderr_tail.length > 0)
    md.appendMarkdown('Last stderr:\n\n')
      .appendMarkdown(fence(r.stderr_tail.join('\n')))
      .appendMarkdown('\n\n');
  if (clip.ffmpegArgs.length > 0)
    md.appendMarkdown('ffmpeg command:\n\n').appendMarkdown(
      fence(formatCommandLine((run.phase !== 'queued' && run.ffmpegPath) || 'ffmpeg', clip.ffmpegArgs)),
    );
  return md;
}

function runTooltip(run: RunState, store: RunStore): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${run.name}** — job \`${run.jobId}\`\n\n`);
  md.appendMarkdown(prose(run.jobspecFile)).appendMarkdown('\n\n');
  md.appendMarkdown(prose(runDescription(run, store))).appendMarkdown('\n\n');
  if (run.phase === 'queued')
    md.appendMarkdown(prose('Starts when the run ahead of it ends (setting jobspec.runQueue).')).appendMarkdown('\n\n');
  if (run.phase === 'elsewhere')
    md.appendMarkdown(prose('Another window or the jobspec command is running it; its report is read again as it changes.')).appendMarkdown(
      '\n\n',
    );
  if (run.only) md.appendMarkdown(prose(`Re-runs clips ${run.only.map((i) => i + 1).join(', ')}`)).appendMarkdown('\n\n');
  if (run.previousReport) md.appendMarkdown(`Re-run of ${prose(run.previousReport)}\n\n`);
  if (run.watchFolder) md.appendMarkdown(`From the watch folder ${prose(run.watchFolder)}\n\n`);
  if (run.phase === 'finished' && run.error) md.appendMarkdown(prose(run.error)).appendMarkdown('\n\n');
  if (run.phase === 'finished' && run.status === 'INTERRUPTED')
    md.appendMarkdown(prose('Resume runs the clips that did not finish, named as before.')).appendMarkdown('\n\n');
  if ((run.phase === 'finished' || run.phase === 'elsewhere') && run.result?.report_path)
    md.appendMarkdown(`Report: ${prose(run.result.report_path)}`);
  return md;
}

export function runContextValue(run: RunState): string {
  // A watch folder's run is stopped with its folder (Stop Watching Folder), not on its own.
  const tags = ['jobspecRun', isActive(run) ? (run.watchFolder ? 'running' : 'active') : run.phase];
  if (run.phase === 'queued') tags.push('queued');
  if (run.watchFolder) tags.push('watched');
  if (rerunIndices(run).length > 0) tags.push(run.phase === 'finished' && run.status === 'INTERRUPTED' ? 'resumable' : 'rerunnable');
  if ((run.phase === 'finished' || run.phase === 'elsewhere') && run.result?.report_path) tags.push('report');
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
    run.phase === 'finished' ? run.status : '',
    run.jobId,
    run.jobspecFile,
    run.phase === 'finished' ? (run.error ?? '') : '',
    run.phase === 'finished' && run.result ? 'result' : '',
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
  private readonly progressed = new Set<string>();
  /** Each run's shape when last seen, to tell a progress tick from a change of status. */
  private readonly shapes = new Map<string, string>();
  /**
   * One node object per row, kept across refreshes: VS Code finds a row to redraw by the object it
   * was given, and redrawing only the rows whose text changed keeps hovers on the others open.
   */
  private readonly nodes = new Map<string, RunsNode>();
  /** The description each row was last drawn with, as far as targeted redraws go. */
  private readonly drawn = new Map<string, string>();
  /** Callers waiting for the changes so far to reach the view. */
  private waiting: (() => void)[] = [];

  constructor(
    private readonly store: RunStore,
    private readonly pictures?: ClipPictures,
  ) {
    this.subscription = store.onDidChange((run) => {
      if (!run) this.whole = true;
      else {
        const shape = runShape(run);
        if (this.shapes.get(run.key) !== shape) this.whole = true;
        else this.progressed.add(run.key);
        this.shapes.set(run.key, shape);
      }
      this.refresh.request();
    });
  }

  /**
   * Resolves once the changes made so far have been sent to the view: a row can be revealed only
   * after VS Code has heard of it.
   */
  flushed(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.refresh.request();
    });
  }

  private flush(): void {
    this.send();
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  private send(): void {
    const keys = [...this.progressed];
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
    const rows = keys.flatMap((key) => {
      const run = this.store.get(key);
      return run ? this.changedRows(run) : [];
    });
    if (rows.length === 0) return;
    this.refreshCount++;
    this.changed.fire(rows);
  }

  /** The rows of a run whose description moved on since they were last drawn: its running clips, and the run (elapsed time). */
  private changedRows(run: RunState): RunsNode[] {
    const rows: RunsNode[] = [];
    const mark = (node: RunsNode, description: string): void => {
      const id = nodeId(node);
      if (this.drawn.get(id) === description) return;
      this.drawn.set(id, description);
      rows.push(node);
    };
    mark(this.node(run), runDescription(run, this.store));
    for (const clip of run.clips) if (clip.status === 'RUNNING') mark(this.node(run, clip), clipDescription(run, clip));
    return rows;
  }

  /** The kept node for this row (a new one when its run or clip record was replaced). */
  node(run: RunState, clip?: ClipState): RunsNode {
    const fresh: RunsNode = clip ? { kind: 'clip', run, clip } : { kind: 'run', run };
    const id = nodeId(fresh);
    const kept = this.nodes.get(id);
    if (kept && kept.run === run && (kept.kind === 'run' || (clip !== undefined && kept.clip === clip))) return kept;
    this.nodes.set(id, fresh);
    return fresh;
  }

  getChildren(node?: RunsNode): RunsNode[] {
    if (!node) {
      const runs = this.store.all();
      const live = new Set(runs.map((r) => r.key));
      for (const [id, kept] of this.nodes) if (!live.has(kept.run.key)) this.nodes.delete(id);
      return runs.map((run) => this.node(run));
    }
    if (node.kind === 'run') {
      const run = this.store.current(node.run) ?? node.run;
      return run.clips.map((clip) => this.node(run, clip));
    }
    return [];
  }

  getParent(node: RunsNode): RunsNode | undefined {
    return node.kind === 'clip' ? this.node(this.store.current(node.run) ?? node.run) : undefined;
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'run') {
      const run = this.store.current(node.run) ?? node.run;
      const settled = run.phase === 'finished' && run.status === 'COMPLETED';
      const item = new vscode.TreeItem(
        run.name,
        run.phase === 'queued'
          ? vscode.TreeItemCollapsibleState.None
          : settled
            ? vscode.TreeItemCollapsibleState.Collapsed
            : vscode.TreeItemCollapsibleState.Expanded,
      );
      item.id = nodeId(node);
      item.description = runDescription(run, this.store);
      item.tooltip = runTooltip(run, this.store);
      item.iconPath = runIcon(run);
      item.contextValue = runContextValue(run);
      item.resourceUri = vscode.Uri.file(run.jobspecFile);
      return item;
    }
    const { run, clip } = node;
    const item = new vscode.TreeItem(path.basename(clip.source), vscode.TreeItemCollapsibleState.None);
    item.id = nodeId(node);
    item.description = clipDescription(run, clip);
    // VS Code asks resolveTreeItem for a tooltip only when the item has none: with poster frames to
    // show, the tooltip is made there, on hover.
    if (!this.pictures) item.tooltip = clipTooltip(run, clip);
    item.iconPath = icon(CLIP_ICON[clip.status]);
    item.contextValue = clipContextValue(clip);
    return item;
  }

  /** On hover: the clip's poster frames join its tooltip (made once, then cached on disk). */
  async resolveTreeItem(item: vscode.TreeItem, node: RunsNode, token: vscode.CancellationToken): Promise<vscode.TreeItem> {
    if (node.kind !== 'clip' || !this.pictures) return item;
    const pictures = await this.pictures(node.run, node.clip, token).catch(() => undefined);
    item.tooltip = clipTooltip(node.run, node.clip, token.isCancellationRequested ? undefined : pictures);
    return item;
  }

  dispose(): void {
    this.refresh.dispose();
    for (const resolve of this.waiting) resolve();
    this.subscription.dispose();
    this.changed.dispose();
  }
}
