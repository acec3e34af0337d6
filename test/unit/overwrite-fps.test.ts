// The overwrite policies (never, skip, replace) against an existing output, and fps_mode "explicit"
// reaching the proxy.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { RunResult } from '../../src/core';
import { runCli, shown } from './helpers/cli';
import { makeClip, probe, videoStream } from './helpers/media';
import { runSpecFile } from './helpers/run';
import { writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { tempFilesIn } from './helpers/tree';

let dir: string;
const SENTINEL = 'an earlier proxy that must not be lost\n';
const OLD = new Date('2020-01-01T00:00:00Z');

before(async () => {
  dir = await tempDir(undefined, 'jobspec-overwrite-');
  await makeClip(path.join(dir, 'media'), 'one.mov');
  await makeClip(path.join(dir, 'media'), 'two.mov', { frequency: 880 });
});

/** A two-clip job whose first output already exists (with known contents, inode and mtime). */
async function setUp(policy: string): Promise<{ file: string; out: string; existing: string; ino: number }> {
  const out = path.join(dir, `out-${policy}`);
  await fs.mkdir(out);
  const existing = path.join(out, 'one_proxy.mov');
  await fs.writeFile(existing, SENTINEL);
  await fs.utimes(existing, OLD, OLD);
  const file = await writeSpec(
    dir,
    {
      job_id: `ow-${policy}`,
      sources: ['media/one.mov', 'media/two.mov'],
      output_directory: out,
      codec: 'prores_proxy',
      container: 'mov',
      resolution: 'quarter',
      naming_template: '{source_name}_proxy',
      overwrite: policy,
    },
    `${policy}.jobspec.json`,
  );
  return { file, out, existing, ino: (await fs.stat(existing)).ino };
}

async function assertUntouched(existing: string, ino: number): Promise<void> {
  const st = await fs.stat(existing);
  assert.equal(await fs.readFile(existing, 'utf8'), SENTINEL, 'contents untouched');
  assert.equal(st.ino, ino, 'same file');
  assert.equal(st.mtime.getTime(), OLD.getTime(), 'not even rewritten');
}

describe('overwrite policies', () => {
  test('never (the default): the existing output is untouched and the clip FAILS saying why', async () => {
    const { file, out, existing, ino } = await setUp('never');
    const result = await runSpecFile(file);
    assert.deepEqual(
      result.clips.map((c) => c.status),
      ['FAILED', 'NOT_RUN'],
      'fail-fast after the refusal',
    );
    assert.equal(result.status, 'FAILED');
    assert.equal(result.exit_code, 2);
    const c = result.clips[0];
    assert.match(
      c.message ?? '',
      /Output already exists: .*one_proxy\.mov; overwrite is "never", so it was not touched\. Move or delete it, or set overwrite to "skip" or "replace"/,
    );
    assert.deepEqual(c.ffmpeg_args, [], 'ffmpeg never ran');
    await assertUntouched(existing, ino);
    assert.deepEqual(await tempFilesIn(out), []);

    // The same through the command: exit 2 and the reason printed.
    const r = await runCli(['execute', file]);
    assert.equal(r.code, 2, shown(r));
    assert.match(r.stdout, /\[1\/2\] FAILED one\.mov \(.*\n\s+Reason: Output already exists/);
    await assertUntouched(existing, ino);
  });

  test('skip: SKIPPED, the other clip still runs, exit 0', async () => {
    const { file, out, existing, ino } = await setUp('skip');
    const result = await runSpecFile(file);
    assert.deepEqual(
      result.clips.map((c) => c.status),
      ['SKIPPED', 'COMPLETED'],
    );
    assert.equal(result.status, 'COMPLETED');
    assert.equal(result.exit_code, 0);
    assert.match(result.clips[0].message ?? '', /Output already exists: .*; overwrite is "skip", so it was left as it is/);
    await assertUntouched(existing, ino);
    assert.equal(videoStream(await probe(path.join(out, 'two_proxy.mov'))).codec_name, 'prores');

    // Second time round both exist: the command skips both and exits 0.
    const r = await runCli(['execute', file]);
    assert.equal(r.code, 0, shown(r));
    assert.match(r.stdout, /\[1\/2\] SKIPPED one\.mov/);
    assert.match(r.stdout, /\[2\/2\] SKIPPED two\.mov/);
    assert.match(r.stdout, /Result: All clips completed \(some skipped by the overwrite policy\)/);
    await assertUntouched(existing, ino);
  });

  test('replace: the existing output is replaced by a new file (new inode, new contents)', async () => {
    const { file, out, existing, ino } = await setUp('replace');
    const result = await runSpecFile(file);
    assert.deepEqual(
      result.clips.map((c) => c.status),
      ['COMPLETED', 'COMPLETED'],
    );
    assert.equal(result.exit_code, 0);
    const st = await fs.stat(existing);
    assert.notEqual(st.ino, ino, 'a new file (renamed into place), not the old one rewritten');
    assert.notEqual((await fs.readFile(existing)).subarray(0, SENTINEL.length).toString(), SENTINEL);
    assert.equal(st.size, result.clips[0].output_size);
    const v = videoStream(await probe(existing));
    assert.equal(v.codec_name, 'prores');
    assert.deepEqual([v.width, v.height], [80, 60]);
    assert.deepEqual(await tempFilesIn(out), []);
  });
});

describe('fps_mode explicit', () => {
  async function runFps(fps: number, codec: string, container: string): Promise<{ result: RunResult; output: string }> {
    const out = path.join(dir, `out-fps-${fps}`);
    await fs.mkdir(out);
    const file = await writeSpec(
      dir,
      {
        sources: ['media/one.mov'],
        output_directory: out,
        codec,
        container,
        resolution: 'half',
        naming_template: '{source_name}_{index}',
        fps_mode: 'explicit',
        fps_explicit: fps,
      },
      `fps-${fps}.jobspec.json`,
    );
    const result = await runSpecFile(file);
    assert.equal(result.clips[0].status, 'COMPLETED', `${result.clips[0].message}\n${result.clips[0].stderr_tail.join('\n')}`);
    return { result, output: result.clips[0].output };
  }

  test('fps_explicit 12 from a 25 fps source reaches the proxy: 12/1 and 12 frames for 1 s', async () => {
    const src = videoStream(await probe(path.join(dir, 'media', 'one.mov'), { countFrames: true }));
    assert.equal(src.r_frame_rate, '25/1');
    assert.equal(src.nb_read_frames, '25');
    const { result, output } = await runFps(12, 'prores_proxy', 'mov');
    const args = result.clips[0].ffmpeg_args;
    assert.match(args[args.indexOf('-vf') + 1], /(^|,)fps=12\/1(,|$)/);
    const p = await probe(output, { countFrames: true });
    const v = videoStream(p);
    assert.equal(v.r_frame_rate, '12/1');
    assert.equal(v.avg_frame_rate, '12/1');
    assert.equal(v.nb_read_frames, '12');
    assert.ok(Math.abs(Number(p.format.duration) - 1) < 0.1, `duration ${p.format.duration} stays about 1 s`);
  });

  test('fps_explicit 23.976 is applied as the exact fraction 24000/1001', async () => {
    const { output } = await runFps(23.976, 'h264', 'mp4');
    const v = videoStream(await probe(output, { countFrames: true }));
    assert.equal(v.r_frame_rate, '24000/1001');
    assert.equal(v.nb_read_frames, '24');
  });
});
