// Types shared by the engine, the headless command and the extension. No `vscode` here, ever.

export const CODECS = [
  'prores_proxy',
  'prores_lt',
  'prores_standard',
  'prores_hq',
  'prores_4444',
  'dnxhr_lb',
  'dnxhr_sq',
  'dnxhr_hq',
  'dnxhd',
  'h264',
  'h265',
  'vp9',
  'av1',
] as const;
export type Codec = (typeof CODECS)[number];

export const CONTAINERS = ['mov', 'mxf', 'mp4', 'mkv', 'webm'] as const;
export type Container = (typeof CONTAINERS)[number];

export type FpsMode = 'same-as-source' | 'explicit';
export type AudioPolicy = 'auto' | 'copy' | 'aac' | 'pcm' | 'none';
export type OverwritePolicy = 'never' | 'skip' | 'replace';
export type ProresEncoder = 'prores_ks' | 'prores_aw';

/** A JobSpec after validation: defaults filled in, aliases and case folded, paths absolute. */
export interface JobSpec {
  jobspec_version: '1';
  /** The id as written, or a fresh random one when the file gave none. */
  job_id: string;
  /** True when `job_id` was not in the file and was generated for this load. */
  job_id_generated: boolean;
  /** Absolute, in the file's order. */
  sources: string[];
  /** The strings exactly as written in the file, parallel to `sources`. */
  sources_as_written: string[];
  /** Absolute. */
  output_directory: string;
  codec: Codec;
  container: Container;
  resolution: string;
  naming_template: string;
  fps_mode: FpsMode;
  fps_explicit?: number;
  audio: AudioPolicy;
  max_concurrent_jobs: number;
  overwrite: OverwritePolicy;
  prores_encoder: ProresEncoder;
  created_at?: string;
}

export type Severity = 'error' | 'warning';
export type ProblemKind = 'syntax' | 'schema' | 'meaning';

/** One thing wrong with a JobSpec, located by a JSON pointer into the file (RFC 6901). */
export interface Problem {
  /** JSON pointer to the offending value, '' for the whole document. */
  pointer: string;
  message: string;
  severity: Severity;
  /** Stable machine-readable rule name, e.g. `source-missing`. */
  code: string;
  /**
   * Where the rule lives: `syntax` (JSON itself) and `schema` (the schema file) are what any
   * schema-aware JSON editor reports by itself; `meaning` is everything only this tool knows
   * (files on disk, names, collisions, an empty or absurdly deep file).
   */
  kind: ProblemKind;
  /** Set for JSON syntax errors: 1-based line and column, and the character offset. */
  line?: number;
  column?: number;
  offset?: number;
  length?: number;
}

export type ClipStatus = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'SKIPPED' | 'CANCELLED' | 'NOT_RUN';
export type RunStatus = 'COMPLETED' | 'FAILED' | 'PARTIAL' | 'CANCELLED' | 'RUNNING' | 'INTERRUPTED';

export interface VerificationCheck {
  name: string;
  ok: boolean;
  expected?: string;
  actual?: string;
}

export interface ClipResult {
  /** 0-based position in `sources`; `{index}` is this number, zero-padded. */
  index: number;
  source: string;
  output: string;
  status: ClipStatus;
  /** The exact argument list given to ffmpeg (without the executable). Empty when ffmpeg never ran. */
  ffmpeg_args: string[];
  exit_code: number | null;
  signal: string | null;
  started_at: string | null;
  finished_at: string | null;
  elapsed_seconds: number;
  output_size: number | null;
  /** The last lines of ffmpeg's stderr, when it failed. */
  stderr_tail: string[];
  /** What happened, in words a person can act on; set for every status but COMPLETED. */
  message?: string;
  verification?: VerificationCheck[];
}

export interface RunResult {
  job_id: string;
  jobspec_file: string;
  status: RunStatus;
  exit_code: number;
  started_at: string;
  finished_at: string;
  elapsed_seconds: number;
  /** In `sources` order, always one per source. */
  clips: ClipResult[];
  /** Where the report was written, or null if it could not be (see `report_error`). */
  report_path: string | null;
  report_error?: string;
  ffmpeg: { path: string; version: string } | null;
  /** Set when this run covers only some clips (a shard or a re-run). */
  selection?: RunSelection;
}

/** Which clips of the JobSpec a partial run covered: a shard of a farm run, or a re-run of unfinished clips. */
export interface RunSelection {
  kind: 'shard' | 'only-failed';
  shard?: { index: number; count: number };
  /** The report whose unfinished clips this run re-ran. */
  previous_report?: string;
  indices: number[];
  /** Every clip of the JobSpec, so that shard reports can be merged and gaps named. */
  all_clips: PlannedClipInfo[];
}

export interface ProgressInfo {
  /** 0..100, or null when the duration is unknown. */
  percent: number | null;
  frame: number | null;
  fps: number | null;
  /** Encoding speed as a multiple of real time. */
  speed: number | null;
  out_time_seconds: number | null;
  eta_seconds: number | null;
}

export type RunEvent =
  | { type: 'run-started'; job_id: string; jobspec_file: string; total: number; clips: PlannedClipInfo[]; started_at: string }
  | { type: 'clip-started'; index: number; position: number; total: number; source: string; output: string; ffmpeg_args: string[] }
  | { type: 'clip-progress'; index: number; position: number; total: number; progress: ProgressInfo }
  | { type: 'clip-finished'; position: number; total: number; result: ClipResult }
  | { type: 'notice'; message: string }
  | { type: 'run-finished'; result: RunResult };

export interface PlannedClipInfo {
  index: number;
  source: string;
  output: string;
}

/** Exit codes of the headless command, per the contract. */
export const EXIT = {
  OK: 0,
  INVALID: 1,
  CLIP_FAILED: 2,
  CANCELLED: 3,
  ENVIRONMENT: 4,
} as const;
