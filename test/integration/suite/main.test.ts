// The extension in a real VS Code: real editor, real JSON language service, real ffmpeg on tiny
// clips generated here. Nothing is mocked. The workspace is a fresh copy of fixtures/workspace.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunResult } from '../../../src/core';
import { registerEditorTests } from './editor.test';
import { activateExtension, api, exists, EXTENSION_ID, makeClip, noise, until, untilEncoding, uriOf, ws } from './helpers';
import { registerNewJobSpecTests } from './newJobSpec.test';
import { registerReportTests } from './report.test';
import { registerRunTests } from './runs.test';
import { registerTaskTests } from './tasks.test';
import { RELOAD_MARKER, type ReloadMarker } from './reload.test';
import { registerWatchTests } from './watch.test';

export function registerSuite(): void {
  describe('JobSpec extension in a real VS Code', function () {
    before(async function () {
      this.timeout(120_000);
      await fs.mkdir(ws('media'), { recursive: true });
      for (const d of ['two', 'failing', 'cancel', 'new', 'queue', 'resume']) await fs.mkdir(ws('out', d), { recursive: true });
      await makeClip(ws('media/clip_a.mov'), 1);
      await makeClip(ws('media/clip_b.mov'), 1);
      // Long enough at 1080p that a ProRes HQ encode is still running when it is cancelled.
      await makeClip(ws('media/long.mov'), 12, '1920x1080', ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '30']);
      // A middle clip that is not video at all.
      await fs.writeFile(ws('media/corrupt.mov'), noise(64 * 1024));
      await activateExtension();
    });

    after(async function () {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('activates and registers every command', async function () {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.equal(ext?.isActive, true);
      const all = await vscode.commands.getCommands(true);
      const pkg = ext?.packageJSON as { contributes: { commands: { command: string }[] } };
      for (const { command } of pkg.contributes.commands) assert.ok(all.includes(command), `${command} is registered`);
    });

    it('contributes a walkthrough whose pictures and commands exist, and opens it', async function () {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext);
      interface Step {
        description: string;
        media: { image?: string; markdown?: string };
        completionEvents: string[];
      }
      const pkg = ext.packageJSON as { contributes: { walkthroughs: { id: string; steps: Step[] }[] } };
      const [walkthrough] = pkg.contributes.walkthroughs;
      const all = await vscode.commands.getCommands(true);
      for (const step of walkthrough.steps) {
        const media = step.media.image ?? step.media.markdown ?? '';
        assert.ok(await exists(path.join(ext.extensionPath, media)), `${media} is in the package`);
        for (const m of step.description.matchAll(/\(command:([\w.]+)\)/g)) assert.ok(all.includes(m[1]), `${m[1]} is a command`);
        for (const e of step.completionEvents) if (e.startsWith('onCommand:')) assert.ok(all.includes(e.slice(10)), e);
      }
      await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${EXTENSION_ID}#${walkthrough.id}`, false);
      await until('the walkthrough to open', () => /Walkthrough/.test(vscode.window.tabGroups.activeTabGroup.activeTab?.label ?? ''));
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    it('is ready for the Marketplace: a 128x128 PNG icon, a gallery banner, a changelog; activation no wider than a JobSpec workspace', async function () {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext);
      const pkg = ext.packageJSON as Record<string, unknown> & { icon: string; activationEvents: string[] };
      const png = await fs.readFile(path.join(ext.extensionPath, pkg.icon));
      assert.equal(png.subarray(1, 4).toString(), 'PNG');
      assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
      // repository, bugs and homepage wait for the project's public address; none is made up meanwhile.
      assert.ok(pkg.galleryBanner, 'galleryBanner is set');
      assert.ok(await exists(path.join(ext.extensionPath, 'CHANGELOG.md')));
      assert.deepEqual(pkg.activationEvents, ['workspaceContains:**/*.jobspec.json']);
      console.log(`[it] activation: activate() took ${api().activationMs().toFixed(1)} ms`);
    });

    registerEditorTests();
    registerRunTests();
    registerReportTests();
    registerTaskTests();
    registerNewJobSpecTests();
    registerWatchTests();

    describe('before the window reloads', function () {
      let mediaFolder = '';

      it('leaves a folder watched for media, for the next window to watch again', async function () {
        this.timeout(60_000);
        mediaFolder = await fs.mkdtemp(path.join(os.tmpdir(), 'jobspec-media-reload-'));
        const template = ws('reload.template.jobspec.json');
        await fs.mkdir(ws('out/media-reload'), { recursive: true });
        await fs.writeFile(
          template,
          JSON.stringify({
            job_id: 'media_reload',
            output_directory: 'out/media-reload',
            preset: 'proxy_h264_quarter',
            naming_template: '{source_name}_proxy',
          }),
        );
        const watched = await vscode.commands.executeCommand<string | undefined>(
          'jobspec.watchMedia',
          vscode.Uri.file(mediaFolder),
          vscode.Uri.file(template),
        );
        assert.equal(watched, mediaFolder);
      });

      it('leaves a run going: the launcher reloads the window once this pass is over', async function () {
        this.timeout(90_000);
        // 6 s of 1080p: a few seconds of encoding, so the reload comes while it runs.
        await makeClip(ws('media/slow.mov'), 6, '1920x1080', ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '30']);
        await fs.mkdir(ws('out/interrupt'), { recursive: true });
        const uri = uriOf('interrupt.jobspec.json');
        await fs.writeFile(
          uri.fsPath,
          JSON.stringify({
            job_id: 'interrupt',
            sources: ['media/clip_a.mov', 'media/slow.mov', 'media/clip_b.mov'],
            output_directory: 'out/interrupt',
            codec: 'prores_proxy',
            container: 'mov',
            resolution: 'half',
            naming_template: '{source_name}_{index}',
          }),
        );
        void vscode.commands.executeCommand<RunResult>('jobspec.execute', uri);
        await untilEncoding('interrupt', 1);
        const reports: string[] = [];
        for (const r of api().runs())
          if (r.phase === 'finished' && r.result?.report_path && (await exists(r.result.report_path))) reports.push(r.result.report_path);
        const marker: ReloadMarker = { reports, mediaFolder };
        await fs.writeFile(ws(RELOAD_MARKER), JSON.stringify(marker));
      });
    });
  });
}
