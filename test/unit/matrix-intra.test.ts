// The codec/container matrix, intra-frame half: ProRes, DNxHR and DNxHD. Each pair is encoded for
// real and read back by ffprobe: codec, profile, frame size, pixel format, audio and timecode.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { core } from './helpers/core';
import { missingEncoders, pairTests, runPair, type Pair } from './helpers/matrix';
import { audioStreams, ffmpeg, lavfi, makeClip, probe, tools, videoStream } from './helpers/media';
import { tempDir } from './helpers/tmp';
import { tempFilesIn } from './helpers/tree';

const PAIRS: Pair[] = [
  {
    codec: 'prores_proxy',
    container: 'mov',
    resolution: 'half',
    vcodec: 'prores',
    profile: 'Proxy',
    tag: 'apco',
    pixFmt: 'yuv422p10le',
    size: [160, 120],
    acodec: 'pcm_s24le',
  },
  {
    codec: 'prores_lt',
    container: 'mov',
    resolution: 'half',
    vcodec: 'prores',
    profile: 'LT',
    tag: 'apcs',
    pixFmt: 'yuv422p10le',
    size: [160, 120],
    acodec: 'pcm_s24le',
  },
  {
    codec: 'prores_standard',
    container: 'mov',
    resolution: 'half',
    vcodec: 'prores',
    profile: 'Standard',
    tag: 'apcn',
    pixFmt: 'yuv422p10le',
    size: [160, 120],
    acodec: 'pcm_s24le',
  },
  {
    codec: 'prores_hq',
    container: 'mov',
    resolution: 'half',
    vcodec: 'prores',
    profile: 'HQ',
    tag: 'apch',
    pixFmt: 'yuv422p10le',
    size: [160, 120],
    acodec: 'pcm_s24le',
  },
  {
    codec: 'prores_4444',
    container: 'mov',
    resolution: 'half',
    vcodec: 'prores',
    profile: '4444',
    tag: 'ap4h',
    pixFmt: /^yuv444p1[02]le$/,
    size: [160, 120],
    acodec: 'pcm_s24le',
  },
  // DNxHR cannot encode below 256x120, so these keep the 320x240 frame.
  {
    codec: 'dnxhr_lb',
    container: 'mov',
    resolution: 'same',
    vcodec: 'dnxhd',
    profile: 'DNXHR LB',
    pixFmt: 'yuv422p',
    size: [320, 240],
    acodec: 'pcm_s24le',
  },
  {
    codec: 'dnxhr_lb',
    container: 'mxf',
    resolution: 'same',
    vcodec: 'dnxhd',
    profile: 'DNXHR LB',
    pixFmt: 'yuv422p',
    size: [320, 240],
    acodec: 'pcm_s24le',
  },
  {
    codec: 'dnxhr_sq',
    container: 'mov',
    resolution: 'same',
    vcodec: 'dnxhd',
    profile: 'DNXHR SQ',
    pixFmt: 'yuv422p',
    size: [320, 240],
    acodec: 'pcm_s24le',
  },
  {
    codec: 'dnxhr_sq',
    container: 'mxf',
    resolution: 'same',
    vcodec: 'dnxhd',
    profile: 'DNXHR SQ',
    pixFmt: 'yuv422p',
    size: [320, 240],
    acodec: 'pcm_s24le',
  },
  {
    codec: 'dnxhr_hq',
    container: 'mov',
    resolution: 'same',
    vcodec: 'dnxhd',
    profile: 'DNXHR HQ',
    pixFmt: 'yuv422p',
    size: [320, 240],
    acodec: 'pcm_s24le',
  },
  {
    codec: 'dnxhr_hq',
    container: 'mxf',
    resolution: 'same',
    vcodec: 'dnxhd',
    profile: 'DNXHR HQ',
    pixFmt: 'yuv422p',
    size: [320, 240],
    acodec: 'pcm_s24le',
  },
];

let dir: string;
let clip: string;

before(async () => {
  dir = await tempDir(undefined, 'jobspec-matrix-intra-');
  clip = await makeClip(path.join(dir, 'media'), 'src.mov');
});

describe('codec/container matrix: ProRes and DNxHR', () => {
  pairTests(PAIRS, () => ({ dir, clip }));
});

describe('DNxHR frame size', () => {
  test('a DNxHR proxy below 256x120 fails before ffmpeg runs, with a clear message', async () => {
    const { result, out } = await runPair(dir, clip, { codec: 'dnxhr_lb', container: 'mxf', resolution: 'half' });
    const c = result.clips[0];
    assert.equal(c.status, 'FAILED');
    assert.match(
      c.message ?? '',
      /dnxhr_lb needs a frame of at least 256x120, and this clip's proxy would be 160x120\. Choose a larger resolution/,
    );
    assert.deepEqual(c.ffmpeg_args, [], 'ffmpeg never started');
    assert.deepEqual(
      (await fs.readdir(out)).filter((f) => !f.endsWith('.report.json')),
      [],
    );
  });
});

describe('dnxhd', () => {
  test('a 1280x720 source at resolution "same" makes a DNxHD mxf at a legal bitrate', async (t) => {
    const missing = await missingEncoders('dnxhd', 'mxf');
    if (missing) {
      t.skip(`the local ffmpeg lacks ${missing}`);
      return;
    }
    const hd = await makeClip(path.join(dir, 'media'), 'hd720.mov', { size: '1280x720', seconds: 0.4 });
    const { result, probe: p } = await runPair(dir, hd, { codec: 'dnxhd', container: 'mxf', resolution: 'same' });
    const c = result.clips[0];
    assert.equal(c.status, 'COMPLETED', `${c.message}\n${c.stderr_tail.join('\n')}`);
    assert.ok(p);
    const v = videoStream(p);
    assert.equal(v.codec_name, 'dnxhd');
    assert.equal(v.profile, 'DNXHD');
    assert.deepEqual([v.width, v.height], [1280, 720]);
    assert.equal(v.pix_fmt, 'yuv422p');
    assert.match(p.format.format_name, /mxf/);
    // 1280x720 at 25 fps: the lowest legal DNxHD bitrate is 60 Mb/s.
    assert.equal(c.ffmpeg_args[c.ffmpeg_args.indexOf('-b:v') + 1], '60M');
    assert.deepEqual(
      audioStreams(p).map((a) => a.codec_name),
      ['pcm_s24le'],
    );
  });

  test('a 320x240 dnxhd proxy fails before ffmpeg runs, with a message that says what to do', async () => {
    const { result, out } = await runPair(dir, clip, { codec: 'dnxhd', container: 'mxf', resolution: 'same' });
    const c = result.clips[0];
    assert.equal(c.status, 'FAILED');
    assert.equal(result.exit_code, 2);
    assert.match(
      c.message ?? '',
      /dnxhd can only write 1920x1080, 1440x1080, 1280x720, 960x720 frames, and this clip's proxy would be 320x240/,
    );
    assert.match(c.message ?? '', /Set resolution .*or use dnxhr_lb/);
    assert.deepEqual(c.ffmpeg_args, [], 'ffmpeg never started');
    assert.deepEqual(
      (await fs.readdir(out)).filter((f) => !f.endsWith('.report.json')),
      [],
    );
    assert.deepEqual(await tempFilesIn(out), []);
  });

  test('dry run shows the same dnxhd problem without writing anything', async () => {
    const out = path.join(dir, 'out-dry');
    await fs.mkdir(out);
    const text = JSON.stringify({
      sources: [clip],
      output_directory: out,
      codec: 'dnxhd',
      container: 'mxf',
      resolution: 'same',
      naming_template: '{source_name}',
    });
    const loaded = await core.validateJobSpecText(text, path.join(dir, 'dry.jobspec.json'));
    assert.ok(loaded.ok);
    const [d] = await core.dryRun(loaded.spec, await tools());
    assert.match(d.problem ?? '', /dnxhd can only write/);
    assert.deepEqual(await fs.readdir(out), []);
  });
});

test('prores_4444 keeps alpha from a source that has it', async (t) => {
  if (await missingEncoders('prores_4444', 'mov')) {
    t.skip('the local ffmpeg lacks prores_ks');
    return;
  }
  // A ProRes 4444 source with an alpha channel.
  const media = path.join(dir, 'media');
  const alphaSrc = path.join(media, 'alpha.mov');
  await ffmpeg([
    ...lavfi('testsrc2=size=320x240:rate=25,format=yuva444p10le'),
    '-t',
    '0.4',
    '-c:v',
    'prores_ks',
    '-profile:v',
    '4',
    '-pix_fmt',
    'yuva444p10le',
    alphaSrc,
  ]);
  const { result, probe: p } = await runPair(dir, alphaSrc, { codec: 'prores_4444', container: 'mov', resolution: 'half' });
  assert.equal(result.clips[0].status, 'COMPLETED', result.clips[0].message);
  assert.ok(p);
  // ffmpeg's ProRes decoder reports 4444 as 12-bit whatever the encoder wrote; the alpha is the point.
  assert.match(videoStream(p).pix_fmt ?? '', /^yuva444p1[02]le$/);
  assert.deepEqual(audioStreams(p), [], 'no audio in, none out');
  const plain = await probe(clip);
  assert.equal(videoStream(plain).pix_fmt, 'yuv420p');
});
