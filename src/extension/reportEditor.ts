// The report view: `*.report.json` opens as a picture of the run, not as hundreds of lines of JSON
// (which is one click away). Per clip: poster frames of the source and the proxy, status, the relink
// checks that were made, times, speed and sizes; above them a timeline with the clips as bars over
// time, so concurrency shows. Re-run Failed (or Resume) and Open Proxy work from there. The webview
// runs one script of ours under a strict content security policy and loads only its own files and
// the poster cache.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readReport, type RunResult, type RunStatus } from '../core';
import type { FromWebview, ToWebview } from '../webview/model';
import type { JobSpecLog } from './log';
import { notify } from './notify';
import type { PosterCache } from './posters';
import { buildReportModel } from './reportModel';
import { revealPath } from './reveal';
import { runFromReport, type RunStore } from './runs';
import type { Runner } from './runner';
import type { RunsNode } from './tree';

export const REPORT_VIEW = 'jobspec.report';

/** The webview's page: a strict policy, our script and styles only, pictures from the webview's own roots. */
export function reportHtml(o: { cspSource: string; nonce: string; scriptUri: string; styleUri: string; title: string }): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource}`,
    `style-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${esc(o.styleUri)}">
<title>${esc(o.title)}</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="loading">Reading the report…</p></main>
<script nonce="${o.nonce}" src="${esc(o.scriptUri)}"></script>
</body>
</html>`;
}

interface ReportDocument extends vscode.CustomDocument {
  readonly uri: vscode.Uri;
}

export class ReportEditorProvider implements vscode.CustomReadonlyEditorProvider<ReportDocument> {
  /** Open report views, for the tests: the model each showed last. */
  readonly shown = new Map<string, ToWebview[]>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly posters: PosterCache,
    private readonly store: RunStore,
    private readonly runner: Runner,
    private readonly log: JobSpecLog,
  ) {}

  register(): vscode.Disposable[] {
    return [
      vscode.window.registerCustomEditorProvider(REPORT_VIEW, this, {
        webviewOptions: { retainContextWhenHidden: false },
        supportsMultipleEditorsPerDocument: true,
      }),
      vscode.commands.registerCommand('jobspec.openReportAsJson', (uri?: vscode.Uri) => this.openAsJson(uri)),
      // A path (the report view, notifications) or a clip row of the Runs view.
      vscode.commands.registerCommand('jobspec.openProxy', (t: string | RunsNode) =>
        typeof t === 'string' ? this.openProxy(t) : t.kind === 'clip' ? this.openProxy(t.clip.output) : undefined,
      ),
    ];
  }

  openCustomDocument(uri: vscode.Uri): ReportDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: ReportDocument, panel: vscode.WebviewPanel): void {
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const scripts = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    panel.webview.options = {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [media, scripts, vscode.Uri.file(this.posters.dir)],
    };
    panel.webview.html = reportHtml({
      cspSource: panel.webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(scripts, 'report.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'report.css')).toString(),
      title: path.basename(document.uri.fsPath),
    });
    const key = document.uri.toString();
    const sent: ToWebview[] = [];
    this.shown.set(key, sent);
    let generation = 0;
    let disposed = false;
    let current: { result: RunResult; status: RunStatus } | undefined;
    const post = (m: ToWebview): void => {
      if (disposed) return;
      sent.push(m);
      void panel.webview.postMessage(m);
    };
    const render = async (): Promise<void> => {
      const mine = ++generation;
      const file = document.uri.fsPath;
      let result: RunResult;
      try {
        result = await readReport(file);
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        post({ type: 'report', model: { ...emptyModel(file), error } });
        return;
      }
      const status = result.status;
      current = { result, status };
      const [sourceSizes, outputExists] = await Promise.all([
        Promise.all(
          result.clips.map((c) =>
            fs.stat(c.source).then(
              (s) => s.size,
              () => undefined,
            ),
          ),
        ),
        Promise.all(
          result.clips.map((c) =>
            fs.lstat(c.output).then(
              () => true,
              () => false,
            ),
          ),
        ),
      ]);
      if (mine !== generation) return;
      sent.length = 0;
      post({ type: 'report', model: buildReportModel(file, result, status, { sourceSizes, outputExists }) });
      // Pictures as they come: sources first (they are there for every clip), then proxies.
      for (const which of ['source', 'proxy'] as const)
        for (const c of result.clips) {
          if (which === 'proxy' && c.status !== 'COMPLETED' && c.status !== 'SKIPPED') continue;
          void this.posters.poster(which === 'source' ? c.source : c.output).then((p) => {
            // Pictures come in after the view may have been closed.
            if (disposed || mine !== generation) return;
            post({
              type: 'poster',
              index: c.index,
              which,
              ...(p ? { src: panel.webview.asWebviewUri(vscode.Uri.file(p.file)).toString() } : {}),
              ...(p?.durationSeconds !== undefined ? { durationSeconds: p.durationSeconds } : {}),
            });
          });
        }
    };
    // A report that is still being written (RUNNING) changes; so does one replaced by its final version.
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(path.dirname(document.uri.fsPath)), path.basename(document.uri.fsPath)),
    );
    const subscriptions = [
      watcher,
      watcher.onDidChange(() => void render()),
      watcher.onDidCreate(() => void render()),
      // The page asks when it has loaded (again, after being hidden): it is sent the report then.
      panel.webview.onDidReceiveMessage((m: FromWebview) => void (m.type === 'ready' ? render() : this.onMessage(m, document, current))),
    ];
    panel.onDidDispose(() => {
      disposed = true;
      if (this.shown.get(key) === sent) this.shown.delete(key);
      for (const s of subscriptions) s.dispose();
    });
  }

  private async onMessage(
    m: FromWebview,
    document: ReportDocument,
    current: { result: RunResult; status: RunStatus } | undefined,
  ): Promise<void> {
    const clip = (index: number) => current?.result.clips.find((c) => c.index === index);
    switch (m.type) {
      case 'ready':
        return;
      case 'openJson':
        await this.openAsJson(document.uri);
        return;
      case 'rerun': {
        if (!current) return;
        const run = runFromReport(this.store.newKey(), { ...current.result, report_path: document.uri.fsPath }, current.status);
        if (run.phase !== 'finished') return;
        this.log.info(
          `${run.name} › ${current.status === 'INTERRUPTED' ? 'Resuming' : 'Re-running the unfinished clips of'} ${document.uri.fsPath} from the report view.`,
        );
        await this.runner.execute(vscode.Uri.file(run.jobspecFile), run);
        return;
      }
      case 'openProxy': {
        const c = clip(m.index);
        if (c) await this.openProxy(c.output);
        return;
      }
      case 'revealSource': {
        const c = clip(m.index);
        if (c) await revealPath(c.source);
        return;
      }
      case 'openJobSpec':
        if (current) await vscode.window.showTextDocument(vscode.Uri.file(current.result.jobspec_file));
        return;
      case 'openReport':
        await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(m.file), REPORT_VIEW);
        return;
    }
  }

  /** The report as text, in the JSON editor beside nothing: one click from the view. */
  async openAsJson(uri?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const target = uri ?? activeReport();
    if (!target) return undefined;
    await vscode.commands.executeCommand('vscode.openWith', target, 'default');
    return target;
  }

  /**
   * The proxy in the system's player on a local window; in a remote one, in VS Code (its media
   * preview plays what the browser can decode), since the system's player is on another machine.
   */
  async openProxy(file: string): Promise<vscode.Uri | undefined> {
    const uri = vscode.Uri.file(file);
    if (!(await fs.stat(file).catch(() => undefined))) {
      notify('error', `The proxy ${file} is not there any more: it was moved or deleted after the run. Run the clip again to make it.`);
      return undefined;
    }
    if (vscode.env.remoteName === undefined && vscode.env.uiKind === vscode.UIKind.Desktop) await vscode.env.openExternal(uri);
    else await vscode.commands.executeCommand('vscode.open', uri);
    return uri;
  }
}

function activeReport(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom && input.viewType === REPORT_VIEW) return input.uri;
  if (input instanceof vscode.TabInputText && input.uri.fsPath.endsWith('.report.json')) return input.uri;
  return undefined;
}

function emptyModel(file: string): ReturnType<typeof buildReportModel> {
  return {
    name: path.basename(file),
    jobId: '',
    status: '',
    tone: 'idle',
    jobspecFile: '',
    reportFile: file,
    startedAt: '',
    finishedAt: '',
    elapsedSeconds: 0,
    done: 0,
    total: 0,
    failed: 0,
    notRun: 0,
    lanes: 1,
    clips: [],
  };
}
