// `jobspec report merge`: combine the reports of a farm's shards into one run result. It trusts nothing:
// every report must read back whole and unaltered (its integrity digest), belong to one plan (the
// plan fingerprint: same job, clips, names and proxy settings), and be a shard's (or a re-run or
// resume of a shard's). A shard given several times (a scheduler retry, a re-run of its failed clips)
// counts by its newest result for each clip, and the merge says which reports it took. A shard with
// no report is named as missing, not counted as failed clips.
import * as path from 'node:path';
import { blankResult, exitCodeFor, readReport, ReportError, reportFileName, runStatus, writeReport } from './report';
import { quote } from './text';
import type { ClipResult, RunResult } from './types';

export class MergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MergeError';
  }
}

export interface MergeResult extends RunResult {
  merge: {
    /** Per shard, the reports that were used (newest last) and the ones that were passed over. */
    shards: { index: number; reports: string[]; missing: boolean; running: boolean }[];
  };
}

export async function mergeReports(files: string[], outFile?: string): Promise<MergeResult> {
  const reports: { file: string; r: RunResult }[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(path.resolve(f))) throw new MergeError(`${quote(path.resolve(f))} is given twice; give each report once.`);
    seen.add(path.resolve(f));
    try {
      reports.push({ file: path.resolve(f), r: await readReport(f) });
    } catch (e) {
      throw new MergeError(e instanceof ReportError ? e.message : String(e));
    }
  }
  const first = reports[0];
  const fingerprint = first.r.plan?.fingerprint;
  for (const { file, r } of reports) {
    const shard = r.selection?.shard;
    if (!shard) throw new MergeError(`${quote(file)} is not a shard report (run with --shard K/N); there is nothing to merge it with.`);
    if (r.job_id !== first.r.job_id)
      throw new MergeError(
        `${quote(file)} is for job ${r.job_id}, but ${quote(first.file)} is for job ${first.r.job_id}; merge reports of one job only.`,
      );
    if (shard.count !== first.r.selection?.shard?.count)
      throw new MergeError(
        `${quote(file)} is shard ${shard.index} of ${shard.count}, but ${quote(first.file)} is of ${first.r.selection?.shard?.count}.`,
      );
    if (!r.plan?.fingerprint || r.plan.fingerprint !== fingerprint) {
      throw new MergeError(
        `${quote(file)} belongs to another plan than ${quote(first.file)} (its clips, names or proxy settings differ${r.plan ? '' : ', or it predates plan fingerprints'}): merge only the reports of shards run from one JobSpec.`,
      );
    }
  }
  const count = first.r.selection?.shard?.count ?? 1;
  const all = first.r.selection?.all_clips ?? [];
  // Newest first: for each clip the newest report that covered it decides, so a re-run of a shard's
  // failed clips or a retried shard supersedes what came before.
  const byAge = [...reports].sort((a, b) => (a.r.started_at < b.r.started_at ? 1 : a.r.started_at > b.r.started_at ? -1 : 0));
  const byIndex = new Map<number, ClipResult>();
  const used = new Map<number, Set<string>>();
  const running = new Set<number>();
  const take = (file: string, k: number, c: ClipResult): void => {
    byIndex.set(c.index, c);
    let set = used.get(k);
    if (!set) used.set(k, (set = new Set()));
    set.add(file);
  };
  // A newer report that never ran a clip (killed first, fail-fast, only some clips re-run) says
  // nothing about it: the newest report that did run it decides; NOT_RUN only where none did.
  for (const pass of ['ran', 'not run'] as const) {
    for (const { file, r } of byAge) {
      const k = r.selection?.shard?.index ?? -1;
      if (r.status === 'RUNNING') {
        running.add(k);
        continue;
      }
      for (const c of r.clips) {
        if (c.index % count !== k)
          throw new MergeError(
            `${quote(file)} says it is shard ${k} of ${count}, but it holds clip ${c.index}; the report is not a shard's.`,
          );
        if (byIndex.has(c.index) || (pass === 'ran') === (c.status === 'NOT_RUN')) continue;
        take(file, k, c);
      }
    }
  }
  const shards = Array.from({ length: count }, (_, k) => ({
    index: k,
    reports: [...(used.get(k) ?? [])].reverse(),
    running: running.has(k) && !used.has(k),
    missing: !used.has(k) && !running.has(k),
  }));
  const clips: ClipResult[] = all.map((p) => {
    const c = byIndex.get(p.index);
    if (c) return c;
    const k = p.index % count;
    return blankResult(
      p,
      running.has(k)
        ? `Shard ${k} of ${count} is still running; merge again when it has finished.`
        : `No report for shard ${k} of ${count} was given: that shard is missing, so this clip's outcome is unknown. Run the shard (--shard ${k}/${count}) or give its report.`,
    );
  });
  const finishedReports = reports.filter((x) => x.r.status !== 'RUNNING');
  const started = (finishedReports.length ? finishedReports : reports).map((x) => x.r.started_at).sort()[0];
  const finished = (finishedReports.length ? finishedReports : reports)
    .map((x) => x.r.finished_at)
    .sort()
    .reverse()[0];
  let status = runStatus(clips, false);
  if (status === 'COMPLETED' && shards.some((s) => s.missing || s.running)) status = 'PARTIAL';
  const merged: MergeResult = {
    job_id: first.r.job_id,
    jobspec_file: first.r.jobspec_file,
    status,
    exit_code: exitCodeFor(status),
    started_at: started,
    finished_at: finished,
    elapsed_seconds: (Date.parse(finished) - Date.parse(started)) / 1000,
    clips,
    report_path: null,
    ffmpeg: first.r.ffmpeg,
    merge: { shards },
  };
  if (first.r.plan) merged.plan = first.r.plan;
  const dir = outFile ? path.dirname(path.resolve(outFile)) : path.dirname(path.resolve(files[0]));
  const name = outFile ? path.basename(outFile) : reportFileName(first.r.job_id, new Date(), 'merged');
  try {
    merged.report_path = await writeReport(merged, dir, name);
  } catch (e) {
    merged.report_error = (e as Error).message;
  }
  return merged;
}
