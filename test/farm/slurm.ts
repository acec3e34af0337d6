// The Slurm commands the farm test uses, against the one-node cluster that test/farm/run.sh brought
// up (scripts/slurm-local.sh): submit, wait for jobs to end, read their state and exit codes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** The cluster's slurm.conf; the farm test runs only under test/farm/run.sh, which sets it. */
export const SLURM_CONF = process.env.SLURM_CONF ?? '';

/** Slurm's states for a job that has ended. */
const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE']);

export interface JobRecord {
  jobId: string;
  /** The array task id ("2"), a pending range ("2-3"), or "" for a job that is not an array. */
  taskId: string;
  state: string;
  /** Slurm's "code:signal". */
  exitCode: string;
  /** The job's own reason or node list, for a failure message. */
  line: string;
}

/** Run a Slurm command against this cluster; throws with its stderr when it fails. */
export async function slurm(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, {
      cwd: opts.cwd,
      env: { ...(opts.env ?? process.env), SLURM_CONF },
      timeout: 20_000,
    });
    return stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${err.stderr ?? ''}`);
  }
}

/** `sbatch --parsable ARGS…` from `cwd` with `env` as the job's environment; returns the job id. */
export async function sbatch(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const out = (await slurm('sbatch', ['--parsable', ...args], { cwd, env })).trim();
  const id = out.split(';')[0];
  if (!/^\d+$/.test(id)) throw new Error(`sbatch ${args.join(' ')} printed ${JSON.stringify(out)}, not a job id`);
  return id;
}

/** Every record of a job: one per array task (and one for tasks not yet started). */
export async function jobRecords(id: string): Promise<JobRecord[]> {
  const out = await slurm('scontrol', ['show', 'job', '-o', id]);
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const field = (name: string): string => new RegExp(`(?:^| )${name}=(\\S*)`).exec(line)?.[1] ?? '';
      return { jobId: field('JobId'), taskId: field('ArrayTaskId'), state: field('JobState'), exitCode: field('ExitCode'), line };
    });
}

/** Wait until every record of each job has ended, and return them. A job that does not end in `timeoutMs` fails the test. */
export async function waitEnded(ids: string[], timeoutMs = 45_000): Promise<Map<string, JobRecord[]>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = new Map<string, JobRecord[]>();
    for (const id of ids) all.set(id, await jobRecords(id));
    const open = [...all.values()].flat().filter((r) => !ENDED.has(r.state));
    if (open.length === 0) return all;
    if (Date.now() > deadline)
      throw new Error(`Slurm jobs ${ids.join(', ')} had not ended after ${timeoutMs} ms:\n${open.map((r) => r.line).join('\n')}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** An array job's records by task id (as numbers), each ended. */
export function byTask(records: JobRecord[]): Map<number, JobRecord> {
  return new Map(records.map((r) => [Number(r.taskId), r]));
}
