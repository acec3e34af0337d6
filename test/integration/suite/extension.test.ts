// The extension in a real VS Code: real editor, real JSON language service, real ffmpeg on tiny
// clips generated here. Nothing is mocked. The workspace is a fresh copy of fixtures/workspace.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { DryRunClip, LoadResult, RunResult } from '../../../src/core';
import type { JobSpecApi, TreeItemSnapshot } from '../../../src/extension/testApi';

const run = promisify(execFile);
const EXTENSION_ID = 'jobspec.jobspec-proxy';

function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test window must have the fixture workspace open');
  return folder.uri.fsPath;
}

const ws = (...p: string[]): string => path.join(workspaceDir(), ...p);
const uriOf = (...p: string[]): vscode.Uri => vscode.Uri.file(ws(...p));

async function ffmpeg(...args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

/** A small clip with picture and sound: `-f lavfi testsrc` + `sine`. */
async function makeClip(file: string, seconds: number, size = '320x240', codec: string[] = ['-c:v', 'mpeg4', '-q:v', '5']): Promise<void> {
  await ffmpeg(
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=${size}:rate=25`,
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    String(seconds),
    ...codec,
    '-c:a',
    'pcm_s16le',
    '-shortest',
    file,
  );
}

/**
 * Bytes that look random but are the same every run (xorshift32, fixed seed): truly random bytes
 * are now and then taken for some raw format by ffprobe, which would make the failure test flaky.
 */
function noise(length: number, seed = 0x5eed): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function diagnosticsFrom(uri: vscode.Uri, source: string): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === source);
}

/** The range of the first occurrence of `needle` in the document. */
function rangeOf(doc: vscode.TextDocument, needle: string): vscode.Range {
  const at = doc.getText().indexOf(needle);
  assert.ok(at >= 0, `${needle} is in ${doc.fileName}`);
  return new vscode.Range(doc.positionAt(at), doc.positionAt(at + needle.length));
}

function clipRows(api: JobSpecApi, runName: string): TreeItemSnapshot[] {
  const row = api.tree().find((r) => r.label === runName);
  assert.ok(row, `the Runs view shows a run of ${runName}`);
  return row.children;
}

export function registerSuite(): void {
  describe('JobSpec extension in a real VS Code', function () {
    let api: JobSpecApi;

    before(async function () {
      this.timeout(120_000);
      await fs.mkdir(ws('media'), { recursive: true });
      for (const d of ['two', 'failing', 'cancel', 'new']) await fs.mkdir(ws('out', d), { recursive: true });
      await makeClip(ws('media/clip_a.mov'), 1);
      await makeClip(ws('media/clip_b.mov'), 1);
      // Long enough at 1080p that a ProRes HQ encode is still running when it is cancelled.
      await makeClip(ws('media/long.mov'), 12, '1920x1080', ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '30']);
      // A middle clip that is not video at all.
      await fs.writeFile(ws('media/corrupt.mov'), noise(64 * 1024));
      const ext = vscode.extensions.getExtension<JobSpecApi>(EXTENSION_ID);
      assert.ok(ext, `${EXTENSION_ID} is installed in the test window`);
      api = await ext.activate();
    });

    after(async function () {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('activates and registers every command', async function () {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.equal(ext?.isActive, true);
      const all = await vscode.commands.getCommands(true);
      for (const c of [
        'jobspec.new',
        'jobspec.validate',
        'jobspec.execute',
        'jobspec.cancel',
        'jobspec.dryRun',
        'jobspec.rerunFailed',
        'jobspec.revealOutput',
        'jobspec.openReport',
        'jobspec.showLog',
        'jobspec.watchFolder',
        'jobspec.stopWatching',
      ]) {
        assert.ok(all.includes(c), `${c} is registered`);
      }
    });

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
          api.logLines().some((l) => l.includes(c.commandLine)),
          'the exact command is in the log',
        );
        assert.ok(
          api.logLines().some((l) => l.includes(`→ ${c.output}`)),
          'the resolved output is in the log',
        );
      }
      assert.deepEqual(await fs.readdir(ws('out/two')), [], 'a dry run writes nothing');
    });

    it('executes a two-clip JobSpec: outputs, COMPLETED rows, the seed lines in the log', async function () {
      const uri = uriOf('two-clips.jobspec.json');
      const refreshesBefore = api.treeRefreshCount();
      const t0 = Date.now();
      const result = await vscode.commands.executeCommand<RunResult>('jobspec.execute', uri);
      const seconds = (Date.now() - t0) / 1000;
      assert.equal(result.status, 'COMPLETED', JSON.stringify(result.clips.map((c) => c.message)));
      for (const c of result.clips) {
        const st = await fs.stat(c.output);
        assert.ok(st.size > 0, `${c.output} is not empty`);
      }
      assert.ok(result.report_path && (await exists(result.report_path)), 'the report was written');

      await new Promise((r) => setTimeout(r, 400)); // let the throttled tree refresh land
      const rows = clipRows(api, 'two-clips');
      assert.deepEqual(
        rows.map((r) => r.label),
        ['clip_a.mov', 'clip_b.mov'],
      );
      for (const r of rows) {
        assert.equal(r.icon, 'pass-filled');
        assert.equal(r.color, 'testing.iconPassed');
        assert.match(r.description, /→ clip_._proxy_00\d\.mov/);
        assert.match(r.tooltip, /ffmpeg command/);
        assert.match(r.contextValue, /\bcompleted\b.*\boutput\b/);
      }
      const runRow = api.tree().find((r) => r.label === 'two-clips');
      assert.match(runRow?.description ?? '', /two_clips · COMPLETED 2\/2/);
      // The throttle: no more than about 4 refreshes a second over the run, plus the last one.
      assert.ok(
        api.treeRefreshCount() - refreshesBefore <= Math.ceil(seconds * 4) + 2,
        `${api.treeRefreshCount() - refreshesBefore} refreshes in ${seconds}s`,
      );

      const log = api.logLines();
      const out = result.clips.map((c) => c.output);
      const i = log.findIndex((l) => /^\[1\/2\] COMPLETED clip_a\.mov \(\d+\.\ds\)$/.test(l));
      assert.ok(i >= 0, `the seed's line for clip 1 in:\n${log.join('\n')}`);
      assert.equal(log[i + 1], `     → ${out[0]}`);
      assert.ok(log.some((l) => /^\[2\/2\] COMPLETED clip_b\.mov \(\d+\.\ds\)$/.test(l)));
      assert.ok(log.includes(`     → ${out[1]}`));
      assert.ok(log.includes('Result: All clips completed'));
    });

    it('runs a JobSpec with a corrupt middle clip: FAILED, then NOT_RUN, with the reason', async function () {
      const uri = uriOf('failing.jobspec.json');
      const result = await vscode.commands.executeCommand<RunResult>('jobspec.execute', uri);
      assert.deepEqual(
        result.clips.map((c) => c.status),
        ['COMPLETED', 'FAILED', 'NOT_RUN'],
      );
      assert.notEqual(result.status, 'COMPLETED');
      assert.equal(await exists(result.clips[1].output), false, 'a failed clip leaves no output');
      assert.equal(await exists(result.clips[2].output), false);

      await new Promise((r) => setTimeout(r, 400));
      const rows = clipRows(api, 'failing');
      assert.deepEqual(
        rows.map((r) => r.icon),
        ['pass-filled', 'error', 'circle-large-outline'],
      );
      assert.equal(rows[1].color, 'testing.iconFailed');
      assert.match(rows[2].description, /not run/);
      assert.match(rows[1].contextValue, /\bfailed\b/);
      const runRow = api.tree().find((r) => r.label === 'failing');
      assert.match(runRow?.contextValue ?? '', /\brerunnable\b/);

      const log = api.logLines();
      assert.ok(
        log.some((l) => /^\[2\/3\] FAILED corrupt\.mov \(\d+\.\ds\)$/.test(l)),
        log.join('\n'),
      );
      assert.ok(
        log.some((l) => /^ {5}(Exit Code: \d+|Reason: .+)$/.test(l)),
        'the failure says why',
      );
      assert.ok(log.some((l) => /^\[3\/3\] NOT_RUN clip_b\.mov$/.test(l)));
      assert.ok(log.includes('Result: One or more clips failed'));
    });

    it('re-runs only the failed and unrun clips, keeping their {index}', async function () {
      const failed = api.runs().find((r) => r.name === 'failing' && r.phase === 'finished');
      assert.ok(failed);
      await makeClip(ws('media/corrupt.mov'), 1); // the clip was fixed on disk
      const result = await vscode.commands.executeCommand<RunResult>('jobspec.rerunFailed', failed.key);
      assert.equal(result.status, 'COMPLETED', JSON.stringify(result.clips.map((c) => c.message)));
      assert.deepEqual(
        result.clips.map((c) => c.index),
        [1, 2],
      );
      assert.deepEqual(
        result.clips.map((c) => path.basename(c.output)),
        ['corrupt_001.mp4', 'clip_b_002.mp4'],
      );
      for (const c of result.clips) assert.ok(await exists(c.output));
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual(
        clipRows(api, 'failing').map((r) => r.label),
        ['corrupt.mov', 'clip_b.mov'],
      );
    });

    it('cancels a run: CANCELLED, no partial output, and one run per JobSpec at a time', async function () {
      const uri = uriOf('cancel.jobspec.json');
      const running = vscode.commands.executeCommand<RunResult>('jobspec.execute', uri);
      const state = await until(
        'the first clip to report progress',
        () => {
          const r = api.runs().find((x) => x.name === 'cancel' && x.phase === 'running');
          return r?.clips[0]?.status === 'RUNNING' && r.clips[0].progress ? r : undefined;
        },
        60_000,
      );
      // A second start of the same file is refused instead of racing the first.
      const second = await vscode.commands.executeCommand<RunResult | undefined>('jobspec.execute', uri);
      assert.equal(second, undefined);
      assert.equal(api.runs().filter((x) => x.name === 'cancel').length, 1);
      await new Promise((r) => setTimeout(r, 400));
      const mid = clipRows(api, 'cancel');
      assert.equal(mid[0].icon, 'sync~spin');
      assert.match(mid[0].description, /\d+%|fps|starting|running/);

      const cancelled = await vscode.commands.executeCommand<boolean>('jobspec.cancel', uri);
      assert.equal(cancelled, true);
      const result = await running;
      assert.equal(result.status, 'CANCELLED');
      assert.deepEqual(
        result.clips.map((c) => c.status),
        ['CANCELLED', 'NOT_RUN'],
      );
      assert.equal(state.phase, 'finished');
      const left = (await fs.readdir(ws('out/cancel'))).filter((f) => !f.endsWith('.report.json'));
      assert.deepEqual(left, [], 'no partial or temporary file is left');
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual(
        clipRows(api, 'cancel').map((r) => r.icon),
        ['circle-slash', 'circle-large-outline'],
      );
    });

    it('saves an edited JobSpec before running it, and runs what was saved', async function () {
      const uri = uriOf('two-clips.jobspec.json');
      const doc = await vscode.workspace.openTextDocument(uri);
      const editor = await vscode.window.showTextDocument(doc);
      await editor.edit((e) => e.replace(rangeOf(doc, '{source_name}_proxy_{index}'), '{source_name}_edited_{index}'));
      assert.equal(doc.isDirty, true);
      const result = await vscode.commands.executeCommand<RunResult>('jobspec.execute', uri);
      assert.equal(doc.isDirty, false, 'the run saved the file first');
      assert.equal(result.status, 'COMPLETED');
      assert.deepEqual(
        result.clips.map((c) => path.basename(c.output)),
        ['clip_a_edited_000.mov', 'clip_b_edited_001.mov'],
      );
    });

    it('explains a missing ffmpeg and points at the setting', async function () {
      const config = vscode.workspace.getConfiguration('jobspec');
      await config.update('ffmpegPath', ws('no-such-ffmpeg'), vscode.ConfigurationTarget.Workspace);
      try {
        const result = await vscode.commands.executeCommand<RunResult | undefined>('jobspec.execute', uriOf('two-clips.jobspec.json'));
        assert.equal(result, undefined, 'nothing ran');
        assert.ok(
          api.logLines().some((l) => l.includes('no-such-ffmpeg') && /ffmpeg/.test(l)),
          'the log names the path that was tried',
        );
      } finally {
        await config.update('ffmpegPath', undefined, vscode.ConfigurationTarget.Workspace);
      }
    });

    it('creates a new JobSpec from the template that validates clean', async function () {
      const target = ws('day1.jobspec.json');
      const uri = await vscode.commands.executeCommand<vscode.Uri>('jobspec.new', {
        sources: [ws('media/clip_a.mov'), ws('media/clip_b.mov')],
        outputDirectory: ws('out/new'),
        target,
      });
      assert.equal(uri.fsPath, target);
      const spec = JSON.parse(await fs.readFile(target, 'utf8')) as { sources: string[]; output_directory: string; job_id: string };
      assert.deepEqual(spec.sources, ['media/clip_a.mov', 'media/clip_b.mov']);
      assert.equal(spec.output_directory, 'out/new');
      assert.equal(spec.job_id, 'day1');
      const result = await vscode.commands.executeCommand<LoadResult>('jobspec.validate', uri);
      assert.equal(result.ok, true, JSON.stringify(result.problems));
    });

    it('watches a folder: a good JobSpec lands in completed/, an invalid one in failed/, and the views show both', async function () {
      this.timeout(120_000);
      // A folder outside the workspace, as a drop folder on a shared drive would be.
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'jobspec-watch-it-'));
      try {
        await fs.mkdir(path.join(dir, 'media'));
        await fs.mkdir(path.join(dir, 'out'));
        await makeClip(path.join(dir, 'media', 'w_a.mov'), 1);
        // Long enough at 1280x720 that the run can be seen in progress.
        await makeClip(path.join(dir, 'media', 'w_b.mov'), 4, '1280x720');

        const watched = await vscode.commands.executeCommand<string | undefined>('jobspec.watchFolder', vscode.Uri.file(dir));
        assert.equal(watched, dir);
        assert.deepEqual(api.watchedFolders(), [dir]);
        await until('the watcher to make pending/', () => exists(path.join(dir, 'pending')));
        const folderRow = (): TreeItemSnapshot | undefined => api.watchTree().find((r) => r.label === path.basename(dir));
        await until('the folder in the Watch Folders view', () => folderRow());
        assert.equal(folderRow()?.icon, 'eye');
        assert.match(folderRow()?.contextValue ?? '', /^jobspecWatchFolder\b.*\bwatching\b/);

        const good = {
          job_id: 'watched_good',
          sources: ['../media/w_a.mov', '../media/w_b.mov'],
          output_directory: '../out',
          codec: 'prores_proxy',
          container: 'mov',
          resolution: 'same',
          naming_template: '{source_name}_proxy_{index}',
        };
        const bad = { ...good, job_id: 'watched_bad', codec: 'prores_ultra' };
        // Dropped as a copy would land: written elsewhere, then moved in whole.
        const drop = async (name: string, spec: object): Promise<void> => {
          const tmp = path.join(dir, `${name}.tmp`);
          await fs.writeFile(tmp, JSON.stringify(spec, null, 2));
          await fs.rename(tmp, path.join(dir, 'pending', name));
        };
        await drop('a_good.jobspec.json', good);
        await drop('b_bad.jobspec.json', bad);

        // The good one runs first (name order): seen in progress in both views.
        const runningRow = await until(
          'a_good under Running with its progress',
          () => {
            const running = folderRow()?.children.find((g) => g.label === 'Running');
            return running?.children.find((f) => f.label === 'a_good' && /^clip \d\/2\b/.test(f.description));
          },
          60_000,
        );
        assert.equal(runningRow.icon, 'sync~spin');
        const live = api.runs().find((r) => r.watchFolder === dir && r.name === 'a_good');
        assert.ok(live, 'the watcher run is in the Runs view too');

        const ls = async (d: string): Promise<string[]> => (await fs.readdir(path.join(dir, d))).sort();
        await until(
          'both JobSpecs to be filed',
          async () => (await ls('completed')).length === 2 && (await ls('failed')).length === 2,
          90_000,
        );
        assert.deepEqual(await ls('pending'), []);
        assert.deepEqual(await ls('running'), []);
        assert.deepEqual(await ls('completed'), ['a_good.jobspec.json', 'a_good.result.json']);
        assert.deepEqual(await ls('failed'), ['b_bad.jobspec.json', 'b_bad.result.json']);
        for (const out of ['w_a_proxy_000.mov', 'w_b_proxy_001.mov'])
          assert.ok((await fs.stat(path.join(dir, 'out', out))).size > 0, `${out} was made`);
        const badResult = JSON.parse(await fs.readFile(path.join(dir, 'failed', 'b_bad.result.json'), 'utf8')) as { reason?: string };
        assert.match(badResult.reason ?? '', /invalid JobSpec/);

        const row = await until('the view to show 1 completed and 1 failed', () => {
          const r = folderRow();
          return r && r.description === '1 completed · 1 failed' ? r : undefined;
        });
        assert.deepEqual(
          row.children.map((g) => [g.label, g.description]),
          [
            ['Completed', '1'],
            ['Failed', '1'],
          ],
        );
        const [completed, failed] = row.children.map((g) => g.children);
        assert.deepEqual(
          completed.map((f) => [f.label, f.icon, f.color]),
          [['a_good', 'pass-filled', 'testing.iconPassed']],
        );
        assert.match(completed[0].description, /^2\/2 clips · /);
        assert.match(completed[0].contextValue, /^jobspecWatchFile completed result$/);
        assert.deepEqual(
          failed.map((f) => [f.label, f.icon, f.color]),
          [['b_bad', 'error', 'testing.iconFailed']],
        );
        assert.match(failed[0].description, /^invalid · codec "prores_ultra" is not allowed/);
        // The tooltip is markdown: read it as the text it shows.
        const tip = failed[0].tooltip.replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');
        assert.match(tip, /Invalid JobSpec:\n\n- codec "prores_ultra" is not allowed/);
        assert.ok(tip.includes(path.join(dir, 'failed', 'b_bad.result.json')), `the tooltip names the result file: ${tip}`);

        // The watcher's run in the Runs view, with its clips, moved along with its file.
        const run = api.runs().find((r) => r.watchFolder === dir && r.name === 'a_good');
        assert.equal(run?.phase, 'finished');
        assert.equal(run?.status, 'COMPLETED');
        assert.equal(run?.jobspecFile, path.join(dir, 'completed', 'a_good.jobspec.json'));
        await new Promise((r) => setTimeout(r, 400));
        const runRow = api.tree().find((r) => r.label === 'a_good');
        assert.deepEqual(
          runRow?.children.map((c) => [c.label, c.icon]),
          [
            ['w_a.mov', 'pass-filled'],
            ['w_b.mov', 'pass-filled'],
          ],
        );
        assert.match(runRow?.contextValue ?? '', /\bwatched\b/);
        assert.doesNotMatch(runRow?.contextValue ?? '', /\brerunnable\b/);

        const log = api.logLines();
        const label = path.basename(dir);
        assert.ok(
          log.some((l) => l === `[watch ${label}] a_good.jobspec.json: completed`),
          log.join('\n'),
        );
        assert.ok(log.some((l) => l.startsWith(`[watch ${label}] b_bad.jobspec.json: failed (invalid JobSpec: `)));
        assert.ok(
          log.some((l) => /^\[2\/2\] COMPLETED w_b\.mov \(\d+\.\ds\)$/.test(l)),
          'the seed lines of the watcher run',
        );

        // Opening a row's JobSpec and result.
        const opened = await vscode.commands.executeCommand<vscode.Uri | undefined>(
          'jobspec.openWatchResult',
          vscode.Uri.file(path.join(dir, 'failed', 'b_bad.jobspec.json')),
        );
        assert.equal(opened?.fsPath, path.join(dir, 'failed', 'b_bad.result.json'));
        assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, opened?.fsPath);

        const stopped = await vscode.commands.executeCommand<boolean>('jobspec.stopWatching', vscode.Uri.file(dir));
        assert.equal(stopped, true);
        assert.deepEqual(api.watchedFolders(), []);
        await until('the folder to leave the view', () => api.watchTree().length === 0);
        assert.ok(api.logLines().includes(`Stopped watching ${dir}.`));
      } finally {
        if (api.watchedFolders().includes(dir)) await vscode.commands.executeCommand('jobspec.stopWatching', vscode.Uri.file(dir));
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        await fs.rm(dir, { recursive: true, force: true });
      }
    });
  });
}
