// Resolve every clip's output path, and the dry run: each clip's exact ffmpeg command, running nothing.
import * as path from 'node:path';
import { buildFfmpegArgs, formatCommandLine, probeSource, ProbeError } from './ffmpeg';
import { parseTemplate, resolveTemplate } from './naming';
import type { Tools } from './tools';
import type { JobSpec, PlannedClipInfo } from './types';

export function planOutputs(spec: JobSpec, now: Date): PlannedClipInfo[] {
  const { parts } = parseTemplate(spec.naming_template);
  return spec.sources.map((source, index) => ({
    index,
    source,
    output: path.join(
      spec.output_directory,
      `${resolveTemplate(parts, { source, index, total: spec.sources.length, jobId: spec.job_id, codec: spec.codec, resolution: spec.resolution, now })}.${spec.container}`,
    ),
  }));
}

export interface DryRunClip extends PlannedClipInfo {
  args: string[];
  commandLine: string;
  /** Why this clip could not run, when probing or building failed. */
  problem?: string;
}

/** Probe each source and build its command line exactly as a run would, writing to the final output path. */
export async function dryRun(
  spec: JobSpec,
  tools: Tools,
  opts: { now?: Date; threads?: number; signal?: AbortSignal; onClip?: (done: number, total: number) => void } = {},
): Promise<DryRunClip[]> {
  const plan = planOutputs(spec, opts.now ?? new Date());
  const out: DryRunClip[] = [];
  for (const clip of plan) {
    // Hundreds of probes take a while: a caller can show how far it is, and stop it (what was probed is returned).
    if (opts.signal?.aborted) break;
    opts.onClip?.(out.length, plan.length);
    try {
      const info = await probeSource(tools, clip.source, opts.signal);
      const built = buildFfmpegArgs(spec, clip.source, info, clip.output, { threads: opts.threads, encoders: tools.encoders });
      if ('error' in built) out.push({ ...clip, args: [], commandLine: '', problem: built.error });
      else out.push({ ...clip, args: built.args, commandLine: formatCommandLine(tools.ffmpeg, built.args) });
    } catch (err) {
      if (opts.signal?.aborted) break;
      out.push({ ...clip, args: [], commandLine: '', problem: err instanceof ProbeError ? err.message : String(err) });
    }
  }
  return out;
}
