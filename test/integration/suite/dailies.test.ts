// Dailies in a real VS Code (issue "5 of 7"): preset completion from the schema and from
// .jobspec/presets.json, origin-format (2.1) files checked in the editor and converted by command, and
// a folder watched for media whose camera files get proxies per a template. Real ffmpeg, nothing mocked.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JobSpecApi } from '../../../src/extension/testApi';
import { makeClip, until, workspaceDir } from './helpers';

/** A camera file: a short clip with picture and sound. */
const clip = (file: string): Promise<void> => makeClip(file, 0.6);

const labelOf = (i: vscode.CompletionItem): string => (typeof i.label === 'string' ? i.label : i.label.label).replace(/"/g, '');

export function registerDailiesSuite(): void {
  describe('Dailies in a real VS Code', function () {
    let api: JobSpecApi;
    let dir: string;

    before(async function () {
      this.timeout(60_000);
      const ext = vscode.extensions.getExtension<JobSpecApi>('jobspec.jobspec-proxy');
      assert.ok(ext);
      api = await ext.activate();
      dir = path.join(workspaceDir(), 'dailies');
      await fs.mkdir(path.join(dir, 'out'), { recursive: true });
      await clip(path.join(dir, 'media', 'A001C001.mov'));
    });

    after(async function () {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('completes preset with the built-ins (and what each sets) and with the workspace’s own presets', async function () {
      await fs.mkdir(path.join(dir, '.jobspec'), { recursive: true });
      await fs.writeFile(
        path.join(dir, '.jobspec', 'presets.json'),
        JSON.stringify({ presets: { a_cam_dailies: { codec: 'h264', container: 'mov', resolution: 'half' } } }),
      );
      const file = path.join(dir, 'preset.jobspec.json');
      await fs.writeFile(
        file,
        '{\n  "sources": ["media/A001C001.mov"],\n  "output_directory": "out",\n  "naming_template": "{source_name}",\n  "preset": ""\n}\n',
      );
      const doc = await vscode.workspace.openTextDocument(file);
      await vscode.window.showTextDocument(doc);
      const at = doc.positionAt(doc.getText().indexOf('"preset": ""') + '"preset": "'.length);
      const list = await until('preset completions', async () => {
        const l = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, at);
        return l.items.some((i) => labelOf(i) === 'a_cam_dailies') && l.items.some((i) => labelOf(i) === 'proxy_prores_proxy')
          ? l
          : undefined;
      });
      const builtin = list.items.find((i) => labelOf(i) === 'proxy_h264_low');
      const docs = typeof builtin?.documentation === 'string' ? builtin.documentation : (builtin?.documentation?.value ?? '');
      assert.match(docs + (builtin?.detail ?? ''), /h264/, 'the built-in says what it sets');
      const user = list.items.find((i) => labelOf(i) === 'a_cam_dailies');
      assert.equal(user?.detail, 'h264 in mov, resolution half');
    });

    it('checks an origin-format file named *.json (every problem) and converts it by command', async function () {
      this.timeout(30_000);
      const file = path.join(dir, 'from_proxx.json');
      const origin = {
        jobspec_version: '2.1',
        job_id: 'from_proxx',
        sources: ['media/A001C001.mov'],
        output_directory: 'out',
        codec: 'PRORES_PROXY',
        container: 'mov',
        resolution: 'same',
        fps_mode: 'same-as-source',
        fps_explicit: null,
        naming_template: '{source_name}_proxy',
        resolve_preset: 'ProRes 422 Proxy',
        resolved_tokens: {},
      };
      await fs.writeFile(file, JSON.stringify(origin, null, 2));
      const doc = await vscode.workspace.openTextDocument(file);
      await vscode.window.showTextDocument(doc);
      const diags = await until('a diagnostic on resolve_preset', () => {
        const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === 'JobSpec');
        return d.some((x) => x.code === 'origin-needs-resolve') ? d : undefined;
      });
      const at = doc.getText().indexOf('"ProRes 422 Proxy"');
      assert.ok(diags.some((d) => d.code === 'origin-needs-resolve' && d.range.contains(doc.positionAt(at + 1))));
      const refused = await vscode.commands.executeCommand<vscode.Uri | undefined>('jobspec.convertOrigin', doc.uri);
      assert.equal(refused, undefined, 'a file that needs Resolve is not converted');

      delete (origin as Partial<typeof origin>).resolve_preset;
      await fs.writeFile(file, JSON.stringify(origin, null, 2));
      await vscode.commands.executeCommand('workbench.action.files.revert');
      await until(
        'the diagnostics to clear',
        () => !vscode.languages.getDiagnostics(doc.uri).some((x) => x.severity === vscode.DiagnosticSeverity.Error),
      );
      const converted = await vscode.commands.executeCommand<vscode.Uri | undefined>('jobspec.convertOrigin', doc.uri);
      assert.equal(converted?.fsPath, path.join(dir, 'from_proxx.converted.jobspec.json'));
      const written = JSON.parse(await fs.readFile(converted.fsPath, 'utf8')) as Record<string, unknown>;
      assert.equal(written.jobspec_version, '1');
      assert.equal(written.codec, 'prores_proxy');
      assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, converted.fsPath, 'the converted file is opened');
      const valid = await vscode.commands.executeCommand<{ ok: boolean }>('jobspec.validate', converted);
      assert.equal(valid.ok, true);
    });

    it('watches a folder for media: a camera file dropped into it gets its proxy per the template, in the log and the Runs view', async function () {
      this.timeout(120_000);
      const drop = await fs.mkdtemp(path.join(os.tmpdir(), 'jobspec-media-it-'));
      const out = await fs.mkdtemp(path.join(os.tmpdir(), 'jobspec-media-it-out-'));
      try {
        const template = path.join(dir, 'dailies.template.jobspec.json');
        await fs.writeFile(
          template,
          JSON.stringify(
            { job_id: 'it_dailies', output_directory: out, preset: 'proxy_h264_quarter', naming_template: '{source_name}_proxy' },
            null,
            2,
          ),
        );
        const watched = await vscode.commands.executeCommand<string | undefined>(
          'jobspec.watchMedia',
          vscode.Uri.file(drop),
          vscode.Uri.file(template),
        );
        assert.equal(watched, drop);
        const label = path.basename(drop);
        await until('the watcher to start', () => api.logLines().some((l) => l.startsWith(`[media ${label}] watching ${drop}`)));
        // The Watch Folders view lists it with its template, then its batches.
        const mediaRow = (): ReturnType<JobSpecApi['watchTree']>[number] | undefined => api.watchTree().find((r) => r.label === label);
        const waiting = await until('the folder in the Watch Folders view', () => mediaRow());
        assert.equal(waiting.description, 'media → dailies.template · waiting for camera files');
        assert.equal(waiting.icon, 'device-camera-video');
        assert.match(waiting.contextValue, /^jobspecMediaFolder\b.*\bwatching\b/);
        assert.match(waiting.tooltip, /Template: .*dailies\.template\.jobspec\.json/);
        // Dropped as a copy lands: written beside it, then moved in whole.
        const tmp = path.join(os.tmpdir(), `it-${Date.now()}.mov`);
        await clip(tmp);
        await fs.mkdir(path.join(drop, 'A001'));
        await fs.copyFile(tmp, path.join(drop, 'A001', 'A001C009.mov'));
        await fs.rm(tmp);
        const proxy = path.join(out, 'A001C009_proxy.mp4');
        await until('the proxy', async () => (await fs.stat(proxy).catch(() => null))?.size, 90_000);
        await until(
          'the batch to finish in the log',
          () => api.logLines().some((l) => l.startsWith(`[media ${label}] batch 1: COMPLETED (1/1 completed)`)),
          30_000,
        );
        await until('the view to count the batch', () => mediaRow()?.description === 'media → dailies.template · 1 batch, last COMPLETED');
        const runState = api.runs().find((r) => r.watchFolder === drop);
        assert.equal(runState?.phase === 'finished' ? runState.status : runState?.phase, 'COMPLETED');
        assert.deepEqual(await fs.readdir(drop), ['A001'], 'nothing written in the watched folder');
        assert.deepEqual(await fs.readdir(path.join(drop, 'A001')), ['A001C009.mov']);
        const stopped = await vscode.commands.executeCommand<boolean>('jobspec.stopWatchingMedia', vscode.Uri.file(drop));
        assert.equal(stopped, true);
        await until('the log to say it stopped', () => api.logLines().includes(`Stopped watching ${drop} for media.`));
        await until('the folder to leave the Watch Folders view', () => mediaRow() === undefined);
      } finally {
        await vscode.commands.executeCommand('jobspec.stopWatchingMedia', vscode.Uri.file(drop));
        await fs.rm(drop, { recursive: true, force: true });
        await fs.rm(out, { recursive: true, force: true });
      }
    });
  });
}
