// Partial runs, as one value the runner takes: `--shard K/N` (a farm's slice), `--only-failed REPORT`
// (re-run what did not complete) and `--resume` (carry over what an earlier or interrupted run of the
// same plan completed, run the rest). A later run of a job names its clips exactly as the first did:
// the first run's job id (when the file gives none), clock and `{index}` width come from its report.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parseTemplate, usesToken } from './naming';
import { makePlan, planFingerprint, settingsDigest, type Plan } from './plan';
import { readReport, ReportError, reportsInFolder, unfinishedIndices } from './report';
import { quote } from './text';
import type { ClipResult, JobSpec, PlannedClipInfo, RunResult, RunSelection } from './types';

export interface SelectionRequest {
  onlyFailed?: string;
  /** "K/N", K from 0. */
  shard?: string;
  /** N, with K from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs). */
  shards?: string;
  /** Carry over what the newest report of this job (and shard) in the output folder completed. */
  resume?: boolean;
  /** Resume from this report (the editor's Resume on an interrupted run). */
  resumeFrom?: string;
  env?: NodeJS.ProcessEnv;
}

/** Which clips of a JobSpec a run covers, and how they are named. Passed whole to runJob. */
export interface Selection {
  /** Clips this run covers, carried-over ones included (they are reported, not run). */
  indices: number[];
  selection: RunSelection;
  /** The carried-over clips' results from the report they completed in. */
  carriedOver: ClipResult[];
  /** Which report each carried-over clip completed in (by index), when not `selection.previous_report`. */
  carriedFrom?: Map<number, string>;
  reportSuffix?: string;
  /** The clock for {date}/{time}, when it must be an earlier run's. */
  namingTime?: Date;
  /** `{index}` digits, when an earlier run fixed them. */
  indexWidth?: number;
  /** The earlier run's job id, when the JobSpec gives none (names must come out as before). */
  jobId?: string;
  description: string;
}

export class SelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectionError';
  }
}

function parseShard(req: SelectionRequest): { index: number; count: number } | null {
  if (req.shard !== undefined && req.shards !== undefined) throw new SelectionError('use either --shard K/N or --shards N, not both.');
  if (req.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(req.shard);
    if (!m) throw new SelectionError(`--shard takes K/N with K from 0, e.g. --shard 0/4; got ${JSON.stringify(quote(req.shard, 40))}.`);
    const index = Number(m[1]);
    const count = Number(m[2]);
    if (count < 1 || index >= count) throw new SelectionError(`--shard ${req.shard}: K must be from 0 to N-1 and N at least 1.`);
    return { index, count };
  }
  if (req.shards !== undefined) {
    const count = Number(req.shards);
    if (!/^\d+$/.test(req.shards) || !Number.isInteger(count) || count < 1)
      throw new SelectionError(`--shards takes a whole number of shards, got ${JSON.stringify(quote(req.shards, 40))}.`);
    const raw = req.env?.JOB_COMPLETION_INDEX;
    if (raw === undefined || !/^\d+$/.test(raw))
      throw new SelectionError(
        '--shards N needs the environment variable JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job); use --shard K/N elsewhere.',
      );
    const index = Number(raw);
    if (index >= count) throw new SelectionError(`JOB_COMPLETION_INDEX=${index} is not below --shards ${count}.`);
    return { index, count };
  }
  return null;
}

function shardSuffix(shard: { index: number; count: number }): string {
  return `shard-${shard.index}-of-${shard.count}`;
}

/**
 * The plan an earlier report's run had, recomputed from the JobSpec as it is now with that run's job
 * id, clock and `{index}` width, and checked clip by clip against the report: a source that moved,
 * a name that changed or proxy settings that changed make the report another plan's.
 */
function planAgainst(
  spec: JobSpec,
  previous: RunResult,
  file: string,
): { plan: Plan; jobId: string; namingTime: Date; indexWidth: number } {
  if (!spec.job_id_generated && previous.job_id !== spec.job_id) {
    throw new SelectionError(`report ${quote(file)} is for job ${previous.job_id}, but this JobSpec's job_id is ${spec.job_id}.`);
  }
  const jobId = previous.job_id;
  const namingTime = new Date(previous.started_at);
  const indexWidth = previous.plan?.index_width ?? 0;
  const plan = makePlan(spec, { now: namingTime, jobId, indexWidth: indexWidth || undefined });
  if (previous.plan && previous.plan.settings !== undefined && previous.plan.settings !== settingsDigest(spec)) {
    throw new SelectionError(
      `report ${quote(file)} was made with other proxy settings (codec, container, resolution, frame rate, audio or encoder changed since): running only some clips now would mix two kinds of proxy. Run the whole JobSpec (move the earlier proxies away first), or restore the settings.`,
    );
  }
  for (const c of previous.clips) {
    const now = plan.clips[c.index];
    if (!now || now.source !== c.source || now.output !== c.output) {
      throw new SelectionError(
        `report ${quote(file)} does not match this JobSpec: clip ${c.index} was ${quote(c.source)} → ${quote(c.output)}${now ? ` and is now ${quote(now.source)} → ${quote(now.output)}` : ' and no longer exists'}. Run the whole JobSpec instead.`,
      );
    }
  }
  return { plan, jobId, namingTime, indexWidth: plan.indexWidth };
}

/**
 * For each clip of `among`, the newest report that covered it: `previous` first, then, for clips it
 * did not cover, the report it re-ran (`--only-failed` covers only the clips that had not completed,
 * so the others completed in the report before it), and so on back. The chain stops at a report that
 * is gone, damaged or of another plan.
 */
async function latestOutcomes(
  previous: { file: string; report: RunResult },
  among: Set<number>,
): Promise<Map<number, { clip: ClipResult; file: string }>> {
  const out = new Map<number, { clip: ClipResult; file: string }>();
  const seen = new Set<string>();
  let at: { file: string; report: RunResult } | null = previous;
  while (at && !seen.has(path.resolve(at.file))) {
    seen.add(path.resolve(at.file));
    for (const c of at.report.clips) if (among.has(c.index) && !out.has(c.index)) out.set(c.index, { clip: c, file: at.file });
    const before: string | undefined = at.report.selection?.previous_report;
    if (out.size === among.size || !before) break;
    try {
      const report = await readReport(before);
      at = report.plan?.fingerprint && report.plan.fingerprint === previous.report.plan?.fingerprint ? { file: before, report } : null;
    } catch {
      at = null;
    }
  }
  return out;
}

/** Clips whose latest outcome is COMPLETED and whose proxies are still where that run put them, at the size it wrote. */
async function stillInPlace(outcomes: Map<number, { clip: ClipResult; file: string }>): Promise<{ clip: ClipResult; file: string }[]> {
  const out: { clip: ClipResult; file: string }[] = [];
  for (const o of [...outcomes.values()].sort((a, b) => a.clip.index - b.clip.index)) {
    const c = o.clip;
    if (c.status !== 'COMPLETED') continue;
    try {
      const st = await fs.lstat(c.output);
      if (st.isFile() && (c.output_size === null || st.size === c.output_size)) out.push(o);
    } catch {
      // Gone: it runs again.
    }
  }
  return out;
}

/** The newest report in `dir` of this job (and shard) that reads back, or null. Reports of another plan are passed over. */
async function newestReport(
  dir: string,
  jobId: string,
  shard: { index: number; count: number } | null,
): Promise<{ file: string; report: RunResult } | null> {
  const prefix = `${jobId}.`;
  const files = (await reportsInFolder(dir)).filter((f) => path.basename(f).startsWith(prefix));
  let best: { file: string; report: RunResult } | null = null;
  for (const file of files) {
    let report: RunResult;
    try {
      report = await readReport(file);
    } catch {
      continue; // damaged or edited: never resumed from
    }
    if (report.job_id !== jobId || report.status === 'RUNNING') continue;
    const s = report.selection?.shard;
    if (shard ? !s || s.index !== shard.index || s.count !== shard.count : s) continue;
    if (!best || report.started_at > best.report.started_at) best = { file, report };
  }
  return best;
}

async function readPrevious(file: string): Promise<RunResult> {
  try {
    return await readReport(file);
  } catch (e) {
    throw new SelectionError(e instanceof ReportError ? e.message : String(e));
  }
}

/** Work out which clips to run. Returns null for a whole run. Throws SelectionError with a message a person can act on. */
export async function resolveSelection(spec: JobSpec, req: SelectionRequest): Promise<Selection | null> {
  const shard = parseShard(req);
  if (shard && req.onlyFailed)
    throw new SelectionError('--only-failed and --shard cannot be combined: a shard report re-runs as its own shard.');
  if (req.onlyFailed && (req.resume || req.resumeFrom)) throw new SelectionError('--only-failed and --resume cannot be combined; use one.');
  if (shard) {
    if (spec.job_id_generated)
      throw new SelectionError(
        'a sharded run needs a fixed job_id in the JobSpec, so that every shard names its report and outputs alike; add "job_id".',
      );
    const { parts } = parseTemplate(spec.naming_template);
    if (usesToken(parts, 'date') || usesToken(parts, 'time')) {
      throw new SelectionError(
        'naming_template uses {date} or {time}, which each shard would resolve at its own start; use {job_id} or {index} for sharded runs.',
      );
    }
  }

  if (req.onlyFailed) {
    const previous = await readPrevious(req.onlyFailed);
    if (previous.status === 'RUNNING')
      throw new SelectionError(`report ${quote(req.onlyFailed)} belongs to a run that is still going; wait for it to end.`);
    const { plan, jobId, namingTime, indexWidth } = planAgainst(spec, previous, req.onlyFailed);
    const prevShard = previous.selection?.shard;
    const indices = unfinishedIndices(previous);
    const selection: RunSelection = { kind: 'only-failed', previous_report: path.resolve(req.onlyFailed), indices, all_clips: plan.clips };
    if (prevShard) selection.shard = prevShard;
    return {
      indices,
      carriedOver: [],
      namingTime,
      indexWidth,
      jobId,
      selection,
      reportSuffix: prevShard ? `${shardSuffix(prevShard)}.rerun` : 'rerun',
      description: indices.length
        ? `Re-running ${indices.length} clip${indices.length === 1 ? '' : 's'} that did not complete in ${quote(req.onlyFailed)}`
        : `Nothing to re-run: every clip in ${quote(req.onlyFailed)} completed.`,
    };
  }

  const fresh = makePlan(spec, { now: shard ? new Date(0) : new Date() });
  const shardIndices = shard
    ? fresh.clips.filter((c) => c.index % shard.count === shard.index).map((c) => c.index)
    : fresh.clips.map((c) => c.index);

  if (req.resume || req.resumeFrom) {
    const found = req.resumeFrom
      ? { file: req.resumeFrom, report: await readPrevious(req.resumeFrom) }
      : await newestReport(spec.output_directory, spec.job_id, shard);
    if (found) {
      if (found.report.status === 'RUNNING')
        throw new SelectionError(`report ${quote(found.file)} belongs to a run that is still going; wait for it to end.`);
      const { plan, jobId, namingTime, indexWidth } = planAgainst(spec, found.report, found.file);
      const prevShard = found.report.selection?.shard;
      const indices = prevShard
        ? plan.clips.filter((c) => c.index % prevShard.count === prevShard.index).map((c) => c.index)
        : shard
          ? shardIndices
          : plan.clips.map((c) => c.index);
      const carried = await stillInPlace(await latestOutcomes(found, new Set(indices)));
      const carriedOver = carried.map((o) => o.clip);
      const toRun = indices.length - carriedOver.length;
      const selection: RunSelection = {
        kind: 'resume',
        previous_report: path.resolve(found.file),
        carried_over: carriedOver.map((c) => c.index),
        indices,
        all_clips: plan.clips,
      };
      if (prevShard) selection.shard = prevShard;
      return {
        indices,
        carriedOver,
        carriedFrom: new Map(carried.map((o) => [o.clip.index, path.resolve(o.file)])),
        namingTime,
        indexWidth,
        jobId,
        selection,
        reportSuffix: prevShard ? `${shardSuffix(prevShard)}` : 'resume',
        description: `Resuming from ${quote(found.file)}: ${carriedOver.length} clip${carriedOver.length === 1 ? '' : 's'} already complete, ${toRun} to run`,
      };
    }
    // Nothing to resume from: a first run (or a whole shard), as if --resume were not given.
  }

  if (shard) {
    return {
      indices: shardIndices,
      carriedOver: [],
      selection: { kind: 'shard', shard, indices: shardIndices, all_clips: fresh.clips },
      reportSuffix: shardSuffix(shard),
      description: `Shard ${shard.index}/${shard.count}: ${shardIndices.length} of ${spec.sources.length} clips (index % ${shard.count} == ${shard.index})`,
    };
  }
  return null;
}

export { planFingerprint };
export type { PlannedClipInfo };
