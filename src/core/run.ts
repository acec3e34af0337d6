// Run a JobSpec: clips in `sources` order (up to max_concurrent_jobs at once), fail-fast, cancellable.
// Each clip writes a temporary file in the output folder that is moved into place only when it is
// complete: ffmpeg exited 0 and reported no write failure, the source did not change meanwhile, and
// the proxy reads back with every frame ffmpeg wrote. The report is written as the run goes (see
// report.ts). The runner emits typed events and prints nothing.
import { constants as fsConstants, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fsyncDir, fsyncFile } from './durable';
import { FfmpegLog, headlineCause, videoCounts, writeFailure } from './ffstats';
import { buildFfmpegArgs, checkEncoders, probeSource, ProbeError, type SourceInfo } from './ffmpeg';
import type { MediaFacts } from './media';
import { runGuarded } from './guard';
import { SourceIndex } from './identity';
import { FolderError, makeOutputFolder, removeIfEmpty } from './folders';
import { outputBase } from './layout';
import { makePlan, settingsDigest } from './plan';
import { ProgressParser } from './progress';
import {
  blankResult,
  currentWriter,
  exitCodeFor,
  finishReport,
  HEARTBEAT_MS,
  journalClip,
  journalPath,
  reportFileName,
  RunInterrupted,
  runStatus,
  startReport,
} from './report';
import type { Selection } from './selection';
import { cleanStaleTemps, Heartbeat, tempName } from './temp';
import { lookupFailure, quote } from './text';
import type { Tools } from './tools';
import type { ClipResult, JobSpec, RunEvent, RunResult } from './types';
import { verifyOutput } from './verify';
import { burnInFileText } from './burnin';
import { hashOpenFile } from './checksum';
import { checkLutFile } from './lut';
import { EnvironmentError } from './tools';
import type { BurnInPosition, SourceChecksum } from './types';

export interface RunOptions {
  tools: Tools;
  /** The JobSpec file this run came from (recorded in the report). */
  jobspecFile: string;
  signal?: AbortSignal;
  onEvent?: (e: RunEvent) => void;
  /** A shard, a re-run or a resume; a whole run without. `{index}` stays global. */
  selection?: Selection | null;
  /** Stop ffmpeg when it shows no sign of life for this long. Default 120 s; 0 disables. */
  stallTimeoutSeconds?: number;
  /** The run's clock. */
  now?: Date;
  /**
   * Read each proxy back before calling it COMPLETED (default true). Without it, what ffmpeg itself
   * reports still counts: its exit code, write and trailer failures, and its frame statistics.
   */
  verify?: boolean;
  /** Lines of ffmpeg's stderr kept for a failure. Default 20. */
  stderrLines?: number;
}

/** stderr lines that name a cause outside ffmpeg, with what to do about it. */
const CAUSES: { re: RegExp; hint: string }[] = [
  {
    re: /No space left on device|Disk quota exceeded/i,
    hint: "The output folder's disk is full: free space or choose another output_directory, then re-run the failed clips.",
  },
  { re: /Read-only file system/i, hint: 'The output folder is on a read-only file system: choose another output_directory.' },
  { re: /Permission denied/i, hint: 'Check the permissions of the source and the output folder.' },
  { re: /File too large/i, hint: 'The output volume cannot hold a file this large (FAT32 stops at 4 GB): use an exFAT or other volume.' },
  {
    re: /Input\/output error/i,
    hint: 'The disk or share reported an I/O error: check the media and the connection, then re-run the failed clips.',
  },
];

export const DEFAULT_STALL_TIMEOUT_SECONDS = 120;
const KILL_GRACE_MS = 3000;

function iso(d: Date): string {
  return d.toISOString();
}

async function lookup(p: string): Promise<Stats | null> {
  try {
    return await fs.lstat(p);
  } catch {
    return null;
  }
}

/** The relink facts of a source, without what only encoding needs. */
function factsOf(info: SourceInfo): MediaFacts {
  const { pixFmt: _p, hasAlpha: _a, durationSeconds: _d, audioCodecs: _c, ...facts } = info;
  return facts;
}

/**
 * Threads for an ffmpeg that starts while `inFlight` encodes run (itself included): N processes share
 * the machine instead of each taking every core, and one that runs alone (a single long clip, the
 * last of a batch) gets all of them, as ffmpeg would choose.
 */
export function threadBudget(inFlight: number, cores = os.availableParallelism()): number | undefined {
  if (inFlight <= 1) return undefined;
  return Math.max(1, Math.floor(cores / inFlight));
}

/**
 * A source held open from before its probe until its proxy is made. The open file is the file ffmpeg
 * reads: its size and time tell whether that file changed (a copy still running, a truncation), and
 * comparing it with what the source's name leads to now tells whether the name was given to another
 * file (replaced). Holding it open also pins its inode number: a FUSE volume (exFAT on Linux) numbers
 * a file anew each time the kernel forgets and looks it up again, which two separate looks would take
 * for a replacement.
 */
interface HeldSource {
  handle: fs.FileHandle;
  before: Stats;
}

/** Open a source for reading (without blocking on a name that became a FIFO) and note what it is. */
async function holdSource(p: string): Promise<HeldSource> {
  const handle = await fs.open(p, fsConstants.O_RDONLY | (process.platform === 'win32' ? 0 : fsConstants.O_NONBLOCK));
  try {
    return { handle, before: await handle.stat() };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/** How the source changed since it was held, in words, or null when it is the file it was. */
async function sourceChange(held: HeldSource, p: string): Promise<string | null> {
  let named: Stats;
  let b: Stats;
  try {
    named = await fs.stat(p);
    b = await held.handle.stat();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    return code === 'ENOENT' ? 'it was removed or renamed' : `it can no longer be read (${code})`;
  }
  const a = held.before;
  if (named.dev !== b.dev || named.ino !== b.ino) return 'it was replaced by another file';
  const parts: string[] = [];
  if (b.size > a.size) parts.push(`it grew from ${a.size} to ${b.size} bytes`);
  else if (b.size < a.size) parts.push(`it shrank from ${a.size} to ${b.size} bytes`);
  if (b.mtimeMs !== a.mtimeMs) parts.push(`it was modified (at ${new Date(b.mtimeMs).toISOString()})`);
  return parts.length ? parts.join(' and ') : null;
}

export async function runJob(spec: JobSpec, opts: RunOptions): Promise<RunResult> {
  const started = opts.now ?? new Date();
  const emit = (e: RunEvent): void => {
    try {
      opts.onEvent?.(e);
    } catch {
      // A listener's bug must not stop a run halfway through a clip.
    }
  };
  const sel = opts.selection ?? undefined;
  const jobId = sel?.jobId ?? spec.job_id;
  const plan = makePlan(spec, { now: sel?.namingTime ?? started, jobId, indexWidth: sel?.indexWidth });
  const wanted = sel ? new Set(sel.indices) : null;
  const selected = wanted ? plan.clips.filter((c) => wanted.has(c.index)) : plan.clips;
  const carried = new Map((sel?.carriedOver ?? []).map((c) => [c.index, c]));
  // Clips an earlier run completed are complete from the start, in the RUNNING report too: a run that
  // fails fast or is killed before it reaches them in order still reports them as they are.
  const results = selected.map((c): ClipResult => {
    const previous = carried.get(c.index);
    return previous ? { ...blankResult(c), ...previous } : blankResult(c);
  });
  const total = selected.length;
  const toRun = selected.filter((c) => !carried.has(c.index)).length;
  const concurrency = Math.max(1, Math.min(spec.max_concurrent_jobs, toRun || 1));
  // setTimeout fires after 1 ms when given more than 2^31-1 ms (about 24.8 days), Infinity or NaN,
  // which would stop every clip at once: Infinity waits forever (like 0), NaN takes the default,
  // and anything longer than the timer can hold is clamped to it.
  const stallSeconds = Number.isNaN(opts.stallTimeoutSeconds)
    ? DEFAULT_STALL_TIMEOUT_SECONDS
    : (opts.stallTimeoutSeconds ?? DEFAULT_STALL_TIMEOUT_SECONDS);
  const stallMs = stallSeconds === Infinity ? 0 : Math.min(stallSeconds * 1000, 2 ** 31 - 1);
  const tailLines = opts.stderrLines ?? 20;
  const signal = opts.signal;

  checkEncoders(spec, opts.tools);
  // Every clip reads one private copy of the LUT, checked again as ffmpeg will read it: a LUT edited or
  // replaced during the run cannot reach some clips and not others, and the report's digest is of the
  // bytes every clip was made with.
  const lutCopy = spec.lut ? await copyLut(spec.lut.path, spec.output_directory, spec.lut.format) : null;

  let failed = false;
  let firstFailure = -1;
  let next = 0;
  // Every source of the job, indexed once: an output that exists is compared with them by identity.
  const sources = new SourceIndex(spec.sources);

  // Probing only reads the source, so the next clip's probe runs while this clip encodes: its
  // ffprobe start-up then hides behind ffmpeg instead of adding to every clip's wall time. The
  // source is held open from before its probe until its proxy is made (see HeldSource).
  const held = new Set<HeldSource>();
  const release = async (h: HeldSource | undefined): Promise<void> => {
    if (!h || !held.delete(h)) return;
    await h.handle.close().catch(() => undefined);
  };
  const probes = new Map<number, Promise<{ info: SourceInfo; source: HeldSource }>>();
  const probeFor = (pos: number): Promise<{ info: SourceInfo; source: HeldSource }> => {
    let p = probes.get(pos);
    if (!p) {
      const src = selected[pos].source;
      p = holdSource(src).then(
        async (source) => {
          held.add(source);
          try {
            return { info: await probeSource(opts.tools, src, signal), source };
          } catch (err) {
            await release(source);
            throw err;
          }
        },
        (err: unknown) => {
          const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
          throw new ProbeError(code === 'ENOENT' ? 'it no longer exists' : lookupFailure(code, src), []);
        },
      );
      p.catch(() => undefined);
      probes.set(pos, p);
    }
    return p;
  };
  const prefetchNext = (): void => {
    let pos = next;
    while (pos < total && carried.has(selected[pos].index)) pos++;
    if (!failed && !signal?.aborted && pos < total) void probeFor(pos).catch(() => undefined);
  };

  // The first clip's probe starts now, while the report is set up: nothing waits for it later.
  prefetchNext();

  const result: RunResult = {
    job_id: jobId,
    jobspec_file: opts.jobspecFile,
    status: 'RUNNING',
    exit_code: exitCodeFor('RUNNING'),
    started_at: iso(started),
    finished_at: iso(started),
    elapsed_seconds: 0,
    clips: results,
    report_path: null,
    ffmpeg: { path: opts.tools.ffmpeg, version: opts.tools.version },
    plan: { fingerprint: plan.fingerprint, index_width: plan.indexWidth, total: spec.sources.length, settings: settingsDigest(spec) },
    writer: currentWriter(),
  };
  if (sel) result.selection = sel.selection;
  if (spec.preset) result.preset = spec.preset;
  if (spec.lut && lutCopy) result.lut = { path: spec.lut.path, sha256: lutCopy.sha256 };

  // The report exists from the start (RUNNING), with a journal that is kept fresh while the run lives.
  const heartbeat = new Heartbeat(HEARTBEAT_MS);
  if (lutCopy) heartbeat.add(lutCopy.file);
  let reportPath: string | null = null;
  try {
    reportPath = await startReport(result, spec.output_directory, reportFileName(jobId, started, sel?.reportSuffix));
    await fs.writeFile(journalPath(reportPath), '', { flag: 'a' });
    heartbeat.add(journalPath(reportPath));
  } catch (err) {
    result.report_error = (err as Error).message;
  }
  result.report_path = reportPath;
  emit({
    type: 'run-started',
    job_id: jobId,
    jobspec_file: opts.jobspecFile,
    total,
    clips: selected,
    started_at: iso(started),
    report_path: reportPath,
  });
  selected.forEach((c, pos) => {
    if (carried.has(c.index)) emit({ type: 'clip-finished', position: pos + 1, total, result: { ...results[pos] } });
  });

  // Leftovers of stopped runs are removed from each folder this run writes to, once, before its first clip there.
  const cleaned = new Set<string>();
  const cleanFolderOnce = async (dir: string): Promise<void> => {
    if (cleaned.has(dir)) return;
    cleaned.add(dir);
    const removed = await cleanStaleTemps(dir);
    if (removed.length)
      emit({
        type: 'notice',
        message: `Removed ${removed.length} temporary file(s) left in ${dir} by an earlier run that was stopped: ${removed.join(', ')}`,
      });
  };
  await cleanFolderOnce(spec.output_directory);

  const record = async (r: ClipResult): Promise<void> => {
    if (!reportPath) return;
    try {
      await journalClip(reportPath, r);
    } catch (err) {
      result.report_error ??= `could not record clip ${r.index} in the report's journal: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    }
  };

  // Pipelining: an encode slot frees as soon as ffmpeg exits, so the next clip encodes while this one
  // is verified and moved into place. A clip started that way is speculative: it is committed only
  // after every clip before it ended well; if one of them fails late, it is stopped (or discarded)
  // and reported NOT_RUN, with nothing kept, exactly as if it had never started (fail-fast).
  let encoding = 0;
  const settled = new Map<number, Promise<ClipResult['status']>>();
  /** Clips whose ffmpeg has exited and that are still being checked. */
  const checking = new Set<number>();
  /** For a clip started early, the clips it started ahead of. */
  const startedAhead = new Map<number, number[]>();
  const clipAborts = new Map<number, AbortController>();
  const lateFailure = new Map<number, string>();
  const stopLaterClips = (pos: number): void => {
    const why = `Not started: ${path.basename(selected[pos].source)} failed after this clip had begun (its proxy was still being checked), so this clip was stopped and nothing of it was kept (fail-fast).`;
    // Every clip that started ahead of the failed one, and every clip that started ahead of those.
    const stopped = new Set([pos]);
    for (const [p, ahead] of [...startedAhead.entries()].sort((a, b) => a[0] - b[0])) {
      if (!ahead.some((q) => stopped.has(q)) || lateFailure.has(p)) continue;
      stopped.add(p);
      lateFailure.set(p, why);
      clipAborts.get(p)?.abort();
    }
  };

  const runOne = async (pos: number, encodeEnded: () => void, before: Promise<ClipResult['status']>[]): Promise<void> => {
    const clip = selected[pos];
    const r = results[pos];
    const t0 = Date.now();
    let source: HeldSource | undefined;
    const clipAbort = new AbortController();
    clipAborts.set(pos, clipAbort);
    const clipSignal = signal ? AbortSignal.any([signal, clipAbort.signal]) : clipAbort.signal;
    let hashing: Promise<{ value: SourceChecksum } | { error: string }> | undefined;
    const hashAbort = new AbortController();
    let encodingCounted = false;
    const uncount = (): void => {
      if (encodingCounted) encoding--;
      encodingCounted = false;
    };
    const finish = async (status: ClipResult['status'], message?: string): Promise<void> => {
      clipAborts.delete(pos);
      uncount();
      // Known at once, before anything is awaited: no clip may start after a failure.
      if (status === 'FAILED' && !lateFailure.has(pos)) {
        failed = true;
        if (firstFailure < 0 || pos < firstFailure) firstFailure = pos;
        stopLaterClips(pos);
      }
      // A fingerprint still being read is of no use to a clip that ended otherwise; the handle closes after it.
      hashAbort.abort();
      await hashing;
      await release(source);
      // A clip that started ahead ends after the clips it started ahead of: results keep their order.
      await Promise.all(before);
      // Stopped because an earlier clip failed late: as if it had never started.
      const stoppedLate = lateFailure.get(pos);
      if (stoppedLate !== undefined && status !== 'COMPLETED') {
        status = 'NOT_RUN';
        message = stoppedLate;
      }

      r.status = status;
      if (message) r.message = message;
      r.finished_at = iso(new Date());
      r.elapsed_seconds = (Date.now() - t0) / 1000;
      await record({ ...r });
      emit({ type: 'clip-finished', position: pos + 1, total, result: { ...r } });
    };

    // Reported as finished when the run started.
    if (carried.has(clip.index)) return;
    r.started_at = iso(new Date());
    r.status = 'RUNNING';
    const name = path.basename(clip.source);

    if (await lookup(clip.output)) {
      // On a case-insensitive volume, through a second mount or a hard link, "the output exists"
      // may mean "the output is a source": that is never skipped over, replaced or offered to be.
      const source = await sources.find(clip.output);
      if (source) {
        return finish(
          'FAILED',
          `The output ${quote(clip.output)} is the source file ${quote(source)} on its volume (the volume ignores case or accents in names, or reaches one folder by two paths): a source is never written. Change naming_template or output_directory so that proxies land elsewhere.`,
        );
      }
      if (spec.overwrite === 'skip')
        return finish('SKIPPED', `Output already exists: ${quote(clip.output)}; overwrite is "skip", so it was left as it is.`);
      if (spec.overwrite === 'never') {
        return finish(
          'FAILED',
          `Output already exists: ${quote(clip.output)}; overwrite is "never", so it was not touched. Move or delete it, or set overwrite to "skip" or "replace".`,
        );
      }
    }

    let info: SourceInfo;
    try {
      ({ info, source } = await probeFor(pos));
    } catch (err) {
      if (signal?.aborted) return finish('CANCELLED', 'Cancelled before ffmpeg started.');
      r.stderr_tail = err instanceof ProbeError ? err.stderr.slice(-tailLines) : [];
      return finish('FAILED', `Cannot read source ${name}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      probes.delete(pos);
    }

    const folder = path.dirname(clip.output);
    const tmp = path.join(folder, tempName(spec.container));
    // Burn-in texts for this clip, each in a file beside the temporary proxy (written once the folder exists).
    const burnIn: { position: BurnInPosition; file: string; text: string }[] = [];
    if (spec.burn_in) {
      const outFps = spec.fps_mode === 'explicit' && spec.fps_explicit ? spec.fps_explicit : info.fps;
      const naming = {
        source: clip.source,
        index: clip.index,
        total: spec.sources.length,
        indexWidth: plan.indexWidth,
        jobId,
        codec: spec.codec,
        resolution: spec.resolution,
        now: sel?.namingTime ?? started,
      };
      for (const [position, template] of Object.entries(spec.burn_in.texts) as [BurnInPosition, string][]) {
        const made = burnInFileText(template, naming, outFps ? { timecode: info.timecode, fps: outFps } : null);
        if ('error' in made) return finish('FAILED', `${name}: cannot burn in burn_in.${position}: ${made.error}.`);
        burnIn.push({ position, file: path.join(folder, tempName(`burnin-${position}.txt`)), text: made.text });
      }
    }
    const argsFor = (threads: number | undefined): ReturnType<typeof buildFfmpegArgs> =>
      buildFfmpegArgs(spec, clip.source, info, tmp, {
        threads,
        encoders: opts.tools.encoders,
        lutFile: lutCopy?.file,
        burnInFiles: burnIn.map(({ position, file }) => ({ position, file })),
      });
    // Checked before any folder is made; the thread budget is chosen later, as ffmpeg starts.
    const checked = argsFor(undefined);
    if ('error' in checked) return finish('FAILED', `${name}: ${checked.error}`);
    // The layout's folder is made now that the clip runs (and taken away again if it fails).
    let created: string[] = [];
    try {
      created = await makeOutputFolder(outputBase(spec, clip.source), folder);
    } catch (err) {
      return finish('FAILED', `${name}: ${err instanceof FolderError ? err.message : String(err)}`);
    }
    await cleanFolderOnce(folder);
    const removeTexts = async (): Promise<void> => {
      for (const b of burnIn) {
        heartbeat.delete(b.file);
        await fs.rm(b.file, { force: true }).catch(() => undefined);
      }
    };
    const removeTmp = async (): Promise<void> => {
      heartbeat.delete(tmp);
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      await removeTexts();
      await removeIfEmpty(created);
    };
    try {
      for (const b of burnIn) {
        heartbeat.add(b.file);
        await fs.writeFile(b.file, b.text, { flag: 'wx' });
      }
    } catch (err) {
      await removeTmp();
      return finish(
        'FAILED',
        `${name}: could not write its burn-in text beside the proxy in ${quote(folder)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`,
      );
    }
    const parser = new ProgressParser(info.durationSeconds);
    const log = new FfmpegLog(200);
    let stalled = false;
    let lastProgress = 0;
    heartbeat.add(tmp);
    // Counted, budgeted and announced in one step, with nothing awaited between: the encodes in
    // flight are the clips between their clip-started and their clip-encoded (or their end).
    encoding++;
    encodingCounted = true;
    // Alone, it has no budget: the list already built and checked is the one to run.
    const budget = threadBudget(encoding);
    const built = budget === undefined ? checked : argsFor(budget);
    if ('error' in built) {
      await removeTmp();
      return finish('FAILED', `${name}: ${built.error}`);
    }
    r.ffmpeg_args = built.args;
    emit({
      type: 'clip-started',
      index: clip.index,
      position: pos + 1,
      total,
      source: clip.source,
      output: clip.output,
      ffmpeg_args: built.args,
    });
    const child = runGuarded(opts.tools.guard, opts.tools.ffmpeg, built.args, {
      reject: false,
      stdin: 'ignore',
      buffer: false,
      cancelSignal: clipSignal,
      forceKillAfterDelay: KILL_GRACE_MS,
      cleanup: true,
    });
    let stallTimer: NodeJS.Timeout | undefined;
    const armStall = (): void => {
      if (stallMs <= 0) return;
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => {
        stalled = true;
        child.kill('SIGTERM');
      }, stallMs);
    };
    armStall();
    prefetchNext();
    // The source's fingerprint, read through the handle held since before its probe, beside ffmpeg's read.
    if (spec.source_checksum) {
      const algorithm = spec.source_checksum;
      hashing = hashOpenFile(source.handle, source.before.size, algorithm, hashAbort.signal).then(
        (value) => ({ value }),
        (err: unknown) => ({ error: (err as Error).message }),
      );
    }
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      armStall();
      for (const p of parser.push(chunk)) {
        const now = Date.now();
        // ffmpeg reports twice a second; listeners get at most four updates a second per clip.
        if (now - lastProgress < 250 && p.percent !== 100) continue;
        lastProgress = now;
        emit({ type: 'clip-progress', index: clip.index, position: pos + 1, total, progress: p });
      }
    });
    child.stderr?.on('data', (chunk: string) => {
      armStall();
      log.push(chunk);
    });
    const done = await child;
    clearTimeout(stallTimer);
    log.end();
    r.exit_code = typeof done.exitCode === 'number' ? done.exitCode : null;
    r.signal = done.signal ?? null;

    if (done.isCanceled || signal?.aborted || clipAbort.signal.aborted) {
      await removeTmp();
      return finish('CANCELLED', `Cancelled while encoding ${name}; the partial proxy was removed.`);
    }
    if (stalled) {
      await removeTmp();
      r.stderr_tail = log.tail(tailLines);
      return finish(
        'FAILED',
        `ffmpeg showed no progress on ${name} for ${stallMs / 1000}s and was stopped (stall timeout). Check that the source is readable (a slow or disconnected share?), or raise the stall timeout.`,
      );
    }
    // The source must be the file it was when its clip began: one still copying from a card, grown,
    // truncated, replaced or removed makes a proxy of something else, or makes ffmpeg fail. Either
    // way the change is the cause to name, before what ffmpeg made of it.
    const change = await sourceChange(source, clip.source);
    if (change) {
      await removeTmp();
      r.stderr_tail = log.tail(tailLines);
      return finish(
        'FAILED',
        `The source ${name} changed while its proxy was made: ${change}. A clip still being copied, or a card taken out or written to, looks like this. Once the clip is complete and in place, re-run it; the proxy was not kept.`,
      );
    }
    if (hashing) {
      const hashed = await hashing;
      if ('error' in hashed) {
        await removeTmp();
        return finish(
          'FAILED',
          `Could not fingerprint the source ${name} (${spec.source_checksum}): ${hashed.error}. The proxy was not kept; check the source is readable and re-run the clip.`,
        );
      }
      r.source_checksum = hashed.value;
    }
    const errors = log.errors();
    const writeError = writeFailure(errors);
    if (r.exit_code !== 0 || writeError) {
      await removeTmp();
      r.stderr_tail = log.tail(tailLines);
      const how =
        r.exit_code === 0
          ? 'exited 0 but did not finish writing the proxy'
          : r.exit_code === null
            ? `was killed by ${r.signal ?? 'a signal'}`
            : `exited with code ${r.exit_code}`;
      // ffmpeg's last line is often a generic "Conversion failed"; the line that names the cause wins,
      // and a cause outside ffmpeg (a full disk) comes with what to do about it.
      const shown = writeError ?? headlineCause(errors) ?? r.stderr_tail[r.stderr_tail.length - 1];
      const hint = CAUSES.find((c) => errors.some((l) => c.re.test(l)))?.hint;
      const diskFull = errors.some((l) => /No space left on device|Disk quota exceeded/i.test(l));
      const lead = diskFull ? `The disk holding ${spec.output_directory} is full: ffmpeg ${how} on ${name}` : `ffmpeg ${how} on ${name}`;
      return finish('FAILED', `${lead}${shown ? `: ${shown}` : ''}${hint ? `. ${hint}` : ''}`);
    }
    const size = (await lookup(tmp))?.size ?? 0;
    if (size === 0) {
      await removeTmp();
      r.stderr_tail = log.tail(tailLines);
      return finish('FAILED', `ffmpeg exited 0 but wrote nothing for ${name}; no proxy was kept.`);
    }
    // ffmpeg's own count of what it read and wrote: no frame of the picture may be missing.
    const counts = videoCounts(log.stats);
    const framesWritten = counts.written?.packetsMuxed ?? null;
    const sourceFrames = counts.read?.packetsRead ?? null;
    const decoded = counts.read?.framesDecoded ?? null;
    if (framesWritten === null) {
      await removeTmp();
      r.stderr_tail = log.tail(tailLines);
      return finish(
        'FAILED',
        `ffmpeg exited 0 on ${name} without reporting how many frames it wrote, so the proxy cannot be shown to be complete; it was not kept.`,
      );
    }
    if (spec.fps_mode !== 'explicit' && sourceFrames !== null && decoded !== null && decoded < sourceFrames) {
      await removeTmp();
      r.stderr_tail = log.tail(tailLines);
      return finish(
        'FAILED',
        `The source ${name} holds ${sourceFrames} frames of picture, but only ${decoded} could be decoded: the proxy would be ${sourceFrames - decoded} frame(s) short, and an editing system would refuse to relink it. The clip may be damaged; check it plays through, or copy it again from the card.`,
      );
    }
    // Same as source, frames pass through one for one: every frame read must reach the proxy. The
    // read-back below only compares the file with what ffmpeg wrote, and a frame lost on the way
    // (a filter, an encoder that drops one) keeps the duration, so this is the check that sees it.
    const framesRead = decoded ?? sourceFrames;
    if (spec.fps_mode !== 'explicit' && framesRead !== null && framesWritten < framesRead) {
      await removeTmp();
      r.stderr_tail = log.tail(tailLines);
      return finish(
        'FAILED',
        `ffmpeg read ${framesRead} frames of picture from ${name} but wrote only ${framesWritten} to its proxy: the proxy would be ${framesRead - framesWritten} frame(s) short, and an editing system would refuse to relink it. It was not kept; re-run the clip, and report it if it happens again.`,
      );
    }
    // ffmpeg made a whole proxy by its own account: the next clip may encode while this one is read
    // back and moved into place (it commits only if this one does).
    checking.add(pos);
    encodeEnded();
    uncount();
    r.encoded_at = iso(new Date());
    emit({ type: 'clip-encoded', index: clip.index, position: pos + 1, total });
    // The source's side of the relink evidence: its probe, and the frames ffmpeg read from it.
    const sourceFacts = { ...factsOf(info), frames: sourceFrames };
    if (opts.verify !== false) {
      const conformed = spec.fps_mode === 'explicit' && !!spec.fps_explicit;
      const verified = await verifyOutput(opts.tools, spec, info, tmp, {
        width: built.width,
        height: built.height,
        fps: conformed ? (spec.fps_explicit ?? null) : info.fps,
        frames: framesWritten,
        sourceFrames: conformed ? null : sourceFrames,
      });
      r.verification = verified.checks;
      r.relink = { source: sourceFacts, proxy: verified.proxy };
      const bad = verified.checks.filter((c) => !c.ok);
      if (bad.length > 0) {
        await removeTmp();
        return finish(
          'FAILED',
          `The proxy for ${name} failed verification: ${bad.map((c) => `${c.name} is ${c.actual}, expected ${c.expected}`).join('; ')}. It was not kept.`,
        );
      }
    } else {
      r.relink = { source: sourceFacts, proxy: null };
    }
    // Committed in order: every clip before this one must have ended well (see pipelining above).
    const earlier = await Promise.all(before);
    if (earlier.some((st) => st !== 'COMPLETED' && st !== 'SKIPPED') || clipAbort.signal.aborted) {
      await removeTmp();
      if (!lateFailure.has(pos) && !signal?.aborted)
        lateFailure.set(
          pos,
          'Not started: an earlier clip did not complete while this one was being made, so it was not kept (fail-fast).',
        );
      return finish('CANCELLED', `Cancelled while checking ${name}; the proxy was not kept.`);
    }
    try {
      // On disk before it has a name: a power cut never leaves a final name on missing data.
      await fsyncFile(tmp);
      await moveIntoPlace(tmp, clip.output, spec.overwrite === 'replace', sources);
      heartbeat.delete(tmp);
      await fsyncDir(path.dirname(clip.output));
      // Folders this clip made are new entries in their parents: flushed too.
      for (const dir of created) await fsyncDir(path.dirname(dir));
    } catch (err) {
      await removeTmp();
      return finish('FAILED', `Could not move the finished proxy into place at ${quote(clip.output)}: ${(err as Error).message}`);
    }
    r.output_size = size;
    await removeTexts();
    await finish('COMPLETED');
  };

  // A pool of `concurrency` workers taking clips in order; after a failure or a cancel no new clip starts.
  // A clip counts as started once a worker takes it, and a started clip always runs to its end.
  const tails = new Set<Promise<void>>();
  const worker = async (): Promise<void> => {
    while (!failed && !signal?.aborted && next < total) {
      const pos = next++;
      // The clips before this one still being checked: this one is committed only after them.
      const ahead = [...checking].filter((p) => p < pos);
      if (ahead.length) startedAhead.set(pos, ahead);
      const before = ahead.map((p) => settled.get(p)).filter((d): d is Promise<ClipResult['status']> => d !== undefined);
      let encodeEnded = (): void => undefined;
      const slotFree = new Promise<void>((resolve) => (encodeEnded = resolve));
      const whole = runOne(pos, encodeEnded, before)
        .catch(async (err: unknown) => {
          results[pos].status = 'FAILED';
          results[pos].message = `Unexpected error on ${path.basename(selected[pos].source)}: ${(err as Error).message}`;
          results[pos].finished_at = iso(new Date());
          stopLaterClips(pos);
          await record({ ...results[pos] });
          emit({ type: 'clip-finished', position: pos + 1, total, result: { ...results[pos] } });
        })
        .then(() => {
          if (results[pos].status === 'FAILED' && (firstFailure < 0 || pos < firstFailure)) firstFailure = pos;
          if (results[pos].status === 'FAILED') failed = true;
          settled.delete(pos);
          checking.delete(pos);
          startedAhead.delete(pos);
          return results[pos].status;
        });
      settled.set(pos, whole);
      const tail = whole.then(() => undefined);
      tails.add(tail);
      void tail.finally(() => tails.delete(tail));
      // The slot is free once ffmpeg exits (or the clip ends without it).
      await Promise.race([slotFree, tail]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  while (tails.size > 0) await Promise.all([...tails]);
  // A probe started ahead for a clip that never ran (fail-fast, a cancel) still holds its source.
  await Promise.allSettled(probes.values());
  for (const h of [...held]) await release(h);

  const interrupted = signal?.aborted && signal.reason instanceof RunInterrupted ? signal.reason : undefined;
  for (const r of results) {
    // Clips stopped by a late failure already say why.
    if (r.status !== 'NOT_RUN' || r.message) continue;
    if (interrupted) r.message = `Not started: the run was interrupted (${interrupted.message}).`;
    else if (signal?.aborted) r.message = 'Not started: the run was cancelled.';
    else if (concurrency === 1 || firstFailure < 0) r.message = 'Not started: an earlier clip failed (fail-fast).';
    else
      r.message = `Not started: ${path.basename(selected[firstFailure].source)} failed, and no new clip starts after a failure (fail-fast); clips already running were finished.`;
  }
  if (lutCopy) {
    heartbeat.delete(lutCopy.file);
    await fs.rm(lutCopy.file, { force: true }).catch(() => undefined);
  }
  const finished = new Date();
  result.status = interrupted ? 'INTERRUPTED' : runStatus(results, !!signal?.aborted);
  if (interrupted) result.interrupted = interrupted.message;
  result.exit_code = exitCodeFor(result.status);
  result.finished_at = iso(finished);
  result.elapsed_seconds = (finished.getTime() - started.getTime()) / 1000;
  heartbeat.stop();
  try {
    result.report_path = reportPath
      ? await finishReport(result, spec.output_directory, reportPath)
      : await startReport(result, spec.output_directory, reportFileName(jobId, started, sel?.reportSuffix));
  } catch (err) {
    result.report_path = null;
    result.report_error = (err as Error).message;
  }
  emit({ type: 'run-finished', result });
  return result;
}

/**
 * Copy the LUT to a temporary file in the output folder (removed at the end of the run, or by the next
 * run there if this one is killed) and check the copy as ffmpeg will read it.
 */
async function copyLut(lut: string, dir: string, format: string): Promise<{ file: string; sha256: string }> {
  const file = path.join(dir, tempName(format));
  try {
    await fs.copyFile(lut, file, fsConstants.COPYFILE_EXCL);
  } catch (err) {
    await fs.rm(file, { force: true }).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new EnvironmentError(
      `The LUT ${quote(lut)} could not be read for this run (${code}), or not copied into ${quote(dir)}. Check both, then run again.`,
      'lut-unreadable',
    );
  }
  const checked = await checkLutFile(file);
  if (!checked.ok) {
    await fs.rm(file, { force: true }).catch(() => undefined);
    throw new EnvironmentError(
      `The LUT ${quote(lut)} changed since it was checked and is no longer one ffmpeg reads as written: ${checked.error.split(file).join(lut)}. Nothing was run.`,
      'lut-unreadable',
    );
  }
  return { file, sha256: checked.info.sha256 };
}

const NO_LINKS = ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK'];

/**
 * Give the finished temporary file its output name. Without `replace`, a hard link refuses to clobber
 * a file that appeared meanwhile (on a case-insensitive volume, one of any spelling); file systems
 * without hard links fall back to a checked rename. With `replace`, what is replaced is checked once
 * more not to be a source.
 */
async function moveIntoPlace(tmp: string, output: string, replace: boolean, sources: SourceIndex): Promise<void> {
  if (replace) {
    if (await sources.find(output)) throw new Error('the output is a source file on its volume; a source is never replaced');
    await fs.rename(tmp, output);
    return;
  }
  try {
    await fs.link(tmp, output);
    await fs.rm(tmp, { force: true });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new Error('a file of that name appeared while the clip was encoding; it was left untouched');
    if (!NO_LINKS.includes(code ?? '')) throw err;
  }
  if (await lookup(output)) throw new Error('a file of that name appeared while the clip was encoding; it was left untouched');
  await fs.rename(tmp, output);
}
