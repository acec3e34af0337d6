// The codec/container matrix, long-GOP half: H.264, H.265, VP9 and AV1 in every container the
// contract allows. Each pair is encoded for real and read back by ffprobe. An encoder the local
// ffmpeg lacks is skipped with the reason; a missing encoder is refused before any clip runs.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { RunEvent, Tools } from '../../src/core';
import { core } from './helpers/core';
import { missingEncoders, pairTests, runPair, type Pair } from './helpers/matrix';
import { audioStreams, makeClip, timecodeOf, tools, videoStream } from './helpers/media';
import { tempDir } from './helpers/tmp';

const half = { resolution: 'half', size: [160, 120] as [number, number], pixFmt: 'yuv420p' };
// audio "auto": AAC in mp4, a copy of the source's PCM in mkv, Opus in webm, PCM in mov.
const PAIRS: Pair[] = [
  { codec: 'h264', container: 'mp4', vcodec: 'h264', profile: 'High', acodec: 'aac', ...half },
  { codec: 'h264', container: 'mov', vcodec: 'h264', profile: 'High', acodec: 'pcm_s24le', ...half },
  { codec: 'h264', container: 'mkv', vcodec: 'h264', profile: 'High', acodec: 'pcm_s16le', ...half },
  { codec: 'h265', container: 'mp4', vcodec: 'hevc', tag: 'hvc1', acodec: 'aac', ...half },
  { codec: 'h265', container: 'mov', vcodec: 'hevc', tag: 'hvc1', acodec: 'pcm_s24le', ...half },
  { codec: 'h265', container: 'mkv', vcodec: 'hevc', acodec: 'pcm_s16le', ...half },
  { codec: 'vp9', container: 'webm', vcodec: 'vp9', acodec: 'opus', ...half },
  { codec: 'vp9', container: 'mkv', vcodec: 'vp9', acodec: 'pcm_s16le', ...half },
  { codec: 'av1', container: 'mp4', vcodec: 'av1', acodec: 'aac', ...half },
  { codec: 'av1', container: 'mkv', vcodec: 'av1', acodec: 'pcm_s16le', ...half },
  { codec: 'av1', container: 'webm', vcodec: 'av1', acodec: 'opus', ...half },
];

let dir: string;
let clip: string;

before(async () => {
  dir = await tempDir(undefined, 'jobspec-matrix-delivery-');
  clip = await makeClip(path.join(dir, 'media'), 'src.mov');
});

describe('codec/container matrix: H.264, H.265, VP9, AV1', () => {
  pairTests(PAIRS, () => ({ dir, clip }));

  test('hevc is the same codec as h265', async (t) => {
    if (await missingEncoders('h265', 'mp4')) {
      t.skip('the local ffmpeg lacks libx265');
      return;
    }
    const { result, probe: p } = await runPair(dir, clip, { codec: 'hevc', container: 'MP4', resolution: '100x100' });
    assert.equal(result.clips[0].status, 'COMPLETED', result.clips[0].message);
    assert.ok(p);
    assert.equal(path.basename(result.clips[0].output), 'src_h265.mp4', '{codec} is the canonical name, the extension lower-case');
    const v = videoStream(p);
    assert.equal(v.codec_name, 'hevc');
    assert.deepEqual([v.width, v.height], [100, 74], 'WxH fits inside the box, keeps aspect, even dimensions');
  });
});

describe('timecode through Matroska', () => {
  test("an mkv proxy keeps the source's timecode, and an mkv source's timecode is carried on", async () => {
    const mkv = await runPair(dir, clip, { codec: 'h264', container: 'mkv', resolution: 'same' }, { naming_template: 'tc_source' });
    assert.equal(mkv.result.clips[0].status, 'COMPLETED', mkv.result.clips[0].message);
    assert.deepEqual(
      mkv.result.clips[0].verification?.find((c) => c.name === 'timecode'),
      { name: 'timecode', ok: true, expected: '01:00:00:00', actual: '01:00:00:00' },
    );
    const info = await core.probeSource(await tools(), mkv.result.clips[0].output);
    assert.equal(info.timecode, '01:00:00:00', 'probeSource reads the upper-case TIMECODE tag');
    const mov = await runPair(dir, mkv.result.clips[0].output, { codec: 'prores_proxy', container: 'mov', resolution: 'half' });
    assert.equal(mov.result.clips[0].status, 'COMPLETED', mov.result.clips[0].message);
    assert.equal(timecodeOf(mov.probe!), '01:00:00:00');
  });
});

describe('audio policies and resolution boxes', () => {
  test('audio "none" drops audio, "aac" encodes it, "copy" keeps the codec', async () => {
    const none = await runPair(dir, clip, { codec: 'h264', container: 'mkv', resolution: 'quarter' }, { audio: 'none', job_id: 'none' });
    assert.equal(none.result.clips[0].status, 'COMPLETED', none.result.clips[0].message);
    assert.deepEqual(audioStreams(none.probe!), []);
    assert.deepEqual([videoStream(none.probe!).width, videoStream(none.probe!).height], [80, 60]);
    const aac = await runPair(dir, clip, { codec: 'h264', container: 'mov', resolution: '2000x2000' }, { audio: 'aac' });
    assert.equal(aac.result.clips[0].status, 'COMPLETED', aac.result.clips[0].message);
    assert.deepEqual(
      audioStreams(aac.probe!).map((a) => a.codec_name),
      ['aac'],
    );
    assert.deepEqual(
      [videoStream(aac.probe!).width, videoStream(aac.probe!).height],
      [320, 240],
      'a box larger than the source never upscales',
    );
    const copy = await runPair(dir, clip, { codec: 'h264', container: 'mov', resolution: '160x240' }, { audio: 'copy' });
    assert.equal(copy.result.clips[0].status, 'COMPLETED', copy.result.clips[0].message);
    assert.deepEqual(
      audioStreams(copy.probe!).map((a) => a.codec_name),
      ['pcm_s16le'],
    );
    assert.deepEqual([videoStream(copy.probe!).width, videoStream(copy.probe!).height], [160, 120]);
  });

  test('a source without audio makes a proxy without audio under every policy', async () => {
    const silent = await makeClip(path.join(dir, 'media'), 'silent.mov', { audio: false, seconds: 0.4 });
    const r = await runPair(dir, silent, { codec: 'h264', container: 'mp4', resolution: 'half' }, { audio: 'aac' });
    assert.equal(r.result.clips[0].status, 'COMPLETED', r.result.clips[0].message);
    assert.deepEqual(audioStreams(r.probe!), []);
  });
});

describe('encoders the local ffmpeg lacks', () => {
  test('are refused before any clip runs, naming the encoder', async () => {
    const real = await tools();
    const lacking: Tools = { ...real, encoders: new Set([...real.encoders].filter((e) => e !== 'libx265')) };
    const out = path.join(dir, 'out-noenc');
    await fs.mkdir(out);
    const text = JSON.stringify({
      sources: [clip],
      output_directory: out,
      codec: 'h265',
      container: 'mkv',
      resolution: 'half',
      naming_template: 'x',
    });
    const loaded = await core.validateJobSpecText(text, path.join(dir, 'noenc.jobspec.json'));
    assert.ok(loaded.ok);
    const events: RunEvent[] = [];
    await assert.rejects(
      core.runJob(loaded.spec, { tools: lacking, jobspecFile: 'noenc', onEvent: (e) => events.push(e) }),
      (e: Error & { code?: string }) => {
        assert.equal(e.name, 'EnvironmentError');
        assert.equal(e.code, 'encoder-missing');
        assert.match(e.message, /lacks the encoder libx265 that codec h265/);
        return true;
      },
    );
    assert.deepEqual(events, [], 'nothing started');
    assert.deepEqual(await fs.readdir(out), []);

    const noAv1: Tools = { ...real, encoders: new Set([...real.encoders].filter((e) => !/av1|rav1e/.test(e))) };
    const av1 = await core.validateJobSpecText(text.replace('"h265"', '"av1"'), path.join(dir, 'noenc.jobspec.json'));
    assert.ok(av1.ok);
    await assert.rejects(
      core.runJob(av1.spec, { tools: noAv1, jobspecFile: 'noenc' }),
      /codec av1 needs an AV1 encoder \(libsvtav1, libaom-av1, librav1e\)/,
    );
  });
});
