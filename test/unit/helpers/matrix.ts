// Shared by the two matrix files: run one codec/container pair on one clip and read it back.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunResult } from '../../../src/core';
import { core } from './core';
import { audioStreams, probe, timecodeOf, tools, videoStream, type Probe } from './media';
import { writeSpec } from './spec';
import { tempFilesIn } from './tree';

export interface Pair {
  codec: string;
  container: string;
  resolution: string;
  /** ffprobe's codec_name for the video stream. */
  vcodec: string;
  profile?: string;
  /** ProRes 4444 decodes as 12-bit in ffprobe whatever was encoded, hence a pattern there. */
  pixFmt: string | RegExp;
  size: [number, number];
  /** ffprobe's codec_name for the audio under audio "auto". */
  acodec: string;
  tag?: string;
}

/** The encoders this pair needs that the local ffmpeg lacks, or null when it has them all. */
export async function missingEncoders(codec: string, container: string): Promise<string | null> {
  const t = await tools();
  const spec = { codec, container, audio: 'auto', prores_encoder: 'prores_ks' } as Parameters<typeof core.requiredEncoders>[0];
  const needed = codec === 'av1' ? [core.ffmpeg.videoEncoder(spec, t.encoders)] : core.requiredEncoders(spec);
  if (container === 'webm') needed.push('libopus');
  const missing = needed.filter((e) => !t.encoders.has(e));
  return missing.length ? missing.join(', ') : null;
}

export async function runPair(
  dir: string,
  source: string,
  pair: Pick<Pair, 'codec' | 'container' | 'resolution'>,
  extra: Record<string, unknown> = {},
): Promise<{ result: RunResult; out: string; probe?: Probe }> {
  const label = `${pair.codec}-${pair.container}-${pair.resolution}-${path.basename(source, path.extname(source))}`;
  const out = path.join(dir, `out-${label}`);
  await fs.mkdir(out, { recursive: true });
  const file = await writeSpec(
    dir,
    {
      job_id: `m-${pair.codec}-${pair.container}`,
      sources: [source],
      output_directory: out,
      codec: pair.codec,
      container: pair.container,
      resolution: pair.resolution,
      naming_template: '{source_name}_{codec}',
      ...extra,
    },
    `${label}.jobspec.json`,
  );
  const loaded = await core.loadJobSpec(file);
  if (!loaded.ok) throw new Error(`invalid: ${loaded.problems.map((p) => p.message).join('; ')}`);
  const result = await core.runJob(loaded.spec, { tools: await tools(), jobspecFile: file });
  if (result.clips[0].status !== 'COMPLETED') return { result, out };
  if ((await tempFilesIn(out)).length) throw new Error(`temp files left in ${out}`);
  return { result, out, probe: await probe(result.clips[0].output) };
}

const FORMAT: Record<string, RegExp> = { mp4: /mp4/, mov: /mov/, mxf: /mxf/, mkv: /matroska/, webm: /webm/ };

/**
 * One test per pair: encode the clip for real and read the proxy back with ffprobe (codec, profile,
 * tag, frame size, pixel format, container, audio and, where the container holds it, timecode).
 * An encoder the local ffmpeg lacks is skipped with the reason.
 */
export function pairTests(pairs: Pair[], media: () => { dir: string; clip: string }): void {
  for (const pair of pairs) {
    test(`${pair.codec} in ${pair.container}`, async (t) => {
      const missing = await missingEncoders(pair.codec, pair.container);
      if (missing) {
        t.skip(`the local ffmpeg lacks ${missing}`);
        return;
      }
      const { dir, clip } = media();
      const { result, probe: p } = await runPair(dir, clip, pair);
      const c = result.clips[0];
      assert.equal(c.status, 'COMPLETED', `${c.message}\n${c.stderr_tail.join('\n')}`);
      assert.ok(p);
      assert.equal(path.extname(c.output), `.${pair.container}`);
      const v = videoStream(p);
      assert.equal(v.codec_name, pair.vcodec);
      if (pair.profile) assert.equal(v.profile, pair.profile);
      if (pair.tag) assert.equal(v.codec_tag_string, pair.tag);
      assert.deepEqual([v.width, v.height], pair.size);
      if (pair.pixFmt instanceof RegExp) assert.match(v.pix_fmt ?? '', pair.pixFmt);
      else assert.equal(v.pix_fmt, pair.pixFmt);
      assert.match(p.format.format_name, FORMAT[pair.container]);
      assert.deepEqual(
        audioStreams(p).map((a) => a.codec_name),
        [pair.acodec],
      );
      if (pair.container !== 'webm') {
        // Matroska stores tags upper-case (TIMECODE); any spelling counts as kept.
        const tc = timecodeOf(p) ?? p.format.tags?.TIMECODE ?? p.streams.map((st) => st.tags?.TIMECODE).find(Boolean);
        assert.equal(tc, '01:00:00:00', 'source timecode kept');
      }
    });
  }
}
