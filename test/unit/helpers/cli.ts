// Run the bundled headless command (dist/cli.js) as a child process, rebuilding it first when any
// source is newer than the bundle, from a private copy, in one kind of environment. Shared by every
// unit suite.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REAL_FFMPEG, REAL_FFPROBE } from './executables';
import { ROOT } from './paths';

const CLI = path.join(ROOT, 'dist', 'cli.js');

function newestSource(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|json)$/.test(e.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  walk(path.join(ROOT, 'src'));
  walk(path.join(ROOT, 'schemas'));
  newest = Math.max(newest, fs.statSync(path.join(ROOT, 'package.json')).mtimeMs);
  return newest;
}

function bundleFresh(): boolean {
  try {
    return fs.statSync(CLI).mtimeMs >= newestSource();
  } catch {
    return false;
  }
}

let privateCli: string | undefined;
/**
 * Make sure dist/cli.js is built from the current sources, and return a private copy of it to run:
 * another test process may rebuild dist/ while this one runs. A lock folder keeps two test
 * processes from bundling into dist/ at once, and no copy is taken mid-write.
 */
export function ensureCli(): string {
  if (privateCli) return privateCli;
  const lock = path.join(ROOT, 'dist', '.unit-build.lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 120_000;
  let locked = true;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        // A read-only checkout: nobody can bundle here, so use dist/ as it is if it is current.
        if (!bundleFresh())
          throw new Error(
            `dist/cli.js is missing or older than src/, and ${lock} cannot be created (${(err as Error).message}): run npm run build`,
          );
        locked = false;
        break;
      }
      // Another test process is bundling; a lock older than a minute belongs to a dead one.
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 60_000) fs.rmSync(lock, { recursive: true, force: true });
      } catch {
        // It went away meanwhile.
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    if (!bundleFresh()) execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobspec-test-cli-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    const copy = path.join(dir, 'cli.js');
    fs.copyFileSync(CLI, copy);
    privateCli = copy;
  } finally {
    if (locked) fs.rmSync(lock, { recursive: true, force: true });
  }
  return privateCli;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

export interface CliOptions {
  cwd?: string;
  /** Added on top of the clean environment (see cleanEnv). */
  env?: NodeJS.ProcessEnv;
  /** Replaces the environment entirely: exactly these variables, nothing inherited. */
  exactEnv?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Called once the child runs, e.g. to signal it later. */
  onSpawn?: (child: ChildProcess) => void;
  /**
   * A command the node process runs under, e.g. `['setpriv', '--reuid=nobody', …]` or a shell that
   * pipes it into `head`: `wrap… node cli.js ARGS…` (a shell gets the command as "$@").
   */
  wrap?: string[];
  /** Start the command in a process group of its own (its pid is the group's id), as a terminal's job is. */
  detached?: boolean;
}

let cacheDir: string | undefined;
/** A tool-check cache of this test process's own: no test depends on what an earlier run remembered. */
function testCacheDir(): string {
  if (!cacheDir) {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobspec-test-cache-'));
    const dir = cacheDir;
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return cacheDir;
}

/**
 * The environment every command runs in unless a test gives `exactEnv`: this process's, without
 * what would pick the tools or the shard behind a test's back (FFMPEG_PATH, FFPROBE_PATH,
 * JOB_COMPLETION_INDEX), with REAL_FFMPEG/REAL_FFPROBE for the stand-ins in test/fixtures/ to
 * hand over to, and a tool-check cache of this test process's own (JOBSPEC_CACHE_DIR).
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.FFMPEG_PATH;
  delete env.FFPROBE_PATH;
  delete env.JOB_COMPLETION_INDEX;
  env.REAL_FFMPEG = REAL_FFMPEG;
  env.REAL_FFPROBE = REAL_FFPROBE;
  env.JOBSPEC_CACHE_DIR = testCacheDir();
  return env;
}

/** `node dist/cli.js ARGS…` without a shell; resolves when it exits (never rejects on a non-zero exit). */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const cli = ensureCli();
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const command = [...(opts.wrap ?? []), process.execPath, cli, ...args];
    const child = spawn(command[0], command.slice(1), {
      cwd: opts.cwd ?? ROOT,
      env: opts.exactEnv ?? { ...cleanEnv(), ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: opts.detached ?? false,
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

/** For assertion messages: how the command ended, and (the first 6,000 characters of) what it printed. */
export function shown(r: CliResult): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''} after ${r.ms} ms\n--- stdout ---\n${r.stdout.slice(0, 6000)}\n--- stderr ---\n${r.stderr.slice(0, 6000)}`;
}

/** Tool flags for the real ffprobe and the given ffmpeg (real by default). */
export function toolArgs(ffmpeg = REAL_FFMPEG): string[] {
  return ['--ffmpeg', ffmpeg, '--ffprobe', REAL_FFPROBE];
}
