// Run results and the report file. A report is a record people and farms rely on, so it is written as
// the run goes: the file is reserved under its final name when the run starts (status RUNNING), each
// finished clip is appended durably to a journal beside it, and the final report replaces it
// atomically at the end. A run killed at clip 700 of 1,000 leaves a report that reads back as
// INTERRUPTED with the 699 clips it finished. Every report carries the fingerprint of its job's plan
// and a digest of its own content, so that merges and re-runs can refuse what does not belong.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendDurably, fsyncDir, writeFileDurably } from './durable';
import { currentPidNamespace, processAlive, tempName } from './temp';
import { quote } from './text';
import {
  EXIT,
  type ClipResult,
  type FinalRunStatus,
  type PlannedClipInfo,
  type ReportWriter,
  type RunResult,
  type RunStatus,
} from './types';

export const REPORT_SCHEMA = 'jobspec-report/2';
/** Reports written before the plan fingerprint and the journal; still readable (re-runs of old runs). */
const OLDER_SCHEMAS = ['jobspec-report/1'];

/** COMPLETED when every clip completed or was skipped by policy; CANCELLED; PARTIAL when some work landed; else FAILED. */
/**
 * An abort reason saying the run was cut short from outside (the window running it closed), not
 * cancelled by its user: its report says INTERRUPTED, and it can be resumed.
 */
export class RunInterrupted extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'RunInterrupted';
  }
}

export function runStatus(clips: ClipResult[], cancelled: boolean): FinalRunStatus {
  if (cancelled || clips.some((c) => c.status === 'CANCELLED')) return 'CANCELLED';
  if (clips.every((c) => c.status === 'COMPLETED' || c.status === 'SKIPPED')) return 'COMPLETED';
  return clips.some((c) => c.status === 'COMPLETED') ? 'PARTIAL' : 'FAILED';
}

export function exitCodeFor(status: RunStatus): number {
  return status === 'COMPLETED' ? EXIT.OK : status === 'CANCELLED' ? EXIT.CANCELLED : EXIT.CLIP_FAILED;
}

function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}T${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** `<job_id>[.<suffix>].<stamp>.report.json`: every run keeps its own report, so a re-run can point at the one before. */
export function reportFileName(jobId: string, started: Date, suffix?: string): string {
  return `${jobId}${suffix ? `.${suffix}` : ''}.${stamp(started)}.report.json`;
}

/** The journal of a report: one JSON line per finished clip, appended as the run goes. Hidden, so report globs skip it. */
export function journalPath(reportPath: string): string {
  return path.join(path.dirname(reportPath), `.${path.basename(reportPath).replace(/\.report\.json$/, '')}.journal.jsonl`);
}

export function currentWriter(): ReportWriter {
  return { host: os.hostname(), pid: process.pid, pidns: currentPidNamespace() };
}

/** sha256 of the report without its `integrity` field, as written: a hand-edited or damaged report no longer matches. */
export function reportDigest(report: Record<string, unknown>): string {
  const rest: Record<string, unknown> = { ...report };
  delete rest.integrity;
  return `sha256:${createHash('sha256').update(JSON.stringify(rest)).digest('hex')}`;
}

function reportBody(result: RunResult, target: string): string {
  const body: Record<string, unknown> = { schema: REPORT_SCHEMA, ...result, report_path: target };
  delete body.integrity;
  body.integrity = reportDigest(body);
  return JSON.stringify(body, null, 2) + '\n';
}

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/**
 * Reserve a report name for a run starting now and write its RUNNING report there. Two runs of one
 * job started in the same second each get their own file: the name is claimed with a no-clobber
 * hard link (or an exclusive create where the volume has no links), and a taken name moves on to
 * `-2`, `-3`…
 */
export async function startReport(result: RunResult, dir: string, fileName: string): Promise<string> {
  const tmp = path.join(dir, tempName('report.tmp'));
  for (let n = 1; ; n++) {
    const target = path.join(dir, n === 1 ? fileName : fileName.replace(/\.report\.json$/, `-${n}.report.json`));
    try {
      await writeFileDurably(tmp, reportBody(result, target));
      try {
        await fs.link(tmp, target);
      } catch (err) {
        if (codeOf(err) === 'EEXIST') continue;
        if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK'].includes(codeOf(err))) throw err;
        // No hard links here (exFAT, some shares): claim the name by creating it exclusively.
        try {
          await fs.writeFile(target, reportBody(result, target), { flag: 'wx' });
        } catch (e) {
          if (codeOf(e) === 'EEXIST') continue;
          throw e;
        }
      }
      await fsyncDir(dir);
      return target;
    } catch (err) {
      throw new Error(`could not write the report ${quote(target)}: ${codeOf(err)}`);
    } finally {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
    }
  }
}

/** Append one finished clip to the report's journal, durably (it is on disk when this resolves). */
export async function journalClip(reportPath: string, clip: ClipResult): Promise<void> {
  await appendDurably(journalPath(reportPath), JSON.stringify(clip) + '\n');
}

/**
 * Replace the RUNNING report with the final one, atomically, and drop the journal. With no
 * `reportPath` (the start could not reserve one), a fresh name is reserved first.
 */
export async function finishReport(result: RunResult, dir: string, reportPath: string): Promise<string> {
  const tmp = path.join(dir, tempName('report.tmp'));
  try {
    await writeFileDurably(tmp, reportBody(result, reportPath));
    await fs.rename(tmp, reportPath);
    await fsyncDir(dir);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new Error(`could not write the report ${quote(reportPath)}: ${codeOf(err)}`);
  }
  await fs.rm(journalPath(reportPath), { force: true }).catch(() => undefined);
  return reportPath;
}

/** Write a report that is complete from the start (a merge): reserve the name, then it is final. */
export async function writeReport(result: RunResult, dir: string, fileName: string): Promise<string> {
  return startReport(result, dir, fileName);
}

/**
 * Whether the run that writes a RUNNING report is still going. A live run touches its journal every
 * few seconds; a journal left untouched means the run is gone, whatever its pid now names (pids are
 * reused, and mean nothing across PID namespaces or hosts). On the writer's own host and namespace a
 * dead pid says so at once.
 */
async function writerAlive(report: RunResult, file: string): Promise<boolean> {
  const w = report.writer;
  if (!w) return false;
  const me = currentWriter();
  if (w.host === me.host && w.pidns === me.pidns && !processAlive(w.pid)) return false;
  try {
    const st = await fs.stat(journalPath(file));
    // Another host's clock may be off by minutes: give its heartbeat that much room.
    const stale = w.host === me.host ? HEARTBEAT_STALE_MS : HEARTBEAT_STALE_OTHER_HOST_MS;
    return Date.now() - st.mtimeMs < stale;
  } catch {
    return false;
  }
}

/** A run touches its journal at least this often while it runs. */
export const HEARTBEAT_MS = 5_000;
/** A journal untouched for this long belongs to a run that is gone. */
export const HEARTBEAT_STALE_MS = 30_000;
const HEARTBEAT_STALE_OTHER_HOST_MS = 10 * 60_000;

export class ReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportError';
  }
}

function isClip(v: unknown): v is ClipResult {
  const c = v as Partial<ClipResult> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    Number.isInteger(c.index) &&
    typeof c.source === 'string' &&
    typeof c.output === 'string' &&
    typeof c.status === 'string' &&
    Array.isArray(c.ffmpeg_args)
  );
}

export interface ReadReportOptions {
  /** Refuse a report whose digest does not match its content (merge). Default true. */
  checkIntegrity?: boolean;
}

/**
 * Read a report back. A RUNNING report gets its journal's clips; if its writer is gone it reads as
 * INTERRUPTED, its unfinished clips NOT_RUN. Anything that is not a whole report written by a run
 * (not JSON, truncated, another file, edited by hand) is refused with a message saying so.
 */
export async function readReport(file: string, opts: ReadReportOptions = {}): Promise<RunResult> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new ReportError(`Cannot read report ${quote(file)}: ${codeOf(err)}. Give the path of a *.report.json written by a run.`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ReportError(
      `Report ${quote(file)} is not valid JSON: it is truncated or damaged. Use another run's report, or run the JobSpec again.`,
    );
  }
  const r = data as Partial<RunResult> & { schema?: unknown; integrity?: unknown };
  if (typeof r !== 'object' || r === null || (r.schema !== REPORT_SCHEMA && !OLDER_SCHEMAS.includes(String(r.schema)))) {
    throw new ReportError(`${quote(file)} is not a JobSpec run report (expected "schema": "${REPORT_SCHEMA}").`);
  }
  if (typeof r.job_id !== 'string' || !Array.isArray(r.clips) || !r.clips.every(isClip) || typeof r.status !== 'string') {
    throw new ReportError(
      `Report ${quote(file)} is damaged: its job_id, status or clips are missing or malformed. Use another run's report.`,
    );
  }
  if (r.schema === REPORT_SCHEMA && opts.checkIntegrity !== false && r.integrity !== reportDigest(data as Record<string, unknown>)) {
    throw new ReportError(
      `Report ${quote(file)} was changed after the run wrote it (its content no longer matches its integrity digest). Use the report as the run wrote it, or run the clips again.`,
    );
  }
  const report = r as RunResult;
  if (report.status !== 'RUNNING') return report;
  // A run in progress, or one that never finished: add what its journal recorded.
  const done = await readJournal(journalPath(file));
  for (const c of report.clips) {
    const finished = done.get(c.index);
    if (finished) Object.assign(c, finished);
  }
  if (await writerAlive(report, file)) return report;
  report.status = 'INTERRUPTED';
  report.interrupted = 'its process stopped (killed, or its machine went down) before the run ended';
  report.exit_code = EXIT.CLIP_FAILED;
  for (const c of report.clips) {
    if (c.status === 'COMPLETED' || c.status === 'SKIPPED' || c.status === 'FAILED' || c.status === 'CANCELLED') continue;
    c.status = 'NOT_RUN';
    c.message = 'Not finished: the run was interrupted (its process stopped) before this clip ended.';
  }
  return report;
}

async function readJournal(file: string): Promise<Map<number, ClipResult>> {
  const out = new Map<number, ClipResult>();
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const c = JSON.parse(line) as unknown;
      if (isClip(c)) out.set(c.index, c);
    } catch {
      // The last line of a run killed mid-append: that clip counts as unfinished.
    }
  }
  return out;
}

/** A clip that has not run (yet), with why when it is known. */
export function blankResult(clip: PlannedClipInfo, message?: string): ClipResult {
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
    ...(message ? { message } : {}),
  };
}

/** Clips a re-run should cover: everything that did not complete or get skipped. */
export function unfinishedIndices(result: RunResult): number[] {
  return result.clips.filter((c) => c.status !== 'COMPLETED' && c.status !== 'SKIPPED').map((c) => c.index);
}

/** The report files in `dir` (not journals), newest name last. */
export async function reportsInFolder(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir))
      .filter((n) => n.endsWith('.report.json') && !n.startsWith('.'))
      .sort()
      .map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}
