// Probing sources and building ffmpeg argument lists per the codec/container matrix.
// One argument builder for the runner, the dry run and the benchmark.
import { runGuarded } from './guard';
import type { Tools } from './tools';
import { EnvironmentError } from './tools';
import { audioPlan, codecDef, containerDef, requiredEncoders, videoEncoder } from './formats';
import type { JobSpec } from './types';

export interface SourceInfo {
  width: number;
  height: number;
  /** Frames per second as a fraction string, e.g. "24000/1001". */
  frameRate: string | null;
  fps: number | null;
  pixFmt: string | null;
  hasAlpha: boolean;
  durationSeconds: number | null;
  audioCodecs: string[];
  audioSampleRates: number[];
  timecode: string | null;
}

/**
 * ffmpeg reads a path that starts with `proto:` as a protocol and one that starts with `-` as an
 * option. The `file:` prefix on an absolute path makes it a local file whatever its name says.
 */
export function fileUrl(absPath: string): string {
  return `file:${absPath}`;
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  pix_fmt?: string;
  duration?: string;
  sample_rate?: string;
  tags?: Record<string, string>;
  disposition?: { attached_pic?: number };
}

interface ProbeJson {
  streams?: ProbeStream[];
  format?: { duration?: string; tags?: Record<string, string> };
}

export class ProbeError extends Error {
  constructor(
    message: string,
    readonly stderr: string[],
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

function fractionToNumber(f: string | undefined): number | null {
  if (!f) return null;
  const [n, d] = f.split('/').map(Number);
  if (!Number.isFinite(n) || !d || !Number.isFinite(d) || n <= 0) return null;
  return n / d;
}

export async function probeSource(tools: Tools, source: string, signal?: AbortSignal): Promise<SourceInfo> {
  const run = await runGuarded(
    tools.guard,
    tools.ffprobe,
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', fileUrl(source)],
    {
      reject: false,
      stdin: 'ignore',
      timeout: 60000,
      cancelSignal: signal,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const stderr = String(run.stderr)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (run.isCanceled) throw new ProbeError('cancelled', stderr);
  let json: ProbeJson = {};
  try {
    json = JSON.parse(String(run.stdout) || '{}') as ProbeJson;
  } catch {
    json = {};
  }
  if (run.exitCode !== 0 || !json.streams) {
    throw new ProbeError(
      `ffprobe cannot read it as media${stderr.length ? `: ${stderr[stderr.length - 1]}` : ''}. The file may be corrupt or not a video; check it plays, or copy it again from the card.`,
      stderr,
    );
  }
  const video = json.streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic && (s.width ?? 0) > 0);
  if (!video) {
    const kinds = json.streams.map((s) => s.codec_type).filter(Boolean);
    throw new ProbeError(
      kinds.length
        ? `it has no video stream (only ${[...new Set(kinds)].join(', ')}); a proxy needs picture. Remove it from sources.`
        : 'it holds no streams ffprobe recognises; the file may be corrupt.',
      stderr,
    );
  }
  const audio = json.streams.filter((s) => s.codec_type === 'audio');
  const rate = video.avg_frame_rate && fractionToNumber(video.avg_frame_rate) ? video.avg_frame_rate : video.r_frame_rate;
  const durations = [json.format?.duration, video.duration].map((d) => (d ? Number(d) : NaN)).filter((d) => Number.isFinite(d) && d > 0);
  // Matroska stores its tags upper-case (TIMECODE), mov and mxf lower-case.
  const tcOf = (tags?: Record<string, string>): string | undefined => tags?.timecode ?? tags?.TIMECODE;
  const timecode = tcOf(json.format?.tags) ?? json.streams.map((s) => tcOf(s.tags)).find((t): t is string => typeof t === 'string') ?? null;
  const pixFmt = video.pix_fmt ?? null;
  return {
    width: video.width ?? 0,
    height: video.height ?? 0,
    frameRate: rate && fractionToNumber(rate) ? rate : null,
    fps: fractionToNumber(rate),
    pixFmt,
    hasAlpha: pixFmt !== null && /^(yuva|rgba|bgra|argb|abgr|gbrap|ya)/.test(pixFmt),
    durationSeconds: durations.length ? durations[0] : null,
    audioCodecs: audio.map((a) => a.codec_name ?? 'unknown'),
    audioSampleRates: audio.map((a) => Number(a.sample_rate ?? 0)),
    timecode,
  };
}

const even = (n: number): number => Math.max(2, Math.floor(n / 2) * 2);

/** Output frame size for a resolution setting. WxH fits inside the box, keeps aspect, never upscales. */
export function outputSize(resolution: string, width: number, height: number): { width: number; height: number } {
  switch (resolution) {
    case 'same':
      return { width: even(width), height: even(height) };
    case 'half':
      return { width: even(width / 2), height: even(height / 2) };
    case 'quarter':
      return { width: even(width / 4), height: even(height / 4) };
    default: {
      const m = /^(\d+)x(\d+)$/.exec(resolution);
      if (!m) throw new Error(`resolution ${resolution} is not same, half, quarter or WxH`);
      const scale = Math.min(Number(m[1]) / width, Number(m[2]) / height, 1);
      return { width: even(Math.round(width * scale)), height: even(Math.round(height * scale)) };
    }
  }
}

/** Exact fractions for the NTSC rates people write as decimals. */
export function fpsFraction(fps: number): string {
  const ntsc: Record<string, string> = {
    '23.976': '24000/1001',
    '23.98': '24000/1001',
    '29.97': '30000/1001',
    '47.952': '48000/1001',
    '59.94': '60000/1001',
    '119.88': '120000/1001',
  };
  const key = String(Math.round(fps * 1000) / 1000);
  if (ntsc[key]) return ntsc[key];
  if (Number.isInteger(fps)) return `${fps}/1`;
  return `${Math.round(fps * 1000)}/1000`;
}

export { audioPlan, dnxhdBitrate, requiredEncoders, videoEncoder } from './formats';

export function checkEncoders(spec: JobSpec, tools: Tools): void {
  const def = codecDef(spec.codec);
  if (def.anyEncoder && !def.encoders.some((e) => tools.encoders.has(e))) {
    throw new EnvironmentError(
      `codec ${spec.codec} needs an ${def.anyEncoder.family} encoder (${def.encoders.join(', ')}) and ffmpeg at ${tools.ffmpeg} has none. Install ${def.anyEncoder.install}, or choose another codec.`,
      'encoder-missing',
    );
  }
  const missing = requiredEncoders(spec).filter((e) => !tools.encoders.has(e));
  if (missing.length > 0) {
    throw new EnvironmentError(
      `ffmpeg at ${tools.ffmpeg} lacks the encoder${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that codec ${spec.codec} / audio ${spec.audio} in ${spec.container} needs. Install a fuller ffmpeg build, or choose another codec or audio policy.`,
      'encoder-missing',
    );
  }
}

export interface BuildOptions {
  /** ffmpeg -threads for this process; 0 or undefined lets ffmpeg choose. */
  threads?: number;
  encoders?: Set<string>;
}

export type BuildResult = { args: string[]; width: number; height: number } | { error: string };

/** The exact ffmpeg argument list for one clip, writing to `target` (a temporary path in the output folder). */
export function buildFfmpegArgs(spec: JobSpec, source: string, info: SourceInfo, target: string, opts: BuildOptions = {}): BuildResult {
  const size = outputSize(spec.resolution, info.width, info.height);
  // `verbose` for ffmpeg's final per-stream statistics (frames read and written), which prove the proxy
  // complete without reading the source again; the runner keeps only warnings and errors to show.
  const args: string[] = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+verbose', '-progress', 'pipe:1', '-n'];
  // A budget must bind the decoder (`-threads` before -i), the filter graph and the encoder (`-threads`
  // after -i): with only the first, ProRes and x264 still start a thread per core.
  const threads = opts.threads && opts.threads > 0 ? String(opts.threads) : null;
  if (threads) args.push('-filter_threads', threads, '-threads', threads);
  args.push('-i', fileUrl(source));
  // `V` (capital) skips attached pictures and cover art, so the picture is the clip itself.
  args.push('-map', '0:V:0');
  const audio = audioPlan(spec, info.audioCodecs);
  if (audio) args.push('-map', '0:a?');
  args.push('-map_metadata', '0');

  const filters = [`scale=${size.width}:${size.height}:flags=bicubic`];
  let outFps = info.fps;
  if (spec.fps_mode === 'explicit' && spec.fps_explicit) {
    filters.push(`fps=${fpsFraction(spec.fps_explicit)}`);
    outFps = spec.fps_explicit;
  } else {
    // One proxy frame per source frame, with its timestamp: what an editing system needs to relink
    // (mov and mp4 would otherwise duplicate or drop frames to make a variable rate constant).
    args.push('-fps_mode', 'passthrough');
  }

  const encoder = videoEncoder(spec, opts.encoders);
  const video = codecDef(spec.codec).video({ encoder, container: spec.container, ...size, fps: outFps, alpha: info.hasAlpha });
  if ('error' in video) return { error: video.error };
  const { pixFmt } = video;
  const v: string[] = ['-c:v', encoder, ...video.args];
  filters.push(`format=${pixFmt}`);
  args.push('-vf', filters.join(','));
  args.push(...v);
  if (threads) args.push('-threads', threads);
  if (audio) args.push(...audio.args);
  else args.push('-an');
  const container = containerDef(spec.container);
  if (info.timecode && container.timecode) args.push('-timecode', info.timecode);
  args.push(...container.args);
  args.push('-f', container.muxer, fileUrl(target));
  return { args, ...size };
}

/** Quote an argument list for display (POSIX shell), so a person can paste it. Never executed. */
export function formatCommandLine(exe: string, args: string[]): string {
  const q = (s: string): string => (/^[A-Za-z0-9_\-+=.,:/@%]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [exe, ...args].map(q).join(' ');
}
