// One timer that turns a burst of change notices into at most one redraw per interval.
import type * as vscode from 'vscode';

/** Calls `flush` at most once per `ms`, and always once after the last `request()`. */
export class Coalescer implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;

  constructor(
    private readonly ms: number,
    private readonly flush: () => void,
  ) {}

  request(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.last + this.ms - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.last = Date.now();
      this.flush();
    }, wait);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
