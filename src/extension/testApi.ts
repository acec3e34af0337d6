// What activate() returns when, and only when, the extension runs under its integration tests
// (ExtensionMode.Test): a small read-only window onto the extension's state (tree items as VS Code
// receives them, the log's lines, what the view revealed), nothing to drive it.
import type { ToWebview } from '../webview/model';
import type { RunState } from './runs';

export interface TreeItemSnapshot {
  label: string;
  description: string;
  icon: string;
  color: string;
  contextValue: string;
  tooltip: string;
  children: TreeItemSnapshot[];
}

export interface JobSpecApi {
  /** Runs, newest first. */
  runs(): readonly RunState[];
  /** The Runs view as it would be drawn now. */
  tree(): TreeItemSnapshot[];
  /** A clip row's tooltip as resolved on hover (with its poster frames). */
  resolvedTooltip(runKey: string, clipIndex: number): Promise<string>;
  /** Lines printed to the `JobSpec` output channel, without timestamps. */
  logLines(): string[];
  /** How many times the Runs view was refreshed (the throttle's proof). */
  treeRefreshCount(): number;
  /** Ids of the Runs view's rows scrolled into view, in order (`runKey` or `runKey/clipIndex`). */
  revealed(): string[];
  /** Ids of the Runs view's selected rows. */
  selection(): string[];
  /** The status bar item's text, or undefined when it is hidden. */
  statusBarText(): string | undefined;
  /** The Watch Folders view as it would be drawn now. */
  watchTree(): TreeItemSnapshot[];
  /** The folders being watched (or stopping), absolute paths. */
  watchedFolders(): string[];
  /** What an open report view was sent so far (the model, then pictures as they came), by the report's path. */
  reportMessages(reportFile: string): ToWebview[];
  /** Where poster frames are kept. */
  posterFolder(): string;
  /** How long activate() took, in milliseconds. */
  activationMs(): number;
}
