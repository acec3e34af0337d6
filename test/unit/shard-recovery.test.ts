// Recovery of a farm run, without a scheduler (test/farm/ does the same on Slurm): a shard retried
// after it completed encodes nothing; a failed shard, its source fixed, is brought to a green merge by
// re-running only its failed clips; a retry after that re-run still encodes nothing; merge takes the
// newest report of each clip and says which, names a missing shard, and refuses another plan's report.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { RunResult } from '../../src/core';
import { runCli, shown } from './helpers/cli';
import { makeClip, makeCorrupt } from './helpers/media';
import { writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { reportsIn, tempFilesIn } from './helpers/tree';

const CLIPS = ['r0.mov', 'r1.mov', 'r2.mov', 'r3.mov', 'r4.mov'];
let dir: string;
let specFile: string;
const out = (): string => path.join(dir, 'out');

before(async () => {
  dir = await tempDir(undefined, 'jobspec-shard-recovery-');
  for (const [i, c] of CLIPS.entries())
    await makeClip(path.join(dir, 'media'), c, { seconds: 0.4, size: '160x120', frequency: 300 + 50 * i });
  await fs.mkdir(out());
  specFile = await writeSpec(dir, {
    job_id: 'rec01',
    sources: CLIPS.map((c) => `media/${c}`),
    output_directory: 'out',
    codec: 'h264',
    container: 'mp4',
    resolution: 'quarter',
    naming_template: '{job_id}_{source_name}_{index}',
  });
});

async function readJson(file: string): Promise<RunResult> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as RunResult;
}

/** Each proxy's inode and mtime: a proxy made again (or touched) changes them. */
async function proxyStamps(): Promise<Map<string, string>> {
  const stamps = new Map<string, string>();
  for (const n of (await fs.readdir(out())).filter((f) => f.endsWith('.mp4')).sort()) {
    const st = await fs.stat(path.join(out(), n));
    stamps.set(n, `${st.ino}:${st.mtimeMs}`);
  }
  return stamps;
}

async function newReports(before: string[]): Promise<string[]> {
  return (await reportsIn(out())).filter((f) => !before.includes(f) && !path.basename(f).includes('.merged.'));
}

describe('farm recovery: retries, re-runs of failed clips, and what merge takes', () => {
  let shard0 = '';
  let shard1 = '';
  let rerun0 = '';
  const good = (): string => path.join(dir, 'r2.good.mov');

  test('shard 0 fails on a corrupt source (clip 0 completed, 2 failed, 4 not run); shard 1 completes', async () => {
    await fs.rename(path.join(dir, 'media', 'r2.mov'), good());
    await makeCorrupt(path.join(dir, 'media'), 'r2.mov');
    const a = await runCli(['execute', specFile, '--shard', '0/2', '--resume']);
    assert.equal(a.code, 2, shown(a));
    const b = await runCli(['execute', specFile, '--shard', '1/2', '--resume']);
    assert.equal(b.code, 0, shown(b));
    [shard0, shard1] = await reportsIn(out());
    assert.match(path.basename(shard0), /^rec01\.shard-0-of-2\.\d{8}T\d{6}\.report\.json$/);
    assert.match(path.basename(shard1), /^rec01\.shard-1-of-2\.\d{8}T\d{6}\.report\.json$/);
    assert.deepEqual(
      (await readJson(shard0)).clips.map((c) => [c.index, c.status]),
      [
        [0, 'COMPLETED'],
        [2, 'FAILED'],
        [4, 'NOT_RUN'],
      ],
    );
    const m = await runCli(['report', 'merge', shard0, shard1, '--out', path.join(dir, 'merge-failed.report.json')]);
    assert.equal(m.code, 2, shown(m));
    assert.match(m.stdout, /\[3\/5\] FAILED r2\.mov/);
    assert.match(m.stdout, /Result: One or more clips failed/);
  });

  test('a retry of the completed shard encodes nothing, exits 0 and reports every clip of the shard', async () => {
    assert.ok(shard1, 'needs the test before it');
    const stamps = await proxyStamps();
    const before = await reportsIn(out());
    const r = await runCli(['execute', specFile, '--shard', '1/2', '--resume']);
    assert.equal(r.code, 0, shown(r));
    assert.match(r.stdout, /2 clips already complete, 0 to run/);
    assert.deepEqual(await proxyStamps(), stamps, 'no proxy was made again');
    const [retry] = await newReports(before);
    const rep = await readJson(retry);
    assert.equal(rep.status, 'COMPLETED');
    assert.deepEqual(rep.selection?.shard, { index: 1, count: 2 });
    assert.deepEqual(
      rep.clips.map((c) => [c.index, c.status]),
      [
        [1, 'COMPLETED'],
        [3, 'COMPLETED'],
      ],
    );
    for (const c of rep.clips) assert.ok(c.message?.includes(`Completed in an earlier run (${shard1});`), c.message);
  });

  test('fixed source: --only-failed re-runs only the failed and unrun clips, and merge of all reports is green', async () => {
    assert.ok(shard0, 'needs the tests before it');
    await fs.copyFile(good(), path.join(dir, 'media', 'r2.mov'));
    const stamps = await proxyStamps();
    const before = await reportsIn(out());
    const r = await runCli(['execute', specFile, '--only-failed', shard0]);
    assert.equal(r.code, 0, shown(r));
    [rerun0] = await newReports(before);
    assert.match(path.basename(rerun0), /^rec01\.shard-0-of-2\.rerun\.\d{8}T\d{6}\.report\.json$/);
    const rep = await readJson(rerun0);
    assert.deepEqual(rep.selection?.shard, { index: 0, count: 2 });
    assert.deepEqual(
      rep.clips.map((c) => [c.index, c.status]),
      [
        [2, 'COMPLETED'],
        [4, 'COMPLETED'],
      ],
    );
    const after = await proxyStamps();
    assert.equal(after.get('rec01_r0_000.mp4'), stamps.get('rec01_r0_000.mp4'), 'the clip that had completed was left alone');

    // Every report so far, the failed one included, as a glob would give them: the newest report of each clip counts.
    const all = (await reportsIn(out())).filter((f) => /\.shard-\d+-of-2\./.test(f));
    const m = await runCli(['report', 'merge', ...all, '--out', path.join(dir, 'merge-green.report.json')]);
    assert.equal(m.code, 0, shown(m));
    assert.match(m.stdout, new RegExp(`Shard 0/2: ${path.basename(shard0)} \\+ ${path.basename(rerun0)}\\n`));
    assert.match(m.stdout, /Result: All clips completed/);
    const merged = await readJson(path.join(dir, 'merge-green.report.json'));
    assert.deepEqual(
      merged.clips.map((c) => c.status),
      CLIPS.map(() => 'COMPLETED'),
    );
  });

  test('a retry of the recovered shard carries over clips from both reports and encodes nothing', async () => {
    assert.ok(rerun0, 'needs the tests before it');
    const stamps = await proxyStamps();
    const before = await reportsIn(out());
    const r = await runCli(['execute', specFile, '--shard', '0/2', '--resume']);
    assert.equal(r.code, 0, shown(r));
    assert.match(r.stdout, /3 clips already complete, 0 to run/);
    assert.deepEqual(await proxyStamps(), stamps, 'no proxy was made again');
    const rep = await readJson((await newReports(before))[0]);
    assert.equal(rep.status, 'COMPLETED');
    const from = rep.clips.map((c) => [c.index, /Completed in an earlier run \((.+)\); its proxy/.exec(c.message ?? '')?.[1]]);
    assert.deepEqual(from, [
      [0, shard0],
      [2, rerun0],
      [4, rerun0],
    ]);
    assert.deepEqual(await tempFilesIn(out()), []);
  });

  test('merge names a missing shard MISSING, and refuses a report of another plan', async () => {
    assert.ok(rerun0, 'needs the tests before it');
    const only0 = (await reportsIn(out())).filter((f) => /\.shard-0-of-2\./.test(f));
    const m = await runCli(['report', 'merge', ...only0, '--out', path.join(dir, 'merge-missing.report.json')]);
    assert.equal(m.code, 2, shown(m));
    assert.match(m.stdout, /^Shard 1\/2: MISSING \(no report given\)$/m);
    assert.match(m.stdout, /^Result: Incomplete: no report for shard 1\/2 \(MISSING\): run it or give its report$/m);
    assert.doesNotMatch(m.stdout, /FAILED|failed/, 'a missing shard is not failed clips');
    const merged = await readJson(path.join(dir, 'merge-missing.report.json'));
    assert.equal(merged.status, 'PARTIAL');
    assert.match(merged.clips[1].message ?? '', /No report for shard 1 of 2 was given: that shard is missing/);

    // The same job id with other proxy settings: another plan, whose shard report must not be mixed in.
    const otherOut = path.join(dir, 'other');
    await fs.mkdir(otherOut);
    const other = await writeSpec(
      dir,
      { ...JSON.parse(await fs.readFile(specFile, 'utf8')), output_directory: 'other', resolution: 'half' },
      'other.jobspec.json',
    );
    const o = await runCli(['execute', other, '--shard', '1/2']);
    assert.equal(o.code, 0, shown(o));
    const [otherReport] = await reportsIn(otherOut);
    const refused = await runCli(['report', 'merge', ...only0, otherReport]);
    assert.equal(refused.code, 1, shown(refused));
    assert.ok(refused.stderr.includes(`${otherReport} belongs to another plan`), shown(refused));
  });
});
