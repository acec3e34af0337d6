// Test media and ffprobe read-backs: the one way tests run ffmpeg, with building blocks for its
// arguments; tiny lavfi clips made to order, a fixed set of media kinds made once per test process
// and copied where a test needs them, and ffprobe's own view of a file. Everything here runs the real
// ffmpeg/ffprobe from PATH.
import { execFile, execFileSync } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Tools } from '../../../src/core';
import { REAL_FFMPEG, REAL_FFPROBE } from './executables';
import { tempDir } from './tmp';

const execFileP = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// Building blocks for ffmpeg command lines that make test media or read it back.

const QUIET = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'];

/**
 * Run the real ffmpeg with `args`, quiet but for errors, overwriting its output and never reading
 * stdin. Resolves to what it wrote on stdout (a framemd5 listing, say); rejects when it fails.
 */
export async function ffmpeg(args: string[]): Promise<string> {
  const { stdout } = await execFileP(REAL_FFMPEG, [...QUIET, ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** The same, for output written to stdout as bytes (`-f rawvideo -`). */
export async function ffmpegBytes(args: string[]): Promise<Buffer> {
  const { stdout } = await execFileP(REAL_FFMPEG, [...QUIET, ...args], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** An input made by a lavfi source (`testsrc2=…`, `sine=…`, `color=…`), with its own options. */
export function lavfi(source: string): string[] {
  return ['-f', 'lavfi', '-i', source];
}

/** Encode the picture as H.264 the fastest way, in `pixFmt`: for sources whose pixels do not matter. */
export function h264Fast(pixFmt = 'yuv420p'): string[] {
  return ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', pixFmt];
}

export interface ClipOptions {
  seconds?: number;
  size?: string;
  rate?: number;
  timecode?: string | null;
  audio?: boolean;
  /** Tone frequency, so that clips differ. */
  frequency?: number;
  /** Audio sample rate (Hz); default 48000. */
  sampleRate?: number;
  /** The lavfi picture source, with its own options: `testsrc2` (default) or e.g. `color=c=gray`. */
  picture?: string;
  /**
   * `mov` (default), or `mpegts`: a transport stream as AVCHD cameras write (.MTS, .m2ts), which
   * states no duration (a reader estimates it from timestamps), with AC-3 audio and no timecode.
   */
  container?: 'mov' | 'mpegts';
}

/**
 * A small "camera original": testsrc2 picture and a sine tone with a start timecode, H.264 + PCM,
 * written as QuickTime whatever the name's extension (or as a transport stream, see ClipOptions).
 */
export async function makeClip(dir: string, name: string, opts: ClipOptions = {}): Promise<string> {
  const {
    seconds = 1,
    size = '320x240',
    rate = 25,
    audio = true,
    frequency = 440,
    sampleRate = 48000,
    picture = 'testsrc2',
    container = 'mov',
  } = opts;
  const timecode = container === 'mov' ? (opts.timecode === undefined ? '01:00:00:00' : opts.timecode) : null;
  const file = path.join(dir, name);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const args = lavfi(`${picture}${picture.includes('=') ? ':' : '='}size=${size}:rate=${rate}`);
  if (audio) args.push(...lavfi(`sine=frequency=${frequency}:sample_rate=${sampleRate}`));
  args.push('-t', String(seconds), ...h264Fast(), '-g', String(rate));
  if (audio) args.push('-c:a', container === 'mov' ? 'pcm_s16le' : 'ac3');
  if (timecode) args.push('-timecode', timecode);
  args.push('-f', container, file);
  await ffmpeg(args);
  return file;
}

/** A file of random bytes with a media-looking name: the "corrupt clip". */
export async function makeCorrupt(dir: string, name: string, bytes = 64 * 1024): Promise<string> {
  const file = path.join(dir, name);
  const buf = Buffer.alloc(bytes);
  // Deterministic noise that no demuxer recognises.
  let x = 0x9e3779b9;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
  await fsp.writeFile(file, buf);
  return file;
}

// ---------------------------------------------------------------------------------------------
// Media kinds: each is generated once per test process, then copied where a test needs it.

export const MEDIA_KINDS = [
  'clip', // 1 s 320x240 testsrc2, H.264 + PCM audio, with a timecode
  'clip-b', // the same with another tone, so two sources differ
  'clip-no-audio',
  'audio-only',
  'medium', // 4 s: with the real-time stand-in, a run that lasts about 4 s
  'long', // 20 s, for faults that strike mid-clip (with the real-time stand-in it takes 20 s)
  'corrupt', // 64 KiB of deterministic noise
  'truncated', // the first 3 KiB of a clip: a header and no index
  'zero-byte',
] as const;

export type MediaKind = (typeof MEDIA_KINDS)[number];

const masters = new Map<MediaKind, Promise<string>>();
let masterDir: Promise<string> | undefined;

async function makeMaster(kind: MediaKind): Promise<string> {
  masterDir ??= tempDir(undefined, 'jobspec-media-');
  const dir = await masterDir;
  const name = `${kind}.${kind === 'audio-only' ? 'wav' : 'mov'}`;
  const file = path.join(dir, name);
  switch (kind) {
    case 'clip':
      return makeClip(dir, name);
    case 'clip-b':
      return makeClip(dir, name, { frequency: 880 });
    case 'clip-no-audio':
      return makeClip(dir, name, { audio: false });
    case 'medium':
      return makeClip(dir, name, { seconds: 4 });
    case 'long':
      return makeClip(dir, name, { seconds: 20 });
    case 'audio-only':
      await ffmpeg([...lavfi('sine=frequency=440:sample_rate=48000:duration=1'), '-c:a', 'pcm_s16le', file]);
      return file;
    case 'corrupt':
      return makeCorrupt(dir, name);
    case 'truncated': {
      const whole = await fsp.readFile(await master('clip'));
      await fsp.writeFile(file, whole.subarray(0, 3072));
      return file;
    }
    case 'zero-byte':
      await fsp.writeFile(file, '');
      return file;
  }
}

function master(kind: MediaKind): Promise<string> {
  let p = masters.get(kind);
  if (!p) {
    p = makeMaster(kind);
    masters.set(kind, p);
  }
  return p;
}

/** Put a file of the given kind at `file` (folders are created). */
export async function placeMedia(file: string, kind: MediaKind): Promise<string> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.copyFile(await master(kind), file);
  return file;
}

// ---------------------------------------------------------------------------------------------
// ffprobe read-backs, independent of the runner's own verification.

export interface ProbeStream {
  index: number;
  codec_type: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  nb_read_frames?: string;
  sample_rate?: string;
  codec_tag_string?: string;
  tags?: Record<string, string>;
}

export interface Probe {
  streams: ProbeStream[];
  format: { format_name: string; duration?: string; tags?: Record<string, string> };
}

/** ffprobe's own view of a file, independent of the runner's verification. */
export async function probe(file: string, opts: { countFrames?: boolean } = {}): Promise<Probe> {
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams'];
  if (opts.countFrames) args.push('-count_frames');
  args.push(file);
  const { stdout } = await execFileP(REAL_FFPROBE, args, { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as Probe;
}

/** The container's duration in seconds, as ffprobe reads it. */
export function durationOf(file: string): number {
  return Number(
    execFileSync(REAL_FFPROBE, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', `file:${file}`], {
      encoding: 'utf8',
    }).trim(),
  );
}

export function videoStream(p: Probe): ProbeStream {
  const v = p.streams.find((s) => s.codec_type === 'video');
  if (!v) throw new Error(`no video stream in ${JSON.stringify(p.format)}`);
  return v;
}

export function audioStreams(p: Probe): ProbeStream[] {
  return p.streams.filter((s) => s.codec_type === 'audio');
}

/** The start timecode as ffprobe reports it on any stream or the format. */
export function timecodeOf(p: Probe): string | undefined {
  return p.format.tags?.timecode ?? p.streams.map((s) => s.tags?.timecode).find((t): t is string => typeof t === 'string');
}

let toolsPromise: Promise<Tools> | undefined;
/** The engine's view of ffmpeg and ffprobe from PATH, found once per test process. */
export function tools(): Promise<Tools> {
  // The engine is loaded on first use: bundling it takes a moment that suites needing only media and
  // the headless command (the corpus, the fault scenes) should not pay.
  toolsPromise ??= import('./core').then(({ core }) => core.findTools({ env: { PATH: process.env.PATH } }));
  return toolsPromise;
}
