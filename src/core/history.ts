// The run reports on disk, for a history of runs that outlives the process that ran them: listing
// a folder's reports newest first (by the stamp in their names, reading none of them), and reading
// them back with an honest status: readReport turns a RUNNING report whose writer is gone (its pid
// on this host, or its heartbeat stale) into INTERRUPTED.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { readReport } from './report';
import type { RunResult, RunStatus } from './types';

/** `<job_id>[.<suffix>].<YYYYMMDD>T<HHMMSS>[-n].report.json`, as report.ts names them. */
const REPORT_NAME = /\.(\d{8}T\d{6})(?:-(\d+))?\.report\.json$/;

export interface ReportFile {
  file: string;
  /** `YYYYMMDDTHHMMSS` from the name, local time of the run's start. */
  stamp: string;
}

/** The reports in these folders, newest first; folders that cannot be read are skipped. */
export async function listReports(dirs: string[]): Promise<ReportFile[]> {
  const found: (ReportFile & { n: number })[] = [];
  await Promise.all(
    [...new Set(dirs.map((d) => path.resolve(d)))].map(async (dir) => {
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        const m = REPORT_NAME.exec(name);
        if (m) found.push({ file: path.join(dir, name), stamp: m[1], n: Number(m[2] ?? 1) });
      }
    }),
  );
  found.sort((a, b) => b.stamp.localeCompare(a.stamp) || b.n - a.n || a.file.localeCompare(b.file));
  return found.map(({ file, stamp }) => ({ file, stamp }));
}

export interface HistoryEntry {
  file: string;
  result: RunResult;
  status: RunStatus;
}

export interface HistoryProblem {
  file: string;
  message: string;
}

/**
 * The newest `limit` readable reports in these folders, newest first, each with its settled status.
 * A report that cannot be read (truncated, another tool's file) is named in `problems`, not thrown.
 */
export async function loadHistory(dirs: string[], limit: number): Promise<{ entries: HistoryEntry[]; problems: HistoryProblem[] }> {
  const files = await listReports(dirs);
  const entries: HistoryEntry[] = [];
  const problems: HistoryProblem[] = [];
  for (const { file } of files) {
    if (entries.length >= limit) break;
    try {
      const result = await readReport(file);
      // Where the report is now, not where it was first written (a folder that was moved or copied).
      entries.push({ file, result: { ...result, report_path: file }, status: result.status });
    } catch (err) {
      problems.push({ file, message: err instanceof Error ? err.message : String(err) });
    }
  }
  return { entries, problems };
}
