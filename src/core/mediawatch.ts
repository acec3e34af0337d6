// Media watch folders: camera files dropped anywhere under a folder get proxies made per a template
// JobSpec (a JobSpec without `sources`). The clips are camera originals: they stay where they were
// dropped, are only read, and nothing is written inside the folder except where the template says
// (its output_directory, or a Proxy folder beside each clip with layout beside-source; the lock and the
// reports go to output_directory).
//
// A clip is taken once it has stopped changing for the settle time (from when it was first seen: a copy
// tool may give a file its original time before the bytes arrive), no process on this machine still
// has it open for writing (Linux), and ffprobe reads it as media with a picture. The clips that became
// ready in one scan form a batch: one run, validated as a whole JobSpec with those sources, and one
// report. A clip whose proxy a report in output_directory records as COMPLETED with these settings, and
// which is still in place at that size, is not made again. A clip that fails is not retried until it
// changes; a clip the run did not reach (fail-fast) goes into the next batch.
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { probeSource, ProbeError } from './ffmpeg';
import { validateJobSpecText } from './jobspec';
import { FolderLock } from './lock';
import { settingsDigest } from './plan';
import { readReport, reportsInFolder } from './report';
import { runJob } from './run';
import { fileSignature, SettleTracker } from './settle';
import { quote } from './text';
import { EnvironmentError, type Tools } from './tools';
import { EXIT, type JobSpec, type Problem, type RunEvent, type RunResult } from './types';

/** Files taken as camera media, by extension (case-insensitive). */
export const MEDIA_EXTENSIONS = ['mov', 'mp4', 'm4v', 'mxf', 'mts', 'm2ts', 'mkv', 'avi', 'mpg', 'mpeg', 'webm'] as const;
/** Camera RAW that ffmpeg cannot decode: named and skipped, never left silently aside. */
export const CAMERA_RAW_EXTENSIONS: Readonly<Record<string, string>> = {
  r3d: 'RED R3D',
  braw: 'Blackmagic RAW',
  ari: 'ARRIRAW',
  crm: 'Canon Cinema RAW Light',
  nev: 'Nikon N-RAW',
};

export const MEDIA_WATCH_DEFAULT_SETTLE_MS = 5_000;

export type MediaWatchEvent =
  | { type: 'media-watch-started'; dir: string; template: string; outputDirectory: string; settleMs: number; once: boolean }
  /** A new camera file (or one that changed): it is taken once it has stopped changing. */
  | { type: 'seen'; clip: string }
  /** A settled clip that some process on this machine still has open for writing. */
  | { type: 'busy'; clip: string; pids: number[] }
  /** A camera file that cannot be made into a proxy (RAW ffmpeg cannot decode, not readable as media). */
  | { type: 'skipped'; clip: string; reason: string }
  /** A report in output_directory already records this clip's proxy (still in place): not made again. */
  | { type: 'already-done'; clip: string; output: string; report: string }
  /** Refused by the batch's validation (an output collision, a proxy that would land on a source…). */
  | { type: 'refused'; clip: string; reason: string }
  | { type: 'batch-started'; batch: number; clips: string[] }
  | { type: 'run'; batch: number; event: RunEvent }
  | { type: 'batch-finished'; batch: number; result: RunResult }
  | { type: 'problem'; message: string }
  | { type: 'media-watch-stopped'; reason: 'cancelled' | 'done' | 'lock-lost' | 'environment' };

export interface MediaWatchOptions {
  tools: Tools;
  /** The template JobSpec file. */
  template: string;
  once?: boolean;
  signal?: AbortSignal;
  pollMs?: number;
  /** A clip is taken once it has not changed for this long (default 5 s). */
  settleMs?: number;
  /** A settled clip ffprobe cannot read is reported as skipped after this long unchanged (default 60 s; at once with `once`). */
  giveUpMs?: number;
  onEvent?: (e: MediaWatchEvent) => void;
  stallTimeoutSeconds?: number;
}

/** The template is not a usable JobSpec template; its problems are located in the file. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly problems: Problem[],
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

export function mediaKind(file: string): 'media' | 'raw' | null {
  const ext = path.extname(file).slice(1).toLowerCase();
  if ((MEDIA_EXTENSIONS as readonly string[]).includes(ext)) return 'media';
  if (CAMERA_RAW_EXTENSIONS[ext]) return 'raw';
  return null;
}

function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function realOr(p: string): Promise<string> {
  return fs.realpath(p).catch(() => p);
}

/** Camera files below `root` (not following linked folders), hidden names and excluded folders left out. */
async function scanMedia(root: string, skipDir: (dir: string, name: string) => boolean): Promise<Map<string, Stats>> {
  const found = new Map<string, Stats>();
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 32) return;
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!skipDir(p, e.name)) await walk(p, depth + 1);
        continue;
      }
      if (!e.isFile() && !e.isSymbolicLink()) continue;
      if (!mediaKind(p)) continue;
      const st = await fs.stat(p).catch(() => null);
      if (st?.isFile()) found.set(p, st);
    }
  };
  await walk(root, 0);
  return found;
}

/**
 * Processes on this machine that hold `st`'s file open for writing (Linux, /proc), as lsof would find
 * them: a copy still running. Elsewhere, or where /proc cannot be read, none are known.
 */
export async function writersOf(st: Pick<Stats, 'dev' | 'ino'>): Promise<number[]> {
  if (process.platform !== 'linux') return [];
  const pids = (await fs.readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid);
  const out: number[] = [];
  for (const pid of pids) {
    const fds = await fs.readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const t = await fs.stat(`/proc/${pid}/fd/${fd}`).catch(() => null);
      if (!t || t.ino !== st.ino || t.dev !== st.dev) continue;
      const info = await fs.readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
      const flags = parseInt(/^flags:\s*([0-7]+)/m.exec(info)?.[1] ?? '0', 8);
      // O_WRONLY (1) or O_RDWR (2).
      if ((flags & 3) !== 0) {
        out.push(Number(pid));
        break;
      }
    }
  }
  return out;
}

interface ClipState {
  signature: string;
  status: 'waiting' | 'ready' | 'running' | 'done' | 'failed' | 'skipped';
  /** `busy` was said for this signature. */
  busyNoted?: boolean;
}

/** Clips a report in `dir` records as COMPLETED with these settings: source → proxy, size, report. */
async function completedProxies(
  dir: string,
  settings: string,
): Promise<Map<string, { output: string; size: number | null; report: string }>> {
  const done = new Map<string, { output: string; size: number | null; report: string }>();
  for (const file of await reportsInFolder(dir)) {
    let report: RunResult;
    try {
      report = await readReport(file, { checkIntegrity: true });
    } catch {
      continue;
    }
    if (report.plan?.settings !== settings) continue;
    for (const c of report.clips) if (c.status === 'COMPLETED') done.set(c.source, { output: c.output, size: c.output_size, report: file });
  }
  return done;
}

/** Read and check a template: a JobSpec without sources whose proxies are named after their clips. */
export async function loadTemplate(file: string): Promise<{ raw: Record<string, unknown>; spec: JobSpec; problems: Problem[] }> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await fs.readFile(abs, 'utf8');
  } catch (err) {
    throw new TemplateError(`cannot read the template ${abs}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, []);
  }
  const loaded = await validateJobSpecText(text, abs, { template: true, probeWritable: true });
  const raw = (() => {
    try {
      return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as Record<string, unknown>;
    } catch {
      return null;
    }
  })();
  const problems = [...loaded.problems];
  if (raw && typeof raw === 'object' && 'sources' in raw)
    problems.unshift({
      pointer: '/sources',
      code: 'template-sources',
      message: `A watch template has no sources: every camera file dropped into the watched folder is one. Remove "sources" from ${abs}.`,
      severity: 'error',
      kind: 'meaning',
    });
  if (!loaded.ok || !raw || problems.some((p) => p.severity === 'error'))
    throw new TemplateError(`the template ${abs} is not a usable JobSpec template`, problems);
  return { raw, spec: loaded.spec, problems };
}

export async function watchMedia(dir: string, opts: MediaWatchOptions): Promise<number> {
  const emit = (e: MediaWatchEvent): void => {
    try {
      opts.onEvent?.(e);
    } catch {
      // A listener's bug must not stop the watcher.
    }
  };
  const root = path.resolve(dir);
  const st = await fs.stat(root).catch(() => null);
  if (!st?.isDirectory())
    throw new TemplateError(`${root} is not a folder that exists: a media watch folder must exist (it is never created)`, []);
  const templateFile = path.resolve(opts.template);
  const template = await loadTemplate(templateFile);
  const realRoot = await realOr(root);
  const outDir = template.spec.output_directory;
  const realOut = await realOr(outDir);
  if (realOut === realRoot)
    throw new TemplateError(
      `The template's output_directory ${quote(outDir)} is the watched folder itself: proxies and reports would land among the camera files. Point output_directory at a folder outside ${root}, or inside it in a subfolder of its own.`,
      [],
    );
  // The lock sits with the outputs: the watched folder itself is never written to.
  const lockName = `.jobspec-media-watch-${createHash('sha256').update(realRoot).digest('hex').slice(0, 12)}.lock`;
  const lock = await FolderLock.take(path.join(outDir, lockName), `${root} (proxies in ${outDir})`);
  try {
    return await mediaLoop(root, realRoot, templateFile, template, opts, emit, lock);
  } finally {
    await lock.release();
  }
}

async function mediaLoop(
  root: string,
  realRoot: string,
  templateFile: string,
  template: { raw: Record<string, unknown>; spec: JobSpec },
  opts: MediaWatchOptions,
  emit: (e: MediaWatchEvent) => void,
  lock: FolderLock,
): Promise<number> {
  const poll = opts.pollMs ?? 1000;
  const settleMs = opts.settleMs ?? MEDIA_WATCH_DEFAULT_SETTLE_MS;
  const giveUpMs = opts.giveUpMs ?? 60_000;
  const spec = template.spec;
  const outDir = spec.output_directory;
  const excluded = [outDir, await realOr(outDir)].filter((d) => inside(d, root) || inside(d, realRoot));
  const proxyFolder = spec.layout === 'beside-source' ? spec.proxy_folder : null;
  const skipDir = (p: string, name: string): boolean => excluded.some((d) => inside(p, d)) || name === proxyFolder;
  // Mirror keeps each clip's place below the watched folder, whichever clips share a batch.
  const raw: Record<string, unknown> = { ...template.raw };
  if (spec.layout === 'mirror' && raw.layout_root === undefined) raw.layout_root = root;
  const settings = settingsDigest(spec);

  emit({ type: 'media-watch-started', dir: root, template: templateFile, outputDirectory: outDir, settleMs, once: !!opts.once });

  const settle = new SettleTracker(false);
  const clips = new Map<string, ClipState>();
  const saidOnce = new Set<string>();
  let completed = await completedProxies(outDir, settings);
  let batchNo = 0;
  let active: Promise<void> | null = null;
  let anyFailed = false;
  let stop: 'lock-lost' | 'environment' | null = null;

  const runBatch = async (batch: string[]): Promise<void> => {
    const n = ++batchNo;
    let sources = batch;
    let loaded: Awaited<ReturnType<typeof validateJobSpecText>> | null = null;
    // The batch is checked as the JobSpec it is; a clip it refuses is set aside and the rest checked again.
    while (sources.length > 0) {
      loaded = await validateJobSpecText(JSON.stringify({ ...raw, sources }, null, 2), templateFile, { probeWritable: true });
      if (loaded.ok) break;
      const errors = loaded.problems.filter((p) => p.severity === 'error');
      const refused = new Map<number, string>();
      for (const p of errors) {
        const m = /^\/sources\/(\d+)/.exec(p.pointer);
        if (m && !refused.has(Number(m[1]))) refused.set(Number(m[1]), p.message);
      }
      if (refused.size === 0) {
        // Not about the clips: the template's world changed (its output folder went away…). Tried again later.
        for (const c of sources) clips.get(c)!.status = 'waiting';
        const message = `${quote(templateFile)} cannot run now: ${errors.map((p) => p.message).join(' ')}`;
        if (!saidOnce.has(message)) {
          saidOnce.add(message);
          emit({ type: 'problem', message });
        }
        return;
      }
      for (const [i, reason] of refused) {
        clips.get(sources[i])!.status = 'failed';
        anyFailed = true;
        emit({ type: 'refused', clip: sources[i], reason });
      }
      sources = sources.filter((_, i) => !refused.has(i));
    }
    if (!loaded?.ok || sources.length === 0) return;
    emit({ type: 'batch-started', batch: n, clips: sources });
    let result: RunResult;
    try {
      result = await runJob(loaded.spec, {
        tools: opts.tools,
        jobspecFile: templateFile,
        signal: opts.signal,
        stallTimeoutSeconds: opts.stallTimeoutSeconds,
        onEvent: (event) => emit({ type: 'run', batch: n, event }),
      });
    } catch (err) {
      for (const c of sources) clips.get(c)!.status = 'waiting';
      emit({ type: 'problem', message: err instanceof Error ? err.message : String(err) });
      if (err instanceof EnvironmentError) stop = 'environment';
      anyFailed = true;
      return;
    }
    for (const c of result.clips) {
      const state = clips.get(c.source);
      if (!state) continue;
      if (c.status === 'COMPLETED' || c.status === 'SKIPPED') state.status = 'done';
      else if (c.status === 'NOT_RUN') state.status = 'waiting';
      else {
        state.status = 'failed';
        anyFailed = true;
      }
    }
    emit({ type: 'batch-finished', batch: n, result });
    completed = await completedProxies(outDir, settings);
  };

  for (;;) {
    if (opts.signal?.aborted || stop) break;
    if (!(await lock.held())) {
      stop = 'lock-lost';
      emit({ type: 'problem', message: `${root}: this watcher's lock in ${outDir} was taken by another; it stops taking clips.` });
      break;
    }
    const found = await scanMedia(root, skipDir);
    settle.keepOnly(new Set(found.keys()));
    for (const k of [...clips.keys()]) if (!found.has(k)) clips.delete(k);
    const now = Date.now();
    let waiting = 0;
    const ready: string[] = [];
    for (const [file, fst] of [...found].sort((a, b) => a[0].localeCompare(b[0]))) {
      const signature = fileSignature(fst);
      let c = clips.get(file);
      const isNew = !c;
      // A clip that changed after it was handled (copied again, replaced) is looked at afresh; one that
      // changes while its batch runs is failed by the run itself (its source changed).
      const changedSince = c !== undefined && c.signature !== signature && c.status !== 'running';
      if (c && changedSince && (c.status === 'waiting' || c.status === 'ready')) {
        c.signature = signature;
        c.status = 'waiting';
        c.busyNoted = false;
      } else if (!c || changedSince) {
        c = { signature, status: 'waiting' };
        clips.set(file, c);
        if (mediaKind(file) === 'raw') {
          c.status = 'skipped';
          anyFailed = true;
          const ext = path.extname(file).slice(1).toLowerCase();
          emit({
            type: 'skipped',
            clip: file,
            reason: `${CAMERA_RAW_EXTENSIONS[ext]} (.${ext}) needs its maker's decoder, which ffmpeg does not have; make its proxies in the maker's software (or DaVinci Resolve).`,
          });
          continue;
        }
        if (isNew || changedSince) emit({ type: 'seen', clip: file });
      }
      if (c.status !== 'waiting' && c.status !== 'ready') continue;
      const state = settle.observe(file, fst, now, settleMs);
      if (state !== 'settled') {
        c.status = 'waiting';
        waiting++;
        continue;
      }
      if (c.status === 'ready') {
        if (active) waiting++;
        else ready.push(file);
        continue;
      }
      const prior = completed.get(file);
      if (prior) {
        const out = await fs.stat(prior.output).catch(() => null);
        if (out?.isFile() && (prior.size === null || out.size === prior.size)) {
          c.status = 'done';
          emit({ type: 'already-done', clip: file, output: prior.output, report: prior.report });
          continue;
        }
      }
      const pids = await writersOf(fst);
      if (pids.length) {
        if (!c.busyNoted) emit({ type: 'busy', clip: file, pids });
        c.busyNoted = true;
        waiting++;
        continue;
      }
      try {
        await probeSource(opts.tools, file, opts.signal);
        c.status = 'ready';
        if (active) waiting++;
        else ready.push(file);
      } catch (err) {
        if (opts.signal?.aborted) break;
        const since = settle.get(file)?.since ?? now;
        if (opts.once || now - since >= giveUpMs) {
          c.status = 'skipped';
          anyFailed = true;
          emit({
            type: 'skipped',
            clip: file,
            reason: `ffprobe cannot read it as a clip with a picture: ${err instanceof ProbeError ? err.message : String(err)}`,
          });
        } else waiting++;
      }
    }
    if (ready.length && !active) {
      for (const f of ready) clips.get(f)!.status = 'running';
      const p: Promise<void> = runBatch(ready).finally(() => {
        if (active === p) active = null;
      });
      active = p;
    }
    if (opts.once && !active && waiting === 0 && ready.length === 0) break;
    await Promise.race([new Promise((r) => setTimeout(r, poll)), ...(active ? [active] : [])]);
  }
  if (active) await active;
  // `stop` is also set inside runBatch, which the compiler's narrowing does not follow.
  const stopped = stop as 'lock-lost' | 'environment' | null;
  const reason: Extract<MediaWatchEvent, { type: 'media-watch-stopped' }>['reason'] = opts.signal?.aborted
    ? 'cancelled'
    : (stopped ?? 'done');
  emit({ type: 'media-watch-stopped', reason });
  if (reason === 'cancelled') return EXIT.CANCELLED;
  if (reason === 'lock-lost' || reason === 'environment') return EXIT.ENVIRONMENT;
  return anyFailed ? EXIT.CLIP_FAILED : EXIT.OK;
}

/** One line for a media watch event, as the command prints it and the editor logs it; null for a run's own events. */
export function mediaWatchEventLine(e: MediaWatchEvent): string | null {
  const name = (p: string): string => path.basename(p);
  switch (e.type) {
    case 'media-watch-started':
      return `[media] watching ${e.dir} for camera files (settle ${e.settleMs / 1000}s${e.once ? ', once' : ''}); proxies per ${e.template} into ${e.outputDirectory}`;
    case 'seen':
      return `[media] ${e.clip}: seen; taken once it has stopped changing`;
    case 'busy':
      return `[media] ${e.clip}: still open for writing by process ${e.pids.join(', ')}; waiting for the copy to finish`;
    case 'skipped':
      return `[media] ${e.clip}: skipped: ${e.reason}`;
    case 'already-done':
      return `[media] ${e.clip}: already has its proxy ${e.output} (${name(e.report)})`;
    case 'refused':
      return `[media] ${e.clip}: refused: ${e.reason}`;
    case 'batch-started':
      return `[media] batch ${e.batch}: ${e.clips.length} clip${e.clips.length === 1 ? '' : 's'}: ${e.clips.map(name).join(', ')}`;
    case 'batch-finished': {
      const r = e.result;
      const done = r.clips.filter((c) => c.status === 'COMPLETED').length;
      return `[media] batch ${e.batch}: ${r.status} (${done}/${r.clips.length} completed)${r.report_path ? `; report ${r.report_path}` : ''}`;
    }
    case 'problem':
      return `[media] ${e.message}`;
    case 'media-watch-stopped':
      return e.reason === 'lock-lost'
        ? '[media] stopped: another watcher holds the folder'
        : e.reason === 'environment'
          ? '[media] stopped: the environment cannot run the template'
          : null;
    case 'run':
      return null;
  }
}
