// Partial runs: `--only-failed REPORT` (re-run what did not complete) and `--shard K/N` (a farm's slice).
import * as path from 'node:path';
import { parseTemplate, usesToken } from './naming';
import { planOutputs } from './plan';
import { readReport, unfinishedIndices } from './report';
import type { JobSpec, RunSelection } from './types';

export interface SelectionRequest {
  onlyFailed?: string;
  /** "K/N", K from 0. */
  shard?: string;
  /** N, with K from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs). */
  shards?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Selection {
  indices: number[];
  selection: RunSelection;
  reportSuffix?: string;
  /** The clock for names, when it must be the earlier run's. */
  namingTime?: Date;
  description: string;
}

function parseShard(req: SelectionRequest): { index: number; count: number } | null {
  if (req.shard !== undefined && req.shards !== undefined) throw new Error('use either --shard K/N or --shards N, not both.');
  if (req.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(req.shard);
    if (!m) throw new Error(`--shard takes K/N with K from 0, e.g. --shard 0/4; got "${req.shard}".`);
    const index = Number(m[1]);
    const count = Number(m[2]);
    if (count < 1 || index >= count) throw new Error(`--shard ${req.shard}: K must be from 0 to N-1 and N at least 1.`);
    return { index, count };
  }
  if (req.shards !== undefined) {
    const count = Number(req.shards);
    if (!Number.isInteger(count) || count < 1) throw new Error(`--shards takes a whole number of shards, got "${req.shards}".`);
    const raw = req.env?.JOB_COMPLETION_INDEX;
    if (raw === undefined || !/^\d+$/.test(raw))
      throw new Error(
        '--shards N needs the environment variable JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job); use --shard K/N elsewhere.',
      );
    const index = Number(raw);
    if (index >= count) throw new Error(`JOB_COMPLETION_INDEX=${index} is not below --shards ${count}.`);
    return { index, count };
  }
  return null;
}

/** Work out which clips to run. Returns null for a whole run. Throws with a message a person can act on. */
export async function resolveSelection(spec: JobSpec, req: SelectionRequest): Promise<Selection | null> {
  const shard = parseShard(req);
  if (shard && req.onlyFailed) throw new Error('--only-failed and --shard cannot be combined; re-run each shard with its own report.');
  if (shard) {
    if (spec.job_id_generated)
      throw new Error(
        'a sharded run needs a fixed job_id in the JobSpec, so that every shard names its report and outputs alike; add "job_id".',
      );
    const { parts } = parseTemplate(spec.naming_template);
    if (usesToken(parts, 'date') || usesToken(parts, 'time')) {
      throw new Error(
        'naming_template uses {date} or {time}, which each shard would resolve at its own start; use {job_id} or {index} for sharded runs.',
      );
    }
    const all = planOutputs(spec, new Date(0));
    const indices = all.filter((c) => c.index % shard.count === shard.index).map((c) => c.index);
    return {
      indices,
      selection: { kind: 'shard', shard, indices, all_clips: all },
      reportSuffix: `shard-${shard.index}-of-${shard.count}`,
      description: `Shard ${shard.index}/${shard.count}: ${indices.length} of ${spec.sources.length} clips (index % ${shard.count} == ${shard.index})`,
    };
  }
  if (req.onlyFailed) {
    const previous = await readReport(req.onlyFailed);
    const naming = new Date(previous.started_at);
    // Names must come out as before: the earlier run's job id (when the file gives none) and clock.
    if (spec.job_id_generated) spec.job_id = previous.job_id;
    else if (previous.job_id !== spec.job_id)
      throw new Error(`report ${req.onlyFailed} is for job ${previous.job_id}, but this JobSpec's job_id is ${spec.job_id}.`);
    const plan = planOutputs(spec, naming);
    for (const c of previous.clips) {
      const now = plan[c.index];
      if (!now || now.source !== c.source) {
        throw new Error(
          `report ${req.onlyFailed} does not match this JobSpec: clip ${c.index} was ${c.source}${now ? ` and is now ${now.source}` : ' and no longer exists'}. Run the whole JobSpec instead.`,
        );
      }
    }
    const indices = unfinishedIndices(previous);
    return {
      indices,
      namingTime: naming,
      selection: { kind: 'only-failed', previous_report: path.resolve(req.onlyFailed), indices, all_clips: plan },
      reportSuffix: 'rerun',
      description: indices.length
        ? `Re-running ${indices.length} clip${indices.length === 1 ? '' : 's'} that did not complete in ${req.onlyFailed}`
        : `Nothing to re-run: every clip in ${req.onlyFailed} completed.`,
    };
  }
  return null;
}
