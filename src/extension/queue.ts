// Turns for runs of this window: with jobspec.runQueue "queue" one run at a time, the others
// waiting in the order they were started; with "parallel" every run starts at once.

interface Waiter {
  resolve: (got: boolean) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

export class RunQueue {
  private busy = 0;
  private readonly waiting: Waiter[] = [];

  /** True when a run started now would have to wait. */
  mustWait(parallel: boolean): boolean {
    return !parallel && (this.busy > 0 || this.waiting.length > 0);
  }

  /** Take a turn now (a run that does not wait). */
  take(): void {
    this.busy++;
  }

  /** Wait for a turn; resolves false when the signal aborts first (the queued run was cancelled). */
  wait(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        resolve,
        signal,
        onAbort: () => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) this.waiting.splice(i, 1);
          resolve(false);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** A run ended: the next one in line starts. */
  release(): void {
    this.busy = Math.max(0, this.busy - 1);
    const next = this.waiting.shift();
    if (!next) return;
    next.signal.removeEventListener('abort', next.onAbort);
    this.busy++;
    next.resolve(true);
  }
}
