// Run a JobSpec: clips in `sources` order (up to max_concurrent_jobs at once), fail-fast, cancellable.
// Each clip writes a temporary file in the output folder that is moved into place only when complete.
// The runner emits typed events and prints nothing.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { execa } from 'execa';
import { buildFfmpegArgs, checkEncoders, probeSource, ProbeError, type SourceInfo } from './ffmpeg';
import { planOutputs } from './plan';
import { LineTail, ProgressParser } from './progress';
import { exitCodeFor, reportFileName, runStatus, writeReport } from './report';
import { cleanStaleTemps, tempName } from './temp';
import type { Tools } from './tools';
import type { ClipResult, JobSpec, PlannedClipInfo, RunEvent, RunResult } from './types';
import { verifyOutput } from './verify';

export interface RunOptions {
  tools: Tools;
  /** The JobSpec file this run came from (recorded in the report). */
  jobspecFile: string;
  signal?: AbortSignal;
  onEvent?: (e: RunEvent) => void;
  /** Run only these clip indices (a re-run or a shard); `{index}` stays global. */
  only?: number[];
  selection?: RunResult['selection'];
  /** Stop ffmpeg when it shows no sign of life for this long. Default 120 s; 0 disables. */
  stallTimeoutSeconds?: number;
  /** The run's clock. */
  now?: Date;
  /** The clock for {date}/{time} in names, when it must be an earlier run's (a re-run). Default: the run's start. */
  namingTime?: Date;
  /** Probe each proxy before calling it COMPLETED (default true). */
  verify?: boolean;
  /** Written into the report's file name, e.g. "shard-1-of-4". */
  reportSuffix?: string;
  /** Lines of ffmpeg's stderr kept for a failure. Default 20. */
  stderrLines?: number;
}

/** stderr lines that name a cause outside ffmpeg, with what to do about it. */
const CAUSES: { re: RegExp; hint: string }[] = [
  {
    re: /No space left on device/i,
    hint: "The output folder's disk is full: free space or choose another output_directory, then re-run the failed clips.",
  },
  { re: /Read-only file system/i, hint: 'The output folder is on a read-only file system: choose another output_directory.' },
  { re: /Permission denied/i, hint: 'Check the permissions of the source and the output folder.' },
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

function blankResult(clip: PlannedClipInfo): ClipResult {
  return {
    index: clip.index,
    source: clip.source,
    output: clip.output,
    status: 'NOT_RUN',
    ffmpeg_args: [],
    exit_code: null,
    signal: null,
    started_at: null,
    finished_at: null,
    elapsed_seconds: 0,
    output_size: null,
    stderr_tail: [],
  };
}

async function existsNoFollow(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** Threads per ffmpeg process so that N processes share the machine instead of each taking every core. */
export function threadBudget(concurrency: number, cores = os.availableParallelism()): number | undefined {
  if (concurrency <= 1) return undefined;
  return Math.max(1, Math.floor(cores / concurrency));
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
  const plan = planOutputs(spec, opts.namingTime ?? started);
  const selected = opts.only ? plan.filter((c) => opts.only?.includes(c.index)) : plan;
  const results = selected.map(blankResult);
  const total = selected.length;
  const concurrency = Math.max(1, Math.min(spec.max_concurrent_jobs, total || 1));
  const threads = threadBudget(concurrency);
  // setTimeout fires after 1 ms when given more than 2^31-1 ms (about 24.8 days), Infinity or NaN,
  // which would stop every clip at once: Infinity waits forever (like 0), NaN takes the default,
  // and anything longer than the timer can hold is clamped to it.
  const stallSeconds = Number.isNaN(opts.stallTimeoutSeconds)
    ? DEFAULT_STALL_TIMEOUT_SECONDS
    : (opts.stallTimeoutSeconds ?? DEFAULT_STALL_TIMEOUT_SECONDS);
  const stallMs = stallSeconds === Infinity ? 0 : Math.min(stallSeconds * 1000, 2 ** 31 - 1);
  const tailLines = opts.stderrLines ?? 20;

  checkEncoders(spec, opts.tools);
  emit({ type: 'run-started', job_id: spec.job_id, jobspec_file: opts.jobspecFile, total, clips: selected, started_at: iso(started) });

  const removed = await cleanStaleTemps(spec.output_directory);
  if (removed.length)
    emit({
      type: 'notice',
      message: `Removed ${removed.length} temporary file(s) left in ${spec.output_directory} by an earlier run that was stopped: ${removed.join(', ')}`,
    });

  let failed = false;
  let firstFailure = -1;
  let next = 0;
  const signal = opts.signal;

  // Probing only reads the source, so the next clip's probe runs while this clip encodes: its
  // ffprobe start-up then hides behind ffmpeg instead of adding to every clip's wall time.
  const probes = new Map<number, Promise<SourceInfo>>();
  const probeFor = (pos: number): Promise<SourceInfo> => {
    let p = probes.get(pos);
    if (!p) {
      p = probeSource(opts.tools, selected[pos].source, signal);
      p.catch(() => undefined);
      probes.set(pos, p);
    }
    return p;
  };
  const prefetchNext = (): void => {
    if (!failed && !signal?.aborted && next < total) void probeFor(next).catch(() => undefined);
  };

  const runOne = async (pos: number): Promise<void> => {
    const clip = selected[pos];
    const r = results[pos];
    const t0 = Date.now();
    r.started_at = iso(new Date());
    r.status = 'RUNNING';
    const finish = (status: ClipResult['status'], message?: string): void => {
      r.status = status;
      if (message) r.message = message;
      r.finished_at = iso(new Date());
      r.elapsed_seconds = (Date.now() - t0) / 1000;
      emit({ type: 'clip-finished', position: pos + 1, total, result: { ...r } });
    };
    const name = path.basename(clip.source);

    if (await existsNoFollow(clip.output)) {
      if (spec.overwrite === 'skip')
        return finish('SKIPPED', `Output already exists: ${clip.output}; overwrite is "skip", so it was left as it is.`);
      if (spec.overwrite === 'never') {
        return finish(
          'FAILED',
          `Output already exists: ${clip.output}; overwrite is "never", so it was not touched. Move or delete it, or set overwrite to "skip" or "replace".`,
        );
      }
    }

    let info: SourceInfo;
    try {
      info = await probeFor(pos);
    } catch (err) {
      if (signal?.aborted) return finish('CANCELLED', 'Cancelled before ffmpeg started.');
      r.stderr_tail = err instanceof ProbeError ? err.stderr.slice(-tailLines) : [];
      return finish('FAILED', `Cannot read source ${name}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      probes.delete(pos);
    }

    const tmp = path.join(spec.output_directory, tempName(spec.container));
    const built = buildFfmpegArgs(spec, clip.source, info, tmp, { threads, encoders: opts.tools.encoders });
    if ('error' in built) return finish('FAILED', `${name}: ${built.error}`);
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

    const removeTmp = (): Promise<void> => fs.rm(tmp, { force: true }).catch(() => undefined);
    const parser = new ProgressParser(info.durationSeconds);
    const stderr = new LineTail(200);
    let stalled = false;
    let lastProgress = 0;
    const child = execa(opts.tools.ffmpeg, built.args, {
      reject: false,
      stdin: 'ignore',
      buffer: false,
      cancelSignal: signal,
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
      stderr.push(chunk);
    });
    const done = await child;
    clearTimeout(stallTimer);
    r.exit_code = typeof done.exitCode === 'number' ? done.exitCode : null;
    r.signal = done.signal ?? null;

    if (done.isCanceled || signal?.aborted) {
      await removeTmp();
      return finish('CANCELLED', `Cancelled while encoding ${name}; the partial proxy was removed.`);
    }
    if (stalled) {
      await removeTmp();
      r.stderr_tail = stderr.tail(tailLines);
      return finish(
        'FAILED',
        `ffmpeg showed no progress on ${name} for ${stallMs / 1000}s and was stopped (stall timeout). Check that the source is readable (a slow or disconnected share?), or raise the stall timeout.`,
      );
    }
    if (r.exit_code !== 0) {
      await removeTmp();
      r.stderr_tail = stderr.tail(tailLines);
      const how = r.exit_code === null ? `was killed by ${r.signal ?? 'a signal'}` : `exited with code ${r.exit_code}`;
      // ffmpeg's last line is often a generic "Conversion failed"; a cause the user can act on wins.
      const cause = [...r.stderr_tail].reverse().find((l) => CAUSES.some((c) => c.re.test(l)));
      const hint = cause ? CAUSES.find((c) => c.re.test(cause))?.hint : undefined;
      const shown = cause ?? r.stderr_tail[r.stderr_tail.length - 1];
      const last = shown ? `: ${shown}` : '';
      return finish('FAILED', `ffmpeg ${how} on ${name}${last}${hint ? `. ${hint}` : ''}`);
    }
    let size = 0;
    try {
      size = (await fs.stat(tmp)).size;
    } catch {
      size = 0;
    }
    if (size === 0) {
      await removeTmp();
      r.stderr_tail = stderr.tail(tailLines);
      return finish('FAILED', `ffmpeg exited 0 but wrote nothing for ${name}; no proxy was kept.`);
    }
    if (opts.verify !== false) {
      const wantFps = spec.fps_mode === 'explicit' && spec.fps_explicit ? spec.fps_explicit : info.fps;
      r.verification = await verifyOutput(opts.tools, spec, info, tmp, { width: built.width, height: built.height, fps: wantFps });
      const bad = r.verification.filter((c) => !c.ok);
      if (bad.length > 0) {
        await removeTmp();
        return finish(
          'FAILED',
          `The proxy for ${name} failed verification: ${bad.map((c) => `${c.name} is ${c.actual}, expected ${c.expected}`).join('; ')}. It was not kept.`,
        );
      }
    }
    try {
      await moveIntoPlace(tmp, clip.output, spec.overwrite === 'replace');
    } catch (err) {
      await removeTmp();
      return finish('FAILED', `Could not move the finished proxy into place at ${clip.output}: ${(err as Error).message}`);
    }
    r.output_size = size;
    finish('COMPLETED');
  };

  // A pool of `concurrency` workers taking clips in order; after a failure or a cancel no new clip starts.
  // A clip counts as started once a worker takes it, and a started clip always runs to its end.
  const worker = async (): Promise<void> => {
    while (!failed && !signal?.aborted && next < total) {
      const pos = next++;
      try {
        await runOne(pos);
      } catch (err) {
        results[pos].status = 'FAILED';
        results[pos].message = `Unexpected error on ${path.basename(selected[pos].source)}: ${(err as Error).message}`;
        results[pos].finished_at = iso(new Date());
        emit({ type: 'clip-finished', position: pos + 1, total, result: { ...results[pos] } });
      }
      if (results[pos].status === 'FAILED' && !failed) {
        failed = true;
        firstFailure = pos;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));

  for (const r of results) {
    if (r.status !== 'NOT_RUN') continue;
    if (signal?.aborted) r.message = 'Not started: the run was cancelled.';
    else if (concurrency === 1 || firstFailure < 0) r.message = 'Not started: an earlier clip failed (fail-fast).';
    else
      r.message = `Not started: ${path.basename(selected[firstFailure].source)} failed, and no new clip starts after a failure (fail-fast); clips already running were finished.`;
  }
  const finished = new Date();
  const status = runStatus(results, !!signal?.aborted);
  const result: RunResult = {
    job_id: spec.job_id,
    jobspec_file: opts.jobspecFile,
    status,
    exit_code: exitCodeFor(status),
    started_at: iso(started),
    finished_at: iso(finished),
    elapsed_seconds: (finished.getTime() - started.getTime()) / 1000,
    clips: results,
    report_path: null,
    ffmpeg: { path: opts.tools.ffmpeg, version: opts.tools.version },
  };
  if (opts.selection) result.selection = opts.selection;
  try {
    result.report_path = await writeReport(result, spec.output_directory, reportFileName(spec.job_id, started, opts.reportSuffix));
  } catch (err) {
    result.report_error = (err as Error).message;
  }
  emit({ type: 'run-finished', result });
  return result;
}

/**
 * Rename the finished temporary file to its output name. Without `replace`, a hard link refuses to
 * clobber a file that appeared meanwhile; file systems without hard links fall back to a checked rename.
 */
async function moveIntoPlace(tmp: string, output: string, replace: boolean): Promise<void> {
  if (replace) {
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
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK'].includes(code ?? '')) throw err;
  }
  if (await existsNoFollow(output)) throw new Error('a file of that name appeared while the clip was encoding; it was left untouched');
  await fs.rename(tmp, output);
}
