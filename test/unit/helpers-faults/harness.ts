// Shared machinery for the corpus, fault, security and fuzz suites (issue #5): temp folders, tiny
// lavfi media, the built headless command as a child process, file-tree hashes, process checks and
// small tmpfs mounts. Only real ffmpeg/ffprobe from PATH and the stand-ins in test/fixtures/.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as Index from '../../../src/core';
import type * as Ffmpeg from '../../../src/core/ffmpeg';
import type * as Naming from '../../../src/core/naming';
import type * as Temp from '../../../src/core/temp';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
export const CORPUS = path.join(ROOT, 'test', 'corpus');

function which(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // next
    }
  }
  throw new Error(`${name} is not on PATH; these tests need the real ffmpeg and ffprobe`);
}

export const REAL_FFMPEG = which('ffmpeg');
export const REAL_FFPROBE = which('ffprobe');

/** A stand-in executable from test/fixtures/, checked to exist and be executable. */
export function standIn(name: string): string {
  const p = path.join(FIXTURES, name);
  fs.accessSync(p, fs.constants.X_OK);
  return p;
}

// ---------------------------------------------------------------------------------------------
// Temp folders

const created = new Set<string>();
process.once('exit', () => {
  if (process.env.JOBSPEC_KEEP_TEST_TMP) return;
  for (const d of created) {
    try {
      fs.rmSync(d, { recursive: true, force: true });
    } catch {
      // Still a mount point, say: leave it rather than fail the exit.
    }
  }
});

interface Cleanup {
  after(fn: () => unknown): void;
}

/** A fresh folder under the system temp dir (real path), removed after the test and at exit. */
export async function tempDir(t?: Cleanup, prefix = 'jobspec-fault-'): Promise<string> {
  const dir = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), prefix)));
  created.add(dir);
  t?.after(async () => {
    if (process.env.JOBSPEC_KEEP_TEST_TMP) return;
    // A tmpfs mounted inside may still be busy here (its own hook unmounts it); then the exit handler retries.
    if (
      await fsp.rm(dir, { recursive: true, force: true }).then(
        () => true,
        () => false,
      )
    )
      created.delete(dir);
  });
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Media: each kind is generated once per test process, then copied where a test needs it.

export type MediaKind =
  | 'clip' // 1 s 320x240 testsrc2, H.264 + PCM audio, with a timecode
  | 'clip-b' // the same with another tone, so two sources differ
  | 'clip-no-audio'
  | 'audio-only'
  | 'medium' // 4 s: with the real-time stand-in, a run that lasts about 4 s
  | 'long' // 20 s, for faults that strike mid-clip (with the real-time stand-in it takes 20 s)
  | 'corrupt' // 64 KiB of deterministic noise
  | 'truncated' // the first 3 KiB of a clip: a header and no index
  | 'zero-byte';

const masters = new Map<MediaKind, Promise<string>>();
let masterDir: string | undefined;

function ff(args: string[]): void {
  execFileSync(REAL_FFMPEG, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function makeMaster(kind: MediaKind): Promise<string> {
  if (!masterDir) masterDir = await tempDir(undefined, 'jobspec-fault-media-');
  const file = path.join(masterDir, `${kind}.${kind === 'audio-only' ? 'wav' : 'mov'}`);
  const video = (seconds: number): string[] => ['-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=25:duration=${seconds}`];
  const tone = (seconds: number, f: number): string[] => ['-f', 'lavfi', '-i', `sine=frequency=${f}:sample_rate=48000:duration=${seconds}`];
  const enc = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-timecode', '01:00:00:00'];
  switch (kind) {
    case 'clip':
      ff([...video(1), ...tone(1, 440), ...enc, '-c:a', 'pcm_s16le', '-shortest', file]);
      break;
    case 'clip-b':
      ff([...video(1), ...tone(1, 880), ...enc, '-c:a', 'pcm_s16le', '-shortest', file]);
      break;
    case 'clip-no-audio':
      ff([...video(1), ...enc, '-an', file]);
      break;
    case 'audio-only':
      ff([...tone(1, 440), '-c:a', 'pcm_s16le', file]);
      break;
    case 'medium':
      ff([...video(4), ...tone(4, 440), ...enc, '-c:a', 'pcm_s16le', '-shortest', file]);
      break;
    case 'long':
      ff([...video(20), ...tone(20, 440), ...enc, '-c:a', 'pcm_s16le', '-shortest', file]);
      break;
    case 'corrupt': {
      // Deterministic noise: a hash chain, so the file is the same on every run.
      const chunks: Buffer[] = [];
      let h = Buffer.from('jobspec corrupt source');
      while (chunks.length * 32 < 64 * 1024) {
        h = createHash('sha256').update(h).digest();
        chunks.push(h);
      }
      await fsp.writeFile(file, Buffer.concat(chunks));
      break;
    }
    case 'truncated': {
      const whole = await fsp.readFile(await master('clip'));
      await fsp.writeFile(file, whole.subarray(0, 3072));
      break;
    }
    case 'zero-byte':
      await fsp.writeFile(file, '');
      break;
  }
  return file;
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
// File trees: what is there, and whether any byte changed.

export interface Entry {
  kind: 'file' | 'dir' | 'symlink' | 'other';
  /** sha256 of a file, the target of a symlink. */
  digest?: string;
  size?: number;
}

export async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fsp.readFile(file))
    .digest('hex');
}

/** Every entry below `root` (dot-files included), by path relative to `root`. Symlinks are not followed. */
export function snapshot(root: string, skip: (rel: string) => boolean = () => false): Map<string, Entry> {
  // Synchronous on purpose: 10,000 small files hash in a fraction of the time the promise API takes.
  const out = new Map<string, Entry>();
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const abs = path.join(dir, name);
      const rel = path.relative(root, abs);
      if (skip(rel)) continue;
      const st = fs.lstatSync(abs);
      if (st.isSymbolicLink()) out.set(rel, { kind: 'symlink', digest: fs.readlinkSync(abs) });
      else if (st.isDirectory()) {
        out.set(rel, { kind: 'dir' });
        walk(abs);
      } else if (st.isFile())
        out.set(rel, { kind: 'file', digest: createHash('sha256').update(fs.readFileSync(abs)).digest('hex'), size: st.size });
      else out.set(rel, { kind: 'other' });
    }
  };
  walk(root);
  return out;
}

export interface TreeDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

export function diffTrees(before: Map<string, Entry>, after: Map<string, Entry>): TreeDiff {
  const added = [...after.keys()].filter((k) => !before.has(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const changed = [...before.keys()].filter((k) => {
    const a = before.get(k);
    const b = after.get(k);
    return b !== undefined && (a?.kind !== b.kind || a?.digest !== b.digest);
  });
  return { added, removed, changed };
}

export const TEMP_RE = /^\.jobspec-(tmp|write-probe)-/;
export const REPORT_RE = /\.report\.json$/;

/** Names in `dir` that a run leaves only while it runs: temporary proxies, reports and write probes. */
export async function leftovers(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir)).filter((n) => TEMP_RE.test(n));
  } catch {
    return [];
  }
}

export async function reportsIn(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir)).filter((n) => REPORT_RE.test(n)).map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// The headless command.

import { CLI, ensureCli } from '../helpers/cli';

export { CLI, ensureCli };

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliOptions {
  cwd?: string;
  /** Added to a clean environment (no FFMPEG_PATH/FFPROBE_PATH). */
  env?: NodeJS.ProcessEnv;
  /** Replaces the environment entirely. */
  exactEnv?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  onSpawn?: (child: ChildProcess) => void;
}

/** `node dist/cli.js ARGS…` without a shell; resolves when it exits, whatever the code. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const cli = ensureCli();
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const base = { ...process.env };
    delete base.FFMPEG_PATH;
    delete base.FFPROBE_PATH;
    delete base.JOB_COMPLETION_INDEX;
    base.REAL_FFMPEG = REAL_FFMPEG;
    base.REAL_FFPROBE = REAL_FFPROBE;
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: opts.exactEnv ?? { ...base, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const limit = opts.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`jobspec ${args.join(' ')} did not finish in ${limit} ms (a hang)\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, limit);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
    opts.onSpawn?.(child);
  });
}

export function shown(r: CliResult): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''} after ${r.ms} ms\n--- stdout ---\n${r.stdout.slice(0, 6000)}\n--- stderr ---\n${r.stderr.slice(0, 6000)}`;
}

/** Tool flags for the real ffprobe and the given ffmpeg (real by default). */
export function toolArgs(ffmpeg = REAL_FFMPEG): string[] {
  return ['--ffmpeg', ffmpeg, '--ffprobe', REAL_FFPROBE];
}

// ---------------------------------------------------------------------------------------------
// JobSpecs

export interface SpecFields {
  [k: string]: unknown;
}

export function baseSpec(over: SpecFields = {}): SpecFields {
  return {
    job_id: 'fault',
    sources: ['media/clip.mov'],
    output_directory: 'out',
    codec: 'h264',
    container: 'mp4',
    resolution: 'half',
    naming_template: '{source_name}_proxy',
    ...over,
  };
}

export async function writeSpec(dir: string, spec: SpecFields, name = 'job.jobspec.json'): Promise<string> {
  const file = path.join(dir, name);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, JSON.stringify(spec, null, 2) + '\n');
  return file;
}

// ---------------------------------------------------------------------------------------------
// Processes

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie is dead for our purposes.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Live processes whose parent is `ppid` (Linux /proc). */
export function childrenOf(ppid: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${n}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      if (Number(fields[1]) === ppid && fields[0] !== 'Z') out.push({ pid: Number(n), comm });
    } catch {
      // gone
    }
  }
  return out;
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function readPid(file: string): Promise<number> {
  return waitFor(`a pid in ${file}`, async () => {
    try {
      const n = Number((await fsp.readFile(file, 'utf8')).trim().split('\n').pop());
      return Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Mounts (root only)

let mountProbe: string | null | undefined;

/** Why tmpfs mounts cannot be used here, or null when they can. */
export function mountSkipReason(): string | null {
  if (mountProbe !== undefined) return mountProbe;
  if (process.platform !== 'linux') return (mountProbe = `not Linux (${process.platform}): no tmpfs mounts`);
  if (typeof process.getuid !== 'function' || process.getuid() !== 0)
    return (mountProbe = 'not running as root: cannot mount a small or read-only tmpfs');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobspec-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    mountProbe = null;
  } catch (err) {
    mountProbe = `root, but mount -t tmpfs fails here (${String((err as Error).message).split('\n')[0]}); a container without CAP_SYS_ADMIN?`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return mountProbe;
}

/** Mount a tmpfs on `dir` (created) and unmount it after the test. */
export async function mountTmpfs(t: Cleanup, dir: string, options: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  const unmount = (): void => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    } catch {
      // already gone
    }
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // the test folder's own cleanup removes it
    }
  };
  process.once('exit', unmount);
  t.after(unmount);
}

// ---------------------------------------------------------------------------------------------
// The engine in-process (bundled, because execa 9 cannot be require()d under tsx: see
// test/unit/helpers/core.ts for the long story), shared with the other unit suites.

export type Core = typeof Index & { ffmpeg: typeof Ffmpeg; naming: typeof Naming; temp: typeof Temp };

/** The bundled engine of test/unit/helpers/core.ts, loaded on first use. */
export function core(): Core {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../helpers/core') as { core: Core }).core;
}
