// Probing sources and building ffmpeg argument lists per the codec/container matrix.
// One argument builder for the runner, the dry run and the benchmark.
import { runGuarded } from './guard';
import { lookupFailure, quote } from './text';
import type { Tools } from './tools';
import { EnvironmentError } from './tools';
import type { Codec, Container, JobSpec } from './types';

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

/**
 * ffprobe's last line when the system would not let it open the file ("file:/x: Permission denied"):
 * the cause is the file's permissions or path, not its content, and the message must say so.
 */
const OPEN_FAILURES: [RegExp, string][] = [
  [/: Permission denied$/, 'EACCES'],
  [/: Operation not permitted$/, 'EPERM'],
  [/: No such file or directory$/, 'ENOENT'],
  [/: Not a directory$/, 'ENOTDIR'],
  [/: Too many levels of symbolic links$/, 'ELOOP'],
  [/: File name too long$/, 'ENAMETOOLONG'],
  [/: Input\/output error$/, 'EIO'],
];

function openFailure(source: string, last: string | undefined): string | undefined {
  const code = last === undefined ? undefined : OPEN_FAILURES.find(([re]) => re.test(last))?.[1];
  if (!code || last === undefined) return undefined;
  const why = code === 'ENOENT' ? 'it no longer exists' : lookupFailure(code, source);
  return `it cannot be opened: ${why} (ffprobe said: ${quote(last, 400)})`;
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
    const cannotOpen = openFailure(source, stderr[stderr.length - 1]);
    if (cannotOpen) throw new ProbeError(cannotOpen, stderr);
    throw new ProbeError(
      `ffprobe cannot read it as media${stderr.length ? `: ${quote(stderr[stderr.length - 1], 400)}` : ''}. The file may be corrupt or not a video; check it plays, or copy it again from the card.`,
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

const PRORES_PROFILE: Partial<Record<Codec, number>> = { prores_proxy: 0, prores_lt: 1, prores_standard: 2, prores_hq: 3, prores_4444: 4 };

/** DNxHD's legal 8-bit 4:2:2 frame sizes, and the lowest bitrate (Mb/s) for each frame-rate band. */
const DNXHD_BITRATES: Record<string, [maxFps: number, mbps: number][]> = {
  '1920x1080': [
    [25.01, 36],
    [30.01, 45],
    [50.01, 75],
    [60.01, 90],
  ],
  '1440x1080': [
    [25.01, 63],
    [30.01, 84],
    [50.01, 100],
    [60.01, 110],
  ],
  '1280x720': [
    [25.01, 60],
    [30.01, 75],
    [50.01, 120],
    [60.01, 145],
  ],
  '960x720': [
    [25.01, 42],
    [30.01, 60],
    [50.01, 75],
    [60.01, 115],
  ],
};

export function dnxhdBitrate(width: number, height: number, fps: number | null): { mbps: number } | { error: string } {
  const bands = DNXHD_BITRATES[`${width}x${height}`];
  const sizes = Object.keys(DNXHD_BITRATES).join(', ');
  if (!bands)
    return {
      error: `dnxhd can only write ${sizes} frames, and this clip's proxy would be ${width}x${height}. Set resolution so the output is one of those (e.g. "1920x1080" or "1280x720"), or use dnxhr_lb, which takes any size from 256x120 up.`,
    };
  if (fps === null)
    return {
      error:
        'dnxhd needs a known frame rate and ffprobe reports none for this clip. Set fps_mode "explicit" with fps_explicit, or use dnxhr_lb.',
    };
  const band = bands.find(([max]) => fps <= max);
  if (!band)
    return {
      error: `dnxhd has no legal bitrate for ${width}x${height} at ${fps.toFixed(3)} fps (at most 60). Conform with fps_mode "explicit", or use dnxhr_lb.`,
    };
  return { mbps: band[1] };
}

export const MUXER: Record<Container, string> = { mov: 'mov', mxf: 'mxf', mp4: 'mp4', mkv: 'matroska', webm: 'webm' };

const AV1_ENCODERS = ['libsvtav1', 'libaom-av1', 'librav1e'];

export function videoEncoder(spec: Pick<JobSpec, 'codec' | 'prores_encoder'>, encoders?: Set<string>): string {
  switch (spec.codec) {
    case 'prores_proxy':
    case 'prores_lt':
    case 'prores_standard':
    case 'prores_hq':
    case 'prores_4444':
      return spec.prores_encoder;
    case 'dnxhr_lb':
    case 'dnxhr_sq':
    case 'dnxhr_hq':
    case 'dnxhd':
      return 'dnxhd';
    case 'h264':
      return 'libx264';
    case 'h265':
      return 'libx265';
    case 'vp9':
      return 'libvpx-vp9';
    case 'av1':
      return AV1_ENCODERS.find((e) => encoders?.has(e)) ?? AV1_ENCODERS[0];
  }
}

type AudioPlan = { codec: string; args: string[] } | null;

const MKV_COPYABLE = new Set([
  'aac',
  'mp3',
  'opus',
  'vorbis',
  'flac',
  'ac3',
  'eac3',
  'dts',
  'pcm_s16le',
  'pcm_s24le',
  'pcm_s32le',
  'pcm_f32le',
  'alac',
  'truehd',
]);

/** The audio encoder and its arguments, or null for no audio. */
export function audioPlan(spec: Pick<JobSpec, 'audio' | 'container'>, sourceAudio: string[]): AudioPlan {
  if (spec.audio === 'none' || sourceAudio.length === 0) return null;
  const pcm = { codec: 'pcm_s24le', args: ['-c:a', 'pcm_s24le', ...(spec.container === 'mxf' ? ['-ar', '48000'] : [])] };
  const aac = { codec: 'aac', args: ['-c:a', 'aac', '-b:a', '192k'] };
  switch (spec.audio) {
    case 'copy':
      return { codec: 'copy', args: ['-c:a', 'copy'] };
    case 'aac':
      return aac;
    case 'pcm':
      return pcm;
    case 'auto':
      switch (spec.container) {
        case 'mov':
        case 'mxf':
          return pcm;
        case 'mp4':
          return sourceAudio.every((c) => c === 'aac') ? { codec: 'copy', args: ['-c:a', 'copy'] } : aac;
        case 'webm':
          return sourceAudio.every((c) => c === 'opus' || c === 'vorbis')
            ? { codec: 'copy', args: ['-c:a', 'copy'] }
            : { codec: 'libopus', args: ['-c:a', 'libopus', '-b:a', '128k'] };
        case 'mkv':
          return sourceAudio.every((c) => MKV_COPYABLE.has(c)) ? { codec: 'copy', args: ['-c:a', 'copy'] } : aac;
      }
  }
}

/** Encoders the job needs whatever its sources hold; checked before the first clip runs. */
export function requiredEncoders(spec: JobSpec): string[] {
  const list = [videoEncoder(spec)];
  if (spec.audio === 'aac' || (spec.audio === 'auto' && (spec.container === 'mp4' || spec.container === 'mkv'))) list.push('aac');
  if (spec.audio === 'pcm' || (spec.audio === 'auto' && (spec.container === 'mov' || spec.container === 'mxf'))) list.push('pcm_s24le');
  if (spec.audio === 'auto' && spec.container === 'webm') list.push('libopus');
  return list;
}

export function checkEncoders(spec: JobSpec, tools: Tools): void {
  if (spec.codec === 'av1' && !AV1_ENCODERS.some((e) => tools.encoders.has(e))) {
    throw new EnvironmentError(
      `codec av1 needs an AV1 encoder (${AV1_ENCODERS.join(', ')}) and ffmpeg at ${tools.ffmpeg} has none. Install an ffmpeg built with libsvtav1 or libaom, or choose another codec.`,
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
  const v: string[] = ['-c:v', encoder];
  let pixFmt: string;
  switch (spec.codec) {
    case 'prores_proxy':
    case 'prores_lt':
    case 'prores_standard':
    case 'prores_hq':
    case 'prores_4444': {
      const is4444 = spec.codec === 'prores_4444';
      pixFmt = is4444 ? (info.hasAlpha ? 'yuva444p10le' : 'yuv444p10le') : 'yuv422p10le';
      // Both encoders take -vendor (prores_aw would otherwise write "fmpg"), so a proxy looks the
      // same to tools that check it whichever encoder made it; only prores_ks has -alpha_bits.
      v.push('-profile:v', String(PRORES_PROFILE[spec.codec]), '-vendor', 'apl0');
      if (encoder === 'prores_ks' && is4444 && info.hasAlpha) v.push('-alpha_bits', '16');
      break;
    }
    case 'dnxhr_lb':
    case 'dnxhr_sq':
    case 'dnxhr_hq':
      // ffmpeg's DNxHR encoder refuses smaller frames with only "maybe incorrect parameters".
      if (size.width < 256 || size.height < 120) {
        return {
          error: `${spec.codec} needs a frame of at least 256x120, and this clip's proxy would be ${size.width}x${size.height}. Choose a larger resolution (e.g. "same"), or a codec such as prores_proxy or h264.`,
        };
      }
      pixFmt = 'yuv422p';
      v.push('-profile:v', spec.codec);
      break;
    case 'dnxhd': {
      const rate = dnxhdBitrate(size.width, size.height, outFps);
      if ('error' in rate) return { error: rate.error };
      pixFmt = 'yuv422p';
      v.push('-profile:v', 'dnxhd', '-b:v', `${rate.mbps}M`);
      break;
    }
    case 'h264':
      pixFmt = 'yuv420p';
      v.push('-preset', 'veryfast', '-crf', '23', '-profile:v', 'high');
      break;
    case 'h265':
      pixFmt = 'yuv420p';
      v.push('-preset', 'fast', '-crf', '28', '-x265-params', 'log-level=error');
      if (spec.container === 'mp4' || spec.container === 'mov') v.push('-tag:v', 'hvc1');
      break;
    case 'vp9':
      pixFmt = 'yuv420p';
      v.push('-crf', '32', '-b:v', '0', '-deadline', 'good', '-cpu-used', '4', '-row-mt', '1');
      break;
    case 'av1':
      pixFmt = 'yuv420p';
      if (encoder === 'libsvtav1') v.push('-preset', '8', '-crf', '35');
      else if (encoder === 'libaom-av1') v.push('-cpu-used', '8', '-crf', '35', '-b:v', '0', '-row-mt', '1');
      else v.push('-speed', '10', '-qp', '120');
      break;
  }
  filters.push(`format=${pixFmt}`);
  args.push('-vf', filters.join(','));
  args.push(...v);
  if (threads) args.push('-threads', threads);
  if (audio) args.push(...audio.args);
  else args.push('-an');
  if (info.timecode && spec.container !== 'webm') args.push('-timecode', info.timecode);
  if (spec.container === 'mp4' || spec.container === 'mov') args.push('-movflags', '+faststart+write_colr');
  args.push('-f', MUXER[spec.container], fileUrl(target));
  return { args, ...size };
}

/** Quote an argument list for display (POSIX shell), so a person can paste it. Never executed. */
export function formatCommandLine(exe: string, args: string[]): string {
  const q = (s: string): string => (/^[A-Za-z0-9_\-+=.,:/@%]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [exe, ...args].map(q).join(' ');
}
