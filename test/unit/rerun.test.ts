// Re-running what did not complete: `jobspec execute FILE --only-failed REPORT` after a failed run.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { RunResult } from '../../src/core';
import { runCli, shown } from './helpers/cli';
import { makeClip, makeCorrupt, probe, videoStream } from './helpers/media';
import { writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { reportsIn, tempFilesIn } from './helpers/tree';

let dir: string;
let media: string;

before(async () => {
  dir = await tempDir(undefined, 'jobspec-rerun-');
  media = path.join(dir, 'media');
});

async function readJson(file: string): Promise<RunResult> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as RunResult;
}

describe('--only-failed', () => {
  test('after a failed run, fixing the clip and re-running covers only FAILED and NOT_RUN clips, with their original {index}', async () => {
    await makeClip(media, 'clip_a.mov');
    await makeCorrupt(media, 'clip_b.mov');
    await makeClip(media, 'clip_c.mov', { frequency: 660 });
    const out = path.join(dir, 'out');
    await fs.mkdir(out);
    // No job_id in the file: the re-run must reuse the first run's generated id for {job_id}.
    const file = await writeSpec(
      dir,
      {
        sources: ['media/clip_a.mov', 'media/clip_b.mov', 'media/clip_c.mov'],
        output_directory: 'out',
        codec: 'prores_proxy',
        container: 'mov',
        resolution: 'half',
        naming_template: '{job_id}_{source_name}_{index}',
      },
      'rerun.jobspec.json',
    );

    const first = await runCli(['execute', file]);
    assert.equal(first.code, 2, shown(first));
    const [report1] = await reportsIn(out);
    assert.ok(report1, 'the failed run wrote a report');
    const r1 = await readJson(report1);
    assert.deepEqual(
      r1.clips.map((c) => c.status),
      ['COMPLETED', 'FAILED', 'NOT_RUN'],
    );
    const jobId = r1.job_id;
    assert.match(jobId, /^[0-9a-f]{8}$/);
    const keptA = path.join(out, `${jobId}_clip_a_000.mov`);
    const before = await fs.stat(keptA);

    await fs.rm(path.join(media, 'clip_b.mov'));
    await makeClip(media, 'clip_b.mov', { frequency: 550 });

    const second = await runCli(['execute', file, '--only-failed', report1]);
    assert.equal(second.code, 0, shown(second));
    assert.match(
      second.stdout,
      new RegExp(`Re-running 2 clips that did not complete in ${report1.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`),
    );
    assert.match(second.stdout, /\[1\/2\] COMPLETED clip_b\.mov \(/);
    assert.match(second.stdout, /\[2\/2\] COMPLETED clip_c\.mov \(/);
    assert.match(second.stdout, /Result: All clips completed/);

    const movs = (await fs.readdir(out)).filter((f) => f.endsWith('.mov')).sort();
    assert.deepEqual(
      movs,
      [`${jobId}_clip_a_000.mov`, `${jobId}_clip_b_001.mov`, `${jobId}_clip_c_002.mov`],
      'same job id, original indices',
    );
    const after = await fs.stat(keptA);
    assert.equal(after.ino, before.ino, 'the completed clip was not redone');
    assert.equal(after.mtimeMs, before.mtimeMs);
    for (const m of movs) assert.equal(videoStream(await probe(path.join(out, m))).codec_name, 'prores');
    assert.deepEqual(await tempFilesIn(out), []);

    const reports = await reportsIn(out);
    assert.equal(reports.length, 2);
    const report2 = reports.find((r) => r !== report1);
    assert.ok(report2);
    assert.match(path.basename(report2), new RegExp(`^${jobId}\\.rerun\\.\\d{8}T\\d{6}(-\\d+)?\\.report\\.json$`));
    const r2 = await readJson(report2);
    assert.equal(r2.job_id, jobId);
    assert.equal(r2.status, 'COMPLETED');
    assert.equal(r2.exit_code, 0);
    assert.equal(r2.selection?.kind, 'only-failed');
    assert.equal(r2.selection?.previous_report, report1);
    assert.deepEqual(r2.selection?.indices, [1, 2]);
    assert.deepEqual(
      r2.clips.map((c) => [c.index, c.status, path.basename(c.output)]),
      [
        [1, 'COMPLETED', `${jobId}_clip_b_001.mov`],
        [2, 'COMPLETED', `${jobId}_clip_c_002.mov`],
      ],
    );
    assert.equal(r2.selection?.all_clips.length, 3);

    // Nothing left to do: a re-run of the re-run runs nothing and succeeds.
    const third = await runCli(['execute', file, '--only-failed', report2]);
    assert.equal(third.code, 0, shown(third));
    assert.match(third.stdout, /Nothing to re-run: every clip in .* completed\./);
    assert.equal((await fs.readdir(out)).filter((f) => f.endsWith('.mov')).length, 3);
  });

  test('a report of another job, or a JobSpec whose sources changed, is refused with exit 1', async () => {
    await makeClip(media, 'x.mov', { seconds: 0.4 });
    await makeClip(media, 'y.mov', { seconds: 0.4 });
    const out = path.join(dir, 'out-mismatch');
    await fs.mkdir(out);
    const spec = {
      job_id: 'one',
      sources: ['media/x.mov'],
      output_directory: out,
      codec: 'h264',
      container: 'mp4',
      resolution: 'quarter',
      naming_template: '{source_name}',
    };
    const file = await writeSpec(dir, spec, 'one.jobspec.json');
    const ran = await runCli(['execute', file]);
    assert.equal(ran.code, 0, shown(ran));
    const [report] = await reportsIn(out);

    const other = await writeSpec(dir, { ...spec, job_id: 'two' }, 'two.jobspec.json');
    const wrongJob = await runCli(['execute', other, '--only-failed', report]);
    assert.equal(wrongJob.code, 1, shown(wrongJob));
    assert.match(wrongJob.stderr, /is for job one, but this JobSpec's job_id is two/);

    const moved = await writeSpec(dir, { ...spec, sources: ['media/y.mov'] }, 'one.jobspec.json');
    const changed = await runCli(['execute', moved, '--only-failed', report]);
    assert.equal(changed.code, 1, shown(changed));
    assert.match(changed.stderr, /does not match this JobSpec: clip 0 was .*x\.mov → .* and is now .*y\.mov → /);

    const missing = await runCli(['execute', file, '--only-failed', path.join(out, 'none.report.json')]);
    assert.equal(missing.code, 1, shown(missing));
    assert.match(missing.stderr, /Cannot read report/);
  });
});
