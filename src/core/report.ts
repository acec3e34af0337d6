// Run results: status and exit code rules, the report file, reading it back.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { tempName } from './temp';
import { EXIT, type ClipResult, type RunResult, type RunStatus } from './types';

export const REPORT_SCHEMA = 'jobspec-report/1';

/** COMPLETED when every clip completed or was skipped by policy; CANCELLED; PARTIAL when some work landed; else FAILED. */
export function runStatus(clips: ClipResult[], cancelled: boolean): RunStatus {
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

/** Write the report atomically (temporary file, then rename). Returns the path, or throws with a readable message. */
export async function writeReport(result: RunResult, dir: string, fileName: string): Promise<string> {
  let target = path.join(dir, fileName);
  for (let n = 2; await exists(target); n++) target = path.join(dir, fileName.replace(/\.report\.json$/, `-${n}.report.json`));
  const tmp = path.join(dir, tempName('report.tmp'));
  const body = JSON.stringify({ schema: REPORT_SCHEMA, ...result, report_path: target }, null, 2) + '\n';
  try {
    await fs.writeFile(tmp, body, { flag: 'wx' });
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new Error(`could not write the report ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return target;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

export async function readReport(file: string): Promise<RunResult> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new Error(
      `Cannot read report ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}. Give the path of a *.report.json written by a run.`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`Report ${file} is not valid JSON; it may be truncated. Use another run's report.`);
  }
  const r = data as Partial<RunResult> & { schema?: string };
  if (r.schema !== REPORT_SCHEMA || !Array.isArray(r.clips) || typeof r.job_id !== 'string') {
    throw new Error(`${file} is not a JobSpec run report (expected "schema": "${REPORT_SCHEMA}").`);
  }
  return r as RunResult;
}

/** Clips a re-run should cover: everything that did not complete or get skipped. */
export function unfinishedIndices(result: RunResult): number[] {
  return result.clips.filter((c) => c.status !== 'COMPLETED' && c.status !== 'SKIPPED').map((c) => c.index);
}
