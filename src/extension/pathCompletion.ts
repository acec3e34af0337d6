// Path completion in `sources` and `output_directory`, relative to the JobSpec's folder (or from `~`
// or `/`): folders and clips in `sources`, folders only in `output_directory`, in card order. A
// folder is completed with its slash and opens the next level at once.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import * as jsonc from 'jsonc-parser';
import { resolveAgainst } from '../core';
import { cardOrder, isClipName } from './clips';

/** A folder of a whole card shows every clip; a folder of thousands of files shows this many. */
const MAX_ITEMS = 2000;

export class PathCompletion implements vscode.CompletionItemProvider {
  static readonly triggers = ['"', '/'];

  async provideCompletionItems(doc: vscode.TextDocument, position: vscode.Position): Promise<vscode.CompletionItem[] | undefined> {
    const text = doc.getText();
    const offset = doc.offsetAt(position);
    const loc = jsonc.getLocation(text, offset);
    const node = loc.previousNode;
    if (loc.isAtPropertyKey || !node || node.type !== 'string') return undefined;
    const inSources = loc.path.length === 2 && loc.path[0] === 'sources' && typeof loc.path[1] === 'number';
    const inOutput = loc.path.length === 1 && loc.path[0] === 'output_directory';
    if (!inSources && !inOutput) return undefined;
    // What is typed so far, from the opening quote to the cursor.
    const start = node.offset + 1;
    if (offset < start || offset > node.offset + node.length) return undefined;
    const typed = text.slice(start, offset);
    if (typed.includes('\\')) return undefined; // an escape: not a path typed by hand
    const slash = typed.lastIndexOf('/');
    const dirPart = slash >= 0 ? typed.slice(0, slash + 1) : '';
    const namePart = typed.slice(slash + 1);
    const folder = resolveAgainst(path.dirname(doc.uri.fsPath), dirPart === '' ? '.' : dirPart);
    const entries = await fs.readdir(folder, { withFileTypes: true }).catch(() => []);
    const listed = new Set(inSources ? this.sources(text) : []);
    const replace = new vscode.Range(doc.positionAt(offset - namePart.length), position);
    const items: vscode.CompletionItem[] = [];
    const sorted = entries
      .filter((e) => namePart.startsWith('.') || !e.name.startsWith('.'))
      .sort((a, b) => cardOrder(a.name, b.name))
      .slice(0, MAX_ITEMS);
    for (const e of sorted) {
      const isDir =
        e.isDirectory() ||
        (e.isSymbolicLink() &&
          (await fs.stat(path.join(folder, e.name)).then(
            (s) => s.isDirectory(),
            () => false,
          )));
      if (!isDir && (inOutput || !isClipName(e.name))) continue;
      const item = new vscode.CompletionItem(
        isDir ? `${e.name}/` : e.name,
        isDir ? vscode.CompletionItemKind.Folder : vscode.CompletionItemKind.File,
      );
      item.range = replace;
      item.insertText = isDir && inSources ? `${e.name}/` : e.name;
      item.sortText = `${isDir ? '0' : '1'}${String(items.length).padStart(6, '0')}`;
      item.filterText = item.insertText;
      const written = `${dirPart}${e.name}`;
      if (isDir && inSources) item.command = { command: 'editor.action.triggerSuggest', title: 'Show the folder' };
      if (!isDir && listed.has(written)) {
        item.detail = 'already in sources';
        item.sortText = `2${item.sortText}`;
      } else item.detail = isDir ? (inOutput ? 'folder for the proxies' : 'folder') : 'clip';
      items.push(item);
    }
    return items;
  }

  private sources(text: string): string[] {
    const value: unknown = jsonc.parse(text, [], { allowTrailingComma: true });
    const sources =
      typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>).sources : undefined;
    return Array.isArray(sources) ? sources.filter((s): s is string => typeof s === 'string') : [];
  }
}
