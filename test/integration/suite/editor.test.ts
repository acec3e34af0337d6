// Editing a JobSpec in the real host: the JSON language service with the schema, the extension's diagnostics, CodeLens, validation and the dry run.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DryRunClip, LoadResult, RunResult } from '../../../src/core';
import { api, diagnosticsFrom, rangeOf, sleep, until, uriOf, ws } from './helpers';

export function registerEditorTests(): void {
  describe('editing', function () {
    it('shows schema diagnostics and completes a field from the schema', async function () {
      const uri = uriOf('schema-errors.jobspec.json');
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      const schemaDiags = await until('schema diagnostics from the JSON language service', () => {
        const d = vscode.languages.getDiagnostics(uri).filter((x) => x.source !== 'JobSpec');
        return d.length >= 2 ? d : undefined;
      });
      const codecRange = rangeOf(doc, '"prores_ultra"');
      assert.ok(
        schemaDiags.some((d) => d.range.intersection(codecRange)),
        `a diagnostic on the bad codec: ${JSON.stringify(schemaDiags.map((d) => d.message))}`,
      );
      assert.ok(
        schemaDiags.some((d) => d.range.intersection(rangeOf(doc, '"resolutoin"'))),
        'a diagnostic on the misspelt field',
      );
      // The extension leaves schema errors to the JSON service: nothing is shown twice.
      assert.deepEqual(
        diagnosticsFrom(uri, 'JobSpec').map((d) => d.code),
        [],
      );

      const inCodec = codecRange.start.translate(0, 1);
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, inCodec);
      const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label).replace(/"/g, ''));
      assert.ok(labels.includes('prores_proxy'), `codec completions: ${labels.join(', ')}`);
      assert.ok(labels.includes('dnxhr_lb'));
    });

    it('puts meaning diagnostics on the exact offending values and refreshes them', async function () {
      const uri = uriOf('meaning.jobspec.json');
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      const diags = await until('meaning diagnostics', () => {
        const d = diagnosticsFrom(uri, 'JobSpec');
        return d.length >= 3 ? d : undefined;
      });
      const byCode = (code: string): vscode.Diagnostic => {
        const d = diags.find((x) => x.code === code);
        assert.ok(
          d,
          `a ${code} diagnostic among ${diags.map((x) => (typeof x.code === 'object' ? String(x.code.value) : String(x.code))).join(', ')}`,
        );
        return d;
      };
      assert.deepEqual(byCode('source-missing').range, rangeOf(doc, '"media/missing.mov"'));
      assert.deepEqual(byCode('output-dir-missing').range, rangeOf(doc, '"out/nowhere"'));
      const token = diags.find((d) => /reel/.test(d.message));
      assert.ok(token, 'the unknown {reel} token is reported');
      assert.deepEqual(token.range, rangeOf(doc, '"{source_name}_{reel}"'));
      assert.equal(byCode('source-missing').severity, vscode.DiagnosticSeverity.Error);

      // A source that appears on disk clears its diagnostic without any edit.
      await fs.copyFile(ws('media/clip_a.mov'), ws('media/missing.mov'));
      await until(
        'source-missing to clear after the file appeared',
        () => !diagnosticsFrom(uri, 'JobSpec').some((d) => d.code === 'source-missing'),
      );
      // ...and comes back when it disappears.
      await fs.rm(ws('media/missing.mov'));
      await until('source-missing to return after the file was deleted', () =>
        diagnosticsFrom(uri, 'JobSpec').some((d) => d.code === 'source-missing'),
      );

      // Typing a fix updates diagnostics after the debounce, before any save.
      const editor = await vscode.window.showTextDocument(doc);
      await editor.edit((e) => e.replace(rangeOf(doc, '{source_name}_{reel}'), '{source_name}_{index}'));
      await until(
        'the token diagnostic to clear after an edit',
        () => !diagnosticsFrom(uri, 'JobSpec').some((d) => /reel/.test(d.message)),
      );
      assert.equal(doc.isDirty, true);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    });

    it('offers Execute, Validate and Dry Run as CodeLens', async function () {
      const uri = uriOf('two-clips.jobspec.json');
      await vscode.window.showTextDocument(uri);
      const lenses = await until('CodeLens', async () => {
        const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
        return l && l.length >= 3 ? l : undefined;
      });
      const titles = lenses.map((l) => l.command?.title ?? '');
      assert.deepEqual(titles, ['$(play) Execute', '$(check) Validate', '$(eye) Dry Run']);
      assert.deepEqual(
        lenses.map((l) => l.command?.command),
        ['jobspec.execute', 'jobspec.validate', 'jobspec.dryRun'],
      );
    });

    it('validates a good JobSpec and dry-runs it without writing anything', async function () {
      const uri = uriOf('two-clips.jobspec.json');
      const result = await vscode.commands.executeCommand<LoadResult>('jobspec.validate', uri);
      assert.equal(result.ok, true, JSON.stringify(result.problems));
      const clips = await vscode.commands.executeCommand<DryRunClip[]>('jobspec.dryRun', uri);
      assert.equal(clips.length, 2);
      assert.deepEqual(
        clips.map((c) => path.basename(c.output)),
        ['clip_a_proxy_000.mov', 'clip_b_proxy_001.mov'],
      );
      for (const c of clips) {
        assert.equal(c.problem, undefined);
        assert.match(c.commandLine, /ffmpeg/);
        assert.ok(
          api()
            .logLines()
            .some((l) => l.includes(c.commandLine)),
          'the exact command is in the log',
        );
        assert.ok(
          api()
            .logLines()
            .some((l) => l.includes(`→ ${c.output}`)),
          'the resolved output is in the log',
        );
      }
      assert.deepEqual(await fs.readdir(ws('out/two')), [], 'a dry run writes nothing');
    });

    it('shows a dry run of many clips in progress, and Cancel Run stops it', async function () {
      this.timeout(60_000);
      const names = Array.from({ length: 40 }, (_, i) => `many/clip_${String(i).padStart(2, '0')}.mov`);
      await fs.mkdir(ws('media/many'), { recursive: true });
      for (const n of names) await fs.copyFile(ws('media/clip_a.mov'), ws('media', n));
      const uri = vscode.Uri.file(ws('many.jobspec.json'));
      await fs.writeFile(
        uri.fsPath,
        JSON.stringify({
          job_id: 'many',
          sources: names.map((n) => `media/${n}`),
          output_directory: 'out/two',
          codec: 'h264',
          container: 'mp4',
          resolution: 'half',
          naming_template: '{source_name}_dry',
        }),
      );
      const dry = vscode.commands.executeCommand<DryRunClip[] | undefined>('jobspec.dryRun', uri);
      await until('the dry run to start probing', () => api().logLines().includes('many › Dry run (job many): probing 40 clips…'));
      await sleep(300);
      assert.equal(await vscode.commands.executeCommand<boolean>('jobspec.cancel', uri), true);
      assert.equal(await dry, undefined, 'a cancelled dry run returns nothing');
      const stopped = api()
        .logLines()
        .find((l) => l.startsWith('many › Dry run (job many) cancelled after '));
      assert.ok(stopped, api().logLines().slice(-5).join('\n'));
      const probed = Number(/after (\d+) of 40 clips/.exec(stopped)?.[1]);
      assert.ok(probed >= 1 && probed < 40, stopped);
      // What was probed before the cancel is still listed.
      assert.ok(
        api()
          .logLines()
          .includes(`many › [1/40] clip_00.mov → ${ws('out/two/clip_00_dry.mp4')}`),
      );
      await fs.rm(ws('many.jobspec.json'));
    });

    it('explains a missing ffmpeg and points at the setting', async function () {
      const config = vscode.workspace.getConfiguration('jobspec');
      await config.update('ffmpegPath', ws('no-such-ffmpeg'), vscode.ConfigurationTarget.Workspace);
      try {
        const result = await vscode.commands.executeCommand<RunResult | undefined>('jobspec.execute', uriOf('two-clips.jobspec.json'));
        assert.equal(result, undefined, 'nothing ran');
        assert.ok(
          api()
            .logLines()
            .some((l) => l.includes('no-such-ffmpeg') && /ffmpeg/.test(l)),
          'the log names the path that was tried',
        );
      } finally {
        await config.update('ffmpegPath', undefined, vscode.ConfigurationTarget.Workspace);
      }
    });
  });
}
