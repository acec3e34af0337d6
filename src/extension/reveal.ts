// Showing a file or folder: in the Explorer when it is inside the workspace, else in the OS.
import * as vscode from 'vscode';

export async function revealPath(fsPath: string): Promise<void> {
  const uri = vscode.Uri.file(fsPath);
  if (vscode.workspace.getWorkspaceFolder(uri)) {
    await vscode.commands.executeCommand('revealInExplorer', uri);
  } else {
    await vscode.commands.executeCommand('revealFileInOS', uri);
  }
}
