// What activate() returns: a small read-only window onto the extension's state for the
// integration tests (tree items as VS Code receives them, the log's lines), nothing to drive it.
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
  /** Lines printed to the `JobSpec` output channel, without timestamps. */
  logLines(): string[];
  /** How many times the Runs view was refreshed (the throttle's proof). */
  treeRefreshCount(): number;
  /** The Watch Folders view as it would be drawn now. */
  watchTree(): TreeItemSnapshot[];
  /** The folders being watched (or stopping), absolute paths. */
  watchedFolders(): string[];
}
