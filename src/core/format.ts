// The seed's lines for a run, and the validation report, as plain text. Shared by the CLI and the extension's log.
import * as path from 'node:path';
import { describeAudio, type MediaFacts } from './media';
import { shorten } from './text';
import type { BurnInPosition, ClipResult, JobSpec, Problem, RunResult } from './types';

const secs = (s: number): string => `${s.toFixed(1)}s`;

const indented = (message: string | undefined): string[] => (message ? [`     ${message}`] : []);

/** The lines for one finished clip: `[i/N] STATUS name (secs)` and what follows it. */
export function clipLines(r: ClipResult, position: number, total: number): string[] {
  const name = path.basename(r.source);
  const head = `[${position}/${total}]`;
  switch (r.status) {
    case 'COMPLETED':
      return [`${head} COMPLETED ${name} (${secs(r.elapsed_seconds)})`, `     → ${r.output}`];
    case 'SKIPPED':
      return [`${head} SKIPPED ${name} (${secs(r.elapsed_seconds)})`, ...indented(r.message)];
    case 'NOT_RUN':
      return [`${head} NOT_RUN ${name}`, ...indented(r.message)];
    case 'CANCELLED':
      return [`${head} CANCELLED ${name} (${secs(r.elapsed_seconds)})`, ...indented(r.message)];
    default: {
      const lines = [`${head} FAILED ${name} (${secs(r.elapsed_seconds)})`];
      if (r.exit_code !== null) lines.push(`     Exit Code: ${r.exit_code}`);
      else if (r.signal) lines.push(`     Signal: ${r.signal}`);
      if (r.message) lines.push(`     Reason: ${r.message}`);
      if (r.stderr_tail.length) {
        lines.push('     Last stderr:');
        for (const l of r.stderr_tail.slice(-10)) lines.push(`       ${l}`);
      }
      return lines;
    }
  }
}

export function resultLine(result: RunResult): string {
  switch (result.status) {
    case 'COMPLETED':
      return result.clips.some((c) => c.status === 'SKIPPED')
        ? 'Result: All clips completed (some skipped by the overwrite policy)'
        : 'Result: All clips completed';
    case 'CANCELLED':
      return 'Result: Cancelled';
    default:
      return 'Result: One or more clips failed';
  }
}

export function multiHeader(jobId: string, total: number): string[] {
  return ['', `Multi-Clip Job: ${jobId}`, `Total Clips: ${total}`, ''];
}

/** Everything after the last clip line: processed count, result, report. */
export function multiFooter(result: RunResult): string[] {
  const processed = result.clips.filter((c) => c.status !== 'NOT_RUN').length;
  const lines = ['', `Processed: ${processed}/${result.clips.length}`, resultLine(result)];
  if (result.report_path) lines.push(`Report: ${result.report_path}`);
  if (result.report_error) lines.push(`Warning: ${result.report_error}`);
  return lines;
}

/** The seed's single-source form. */
export function singleLines(result: RunResult): string[] {
  const c = result.clips[0];
  const lines: string[] = [];
  if (c.status === 'COMPLETED') {
    lines.push(
      `[SUCCESS] Job ${result.job_id} (${secs(c.elapsed_seconds)}) → ${c.output}`,
      `  Output: ${c.output}`,
      `  Duration: ${secs(c.elapsed_seconds)}`,
    );
  } else {
    lines.push(
      `[${c.status === 'FAILED' ? 'FAILED' : c.status}] Job ${result.job_id} (${secs(c.elapsed_seconds)}) ${path.basename(c.source)}`,
    );
    lines.push(
      ...clipLines(c, 1, 1)
        .slice(1)
        .map((l) => l.replace(/^ {5}/, '  ')),
    );
  }
  if (result.report_path) lines.push(`  Report: ${result.report_path}`);
  if (result.report_error) lines.push(`  Warning: ${result.report_error}`);
  return lines;
}

/** `file:line:col: error: message [code]`, the form editors and CI annotators understand. */
export function problemLine(file: string, p: Problem): string {
  const where = p.line ? `${file}:${p.line}:${p.column}` : file;
  // The pointer holds a key as written: an absurdly long one is shortened like any quoted value.
  const field = p.pointer ? ` (${shorten(p.pointer, 120)})` : '';
  return `${where}: ${p.severity}: ${p.message}${field} [${p.code}]`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** One line for a clip's relink facts: "960x540 (16:9), 25 fps, 50 frames, tt, 2 audio: 2 ch stereo 48000 Hz; 1 ch mono 48000 Hz, TC 01:00:00:00, reel A001". */
export function describeFacts(f: MediaFacts): string {
  const parts = [
    `${f.display_width}x${f.display_height}${f.sar !== '1:1' ? ` stored ${f.width}x${f.height} (pixel aspect ${f.sar})` : ''}${f.rotation ? ` rotated ${f.rotation}°` : ''}`,
  ];
  if (f.fps) parts.push(`${Math.round(f.fps * 1000) / 1000} fps`);
  if (f.frames !== null) parts.push(`${f.frames} frames`);
  if (f.field_order && f.field_order !== 'progressive') parts.push(`interlaced ${f.field_order}`);
  const c = [f.color.primaries, f.color.transfer, f.color.matrix].filter(Boolean);
  if (c.length) parts.push(`colour ${c.join('/')}${f.color.range ? ` ${f.color.range}` : ''}`);
  parts.push(f.audio.length ? `${f.audio.length} audio: ${f.audio.map(describeAudio).join('; ')}` : 'no audio');
  if (f.timecode) parts.push(`TC ${f.timecode}`);
  if (f.reel) parts.push(`reel ${f.reel}`);
  return parts.join(', ');
}

/**
 * What a JobSpec adds to the plain proxy, in one line for the dry run and validation: its preset, LUT
 * (with the digest of the file checked), burn-in texts (one clip's, when given) and source checksum.
 * Null when it adds none of them.
 */
export function dailiesLine(
  spec: Pick<JobSpec, 'preset' | 'lut' | 'burn_in' | 'source_checksum'>,
  burnIn?: Partial<Record<BurnInPosition, string>>,
): string | null {
  const parts: string[] = [];
  if (spec.preset) parts.push(`preset ${spec.preset}`);
  if (spec.lut) {
    const l = spec.lut;
    parts.push(
      `LUT ${l.path} (${l.kind === '3d' ? `3D, ${l.size} points per axis` : `1D, ${l.size} entries`}, sha256 ${l.sha256.slice(0, 16)}…)`,
    );
  }
  if (spec.burn_in) {
    const texts = burnIn ?? spec.burn_in.texts;
    parts.push(
      `burn-in ${Object.entries(texts)
        .map(([pos, t]) => `${pos} ${JSON.stringify(t)}`)
        .join(', ')}`,
    );
  }
  if (spec.source_checksum) parts.push(`source checksum ${spec.source_checksum}`);
  return parts.length ? parts.join('; ') : null;
}
