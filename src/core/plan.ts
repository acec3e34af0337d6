// Resolve every clip's output path, and the dry run: each clip's exact ffmpeg command, running nothing.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { buildFfmpegArgs, formatCommandLine, probeSource, ProbeError } from './ffmpeg';
import { outputFolder } from './layout';
import { indexWidth, parseTemplate, resolveTemplate } from './naming';
import type { Tools } from './tools';
import type { MediaFacts } from './media';
import type { JobSpec, PlannedClipInfo } from './types';
import { expectedProxy } from './verify';
import { burnInPreview } from './burnin';
import { tempName } from './temp';
import type { BurnInPosition } from './types';

export interface PlanOptions {
  /** The clock for {date}/{time}: the run's start, or an earlier run's for a re-run. */
  now: Date;
  /** The job id for {job_id}; default the JobSpec's. */
  jobId?: string;
  /** `{index}` digits, when an earlier run of the job fixed them; default from the number of sources. */
  indexWidth?: number;
}

/** Every clip of a job with its output, and what identifies the plan. */
export interface Plan {
  clips: PlannedClipInfo[];
  indexWidth: number;
  /** sha256 of the clip list and the proxy settings: reports of one plan share it (see merge). */
  fingerprint: string;
}

/** The settings that decide what each proxy is, as one digest: a re-run with other settings would mix two kinds of proxy. */
export function settingsDigest(spec: JobSpec): string {
  const s: unknown[] = [
    spec.codec,
    spec.container,
    spec.resolution,
    spec.fps_mode,
    spec.fps_explicit ?? null,
    spec.audio,
    spec.prores_encoder,
  ];
  // What changes the picture too, only when set: plans made before these existed keep their digests.
  if (spec.lut) s.push({ lut: spec.lut.sha256 });
  if (spec.burn_in) {
    const b = spec.burn_in;
    s.push({ burn_in: [b.texts, b.font_size, b.box_opacity, path.basename(b.font_file)] });
  }
  return `sha256:${createHash('sha256').update(JSON.stringify(s)).digest('hex')}`;
}

export function planFingerprint(spec: JobSpec, jobId: string, clips: PlannedClipInfo[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([jobId, settingsDigest(spec)]));
  for (const c of clips) h.update('\n' + JSON.stringify([c.index, c.source, c.output]));
  return `sha256:${h.digest('hex')}`;
}

export function makePlan(spec: JobSpec, opts: PlanOptions): Plan {
  const { parts } = parseTemplate(spec.naming_template);
  const jobId = opts.jobId ?? spec.job_id;
  const width = opts.indexWidth ?? indexWidth(spec.sources.length);
  const clips = spec.sources.map((source, index) => ({
    index,
    source,
    output: path.join(
      outputFolder(spec, source),
      `${resolveTemplate(parts, { source, index, total: spec.sources.length, indexWidth: width, jobId, codec: spec.codec, resolution: spec.resolution, now: opts.now })}.${spec.container}`,
    ),
  }));
  return { clips, indexWidth: width, fingerprint: planFingerprint(spec, jobId, clips) };
}

/** Each clip's output path (a run of the JobSpec starting at `now`). */
export function planOutputs(spec: JobSpec, now: Date | PlanOptions): PlannedClipInfo[] {
  return makePlan(spec, now instanceof Date ? { now } : now).clips;
}

export interface DryRunClip extends PlannedClipInfo {
  args: string[];
  commandLine: string;
  /** Why this clip could not run, when probing or building failed. */
  problem?: string;
  /** The source as probed, and the proxy it will become: what an editing system will compare. */
  source_facts?: MediaFacts;
  proxy_expected?: MediaFacts;
  /** Each burn-in position's text for this clip, names filled in (running values described). */
  burn_in?: Partial<Record<BurnInPosition, string>>;
}

export interface DryRunOptions {
  now?: Date;
  threads?: number;
  /** Stops probing; the clips not reached are left out. */
  signal?: AbortSignal;
  /** Before each clip is probed, with how many of how many are done (an editor shows progress with it). */
  onClip?: (done: number, total: number) => void;
}

/** Probe each source and build its command line exactly as a run would, writing to the final output path. */
export async function dryRun(spec: JobSpec, tools: Tools, opts: DryRunOptions = {}): Promise<DryRunClip[]> {
  const now = opts.now ?? new Date();
  const plan = planOutputs(spec, now);
  const out: DryRunClip[] = [];
  for (const clip of plan) {
    // Hundreds of probes take a while: a caller can show how far it is, and stop it (what was probed is returned).
    if (opts.signal?.aborted) break;
    opts.onClip?.(out.length, plan.length);
    let entry: DryRunClip;
    try {
      const info = await probeSource(tools, clip.source, opts.signal);
      // A run writes each burn-in text to a file of this kind of name beside the temporary proxy.
      const texts = Object.entries(spec.burn_in?.texts ?? {}) as [BurnInPosition, string][];
      const burnInFiles = texts.map(([position]) => ({
        position,
        file: path.join(path.dirname(clip.output), tempName(`burnin-${position}.txt`)),
      }));
      const built = buildFfmpegArgs(spec, clip.source, info, clip.output, { threads: opts.threads, encoders: tools.encoders, burnInFiles });
      const { pixFmt: _p, hasAlpha: _a, durationSeconds: _d, audioCodecs: _c, ...facts } = info;
      if ('error' in built) entry = { ...clip, args: [], commandLine: '', problem: built.error, source_facts: facts };
      else
        entry = {
          ...clip,
          args: built.args,
          commandLine: formatCommandLine(tools.ffmpeg, built.args),
          source_facts: facts,
          proxy_expected: expectedProxy(spec, info, built),
        };
      if (texts.length) {
        const naming = {
          source: clip.source,
          index: clip.index,
          total: spec.sources.length,
          jobId: spec.job_id,
          codec: spec.codec,
          resolution: spec.resolution,
          now,
        };
        entry.burn_in = Object.fromEntries(texts.map(([pos, t]) => [pos, burnInPreview(t, naming, info.timecode)]));
      }
    } catch (err) {
      if (opts.signal?.aborted) break;
      entry = { ...clip, args: [], commandLine: '', problem: err instanceof ProbeError ? err.message : String(err) };
    }
    out.push(entry);
  }
  return out;
}
