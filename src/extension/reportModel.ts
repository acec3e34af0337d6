// A run report as the report view shows it: statuses as tones, times relative to the run's start,
// a lane for each clip so that clips running at once sit on separate rows. Pure: no `vscode`.
import * as path from 'node:path';
import type { ClipResult, ClipStatus, RunResult, RunStatus } from '../core';
import type { ClipModel, ReportModel, Tone } from '../webview/model';
import { jobspecName } from './runs';

const CLIP_TONE: Record<ClipStatus, Tone> = {
  QUEUED: 'idle',
  RUNNING: 'running',
  COMPLETED: 'ok',
  SKIPPED: 'ok',
  FAILED: 'error',
  CANCELLED: 'warn',
  NOT_RUN: 'idle',
};

const RUN_TONE: Record<RunStatus, Tone> = {
  COMPLETED: 'ok',
  PARTIAL: 'warn',
  FAILED: 'error',
  CANCELLED: 'warn',
  INTERRUPTED: 'warn',
  RUNNING: 'running',
};

/** Lanes by first fit: a clip takes the first lane free when it starts. */
export function assignLanes(spans: ({ start: number; end: number } | undefined)[]): { lanes: number[]; count: number } {
  const order = spans.map((s, i) => ({ s, i })).filter((x): x is { s: { start: number; end: number }; i: number } => x.s !== undefined);
  order.sort((a, b) => a.s.start - b.s.start || a.i - b.i);
  const freeAt: number[] = [];
  const lanes = spans.map(() => 0);
  for (const { s, i } of order) {
    let lane = freeAt.findIndex((t) => t <= s.start + 1e-3);
    if (lane < 0) lane = freeAt.push(0) - 1;
    freeAt[lane] = s.end;
    lanes[i] = lane;
  }
  return { lanes, count: Math.max(1, freeAt.length) };
}

/** A clip's time in the run; `encoded` is when its encode slot freed (it was checked from then to `end`). */
function span(c: ClipResult, t0: number): { start: number; end: number; encoded: number } | undefined {
  if (!c.started_at) return undefined;
  const start = (Date.parse(c.started_at) - t0) / 1000;
  const end = Math.max(start, c.finished_at ? (Date.parse(c.finished_at) - t0) / 1000 : start + c.elapsed_seconds);
  const encodedAt = c.encoded_at ? (Date.parse(c.encoded_at) - t0) / 1000 : end;
  const encoded = Number.isFinite(encodedAt) ? Math.min(end, Math.max(start, encodedAt)) : end;
  return Number.isFinite(start) && Number.isFinite(end) ? { start, end, encoded } : undefined;
}

export function buildReportModel(
  file: string,
  result: RunResult,
  status: RunStatus,
  facts: { sourceSizes: (number | undefined)[]; outputExists: boolean[] },
): ReportModel {
  const t0 = Date.parse(result.started_at);
  const spans = result.clips.map((c) => span(c, t0));
  // Lanes follow the encodes: the next clip encodes while the one before is checked (pipelining), and
  // that is one clip at a time, not two.
  const { lanes, count } = assignLanes(spans.map((s) => s && { start: s.start, end: s.encoded }));
  const clips: ClipModel[] = result.clips.map((c, i) => ({
    index: c.index,
    name: path.basename(c.source),
    source: c.source,
    output: c.output,
    outputName: path.basename(c.output),
    status: c.status,
    tone: CLIP_TONE[c.status],
    ...(c.message ? { message: c.message } : {}),
    ...(spans[i] ? { start: spans[i].start, end: spans[i].end, encoded: spans[i].encoded } : {}),
    elapsedSeconds: c.elapsed_seconds,
    ...(facts.sourceSizes[i] !== undefined ? { sourceSize: facts.sourceSizes[i] } : {}),
    ...(c.output_size != null ? { outputSize: c.output_size } : {}),
    lane: lanes[i],
    checks: (c.verification ?? []).map((v) => ({
      name: v.name,
      ok: v.ok,
      ...(v.expected !== undefined ? { expected: String(v.expected) } : {}),
      ...(v.actual !== undefined ? { actual: String(v.actual) } : {}),
    })),
    outputExists: facts.outputExists[i] ?? false,
  }));
  const done = result.clips.filter((c) => c.status === 'COMPLETED' || c.status === 'SKIPPED').length;
  const unfinished = result.clips.length - done;
  const finishedAt = Date.parse(result.finished_at);
  return {
    name: jobspecName(result.jobspec_file),
    jobId: result.job_id,
    status,
    tone: RUN_TONE[status],
    jobspecFile: result.jobspec_file,
    reportFile: file,
    startedAt: result.started_at,
    finishedAt: result.finished_at,
    elapsedSeconds: Number.isFinite(finishedAt) && finishedAt >= t0 ? result.elapsed_seconds : 0,
    ...(result.ffmpeg ? { ffmpeg: `ffmpeg ${result.ffmpeg.version} (${result.ffmpeg.path})` } : {}),
    ...(result.selection?.previous_report ? { rerunOf: result.selection.previous_report } : {}),
    done,
    total: result.clips.length,
    failed: result.clips.filter((c) => c.status === 'FAILED').length,
    notRun: result.clips.filter((c) => c.status === 'NOT_RUN').length,
    ...(unfinished > 0 && status !== 'RUNNING' ? { rerunLabel: status === 'INTERRUPTED' ? 'Resume' : 'Re-run Failed Clips' } : {}),
    lanes: count,
    clips,
  };
}
