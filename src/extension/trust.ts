// Restricted Mode: anything that starts ffmpeg is refused, saying why and how to change it.
import * as vscode from 'vscode';
import { notify } from './notify';

export function trustedOrExplain(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  notify(
    'warning',
    `${what} is not available in Restricted Mode: it starts ffmpeg on the files this workspace names. Editing and validating JobSpecs still work. Trust the workspace to run it.`,
    { title: 'Manage Workspace Trust', run: () => vscode.commands.executeCommand('workbench.trust.manage') },
  );
  return false;
}
