// Parse ffmpeg's `-progress pipe:1` key=value blocks into percent, fps, speed and ETA.
import type { ProgressInfo } from './types';

export class ProgressParser {
  private block = new Map<string, string>();
  private partial = '';

  constructor(private readonly durationSeconds: number | null) {}

  /** Feed a chunk of stdout; returns one ProgressInfo per completed block. */
  push(chunk: string): ProgressInfo[] {
    const out: ProgressInfo[] = [];
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const raw of lines) {
      const line = raw.trim();
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1);
      this.block.set(key, value);
      if (key === 'progress') {
        out.push(this.summarize());
        this.block = new Map();
      }
    }
    return out;
  }

  private summarize(): ProgressInfo {
    const num = (k: string): number | null => {
      const v = this.block.get(k);
      if (v === undefined || v === 'N/A') return null;
      const n = Number(v.replace(/x$/, ''));
      return Number.isFinite(n) ? n : null;
    };
    // out_time_us is microseconds; older ffmpeg mislabels the same value out_time_ms.
    const us = num('out_time_us') ?? num('out_time_ms');
    const outTime = us !== null && us >= 0 ? us / 1e6 : null;
    const speed = num('speed');
    const d = this.durationSeconds;
    const ended = this.block.get('progress') === 'end';
    let percent: number | null = null;
    if (d && d > 0 && outTime !== null) percent = Math.min(100, Math.max(0, (outTime / d) * 100));
    if (ended && d) percent = 100;
    let eta: number | null = null;
    if (d && outTime !== null && speed && speed > 0) eta = Math.max(0, (d - outTime) / speed);
    if (ended) eta = 0;
    return { percent, frame: num('frame'), fps: num('fps'), speed, out_time_seconds: outTime, eta_seconds: eta };
  }
}

/** Keeps the last `max` lines of a stream, whatever the chunking. */
export class LineTail {
  private lines: string[] = [];
  private partial = '';

  constructor(private readonly max: number) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n|\r/);
    this.partial = parts.pop() ?? '';
    for (const l of parts) {
      if (l.trim() === '') continue;
      this.lines.push(l);
      if (this.lines.length > this.max) this.lines.shift();
    }
  }

  tail(n: number): string[] {
    const all = this.partial.trim() ? [...this.lines, this.partial] : this.lines;
    return all.slice(-n);
  }
}
