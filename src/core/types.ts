// Types shared by the engine, the headless command and the extension. No `vscode` here, ever.

// Codecs and containers live in one table (formats.ts); these names are re-exported for everyone.
export { CODECS, CONTAINERS, type Codec, type Container } from './formats';
import type { Codec, Container } from './formats';
import type { MediaFacts } from './media';

export type FpsMode = 'same-as-source' | 'explicit';
export type AudioPolicy = 'auto' | 'copy' | 'aac' | 'pcm' | 'none';
export type OverwritePolicy = 'never' | 'skip' | 'replace';
export type ProresEncoder = 'prores_ks' | 'prores_aw';
export type Layout = 'flat' | 'mirror' | 'beside-source';
/** How a source's bytes are fingerprinted while its proxy is made (`source_checksum`). */
export type ChecksumAlgorithm = 'xxh64' | 'md5' | 'sha256';
/** Where a burn-in text sits in the picture. */
export type BurnInPosition = 'top_left' | 'top_center' | 'top_right' | 'bottom_left' | 'bottom_center' | 'bottom_right';

/** A viewing LUT as validated: the file, what it is, and the digest of the bytes read. */
export interface LutInfo {
  /** Absolute. */
  path: string;
  format: 'cube' | '3dl';
  /** `3d` goes through ffmpeg's lut3d, `1d` (a .cube with LUT_1D_SIZE) through lut1d. */
  kind: '3d' | '1d';
  /** Points per axis (3D) or entries (1D). */
  size: number;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
}

/** Text burned into the picture, as validated. */
export interface BurnInSpec {
  /** Each position's text with its tokens as written, e.g. `{source_name}`, `{timecode}`. */
  texts: Partial<Record<BurnInPosition, string>>;
  /** Text height as a fraction of the proxy's frame height. */
  font_size: number;
  /** Opacity of the box behind the text, 0 (none) to 1. */
  box_opacity: number;
  /** The font file (absolute): `burn_in.font` as written, else one found on the system. */
  font_file: string;
}

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
  /** Where proxies go (reports always go to output_directory). */
  layout: Layout;
  /** Absolute; with layout mirror: the folder whose tree is recreated under output_directory. */
  layout_root?: string;
  /** With layout beside-source: the folder made beside each source. */
  proxy_folder: string;
  created_at?: string;
  /** The preset the JobSpec named (its fields were merged under the JobSpec's own). */
  preset?: string;
  /** A viewing LUT applied before scaling. */
  lut?: LutInfo;
  /** Text burned into the picture. */
  burn_in?: BurnInSpec;
  /** Fingerprint each source while its proxy is made. */
  source_checksum?: ChecksumAlgorithm;
  /** `2.1` when the file was the origin project's format (read as a dialect). */
  dialect?: '2.1';
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
/**
 * How a run ended. A report read back while its run is going says RUNNING; one whose run was killed,
 * or stopped because the window running it closed (RunInterrupted), says INTERRUPTED.
 */
export type RunStatus = 'COMPLETED' | 'FAILED' | 'PARTIAL' | 'CANCELLED' | 'RUNNING' | 'INTERRUPTED';

/** The statuses a finished run can have. */
export type FinalRunStatus = Exclude<RunStatus, 'RUNNING' | 'INTERRUPTED'>;

/** What every report of one job plan shares: shard, re-run and resume reports are checked against it. */
export interface PlanInfo {
  /** sha256 of the planned clip list (index, source, output) and the settings that make each proxy. */
  fingerprint: string;
  /** Digits of `{index}`, fixed once per job so that later runs keep the first run's names. */
  index_width: number;
  /** How many sources the JobSpec lists. */
  total: number;
  /** sha256 of the proxy settings alone (codec, container, resolution, frame rate, audio, encoder). */
  settings: string;
}

/** The process that writes a report: a RUNNING report whose writer is gone is INTERRUPTED. */
export interface ReportWriter {
  host: string;
  pid: number;
  /** The PID namespace (Linux), so that a pid is only judged in the namespace it belongs to. */
  pidns: string;
}

export interface VerificationCheck {
  name: string;
  ok: boolean;
  expected?: string;
  actual?: string;
  /** What differs from the source on purpose, and why (an audio policy that resamples, say). */
  note?: string;
}

/** A clip's source and proxy side by side, as an editing system compares them to relink. */
export interface RelinkEvidence {
  source: MediaFacts;
  proxy: MediaFacts | null;
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
  /**
   * When ffmpeg exited with the whole proxy, and the clip's encode slot freed for the next clip; the
   * clip was then checked until finished_at. Absent when ffmpeg never finished an encode.
   */
  encoded_at?: string;
  finished_at: string | null;
  elapsed_seconds: number;
  output_size: number | null;
  /** The last lines of ffmpeg's stderr, when it failed. */
  stderr_tail: string[];
  /** What happened, in words a person can act on; set for every status but COMPLETED. */
  message?: string;
  verification?: VerificationCheck[];
  relink?: RelinkEvidence;
  /** The source's fingerprint, from the bytes read while its proxy was made (`source_checksum`). */
  source_checksum?: SourceChecksum;
}

export interface SourceChecksum {
  algorithm: ChecksumAlgorithm;
  /** Lower-case hex (xxh64: 16 digits, as xxhsum prints it). */
  value: string;
  /** How many bytes were hashed: the whole file as it was when the clip began. */
  bytes: number;
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
  /** Set when this run covers only some clips (a shard, a re-run or a resume). */
  selection?: RunSelection;
  /** The job plan this run belongs to (absent in reports written before it was recorded). */
  plan?: PlanInfo;
  writer?: ReportWriter;
  /** Why an INTERRUPTED run did not finish (its window closed; its process stopped). */
  interrupted?: string;
  /** The viewing LUT every clip of this run was made with: the file and the digest of the copy ffmpeg read. */
  lut?: { path: string; sha256: string };
  /** The preset the JobSpec named. */
  preset?: string;
}

/** Which clips of the JobSpec a partial run covered: a shard of a farm run, or a re-run of unfinished clips. */
export interface RunSelection {
  kind: 'shard' | 'only-failed' | 'resume';
  shard?: { index: number; count: number };
  /** The report whose unfinished clips this run re-ran or resumed. */
  previous_report?: string;
  /** Clips that completed in the previous report and whose proxies are still in place: carried over, not run. */
  carried_over?: number[];
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
  | {
      type: 'run-started';
      job_id: string;
      jobspec_file: string;
      total: number;
      clips: PlannedClipInfo[];
      started_at: string;
      /** The report this run writes as it goes (null when it could not be created: see the final result's report_error). */
      report_path: string | null;
    }
  | { type: 'clip-started'; index: number; position: number; total: number; source: string; output: string; ffmpeg_args: string[] }
  | { type: 'clip-progress'; index: number; position: number; total: number; progress: ProgressInfo }
  /** ffmpeg has exited: the clip is being checked, and its encode slot is free for the next clip. */
  | { type: 'clip-encoded'; index: number; position: number; total: number }
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
