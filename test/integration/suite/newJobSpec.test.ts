// New JobSpec in the real host: from the template with arguments, through the real save dialog of a
// remote window, from a card folder with its clips to keep or leave out, and from clips selected in
// the Explorer.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LoadResult } from '../../../src/core';
import { api, exists, expectQuestion, until, ws } from './helpers';

/** A card as cameras write them: clips numbered past 9, an AppleDouble file, Sony's sub-clip folder. */
async function makeCard(dir: string): Promise<void> {
  await fs.mkdir(path.join(dir, 'CLIP'), { recursive: true });
  await fs.mkdir(path.join(dir, 'Sub'), { recursive: true });
  for (const n of ['A001C010.mov', 'A001C002.mov', 'A001C001.mov']) await fs.copyFile(ws('media/clip_a.mov'), path.join(dir, 'CLIP', n));
  await fs.writeFile(path.join(dir, 'CLIP', '._A001C001.mov'), 'AppleDouble');
  await fs.copyFile(ws('media/clip_b.mov'), path.join(dir, 'Sub', 'A001C001S01.mov'));
  await fs.writeFile(path.join(dir, 'CLIP', 'A001C001.xml'), '<metadata/>');
}

async function specOf(file: string): Promise<{ sources: string[]; output_directory: string; job_id: string }> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as { sources: string[]; output_directory: string; job_id: string };
}

export function registerNewJobSpecTests(): void {
  describe('new JobSpec', function () {
    it('creates a new JobSpec from the template that validates clean', async function () {
      const target = ws('day1.jobspec.json');
      const uri = await vscode.commands.executeCommand<vscode.Uri>('jobspec.new', {
        sources: [ws('media/clip_a.mov'), ws('media/clip_b.mov')],
        outputDirectory: ws('out/new'),
        target,
      });
      assert.equal(uri.fsPath, target);
      const spec = await specOf(target);
      assert.deepEqual(spec.sources, ['media/clip_a.mov', 'media/clip_b.mov']);
      assert.equal(spec.output_directory, 'out/new');
      assert.equal(spec.job_id, 'day1');
      const result = await vscode.commands.executeCommand<LoadResult>('jobspec.validate', uri);
      assert.equal(result.ok, true, JSON.stringify(result.problems));
    });

    it("saves through the remote window's save dialog as name.jobspec.json, not name.jobspec.json.jobspec.json", async function () {
      const q = expectQuestion(/^New JobSpec: 2 clips; asking where to save it\.$/);
      const made = vscode.commands.executeCommand<vscode.Uri | undefined>('jobspec.new', {
        sources: [ws('media/clip_a.mov'), ws('media/clip_b.mov')],
        outputDirectory: ws('out/new'),
      });
      // The dialog proposes <the clips' folder>.jobspec.json in the workspace; accepting it as offered:
      await q.answer(0);
      const uri = await made;
      assert.equal(uri?.fsPath, ws('media.jobspec.json'));
      assert.equal(await exists(ws('media.jobspec.json.jobspec.json')), false);
      assert.equal((await specOf(ws('media.jobspec.json'))).job_id, 'media');
      // A name typed without the suffix, or with it twice, is saved with it once.
      const { jobspecPath } = await import('../../../src/extension/newJobSpec');
      assert.equal(jobspecPath('/a/dayA'), '/a/dayA.jobspec.json');
      assert.equal(jobspecPath('/a/dayA.jobspec.json.jobspec.json'), '/a/dayA.jobspec.json');
      assert.equal(jobspecPath('/a/dayA.json'), '/a/dayA.jobspec.json');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    it("takes a card folder's clips in card order, leaving out AppleDouble files and sub-clips, with each clip to keep or untick", async function () {
      const card = ws('cards', 'A001');
      await makeCard(card);
      const q = expectQuestion(/^New JobSpec: 3 clips found; asking which to use\.$/);
      const made = vscode.commands.executeCommand<vscode.Uri | undefined>('jobspec.new', {
        sources: [card],
        outputDirectory: ws('out/new'),
        target: ws('cardA.jobspec.json'),
      });
      await until('the clip list', () =>
        api()
          .logLines()
          .some((l) => /asking which to use/.test(l)),
      );
      // Untick the first clip, keep the others.
      await new Promise((r) => setTimeout(r, 400));
      await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
      await vscode.commands.executeCommand('workbench.action.quickPickManyToggle');
      await q.answer(0);
      const uri = await made;
      assert.ok(uri);
      assert.deepEqual((await specOf(uri.fsPath)).sources, ['cards/A001/CLIP/A001C002.mov', 'cards/A001/CLIP/A001C010.mov']);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    it('makes a JobSpec from clips selected in the Explorer: named after the card, proxies into the workspace, valid as made', async function () {
      const card = ws('cards', 'B002');
      await makeCard(card);
      const picked = expectQuestion(/^New JobSpec: 4 clips found; asking which to use\.$/);
      const named = expectQuestion(/^New JobSpec from 4 clips: asking for its name\.$/);
      // A folder and a file, selected together (the Explorer passes the clicked item and the selection).
      const made = vscode.commands.executeCommand<vscode.Uri | undefined>('jobspec.newFromClips', vscode.Uri.file(card), [
        vscode.Uri.file(card),
        vscode.Uri.file(ws('media/clip_b.mov')),
      ]);
      await picked.answer(0);
      await named.answer(0);
      const uri = await made;
      assert.equal(uri?.fsPath, ws('B002.jobspec.json'));
      const spec = await specOf(ws('B002.jobspec.json'));
      assert.deepEqual(spec.sources, [
        'cards/B002/CLIP/A001C001.mov',
        'cards/B002/CLIP/A001C002.mov',
        'cards/B002/CLIP/A001C010.mov',
        'media/clip_b.mov',
      ]);
      assert.equal(spec.output_directory, 'proxies/B002');
      assert.ok(await exists(ws('proxies/B002')), 'the output folder was made in the workspace');
      assert.equal(await exists(path.join(card, 'B002.jobspec.json')), false, 'nothing is written onto the card');
      const result = await vscode.commands.executeCommand<LoadResult>('jobspec.validate', uri);
      assert.equal(result.ok, true, JSON.stringify(result.problems));
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    it('Set ffmpeg Path checks the file by running it before saving it for this machine', async function () {
      const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('jobspec');
      const bad = await vscode.commands.executeCommand<string | undefined>('jobspec.setFfmpegPath', 'ffmpeg', ws('media/clip_a.mov'));
      assert.equal(bad, undefined, 'a file that is not ffmpeg is not saved');
      assert.equal(config().inspect('ffmpegPath')?.globalValue, undefined);
      assert.ok(
        api()
          .logLines()
          .some((l) => l.includes(ws('media/clip_a.mov'))),
        'the log names the file that was tried',
      );
      const which = (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'ffmpeg'));
      let real: string | undefined;
      for (const c of which) if (await exists(c)) real = real ?? c;
      assert.ok(real, 'ffmpeg is on PATH');
      try {
        const saved = await vscode.commands.executeCommand<string | undefined>('jobspec.setFfmpegPath', 'ffmpeg', real);
        assert.equal(saved, real);
        await until('the setting to be saved', () => config().inspect('ffmpegPath')?.globalValue === real);
        const found = await vscode.commands.executeCommand<{ ffmpeg: string } | undefined>('jobspec.findFfmpeg');
        assert.equal(found?.ffmpeg, real);
      } finally {
        await config().update('ffmpegPath', undefined, vscode.ConfigurationTarget.Global);
      }
    });
  });
}
