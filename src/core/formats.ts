// The one table of what this tool writes: per codec its encoders, containers, pixel formats, encoder
// options and what verification expects of the result; per container its muxer, the audio it holds
// and what it carries (timecode, reel name, mov flags). Validation, the argument builder,
// verification and the editor read it; a unit test proves the schema's codec → container rules
// (schemas/jobspec.schema.json) say the same.
import type { AudioPolicy, JobSpec } from './types';

/** What a codec's encoder options are built from. */
export interface VideoContext {
  /** The ffmpeg encoder chosen for this run. */
  encoder: string;
  container: Container;
  width: number;
  height: number;
  /** The proxy's frame rate, when known. */
  fps: number | null;
  /** The source has an alpha channel. */
  alpha: boolean;
  /** The source is interlaced (its fields are kept apart and its field order flagged). */
  interlaced: boolean;
}

export type VideoOptions = { pixFmt: string; args: string[] } | { error: string };

export interface CodecDef {
  /** One line for the editor's completion list. */
  label: string;
  containers: readonly Container[];
  /**
   * ffmpeg encoders in preference order: the first the local ffmpeg has is used. ProRes takes the
   * JobSpec's `prores_encoder` instead (both are listed, so the tool check knows them).
   */
  encoders: readonly string[];
  /** For codecs with several possible encoders: their family's name and which build to install when none is there. */
  anyEncoder?: { family: string; install: string };
  /** What ffprobe reports of a correct proxy: its codec name, and profile names (lower case, by prefix). */
  verify: { codecName: string; profiles?: readonly string[] };
  /**
   * Interlaced sources: `native` (the encoder codes fields, field order flagged), `flag` (frames
   * coded whole, the container flags the field order), `none` (ffmpeg's encoder cannot: refused).
   */
  interlaced: 'native' | 'flag' | 'none';
  /** The pixel format and encoder options for one clip, or why this clip cannot be made. */
  video(ctx: VideoContext): VideoOptions;
}

/**
 * prores_ks's fixed quantizer per profile (0 Proxy … 4 4444). Its default rate control searches
 * quantizers slice by slice: 2.5-6x the CPU of a fixed one, and a worse picture at the same rate.
 * Chosen by measurement (npm run bench; 2 s of detailed, grainy 1080p25 footage whose ProRes HQ
 * master runs at 195 Mb/s) as the quantizer that keeps each profile nearest its nominal 1080p25 data
 * rate: Proxy q8 39.6 Mb/s (nominal 38), LT q4 86.6 (85), 422 q4 122 (122), HQ q4 197 (184),
 * 4444 q3 287 (275). Quieter footage takes less; there is no cap, as with any fixed quantizer.
 */
const PRORES_QUANT = [8, 4, 4, 4, 3];

function prores(profile: number, label: string): CodecDef {
  const is4444 = profile === 4;
  const names = ['proxy', 'lt', 'standard', 'hq', '4444'];
  return {
    label,
    containers: ['mov'],
    encoders: ['prores_ks', 'prores_aw'],
    verify: { codecName: 'prores', profiles: [names[profile]] },
    // prores_ks and prores_aw code the two fields of an interlaced frame themselves.
    interlaced: 'native',
    video: ({ encoder, alpha }) => {
      // Both encoders take -vendor (prores_aw would otherwise write "fmpg"), so a proxy looks the
      // same to tools that check it whichever encoder made it; only prores_ks has -alpha_bits.
      const args = ['-profile:v', String(profile), '-vendor', 'apl0'];
      if (encoder === 'prores_ks') args.push('-q:v', String(PRORES_QUANT[profile]));
      if (encoder === 'prores_ks' && is4444 && alpha) args.push('-alpha_bits', '16');
      return { pixFmt: is4444 ? (alpha ? 'yuva444p10le' : 'yuv444p10le') : 'yuv422p10le', args };
    },
  };
}

function dnxhr(profile: 'dnxhr_lb' | 'dnxhr_sq' | 'dnxhr_hq', label: string): CodecDef {
  return {
    label,
    containers: ['mov', 'mxf'],
    encoders: ['dnxhd'],
    verify: { codecName: 'dnxhd', profiles: [profile.replace('_', ' ')] },
    // "Interlaced encoding is not supported for DNxHR profiles" (ffmpeg's dnxhd encoder).
    interlaced: 'none',
    video: ({ width, height }) =>
      // ffmpeg's DNxHR encoder refuses smaller frames with only "maybe incorrect parameters".
      width < 256 || height < 120
        ? {
            error: `${profile} needs a frame of at least 256x120, and this clip's proxy would be ${width}x${height}. Choose a larger resolution (e.g. "same"), or a codec such as prores_proxy or h264.`,
          }
        : { pixFmt: 'yuv422p', args: ['-profile:v', profile] },
  };
}

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

export const CODEC_TABLE = {
  prores_proxy: prores(0, 'Apple ProRes 422 Proxy (profile 0), 10-bit 4:2:2. The usual offline-edit proxy. mov only.'),
  prores_lt: prores(1, 'Apple ProRes 422 LT (profile 1), 10-bit 4:2:2. mov only.'),
  prores_standard: prores(2, 'Apple ProRes 422 (profile 2), 10-bit 4:2:2. mov only.'),
  prores_hq: prores(3, 'Apple ProRes 422 HQ (profile 3), 10-bit 4:2:2. mov only.'),
  prores_4444: prores(4, 'Apple ProRes 4444 (profile 4), 10-bit 4:4:4, with alpha when the source has it. mov only.'),
  dnxhr_lb: dnxhr('dnxhr_lb', 'Avid DNxHR LB (low bandwidth), 8-bit 4:2:2, any frame size from 256x120 up. mov or mxf.'),
  dnxhr_sq: dnxhr('dnxhr_sq', 'Avid DNxHR SQ (standard quality), 8-bit 4:2:2, any frame size from 256x120 up. mov or mxf.'),
  dnxhr_hq: dnxhr('dnxhr_hq', 'Avid DNxHR HQ (high quality), 8-bit 4:2:2, any frame size from 256x120 up. mov or mxf.'),
  dnxhd: {
    label:
      'Avid DNxHD, 8-bit 4:2:2. Only 1920x1080, 1440x1080, 1280x720 and 960x720 outputs; the lowest legal bitrate for the frame size and rate is chosen. mxf only.',
    containers: ['mxf'],
    encoders: ['dnxhd'],
    verify: { codecName: 'dnxhd', profiles: ['dnxhd'] },
    interlaced: 'native',
    video: ({ width, height, fps, interlaced }) => {
      const rate = dnxhdBitrate(width, height, fps);
      if ('error' in rate) return rate;
      return { pixFmt: 'yuv422p', args: ['-profile:v', 'dnxhd', '-b:v', `${rate.mbps}M`, ...(interlaced ? ['-flags', '+ildct'] : [])] };
    },
  },
  h264: {
    label: 'H.264 (libx264), CRF 23, preset veryfast. mp4, mov or mkv.',
    containers: ['mp4', 'mov', 'mkv'],
    encoders: ['libx264'],
    verify: { codecName: 'h264' },
    interlaced: 'native',
    video: ({ interlaced }) => ({
      pixFmt: 'yuv420p',
      args: ['-preset', 'veryfast', '-crf', '23', '-profile:v', 'high', ...(interlaced ? ['-flags', '+ildct+ilme'] : [])],
    }),
  },
  h265: {
    label: 'H.265/HEVC (libx265), CRF 28, preset fast, tagged hvc1 for Apple players. mp4, mov or mkv.',
    containers: ['mp4', 'mov', 'mkv'],
    encoders: ['libx265'],
    verify: { codecName: 'hevc' },
    interlaced: 'flag',
    video: ({ container }) => {
      const args = ['-preset', 'fast', '-crf', '28', '-x265-params', 'log-level=error'];
      if (container === 'mp4' || container === 'mov') args.push('-tag:v', 'hvc1');
      return { pixFmt: 'yuv420p', args };
    },
  },
  vp9: {
    label: 'VP9 (libvpx-vp9), constant quality. webm or mkv.',
    containers: ['webm', 'mkv'],
    encoders: ['libvpx-vp9'],
    verify: { codecName: 'vp9' },
    interlaced: 'flag',
    video: () => ({ pixFmt: 'yuv420p', args: ['-crf', '32', '-b:v', '0', '-deadline', 'good', '-cpu-used', '4', '-row-mt', '1'] }),
  },
  av1: {
    label: 'AV1 with the best AV1 encoder the local ffmpeg has (SVT-AV1, then libaom). mp4, mkv or webm.',
    containers: ['mp4', 'mkv', 'webm'],
    encoders: ['libsvtav1', 'libaom-av1', 'librav1e'],
    anyEncoder: { family: 'AV1', install: 'an ffmpeg built with libsvtav1 or libaom' },
    verify: { codecName: 'av1' },
    interlaced: 'flag',
    video: ({ encoder }) => ({
      pixFmt: 'yuv420p',
      args:
        encoder === 'libsvtav1'
          ? ['-preset', '8', '-crf', '35']
          : encoder === 'libaom-av1'
            ? ['-cpu-used', '8', '-crf', '35', '-b:v', '0', '-row-mt', '1']
            : ['-speed', '10', '-qp', '120'],
    }),
  },
} satisfies Record<string, CodecDef>;

export type Codec = keyof typeof CODEC_TABLE;
export const CODECS = Object.keys(CODEC_TABLE) as Codec[];
/** Other names a JobSpec may use for a codec. */
export const CODEC_ALIASES: Readonly<Record<string, Codec>> = { hevc: 'h265' };

export function codecDef(codec: Codec): CodecDef {
  return CODEC_TABLE[codec];
}

export function normalizeCodec(c: string): Codec {
  return CODEC_ALIASES[c] ?? (c as Codec);
}

type AudioPlanDef = { codec: string; args: string[] };

export interface ContainerDef {
  label: string;
  /** ffmpeg's muxer (`-f`). */
  muxer: string;
  /** The `audio` policies this container can hold. */
  audio: readonly AudioPolicy[];
  /** How `audio: "auto"` keeps the source's audio here. */
  autoAudio(sourceCodecs: string[]): AudioPlanDef;
  /** The encoder `auto` may need whatever the sources hold (checked before the first clip). */
  autoEncoder: string | null;
  /** It carries a start timecode (`-timecode`). */
  timecode: boolean;
  /** It carries a reel (tape) name. */
  reel: boolean;
  /** Muxer options every proxy gets. */
  args: readonly string[];
}

const COPY: AudioPlanDef = { codec: 'copy', args: ['-c:a', 'copy'] };
const AAC: AudioPlanDef = { codec: 'aac', args: ['-c:a', 'aac', '-b:a', '192k'] };
const pcm = (mxf: boolean): AudioPlanDef => ({ codec: 'pcm_s24le', args: ['-c:a', 'pcm_s24le', ...(mxf ? ['-ar', '48000'] : [])] });

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

export const CONTAINER_TABLE = {
  mov: {
    label: 'QuickTime. ProRes, DNxHR, H.264, H.265.',
    muxer: 'mov',
    audio: ['auto', 'copy', 'aac', 'pcm', 'none'],
    autoAudio: () => pcm(false),
    autoEncoder: 'pcm_s24le',
    timecode: true,
    reel: true,
    args: ['-movflags', '+faststart+write_colr'],
  },
  mxf: {
    label: 'MXF OP1a. DNxHR, DNxHD.',
    muxer: 'mxf',
    audio: ['auto', 'copy', 'pcm', 'none'],
    autoAudio: () => pcm(true),
    autoEncoder: 'pcm_s24le',
    timecode: true,
    reel: true,
    args: [],
  },
  mp4: {
    label: 'MPEG-4. H.264, H.265, AV1.',
    muxer: 'mp4',
    audio: ['auto', 'copy', 'aac', 'none'],
    autoAudio: (src) => (src.every((c) => c === 'aac') ? COPY : AAC),
    autoEncoder: 'aac',
    timecode: true,
    reel: false,
    args: ['-movflags', '+faststart+write_colr'],
  },
  mkv: {
    label: 'Matroska. H.264, H.265, VP9, AV1.',
    muxer: 'matroska',
    audio: ['auto', 'copy', 'aac', 'pcm', 'none'],
    autoAudio: (src) => (src.every((c) => MKV_COPYABLE.has(c)) ? COPY : AAC),
    autoEncoder: 'aac',
    timecode: true,
    reel: false,
    args: [],
  },
  webm: {
    label: 'WebM. VP9, AV1.',
    muxer: 'webm',
    audio: ['auto', 'copy', 'none'],
    autoAudio: (src) =>
      src.every((c) => c === 'opus' || c === 'vorbis') ? COPY : { codec: 'libopus', args: ['-c:a', 'libopus', '-b:a', '128k'] },
    autoEncoder: 'libopus',
    timecode: false,
    reel: false,
    args: [],
  },
} satisfies Record<string, ContainerDef>;

export type Container = keyof typeof CONTAINER_TABLE;
export const CONTAINERS = Object.keys(CONTAINER_TABLE) as Container[];

export function containerDef(container: Container): ContainerDef {
  return CONTAINER_TABLE[container];
}

export function normalizeContainer(c: string): Container {
  return c.replace(/^\./, '').toLowerCase() as Container;
}

/** The video encoder a run uses: the JobSpec's ProRes encoder, else the first of the codec's the local ffmpeg has. */
export function videoEncoder(spec: Pick<JobSpec, 'codec' | 'prores_encoder'>, encoders?: Set<string>): string {
  const def = codecDef(spec.codec);
  if (def.verify.codecName === 'prores') return spec.prores_encoder;
  return def.encoders.find((e) => encoders?.has(e)) ?? def.encoders[0];
}

/** The audio encoder and its arguments, or null for no audio. */
export function audioPlan(spec: Pick<JobSpec, 'audio' | 'container'>, sourceAudio: string[]): AudioPlanDef | null {
  if (spec.audio === 'none' || sourceAudio.length === 0) return null;
  switch (spec.audio) {
    case 'copy':
      return COPY;
    case 'aac':
      return AAC;
    case 'pcm':
      return pcm(spec.container === 'mxf');
    case 'auto':
      return containerDef(spec.container).autoAudio(sourceAudio);
  }
}

/** Encoders the job needs whatever its sources hold; checked before the first clip runs. */
export function requiredEncoders(spec: Pick<JobSpec, 'codec' | 'prores_encoder' | 'audio' | 'container'>): string[] {
  const list = [videoEncoder(spec)];
  if (spec.audio === 'aac') list.push('aac');
  else if (spec.audio === 'pcm') list.push('pcm_s24le');
  else if (spec.audio === 'auto') {
    const auto = containerDef(spec.container).autoEncoder;
    if (auto) list.push(auto);
  }
  return list;
}
