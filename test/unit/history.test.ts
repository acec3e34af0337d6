// Run history from the reports on disk: listing newest first by the stamp in the name, reading each
// back with its status as readReport settles it (a RUNNING report whose writer is gone was
// interrupted), skipping what cannot be read.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { RunResult } from '../../src/core';
import { core } from './helpers/core';
import { tempDir } from './helpers/tmp';

function result(jobId: string, status: RunResult['status'], started: string): RunResult {
  return {
    job_id: jobId,
    jobspec_file: `/cards/${jobId}.jobspec.json`,
    status,
    exit_code: 0,
    started_at: started,
    finished_at: started,
    elapsed_seconds: 1,
    clips: [],
    report_path: null,
    ffmpeg: null,
  };
}

/** The id of a process that has exited (so is gone). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  const pid = child.pid;
  assert.ok(pid);
  await new Promise((r) => child.once('exit', r));
  return pid;
}

describe('run history', () => {
  test('lists reports of several folders newest first by their stamps, ignoring other files and missing folders', async (t) => {
    const a = await tempDir(t);
    const b = await tempDir(t);
    for (const [dir, name] of [
      [a, 'day1.20261124T101500.report.json'],
      [a, 'day1.rerun.20261124T111500.report.json'],
      [b, 'day2.20261125T090000.report.json'],
      [b, 'day2.20261125T090000-2.report.json'],
      [b, 'clip_a_proxy.mov'],
      [b, 'notes.report.json'],
    ])
      await fs.writeFile(path.join(dir, name), '{}');
    const listed = await core.listReports([a, b, path.join(a, 'gone')]);
    assert.deepEqual(
      listed.map((r) => path.basename(r.file)),
      [
        'day2.20261125T090000-2.report.json',
        'day2.20261125T090000.report.json',
        'day1.rerun.20261124T111500.report.json',
        'day1.20261124T101500.report.json',
      ],
    );
    assert.equal(listed[0].stamp, '20261125T090000');
  });

  test('loads the newest readable reports up to the limit, with where each is now, and names the unreadable ones', async (t) => {
    const dir = await tempDir(t);
    // Reports as runs write them (with their integrity digest); b's writer, a process of this host, is gone.
    const write = async (name: string, body: RunResult | string): Promise<void> => {
      if (typeof body === 'string') await fs.writeFile(path.join(dir, name), body);
      else await core.writeReport(body, dir, name);
    };
    await write('a.20261124T100000.report.json', result('a', 'COMPLETED', '2026-11-24T10:00:00.000Z'));
    await write('b.20261124T110000.report.json', {
      ...result('b', 'RUNNING', '2026-11-24T11:00:00.000Z'),
      writer: { ...core.report.currentWriter(), pid: await deadPid() },
    });
    await write('c.20261124T120000.report.json', '{"schema": "jobspec-report/1", "clips": [');
    await write('d.20261124T130000.report.json', result('d', 'FAILED', '2026-11-24T13:00:00.000Z'));

    const two = await core.loadHistory([dir], 2);
    assert.deepEqual(
      two.entries.map((e) => [e.result.job_id, e.status]),
      [
        ['d', 'FAILED'],
        ['b', 'INTERRUPTED'],
      ],
    );
    assert.equal(two.entries[0].result.report_path, path.join(dir, 'd.20261124T130000.report.json'));
    assert.deepEqual(
      two.problems.map((p) => path.basename(p.file)),
      ['c.20261124T120000.report.json'],
    );
    assert.match(two.problems[0].message, /is not valid JSON: it is truncated or damaged/);
    const all = await core.loadHistory([dir], 10);
    assert.deepEqual(
      all.entries.map((e) => e.result.job_id),
      ['d', 'b', 'a'],
    );
  });

  test('a report written by a real run is listed and read back as it was written', async (t) => {
    const dir = await tempDir(t);
    const written = await core.writeReport(
      result('real', 'CANCELLED', '2026-11-24T09:00:00.000Z'),
      dir,
      core.report.reportFileName('real', new Date(2026, 10, 24, 9, 0, 0)),
    );
    const { entries } = await core.loadHistory([dir], 5);
    assert.equal(entries.length, 1);
    assert.equal(entries[0].file, written);
    assert.equal(entries[0].status, 'CANCELLED');
  });
});
