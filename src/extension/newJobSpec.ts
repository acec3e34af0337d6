// `JobSpec: New JobSpec`: pick source clips and an output folder with the native dialogs, choose
// where to save, and open the new file. Arguments skip the dialogs (automation and tests).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { newJobSpecText, VIDEO_EXTENSIONS } from './template';

export interface NewJobSpecArgs {
  sources?: (vscode.Uri | string)[];
  outputDirectory?: vscode.Uri | string;
  target?: vscode.Uri | string;
}

const toPath = (u: vscode.Uri | string): string => (typeof u === 'string' ? u : u.fsPath);

function defaultFolder(): vscode.Uri | undefined {
  const active = vscode.window.activeTextEditor?.document.uri;
  const folder = (active && vscode.workspace.getWorkspaceFolder(active)) ?? vscode.workspace.workspaceFolders?.[0];
  return folder?.uri;
}

export async function newJobSpec(args: NewJobSpecArgs = {}): Promise<vscode.Uri | undefined> {
  const base = defaultFolder();
  let sources = args.sources?.map(toPath);
  if (!sources) {
    const picked = await vscode.window.showOpenDialog({
      title: 'New JobSpec: choose the source clips',
      openLabel: 'Use as Sources',
      canSelectMany: true,
      canSelectFiles: true,
      canSelectFolders: false,
      ...(base ? { defaultUri: base } : {}),
      filters: { 'Video clips': VIDEO_EXTENSIONS, 'All files': ['*'] },
    });
    if (!picked || picked.length === 0) return undefined;
    sources = picked.map((u) => u.fsPath);
  }
  let output = args.outputDirectory ? toPath(args.outputDirectory) : undefined;
  if (!output) {
    const picked = await vscode.window.showOpenDialog({
      title: 'New JobSpec: choose the folder for the proxies',
      openLabel: 'Use as Output Folder',
      canSelectMany: false,
      canSelectFiles: false,
      canSelectFolders: true,
      defaultUri: vscode.Uri.file(path.dirname(sources[0])),
    });
    if (!picked || picked.length === 0) return undefined;
    output = picked[0].fsPath;
  }
  let target = args.target ? toPath(args.target) : undefined;
  if (!target) {
    const picked = await vscode.window.showSaveDialog({
      title: 'New JobSpec: save as',
      saveLabel: 'Create JobSpec',
      defaultUri: vscode.Uri.joinPath(base ?? vscode.Uri.file(path.dirname(sources[0])), 'proxies.jobspec.json'),
      filters: { JobSpec: ['jobspec.json'] },
    });
    if (!picked) return undefined;
    target = picked.fsPath;
  }
  // The schema and every command key on the full suffix; a name typed without it still works.
  if (!/\.jobspec\.json$/i.test(target)) target = target.replace(/(\.jobspec)?(\.json)?$/i, '') + '.jobspec.json';
  await fs.writeFile(target, newJobSpecText(target, sources, output), { encoding: 'utf8', flag: 'w' });
  const uri = vscode.Uri.file(target);
  await vscode.window.showTextDocument(uri);
  return uri;
}
