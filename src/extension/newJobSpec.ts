// `JobSpec: New JobSpec` and `New JobSpec from Clips` (Explorer): clips in, fast. Files and whole
// card folders are taken, folders walked and their clips listed in card order to keep or leave out;
// the JobSpec is written into the workspace, never onto the card. Arguments skip the dialogs
// (automation and tests); the clip list and the name are asked in quick inputs either way.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { clipsIn, isClipName } from './clips';
import type { JobSpecLog } from './log';
import { notify } from './notify';
import { newJobSpecText, VIDEO_EXTENSIONS } from './template';

export interface NewJobSpecArgs {
  sources?: (vscode.Uri | string)[];
  outputDirectory?: vscode.Uri | string;
  target?: vscode.Uri | string;
}

const toPath = (u: vscode.Uri | string): string => (typeof u === 'string' ? u : u.fsPath);

function workspaceFolderFor(p?: string): vscode.Uri | undefined {
  const active = vscode.window.activeTextEditor?.document.uri;
  const folder =
    (p !== undefined ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(p)) : undefined) ??
    (active ? vscode.workspace.getWorkspaceFolder(active) : undefined) ??
    vscode.workspace.workspaceFolders?.[0];
  return folder?.uri;
}

/**
 * `day1.jobspec.json` whatever the dialog or the person added: a save dialog's filter may append
 * the extension again (`day1.jobspec.json.jobspec.json` in browser and remote windows), or none
 * was typed.
 */
export function jobspecPath(chosen: string): string {
  const base = chosen.replace(/((\.jobspec)?\.json|\.jobspec)+$/i, '');
  return `${base}.jobspec.json`;
}

/**
 * A name for a JobSpec of these files and folders: the first folder picked (a card is named after
 * its roll, A001), else the folder the files share.
 */
export function suggestedName(paths: readonly string[]): string {
  const folder = paths.find((p) => !isClipName(path.basename(p)));
  let common = folder ?? path.dirname(paths[0]);
  if (!folder)
    for (const p of paths) while (common !== path.dirname(common) && !p.startsWith(common + path.sep)) common = path.dirname(common);
  return path.basename(common).replace(/[^A-Za-z0-9._ -]+/g, '_') || 'proxies';
}

export class NewJobSpec {
  constructor(private readonly log: JobSpecLog) {}

  register(): vscode.Disposable[] {
    return [
      vscode.commands.registerCommand('jobspec.new', (args?: NewJobSpecArgs) => this.fromDialogs(args)),
      vscode.commands.registerCommand('jobspec.newFromClips', (uri?: vscode.Uri, selected?: vscode.Uri[]) =>
        this.fromExplorer(uri, selected),
      ),
    ];
  }

  /**
   * The clips of these files and folders in card order. When folders were given, the list is shown
   * with every clip ticked, to leave some out; undefined when nothing is left.
   */
  async pickClips(paths: string[]): Promise<string[] | undefined> {
    const clips = await clipsIn(paths);
    if (clips.length === 0) {
      notify(
        'info',
        `No clips found in ${paths.map((p) => path.basename(p)).join(', ')} (looked for ${VIDEO_EXTENSIONS.slice(0, 6).join(', ')}, …).`,
      );
      return undefined;
    }
    const folders = (
      await Promise.all(
        paths.map((p) =>
          fs.stat(p).then(
            (s) => s.isDirectory(),
            () => false,
          ),
        ),
      )
    ).some(Boolean);
    if (!folders) return clips;
    const common = path.dirname(clips[0]);
    const rel = (c: string): string => {
      const r = path.relative(paths.length === 1 ? paths[0] : common, c);
      return r.startsWith('..') ? c : r;
    };
    const items = clips.map((c) => ({
      label: path.basename(c),
      description: path.dirname(rel(c)) === '.' ? '' : path.dirname(rel(c)),
      picked: true,
      clip: c,
    }));
    this.log.info(`New JobSpec: ${clips.length} clip${clips.length === 1 ? '' : 's'} found; asking which to use.`);
    const picked = await vscode.window.showQuickPick(items, {
      title: `New JobSpec: ${clips.length} clip${clips.length === 1 ? '' : 's'} found, in card order`,
      placeHolder: 'Untick the clips to leave out, then press Enter',
      canPickMany: true,
      ignoreFocusOut: true,
      matchOnDescription: true,
    });
    if (!picked || picked.length === 0) return undefined;
    const chosen = new Set(picked.map((p) => p.clip));
    return clips.filter((c) => chosen.has(c));
  }

  /** New JobSpec: clips (files or card folders), the output folder and where to save, each from a dialog unless given. */
  async fromDialogs(args: NewJobSpecArgs = {}): Promise<vscode.Uri | undefined> {
    const base = workspaceFolderFor();
    let paths = args.sources?.map(toPath);
    if (!paths) {
      // Files or whole folders: the browser's and remote windows' dialog picks one item, so a card folder is the way to take many.
      const picked = await vscode.window.showOpenDialog({
        title: 'New JobSpec: choose clips, or a card folder to take all its clips',
        openLabel: 'Use as Sources',
        canSelectMany: true,
        canSelectFiles: true,
        canSelectFolders: true,
        ...(base ? { defaultUri: base } : {}),
        filters: { 'Video clips': VIDEO_EXTENSIONS, 'All files': ['*'] },
      });
      if (!picked || picked.length === 0) return undefined;
      paths = picked.map((u) => u.fsPath);
    }
    const sources = await this.pickClips(paths);
    if (!sources) return undefined;
    let output = args.outputDirectory ? toPath(args.outputDirectory) : undefined;
    if (!output) {
      // Never the card: the proxies go into the workspace unless chosen otherwise.
      const picked = await vscode.window.showOpenDialog({
        title: 'New JobSpec: choose the folder for the proxies',
        openLabel: 'Use as Output Folder',
        canSelectMany: false,
        canSelectFiles: false,
        canSelectFolders: true,
        defaultUri: base ?? vscode.Uri.file(path.dirname(sources[0])),
      });
      if (!picked || picked.length === 0) return undefined;
      output = picked[0].fsPath;
    }
    let target = args.target ? toPath(args.target) : undefined;
    let confirmed = false;
    if (!target) {
      const name = suggestedName(paths);
      this.log.info(`New JobSpec: ${sources.length} clip${sources.length === 1 ? '' : 's'}; asking where to save it.`);
      const picked = await vscode.window.showSaveDialog({
        title: 'New JobSpec: save as',
        saveLabel: 'Create JobSpec',
        defaultUri: vscode.Uri.joinPath(base ?? vscode.Uri.file(output), `${name}.jobspec.json`),
        // "json", not "jobspec.json": the browser's dialog compares the last extension only and would append the filter's again.
        filters: { JobSpec: ['json'] },
      });
      if (!picked) return undefined;
      target = picked.fsPath;
      confirmed = true; // the dialog asked before choosing an existing file
    }
    const file = jobspecPath(target);
    return this.write(file, sources, output, confirmed && file === target);
  }

  /** New JobSpec from Clips: the Explorer's selection (files and folders), a name, and the proxies into the workspace. */
  async fromExplorer(uri?: vscode.Uri, selected?: vscode.Uri[]): Promise<vscode.Uri | undefined> {
    const uris = (selected && selected.length > 0 ? selected : uri ? [uri] : []).filter((u) => u.scheme === 'file');
    if (uris.length === 0) return this.fromDialogs();
    const paths = uris.map((u) => u.fsPath);
    const sources = await this.pickClips(paths);
    if (!sources) return undefined;
    const folder = workspaceFolderFor(sources[0]);
    if (!folder) return this.fromDialogs({ sources });
    const suggested = suggestedName(paths);
    this.log.info(`New JobSpec from ${sources.length} clip${sources.length === 1 ? '' : 's'}: asking for its name.`);
    const name = await vscode.window.showInputBox({
      title: `New JobSpec from ${sources.length} clip${sources.length === 1 ? '' : 's'}`,
      prompt: `Saved as <name>.jobspec.json in ${path.basename(folder.fsPath)}; its proxies go to proxies/<name>.`,
      value: suggested,
      ignoreFocusOut: true,
      validateInput: async (v) => {
        if (!v.trim() || /[/\\]/.test(v)) return 'A name without / or \\.';
        const exists = await fs.stat(jobspecPath(path.join(folder.fsPath, v.trim()))).then(
          () => true,
          () => false,
        );
        return exists ? `${jobspecPath(v.trim())} already exists: choose another name.` : undefined;
      },
    });
    if (!name) return undefined;
    const file = jobspecPath(path.join(folder.fsPath, name.trim()));
    const output = path.join(folder.fsPath, 'proxies', path.basename(file).replace(/\.jobspec\.json$/i, ''));
    try {
      await fs.mkdir(output, { recursive: true });
    } catch (err) {
      notify('error', `Could not create the output folder ${output}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`);
      return undefined;
    }
    return this.write(file, sources, output, false);
  }

  private async write(file: string, sources: string[], output: string, overwrite: boolean): Promise<vscode.Uri | undefined> {
    try {
      // Never over a file nobody agreed to replace.
      await fs.writeFile(file, newJobSpecText(file, sources, output), { encoding: 'utf8', flag: overwrite ? 'w' : 'wx' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      notify(
        'error',
        code === 'EEXIST'
          ? `${file} already exists; it was left as it is. Choose another name.`
          : `Could not write ${file}: ${code ?? String(err)}.`,
      );
      return undefined;
    }
    this.log.info(`New JobSpec ${file}: ${sources.length} clip${sources.length === 1 ? '' : 's'} → ${output}`);
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(uri);
    return uri;
  }
}
