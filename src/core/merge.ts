// `jobspec report merge`: combine shard reports into one run result, naming any shard that is missing.
import * as path from 'node:path';
import { exitCodeFor, readReport, reportFileName, runStatus, writeReport } from './report';
import type { ClipResult, RunResult } from './types';

export async function mergeReports(files: string[], outFile?: string): Promise<RunResult> {
  const reports = await Promise.all(files.map((f) => readReport(f)));
  const first = reports[0];
  for (const [i, r] of reports.entries()) {
    if (r.job_id !== first.job_id)
      throw new Error(`${files[i]} is for job ${r.job_id}, but ${files[0]} is for job ${first.job_id}; merge reports of one job only.`);
    if (r.selection?.kind !== 'shard' || !r.selection.shard)
      throw new Error(`${files[i]} is not a shard report (run with --shard K/N); there is nothing to merge it with.`);
    if (r.selection.shard.count !== first.selection?.shard?.count)
      throw new Error(
        `${files[i]} is shard ${r.selection.shard.index} of ${r.selection.shard.count}, but ${files[0]} is of ${first.selection?.shard?.count}.`,
      );
  }
  const all = first.selection?.all_clips ?? [];
  const count = first.selection?.shard?.count ?? 1;
  const byIndex = new Map<number, ClipResult>();
  const seenShards = new Set<number>();
  for (const [i, r] of reports.entries()) {
    const k = r.selection?.shard?.index ?? -1;
    if (seenShards.has(k)) throw new Error(`shard ${k} is given twice (${files[i]}); give each shard's report once.`);
    seenShards.add(k);
    for (const c of r.clips) byIndex.set(c.index, c);
  }
  const missingShards = Array.from({ length: count }, (_, k) => k).filter((k) => !seenShards.has(k));
  const clips: ClipResult[] = all.map(
    (p) =>
      byIndex.get(p.index) ?? {
        index: p.index,
        source: p.source,
        output: p.output,
        status: 'NOT_RUN',
        ffmpeg_args: [],
        exit_code: null,
        signal: null,
        started_at: null,
        finished_at: null,
        elapsed_seconds: 0,
        output_size: null,
        stderr_tail: [],
        message: `No report for shard ${p.index % count} of ${count} was given; this clip's outcome is unknown.`,
      },
  );
  const started = reports.map((r) => r.started_at).sort()[0];
  const finished = reports
    .map((r) => r.finished_at)
    .sort()
    .reverse()[0];
  const cancelled = reports.some((r) => r.status === 'CANCELLED');
  let status = runStatus(clips, cancelled);
  if (missingShards.length && status === 'COMPLETED') status = 'PARTIAL';
  const merged: RunResult = {
    job_id: first.job_id,
    jobspec_file: first.jobspec_file,
    status,
    exit_code: exitCodeFor(status),
    started_at: started,
    finished_at: finished,
    elapsed_seconds: (Date.parse(finished) - Date.parse(started)) / 1000,
    clips,
    report_path: null,
    ffmpeg: first.ffmpeg,
  };
  const dir = outFile ? path.dirname(path.resolve(outFile)) : path.dirname(path.resolve(files[0]));
  const name = outFile ? path.basename(outFile) : reportFileName(first.job_id, new Date(), 'merged');
  merged.report_path = await writeReport(merged, dir, name);
  return merged;
}
