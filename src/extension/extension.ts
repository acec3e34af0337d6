// Activation: build the parts, register them, keep every disposable in one place.
// Everything here adapts src/core/ to VS Code; no engine logic lives in src/extension/.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { JobSpecCodeLens } from './codeLens';
import { Commands } from './commands';
import { Dailies } from './dailies';
import { JobSpecDiagnostics } from './diagnostics';
import { FfmpegCommands, configuredTools } from './ffmpegTools';
import { RunsFollower } from './follow';
import { RunHistory } from './history';
import { JOBSPEC_SELECTOR } from './jobspecFiles';
import { JobSpecLog } from './log';
import { NewJobSpec } from './newJobSpec';
import { PathCompletion } from './pathCompletion';
import { POSTER_WIDTH, PosterCache } from './posters';
import { JobSpecQuickFixes } from './quickFixes';
import { ReportEditorProvider } from './reportEditor';
import { Runner } from './runner';
import { isActive, rerunIndices, RunStore, type ClipState } from './runs';
import { readSettings } from './settings';
import { RunStatusBar } from './statusBar';
import type { JobSpecApi, TreeItemSnapshot } from './testApi';
import { JobSpecTaskProvider } from './tasks';
import { RunsTreeProvider, type RunsNode } from './tree';
import { WatchCommands } from './watchCommands';
import { WatchFolders } from './watchFolders';
import { WatchTreeProvider } from './watchTree';

/** deactivate() has this long (VS Code gives 5 s) to let interrupted runs write their reports. */
const CLOSE_GRACE_MS = 4000;

function updateContextKeys(store: RunStore): void {
  const runs = store.all();
  const set = (key: string, value: unknown): Thenable<unknown> => vscode.commands.executeCommand('setContext', key, value);
  void set('jobspec.runActive', runs.some(isActive));
  void set(
    'jobspec.runningFiles',
    runs.filter(isActive).map((r) => vscode.Uri.file(r.jobspecFile).path),
  );
  void set(
    'jobspec.hasFinishedRun',
    runs.some((r) => r.phase === 'finished'),
  );
  void set(
    'jobspec.hasRerunnableRun',
    runs.some((r) => rerunIndices(r).length > 0),
  );
  void set(
    'jobspec.hasInterruptedRun',
    runs.some((r) => r.phase === 'finished' && r.status === 'INTERRUPTED'),
  );
}

function tooltipText(t: vscode.TreeItem['tooltip']): string {
  return typeof t === 'string' ? t : t ? t.value : '';
}

let lastWatched: string | undefined;

/** Context keys for menus: set only when the list of watched folders changed, not on every look into them. */
function updateWatchContextKeys(folders: WatchFolders): void {
  const watching = folders
    .all()
    .filter((f) => f.phase === 'watching')
    .map((f) => vscode.Uri.file(f.dir).path);
  const key = JSON.stringify(watching);
  if (key === lastWatched) return;
  lastWatched = key;
  void vscode.commands.executeCommand('setContext', 'jobspec.watching', watching.length > 0);
  void vscode.commands.executeCommand('setContext', 'jobspec.watchedFolders', watching);
}

interface SyncTree<T> {
  getChildren(node?: T): T[];
  getTreeItem(node: T): vscode.TreeItem;
}

function snapshotItem(item: vscode.TreeItem, children: TreeItemSnapshot[]): TreeItemSnapshot {
  const icon = item.iconPath instanceof vscode.ThemeIcon ? item.iconPath : undefined;
  return {
    label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
    description: typeof item.description === 'string' ? item.description : '',
    icon: icon?.id ?? '',
    color: icon?.color?.id ?? '',
    contextValue: item.contextValue ?? '',
    tooltip: tooltipText(item.tooltip),
    children,
  };
}

function snapshot<T>(tree: SyncTree<T>, node?: T): TreeItemSnapshot[] {
  return tree.getChildren(node).map((child) => snapshotItem(tree.getTreeItem(child), snapshot(tree, child)));
}

/** A clip's hover pictures: the source's poster frame and, once made, the proxy's, side by side. */
async function clipPictures(posters: PosterCache, clip: ClipState): Promise<string | undefined> {
  const [source, proxy] = await Promise.all([
    posters.dataUri(clip.source),
    clip.status === 'COMPLETED' || clip.status === 'SKIPPED' ? posters.dataUri(clip.output) : Promise.resolve(undefined),
  ]);
  const img = (src: string | undefined, alt: string): string => (src ? `<img src="${src}" width="${POSTER_WIDTH / 2}" alt="${alt}">` : '');
  const both = [img(source, 'source'), img(proxy, 'proxy')].filter(Boolean).join(' ');
  return both ? `${both}\n\n${source ? 'source' : ''}${source && proxy ? ' · proxy' : proxy ? 'proxy' : ''}` : undefined;
}

/** The one runner of this window, for deactivate(). */
let runner: Runner | undefined;

export function activate(context: vscode.ExtensionContext): JobSpecApi | undefined {
  const t0 = performance.now();
  const log = new JobSpecLog();
  const store = new RunStore(readSettings().maxRunsShown);
  const diagnostics = new JobSpecDiagnostics();
  runner = new Runner(store, log, diagnostics);
  // Poster frames are kept per machine (globalStorage), keyed by the clip's path, size and time.
  const posters = new PosterCache(path.join(context.globalStorageUri.fsPath, 'posters'), configuredTools);
  const tree = new RunsTreeProvider(store, (_run, clip) => clipPictures(posters, clip));
  const view = vscode.window.createTreeView('jobspec.runs', { treeDataProvider: tree, showCollapseAll: true });
  const follower = new RunsFollower(view, tree, store);
  const history = new RunHistory(store, log, context.workspaceState, () => readSettings().maxRunsShown);
  const codeLens = new JobSpecCodeLens(store);
  const reports = new ReportEditorProvider(context.extensionUri, posters, store, runner, log);
  const commands = new Commands(store, runner, diagnostics, log, history, follower);
  const watchFolders = new WatchFolders(context.workspaceState, store, runner, log);
  const dailies = new Dailies(context.workspaceState, store, runner, log);
  const watchTree = new WatchTreeProvider(watchFolders, store, dailies);
  const watchView = vscode.window.createTreeView('jobspec.watchFolders', { treeDataProvider: watchTree, showCollapseAll: true });
  const statusBar = new RunStatusBar(store);

  context.subscriptions.push(
    log,
    store,
    diagnostics,
    tree,
    view,
    follower,
    history,
    codeLens,
    statusBar,
    vscode.languages.registerCodeLensProvider(JOBSPEC_SELECTOR, codeLens),
    vscode.languages.registerCodeActionsProvider(JOBSPEC_SELECTOR, new JobSpecQuickFixes(), JobSpecQuickFixes.metadata),
    vscode.languages.registerCompletionItemProvider(JOBSPEC_SELECTOR, new PathCompletion(), ...PathCompletion.triggers),
    ...commands.register(),
    ...new NewJobSpec(log).register(),
    ...new FfmpegCommands(log).register(),
    ...reports.register(),
    ...new JobSpecTaskProvider(runner, log).register(),
    watchFolders,
    watchTree,
    watchView,
    ...new WatchCommands(watchFolders).register(),
    ...dailies.register(),
    watchFolders.onDidChange(() => updateWatchContextKeys(watchFolders)),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      void watchFolders.resume();
      void dailies.resume();
    }),
    store.onDidChangePhase((run) => {
      updateContextKeys(store);
      // A run that ended has changed which outputs are there: its JobSpec is checked again at once.
      if (run?.phase === 'finished') {
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === run.jobspecFile);
        if (doc) diagnostics.schedule(doc, 0);
      }
      const active = store.active().length;
      view.badge =
        active > 0 ? { value: active, tooltip: `${active} JobSpec run${active === 1 ? '' : 's'} in progress or queued` } : undefined;
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('jobspec.maxRunsShown')) {
        store.setMaxFinished(readSettings().maxRunsShown);
        history.schedule(0);
      }
    }),
  );
  updateContextKeys(store);
  updateWatchContextKeys(watchFolders);
  void watchFolders.resume();
  void dailies.resume();
  // Reading the reports on disk waits until activation is over.
  history.schedule(0);
  const activationMs = performance.now() - t0;
  log.debug(`Activated in ${activationMs.toFixed(1)} ms.`);

  if (context.extensionMode !== vscode.ExtensionMode.Test) return undefined;
  return {
    runs: () => store.all(),
    tree: () => snapshot(tree),
    resolvedTooltip: async (runKey, clipIndex) => {
      const run = store.get(runKey);
      const clip = run?.clips.find((c) => c.index === clipIndex);
      if (!run || !clip) return '';
      const node: RunsNode = tree.node(run, clip);
      const item = await tree.resolveTreeItem(tree.getTreeItem(node), node, new vscode.CancellationTokenSource().token);
      return tooltipText(item.tooltip);
    },
    logLines: () => log.lines(),
    treeRefreshCount: () => tree.refreshCount,
    revealed: () => [...follower.revealed],
    selection: () => view.selection.map((n) => (n.kind === 'run' ? n.run.key : `${n.run.key}/${n.clip.index}`)),
    statusBarText: () => statusBar.text(),
    watchTree: () => snapshot(watchTree),
    watchedFolders: () => watchFolders.all().map((f) => f.dir),
    reportMessages: (file) => [...(reports.shown.get(vscode.Uri.file(file).toString()) ?? [])],
    posterFolder: () => posters.dir,
    activationMs: () => activationMs,
  };
}

/** The window is closing: this window's runs are stopped and their reports written, so the next one can resume them. */
export async function deactivate(): Promise<void> {
  await runner?.interruptAll(CLOSE_GRACE_MS);
}
