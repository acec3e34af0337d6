// Commands of the watch folders. Watch Folder… takes a folder Uri (Explorer context menu, automation;
// several when many are selected) or asks with the folder picker; the others take a view node, a
// Uri or a path, or ask when several folders fit.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { WATCH_DIRS } from '../core';
import { plural } from './format';
import { notify } from './notify';
import { revealPath } from './reveal';
import type { WatchFolders, WatchedFolder } from './watchFolders';
import type { WatchNode } from './watchTree';

export const SHOW_WATCH_FOLDERS_COMMAND = 'jobspec.watchFolders.focus';

type Target = WatchNode | vscode.Uri | string | undefined;

function isNode(t: unknown): t is WatchNode {
  return typeof t === 'object' && t !== null && 'kind' in t && 'folder' in t;
}

function fsPathOf(t: Target): string | undefined {
  if (t instanceof vscode.Uri) return t.scheme === 'file' ? t.fsPath : undefined;
  if (typeof t === 'string') return t;
  return undefined;
}

/** The file a row stands for: the JobSpec, or its state folder, or the watched folder. */
function nodePath(node: WatchNode): string {
  switch (node.kind) {
    case 'folder':
      return node.folder.dir;
    case 'group':
    case 'more':
      return path.join(node.folder.dir, node.state);
    case 'file':
      return node.file.file;
  }
}

export class WatchCommands {
  constructor(private readonly folders: WatchFolders) {}

  register(): vscode.Disposable[] {
    const r = vscode.commands.registerCommand;
    return [
      r('jobspec.watchFolder', (t?: vscode.Uri | string, selected?: vscode.Uri[]) => this.watch(t, selected)),
      r('jobspec.stopWatching', (t?: Target) => this.stop(t)),
      r('jobspec.openWatchedJobSpec', (t?: WatchNode | vscode.Uri) => this.open(t, 'jobspec')),
      r('jobspec.openWatchResult', (t?: WatchNode | vscode.Uri) => this.open(t, 'result')),
      r('jobspec.revealWatchedInOS', (t?: WatchNode) => this.revealInOS(t)),
    ];
  }

  /** Resolves with the folder watched (the first, when several were given), or undefined. */
  async watch(t?: vscode.Uri | string, selected?: vscode.Uri[]): Promise<string | undefined> {
    let dirs: string[];
    if (selected && selected.length > 1) dirs = selected.map((u) => fsPathOf(u)).filter((p): p is string => p !== undefined);
    else if (t !== undefined) {
      const p = fsPathOf(t);
      if (!p) {
        notify('error', `Only folders on disk can be watched, not ${String(t)}.`);
        return undefined;
      }
      dirs = [p];
    } else {
      const picked = await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        canSelectMany: false,
        openLabel: 'Watch',
        title: 'Watch a folder: JobSpecs dropped into its pending/ subfolder are run',
        ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
      });
      const p = picked?.[0] && fsPathOf(picked[0]);
      if (!p) return undefined;
      dirs = [p];
    }
    let first: string | undefined;
    for (const dir of dirs) {
      const watched = await this.folders.watch(await this.watchRoot(dir));
      first ??= watched;
    }
    if (first) void vscode.commands.executeCommand(SHOW_WATCH_FOLDERS_COMMAND);
    return first;
  }

  /**
   * Picking DIR/pending itself would start a second tree inside the first (pending/pending/…); when
   * the folder is one of a watch folder's four subfolders and its parent has the others, watch the parent.
   */
  private async watchRoot(dir: string): Promise<string> {
    const base = path.basename(dir);
    if (!(WATCH_DIRS as readonly string[]).includes(base)) return dir;
    const parent = path.dirname(dir);
    const others = await Promise.all(
      WATCH_DIRS.filter((d) => d !== base && d !== 'running').map((d) =>
        fs.stat(path.join(parent, d)).then(
          (s) => s.isDirectory(),
          () => false,
        ),
      ),
    );
    return others.every(Boolean) ? parent : dir;
  }

  /** Resolves true once the watcher has stopped. */
  async stop(t?: Target): Promise<boolean> {
    const folder = await this.pickFolder(t);
    if (!folder) return false;
    if (folder.runs.size > 0) {
      const stop = 'Stop Watching';
      const choice = await vscode.window.showWarningMessage(
        `Stop watching ${folder.dir}? ${plural(folder.runs.size, 'JobSpec')} ${folder.runs.size === 1 ? 'is' : 'are'} running: ${folder.runs.size === 1 ? 'it is' : 'they are'} cancelled and filed under failed/.`,
        { modal: true },
        stop,
      );
      if (choice !== stop) return false;
    }
    return this.folders.stop(folder.dir);
  }

  private async pickFolder(t: Target): Promise<WatchedFolder | undefined> {
    if (isNode(t)) return t.folder;
    const p = fsPathOf(t);
    if (p) {
      const folder = this.folders.get(p);
      if (!folder) notify('info', `${p} is not watched.`);
      return folder;
    }
    const all = this.folders.all().filter((f) => f.phase === 'watching');
    if (all.length === 0) {
      notify('info', 'No folder is watched.');
      return undefined;
    }
    if (all.length === 1) return all[0];
    const pick = await vscode.window.showQuickPick(
      all.map((folder) => ({ label: path.basename(folder.dir), description: folder.dir, folder })),
      { placeHolder: 'Stop watching which folder?' },
    );
    return pick?.folder;
  }

  /** A row's JobSpec or its result; for a JobSpec's Uri (automation), that file or the result beside it. */
  private async open(t: WatchNode | vscode.Uri | undefined, what: 'jobspec' | 'result'): Promise<vscode.Uri | undefined> {
    let file: string | undefined;
    if (t instanceof vscode.Uri && t.scheme === 'file') {
      if (what === 'jobspec') file = t.fsPath;
      else if (t.fsPath.endsWith('.jobspec.json')) file = t.fsPath.replace(/\.jobspec\.json$/, '.result.json');
    } else if (isNode(t) && t.kind === 'file') file = what === 'jobspec' ? t.file.file : t.file.resultFile;
    if (!file) return undefined;
    const uri = vscode.Uri.file(file);
    try {
      await vscode.window.showTextDocument(uri, { preview: true });
      return uri;
    } catch {
      // The watcher moved it on between the last look and the click.
      notify('info', `${path.basename(file)} is no longer in ${path.basename(path.dirname(file))}/; the view has been refreshed.`);
      this.folders.requestScan();
      return undefined;
    }
  }

  private async revealInOS(t: WatchNode | undefined): Promise<void> {
    if (!isNode(t)) return;
    const target = nodePath(t);
    try {
      await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(target));
    } catch {
      // No operating system to reveal in (a remote or web window): the Explorer, when it is there.
      await revealPath(target);
    }
  }
}
