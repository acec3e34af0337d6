// The `JobSpec` log output channel. It also keeps the plain text of what it printed, so that the
// integration tests (and only they, through the test API) can read the channel's lines back.
import * as vscode from 'vscode';
import type { LogLine } from './lines';

const KEEP = 5000;

export class JobSpecLog implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;
  private readonly kept: string[] = [];

  constructor() {
    this.channel = vscode.window.createOutputChannel('JobSpec', { log: true });
  }

  info(text: string): void {
    this.write({ level: 'info', text });
  }

  warn(text: string): void {
    this.write({ level: 'warn', text });
  }

  error(text: string): void {
    this.write({ level: 'error', text });
  }

  /** Shown only when the channel's level is Debug or Trace: command lines and other detail. */
  debug(text: string): void {
    this.channel.debug(text);
  }

  write(...lines: LogLine[]): void {
    for (const line of lines) {
      if (line.level === 'error') this.channel.error(line.text);
      else if (line.level === 'warn') this.channel.warn(line.text);
      else this.channel.info(line.text);
      this.kept.push(line.text);
    }
    if (this.kept.length > KEEP) this.kept.splice(0, this.kept.length - KEEP);
  }

  lines(): string[] {
    return [...this.kept];
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
