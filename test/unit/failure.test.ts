// Fail-fast with partial results: a corrupt middle clip (random bytes named .mov) among three.
// Checked through the engine (RunResult) and through the built command (exit code and the seed lines).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { RunResult } from '../../src/core';
import { runCli, shown } from './helpers/cli';
import { makeClip, makeCorrupt } from './helpers/media';
import { runSpecFile } from './helpers/run';
import { writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { reportsIn, tempFilesIn } from './helpers/tree';

let dir: string;

function spec(outDir: string): Record<string, unknown> {
  return {
    job_id: 'fail001',
    sources: ['media/clip_a.mov', 'media/clip_b.mov', 'media/clip_c.mov'],
    output_directory: outDir,
    codec: 'prores_proxy',
    container: 'mov',
    resolution: 'half',
    naming_template: '{source_name}_proxy_{index}',
  };
}

before(async () => {
  dir = await tempDir(undefined, 'jobspec-failure-');
  const media = path.join(dir, 'media');
  await makeClip(media, 'clip_a.mov');
  await makeCorrupt(media, 'clip_b.mov');
  await makeClip(media, 'clip_c.mov', { frequency: 660 });
});

function assertPartial(result: RunResult, out: string): void {
  assert.equal(result.status, 'PARTIAL', 'some work landed, then a clip failed');
  assert.notEqual(result.exit_code, 0);
  assert.equal(result.exit_code, 2);
  assert.deepEqual(
    result.clips.map((c) => c.index),
    [0, 1, 2],
    'one result per source, in sources order',
  );
  assert.deepEqual(
    result.clips.map((c) => c.status),
    ['COMPLETED', 'FAILED', 'NOT_RUN'],
  );
  const [a, b, c] = result.clips;
  assert.equal(a.output, path.join(out, 'clip_a_proxy_000.mov'));
  assert.equal(b.source, path.join(dir, 'media', 'clip_b.mov'));
  assert.match(b.message ?? '', /Cannot read source clip_b\.mov: ffprobe cannot read it as media/);
  assert.ok(b.finished_at !== null && b.started_at !== null);
  assert.equal(c.started_at, null, 'the third clip never started');
  assert.deepEqual(c.ffmpeg_args, []);
  assert.equal(c.exit_code, null);
  assert.match(c.message ?? '', /Not started: an earlier clip failed \(fail-fast\)/);
}

async function assertDisk(out: string): Promise<void> {
  const files = (await fs.readdir(out)).sort();
  assert.deepEqual(await tempFilesIn(out), [], 'no temporary file left behind');
  assert.deepEqual(
    files.filter((f) => f.endsWith('.mov')),
    ['clip_a_proxy_000.mov'],
    'first output kept, nothing for the failed or unstarted clip',
  );
  assert.ok((await fs.stat(path.join(out, 'clip_a_proxy_000.mov'))).size > 0);
  const reports = await reportsIn(out);
  assert.equal(reports.length, 1, 'a report is written for a failed run');
  const report = JSON.parse(await fs.readFile(reports[0], 'utf8')) as RunResult;
  assert.equal(report.status, 'PARTIAL');
  assert.deepEqual(
    report.clips.map((c) => c.status),
    ['COMPLETED', 'FAILED', 'NOT_RUN'],
  );
}

describe('a corrupt middle clip', () => {
  test('runJob: first output kept, second FAILED, third NOT_RUN, no temp file, exit code 2', async () => {
    const out = path.join(dir, 'out-engine');
    await fs.mkdir(out);
    const file = await writeSpec(dir, spec(out), 'engine.jobspec.json');
    const started: number[] = [];
    const result = await runSpecFile(file, {
      onEvent: (e) => {
        if (e.type === 'clip-started') started.push(e.index);
      },
    });
    assertPartial(result, out);
    assert.deepEqual(started, [0], 'ffmpeg started for the first clip only (the second failed at probing)');
    await assertDisk(out);
  });

  test('the command exits non-zero and prints the seed lines', async () => {
    const out = path.join(dir, 'out-cli');
    await fs.mkdir(out);
    const file = await writeSpec(dir, spec('out-cli'), 'cli.jobspec.json');
    const r = await runCli(['execute', file]);
    assert.notEqual(r.code, 0, shown(r));
    assert.equal(r.code, 2, shown(r));
    const lines = r.stdout.split('\n');
    const at = (prefix: string): number => {
      const i = lines.findIndex((l) => l.startsWith(prefix));
      assert.ok(i >= 0, `no line starting "${prefix}"\n${shown(r)}`);
      return i;
    };
    const first = at('[1/3] COMPLETED clip_a.mov (');
    const second = at('[2/3] FAILED clip_b.mov (');
    const third = at('[3/3] NOT_RUN clip_c.mov');
    const result = at('Result: One or more clips failed');
    assert.ok(first < second && second < third && third < result, 'lines in sources order, result last');
    const detail = lines.slice(second + 1, third);
    assert.ok(
      detail.some((l) => /^\s+(Exit Code: \d+|Reason: .+)$/.test(l)),
      `exit code or reason under the failure:\n${detail.join('\n')}`,
    );
    assert.ok(
      detail.some((l) => /Reason: Cannot read source clip_b\.mov/.test(l)),
      detail.join('\n'),
    );
    assert.ok(lines.includes('Processed: 2/3'), shown(r));
    await assertDisk(out);
  });

  test('the command with --json prints the same RunResult', async () => {
    const out = path.join(dir, 'out-json');
    await fs.mkdir(out);
    const file = await writeSpec(dir, spec('out-json'), 'json.jobspec.json');
    const r = await runCli(['execute', file, '--json']);
    assert.equal(r.code, 2, shown(r));
    const result = JSON.parse(r.stdout) as RunResult;
    assertPartial(result, out);
    assert.equal(result.report_path, (await reportsIn(out))[0]);
  });

  test("a clip that ffprobe reads but ffmpeg cannot decode fails with ffmpeg's exit code and stderr", async (t) => {
    // A valid header with its media data cut off: probing succeeds, decoding runs out.
    const media = path.join(dir, 'media');
    const whole = await fs.readFile(path.join(media, 'clip_a.mov'));
    const out = path.join(dir, 'out-truncated');
    await fs.mkdir(out);
    const broken = path.join(dir, 'trunc');
    await fs.mkdir(broken);
    // Keep the moov atom (written at the end by ffmpeg without faststart) and blank the mdat payload.
    const mdat = whole.indexOf('mdat');
    const moov = whole.indexOf('moov');
    assert.ok(mdat > 0 && moov > mdat, 'sample clip layout: mdat before moov');
    const blanked = Buffer.from(whole);
    blanked.fill(0, mdat + 4, moov - 4);
    await fs.writeFile(path.join(broken, 'blank.mov'), blanked);
    const file = await writeSpec(
      dir,
      { ...spec(out), sources: ['trunc/blank.mov'], naming_template: '{source_name}' },
      'trunc.jobspec.json',
    );
    const result = await runSpecFile(file);
    const c = result.clips[0];
    t.diagnostic(`${c.status} exit=${c.exit_code}: ${c.message}`);
    assert.equal(c.status, 'FAILED', c.message);
    assert.equal(result.status, 'FAILED');
    assert.equal(result.exit_code, 2);
    assert.ok(c.ffmpeg_args.length > 0, 'ffmpeg ran');
    assert.ok(typeof c.exit_code === 'number' && c.exit_code !== 0, `ffmpeg's exit code is recorded: ${c.exit_code}`);
    assert.match(c.message ?? '', /ffmpeg exited with code \d+ on blank\.mov/);
    assert.ok(c.stderr_tail.length > 0 && c.stderr_tail.length <= 20, 'the last lines of stderr are kept');
    assert.deepEqual(await tempFilesIn(out), []);
    assert.deepEqual(
      (await fs.readdir(out)).filter((f) => f.endsWith('.mov')),
      [],
    );
  });
});
