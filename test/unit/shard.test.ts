// A farm run: `--shard 0/2` and `--shard 1/2` as separate processes, then `jobspec report merge`,
// compared with the same JobSpec run on one machine.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { RunResult } from '../../src/core';
import { runCli, shown } from './helpers/cli';
import { makeClip } from './helpers/media';
import { writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { reportsIn, tempFilesIn } from './helpers/tree';

const CLIPS = ['s0.mov', 's1.mov', 's2.mov', 's3.mov', 's4.mov'];
let dir: string;

function spec(out: string): Record<string, unknown> {
  return {
    job_id: 'farm01',
    sources: CLIPS.map((c) => `media/${c}`),
    output_directory: out,
    codec: 'h264',
    container: 'mp4',
    resolution: 'quarter',
    naming_template: '{job_id}_{source_name}_{index}',
  };
}

before(async () => {
  dir = await tempDir(undefined, 'jobspec-shard-');
  for (const [i, c] of CLIPS.entries()) await makeClip(path.join(dir, 'media'), c, { seconds: 0.4, frequency: 300 + 50 * i });
});

async function readJson(file: string): Promise<RunResult> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as RunResult;
}

const summary = (r: RunResult): [number, string, string][] => r.clips.map((c) => [c.index, c.status, path.basename(c.output)]);

describe('shards and report merge', () => {
  let single: RunResult;
  let shardReports: string[] = [];
  const farm = () => path.join(dir, 'out-farm');

  test('a single-machine run, for reference', async () => {
    const out = path.join(dir, 'out-single');
    await fs.mkdir(out);
    const file = await writeSpec(dir, spec('out-single'), 'single.jobspec.json');
    const r = await runCli(['execute', file]);
    assert.equal(r.code, 0, shown(r));
    const reports = await reportsIn(out);
    assert.equal(reports.length, 1);
    single = await readJson(reports[0]);
    assert.equal(single.status, 'COMPLETED');
  });

  test('--shard 0/2 and --shard 1/2 run as two processes, each its own slice', async () => {
    await fs.mkdir(farm());
    const file = await writeSpec(dir, spec('out-farm'), 'farm.jobspec.json');
    const [a, b] = await Promise.all([runCli(['execute', file, '--shard', '0/2']), runCli(['execute', file, '--shard', '1/2'])]);
    assert.equal(a.code, 0, shown(a));
    assert.equal(b.code, 0, shown(b));
    assert.match(a.stdout, /Shard 0\/2: 3 of 5 clips \(index % 2 == 0\)/);
    assert.match(b.stdout, /Shard 1\/2: 2 of 5 clips \(index % 2 == 1\)/);
    shardReports = await reportsIn(farm());
    assert.equal(shardReports.length, 2, 'one report per shard');
    const [r0, r1] = await Promise.all(shardReports.map(readJson));
    assert.match(path.basename(shardReports[0]), /^farm01\.shard-0-of-2\./);
    assert.match(path.basename(shardReports[1]), /^farm01\.shard-1-of-2\./);
    assert.deepEqual(
      r0.clips.map((c) => c.index),
      [0, 2, 4],
    );
    assert.deepEqual(
      r1.clips.map((c) => c.index),
      [1, 3],
    );
    assert.deepEqual(r0.selection?.shard, { index: 0, count: 2 });
    assert.equal(r0.selection?.all_clips.length, 5);
    assert.deepEqual(await tempFilesIn(farm()), []);
  });

  test('report merge equals the single-machine run: same statuses and output names, exit 0', async () => {
    assert.equal(shardReports.length, 2, 'needs the shard test before it');
    const r = await runCli(['report', 'merge', ...shardReports]);
    assert.equal(r.code, 0, shown(r));
    assert.match(r.stdout, /Result: All clips completed/);
    const merged = (await reportsIn(farm())).filter((f) => !shardReports.includes(f));
    assert.equal(merged.length, 1);
    assert.match(path.basename(merged[0]), /^farm01\.merged\.\d{8}T\d{6}\.report\.json$/);
    const m = await readJson(merged[0]);
    assert.equal(m.status, 'COMPLETED');
    assert.equal(m.exit_code, 0);
    assert.equal(m.status, single.status);
    assert.equal(m.exit_code, single.exit_code);
    assert.deepEqual(summary(m), summary(single));
    const farmFiles = (await fs.readdir(farm())).filter((f) => f.endsWith('.mp4')).sort();
    const singleFiles = (await fs.readdir(path.join(dir, 'out-single'))).filter((f) => f.endsWith('.mp4')).sort();
    assert.deepEqual(farmFiles, singleFiles);
    assert.deepEqual(
      farmFiles,
      CLIPS.map((c, i) => `farm01_${c.replace('.mov', '')}_00${i}.mp4`),
    );

    // --json and --out: the same merged result, written where asked.
    const outFile = path.join(dir, 'merged-here.report.json');
    const j = await runCli(['report', 'merge', ...shardReports.slice().reverse(), '--json', '--out', outFile]);
    assert.equal(j.code, 0, shown(j));
    const doc = JSON.parse(j.stdout) as RunResult;
    assert.deepEqual(summary(doc), summary(single), 'order of the reports on the command line does not matter');
    assert.equal(doc.report_path, outFile);
    assert.deepEqual(summary(await readJson(outFile)), summary(single));
  });

  test('merging with a shard missing names the gap and exits non-zero', async () => {
    assert.equal(shardReports.length, 2, 'needs the shard test before it');
    const outFile = path.join(dir, 'partial.report.json');
    const r = await runCli(['report', 'merge', shardReports[0], '--out', outFile]);
    assert.equal(r.code, 2, shown(r));
    const m = await readJson(outFile);
    assert.equal(m.status, 'PARTIAL');
    assert.deepEqual(
      m.clips.map((c) => c.status),
      ['COMPLETED', 'NOT_RUN', 'COMPLETED', 'NOT_RUN', 'COMPLETED'],
    );
    assert.match(m.clips[1].message ?? '', /No report for shard 1 of 2 was given/);

    const dup = await runCli(['report', 'merge', shardReports[0], shardReports[0], '--out', path.join(dir, 'dup.report.json')]);
    assert.equal(dup.code, 1, shown(dup));
    assert.match(dup.stderr, /is given twice; give each report once/);
    const notShard = await runCli(['report', 'merge', (await reportsIn(path.join(dir, 'out-single')))[0]]);
    assert.equal(notShard.code, 1, shown(notShard));
    assert.match(notShard.stderr, /is not a shard report/);
  });

  test('a sharded run needs a fixed job_id and no {date}/{time}', async () => {
    const out = path.join(dir, 'out-noid');
    await fs.mkdir(out);
    const noId = spec(out);
    delete noId.job_id;
    const file = await writeSpec(dir, { ...noId, naming_template: '{source_name}_{index}' }, 'noid.jobspec.json');
    const r = await runCli(['execute', file, '--shard', '0/2']);
    assert.equal(r.code, 1, shown(r));
    assert.match(r.stderr, /a sharded run needs a fixed job_id/);
    const dated = await writeSpec(dir, { ...spec(out), naming_template: '{source_name}_{date}' }, 'dated.jobspec.json');
    const d = await runCli(['execute', dated, '--shard', '1/2']);
    assert.equal(d.code, 1, shown(d));
    assert.match(d.stderr, /uses \{date\} or \{time\}/);
    assert.deepEqual(await fs.readdir(out), []);
  });
});
