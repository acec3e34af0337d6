// The engine's public surface, for the headless command, the extension and tests. No `vscode` here.
export * from './types';
export { loadJobSpec, validateJobSpecText, pointerOf, resolveAgainst, expandHome, type LoadResult, type ValidateOptions } from './jobspec';
export { findTools, clearToolCache, searchPath, EnvironmentError, ToolNotFoundError, type Tools, type FindToolsOptions } from './tools';
export { loadExeca } from './spawn';
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
export { planOutputs, makePlan, dryRun, type DryRunClip, type DryRunOptions } from './plan';
export { runJob, threadBudget, DEFAULT_STALL_TIMEOUT_SECONDS, type RunOptions } from './run';
export { readReport, writeReport, unfinishedIndices, runStatus, exitCodeFor, RunInterrupted, REPORT_SCHEMA } from './report';
export { ProgressParser } from './progress';
export { cleanStaleTemps, isTempName } from './temp';
export {
  clipLines,
  resultLine,
  multiHeader,
  multiFooter,
  singleLines,
  problemLine,
  formatDuration,
  describeFacts,
  dailiesLine,
} from './format';
export { type MediaFacts, type AudioFacts } from './media';
export { resolveSelection, type Selection, type SelectionRequest } from './selection';
export { mergeReports } from './merge';
export {
  watchFolder,
  watchEventLine,
  parseWatchResult,
  WATCH_DIRS,
  WATCH_RESULT_SCHEMA,
  type WatchOptions,
  type WatchOutcome,
  type WatchEvent,
  type WatchState,
} from './watch';
export { LockHeldError } from './lock';
export {
  watchMedia,
  mediaWatchEventLine,
  loadTemplate,
  TemplateError,
  MEDIA_EXTENSIONS,
  CAMERA_RAW_EXTENSIONS,
  type MediaWatchEvent,
  type MediaWatchOptions,
} from './mediawatch';
export { convertOriginJobSpec, convertedName, type ConvertResult } from './convert';
export { BUILTIN_PRESETS, loadUserPresets, describePresetFields, findPresetsFile, PRESETS_FILE, type Preset } from './presets';
export { isOriginJobSpec, ORIGIN_VERSION } from './origin';
export { listReports, loadHistory, type ReportFile, type HistoryEntry, type HistoryProblem } from './history';
export { existingOutputs } from './outputs';
export { editDistance, nearest } from './suggest';
