// How a run and its clips read in the Runs view, the status bar, pickers and the log: one wording,
// one way of counting, everywhere. Pure: no `vscode`.
import * as path from 'node:path';
import { formatDuration, type ClipStatus } from '../core';
import { countByStatus } from './lines';
import type { ClipState, RunState } from './runs';

/** Clips whose proxy is there: completed, or skipped because it already was. */
export function doneCount(run: { clips: readonly { status: ClipStatus }[] }): number {
  const c = countByStatus(run);
  return c.COMPLETED + c.SKIPPED;
}

/** `done/total`, the one count the view, the status bar and the pickers all show. */
export function doneOfTotal(run: RunState): string {
  return `${doneCount(run)}/${run.clips.length}`;
}

/**
 * A running clip's progress. ffmpeg's first samples come before it has timed anything (0 fps, a
 * speed from a few milliseconds, an ETA of nothing), so speed and ETA wait for a second of output.
 */
export function clipProgressText(clip: ClipState): string {
  const p = clip.progress;
  if (!p) return 'starting…';
  const parts: string[] = [];
  if (p.percent !== null) parts.push(`${Math.floor(p.percent)}%`);
  const settled = p.fps !== null && p.fps > 0 && (p.out_time_seconds ?? 0) >= 1;
  if (!settled) return parts.length > 0 ? `${parts[0]} · starting…` : 'starting…';
  if (p.fps !== null) parts.push(`${Math.round(p.fps)} fps`);
  if (p.speed !== null && p.speed > 0) parts.push(`${p.speed.toFixed(1)}×`);
  if (p.eta_seconds !== null && p.eta_seconds >= 1) parts.push(`ETA ${formatDuration(p.eta_seconds)}`);
  return parts.join(' · ');
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `14:03:07` for today, `2026-11-24 14:03` for another day: runs of one JobSpec differ by when they started. */
export function startTimeText(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const today = new Date(now);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (d.toDateString() === today.toDateString()) return `${time}:${pad(d.getSeconds())}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/** How far through its clips a run is, from 0 to 1: finished clips count whole, running ones by their percent. */
export function runFraction(run: RunState): number {
  if (run.clips.length === 0) return 0;
  let done = 0;
  for (const c of run.clips) {
    if (c.status === 'RUNNING') done += (c.progress?.percent ?? 0) / 100;
    else if (c.status !== 'QUEUED') done += 1;
  }
  return done / run.clips.length;
}

/** The whole run's time left, from its pace so far; null until there is a pace to go by. */
export function runEtaSeconds(run: RunState, now = Date.now()): number | null {
  if (run.phase !== 'running') return null;
  const f = runFraction(run);
  const elapsed = (now - run.startedAt) / 1000;
  if (f <= 0.01 || f >= 1 || elapsed < 2) return null;
  return (elapsed * (1 - f)) / f;
}

export function elapsedSeconds(run: RunState, now = Date.now()): number {
  if (run.phase === 'queued') return 0;
  if (run.phase === 'finished') return run.result?.elapsed_seconds ?? (run.finishedAt - run.startedAt) / 1000;
  return (now - run.startedAt) / 1000;
}

/** The word for where a run is: RUNNING, QUEUED, or how it ended. */
export function statusWord(run: RunState): string {
  switch (run.phase) {
    case 'queued':
      return 'QUEUED';
    case 'running':
      return 'RUNNING';
    case 'elsewhere':
      return 'RUNNING elsewhere';
    case 'finished':
      return run.status;
  }
}

/** `re-run of 14:01:10` when this run re-ran an earlier one's unfinished clips. */
export function rerunOfText(run: RunState, startOf: (report: string) => number | undefined): string | undefined {
  if (!run.previousReport) return undefined;
  const t = startOf(run.previousReport);
  return `re-run of ${t !== undefined ? startTimeText(t) : path.basename(run.previousReport)}`;
}
