// Running JobSpecs in the real host: the Runs view, the log, the status bar, re-runs, cancelling,
// outputs already there, the queue, and the history read back from the reports on disk.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunResult } from '../../../src/core';
import { clipProgressText } from '../../../src/extension/runText';
import {
  api,
  clipRows,
  EXTENSION_ID,
  codeOf,
  diagnosticsFrom,
  quickFixesAt,
  exists,
  expectQuestion,
  makeClip,
  rangeOf,
  removeAll,
  runLines,
  runRow,
  settle,
  sleep,
  until,
  untilEncoding,
  uriOf,
  ws,
} from './helpers';

async function writeSpec(name: string, spec: object): Promise<vscode.Uri> {
  await fs.writeFile(ws(name), JSON.stringify({ jobspec_version: '1', ...spec }, null, 2) + '\n');
  return uriOf(name);
}

async function focusRuns(): Promise<void> {
  await vscode.commands.executeCommand('jobspec.runs.focus');
  await sleep(300);
}

export function registerRunTests(): void {
  describe('runs', function () {
    it('executes a two-clip JobSpec: outputs, COMPLETED rows with the start time, the seed lines in the log with the run prefix', async function () {
      await focusRuns();
      const uri = uriOf('two-clips.jobspec.json');
      const refreshesBefore = api().treeRefreshCount();
      const t0 = Date.now();
      const result = await vscode.commands.executeCommand<RunResult>('jobspec.execute', uri);
      const seconds = (Date.now() - t0) / 1000;
      assert.equal(result.status, 'COMPLETED', JSON.stringify(result.clips.map((c) => c.message)));
      for (const c of result.clips) assert.ok((await fs.stat(c.output)).size > 0, `${c.output} is not empty`);
      assert.ok(result.report_path && (await exists(result.report_path)), 'the report was written');

      await settle();
      const rows = clipRows('two-clips');
      assert.deepEqual(
        rows.map((r) => r.label),
        ['clip_a.mov', 'clip_b.mov'],
      );
      const twoClips = api()
        .runs()
        .find((r) => r.name === 'two-clips');
      assert.ok(twoClips);
      for (const [i, r] of rows.entries()) {
        assert.equal(r.icon, 'pass-filled');
        assert.equal(r.color, 'testing.iconPassed');
        assert.match(r.description, /→ clip_._proxy_00\d\.mov/);
        // A clip's tooltip is made on hover, with its poster frames.
        assert.equal(r.tooltip, '');
        assert.match(await api().resolvedTooltip(twoClips.key, i), /ffmpeg command/);
        assert.match(r.contextValue, /\bcompleted\b.*\boutput\b/);
      }
      const started = new Date(Date.parse(result.started_at));
      const hhmm = `${String(started.getHours()).padStart(2, '0')}:${String(started.getMinutes()).padStart(2, '0')}`;
      // Runs of one JobSpec differ by their start time.
      assert.match(runRow('two-clips').description, new RegExp(`^two_clips · COMPLETED 2/2 · ${hhmm}:\\d\\d · 0:0\\d$`));
      // The new run was scrolled into view, and each clip as it started.
      const key =
        api()
          .runs()
          .find((r) => r.name === 'two-clips')?.key ?? '';
      for (const id of [key, `${key}/0`, `${key}/1`]) await until(`${id} to be scrolled into view`, () => api().revealed().includes(id));
      // The throttle: no more than about 4 refreshes a second over the run, plus the last one.
      assert.ok(
        api().treeRefreshCount() - refreshesBefore <= Math.ceil(seconds * 4) + 3,
        `${api().treeRefreshCount() - refreshesBefore} refreshes in ${seconds}s`,
      );

      const log = runLines('two-clips');
      const out = result.clips.map((c) => c.output);
      const i = log.findIndex((l) => /^\[1\/2\] COMPLETED clip_a\.mov \(\d+\.\ds\)$/.test(l));
      assert.ok(i >= 0, `the seed's line for clip 1 in:\n${log.join('\n')}`);
      assert.equal(log[i + 1], `     → ${out[0]}`);
      assert.ok(log.some((l) => /^\[2\/2\] COMPLETED clip_b\.mov \(\d+\.\ds\)$/.test(l)));
      assert.ok(log.includes(`     → ${out[1]}`));
      assert.ok(log.includes('Result: All clips completed'));
      assert.ok(log.includes('Multi-Clip Job: two_clips'));
    });

    it('runs a JobSpec with a corrupt middle clip: FAILED then NOT_RUN, the failed clip selected, its whole reason in the tooltip', async function () {
      await focusRuns();
      const uri = uriOf('failing.jobspec.json');
      const result = await vscode.commands.executeCommand<RunResult>('jobspec.execute', uri);
      assert.deepEqual(
        result.clips.map((c) => c.status),
        ['COMPLETED', 'FAILED', 'NOT_RUN'],
      );
      assert.notEqual(result.status, 'COMPLETED');
      assert.equal(await exists(result.clips[1].output), false, 'a failed clip leaves no output');
      assert.equal(await exists(result.clips[2].output), false);

      await settle();
      const rows = clipRows('failing');
      assert.deepEqual(
        rows.map((r) => r.icon),
        ['pass-filled', 'error', 'circle-large-outline'],
      );
      assert.equal(rows[1].color, 'testing.iconFailed');
      assert.match(rows[2].description, /not run/);
      assert.match(rows[1].contextValue, /\bfailed\b/);
      assert.match(runRow('failing').contextValue, /\brerunnable\b/);
      assert.match(runRow('failing').description, /PARTIAL 1\/3 · 1 failed · 1 not run · /);
      // The reason comes first and whole; no line of the hover is longer than the hover is wide.
      const failedRun = api()
        .runs()
        .find((r) => r.name === 'failing');
      assert.ok(failedRun);
      const hover = await api().resolvedTooltip(failedRun.key, 1);
      const tip = hover.replace(/\\(.)/g, '$1');
      const reason = result.clips[1].message ?? '';
      assert.ok(reason.length > 0);
      assert.ok(tip.indexOf(reason) > 0 && tip.indexOf(reason) < tip.indexOf('Source:'), `the reason, whole, before the paths:\n${tip}`);
      // Ordinary spaces, so that the reason wraps in the hover instead of running off its edge.
      assert.doesNotMatch(hover, /&nbsp;/);
      for (const block of tip.split('```').filter((_, i) => i % 2 === 1))
        for (const line of block.split('\n')) assert.ok(line.length <= 88, `a hover line of ${line.length} characters: ${line}`);

      // The failed clip is scrolled to and selected when the run ends, and again on request.
      const run = api()
        .runs()
        .find((r) => r.name === 'failing');
      assert.ok(run);
      await until('the failed clip to be selected', () => api().selection().includes(`${run.key}/1`));
      await vscode.commands.executeCommand('jobspec.runs.focus');
      const shown = await vscode.commands.executeCommand<number>('jobspec.showFailedClip', run.key);
      assert.equal(shown, 1);

      const log = runLines('failing');
      assert.ok(
        log.some((l) => /^\[2\/3\] FAILED corrupt\.mov \(\d+\.\ds\)$/.test(l)),
        log.join('\n'),
      );
      assert.ok(log.some((l) => /^ {5}(Exit Code: \d+|Reason: .+)$/.test(l)));
      assert.ok(log.some((l) => /^\[3\/3\] NOT_RUN clip_b\.mov$/.test(l)));
      assert.ok(log.includes('Result: One or more clips failed'));
    });

    it('re-runs only the failed and unrun clips, keeping their {index}, and the new run names the one it re-ran', async function () {
      const failed = api()
        .runs()
        .find((r) => r.name === 'failing' && r.phase === 'finished');
      assert.ok(failed && failed.phase === 'finished');
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
      assert.equal(result.selection?.previous_report, failed.result?.report_path);
      await settle();
      const rerun = api().tree()[0];
      assert.equal(rerun.label, 'failing');
      assert.deepEqual(
        rerun.children.map((r) => r.label),
        ['corrupt.mov', 'clip_b.mov'],
      );
      const t = new Date(failed.startedAt);
      const at = [t.getHours(), t.getMinutes(), t.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
      assert.match(rerun.description, new RegExp(`· re-run of ${at}$`));
      assert.match(rerun.tooltip, /Re-run of/);
    });

    it('cancels a run: CANCELLED, no partial output; the status bar and the row count alike; one run per JobSpec at a time', async function () {
      const uri = uriOf('cancel.jobspec.json');
      const running = vscode.commands.executeCommand<RunResult>('jobspec.execute', uri);
      const state = await until(
        'the first clip to report progress',
        () => {
          const r = api()
            .runs()
            .find((x) => x.name === 'cancel' && x.phase === 'running');
          return r?.clips[0]?.status === 'RUNNING' && r.clips[0].progress ? r : undefined;
        },
        60_000,
      );
      // A second start of the same file is refused instead of racing the first.
      const second = await vscode.commands.executeCommand<RunResult | undefined>('jobspec.execute', uri);
      assert.equal(second, undefined);
      assert.equal(
        api()
          .runs()
          .filter((x) => x.name === 'cancel' && x.phase === 'running').length,
        1,
      );
      await settle();
      const mid = clipRows('cancel');
      assert.equal(mid[0].icon, 'sync~spin');
      assert.match(mid[0].description, /\d+%|starting/);
      assert.doesNotMatch(mid[0].description, /\b0 fps\b|ETA 0:00/);
      // One count for both: done/total.
      await until('the status bar', () => api().statusBarText());
      assert.match(api().statusBarText() ?? '', /^\$\(sync~spin\) cancel 0\/2\b/);
      assert.match(runRow('cancel').description, /^cancel_me · RUNNING 0\/2 · /);

      const cancelled = await vscode.commands.executeCommand<boolean>('jobspec.cancel', uri);
      assert.equal(cancelled, true);
      const result = await running;
      assert.equal(result.status, 'CANCELLED');
      assert.deepEqual(
        result.clips.map((c) => c.status),
        ['CANCELLED', 'NOT_RUN'],
      );
      assert.equal(
        api()
          .runs()
          .find((r) => r.key === state.key)?.phase,
        'finished',
      );
      const left = (await fs.readdir(ws('out/cancel'))).filter((f) => !f.endsWith('.report.json'));
      assert.deepEqual(left, [], 'no partial or temporary file is left');
      await settle();
      assert.deepEqual(
        clipRows('cancel').map((r) => r.icon),
        ['circle-slash', 'circle-large-outline'],
      );
      assert.equal(api().statusBarText(), undefined, 'the status bar item is gone with the last run');
    });

    it("reads ffmpeg's first progress samples as starting, not as 0 fps and ETA 0:00", function () {
      const clip = { index: 0, source: 'a.mov', output: 'a_proxy.mov', status: 'RUNNING' as const, ffmpegArgs: [] };
      // The first sample ffmpeg 5 sends, as the issue saw it: no frame yet, a speed from a few milliseconds.
      const first = { percent: 0.3, frame: 0, fps: 0, speed: 11.1, out_time_seconds: 0.04, eta_seconds: 0 };
      assert.equal(clipProgressText({ ...clip, progress: first }), '0% · starting…');
      const later = { percent: 41.7, frame: 125, fps: 61.2, speed: 2.4, out_time_seconds: 5, eta_seconds: 2.9 };
      assert.equal(clipProgressText({ ...clip, progress: later }), '41% · 61 fps · 2.4× · ETA 0:03');
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

    it('asks before running over outputs that are already there: skip them, replace them, or do not run', async function () {
      const uri = uriOf('two-clips.jobspec.json');
      const outputs = ['clip_a_edited_000.mov', 'clip_b_edited_001.mov'].map((n) => ws('out/two', n));
      const before = await Promise.all(outputs.map((o) => fs.stat(o)));
      const question = /^two-clips › 2 of 2 outputs already exist in .*out\/two; asking whether to skip or replace them\.$/;

      let q = expectQuestion(question);
      const skipped = vscode.commands.executeCommand<RunResult>('jobspec.execute', uri);
      await q.answer(0);
      const s = await skipped;
      assert.equal(s.status, 'COMPLETED');
      assert.deepEqual(
        s.clips.map((c) => c.status),
        ['SKIPPED', 'SKIPPED'],
      );
      for (const [i, o] of outputs.entries()) assert.equal((await fs.stat(o)).mtimeMs, before[i].mtimeMs, 'a skipped output is untouched');
      assert.ok(runLines('two-clips').includes('Outputs that are already there are skipped in this run, as chosen when it started.'));

      q = expectQuestion(question);
      const replaced = vscode.commands.executeCommand<RunResult>('jobspec.execute', uri);
      await q.answer(1);
      const r = await replaced;
      assert.deepEqual(
        r.clips.map((c) => c.status),
        ['COMPLETED', 'COMPLETED'],
      );
      for (const [i, o] of outputs.entries()) assert.ok((await fs.stat(o)).mtimeMs > before[i].mtimeMs, 'a replaced output is new');

      q = expectQuestion(question);
      const none = vscode.commands.executeCommand<RunResult | undefined>('jobspec.execute', uri);
      await q.answer(2);
      assert.equal(await none, undefined, "Don't run runs nothing");
    });

    it('flags outputs that are already there in the editor, with quick fixes for overwrite', async function () {
      const uri = uriOf('two-clips.jobspec.json');
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      const info = await until('the outputs-exist information', () =>
        diagnosticsFrom(uri, 'JobSpec').find((d) => codeOf(d) === 'outputs-exist'),
      );
      assert.equal(info.severity, vscode.DiagnosticSeverity.Information);
      assert.deepEqual(info.range, rangeOf(doc, '"out/two"'));
      assert.match(
        info.message,
        /^2 of 2 outputs already exist in .*out\/two \(clip_a_edited_000\.mov, clip_b_edited_001\.mov\)\. With overwrite "never" a run would stop/,
      );
      const fixes = await quickFixesAt(uri, info.range);
      const titles = fixes.map((a) => a.title);
      assert.deepEqual(titles, [
        'Set overwrite to "skip": leave existing proxies, make the missing ones',
        'Set overwrite to "replace": make every proxy again',
      ]);
      const skip = fixes.find((a) => a.title === titles[0]);
      assert.ok(skip?.edit && (await vscode.workspace.applyEdit(skip.edit)));
      assert.match(doc.getText(), /"overwrite": "skip"\n\}/);
      await until(
        'the information to go once overwrite says skip',
        () => !diagnosticsFrom(uri, 'JobSpec').some((d) => codeOf(d) === 'outputs-exist'),
      );
      await vscode.commands.executeCommand('workbench.action.files.revert');
      // An output deleted on disk (in a file manager, say) is noticed when you come back to the JobSpec.
      await until('the information to come back', () => diagnosticsFrom(uri, 'JobSpec').some((d) => codeOf(d) === 'outputs-exist'));
      const kept = ws('out/clip_b_edited_001.kept.mov');
      await fs.copyFile(ws('out/two/clip_b_edited_001.mov'), kept);
      await fs.rm(ws('out/two/clip_b_edited_001.mov'));
      await vscode.window.showTextDocument(uriOf('failing.jobspec.json'));
      await vscode.window.showTextDocument(doc);
      await until('one output left', () =>
        /^1 of 2 outputs/.test(diagnosticsFrom(uri, 'JobSpec').find((d) => codeOf(d) === 'outputs-exist')?.message ?? ''),
      );
      await fs.rename(kept, ws('out/two/clip_b_edited_001.mov'));
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    it('queues a second Execute behind the run in progress, shows it, starts it when the first ends, and runs in parallel when set to', async function () {
      this.timeout(120_000);
      await removeAll(ws('out/queue'));
      const queued = await writeSpec('queued.jobspec.json', {
        job_id: 'queued',
        sources: ['media/clip_a.mov'],
        output_directory: 'out/queue',
        codec: 'h264',
        container: 'mp4',
        resolution: 'half',
        naming_template: '{source_name}_q{time}',
      });
      await removeAll(ws('out/cancel'));
      const first = vscode.commands.executeCommand<RunResult>('jobspec.execute', uriOf('cancel.jobspec.json'));
      await untilEncoding('cancel');
      const second = vscode.commands.executeCommand<RunResult | undefined>('jobspec.execute', queued);
      const waiting = await until('the second run to queue', () =>
        api()
          .runs()
          .find((r) => r.name === 'queued' && r.phase === 'queued'),
      );
      await settle();
      assert.equal(api().tree()[0].label, 'queued', 'the queued run is at the top');
      assert.equal(api().tree()[0].description, 'QUEUED · after cancel');
      assert.equal(api().tree()[0].icon, 'clock');
      assert.match(api().statusBarText() ?? '', / · 1 queued$/);
      await until('the queued run to be scrolled into view', () => api().revealed().includes(waiting.key));
      await vscode.workspace.openTextDocument(queued);
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', queued);
      assert.deepEqual(
        lenses.map((l) => l.command?.title),
        ['$(clock) Queued…', '$(debug-stop) Cancel Run'],
      );
      assert.ok(runLines('queued').includes('queued: it starts when cancel ends.'));

      // Cancelling a queued run takes it out of the queue.
      assert.equal(await vscode.commands.executeCommand<boolean>('jobspec.cancel', queued), true);
      assert.equal(await second, undefined);
      assert.equal(
        api()
          .runs()
          .some((r) => r.name === 'queued'),
        false,
      );

      // Queued again, it starts once the run ahead ends (here: is cancelled).
      const third = vscode.commands.executeCommand<RunResult | undefined>('jobspec.execute', queued);
      await until('queued again', () =>
        api()
          .runs()
          .some((r) => r.name === 'queued' && r.phase === 'queued'),
      );
      await vscode.commands.executeCommand('jobspec.cancel', uriOf('cancel.jobspec.json'));
      assert.equal((await first).status, 'CANCELLED');
      const done = await third;
      assert.equal(done?.status, 'COMPLETED');

      // With jobspec.runQueue "parallel", both run at once, and the log tells their lines apart.
      const config = vscode.workspace.getConfiguration('jobspec');
      await config.update('runQueue', 'parallel', vscode.ConfigurationTarget.Workspace);
      try {
        await removeAll(ws('out/cancel'));
        const long = vscode.commands.executeCommand<RunResult>('jobspec.execute', uriOf('cancel.jobspec.json'));
        await untilEncoding('cancel');
        await sleep(1100); // {time} changes: a new output name
        const parallel = await vscode.commands.executeCommand<RunResult>('jobspec.execute', queued);
        assert.equal(parallel.status, 'COMPLETED');
        assert.equal(
          api()
            .runs()
            .find((r) => r.name === 'cancel')?.phase,
          'running',
          'the queued JobSpec ran while the other was still running',
        );
        const log = api().logLines();
        const a = log.findIndex((l) => l.startsWith('cancel › [1/2] START long.mov'));
        const b = log.findIndex((l, i) => i > a && l.startsWith('queued › [1/1] COMPLETED clip_a.mov'));
        assert.ok(a >= 0 && b > a, 'the two runs interleave in the log, each line with its run');
        await vscode.commands.executeCommand('jobspec.cancel', uriOf('cancel.jobspec.json'));
        await long;
      } finally {
        await config.update('runQueue', undefined, vscode.ConfigurationTarget.Workspace);
      }
    });

    it('rebuilds the Runs view from the reports on disk, with runs written elsewhere and interrupted runs that can be resumed', async function () {
      this.timeout(60_000);
      // Every run of this window whose report is still on disk comes back from it.
      const reports: string[] = [];
      for (const r of api().runs())
        if (r.phase === 'finished' && r.result?.report_path && (await exists(r.result.report_path))) reports.push(r.result.report_path);
      assert.ok(reports.length >= 8, `${reports.length} reports`);
      await vscode.commands.executeCommand('jobspec.clearFinished');
      assert.equal(
        api()
          .runs()
          .filter((r) => r.phase === 'finished').length,
        0,
      );
      await vscode.commands.executeCommand('jobspec.refreshRuns');
      const back = api().runs();
      const read = back.map((r) => (r.phase === 'finished' && r.origin === 'disk' ? r.result?.report_path : undefined));
      for (const report of reports) assert.ok(read.includes(report), `${report} was read back`);
      const failing = back.filter((r) => r.name === 'failing');
      assert.deepEqual(
        failing.map((r) => (r.phase === 'finished' ? [r.status, r.origin, r.clips.map((c) => c.status).join(',')] : [])),
        [
          ['COMPLETED', 'disk', 'COMPLETED,COMPLETED'],
          ['PARTIAL', 'disk', 'COMPLETED,FAILED,NOT_RUN'],
        ],
      );
      await settle();
      assert.match(
        api()
          .tree()
          .find((r) => r.label === 'failing')?.description ?? '',
        /· re-run of \d\d:\d\d:\d\d$/,
      );

      // Two headless runs of this machine, as a terminal or a farm node would start them: one killed
      // outright after its first clip (its crash-safe report stays RUNNING with a dead writer), and
      // one still encoding while the view is read.
      await removeAll(ws('out/resume'));
      await removeAll(ws('out/elsewhere'));
      const resume = await writeSpec('resume.jobspec.json', {
        job_id: 'resume',
        sources: ['media/clip_a.mov', 'media/long.mov'],
        output_directory: 'out/resume',
        codec: 'prores_hq',
        container: 'mov',
        resolution: 'same',
        naming_template: '{source_name}_r{index}',
      });
      const elsewhereSpec = await writeSpec('elsewhere.jobspec.json', {
        job_id: 'elsewhere',
        sources: ['media/long.mov'],
        output_directory: 'out/elsewhere',
        codec: 'prores_hq',
        container: 'mov',
        resolution: 'same',
        naming_template: '{source_name}_e',
      });
      const cli = path.join(vscode.extensions.getExtension(EXTENSION_ID)?.extensionPath ?? '', 'dist', 'cli.js');
      const headless = (spec: vscode.Uri): ChildProcess =>
        spawn(process.execPath, [cli, 'execute', spec.fsPath], {
          cwd: ws(),
          env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
          stdio: ['ignore', 'pipe', 'ignore'],
        });
      const killed = headless(resume);
      const alive = headless(elsewhereSpec);
      // The command prints a clip's lines once its result is in the report's journal, which is later
      // than its proxy appearing: the kill must come after that, or the clip was rightly not done.
      let printed = '';
      killed.stdout?.setEncoding('utf8').on('data', (d: string) => (printed += d));
      alive.stdout?.resume();
      try {
        await until(
          'the first clip of the headless run to be recorded',
          () => /\[1\/2\] COMPLETED clip_a\.mov/.test(printed) || undefined,
          30_000,
        );
        await until('the second headless run to write its report', async () => {
          const names = await fs.readdir(ws('out/elsewhere')).catch(() => [] as string[]);
          return names.some((n) => n.endsWith('.report.json')) || undefined;
        });
        killed.kill('SIGKILL');
        await new Promise((r) => (killed.exitCode !== null || killed.signalCode !== null ? r(null) : killed.once('exit', r)));
        await vscode.commands.executeCommand('jobspec.refreshRuns');
        await settle();
        const interrupted = await until('the killed run to show as interrupted', () =>
          api()
            .tree()
            .find((r) => r.label === 'resume' && r.description.startsWith('INTERRUPTED')),
        );
        const elsewhere = await until('the live run to show as running elsewhere', () =>
          api()
            .tree()
            .find((r) => r.label === 'elsewhere' && r.description.startsWith('RUNNING elsewhere')),
        );
        assert.equal(interrupted.icon, 'debug-pause');
        assert.match(interrupted.contextValue, /\bresumable\b/);
        assert.match(interrupted.description, /^INTERRUPTED 1\/2 · 1 unfinished · \d\d:\d\d:\d\d · /);
        assert.deepEqual(
          interrupted.children.map((c) => [c.label, c.description.replace(/ · .*/, '')]),
          [
            ['clip_a.mov', '→ clip_a_r000.mov'],
            ['long.mov', 'unfinished'],
          ],
        );
        assert.doesNotMatch(elsewhere.contextValue, /\bresumable\b|\brerunnable\b/);
        assert.ok(!(await exists(ws('out/resume/long_r001.mov'))), 'nothing kept of the clip the kill cut short');

        const key = api()
          .runs()
          .find((r) => r.phase === 'finished' && r.status === 'INTERRUPTED' && r.name === 'resume')?.key;
        assert.ok(key);
        const resumed = await vscode.commands.executeCommand<RunResult>('jobspec.resume', key);
        assert.equal(resumed.status, 'COMPLETED');
        // The finished clip is carried over from the interrupted run's report, not made again.
        assert.deepEqual(
          resumed.clips.map((c) => [
            c.index,
            path.basename(c.output),
            resumed.selection?.carried_over?.includes(c.index) ? 'carried' : 'made',
          ]),
          [
            [0, 'clip_a_r000.mov', 'carried'],
            [1, 'long_r001.mov', 'made'],
          ],
        );
        assert.ok(await exists(ws('out/resume/long_r001.mov')));
      } finally {
        killed.kill('SIGKILL');
        alive.kill('SIGKILL');
      }
    });
  });
}
