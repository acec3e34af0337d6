// Dailies in the editor (issue "5 of 7"), kept in one file beside the rest of the extension:
// - Watch Folder for Media…: the core's media watch folders (camera files → proxies per a template
//   JobSpec), their runs in the Runs view, their events in the log; Stop Watching Media Folder. Like
//   JobSpec watch folders, they are remembered per workspace and watched again when it next opens.
// - Convert to JobSpec Format: an origin-format (2.1) JobSpec written in this format beside it.
// - Origin-format files that are not named *.jobspec.json (the origin project names them *.json) are
//   checked too: every problem, schema included, since VS Code's JSON service does not apply the
//   schema to them.
// - Completion of user presets (.jobspec/presets.json) in `preset`; the built-ins come from the schema.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import * as jsonc from 'jsonc-parser';
import {
  convertedName,
  convertOriginJobSpec,
  describePresetFields,
  loadTemplate,
  loadUserPresets,
  mediaWatchEventLine,
  multiHeader,
  TemplateError,
  validateJobSpecText,
  watchMedia,
  type MediaWatchEvent,
  type RunEvent,
} from '../core';
import { toDiagnostic } from './diagnostics';
import { plural } from './format';
import { toolsOrExplain } from './ffmpegTools';
import { isJobSpecUri } from './jobspecFiles';
import type { JobSpecLog } from './log';
import { notify } from './notify';
import type { Runner } from './runner';
import type { RunState, RunStore } from './runs';
import { readSettings } from './settings';
import { trustedOrExplain } from './trust';
import type { MediaNode } from './watchTree';

/** The workspace's media watch folders, with their templates, as last watched. */
const MEDIA_STATE_KEY = 'jobspec.mediaWatchFolders';

interface SavedMediaFolder {
  dir: string;
  template: string;
}

interface MediaFolder {
  dir: string;
  template: string;
  ffmpeg: string;
  controller: AbortController;
  stopped: Promise<number>;
  runs: Map<number, RunState>;
  since: number;
  /** Batches run so far, and how the last one ended. */
  batches: number;
  lastStatus?: string;
}

/** A media watch folder as the Watch Folders view shows it. */
export interface MediaFolderView {
  dir: string;
  template: string;
  since: number;
  stopping: boolean;
  batches: number;
  lastStatus?: string;
  /** The batch being made, if one is. */
  running?: RunState;
}

/** "jobspec_version": "2.1" near the top of a JSON text, cheaply, before parsing it. */
function looksOrigin(text: string): boolean {
  return /"jobspec_version"\s*:\s*"2\.1"/.test(text);
}

export class Dailies implements vscode.Disposable {
  private readonly media = new Map<string, MediaFolder>();
  private readonly originDiagnostics = vscode.languages.createDiagnosticCollection('jobspec-origin');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private disposed = false;
  /** While the saved folders are watched again, what is saved stays as it is. */
  private resuming = false;
  private readonly changed = new vscode.EventEmitter<void>();
  /** A media watch folder started, stopped, or began or ended a batch. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly state: vscode.Memento,
    private readonly store: RunStore,
    private readonly runner: Runner,
    private readonly log: JobSpecLog,
  ) {}

  register(): vscode.Disposable[] {
    const r = vscode.commands.registerCommand;
    const check = (doc: vscode.TextDocument, delay: number): void => this.scheduleOrigin(doc, delay);
    for (const d of vscode.workspace.textDocuments) check(d, 0);
    return [
      this,
      r('jobspec.watchMedia', (dir?: vscode.Uri | string, template?: vscode.Uri | string) => this.watch(dir, template)),
      r('jobspec.stopWatchingMedia', (dir?: vscode.Uri | string | MediaNode) => this.stop(dir)),
      r('jobspec.convertOrigin', (file?: vscode.Uri) => this.convert(file)),
      vscode.workspace.onDidOpenTextDocument((d) => check(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => check(e.document, 350)),
      vscode.workspace.onDidSaveTextDocument((d) => check(d, 0)),
      vscode.workspace.onDidCloseTextDocument((d) => this.originDiagnostics.delete(d.uri)),
      vscode.languages.registerCompletionItemProvider(
        { scheme: 'file', pattern: '**/*.jobspec.json' },
        { provideCompletionItems: (doc, pos) => this.presetCompletions(doc, pos) },
        '"',
      ),
    ];
  }

  /** Folders watched for media, for the tests and the stop command. */
  watched(): string[] {
    return [...this.media.keys()];
  }

  /** The media watch folders, for the Watch Folders view. */
  folders(): MediaFolderView[] {
    return [...this.media.values()].map((f) => ({
      dir: f.dir,
      template: f.template,
      since: f.since,
      stopping: f.controller.signal.aborted,
      batches: f.batches,
      ...(f.lastStatus ? { lastStatus: f.lastStatus } : {}),
      ...(f.runs.size > 0 ? { running: [...f.runs.values()].at(-1) } : {}),
    }));
  }

  private static fsPath(t: vscode.Uri | string | undefined): string | undefined {
    if (t instanceof vscode.Uri) return t.scheme === 'file' ? t.fsPath : undefined;
    return typeof t === 'string' ? t : undefined;
  }

  /** Start watching a folder for camera files; resolves with the folder once watched, or undefined. */
  async watch(
    dirArg?: vscode.Uri | string,
    templateArg?: vscode.Uri | string,
    how: 'user' | 'resume' = 'user',
  ): Promise<string | undefined> {
    if (!trustedOrExplain('Watching a folder for media')) return undefined;
    let dir = Dailies.fsPath(dirArg);
    if (!dir) {
      const picked = await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        openLabel: 'Watch for Media',
        title: 'Watch a folder: camera files dropped anywhere in it get proxies',
      });
      dir = picked?.[0]?.fsPath;
    }
    if (!dir) return undefined;
    dir = path.resolve(dir);
    if (this.media.has(dir)) {
      notify('info', `${dir} is already watched for media.`);
      return dir;
    }
    const template = Dailies.fsPath(templateArg) ?? (await this.pickTemplate());
    if (!template) return undefined;
    try {
      await loadTemplate(template);
    } catch (err) {
      if (err instanceof TemplateError) {
        const problems = err.problems.filter((p) => p.severity === 'error').map((p) => p.message);
        this.log.error(`${template} cannot be a media watch template: ${[err.message, ...problems].join(' ')}`);
        notify('error', `${path.basename(template)} cannot be a media watch template: ${problems[0] ?? err.message}`, {
          title: 'Show Log',
          run: () => this.log.show(),
        });
        return undefined;
      }
      throw err;
    }
    const tools = await toolsOrExplain(vscode.Uri.file(dir), this.log);
    if (!tools) return undefined;
    const controller = new AbortController();
    const folder: MediaFolder = {
      dir,
      template,
      ffmpeg: tools.ffmpeg,
      controller,
      stopped: Promise.resolve(0),
      runs: new Map(),
      since: Date.now(),
      batches: 0,
    };
    this.media.set(dir, folder);
    const label = path.basename(dir) || dir;
    folder.stopped = watchMedia(dir, {
      tools,
      template,
      signal: controller.signal,
      stallTimeoutSeconds: readSettings(vscode.Uri.file(dir)).stallTimeoutSeconds,
      onEvent: (e) => this.onMediaEvent(folder, label, e),
    });
    this.log.info(
      `${how === 'resume' ? 'Watching again' : 'Watching'} ${dir} for camera files: proxies per ${template}, with ${tools.ffmpeg} (${tools.version}).`,
    );
    await this.persist();
    this.changed.fire();
    folder.stopped.then(
      () => {
        if (!this.disposed) this.log.info(`Stopped watching ${folder.dir} for media.`);
      },
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        if (!this.disposed) {
          this.log.error(`Watching ${folder.dir} for media stopped: ${message}`);
          notify('error', `Watching ${folder.dir} for media stopped: ${message}`, { title: 'Show Log', run: () => this.log.show() });
        }
      },
    );
    const watched = dir;
    void folder.stopped
      .catch(() => undefined)
      .finally(() => {
        if (this.media.get(watched) === folder) this.media.delete(watched);
        for (const run of folder.runs.values()) this.store.finish(run, undefined, 'The watcher stopped.');
        // Stopped by the user or by a failure: forgotten. Closing the window keeps it for next time.
        void this.persist();
        if (!this.disposed) this.changed.fire();
      });
    return dir;
  }

  /** Watch again the media folders this workspace watched when it was last open. */
  async resume(): Promise<void> {
    const saved = this.state.get<SavedMediaFolder[]>(MEDIA_STATE_KEY, []);
    if (saved.length === 0) return;
    if (!vscode.workspace.isTrusted) {
      this.log.info(`${plural(saved.length, 'media watch folder')} of this workspace will be watched again once you trust it.`);
      return;
    }
    // A folder or a template that is gone is forgotten; one that could not be watched now (no ffmpeg) is kept.
    const keep: SavedMediaFolder[] = [];
    this.resuming = true;
    try {
      for (const s of saved) {
        const [dir, template] = await Promise.all([fs.stat(s.dir).catch(() => undefined), fs.stat(s.template).catch(() => undefined)]);
        if (!dir?.isDirectory() || !template?.isFile()) {
          const why = !dir ? 'it does not exist' : !dir.isDirectory() ? 'it is not a folder' : `its template ${s.template} is gone`;
          this.log.warn(`Not watching ${s.dir} for media again: ${why}.`);
          continue;
        }
        keep.push(s);
        if (!this.media.has(path.resolve(s.dir))) await this.watch(s.dir, s.template, 'resume');
      }
    } finally {
      this.resuming = false;
    }
    if (this.disposed) return;
    const watching = [...this.media.values()].map((f) => ({ dir: f.dir, template: f.template }));
    const merged = new Map([...keep, ...watching].map((s) => [path.resolve(s.dir), s]));
    await this.state.update(MEDIA_STATE_KEY, [...merged.values()]);
  }

  private async persist(): Promise<void> {
    if (this.disposed || this.resuming) return;
    const watching: SavedMediaFolder[] = [...this.media.values()]
      .filter((f) => !f.controller.signal.aborted)
      .map((f) => ({ dir: f.dir, template: f.template }));
    await this.state.update(MEDIA_STATE_KEY, watching);
  }

  private async pickTemplate(): Promise<string | undefined> {
    // Templates are JobSpecs without sources.
    const found = await vscode.workspace.findFiles('**/*.jobspec.json', '**/node_modules/**', 500);
    const templates: string[] = [];
    for (const uri of found) {
      const text = await fs.readFile(uri.fsPath, 'utf8').catch(() => '');
      const value = jsonc.parse(text) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value) && !('sources' in value)) templates.push(uri.fsPath);
    }
    const browse = 'Browse…';
    const pick = await vscode.window.showQuickPick(
      [
        ...templates.map((t) => ({ label: path.basename(t), description: vscode.workspace.asRelativePath(t), file: t })),
        { label: browse, description: 'a template JobSpec file elsewhere', file: '' },
      ],
      { placeHolder: 'Template JobSpec (a JobSpec without sources) for the proxies' },
    );
    if (!pick) return undefined;
    if (pick.file) return pick.file;
    const chosen = await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: { JobSpec: ['json'] },
      openLabel: 'Use as Template',
    });
    return chosen?.[0]?.fsPath;
  }

  private onMediaEvent(folder: MediaFolder, label: string, e: MediaWatchEvent): void {
    if (this.disposed) return;
    if (e.type === 'run') {
      this.onRunEvent(folder, e.batch, e.event);
      return;
    }
    const line = mediaWatchEventLine(e);
    if (!line) return;
    const text = line.replace(/^\[media\]/, `[media ${label}]`);
    if (e.type === 'problem' || e.type === 'refused' || e.type === 'skipped') this.log.error(text);
    else if (e.type === 'busy') this.log.warn(text);
    else this.log.info(text);
  }

  private onRunEvent(folder: MediaFolder, batch: number, e: RunEvent): void {
    if (e.type === 'run-started') {
      const run = this.store.begin({
        jobspecFile: folder.template,
        jobId: e.job_id,
        ffmpegPath: folder.ffmpeg,
        controller: folder.controller,
        watchFolder: folder.dir,
      });
      folder.runs.set(batch, run);
      folder.batches++;
      this.changed.fire();
      this.log.write(
        ...multiHeader(e.job_id, e.total)
          .filter((l) => l !== '')
          .map((text) => ({ level: 'info' as const, text })),
      );
    }
    const run = folder.runs.get(batch);
    if (!run) return;
    this.store.apply(run, e);
    this.runner.logEvent(run, e);
    if (e.type === 'run-finished') {
      folder.runs.delete(batch);
      folder.lastStatus = e.result.status;
      this.changed.fire();
    }
  }

  /** Stop watching a folder for media (the one given, the only one, or one picked); resolves once stopped. */
  async stop(dirArg?: vscode.Uri | string | MediaNode): Promise<boolean> {
    let dir = typeof dirArg === 'object' && 'kind' in dirArg ? dirArg.media.dir : Dailies.fsPath(dirArg);
    if (!dir) {
      const all = this.watched();
      if (all.length === 0) {
        notify('info', 'No folder is watched for media.');
        return false;
      }
      dir =
        all.length === 1
          ? all[0]
          : ((await vscode.window.showQuickPick(all, { placeHolder: 'Stop watching which folder for media?' })) ?? undefined);
    }
    const folder = dir ? this.media.get(path.resolve(dir)) : undefined;
    if (!folder) return false;
    folder.controller.abort();
    this.changed.fire();
    await folder.stopped.catch(() => undefined);
    return true;
  }

  /** Write an origin-format (2.1) JobSpec in this format beside it and open it; resolves with the new file. */
  async convert(fileArg?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const uri = fileArg ?? vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== 'file') {
      notify('info', 'Open an origin-format JobSpec ("jobspec_version": "2.1") to convert it.');
      return undefined;
    }
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const text = open ? open.getText() : await fs.readFile(uri.fsPath, 'utf8');
    const target = convertedName(uri.fsPath);
    const converted = await convertOriginJobSpec(text, uri.fsPath, target);
    if (!converted.ok) {
      const errors = converted.problems.filter((p) => p.severity === 'error');
      for (const p of errors) this.log.error(`${uri.fsPath}: ${p.message} (${p.pointer})`);
      notify('error', `${path.basename(uri.fsPath)} cannot be converted: ${errors[0]?.message ?? 'see the log'}`, {
        title: 'Show Log',
        run: () => this.log.show(),
      });
      return undefined;
    }
    try {
      await fs.writeFile(target, converted.text, { flag: 'wx' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      notify(
        'error',
        code === 'EEXIST'
          ? `${target} already exists; it was left as it is. Move it away to convert again.`
          : `Cannot write ${target}: ${code ?? String(err)}`,
      );
      return undefined;
    }
    for (const d of converted.dropped) this.log.info(`${path.basename(uri.fsPath)}: left out ${d.field} (${d.why})`);
    this.log.info(`Converted ${uri.fsPath} to ${target}.`);
    const out = vscode.Uri.file(target);
    await vscode.window.showTextDocument(out, { preview: false });
    return out;
  }

  private scheduleOrigin(doc: vscode.TextDocument, delay: number): void {
    // *.jobspec.json files are the JobSpec diagnostics' (their schema problems come from VS Code's JSON service).
    if (doc.uri.scheme !== 'file' || isJobSpecUri(doc.uri) || !/\.json$/i.test(doc.uri.path)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    if (!looksOrigin(doc.getText())) {
      this.originDiagnostics.delete(doc.uri);
      return;
    }
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.checkOrigin(doc);
      }, delay),
    );
  }

  private async checkOrigin(doc: vscode.TextDocument): Promise<void> {
    if (doc.isClosed) return;
    const version = doc.version;
    const text = doc.getText();
    const result = await validateJobSpecText(text, doc.uri.fsPath, { checkFilesystem: true });
    if (doc.isClosed || doc.version !== version || this.disposed) return;
    const tree = jsonc.parseTree(text);
    this.originDiagnostics.set(
      doc.uri,
      result.problems.map((p) => toDiagnostic(doc, text, p, tree)),
    );
  }

  /** User presets offered in `preset` (the built-ins come from the schema's enum). */
  private async presetCompletions(doc: vscode.TextDocument, pos: vscode.Position): Promise<vscode.CompletionItem[]> {
    const loc = jsonc.getLocation(doc.getText(), doc.offsetAt(pos));
    if (!loc.isAtPropertyKey && loc.path.length === 1 && loc.path[0] === 'preset') {
      const user = await loadUserPresets(path.dirname(doc.uri.fsPath));
      return user.presets.map((p) => {
        const item = new vscode.CompletionItem(p.name, vscode.CompletionItemKind.EnumMember);
        item.detail = describePresetFields(p.fields);
        item.documentation = new vscode.MarkdownString(`${p.description}\n\nFrom \`${p.source}\`.`);
        const word = doc.getWordRangeAtPosition(pos, /"[^"]*"?/);
        item.insertText = word ? `"${p.name}"` : p.name;
        if (word) item.range = word;
        return item;
      });
    }
    return [];
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    for (const f of this.media.values()) f.controller.abort();
    this.originDiagnostics.dispose();
    this.changed.dispose();
  }
}
