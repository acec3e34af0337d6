// Trust rule 3, COMPLETED means complete, with the real ffmpeg (5.1 exits 0 when the end of a file
// cannot be written) on a real full disk (a small tmpfs; root on Linux, skipped with the printed
// reason elsewhere), and with stand-ins that run the real ffmpeg and then lose what a broken disk
// or share would lose. A clip whose proxy misses frames, whose duration cannot be read, or whose
// ffmpeg reported a write or trailer failure FAILS, and nothing is kept under the final name.
// `--no-verify` drops the read-back of the proxy but keeps ffmpeg's write failures and its own
// frame statistics.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { ClipResult } from '../../src/core/types';
import { runCli, shown, toolArgs } from './helpers/cli';
import { standIn } from './helpers/executables';
import type { ClipOptions } from './helpers/media';
import { mountSkipReason, mountTmpfs } from './helpers/mounts';
import { checkAftermath, makeScene, runResult, type Scene } from './helpers/scene';
import type { SpecFields } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { snapshot } from './helpers/tree';
import { skipped } from './helpers/volumes';

/** The one clip of a run, after the checks every failure must pass (no temp, sources and earlier outputs unchanged, report). */
async function failedClip(s: Scene, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ClipResult> {
  s.outBefore = snapshot(s.out);
  const r = await runCli(['execute', s.specFile, '--json', ...args], { env, timeoutMs: 60_000 });
  const result = runResult(r);
  assert.equal(r.code, 2, shown(r));
  assert.equal(result.status, 'FAILED', shown(r));
  // Nothing but the report appears: no proxy under its final name, no temporary file.
  await checkAftermath(s, result, r, { reportMayFail: true });
  return result.clips[0];
}

const LAST_WRITE: { codec: string; container: string }[] = [
  { codec: 'vp9', container: 'webm' },
  { codec: 'vp9', container: 'mkv' },
  { codec: 'prores_proxy', container: 'mov' },
  { codec: 'h264', container: 'mp4' },
];

describe('rule 3: the disk fills at the last write of the proxy (tmpfs)', { concurrency: 2 }, () => {
  for (const { codec, container } of LAST_WRITE) {
    test(`${codec} in ${container}: one block short of the whole proxy, ffmpeg exits 0 with a trailer error: FAILED "disk … is full", nothing kept (also with --no-verify)`, async (t) => {
      if (skipped(t, mountSkipReason())) return;
      const spec: SpecFields = { codec, container, resolution: 'same' };
      // The proxy's full size, from the same encode of the same clip on a disk with room.
      const ref = await makeScene(t, { spec, existing: false });
      const refRun = await runCli(['execute', ref.specFile, '--json', ...toolArgs()], { timeoutMs: 60_000 });
      assert.equal(refRun.code, 0, shown(refRun));
      const full = runResult(refRun).clips[0].output_size ?? 0;
      assert.ok(full > 0);

      const vol = path.join(await tempDir(t), 'small-disk');
      await mountTmpfs(t, vol, `size=${full + 2 * 1024 * 1024}`);
      const block = fs.statfsSync(vol).bsize;
      // Everything but the proxy's last block: its data fits, the end of the file (the trailer,
      // the cue index, the moov atom moved to the front) does not.
      const leave = Math.ceil(full / block) * block - block;
      const out = path.join(vol, 'out');
      await fsp.mkdir(out);
      const s = await makeScene(t, { spec, out, existing: 'unrelated' });
      const filler = path.join(vol, 'filler');
      const env = { STANDIN_FILLER: filler, STANDIN_LEAVE_BYTES: String(leave) };
      for (const extra of [[], ['--no-verify']]) {
        await fsp.rm(filler, { force: true });
        const c = await failedClip(s, [...extra, ...toolArgs(standIn('stand-in-ffmpeg-fill-disk.sh'))], env);
        const why = `${extra.join(' ') || 'verify'}, proxy ${full} bytes, ${leave} left free: ${c.message}`;
        assert.ok(fs.statSync(filler).size > 0, 'the disk was filled');
        assert.equal(c.status, 'FAILED', why);
        assert.equal(c.exit_code, 0, `ffmpeg 5.1 exits 0 when it cannot finish the file: ${why}`);
        assert.ok(
          c.message?.startsWith(`The disk holding ${out} is full: ffmpeg exited 0 but did not finish writing the proxy on A001.mov`),
          why,
        );
        assert.match(c.message ?? '', /Error writing trailer of .*: No space left on device/, why);
        assert.match(c.message ?? '', /free space or choose another output_directory, then re-run the failed clips/, why);
        assert.equal(c.output_size, null);
      }
    });
  }
});

describe('rule 3: frames and duration, whatever ffmpeg exits with', { concurrency: 2 }, () => {
  test('ffmpeg loses a frame on the way and exits 0 (its statistics honest, the duration intact): FAILED, also with --no-verify', async (t) => {
    // 25 frames read, 24 written: the proxy's duration still spans the clip (passthrough keeps the
    // gap), and the file holds every frame ffmpeg wrote, so only ffmpeg's own counts show it.
    const s = await makeScene(t, { existing: 'unrelated' });
    for (const extra of [[], ['--no-verify']]) {
      const c = await failedClip(s, [...extra, ...toolArgs(standIn('stand-in-ffmpeg-drop-frame.sh'))], { STANDIN_DROP_FRAME: '12' });
      assert.equal(c.exit_code, 0);
      assert.equal(
        c.message,
        'ffmpeg read 25 frames of picture from A001.mov but wrote only 24 to its proxy: the proxy would be 1 frame(s) short, and an editing system would refuse to relink it. It was not kept; re-run the clip, and report it if it happens again.',
      );
    }
  });

  test('a clip whose proxy fails its check after the next clip began: that next clip is stopped, NOT_RUN, nothing of it kept (fail-fast holds with checks overlapping encodes)', async (t) => {
    const s = await makeScene(t, {
      sources: [
        ['A001_BAD.mov', 'clip'],
        ['A002.mov', 'medium'],
        ['A003.mov', 'clip'],
      ],
      existing: 'unrelated',
    });
    const r = await runCli(['execute', s.specFile, '--json', ...toolArgs(standIn('stand-in-ffmpeg-bad-tail-then-paced.sh'))], {
      env: { STANDIN_CUT_PERCENT: '30' },
      timeoutMs: 90_000,
    });
    const result = runResult(r);
    assert.equal(r.code, 2, shown(r));
    assert.deepEqual(
      result.clips.map((c) => c.status),
      ['FAILED', 'NOT_RUN', 'NOT_RUN'],
    );
    assert.match(result.clips[0].message ?? '', /failed verification: .*frame count/);
    // The second clip really began (its ffmpeg ran) before the first one's check failed.
    assert.ok(result.clips[1].ffmpeg_args.length > 0 && result.clips[1].started_at, 'the next clip had started');
    assert.match(
      result.clips[1].message ?? '',
      /A001_BAD\.mov failed after this clip had begun .*stopped and nothing of it was kept \(fail-fast\)/,
    );
    assert.ok(
      (result.clips[1].elapsed_seconds ?? 99) < 4,
      `stopped early, not run to its end (${result.clips[1].elapsed_seconds} s of a 4 s paced clip)`,
    );
    assert.equal(result.clips[2].ffmpeg_args.length, 0, 'the third never started');
    await checkAftermath(s, result, r);
  });

  for (const container of ['mkv', 'mp4'] as const) {
    test(`the ${container} proxy loses its tail after ffmpeg exits 0: the frames counted in the file fall short, FAILED, nothing kept`, async (t) => {
      const s = await makeScene(t, { spec: { container, codec: container === 'mkv' ? 'vp9' : 'h264' }, existing: 'unrelated' });
      const c = await failedClip(s, toolArgs(standIn('stand-in-ffmpeg-lose-tail.sh')), { STANDIN_CUT_PERCENT: '20' });
      assert.equal(c.exit_code, 0);
      assert.match(
        c.message ?? '',
        /^The proxy for A001\.mov failed verification: .*frame count is (\d+|unreadable), expected 25 \(as ffmpeg wrote them\).* It was not kept\.$/,
      );
      const count = c.verification?.find((v) => v.name === 'frame count');
      assert.equal(count?.ok, false, JSON.stringify(c.verification));
    });
  }

  test('a proxy that states no duration (an unseekable output) is FAILED, even when ffprobe could guess one from the bitrate', async (t) => {
    // A flat picture with PCM sound in mkv: the proxy's size is mostly sound at a known bitrate, so
    // ffprobe's estimate lands within a frame of the real length; it is still not in the file. In
    // webm without sound there is nothing to estimate from.
    const cases: [ClipOptions, string][] = [
      [{ picture: 'color=c=gray', seconds: 2 }, 'mkv'],
      [{ audio: false }, 'webm'],
    ];
    for (const [clip, container] of cases) {
      const s = await makeScene(t, { sources: [['A001.mov', clip]], spec: { codec: 'vp9', container }, existing: 'unrelated' });
      const c = await failedClip(s, toolArgs(standIn('stand-in-ffmpeg-unseekable.sh')));
      assert.equal(c.exit_code, 0);
      const duration = c.verification?.find((v) => v.name === 'duration');
      assert.equal(duration?.ok, false, `${container}: ${JSON.stringify(c.verification)}`);
      assert.match(duration?.actual ?? '', /^unreadable/);
      assert.match(c.message ?? '', /failed verification: duration is unreadable/);
      // Every other check passed: the frames are all there; only the duration is missing.
      assert.deepEqual(
        c.verification?.filter((v) => !v.ok).map((v) => v.name),
        ['duration'],
      );
    }
  });
});
