// When a file dropped into a watched folder may be taken: once it has stopped changing for a while.
// Shared by JobSpec watch folders (watch.ts) and media watch folders (mediawatch.ts). A file's
// signature is its size, modification time and inode: a copy that grows, is rewritten or replaced
// changes it, and the settle time starts again.
import type { Stats } from 'node:fs';

export interface Settling {
  signature: string;
  /** When the signature was first seen as it is now. */
  since: number;
  /** Reported as impossible to take (it cannot be moved, read or probed): left alone until it changes. */
  stuck?: boolean;
}

export type SettleState = 'changed' | 'settling' | 'settled';

export function fileSignature(st: Pick<Stats, 'size' | 'mtimeMs' | 'ino'>): string {
  return `${st.size}:${st.mtimeMs}:${st.ino}`;
}

export class SettleTracker {
  private readonly seen = new Map<string, Settling>();

  /**
   * @param trustOldFiles A file first seen with an old modification time counts as unchanged since
   * then (a JobSpec that sat in the folder before the watcher started need not wait again). Media
   * watch folders do not trust it: a copy tool may set a clip's original time before it has copied
   * the bytes, so every clip waits the settle time from when it is first seen.
   */
  constructor(private readonly trustOldFiles: boolean) {}

  /** Note a file's state at this scan and say whether it has been still for `settleMs`. */
  observe(key: string, st: Pick<Stats, 'size' | 'mtimeMs' | 'ino'>, now: number, settleMs: number): SettleState {
    const signature = fileSignature(st);
    const prev = this.seen.get(key);
    if (!prev || prev.signature !== signature) {
      this.seen.set(key, { signature, since: prev || !this.trustOldFiles ? now : Math.min(now, st.mtimeMs) });
      return 'changed';
    }
    return now - prev.since < settleMs ? 'settling' : 'settled';
  }

  get(key: string): Settling | undefined {
    return this.seen.get(key);
  }

  delete(key: string): void {
    this.seen.delete(key);
  }

  /** Forget the files that are gone. */
  keepOnly(present: Set<string>): void {
    for (const k of [...this.seen.keys()]) if (!present.has(k)) this.seen.delete(k);
  }
}
