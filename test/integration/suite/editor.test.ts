// Editing a JobSpec in the real host: the JSON language service with the schema, the extension's diagnostics, CodeLens, validation and the dry run.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DryRunClip, LoadResult, RunResult } from '../../../src/core';
import { api, codeOf, diagnosticsFrom, quickFixesAt, rangeOf, sleep, until, uriOf, ws } from './helpers';

export function registerEditorTests(): void {
  describe('editing', function () {
    it('reports every problem that blocks a run as an error, in the words of Validate, with "did you mean" in the editor; the schema still completes', async function () {
      const uri = uriOf('schema-errors.jobspec.json');
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      const diags = await until('the JobSpec diagnostics', () => {
        const d = diagnosticsFrom(uri, 'JobSpec');
        return d.length >= 3 ? d : undefined;
      });
      const byCode = (code: string): vscode.Diagnostic => {
        const d = diags.find((x) => codeOf(x) === code);
        assert.ok(d, `a ${code} diagnostic among ${diags.map(codeOf).join(', ')}`);
        return d;
      };
      assert.deepEqual(byCode('enum').range, rangeOf(doc, '"prores_ultra"'));
      assert.deepEqual(byCode('unknown-field').range, rangeOf(doc, '"resolutoin"'));
      assert.match(byCode('unknown-field').message, /Did you mean "resolution"\?/);
      assert.match(byCode('required').message, /Missing required field "resolution"/);
      for (const d of diags) assert.equal(d.severity, vscode.DiagnosticSeverity.Error, `${codeOf(d)} is an error, as Validate says`);
      // Validate refuses exactly what the editor shows.
      const result = await vscode.commands.executeCommand<LoadResult>('jobspec.validate', uri);
      assert.equal(result.ok, false);
      assert.deepEqual(result.problems.map((p) => p.code).sort(), diags.map(codeOf).sort());
      // The JSON language service reads the schema for completion and hover, and adds no yellow warnings of its own.
      await sleep(1500);
      assert.deepEqual(
        vscode.languages
          .getDiagnostics(uri)
          .filter((d) => d.source !== 'JobSpec')
          .map((d) => d.message),
        [],
      );
      const inCodec = rangeOf(doc, '"prores_ultra"').start.translate(0, 1);
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, inCodec);
      const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label).replace(/"/g, ''));
      assert.ok(labels.includes('prores_proxy'), `codec completions: ${labels.join(', ')}`);
      assert.ok(labels.includes('dnxhr_lb'));
      const hover = await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        uri,
        rangeOf(doc, '"codec"').start.translate(0, 2),
      );
      const hoverText = hover.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      assert.match(hoverText, /video codec/);
    });

    it('flags a codec/container pair outside the matrix, an unknown key and max_concurrent_jobs 0 as errors, and quick-fixes each', async function () {
      const uri = vscode.Uri.file(ws('fixes.jobspec.json'));
      await fs.writeFile(
        uri.fsPath,
        JSON.stringify(
          {
            jobspec_version: '1',
            job_id: 'fix me',
            sources: ['media/clip_a.mov', 'media/clip_b.mov', 'media/clip_a.mov', 'media/gone.mov'],
            output_directory: 'out/made-by-a-fix',
            codec: 'prores_proxy',
            container: 'mp4',
            resolutoin: 'half',
            naming_template: '{source_name}_{reel}',
            max_concurrent_jobs: 0,
          },
          null,
          2,
        ) + '\n',
      );
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      const wanted = [
        'pattern',
        'codec-container',
        'unknown-field',
        'required',
        'range',
        'source-duplicate',
        'source-missing',
        'output-dir-missing',
        'naming-unknown-token',
      ];
      const diags = await until(`the diagnostics ${wanted.join(', ')}`, () => {
        const d = diagnosticsFrom(uri, 'JobSpec');
        return wanted.every((c) => d.some((x) => codeOf(x) === c)) ? d : undefined;
      });
      for (const d of diags) assert.equal(d.severity, vscode.DiagnosticSeverity.Error, codeOf(d));
      assert.match(diags.find((d) => codeOf(d) === 'codec-container')?.message ?? '', /Allowed containers: mov/);

      /** The quick fixes offered at one problem (the API does not return which diagnostic each fixes). */
      const fixesFor = async (code: string): Promise<vscode.CodeAction[]> => {
        const d = diagnosticsFrom(uri, 'JobSpec').find((x) => codeOf(x) === code);
        assert.ok(d, `a ${code} diagnostic is still there`);
        const all = await quickFixesAt(uri, d.range);
        return all;
      };
      const expected: Record<string, string[]> = {
        pattern: ['Change job_id to "fix_me"'],
        'codec-container': ['Change container to "mov"'],
        'unknown-field': ['Rename "resolutoin" to "resolution"', 'Remove "resolutoin"'],
        range: ['Set max_concurrent_jobs to 1'],
        'source-duplicate': ['Remove the repeated source "media/clip_a.mov"'],
        'source-missing': ['Remove "media/gone.mov" from sources'],
        'output-dir-missing': ['Create the folder out/made-by-a-fix'],
        'naming-unknown-token': ['Remove {reel}: "{source_name}"'],
      };
      for (const [code, titles] of Object.entries(expected)) {
        const fixes = await fixesFor(code);
        assert.deepEqual(
          fixes.map((a) => a.title),
          titles,
          code,
        );
        assert.equal(fixes[0].isPreferred, true);
      }
      // Apply the preferred fix of each problem, one after the other, until none is left.
      for (const code of [
        'pattern',
        'codec-container',
        'unknown-field',
        'range',
        'source-duplicate',
        'source-missing',
        'naming-unknown-token',
        'output-dir-missing',
      ]) {
        const [fix] = await fixesFor(code);
        if (fix.edit) assert.ok(await vscode.workspace.applyEdit(fix.edit), `${fix.title} applied`);
        if (fix.command) await vscode.commands.executeCommand(fix.command.command, ...((fix.command.arguments ?? []) as unknown[]));
        await until(`${code} to be fixed`, () => !diagnosticsFrom(uri, 'JobSpec').some((x) => codeOf(x) === code));
      }
      assert.deepEqual(diagnosticsFrom(uri, 'JobSpec').map(codeOf), []);
      await doc.save();
      const spec = JSON.parse(await fs.readFile(uri.fsPath, 'utf8')) as Record<string, unknown>;
      assert.deepEqual(spec, {
        jobspec_version: '1',
        job_id: 'fix_me',
        sources: ['media/clip_a.mov', 'media/clip_b.mov'],
        output_directory: 'out/made-by-a-fix',
        codec: 'prores_proxy',
        container: 'mov',
        resolution: 'half',
        naming_template: '{source_name}',
        max_concurrent_jobs: 1,
      });
      const result = await vscode.commands.executeCommand<LoadResult>('jobspec.validate', uri);
      assert.equal(result.ok, true, JSON.stringify(result.problems));
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      await fs.rm(uri.fsPath);
    });

    it('inserts the built-in snippet as valid JSON that validates once it names real files', async function () {
      const uri = vscode.Uri.file(ws('snippet.jobspec.json'));
      await fs.writeFile(uri.fsPath, '');
      const doc = await vscode.workspace.openTextDocument(uri);
      const editor = await vscode.window.showTextDocument(doc);
      const list = await until('the schema snippet', async () => {
        const l = await vscode.commands.executeCommand<vscode.CompletionList>(
          'vscode.executeCompletionItemProvider',
          uri,
          new vscode.Position(0, 0),
        );
        return l.items.some((i) => i.label === 'New JobSpec') ? l : undefined;
      });
      const item = list.items.find((i) => i.label === 'New JobSpec');
      assert.ok(item?.insertText instanceof vscode.SnippetString, 'the snippet is a snippet');
      await editor.insertSnippet(item.insertText, new vscode.Position(0, 0));
      const spec = JSON.parse(doc.getText()) as Record<string, unknown>;
      assert.equal(spec.naming_template, '{source_name}_proxy');
      assert.deepEqual(spec.sources, ['media/clip_a.mov']);
      assert.equal(spec.output_directory, 'proxies');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await fs.rm(uri.fsPath);
    });

    it('completes paths in sources and output_directory relative to the JobSpec', async function () {
      await fs.mkdir(ws('media/card'), { recursive: true });
      await fs.copyFile(ws('media/clip_a.mov'), ws('media/card/A001C001.mov'));
      const uri = vscode.Uri.file(ws('paths.jobspec.json'));
      await fs.writeFile(uri.fsPath, '{\n  "sources": ["media/"],\n  "output_directory": "out/"\n}\n');
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      const labelsAt = async (needle: string): Promise<vscode.CompletionItem[]> => {
        const at = rangeOf(doc, needle).end.translate(0, -1);
        const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, at);
        return list.items.filter((i) => i.kind === vscode.CompletionItemKind.File || i.kind === vscode.CompletionItemKind.Folder);
      };
      const inSources = await labelsAt('"media/"');
      const names = inSources.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
      for (const n of ['clip_a.mov', 'clip_b.mov', 'long.mov', 'corrupt.mov', 'card/'])
        assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
      assert.equal(inSources.find((i) => i.label === 'card/')?.kind, vscode.CompletionItemKind.Folder);
      assert.equal(inSources.find((i) => i.label === 'clip_a.mov')?.kind, vscode.CompletionItemKind.File);
      const inOutput = await labelsAt('"out/"');
      const folders = inOutput.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
      for (const n of ['two/', 'failing/', 'cancel/']) assert.ok(folders.includes(n), `${n} in ${folders.join(', ')}`);
      assert.ok(
        inOutput.every((i) => i.kind === vscode.CompletionItemKind.Folder),
        'only folders for the output',
      );
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      await fs.rm(uri.fsPath);
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
      const names = Array.from({ length: 80 }, (_, i) => `many/clip_${String(i).padStart(2, '0')}.mov`);
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
      await until('the dry run to start probing', () => api().logLines().includes('many › Dry run (job many): probing 80 clips…'));
      await sleep(1500);
      assert.equal(await vscode.commands.executeCommand<boolean>('jobspec.cancel', uri), true);
      assert.equal(await dry, undefined, 'a cancelled dry run returns nothing');
      const stopped = api()
        .logLines()
        .find((l) => l.startsWith('many › Dry run (job many) cancelled after '));
      assert.ok(stopped, api().logLines().slice(-5).join('\n'));
      const probed = Number(/after (\d+) of 80 clips/.exec(stopped)?.[1]);
      assert.ok(probed >= 1 && probed < 80, stopped);
      // What was probed before the cancel is still listed.
      assert.ok(
        api()
          .logLines()
          .includes(`many › [1/80] clip_00.mov → ${ws('out/two/clip_00_dry.mp4')}`),
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
