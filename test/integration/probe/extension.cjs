// Loaded next to the JobSpec extension in a window without extensionTestsPath (ExtensionMode
// Development, as a user's window is not Test): writes what that extension's activate() returned.
const fs = require('node:fs');
const path = require('node:path');
const vscode = require('vscode');

exports.activate = async () => {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) return;
  const ext = vscode.extensions.getExtension('jobspec.jobspec-proxy');
  const exported = ext ? await ext.activate() : null;
  const result = { found: !!ext, active: !!ext?.isActive, exportsType: exported === undefined ? 'undefined' : typeof exported };
  fs.writeFileSync(path.join(folder, '.jobspec-it-probe.json'), JSON.stringify(result));
};
