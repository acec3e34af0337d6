// Activation: build the parts, register them, keep every disposable in one place.
// Everything here adapts src/core/ to VS Code; no engine logic lives in src/extension/.
import * as vscode from 'vscode';
import { JobSpecCodeLens } from './codeLens';
import { Commands } from './commands';
import { Dailies } from './dailies';
import { JobSpecDiagnostics } from './diagnostics';
import { JOBSPEC_SELECTOR } from './jobspecFiles';
import { JobSpecLog } from './log';
import { Runner } from './runner';
import { rerunIndices, RunStore } from './runs';
import { readSettings } from './settings';
import { RunStatusBar } from './statusBar';
import type { JobSpecApi, TreeItemSnapshot } from './testApi';
import { RunsTreeProvider } from './tree';
import { WatchCommands } from './watchCommands';
import { WatchFolders } from './watchFolders';
import { WatchTreeProvider } from './watchTree';

function updateContextKeys(store: RunStore): void {
  const runs = store.all();
  const set = (key: string, value: unknown): Thenable<unknown> => vscode.commands.executeCommand('setContext', key, value);
  void set(
    'jobspec.runActive',
    runs.some((r) => r.phase === 'running'),
  );
  void set(
    'jobspec.runningFiles',
    runs.filter((r) => r.phase === 'running').map((r) => vscode.Uri.file(r.jobspecFile).path),
  );
  void set(
    'jobspec.hasFinishedRun',
    runs.some((r) => r.phase === 'finished'),
  );
  void set(
    'jobspec.hasRerunnableRun',
    runs.some((r) => rerunIndices(r).length > 0),
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

function snapshot<T>(tree: SyncTree<T>, node?: T): TreeItemSnapshot[] {
  return tree.getChildren(node).map((child) => {
    const item = tree.getTreeItem(child);
    const icon = item.iconPath instanceof vscode.ThemeIcon ? item.iconPath : undefined;
    return {
      label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
      description: typeof item.description === 'string' ? item.description : '',
      icon: icon?.id ?? '',
      color: icon?.color?.id ?? '',
      contextValue: item.contextValue ?? '',
      tooltip: tooltipText(item.tooltip),
      children: snapshot(tree, child),
    };
  });
}

export function activate(context: vscode.ExtensionContext): JobSpecApi {
  const log = new JobSpecLog();
  const store = new RunStore(readSettings().maxRunsShown);
  const diagnostics = new JobSpecDiagnostics();
  const runner = new Runner(store, log, diagnostics);
  const tree = new RunsTreeProvider(store);
  const view = vscode.window.createTreeView('jobspec.runs', { treeDataProvider: tree, showCollapseAll: true });
  const codeLens = new JobSpecCodeLens(store);
  const commands = new Commands(store, runner, diagnostics, log);
  const watchFolders = new WatchFolders(context.workspaceState, store, runner, log);
  const watchTree = new WatchTreeProvider(watchFolders, store);
  const watchView = vscode.window.createTreeView('jobspec.watchFolders', { treeDataProvider: watchTree, showCollapseAll: true });

  context.subscriptions.push(
    log,
    store,
    diagnostics,
    tree,
    view,
    codeLens,
    new RunStatusBar(store),
    vscode.languages.registerCodeLensProvider(JOBSPEC_SELECTOR, codeLens),
    ...commands.register(),
    watchFolders,
    watchTree,
    watchView,
    ...new WatchCommands(watchFolders).register(),
    ...new Dailies(store, runner, log).register(),
    watchFolders.onDidChange(() => updateWatchContextKeys(watchFolders)),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void watchFolders.resume()),
    store.onDidChangePhase(() => {
      updateContextKeys(store);
      const active = store.active().length;
      view.badge = active > 0 ? { value: active, tooltip: `${active} JobSpec run${active === 1 ? '' : 's'} in progress` } : undefined;
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('jobspec.maxRunsShown')) store.setMaxFinished(readSettings().maxRunsShown);
    }),
  );
  updateContextKeys(store);
  updateWatchContextKeys(watchFolders);
  void watchFolders.resume();

  return {
    runs: () => store.all(),
    tree: () => snapshot(tree),
    logLines: () => log.lines(),
    treeRefreshCount: () => tree.refreshCount,
    watchTree: () => snapshot(watchTree),
    watchedFolders: () => watchFolders.all().map((f) => f.dir),
  };
}

export function deactivate(): void {
  // Runs are aborted by the store's dispose (in context.subscriptions): ffmpeg must not outlive the window.
}
