// Meaning checks of the core as diagnostics: missing sources, collisions, bad tokens, a missing
// output folder. Refreshed on open, on edit (debounced), on save, and when a file the JobSpec
// names appears or disappears on disk. Schema errors are left to VS Code's JSON language
// service (contributes.jsonValidation), which reads the same schema, so nothing shows twice.
import * as path from 'node:path';
import * as vscode from 'vscode';
import * as jsonc from 'jsonc-parser';
import { resolveAgainst, validateJobSpecText, type LoadResult, type Problem } from '../core';
import { isJobSpecDocument } from './jobspecFiles';
import { problemSpan, referencedPaths } from './jsonRanges';
import { readSettings } from './settings';

const DEBOUNCE_MS = 350;

/**
 * The JSON language service already reports syntax and schema problems from the same schema file
 * (contributes.jsonValidation); the core repeats them for the headless command. Here they would be doubled.
 */
export function isMeaningProblem(p: Problem): boolean {
  return p.kind === 'meaning';
}

export function toDiagnostic(doc: vscode.TextDocument, text: string, p: Problem, tree?: jsonc.Node): vscode.Diagnostic {
  const span = problemSpan(text, p, tree);
  const range = new vscode.Range(doc.positionAt(span.offset), doc.positionAt(span.offset + span.length));
  const d = new vscode.Diagnostic(
    range,
    p.message,
    p.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error,
  );
  d.source = 'JobSpec';
  d.code = p.code;
  return d;
}

/** One watcher per folder (a card of 500 clips is one watcher, not 500); events are matched by path. */
interface FolderWatch {
  watcher: vscode.FileSystemWatcher;
  /** Watched path in this folder -> keys of the documents that name it. */
  paths: Map<string, Set<string>>;
}

export class JobSpecDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('jobspec');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly folders = new Map<string, FolderWatch>();
  /** Document key -> the paths it names. */
  private readonly watchedBy = new Map<string, Set<string>>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(
      this.collection,
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0 && readSettings(e.document.uri).validateOnType) this.schedule(e.document, DEBOUNCE_MS);
      }),
      vscode.workspace.onDidSaveTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)),
    );
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
  }

  schedule(doc: vscode.TextDocument, delay: number): void {
    if (!isJobSpecDocument(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.validate(doc);
      }, delay),
    );
  }

  /** Check a document now; returns the core's full result (schema problems included). */
  async validate(doc: vscode.TextDocument): Promise<LoadResult | undefined> {
    if (!isJobSpecDocument(doc) || doc.isClosed) return undefined;
    const version = doc.version;
    const text = doc.getText();
    const result = await validateJobSpecText(text, doc.uri.fsPath, { checkFilesystem: true });
    // A newer edit or a close arrived meanwhile: its own check will report.
    if (doc.isClosed || doc.version !== version) return result;
    const tree = jsonc.parseTree(text);
    this.collection.set(
      doc.uri,
      result.problems.filter(isMeaningProblem).map((p) => toDiagnostic(doc, text, p, tree)),
    );
    this.watchReferences(doc, text);
    return result;
  }

  /** Revalidate documents when a source or the output folder they name appears or disappears. */
  private watchReferences(doc: vscode.TextDocument, text: string): void {
    const key = doc.uri.toString();
    const dir = path.dirname(doc.uri.fsPath);
    const refs = referencedPaths(text);
    const wanted = new Set([...refs.sources, ...(refs.outputDirectory ? [refs.outputDirectory] : [])].map((p) => resolveAgainst(dir, p)));
    const before = this.watchedBy.get(key) ?? new Set<string>();
    for (const p of before) if (!wanted.has(p)) this.unwatch(p, key);
    for (const p of wanted) this.watch(p).add(key);
    this.watchedBy.set(key, wanted);
  }

  private watch(p: string): Set<string> {
    const dir = path.dirname(p);
    let folder = this.folders.get(dir);
    if (!folder) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '*'), false, true, false);
      const paths = new Map<string, Set<string>>();
      const refresh = (uri: vscode.Uri): void => {
        const docs = paths.get(uri.fsPath);
        if (!docs) return;
        for (const d of vscode.workspace.textDocuments) if (docs.has(d.uri.toString())) this.schedule(d, DEBOUNCE_MS);
      };
      watcher.onDidCreate(refresh);
      watcher.onDidDelete(refresh);
      folder = { watcher, paths };
      this.folders.set(dir, folder);
    }
    let docs = folder.paths.get(p);
    if (!docs) {
      docs = new Set<string>();
      folder.paths.set(p, docs);
    }
    return docs;
  }

  private unwatch(p: string, docKey: string): void {
    const dir = path.dirname(p);
    const folder = this.folders.get(dir);
    const docs = folder?.paths.get(p);
    if (!folder || !docs) return;
    docs.delete(docKey);
    if (docs.size === 0) folder.paths.delete(p);
    if (folder.paths.size === 0) {
      folder.watcher.dispose();
      this.folders.delete(dir);
    }
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.collection.delete(uri);
    for (const p of this.watchedBy.get(key) ?? []) this.unwatch(p, key);
    this.watchedBy.delete(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const f of this.folders.values()) f.watcher.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
