// Which documents and files are JobSpecs.
import type * as vscode from 'vscode';

export const JOBSPEC_SELECTOR: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/*.jobspec.json' }];

export function isJobSpecUri(uri: vscode.Uri): boolean {
  return uri.scheme === 'file' && /\.jobspec\.json$/i.test(uri.path);
}

export function isJobSpecDocument(doc: vscode.TextDocument): boolean {
  return isJobSpecUri(doc.uri);
}
