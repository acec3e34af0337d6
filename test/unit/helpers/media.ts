// Shared helpers for the core suite: fresh temp folders, tiny lavfi clips, ffprobe read-backs and
// JobSpec files. Everything here uses the real ffmpeg/ffprobe on PATH.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Tools } from '../../../src/core';
import { core } from './core';

const execFileP = promisify(execFile);

export { ROOT } from './paths';

const created = new Set<string>();
process.once('exit', () => {
  if (process.env.JOBSPEC_KEEP_TEST_TMP) return;
  for (const d of created) fs.rmSync(d, { recursive: true, force: true });
});

interface Cleanup {
  after(fn: () => unknown): void;
}

/**
 * A fresh, empty temp folder. Removed by `t.after` when a test context is given, and in any case
 * when the test process exits (set JOBSPEC_KEEP_TEST_TMP=1 to keep them for a post-mortem).
 */
export async function tempDir(t?: Cleanup, prefix = 'jobspec-unit-'): Promise<string> {
  const dir = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), prefix)));
  created.add(dir);
  t?.after(async () => {
    if (process.env.JOBSPEC_KEEP_TEST_TMP) return;
    await fsp.rm(dir, { recursive: true, force: true });
    created.delete(dir);
  });
  return dir;
}

export interface ClipOptions {
  seconds?: number;
  size?: string;
  rate?: number;
  timecode?: string | null;
  audio?: boolean;
  /** Tone frequency, so that clips differ. */
  frequency?: number;
}

/**
 * A small "camera original": testsrc2 picture and a sine tone with a start timecode, H.264 + PCM in
 * whatever container the name's extension gives (mov by default).
 */
export async function makeClip(dir: string, name: string, opts: ClipOptions = {}): Promise<string> {
  const { seconds = 1, size = '320x240', rate = 25, timecode = '01:00:00:00', audio = true, frequency = 440 } = opts;
  const file = path.join(dir, name);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}`];
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=${frequency}:sample_rate=48000`);
  args.push('-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(rate));
  if (audio) args.push('-c:a', 'pcm_s16le');
  if (timecode) args.push('-timecode', timecode);
  args.push('-f', 'mov', file);
  await execFileP('ffmpeg', args);
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
  const { stdout } = await execFileP('ffprobe', args, { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as Probe;
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

/** Write a JobSpec file and return its path. */
export async function writeJobSpec(dir: string, spec: Record<string, unknown>, name = 'job.jobspec.json'): Promise<string> {
  const file = path.join(dir, name);
  await fsp.writeFile(file, JSON.stringify(spec, null, 2) + '\n');
  return file;
}

/** Names in `dir` that are the runner's temporary files. */
export async function tempFilesIn(dir: string): Promise<string[]> {
  return (await fsp.readdir(dir)).filter((n) => n.startsWith('.jobspec-tmp-'));
}

/** Report files (`*.report.json`) in `dir`, sorted. */
export async function reportsIn(dir: string): Promise<string[]> {
  return (await fsp.readdir(dir))
    .filter((n) => n.endsWith('.report.json'))
    .sort()
    .map((n) => path.join(dir, n));
}

let toolsPromise: Promise<Tools> | undefined;
/** ffmpeg and ffprobe from PATH, found once per test process. */
export function tools(): Promise<Tools> {
  toolsPromise ??= core.findTools({ env: { PATH: process.env.PATH } });
  return toolsPromise;
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}
