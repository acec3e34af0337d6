// Across a window reload: the run left going at the end of the main pass was interrupted by the
// reload (its report written as the window closed), and the Runs view of the new window is rebuilt
// from the reports on disk, with that run shown as interrupted and resumable.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunResult } from '../../../src/core';
import {
  activateExtension,
  api,
  exists,
  EXTENSION_ID,
  rangeOf,
  runRow,
  runTask,
  settle,
  sleep,
  taskNamed,
  until,
  uriOf,
  ws,
} from './helpers';

/** Written by the main pass once its last run is under way; its presence makes the next pass this one. */
export const RELOAD_MARKER = '.jobspec-it-reload.json';

export interface ReloadMarker {
  /** Reports the main pass left on disk, which the new window must show. */
  reports: string[];
  /** A folder the main pass left watched for media, which the new window must watch again. */
  mediaFolder: string;
}

export function registerReloadSuite(): void {
  describe('JobSpec extension after a window reload', function () {
    let marker: ReloadMarker;

    before(async function () {
      marker = JSON.parse(await fs.readFile(ws(RELOAD_MARKER), 'utf8')) as ReloadMarker;
      await activateExtension();
      await vscode.commands.executeCommand('jobspec.runs.focus');
      await until(
        'the history to be read back',
        () =>
          api()
            .runs()
            .some((r) => r.name === 'interrupt'),
        20_000,
      );
      await settle();
    });

    it("turns the headless command's file:line:col: error: lines into problems with the $jobspec problem matcher", async function () {
      this.timeout(60_000);
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext);
      await fs.writeFile(
        ws('.vscode/tasks.json'),
        JSON.stringify({
          version: '2.0.0',
          tasks: [
            {
              label: 'jobspec command: validate',
              type: 'process',
              // The command starts after two seconds, once its terminal is in view (below).
              command: '/bin/sh',
              args: [
                '-c',
                'sleep 2; exec "$0" "$@"',
                process.execPath,
                path.join(ext.extensionPath, 'dist', 'cli.js'),
                'validate',
                'schema-errors.jobspec.json',
              ],
              problemMatcher: '$jobspec',
            },
          ],
        }),
      );
      // A problem matcher reads the terminal as it is drawn. In this headless browser a task terminal
      // behind another panel view was seen not to be drawn, so the test looks at it, as a person
      // would, before the command prints. (The extension's own task type reports its problems itself.)
      const done = runTask(await taskNamed('jobspec command: validate'));
      await sleep(700);
      await vscode.commands.executeCommand('workbench.action.terminal.focus');
      await done;
      const uri = uriOf('schema-errors.jobspec.json');
      const matched = await until('the matched problems', () => {
        const d = vscode.languages.getDiagnostics(uri).filter((x) => x.source === 'jobspec');
        return d.length >= 3 ? d : undefined;
      });
      const doc = await vscode.workspace.openTextDocument(uri);
      const codec = matched.find((d) => /prores_ultra/.test(d.message));
      assert.ok(codec);
      // The message without the field's pointer; the rule as the problem's code.
      assert.doesNotMatch(codec.message, /\(\/codec\)|\[enum\]/);
      assert.equal(typeof codec.code === 'object' ? codec.code.value : codec.code, 'enum');
      assert.equal(codec.range.start.line, rangeOf(doc, '"prores_ultra"').start.line);
      assert.equal(codec.range.start.character, rangeOf(doc, '"prores_ultra"').start.character);
      assert.equal(codec.severity, vscode.DiagnosticSeverity.Error);
    });

    it('watches again the folder the window before the reload watched for media', async function () {
      this.timeout(60_000);
      const dir = marker.mediaFolder;
      try {
        await until('the media folder to be watched again', () =>
          api()
            .logLines()
            .some((l) => l.startsWith(`Watching again ${dir} for camera files: proxies per `)),
        );
        const stopped = await vscode.commands.executeCommand<boolean>('jobspec.stopWatchingMedia', vscode.Uri.file(dir));
        assert.equal(stopped, true);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    });

    it('shows the runs of the window before the reload, read back from their reports', function () {
      const read = api()
        .runs()
        .map((r) => (r.phase === 'finished' ? r.result?.report_path : undefined));
      // The view keeps the newest jobspec.maxRunsShown (20) runs; the newest ten of the earlier window are surely among them.
      const newest = marker.reports.slice(0, 10);
      assert.equal(newest.length, 10);
      for (const report of newest) assert.ok(read.includes(report), `${path.basename(report)} is in the view again`);
      for (const r of api().runs()) if (r.phase === 'finished') assert.equal(r.origin, 'disk');
    });

    it('shows the run the reload cut short as INTERRUPTED, with its finished clip kept, and resumes the rest', async function () {
      const run = api()
        .runs()
        .find((r) => r.name === 'interrupt');
      assert.ok(run?.phase === 'finished', JSON.stringify(run));
      assert.equal(run.status, 'INTERRUPTED');
      assert.equal(run.error, 'The window closed while it ran.');
      assert.ok(run.result?.report_path && (await exists(run.result.report_path)), 'the report was written as the window closed');
      assert.deepEqual(
        run.clips.map((c) => c.status),
        ['COMPLETED', 'CANCELLED', 'NOT_RUN'],
      );
      const row = runRow('interrupt');
      assert.equal(row.icon, 'debug-pause');
      assert.match(row.description, /^INTERRUPTED 1\/3 · 2 unfinished · \d\d:\d\d:\d\d · /);
      assert.deepEqual(
        row.children.map((c) => c.description.replace(/ · .*/, '')),
        [row.children[0].description.replace(/ · .*/, ''), 'interrupted while encoding', 'unfinished'],
      );
      assert.match(row.contextValue, /\bresumable\b/);
      assert.match(row.tooltip.replace(/\\(.)/g, '$1'), /The window closed while it ran\./);
      // No partial proxy of the clip that was encoding is left behind.
      const outDir = path.dirname(run.clips[1].output);
      assert.deepEqual(
        (await fs.readdir(outDir)).filter((f) => !f.endsWith('.report.json')),
        [path.basename(run.clips[0].output)],
      );

      const resumed = await vscode.commands.executeCommand<RunResult>('jobspec.resume', run.key);
      assert.equal(resumed.status, 'COMPLETED');
      // The clip finished before the reload is carried over from the interrupted run's report; the others are made.
      assert.deepEqual(
        resumed.clips.map((c) => c.index),
        [0, 1, 2],
      );
      assert.deepEqual(resumed.selection?.carried_over, [0]);
      assert.equal(resumed.selection?.previous_report, run.result.report_path);
      for (const c of run.clips) assert.ok(await exists(c.output), `${c.output} is there after the resume`);
      await settle();
      assert.match(api().tree()[0].description, / · re-run of \d\d:\d\d:\d\d$/);
    });
  });
}
