// Shared by the two matrix files: run one codec/container pair on one clip and read it back.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { RunResult } from '../../../src/core';
import { core } from './core';
import { audioStreams, probe, tempFilesIn, timecodeOf, tools, videoStream, writeJobSpec, type Probe } from './media';

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
  const file = await writeJobSpec(dir, {
    job_id: `m-${pair.codec}-${pair.container}`,
    sources: [source],
    output_directory: out,
    codec: pair.codec,
    container: pair.container,
    resolution: pair.resolution,
    naming_template: '{source_name}_{codec}',
    ...extra,
  }, `${label}.jobspec.json`);
  const loaded = await core.loadJobSpec(file);
  if (!loaded.ok) throw new Error(`invalid: ${loaded.problems.map((p) => p.message).join('; ')}`);
  const result = await core.runJob(loaded.spec, { tools: await tools(), jobspecFile: file });
  if (result.clips[0].status !== 'COMPLETED') return { result, out };
  if ((await tempFilesIn(out)).length) throw new Error(`temp files left in ${out}`);
  return { result, out, probe: await probe(result.clips[0].output) };
}

export { audioStreams, timecodeOf, videoStream };
