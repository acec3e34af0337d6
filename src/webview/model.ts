// What the report view shows, as the extension sends it to the webview. Types only, shared by both
// sides (the webview has no node and no `vscode`).

export type Tone = 'ok' | 'warn' | 'error' | 'running' | 'idle';

export interface CheckModel {
  name: string;
  ok: boolean;
  expected?: string;
  actual?: string;
}

export interface ClipModel {
  index: number;
  name: string;
  source: string;
  output: string;
  outputName: string;
  status: string;
  tone: Tone;
  message?: string;
  /** Seconds from the run's start, when the clip started and ended (absent for clips that never ran). */
  start?: number;
  end?: number;
  /** When its encode ended and its checks began (the timeline's bar; the checks are a line after it). */
  encoded?: number;
  elapsedSeconds: number;
  sourceSize?: number;
  outputSize?: number;
  /** Which row of the timeline: clips that overlap in time get different lanes. */
  lane: number;
  checks: CheckModel[];
  /** The proxy is on disk now (Open Proxy works). */
  outputExists: boolean;
}

export interface ReportModel {
  name: string;
  jobId: string;
  status: string;
  tone: Tone;
  jobspecFile: string;
  reportFile: string;
  startedAt: string;
  finishedAt: string;
  elapsedSeconds: number;
  ffmpeg?: string;
  /** The report this run re-ran the unfinished clips of. */
  rerunOf?: string;
  done: number;
  total: number;
  failed: number;
  notRun: number;
  /** 'Re-run Failed Clips', 'Resume', or none when every clip completed. */
  rerunLabel?: string;
  lanes: number;
  clips: ClipModel[];
  /** Why the report could not be read, instead of everything else. */
  error?: string;
}

/** A picture or a measured duration for one clip's source or proxy, sent when it is ready. */
export interface PosterMessage {
  type: 'poster';
  index: number;
  which: 'source' | 'proxy';
  src?: string;
  durationSeconds?: number;
}

export type ToWebview = { type: 'report'; model: ReportModel } | PosterMessage;

export type FromWebview =
  | { type: 'ready' }
  | { type: 'openJson' }
  | { type: 'rerun' }
  | { type: 'openProxy'; index: number }
  | { type: 'revealSource'; index: number }
  | { type: 'openJobSpec' }
  | { type: 'openReport'; file: string };
