// The core's checks as diagnostics: the schema's (an unknown key, a codec/container pair outside
// the matrix, a value out of range) and the meaning checks (missing sources, collisions, bad
// tokens, a missing output folder), all as errors, in the words Validate and Execute use; and, as
// information, outputs that are already there. Refreshed on open, on edit (debounced), on save,
// and when a file the JobSpec names (or would write) appears or disappears on disk. VS Code's JSON
// language service gets a copy of the schema without its validating keywords
// (scripts/gen-editor-schema.mjs), so it completes and explains but reports nothing twice, and
// nothing as a mere warning that blocks a run.
import * as path from 'node:path';
import * as vscode from 'vscode';
import * as jsonc from 'jsonc-parser';
import { existingOutputs, planOutputs, resolveAgainst, validateJobSpecText, type JobSpec, type LoadResult, type Problem } from '../core';
import { plural } from './format';
import { isJobSpecDocument } from './jobspecFiles';
import { problemSpan, referencedPaths } from './jsonRanges';
import { readSettings } from './settings';

const DEBOUNCE_MS = 350;

/** The code of the information that outputs of this JobSpec are already there. */
export const OUTPUTS_EXIST = 'outputs-exist';

/**
 * JSON syntax errors are the JSON language service's to report (it marks them as errors already);
 * everything else the core finds is reported here. A key given twice is a syntax problem to the
 * core but only a warning to the JSON service, and it blocks a run: it is reported here too.
 */
export function isEditorProblem(p: Problem): boolean {
  return p.kind !== 'syntax' || p.code === 'duplicate-key';
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
      // File events inside the workspace come from VS Code's workspace watcher, which was seen to
      // drop some (a proxy deleted meanwhile): coming back to a JobSpec, or to the window, checks it again.
      vscode.window.onDidChangeActiveTextEditor((e) => {
        if (e) this.schedule(e.document, 0);
      }),
      vscode.window.onDidChangeWindowState((w) => {
        const doc = vscode.window.activeTextEditor?.document;
        if (w.focused && doc) this.schedule(doc, 0);
      }),
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
    const diagnostics = result.problems.filter(isEditorProblem).map((p) => toDiagnostic(doc, text, p, tree));
    const existing = result.ok ? await this.existing(doc, result.spec, tree) : undefined;
    if (doc.isClosed || doc.version !== version) return result;
    if (existing) diagnostics.push(existing);
    this.collection.set(doc.uri, diagnostics);
    // The outputs a run would write are watched too: one appearing or going changes what a run would do.
    this.watchReferences(doc, text, result.ok ? planOutputs(result.spec, new Date()).map((c) => c.output) : []);
    return result;
  }

  /**
   * Outputs already there, when overwrite is "never": information, not an error (the JobSpec is
   * valid), on the overwrite field or else the output folder. Execute asks what to do with them.
   */
  private async existing(doc: vscode.TextDocument, spec: JobSpec, tree: jsonc.Node | undefined): Promise<vscode.Diagnostic | undefined> {
    if (spec.overwrite !== 'never') return undefined;
    const found = await existingOutputs(spec, new Date());
    if (found.length === 0) return undefined;
    const at = (tree && (jsonc.findNodeAtLocation(tree, ['overwrite']) ?? jsonc.findNodeAtLocation(tree, ['output_directory']))) ?? tree;
    const range = at ? new vscode.Range(doc.positionAt(at.offset), doc.positionAt(at.offset + at.length)) : new vscode.Range(0, 0, 0, 1);
    const names = found
      .slice(0, 3)
      .map((c) => path.basename(c.output))
      .join(', ');
    const n = found.length;
    const d = new vscode.Diagnostic(
      range,
      `${n} of ${plural(spec.sources.length, 'output')} already ${n === 1 ? 'exists' : 'exist'} in ${spec.output_directory} (${names}${n > 3 ? ', …' : ''}). With overwrite "never" a run would stop at the first of them: Execute asks whether to skip or replace them, or set overwrite to "skip" or "replace".`,
      vscode.DiagnosticSeverity.Information,
    );
    d.source = 'JobSpec';
    d.code = OUTPUTS_EXIST;
    return d;
  }

  /** Revalidate documents when a source, the output folder or an output they name appears or disappears. */
  private watchReferences(doc: vscode.TextDocument, text: string, outputs: string[]): void {
    const key = doc.uri.toString();
    const dir = path.dirname(doc.uri.fsPath);
    const refs = referencedPaths(text);
    const wanted = new Set([
      ...[...refs.sources, ...(refs.outputDirectory ? [refs.outputDirectory] : [])].map((p) => resolveAgainst(dir, p)),
      ...outputs,
    ]);
    const before = this.watchedBy.get(key) ?? new Set<string>();
    // New paths first: a folder whose watched files all change keeps its watcher. Disposing it and
    // watching the same folder again at once was seen to leave the new watcher deaf.
    for (const p of wanted) this.watch(p).add(key);
    for (const p of before) if (!wanted.has(p)) this.unwatch(p, key);
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
