// The engine's public surface, for the headless command, the extension and tests. No `vscode` here.
export * from './types';
export { loadJobSpec, validateJobSpecText, pointerOf, resolveAgainst, expandHome, type LoadResult, type ValidateOptions } from './jobspec';
export { findTools, clearToolCache, searchPath, EnvironmentError, ToolNotFoundError, type Tools, type FindToolsOptions } from './tools';
export {
  buildFfmpegArgs,
  probeSource,
  formatCommandLine,
  outputSize,
  fileUrl,
  requiredEncoders,
  checkEncoders,
  type SourceInfo,
} from './ffmpeg';
export { planOutputs, dryRun, type DryRunClip } from './plan';
export { runJob, threadBudget, DEFAULT_STALL_TIMEOUT_SECONDS, type RunOptions } from './run';
export { readReport, writeReport, unfinishedIndices, runStatus, exitCodeFor, REPORT_SCHEMA } from './report';
export { ProgressParser } from './progress';
export { cleanStaleTemps, isTempName } from './temp';
export { clipLines, resultLine, multiHeader, multiFooter, singleLines, problemLine, formatDuration } from './format';
export { resolveSelection, type Selection, type SelectionRequest } from './selection';
export { mergeReports } from './merge';
export { watchFolder, WATCH_DIRS, type WatchOptions, type WatchOutcome } from './watch';
export { listReports, loadHistory, settledStatus, processAlive, type ReportFile, type HistoryEntry, type HistoryProblem } from './history';
export { existingOutputs } from './outputs';
export { editDistance, nearest } from './suggest';
