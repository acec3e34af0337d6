// Watch folders in the real host: a drop folder outside the workspace, its JobSpecs filed by outcome, both views.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TreeItemSnapshot } from '../../../src/extension/testApi';
import { api, exists, makeClip, settle, until } from './helpers';

export function registerWatchTests(): void {
  describe('watch folders', function () {
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
        assert.deepEqual(api().watchedFolders(), [dir]);
        await until('the watcher to make pending/', () => exists(path.join(dir, 'pending')));
        const folderRow = (): TreeItemSnapshot | undefined =>
          api()
            .watchTree()
            .find((r) => r.label === path.basename(dir));
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
        const live = api()
          .runs()
          .find((r) => r.watchFolder === dir && r.name === 'a_good');
        assert.ok(live, 'the watcher run is in the Runs view too');

        const ls = async (d: string): Promise<string[]> => (await fs.readdir(path.join(dir, d))).sort();
        // Filed means the JobSpec and its result, whose temporary file is renamed into place last.
        const filed = { completed: ['a_good.jobspec.json', 'a_good.result.json'], failed: ['b_bad.jobspec.json', 'b_bad.result.json'] };
        const same = (a: string[], b: string[]): boolean => a.join('\n') === b.join('\n');
        await until(
          'both JobSpecs to be filed with their results',
          async () => same(await ls('completed'), filed.completed) && same(await ls('failed'), filed.failed),
          90_000,
        );
        assert.deepEqual(await ls('pending'), []);
        assert.deepEqual(await ls('running'), []);
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
        const run = api()
          .runs()
          .find((r) => r.watchFolder === dir && r.name === 'a_good');
        assert.equal(run?.phase, 'finished');
        assert.equal(run.status, 'COMPLETED');
        assert.equal(run?.jobspecFile, path.join(dir, 'completed', 'a_good.jobspec.json'));
        await settle();
        const runRow = api()
          .tree()
          .find((r) => r.label === 'a_good');
        assert.deepEqual(
          runRow?.children.map((c) => [c.label, c.icon]),
          [
            ['w_a.mov', 'pass-filled'],
            ['w_b.mov', 'pass-filled'],
          ],
        );
        assert.match(runRow?.contextValue ?? '', /\bwatched\b/);
        assert.doesNotMatch(runRow?.contextValue ?? '', /\brerunnable\b/);

        const log = api().logLines();
        const label = path.basename(dir);
        assert.ok(
          log.some((l) => l === `[watch ${label}] a_good.jobspec.json: completed`),
          log.join('\n'),
        );
        assert.ok(log.some((l) => l.startsWith(`[watch ${label}] b_bad.jobspec.json: failed (invalid JobSpec: `)));
        assert.ok(
          log.some((l) => /^a_good › \[2\/2\] COMPLETED w_b\.mov \(\d+\.\ds\)$/.test(l)),
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
        assert.deepEqual(api().watchedFolders(), []);
        await until('the folder to leave the view', () => api().watchTree().length === 0);
        assert.ok(api().logLines().includes(`Stopped watching ${dir}.`));
      } finally {
        if (api().watchedFolders().includes(dir)) await vscode.commands.executeCommand('jobspec.stopWatching', vscode.Uri.file(dir));
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        await fs.rm(dir, { recursive: true, force: true });
      }
    });
  });
}
