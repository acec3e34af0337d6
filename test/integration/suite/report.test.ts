// The report view in the real host: a report opens as a picture of the run (custom editor), with
// poster frames made by the real ffmpeg, relink checks, a timeline whose lanes show concurrency;
// JSON one click away; Open Proxy; poster frames in the Runs view's hover.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunResult } from '../../../src/core';
import { reportHtml } from '../../../src/extension/reportEditor';
import type { PosterMessage, ReportModel } from '../../../src/webview/model';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { api, until, uriOf, ws } from './helpers';

function activeTab(): vscode.Tab['input'] {
  return vscode.window.tabGroups.activeTabGroup.activeTab?.input;
}

async function shownModel(report: string): Promise<ReportModel> {
  // A webview's page starts in the browser first: on a loaded machine that alone has taken over 20 s.
  return until(
    'the report view to show the report',
    () => {
      const m = api()
        .reportMessages(report)
        .find((x) => x.type === 'report');
      return m?.type === 'report' ? m.model : undefined;
    },
    45_000,
  );
}

function posters(report: string): PosterMessage[] {
  return api()
    .reportMessages(report)
    .filter((m): m is PosterMessage => m.type === 'poster');
}

export function registerReportTests(): void {
  describe('report view', function () {
    it('opens a report as a picture of the run, JSON one click away', async function () {
      this.timeout(60_000);
      const run = api()
        .runs()
        .find((r) => r.phase === 'finished' && r.name === 'failing' && r.status === 'PARTIAL');
      assert.ok(run?.phase === 'finished' && run.result?.report_path);
      const report = run.result.report_path;
      await vscode.commands.executeCommand('jobspec.openReport', run.key);
      const input = activeTab();
      assert.ok(input instanceof vscode.TabInputCustom, 'a custom editor is open');
      assert.equal(input.viewType, 'jobspec.report');
      assert.equal(input.uri.fsPath, report);

      const m = await shownModel(report);
      assert.equal(m.name, 'failing');
      assert.equal(m.status, 'PARTIAL');
      assert.equal(m.tone, 'warn');
      assert.deepEqual([m.done, m.total, m.failed, m.notRun], [1, 3, 1, 1]);
      assert.equal(m.rerunLabel, 'Re-run Failed Clips');
      assert.deepEqual(
        m.clips.map((c) => [c.name, c.status, c.tone]),
        [
          ['clip_a.mov', 'COMPLETED', 'ok'],
          ['corrupt.mov', 'FAILED', 'error'],
          ['clip_b.mov', 'NOT_RUN', 'idle'],
        ],
      );
      const [a, corrupt] = m.clips;
      // Whatever relink checks the run made are shown, each with what was expected and what the proxy has.
      assert.ok(a.checks.length >= 3, JSON.stringify(a.checks));
      for (const k of a.checks) assert.equal(k.ok, true, `${k.name}: ${k.expected} vs ${k.actual}`);
      assert.ok(a.checks.some((k) => /codec/i.test(k.name)));
      assert.equal(a.outputExists, true);
      assert.ok(a.sourceSize && a.sourceSize > 0 && a.outputSize && a.outputSize > 0);
      assert.ok(a.start !== undefined && a.end !== undefined && a.end >= a.start);
      // Its bar is its encode; it was checked from then on, while the next clip could already encode.
      assert.ok(a.encoded !== undefined && a.encoded >= a.start && a.encoded <= a.end, JSON.stringify(a));
      assert.match(corrupt.message ?? '', /corrupt\.mov/);
      assert.equal(m.lanes, 1, `one clip at a time: one lane ${JSON.stringify(m.clips.map((c) => [c.start, c.encoded, c.end, c.lane]))}`);

      // Poster frames from the real ffmpeg: the two readable sources and the proxy that was made.
      const wanted = ['source:0', 'source:1', 'source:2', 'proxy:0'];
      await until(
        `the poster frames ${wanted.join(', ')}`,
        () => wanted.every((w) => posters(report).some((p) => p.src && `${p.which}:${p.index}` === w)),
        40_000,
      );
      assert.equal(posters(report).filter((p) => p.which === 'proxy').length, 1, 'no proxy picture for clips that made none');
      // Finished pictures only: one being made is a hidden temporary file until it is renamed.
      const jpgs = (await fs.readdir(api().posterFolder())).filter((f) => f.endsWith('.jpg') && !f.startsWith('.'));
      assert.ok(jpgs.length >= 3);
      const source0 = posters(report).find((p) => p.which === 'source' && p.index === 0);
      assert.ok(
        source0?.durationSeconds && Math.abs(source0.durationSeconds - 1) < 0.2,
        `the source's duration: ${source0?.durationSeconds}`,
      );

      await vscode.commands.executeCommand('jobspec.openReportAsJson');
      const text = activeTab();
      assert.ok(text instanceof vscode.TabInputText, 'the JSON in the text editor');
      assert.equal(text.uri.fsPath, report);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('shows clips that ran at once on separate lanes of the timeline', async function () {
      this.timeout(60_000);
      await fs.mkdir(ws('out/parallel'), { recursive: true });
      const uri = uriOf('parallel.jobspec.json');
      await fs.writeFile(
        uri.fsPath,
        JSON.stringify({
          job_id: 'parallel',
          sources: ['media/clip_a.mov', 'media/clip_b.mov', 'media/corrupt.mov'],
          output_directory: 'out/parallel',
          codec: 'h264',
          container: 'mp4',
          resolution: 'half',
          naming_template: '{source_name}_p',
          max_concurrent_jobs: 2,
        }),
      );
      const result = await vscode.commands.executeCommand<RunResult>('jobspec.execute', uri);
      assert.equal(result.status, 'COMPLETED');
      assert.ok(result.report_path);
      await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(result.report_path), 'jobspec.report');
      const m = await shownModel(result.report_path);
      assert.equal(m.lanes, 2, JSON.stringify(m.clips.map((c) => [c.start, c.encoded, c.end, c.lane])));
      assert.deepEqual(
        m.clips.slice(0, 2).map((c) => c.lane),
        [0, 1],
      );
      assert.equal(m.rerunLabel, undefined, 'nothing to re-run');
      assert.ok(m.clips.every((c) => c.outputExists));

      // Open Proxy (the button of each completed clip) opens the proxy.
      const opened = await vscode.commands.executeCommand<vscode.Uri | undefined>('jobspec.openProxy', result.clips[0].output);
      assert.equal(opened?.fsPath, result.clips[0].output);
      await until('the proxy to be open', () => {
        const input = activeTab();
        return (
          (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom) && input.uri.fsPath === result.clips[0].output
        );
      });
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('puts poster frames of the source and the proxy in the Runs view hover', async function () {
      this.timeout(60_000);
      const run = api()
        .runs()
        .find((r) => r.name === 'parallel' && r.phase === 'finished');
      assert.ok(run);
      const tip = await api().resolvedTooltip(run.key, 0);
      const images = tip.match(/<img src="data:image\/jpeg;base64,[A-Za-z0-9+/=]+" width="160" alt="(source|proxy)">/g) ?? [];
      assert.equal(images.length, 2, tip.slice(0, 300));
    });

    it('serves the page under a strict content security policy: our script by nonce, local pictures only', function () {
      const html = reportHtml({ cspSource: 'https://x.vscode-cdn.net', nonce: 'abc123', scriptUri: 's.js', styleUri: 's.css', title: 't' });
      const csp = /content="([^"]+)"/.exec(html)?.[1] ?? '';
      assert.deepEqual(csp.split('; '), [
        "default-src 'none'",
        'img-src https://x.vscode-cdn.net',
        'style-src https://x.vscode-cdn.net',
        "script-src 'nonce-abc123'",
        "base-uri 'none'",
        "form-action 'none'",
      ]);
      assert.doesNotMatch(html, /<script(?![^>]*nonce="abc123")/, 'every script carries the nonce');
      assert.doesNotMatch(html, /style=|onclick=|javascript:/i, 'no inline styles or handlers');
    });

    it('makes a poster a quarter of the way into the clip, 320 pixels wide', async function () {
      // Finished pictures only: one being made is a hidden temporary file until it is renamed.
      const jpgs = (await fs.readdir(api().posterFolder())).filter((f) => f.endsWith('.jpg') && !f.startsWith('.'));
      const out = path.join(api().posterFolder(), jpgs[0]);
      const { stdout } = await promisify(execFile)('ffprobe', [
        '-v',
        'error',
        '-select_streams',
        'v',
        '-show_entries',
        'stream=width,height',
        '-of',
        'csv=p=0',
        out,
      ]);
      const size = stdout.trim();
      assert.match(size, /^320,\d+$/);
    });
  });
}
