// Outputs that are already on disk before a run: with overwrite "never" the run would stop at the
// first of them, so the editor flags them and asks before a run, instead of failing at clip 1.
import * as fs from 'node:fs/promises';
import { planOutputs } from './plan';
import type { JobSpec, PlannedClipInfo } from './types';

/** The planned clips (all, or `only` these indices) whose output path exists now, in sources order. */
export async function existingOutputs(spec: JobSpec, now: Date, only?: readonly number[]): Promise<PlannedClipInfo[]> {
  const plan = planOutputs(spec, now).filter((c) => !only || only.includes(c.index));
  const present = await Promise.all(
    plan.map((c) =>
      fs.lstat(c.output).then(
        () => true,
        () => false,
      ),
    ),
  );
  return plan.filter((_, i) => present[i]);
}
