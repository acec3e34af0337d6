// Proxies that relink (issue "3 of 7"): sources shaped like the real ones, made with ffmpeg at test
// time, each turned into a proxy, and what ffprobe reads back from the proxy compared with what an
// editing system compares: the picture as displayed, frame rate and count, field order, colour tags,
// each audio stream, timecode and reel. ffprobe here is independent of the runner's own verification.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { RunResult } from '../../src/core';
import { core } from './helpers/core';
import { REAL_FFPROBE } from './helpers/executables';
import { ffmpeg, h264Fast, lavfi, tools } from './helpers/media';
import { loadValid, runOneClip, writeOneClipSpec } from './helpers/run';
import { tempDir } from './helpers/tmp';

const run = promisify(execFile);

interface Stream {
  codec_type: string;
  codec_name?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  field_order?: string;
  color_primaries?: string;
  color_transfer?: string;
  color_space?: string;
  color_range?: string;
  channels?: number;
  channel_layout?: string;
  sample_rate?: string;
  nb_read_packets?: string;
  duration?: string;
  tags?: Record<string, string>;
  side_data_list?: { rotation?: number }[];
}

async function readBack(file: string): Promise<{ streams: Stream[]; format: { tags?: Record<string, string>; duration?: string } }> {
  const { stdout } = await run(
    REAL_FFPROBE,
    ['-v', 'error', '-count_packets', '-print_format', 'json', '-show_streams', '-show_format', `file:${file}`],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout) as { streams: Stream[]; format: { tags?: Record<string, string>; duration?: string } };
}

const video = (p: { streams: Stream[] }): Stream => {
  const v = p.streams.find((s) => s.codec_type === 'video');
  assert.ok(v, 'a video stream');
  return v;
};
const audio = (p: { streams: Stream[] }): Stream[] => p.streams.filter((s) => s.codec_type === 'audio');
const timecode = (p: { streams: Stream[]; format: { tags?: Record<string, string> } }): string | undefined =>
  p.format.tags?.timecode ?? p.streams.map((s) => s.tags?.timecode).find((t) => t !== undefined);

let dir: string;
let media: string;

before(async () => {
  dir = await tempDir(undefined, 'jobspec-relink-');
  media = path.join(dir, 'media');
  await fs.mkdir(media, { recursive: true });
});

/** Every proxy here: ProRes Proxy in mov (runOneClip's), at half size. */
const HALF = { resolution: 'half' };

/** Run one source through the engine in-process and read the proxy back. */
async function proxyOf(
  source: string,
  fields: Record<string, unknown>,
  label: string,
): Promise<{ result: RunResult; probe?: Awaited<ReturnType<typeof readBack>> }> {
  const result = await runOneClip(dir, source, label, fields, HALF);
  if (result.clips[0].status !== 'COMPLETED') return { result };
  return { result, probe: await readBack(result.clips[0].output) };
}

function completed(r: RunResult): void {
  assert.equal(r.clips[0].status, 'COMPLETED', r.clips[0].message);
}

const testsrc = (size: string, rate: string, seconds: number): string[] => lavfi(`testsrc2=size=${size}:rate=${rate}:duration=${seconds}`);
const tone = (seconds: number): string[] => lavfi(`sine=frequency=440:sample_rate=48000:duration=${seconds}`);

describe('geometry: the picture as displayed, in square pixels', () => {
  for (const rotation of [90, 270]) {
    test(`a phone clip held upright (rotation ${rotation}) becomes a portrait proxy, not a squeezed landscape one`, async () => {
      const plain = path.join(media, `phone-plain-${rotation}.mp4`);
      await ffmpeg([...testsrc('320x180', '30', 1), ...tone(1), ...h264Fast(), '-c:a', 'aac', '-shortest', plain]);
      const phone = path.join(media, `phone-${rotation}.mp4`);
      await ffmpeg(['-i', plain, '-c', 'copy', '-metadata:s:v:0', `rotate=${rotation}`, phone]);
      const { result, probe } = await proxyOf(phone, {}, `rot${rotation}`);
      completed(result);
      const v = video(probe ?? { streams: [] });
      assert.deepEqual([v.width, v.height], [90, 160], 'portrait, half of 180x320 as displayed');
      assert.equal(v.sample_aspect_ratio ?? '1:1', '1:1');
      assert.ok(!v.side_data_list?.some((d) => d.rotation), 'the picture is upright itself: no display rotation left');
      const check = result.clips[0].verification?.find((c) => c.name === 'display aspect');
      assert.ok(check?.ok, JSON.stringify(check));
      assert.equal(result.clips[0].relink?.source.display_width, 180);
      assert.equal(result.clips[0].relink?.source.display_height, 320);
    });
  }

  test('a 2x anamorphic clip keeps its display aspect, in square pixels', async () => {
    const src = path.join(media, 'anamorphic.mov');
    await ffmpeg([...testsrc('320x240', '25', 1), '-vf', 'setsar=2', ...h264Fast(), src]);
    const { result, probe } = await proxyOf(src, {}, 'anamorphic');
    completed(result);
    const v = video(probe ?? { streams: [] });
    assert.deepEqual([v.width, v.height], [320, 120], 'half of 640x240 as displayed');
    assert.equal(v.sample_aspect_ratio, '1:1');
    assert.equal(result.clips[0].relink?.source.display_aspect, Math.round((640 / 240) * 10000) / 10000);
  });
});

describe('interlaced 1080i50, top field first', () => {
  let src: string;
  before(async () => {
    src = path.join(media, 'i50.mov');
    await ffmpeg([
      ...testsrc('1920x1080', '25', 0.4),
      ...tone(0.4),
      '-vf',
      'setfield=tff',
      ...h264Fast(),
      '-flags',
      '+ildct+ilme',
      '-x264opts',
      'tff=1',
      '-c:a',
      'pcm_s16le',
      '-shortest',
      src,
    ]);
    assert.equal(video(await readBack(src)).field_order, 'tt');
  });

  for (const [codec, container] of [
    ['prores_proxy', 'mov'],
    ['h264', 'mov'],
  ]) {
    test(`${codec}: scaled field by field, still top field first`, async () => {
      const { result, probe } = await proxyOf(src, { codec, container }, `i50-${codec}`);
      completed(result);
      assert.equal(video(probe ?? { streams: [] }).field_order, 'tt');
      assert.match(result.clips[0].ffmpeg_args.join(' '), /interl=1/);
    });
  }

  test('dnxhr_lb is refused for it with the reason (ffmpeg writes DNxHR progressive only), before ffmpeg runs', async () => {
    const { result } = await proxyOf(src, { codec: 'dnxhr_lb', container: 'mxf' }, 'i50-dnxhr');
    assert.equal(result.clips[0].status, 'FAILED');
    assert.match(result.clips[0].message ?? '', /dnxhr_lb cannot keep this clip's interlacing \(field order tt\)/);
    assert.deepEqual(result.clips[0].ffmpeg_args, []);
  });
});

describe('frame rate, frame count and timecode', () => {
  test('29.97 drop-frame: frame rate, every frame and the drop-frame timecode carried', async () => {
    const src = path.join(media, 'df.mov');
    await ffmpeg([...testsrc('320x240', '30000/1001', 1), ...h264Fast(), '-timecode', '01:00:00;00', src]);
    const { result, probe } = await proxyOf(src, {}, 'df');
    completed(result);
    const p = probe ?? { streams: [], format: {} };
    assert.equal(video(p).avg_frame_rate, '30000/1001');
    assert.equal(video(p).nb_read_packets, video(await readBack(src)).nb_read_packets);
    assert.equal(timecode(p), '01:00:00;00');
    for (const name of ['frame rate', 'frame count', 'source frames', 'timecode']) {
      assert.ok(result.clips[0].verification?.find((c) => c.name === name)?.ok, name);
    }
  });

  test('23.976: the exact rate and every frame', async () => {
    const src = path.join(media, 'p23.mov');
    await ffmpeg([...testsrc('320x240', '24000/1001', 1), ...h264Fast(), '-timecode', '10:00:00:00', src]);
    const { result, probe } = await proxyOf(src, {}, 'p23');
    completed(result);
    assert.equal(video(probe ?? { streams: [] }).avg_frame_rate, '24000/1001');
    assert.equal(result.clips[0].relink?.proxy?.frames, result.clips[0].relink?.source.frames);
    assert.equal(result.clips[0].relink?.source.frames, 24);
  });

  test('a variable-frame-rate phone clip: one proxy frame per source frame', async () => {
    const src = path.join(media, 'vfr.mp4');
    // Every fifth frame dropped with its timestamp kept: 30 fps with holes, as phones record.
    await ffmpeg([...testsrc('320x180', '30', 2), '-vf', "select='not(eq(mod(n,5),4))'", '-fps_mode', 'vfr', ...h264Fast(), src]);
    const source = await readBack(src);
    assert.notEqual(video(source).avg_frame_rate, video(source).r_frame_rate, 'the source really is variable');
    const { result, probe } = await proxyOf(src, {}, 'vfr');
    completed(result);
    assert.equal(video(probe ?? { streams: [] }).nb_read_packets, video(source).nb_read_packets);
  });

  test('conforming refuses, before ffmpeg runs, a timecode that does not exist at the new rate', async () => {
    const src = path.join(media, 'tc24.mov');
    await ffmpeg([...testsrc('320x240', '25', 0.4), ...h264Fast(), '-timecode', '01:00:00:24', src]);
    const { result } = await proxyOf(src, { fps_mode: 'explicit', fps_explicit: 23.976 }, 'conform-tc');
    assert.equal(result.clips[0].status, 'FAILED');
    assert.match(result.clips[0].message ?? '', /conforming to 23\.976 fps cannot keep this clip's timecode 01:00:00:24/);
    assert.deepEqual(result.clips[0].ffmpeg_args, []);
  });
});

describe('audio, as an editing system matches it: per stream, in order', () => {
  test('16 mono tracks in MXF (as Sony and ARRI write them) stay 16 mono tracks at 48 kHz', async () => {
    const src = path.join(media, 'sixteen.mxf');
    const inputs: string[] = [];
    const maps = ['-map', '0:v'];
    for (let i = 0; i < 16; i++) {
      inputs.push(...lavfi(`sine=frequency=${200 + i * 50}:sample_rate=48000:duration=0.4`));
      maps.push('-map', `${i + 1}:a`);
    }
    await ffmpeg([
      ...testsrc('1920x1080', '25', 0.4),
      ...inputs,
      ...maps,
      '-c:v',
      'dnxhd',
      '-profile:v',
      'dnxhr_lb',
      '-pix_fmt',
      'yuv422p',
      '-c:a',
      'pcm_s24le',
      '-timecode',
      '11:00:00:00',
      '-f',
      'mxf',
      src,
    ]);
    assert.equal(audio(await readBack(src)).length, 16);
    const { result, probe } = await proxyOf(src, {}, 'sixteen');
    completed(result);
    const a = audio(probe ?? { streams: [] });
    assert.equal(a.length, 16);
    for (const s of a) assert.deepEqual([s.channels, s.sample_rate], [1, '48000']);
    assert.equal(result.clips[0].verification?.filter((c) => /^audio \d+$/.test(c.name)).length, 16);
  });

  test('5.1 stays six channels in the 5.1 layout', async () => {
    const src = path.join(media, 'five-one.mov');
    await ffmpeg([
      ...testsrc('320x240', '25', 0.4),
      ...tone(0.4),
      '-filter_complex',
      '[1:a]pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0[a]',
      '-map',
      '0:v',
      '-map',
      '[a]',
      ...h264Fast(),
      '-c:a',
      'pcm_s16le',
      src,
    ]);
    const { result, probe } = await proxyOf(src, {}, 'five-one');
    completed(result);
    const [a] = audio(probe ?? { streams: [] });
    assert.equal(a.channels, 6);
    assert.match(a.channel_layout ?? '', /^5\.1/);
  });

  test('audio half a second longer than the picture (phone clips) does not fail a good proxy: durations compare video with video', async () => {
    const src = path.join(media, 'long-audio.mov');
    await ffmpeg([...testsrc('320x240', '25', 1), ...tone(1.5), ...h264Fast(), '-c:a', 'pcm_s16le', src]);
    const { result } = await proxyOf(src, {}, 'long-audio');
    completed(result);
    const d = result.clips[0].verification?.find((c) => c.name === 'duration');
    assert.match(d?.expected ?? '', /^1\.000s/);
  });

  test('44.1 kHz into MXF: resampled to 48 kHz, and the report says so and why', async () => {
    const src = path.join(media, 'cd-rate.mov');
    await ffmpeg([
      ...testsrc('1920x1080', '25', 0.4),
      ...lavfi('sine=sample_rate=44100:duration=0.4'),
      ...h264Fast(),
      '-c:a',
      'pcm_s16le',
      src,
    ]);
    const { result, probe } = await proxyOf(src, { codec: 'dnxhr_lb', container: 'mxf' }, 'cd-rate');
    completed(result);
    assert.equal(audio(probe ?? { streams: [] })[0].sample_rate, '48000');
    const a = result.clips[0].verification?.find((c) => c.name === 'audio 1');
    assert.match(a?.note ?? '', /resampled from 44100 Hz to 48000 Hz: mxf holds 48 kHz PCM only/);
  });
});

describe('colour', () => {
  for (const [label, tags, matrix] of [
    ['BT.709', ['-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709'], 'bt709'],
    ['BT.2020 HLG', ['-color_primaries', 'bt2020', '-color_trc', 'arib-std-b67', '-colorspace', 'bt2020nc'], 'bt2020'],
  ] as const) {
    test(`${label}: tags carried over, and scaled with the source's own matrix`, async () => {
      const src = path.join(media, `${label.replace(/\W/g, '')}.mov`);
      await ffmpeg([
        ...testsrc('1920x1080', '25', 0.2),
        '-vf',
        'format=yuv420p10le',
        '-c:v',
        'libx265',
        '-x265-params',
        'log-level=error',
        ...tags,
        '-color_range',
        'tv',
        src,
      ]);
      const { result, probe } = await proxyOf(src, {}, `colour-${matrix}`);
      completed(result);
      const v = video(probe ?? { streams: [] });
      assert.deepEqual([v.color_primaries, v.color_transfer, v.color_space, v.color_range], [tags[1], tags[3], tags[5], 'tv']);
      assert.match(result.clips[0].ffmpeg_args.join(' '), new RegExp(`in_color_matrix=${matrix}:out_color_matrix=${matrix}`));
    });
  }
});

describe('reel name', () => {
  test('a reel name on the source is carried to a mov proxy (on its timecode track) and to mxf', async () => {
    const src = path.join(media, 'reel.mov');
    await ffmpeg([
      ...testsrc('1920x1080', '25', 0.2),
      '-c:v',
      'prores_ks',
      '-profile:v',
      '0',
      '-timecode',
      '10:00:00:00',
      '-metadata:s:v:0',
      'reel_name=A001',
      src,
    ]);
    for (const [codec, container] of [
      ['prores_proxy', 'mov'],
      ['dnxhr_lb', 'mxf'],
    ]) {
      const { result, probe } = await proxyOf(src, { codec, container }, `reel-${container}`);
      completed(result);
      const p = probe ?? { streams: [], format: {} };
      const reel = p.format.tags?.reel_name ?? p.streams.map((s) => s.tags?.reel_name).find((r) => r !== undefined);
      assert.equal(reel, 'A001', container);
      assert.ok(result.clips[0].verification?.find((c) => c.name === 'reel')?.ok);
    }
  });
});

describe('relink evidence before and after', () => {
  test('the dry run shows what a clip will become, and the report shows source and proxy side by side', async () => {
    const src = path.join(media, 'evidence.mov');
    await ffmpeg([
      ...testsrc('320x240', '25', 0.4),
      ...tone(0.4),
      ...h264Fast(),
      '-c:a',
      'pcm_s16le',
      '-timecode',
      '02:00:00:00',
      '-shortest',
      src,
    ]);
    const file = await writeOneClipSpec(dir, src, 'evidence', {}, HALF);
    const spec = await loadValid(file);
    const [dry] = await core.dryRun(spec, await tools());
    assert.deepEqual([dry.proxy_expected?.display_width, dry.proxy_expected?.display_height], [160, 120]);
    assert.equal(dry.proxy_expected?.timecode, '02:00:00:00');
    assert.equal(dry.proxy_expected?.audio[0].codec, 'pcm_s24le');
    const result = await core.runJob(spec, { tools: await tools(), jobspecFile: file });
    completed(result);
    const ev = result.clips[0].relink;
    assert.ok(ev?.proxy);
    for (const key of ['display_width', 'display_height', 'fps', 'frames', 'timecode'] as const)
      assert.equal(ev.proxy[key], dry.proxy_expected?.[key], key);
    assert.equal(ev.source.frames, 10);
  });
});
