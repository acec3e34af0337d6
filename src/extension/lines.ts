// The core's seed lines (shared with the headless command), each with a log level for the channel.
import { clipLines, multiFooter, type ClipResult, type ClipStatus, type RunResult, type RunStatus } from '../core';

export type LineLevel = 'info' | 'warn' | 'error';
export interface LogLine {
  level: LineLevel;
  text: string;
}

const CLIP_LEVEL: Record<ClipStatus, LineLevel> = {
  QUEUED: 'info',
  RUNNING: 'info',
  COMPLETED: 'info',
  SKIPPED: 'info',
  FAILED: 'error',
  CANCELLED: 'warn',
  NOT_RUN: 'warn',
};

const RUN_LEVEL: Record<RunStatus, LineLevel> = {
  COMPLETED: 'info',
  PARTIAL: 'error',
  FAILED: 'error',
  CANCELLED: 'warn',
  RUNNING: 'info',
  INTERRUPTED: 'warn',
};

/** `[2/3] FAILED clip_b.mov (2.1s)` and the lines under it. */
export function clipLogLines(result: ClipResult, position: number, total: number): LogLine[] {
  const level = CLIP_LEVEL[result.status];
  return clipLines(result, position, total)
    .filter((text) => text.trim() !== '')
    .map((text) => ({ level, text }));
}

/** Processed count, result and report path, without the blank spacer lines a terminal wants. */
export function runFooterLines(result: RunResult): LogLine[] {
  return multiFooter(result)
    .filter((text) => text.trim() !== '')
    .map((text) => ({
      level: text.startsWith('Result:') ? RUN_LEVEL[result.status] : text.startsWith('Warning:') ? 'warn' : 'info',
      text,
    }));
}

export function countByStatus(run: { clips: readonly { status: ClipStatus }[] }): Record<ClipStatus, number> {
  const counts: Record<ClipStatus, number> = { QUEUED: 0, RUNNING: 0, COMPLETED: 0, FAILED: 0, SKIPPED: 0, CANCELLED: 0, NOT_RUN: 0 };
  for (const c of run.clips) counts[c.status]++;
  return counts;
}
