// The `Watch Folders` view: each watched folder with its counts, expanding to its JobSpecs grouped
// by state (pending, running, completed, failed). A running JobSpec shows its run's live progress.
// Folders watched for media follow, one row each: their template, their batches, the one running.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Coalescer } from './coalesce';
import { formatDuration, WATCH_DIRS } from '../core';
import { plural } from './format';
import type { RunState, RunStore } from './runs';
import type { MediaFolderView } from './dailies';
import { clipProgressText } from './tree';
import { SHOWN_PER_STATE, type WatchedFile, type WatchedFolder, type WatchFolders, type WatchState } from './watchFolders';

export type WatchNode =
  | { kind: 'folder'; folder: WatchedFolder }
  | { kind: 'group'; folder: WatchedFolder; state: WatchState }
  | { kind: 'file'; folder: WatchedFolder; file: WatchedFile }
  | { kind: 'more'; folder: WatchedFolder; state: WatchState; count: number };

/** A folder watched for camera files (its batches are in the Runs view). */
export interface MediaNode {
  kind: 'media';
  media: MediaFolderView;
}

/** Where the view learns about media watch folders. */
export interface MediaFolderSource {
  folders(): MediaFolderView[];
  readonly onDidChange: vscode.Event<void>;
}

const REFRESH_MS = 250;

const GROUP_LABEL: Record<WatchState, string> = { pending: 'Pending', running: 'Running', completed: 'Completed', failed: 'Failed' };

const FILE_ICON: Record<WatchState, [string, string]> = {
  pending: ['circle-large-outline', 'descriptionForeground'],
  running: ['sync~spin', 'charts.blue'],
  completed: ['pass-filled', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
};

function icon([id, color]: [string, string]): vscode.ThemeIcon {
  return new vscode.ThemeIcon(id, new vscode.ThemeColor(color));
}

export function jobspecBase(name: string): string {
  return name.replace(/\.jobspec\.json$/, '');
}

export function folderCounts(folder: WatchedFolder): string {
  const parts = WATCH_DIRS.filter((s) => folder.counts[s] > 0).map((s) => `${folder.counts[s]} ${s}`);
  return parts.length > 0 ? parts.join(' · ') : 'empty';
}

/** A folder's label: its name, or its whole path when another watched folder has the same name. */
function folderLabel(folder: WatchedFolder, all: readonly WatchedFolder[]): string {
  const name = path.basename(folder.dir) || folder.dir;
  return all.some((f) => f !== folder && path.basename(f.dir) === name) ? folder.dir : name;
}

function runProgress(run: RunState): string {
  if (run.clips.length === 0) return 'starting…';
  const done = run.clips.filter((c) => c.status !== 'QUEUED' && c.status !== 'RUNNING').length;
  const running = run.clips.filter((c) => c.status === 'RUNNING');
  const head = `clip ${Math.min(done + 1, run.clips.length)}/${run.clips.length}`;
  return running.length === 1
    ? `${head} · ${clipProgressText(running[0])}`
    : running.length > 1
      ? `${head} · ${running.length} clips running`
      : head;
}

function fileDescription(folder: WatchedFolder, file: WatchedFile): string {
  const o = file.outcome;
  switch (file.state) {
    case 'pending':
      return 'queued';
    case 'running': {
      const run = folder.runs.get(file.name);
      return run ? runProgress(run) : 'starting…';
    }
    case 'completed':
      if (!o) return '';
      return [
        o.clips !== undefined ? `${o.completedClips ?? 0}/${plural(o.clips, 'clip')}` : '',
        o.elapsedSeconds !== undefined ? formatDuration(o.elapsedSeconds) : '',
      ]
        .filter(Boolean)
        .join(' · ');
    case 'failed':
      return failedDescription(file);
  }
}

/** `invalid · first problem (+1 more)` or `PARTIAL · the failed clip's message`, rather than the core's one-line reason. */
function failedDescription(file: WatchedFile): string {
  const o = file.outcome;
  if (!o) return file.resultFile ? '' : 'no result file';
  if (o.problems.length > 0)
    return `invalid · ${o.problems[0].replace(/\.$/, '')}${o.problems.length > 1 ? ` (+${o.problems.length - 1} more)` : ''}`;
  // A run's own clip message when it ran; the watcher's reason (environment, interrupted) otherwise.
  const reason = o.status ? (o.failedClip ?? '') : (o.reason ?? '');
  return [o.status ?? '', reason].filter(Boolean).join(' · ');
}

/** Like the Runs view: a run that completed some clips is PARTIAL, one the watcher stopped is CANCELLED. */
function fileIcon(file: WatchedFile): vscode.ThemeIcon {
  const status = file.state === 'failed' ? file.outcome?.status : undefined;
  if (status === 'PARTIAL') return icon(['warning', 'list.warningForeground']);
  if (status === 'CANCELLED') return icon(['circle-slash', 'list.warningForeground']);
  return icon(FILE_ICON[file.state]);
}

function fileTooltip(folder: WatchedFolder, file: WatchedFile): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${file.state.toUpperCase()}** — `).appendText(file.name).appendMarkdown('\n\n');
  md.appendText(file.file).appendMarkdown('\n\n');
  const o = file.outcome;
  if (file.state === 'pending')
    md.appendText('Waiting to be taken by the watcher (in name order, once the file stops changing).').appendMarkdown('\n\n');
  if (file.state === 'running') {
    const run = folder.runs.get(file.name);
    if (run) md.appendText(`Job ${run.jobId} · ${runProgress(run)}`).appendMarkdown('\n\n');
  }
  if (o) {
    if (o.jobId || o.status)
      md.appendText(
        [
          o.jobId ? `Job ${o.jobId}` : '',
          o.status ?? '',
          o.clips !== undefined ? `${o.completedClips ?? 0} of ${plural(o.clips, 'clip')} completed` : '',
          o.elapsedSeconds !== undefined ? formatDuration(o.elapsedSeconds) : '',
        ]
          .filter(Boolean)
          .join(' · '),
      ).appendMarkdown('\n\n');
    // An invalid JobSpec's reason is its problems joined: listed one a line instead.
    if (o.problems.length > 0) {
      md.appendMarkdown('Invalid JobSpec:\n\n');
      for (const p of o.problems.slice(0, 10)) md.appendMarkdown('- ').appendText(p).appendMarkdown('\n');
      if (o.problems.length > 10)
        md.appendMarkdown('- ')
          .appendText(`… and ${o.problems.length - 10} more`)
          .appendMarkdown('\n');
      md.appendMarkdown('\n');
    } else if (o.reason) md.appendMarkdown('Reason: ').appendText(o.reason).appendMarkdown('\n\n');
    if (o.reportPath) md.appendMarkdown('Report: ').appendText(o.reportPath).appendMarkdown('\n\n');
  }
  if (file.resultFile) md.appendMarkdown('Result: ').appendText(file.resultFile);
  if (file.state === 'failed') md.appendMarkdown('\n\n').appendText('Move it back to pending/ to run it again.');
  return md;
}

function folderTooltip(folder: WatchedFolder): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(folder.phase === 'watching' ? '**Watching** ' : '**Stopping** ')
    .appendText(folder.dir)
    .appendMarkdown('\n\n');
  md.appendText(folderCounts(folder)).appendMarkdown('\n\n');
  md.appendText(
    `Drop *.jobspec.json files into ${path.join(folder.dir, 'pending')}. They run ${folder.maxWorkers === 1 ? 'one at a time' : `up to ${folder.maxWorkers} at a time`} and land in completed/ or failed/ with a .result.json beside them.`,
  );
  md.appendMarkdown('\n\n').appendText(`Watched since ${new Date(folder.since).toLocaleTimeString()}.`);
  if (folder.scanError) md.appendMarkdown('\n\n').appendText(`Cannot read the folder: ${folder.scanError}`);
  return md;
}

function mediaDescription(m: MediaFolderView): string {
  if (m.stopping) return 'stopping…';
  const parts = [`media → ${jobspecBase(path.basename(m.template))}`];
  if (m.running) parts.push(`batch ${m.batches} · ${runProgress(m.running)}`);
  else if (m.batches > 0) parts.push(`${plural(m.batches, 'batch', 'batches')}${m.lastStatus ? `, last ${m.lastStatus}` : ''}`);
  else parts.push('waiting for camera files');
  return parts.join(' · ');
}

function mediaTooltip(m: MediaFolderView): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(m.stopping ? '**Stopping** ' : '**Watching for media** ')
    .appendText(m.dir)
    .appendMarkdown('\n\n');
  md.appendText(
    'Camera files copied anywhere under it get proxies per the template once each has stopped growing, a batch and a report at a time. Nothing is written inside the folder unless the template says so.',
  );
  md.appendMarkdown('\n\nTemplate: ').appendText(m.template);
  md.appendMarkdown('\n\n').appendText(
    `${plural(m.batches, 'batch', 'batches')} so far${m.lastStatus ? `, the last ${m.lastStatus}` : ''}; watched since ${new Date(m.since).toLocaleTimeString()}.`,
  );
  return md;
}

function nodeId(node: WatchNode): string {
  const base = `watch:${node.folder.dir}`;
  switch (node.kind) {
    case 'folder':
      return base;
    case 'group':
      return `${base}:${node.state}`;
    case 'file':
      return `${base}:${node.file.state}:${node.file.name}`;
    case 'more':
      return `${base}:${node.state}:more`;
  }
}

type Node = WatchNode | MediaNode;

export class WatchTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | Node[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** At most one redraw per REFRESH_MS, and always one after the last change. */
  private readonly refresh = new Coalescer(REFRESH_MS, () => this.flush());
  /** The whole view must be redrawn (a folder was looked at again), or only these rows (progress). */
  private whole = false;
  private readonly rows = new Set<Node>();
  /**
   * One node object per row, kept across refreshes: VS Code finds a row to redraw by the object it
   * was given, and redrawing only the running rows on progress keeps hovers on the others open.
   */
  private readonly nodes = new Map<string, Node>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly folders: WatchFolders,
    store: RunStore,
    private readonly media: MediaFolderSource,
  ) {
    const redrawAll = (): void => {
      this.whole = true;
      this.refresh.request();
    };
    this.subscriptions = [
      folders.onDidChange(redrawAll),
      media.onDidChange(redrawAll),
      // Live progress of a running JobSpec comes from its run, and redraws only its row.
      store.onDidChange((run) => {
        if (!run?.watchFolder) return;
        const mediaRow = this.nodes.get(`media:${run.watchFolder}`);
        if (mediaRow) {
          this.rows.add(mediaRow);
          this.refresh.request();
          return;
        }
        const row = this.nodes.get(`watch:${run.watchFolder}:running:${path.basename(run.jobspecFile)}`);
        if (!row) return;
        this.rows.add(row);
        this.refresh.request();
      }),
    ];
  }

  private flush(): void {
    const rows = [...this.rows];
    this.rows.clear();
    if (this.whole) {
      this.whole = false;
      this.nodes.clear();
      this.changed.fire(undefined);
    } else if (rows.length > 0) this.changed.fire(rows);
  }

  /** The kept node for this row, updated to the latest look at its folder. */
  private keep<T extends Node>(node: T): T {
    const n: Node = node;
    const id = n.kind === 'media' ? `media:${n.media.dir}` : nodeId(n);
    const kept = this.nodes.get(id);
    if (!kept || kept.kind !== node.kind) {
      this.nodes.set(id, node);
      return node;
    }
    Object.assign(kept, node);
    return kept as T;
  }

  getChildren(node?: Node): Node[] {
    if (!node)
      return [
        ...this.folders.all().map((folder) => this.keep<Node>({ kind: 'folder', folder })),
        ...this.media.folders().map((media) => this.keep<Node>({ kind: 'media', media })),
      ];
    if (node.kind === 'media') return [];
    const { folder } = node;
    if (node.kind === 'folder')
      return WATCH_DIRS.filter((state) => folder.counts[state] > 0).map((state) => this.keep({ kind: 'group', folder, state }));
    if (node.kind !== 'group') return [];
    const files: WatchNode[] = folder.files[node.state].map((file) => this.keep({ kind: 'file', folder, file }));
    const more = folder.counts[node.state] - folder.files[node.state].length;
    if (more > 0) files.push(this.keep({ kind: 'more', folder, state: node.state, count: more }));
    return files;
  }

  getParent(node: Node): Node | undefined {
    if (node.kind === 'folder' || node.kind === 'media') return undefined;
    if (node.kind === 'group') return { kind: 'folder', folder: node.folder };
    return { kind: 'group', folder: node.folder, state: node.kind === 'file' ? node.file.state : node.state };
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'media') {
      const m = node.media;
      const item = new vscode.TreeItem(path.basename(m.dir) || m.dir, vscode.TreeItemCollapsibleState.None);
      item.id = `media:${m.dir}`;
      item.description = mediaDescription(m);
      item.tooltip = mediaTooltip(m);
      item.iconPath = m.stopping
        ? new vscode.ThemeIcon('loading~spin')
        : m.running
          ? icon(['sync~spin', 'charts.blue'])
          : new vscode.ThemeIcon('device-camera-video');
      item.contextValue = `jobspecMediaFolder ${m.stopping ? 'stopping' : 'watching'}`;
      item.resourceUri = vscode.Uri.file(m.dir);
      return item;
    }
    const { folder } = node;
    const id = nodeId(node);
    switch (node.kind) {
      case 'folder': {
        const item = new vscode.TreeItem(folderLabel(folder, this.folders.all()), vscode.TreeItemCollapsibleState.Expanded);
        item.id = id;
        item.description = folder.phase === 'stopping' ? `stopping… · ${folderCounts(folder)}` : folderCounts(folder);
        item.tooltip = folderTooltip(folder);
        item.iconPath =
          folder.phase === 'stopping'
            ? new vscode.ThemeIcon('loading~spin')
            : folder.scanError
              ? icon(['warning', 'list.warningForeground'])
              : new vscode.ThemeIcon('eye');
        item.contextValue = `jobspecWatchFolder ${folder.phase}`;
        item.resourceUri = vscode.Uri.file(folder.dir);
        return item;
      }
      case 'group': {
        const item = new vscode.TreeItem(GROUP_LABEL[node.state], vscode.TreeItemCollapsibleState.Expanded);
        item.id = id;
        item.description = String(folder.counts[node.state]);
        item.tooltip = `${plural(folder.counts[node.state], 'JobSpec')} in ${path.join(folder.dir, node.state)}`;
        item.contextValue = `jobspecWatchGroup ${node.state}`;
        return item;
      }
      case 'file': {
        const { file } = node;
        const item = new vscode.TreeItem(jobspecBase(file.name), vscode.TreeItemCollapsibleState.None);
        item.id = id;
        item.description = fileDescription(folder, file);
        item.tooltip = fileTooltip(folder, file);
        item.iconPath = fileIcon(file);
        item.contextValue = ['jobspecWatchFile', file.state, ...(file.resultFile ? ['result'] : [])].join(' ');
        item.resourceUri = vscode.Uri.file(file.file);
        item.command = { title: 'Open JobSpec', command: 'jobspec.openWatchedJobSpec', arguments: [node] };
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem(`… ${node.count} more`, vscode.TreeItemCollapsibleState.None);
        item.id = id;
        item.description = `only the ${node.state === 'pending' || node.state === 'running' ? 'first' : 'newest'} ${SHOWN_PER_STATE} are listed`;
        item.tooltip = path.join(folder.dir, node.state);
        item.contextValue = 'jobspecWatchMore';
        return item;
      }
    }
  }

  dispose(): void {
    this.refresh.dispose();
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}
