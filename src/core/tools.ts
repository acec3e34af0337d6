// Finding ffmpeg and ffprobe: explicit path, then FFMPEG_PATH/FFPROBE_PATH, then PATH; each verified by running it.
import * as fs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseGuard, type Guard } from './guard';
import { loadExeca } from './spawn';

export interface Tools {
  ffmpeg: string;
  ffprobe: string;
  /** e.g. "5.1.9-0+deb12u1" */
  version: string;
  encoders: Set<string>;
  /** How ffmpeg and ffprobe are kept from outliving this process (see guard.ts). */
  guard: Guard;
}

export interface FindToolsOptions {
  ffmpegPath?: string;
  ffprobePath?: string;
  env?: NodeJS.ProcessEnv;
}

/** The environment cannot run a job: no ffmpeg, a broken one, a missing encoder. Exit code 4. */
export class EnvironmentError extends Error {
  constructor(
    message: string,
    readonly code: 'ffmpeg-missing' | 'ffprobe-missing' | 'ffmpeg-broken' | 'encoder-missing' | 'output-not-writable' | 'lut-unreadable',
    readonly tool?: 'ffmpeg' | 'ffprobe',
  ) {
    super(message);
    this.name = 'EnvironmentError';
  }
}

/** Kept for callers that only care that a tool is missing. */
export class ToolNotFoundError extends EnvironmentError {}

async function isExecutable(p: string): Promise<boolean> {
  try {
    const st = await fs.stat(p);
    if (!st.isFile()) return false;
    await fs.access(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function searchPath(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (await isExecutable(candidate)) return candidate;
    }
  }
  return null;
}

interface Candidate {
  path: string;
  from: string;
}

async function locate(
  tool: 'ffmpeg' | 'ffprobe',
  explicit: string | undefined,
  envVar: string,
  env: NodeJS.ProcessEnv,
  sibling?: string,
): Promise<Candidate> {
  if (explicit) return { path: explicit, from: 'the configured path' };
  const fromEnv = env[envVar];
  if (fromEnv) return { path: fromEnv, from: envVar };
  if (sibling) {
    const exe = path.join(path.dirname(sibling), tool + (process.platform === 'win32' ? '.exe' : ''));
    if (await isExecutable(exe)) return { path: exe, from: `the folder of ${path.basename(sibling)}` };
  }
  const found = await searchPath(tool, env);
  if (found) return { path: found, from: 'PATH' };
  throw new ToolNotFoundError(
    `${tool} was not found on PATH. Install ffmpeg (for example \`apt-get install ffmpeg\`), or set the ${tool} path (setting jobspec.${tool}Path, or ${envVar}).`,
    tool === 'ffmpeg' ? 'ffmpeg-missing' : 'ffprobe-missing',
    tool,
  );
}

const cache = new Map<string, Promise<Tools>>();

/**
 * Find and verify ffmpeg and ffprobe. Results are cached per resolved pair of paths in this process,
 * and on disk (see toolCacheFile) keyed by both executables' path, size, modification time and inode:
 * the check starts three processes, which a command run again need not pay for an unchanged ffmpeg.
 */
export async function findTools(opts: FindToolsOptions = {}): Promise<Tools> {
  const env = opts.env ?? process.env;
  // Tools are found to start them: execa is loaded here, also when the check is recalled from the cache.
  await loadExeca();
  const ff = await locate('ffmpeg', opts.ffmpegPath, 'FFMPEG_PATH', env);
  const fp = await locate('ffprobe', opts.ffprobePath, 'FFPROBE_PATH', env, ff.path);
  const key = `${ff.path}\0${fp.path}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = verifyOrRecall(ff, fp, toolCacheFile(env), env);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

/**
 * Where the tool check is remembered: JOBSPEC_CACHE_DIR, else XDG_CACHE_HOME/jobspec, else
 * ~/.cache/jobspec; none when JOBSPEC_TOOL_CACHE is 0.
 */
export function toolCacheFile(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.JOBSPEC_TOOL_CACHE === '0') return null;
  const dir = env.JOBSPEC_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'jobspec');
  return path.join(dir, 'tools.json');
}

interface RememberedTools {
  key: string;
  version: string;
  encoders: string[];
  guard: Guard;
}

/** An executable as the cache knows it: what changes when it is replaced or upgraded. */
async function identity(p: string): Promise<string | null> {
  try {
    const st = await fs.stat(p);
    return `${p}|${st.size}|${st.mtimeMs}|${st.ino}`;
  } catch {
    return null;
  }
}

async function verifyOrRecall(ff: Candidate, fp: Candidate, file: string | null, env: NodeJS.ProcessEnv): Promise<Tools> {
  const [ffId, fpId] = await Promise.all([identity(ff.path), identity(fp.path)]);
  // A guard forced by the environment is part of what was checked.
  const key = ffId && fpId ? `${ffId}\n${fpId}\nguard=${env.JOBSPEC_CHILD_GUARD ?? ''}` : null;
  if (file && key) {
    try {
      const saved = JSON.parse(await fs.readFile(file, 'utf8')) as RememberedTools[];
      const hit = Array.isArray(saved) ? saved.find((e) => e.key === key) : undefined;
      // The guard's own executable must still be there to be used.
      if (hit && (hit.guard.kind !== 'pdeathsig' || (hit.guard.setpriv && (await identity(hit.guard.setpriv))))) {
        return { ffmpeg: ff.path, ffprobe: fp.path, version: hit.version, encoders: new Set(hit.encoders), guard: hit.guard };
      }
    } catch {
      // No cache yet, or an unreadable one: verify.
    }
  }
  const tools = await verify(ff, fp, env);
  if (file && key) await remember(file, { key, version: tools.version, encoders: [...tools.encoders], guard: tools.guard });
  return tools;
}

/** Add one entry to the cache file, replacing it atomically; a cache that cannot be written is simply not kept. */
async function remember(file: string, entry: RememberedTools): Promise<void> {
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    let saved: RememberedTools[] = [];
    try {
      const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
      if (Array.isArray(parsed)) saved = parsed as RememberedTools[];
    } catch {
      saved = [];
    }
    const kept = [entry, ...saved.filter((e) => e.key !== entry.key)].slice(0, 8);
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(kept) + '\n', { flag: 'wx' });
    await fs.rename(tmp, file);
  } catch {
    // Read-only home, full disk: the next run checks again.
  }
}

async function verify(ff: Candidate, fp: Candidate, env: NodeJS.ProcessEnv): Promise<Tools> {
  // One run of `ffmpeg -encoders` gives both the version (banner on stderr) and the encoder list.
  const { execa } = await loadExeca();
  const [ffRun, fpRun, guard] = await Promise.all([
    execa(ff.path, ['-encoders'], { reject: false, timeout: 15000, stdin: 'ignore' }).catch((e: Error) => e),
    execa(fp.path, ['-version'], { reject: false, timeout: 15000, stdin: 'ignore' }).catch((e: Error) => e),
    chooseGuard(env),
  ]);
  if (ffRun instanceof Error || ffRun.exitCode !== 0) {
    const why =
      ffRun instanceof Error
        ? ffRun.message
        : ffRun.failed && ffRun.exitCode === undefined
          ? ffRun.shortMessage
          : `exit code ${ffRun.exitCode}`;
    // With reject: false execa returns its error as the result (an Error too), so ask the errno, not the type.
    const missing = (ffRun as { code?: string }).code === 'ENOENT';
    throw new EnvironmentError(
      missing
        ? `ffmpeg not found at ${ff.path} (from ${ff.from}). Install ffmpeg or fix the path.`
        : `ffmpeg at ${ff.path} (from ${ff.from}) does not run: ${why}. Reinstall ffmpeg or point the ffmpeg path at a working one.`,
      missing ? 'ffmpeg-missing' : 'ffmpeg-broken',
      'ffmpeg',
    );
  }
  if (fpRun instanceof Error || fpRun.exitCode !== 0) {
    const missing = (fpRun as { code?: string }).code === 'ENOENT';
    throw new EnvironmentError(
      missing
        ? `ffprobe not found at ${fp.path} (from ${fp.from}). Install ffmpeg (it includes ffprobe) or set the ffprobe path.`
        : `ffprobe at ${fp.path} (from ${fp.from}) does not run. Reinstall ffmpeg or set the ffprobe path.`,
      missing ? 'ffprobe-missing' : 'ffmpeg-broken',
      'ffprobe',
    );
  }
  const encoders = new Set<string>();
  for (const line of String(ffRun.stdout).split('\n')) {
    const m = /^\s[VASFXBD.]{6}\s+(\S+)/.exec(line);
    if (m && m[1] !== '=') encoders.add(m[1]);
  }
  const version = /ffmpeg version\s+(\S+)/.exec(String(ffRun.stderr))?.[1] ?? 'unknown';
  return { ffmpeg: ff.path, ffprobe: fp.path, version, encoders, guard };
}

/** Forget cached tool checks (after a settings change). */
export function clearToolCache(): void {
  cache.clear();
}
