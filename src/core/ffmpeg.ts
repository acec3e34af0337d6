// Probing sources and building ffmpeg argument lists per the codec/container matrix.
// One argument builder for the runner, the dry run and the benchmark.
import { runGuarded } from './guard';
import { lookupFailure, quote } from './text';
import type { Tools } from './tools';
import { EnvironmentError } from './tools';
import { audioPlan, codecDef, containerDef, requiredEncoders, videoEncoder } from './formats';
import { isInterlaced, mediaFacts, pictureStream, type MediaFacts, type ProbeFormat, type ProbeStream } from './media';
import { drawtextFilters } from './burnin';
import { filterWith } from './filtergraph';
import type { BurnInPosition, JobSpec } from './types';

/** What the runner knows of a source from its one probe: the relink facts and what encoding needs. */
export interface SourceInfo extends MediaFacts {
  pixFmt: string | null;
  hasAlpha: boolean;
  /** The longest stream's duration (what ffmpeg's progress counts towards); null when unknown. */
  durationSeconds: number | null;
  audioCodecs: string[];
}

/**
 * ffmpeg reads a path that starts with `proto:` as a protocol and one that starts with `-` as an
 * option. The `file:` prefix on an absolute path makes it a local file whatever its name says.
 */
export function fileUrl(absPath: string): string {
  return `file:${absPath}`;
}

interface ProbeJson {
  streams?: ProbeStream[];
  format?: ProbeFormat;
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
  const video = pictureStream(json.streams);
  if (!video) {
    const kinds = json.streams.map((s) => s.codec_type).filter(Boolean);
    throw new ProbeError(
      kinds.length
        ? `it has no video stream (only ${[...new Set(kinds)].join(', ')}); a proxy needs picture. Remove it from sources.`
        : 'it holds no streams ffprobe recognises; the file may be corrupt.',
      stderr,
    );
  }
  const facts = mediaFacts(json.streams, json.format) as MediaFacts;
  const durations = [json.format?.duration, video.duration].map((d) => (d ? Number(d) : NaN)).filter((d) => Number.isFinite(d) && d > 0);
  const pixFmt = video.pix_fmt ?? null;
  return {
    ...facts,
    pixFmt,
    hasAlpha: pixFmt !== null && /^(yuva|rgba|bgra|argb|abgr|gbrap|ya)/.test(pixFmt),
    durationSeconds: durations.length ? durations[0] : null,
    audioCodecs: facts.audio.map((a) => a.codec),
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
  /** The LUT file ffmpeg reads: the run's private copy of the JobSpec's `lut` (default: the file itself). */
  lutFile?: string;
  /** Each burn-in position's text file (required when the JobSpec has `burn_in`). */
  burnInFiles?: { position: BurnInPosition; file: string }[];
}

export type BuildResult = { args: string[]; width: number; height: number } | { error: string };

/** swscale's name for a colour matrix, from ffprobe's; HD and larger default to BT.709, smaller to BT.601. */
function scaleMatrix(matrix: string | null, height: number): string {
  switch (matrix) {
    case 'bt709':
      return 'bt709';
    case 'smpte170m':
    case 'bt470bg':
      return 'bt601';
    case 'bt2020nc':
    case 'bt2020c':
      return 'bt2020';
    case 'fcc':
      return 'fcc';
    case 'smpte240m':
      return 'smpte240m';
    default:
      return height >= 720 ? 'bt709' : 'bt601';
  }
}

/**
 * Whether a start timecode can be written at another frame rate: its frame field must exist at that
 * rate, and drop-frame timecode (";") exists only at 29.97 and 59.94.
 */
export function timecodeFits(tc: string, fps: number): boolean {
  const m = /^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$/.exec(tc);
  if (!m) return false;
  const drop = m[4] === ';' || m[4] === ',';
  const ntscDrop = Math.abs(fps - 30000 / 1001) < 0.001 || Math.abs(fps - 60000 / 1001) < 0.001;
  if (drop && !ntscDrop) return false;
  return Number(m[5]) < Math.round(fps);
}

/** Matrix names ffprobe reports that ffmpeg's setparams filter takes. */
const SETPARAMS_MATRICES = new Set([
  'gbr',
  'bt709',
  'fcc',
  'bt470bg',
  'smpte170m',
  'smpte240m',
  'ycgco',
  'bt2020nc',
  'bt2020c',
  'smpte2085',
  'chroma-derived-nc',
  'chroma-derived-c',
  'ictcp',
]);

/** The exact ffmpeg argument list for one clip, writing to `target` (a temporary path in the output folder). */
export function buildFfmpegArgs(spec: JobSpec, source: string, info: SourceInfo, target: string, opts: BuildOptions = {}): BuildResult {
  // The proxy is the picture as it is displayed (a phone clip's rotation, an anamorphic pixel aspect
  // applied) in square pixels: what every editing system shows the source as.
  const size = outputSize(spec.resolution, info.display_width, info.display_height);
  const interlaced = isInterlaced(info.field_order);
  const codec = codecDef(spec.codec);
  if (interlaced && codec.interlaced === 'none') {
    return {
      error: `${spec.codec} cannot keep this clip's interlacing (field order ${info.field_order}): ffmpeg's encoder for it writes progressive frames only, and a proxy of an interlaced source must stay interlaced to match it. Use prores_proxy (or another ProRes), h264, or dnxhd for interlaced sources.`,
    };
  }
  const conform = spec.fps_mode === 'explicit' && spec.fps_explicit ? spec.fps_explicit : null;
  const container = containerDef(spec.container);
  const keepTimecode = info.timecode !== null && container.timecode;
  if (keepTimecode && conform !== null && info.timecode !== null && (info.fps === null || Math.abs(conform - info.fps) > 0.001)) {
    if (!timecodeFits(info.timecode, conform)) {
      return {
        error: `conforming to ${conform} fps cannot keep this clip's timecode ${info.timecode} (${info.fps ? `${info.fps.toFixed(3)} fps` : 'unknown rate'}): that timecode does not exist at ${conform} fps, and a proxy without its source's timecode cannot be relinked. Use fps_mode "same-as-source" for proxies that relink.`,
      };
    }
  }
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

  // Scaling converts with the source's own colour matrix and range (swscale would assume BT.601),
  // and keeps the two fields of an interlaced picture apart.
  const matrix = scaleMatrix(info.color.matrix, info.display_height);
  const range = info.color.range === 'pc' ? 'full' : 'tv';
  const scale = [
    `scale=${size.width}:${size.height}`,
    'flags=bicubic',
    `in_color_matrix=${matrix}`,
    `out_color_matrix=${matrix}`,
    `in_range=${range}`,
    `out_range=${range}`,
  ];
  if (interlaced) scale.push('interl=1');
  const filters: string[] = [];
  if (spec.lut) {
    // The LUT works on RGB at the source's size, before scaling. The conversion to RGB is made here,
    // with the source's own matrix and range, rather than left to ffmpeg's automatic one (BT.601); the
    // scale after it converts back with the same matrix (and ignores both settings on RGB input).
    const toRgb = ['scale=w=iw:h=ih', 'flags=bicubic+accurate_rnd+full_chroma_int', `in_color_matrix=${matrix}`, `in_range=${range}`];
    if (interlaced) toRgb.push('interl=1');
    filters.push(toRgb.join(':'), `format=${info.hasAlpha ? 'gbrap16le' : 'gbrp16le'}`);
    const file = opts.lutFile ?? spec.lut.path;
    filters.push(
      spec.lut.kind === '1d'
        ? filterWith('lut1d', [
            ['file', file],
            ['interp', 'linear'],
          ])
        : filterWith('lut3d', [
            ['file', file],
            ['interp', 'tetrahedral'],
          ]),
    );
  }
  filters.push(scale.join(':'));
  // Back from RGB, ffmpeg 5.1 leaves the frames' matrix unset and the encoder then writes none: the
  // source's tag is set on the frames again (verification checks it is carried over).
  if (spec.lut && info.color.matrix && SETPARAMS_MATRICES.has(info.color.matrix)) filters.push(`setparams=colorspace=${info.color.matrix}`);
  filters.push('setsar=1');
  let outFps = info.fps;
  if (conform !== null) {
    filters.push(`fps=${fpsFraction(conform)}`);
    outFps = conform;
  } else {
    // One proxy frame per source frame, with its timestamp: what an editing system needs to relink
    // (mov and mp4 would otherwise duplicate or drop frames to make a variable rate constant).
    args.push('-fps_mode', 'passthrough');
  }

  const encoder = videoEncoder(spec, opts.encoders);
  const video = codec.video({ encoder, container: spec.container, ...size, fps: outFps, alpha: info.hasAlpha, interlaced });
  if ('error' in video) return { error: video.error };
  const { pixFmt } = video;
  const v: string[] = ['-c:v', encoder, ...video.args];
  filters.push(`format=${pixFmt}`);
  if (spec.burn_in) {
    // Drawn on the proxy's own frames (after scaling and any conform), in its pixel format.
    if (!opts.burnInFiles) return { error: 'the burn-in text files were not prepared (an internal error); please report it' };
    filters.push(...drawtextFilters(spec.burn_in, opts.burnInFiles, size.width, size.height));
  }
  args.push('-vf', filters.join(','));
  args.push(...v);
  if (threads) args.push('-threads', threads);
  if (interlaced && info.field_order) args.push('-field_order', info.field_order);
  // The source's colour tags, carried over as they are (an untagged source stays untagged).
  const c = info.color;
  if (c.primaries) args.push('-color_primaries', c.primaries);
  if (c.transfer) args.push('-color_trc', c.transfer);
  if (c.matrix) args.push('-colorspace', c.matrix);
  if (c.range) args.push('-color_range', c.range);
  if (audio) args.push(...audio.args);
  else args.push('-an');
  if (keepTimecode && info.timecode) args.push('-timecode', info.timecode);
  // The reel (tape) name editors conform by: mov keeps it on its timecode track, mxf in its package.
  if (info.reel && container.reel) args.push('-metadata', `reel_name=${info.reel}`, '-metadata:s:v:0', `reel_name=${info.reel}`);
  args.push(...container.args);
  args.push('-f', container.muxer, fileUrl(target));
  return { args, ...size };
}

/** Quote an argument list for display (POSIX shell), so a person can paste it. Never executed. */
export function formatCommandLine(exe: string, args: string[]): string {
  const q = (s: string): string => (/^[A-Za-z0-9_\-+=.,:/@%]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [exe, ...args].map(q).join(' ');
}
