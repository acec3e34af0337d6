// The contract of examples/k8s-indexed-job.yaml, which cannot run here (no Kubernetes): the Indexed
// Job's completions are the N its command gives --shards, failures are not retried behind the
// user's back, and the merge Job's glob finds exactly the reports the shards write. The commands
// themselves run for real: the shard command once per JOB_COMPLETION_INDEX, as each pod would, and
// the merge Job's literal `sh -c` line, with the volume's mount path mapped to a temporary folder.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { RunResult } from '../../src/core';
import { ensureCli } from './helpers/cli';
import { REAL_FFMPEG, REAL_FFPROBE } from './helpers/executables';
import { makeClip } from './helpers/media';
import { ROOT } from './helpers/paths';
import { writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { reportsIn } from './helpers/tree';

const execFileP = promisify(execFile);
const MANIFEST = path.join(ROOT, 'examples', 'k8s-indexed-job.yaml');

/** A value at `keys` in parsed YAML, or undefined; no `any` on the way. */
function at(value: unknown, ...keys: (string | number)[]): unknown {
  let v = value;
  for (const k of keys) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

function strings(value: unknown, what: string): string[] {
  assert.ok(
    Array.isArray(value) && value.every((s) => typeof s === 'string'),
    `${what} must be a list of strings, got ${JSON.stringify(value)}`,
  );
  return value;
}

function list(value: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(value), `${what} must be a list, got ${JSON.stringify(value)}`);
  return value as unknown[];
}

interface JobDoc {
  name: string;
  spec: unknown;
  pod: unknown;
  container: unknown;
}

let jobs: JobDoc[] = [];

before(async () => {
  const docs = parseAllDocuments(await fs.readFile(MANIFEST, 'utf8'));
  assert.ok(Array.isArray(docs), 'the manifest is YAML documents');
  jobs = docs.map((d, i) => {
    assert.deepEqual(
      d.errors.map((e) => e.message),
      [],
      `document ${i + 1} of ${MANIFEST} does not parse`,
    );
    const doc: unknown = d.toJS();
    assert.equal(at(doc, 'apiVersion'), 'batch/v1', `document ${i + 1}: apiVersion`);
    assert.equal(at(doc, 'kind'), 'Job', `document ${i + 1}: kind`);
    const containers = list(at(doc, 'spec', 'template', 'spec', 'containers'), `document ${i + 1}: containers`);
    assert.equal(containers.length, 1, `document ${i + 1}: one container`);
    return {
      name: String(at(doc, 'metadata', 'name')),
      spec: at(doc, 'spec'),
      pod: at(doc, 'spec', 'template', 'spec'),
      container: containers[0],
    };
  });
});

function shardJob(): JobDoc {
  const j = jobs.filter((x) => at(x.spec, 'completionMode') === 'Indexed');
  assert.equal(j.length, 1, 'one Indexed Job (the shards)');
  return j[0];
}

function mergeJob(): JobDoc {
  const j = jobs.filter((x) => at(x.spec, 'completionMode') !== 'Indexed');
  assert.equal(j.length, 1, 'one more Job (the merge)');
  return j[0];
}

/** The volume both Jobs mount: its claim and mount path. */
function volume(job: JobDoc): { claim: unknown; mountPath: string } {
  const mounts = list(at(job.container, 'volumeMounts'), `${job.name}: volumeMounts`);
  assert.equal(mounts.length, 1, `${job.name}: one volume mount`);
  const name = at(mounts[0], 'name');
  const vols = list(at(job.pod, 'volumes'), `${job.name}: volumes`);
  const vol = vols.find((v) => at(v, 'name') === name);
  const mountPath = at(mounts[0], 'mountPath');
  assert.equal(typeof mountPath, 'string', `${job.name}: mountPath`);
  return { claim: at(vol, 'persistentVolumeClaim', 'claimName'), mountPath: mountPath as string };
}

/** The merge line's parts: `jobspec report merge GLOB --out FILE`. */
function mergeLine(): { line: string; glob: string; out: string } {
  const command = strings(at(mergeJob().container, 'command'), 'the merge command');
  assert.deepEqual(command.slice(0, 2), ['sh', '-c'], 'the merge runs through a shell, which expands the glob');
  assert.equal(command.length, 3);
  const line = command[2];
  const m = /^jobspec report merge (\S+) --out (\S+)$/.exec(line);
  assert.ok(m, `the merge line is "jobspec report merge GLOB --out FILE": ${line}`);
  return { line, glob: m[1], out: m[2] };
}

/** A shell glob of `*` only, as a regular expression for one file name. */
function globRe(glob: string): RegExp {
  assert.doesNotMatch(glob, /[?[\]{}]/, 'only * in the glob');
  return new RegExp(
    `^${glob
      .split('*')
      .map((p) => p.replace(/[.+^$()|\\]/g, '\\$&'))
      .join('[^/]*')}$`,
  );
}

describe('examples/k8s-indexed-job.yaml: the Indexed Job contract', () => {
  test('completions is the N given to --shards, Indexed, no retries, and --resume so a re-run is harmless', () => {
    const job = shardJob();
    const n = at(job.spec, 'completions');
    assert.ok(typeof n === 'number' && Number.isInteger(n) && n > 1, `completions: ${JSON.stringify(n)}`);
    assert.equal(at(job.spec, 'backoffLimit'), 0, 'a failed shard is not retried behind the user');
    assert.equal(at(job.pod, 'restartPolicy'), 'Never');
    const parallelism = at(job.spec, 'parallelism');
    assert.ok(typeof parallelism === 'number' && parallelism >= 1 && parallelism <= n, `parallelism: ${JSON.stringify(parallelism)}`);
    const command = strings(at(job.container, 'command'), 'the shard command');
    assert.deepEqual(command.slice(0, 2), ['jobspec', 'execute']);
    const i = command.indexOf('--shards');
    assert.ok(i > 0, `the command uses --shards N (K comes from JOB_COMPLETION_INDEX): ${command.join(' ')}`);
    assert.equal(command[i + 1], String(n), '--shards N must equal completions');
    assert.ok(command.includes('--resume'), 'a shard run again carries over what completed');
    assert.ok(!command.includes('--shard'), 'not a fixed --shard K/N');
    const env = at(job.container, 'env');
    assert.ok(
      !Array.isArray(env) || !env.some((e) => at(e, 'name') === 'JOB_COMPLETION_INDEX'),
      'JOB_COMPLETION_INDEX is set by Kubernetes, never by the manifest',
    );
  });

  test('the merge Job mounts the same volume at the same path, and its glob names the shard reports of N shards', () => {
    const shards = volume(shardJob());
    const merge = volume(mergeJob());
    assert.deepEqual(merge, shards, 'both Jobs see the output folder at one path');
    assert.equal(at(mergeJob().spec, 'backoffLimit'), 0);
    assert.equal(at(mergeJob().pod, 'restartPolicy'), 'Never');
    const { glob, out } = mergeLine();
    const n = at(shardJob().spec, 'completions');
    assert.match(
      path.basename(glob),
      new RegExp(`^[^*]+\\.shard-\\*-of-${String(n)}\\.\\*\\.report\\.json$`),
      'the glob is <job_id>.shard-*-of-N.*.report.json',
    );
    const jobspec = strings(at(shardJob().container, 'command'), 'the shard command')[2];
    for (const p of [jobspec, glob, out]) assert.ok(p.startsWith(`${shards.mountPath}/`), `${p} is on the shared volume`);
    assert.doesNotMatch(
      path.basename(out),
      globRe(path.basename(glob)),
      'the merged report is not taken for a shard report by the next merge',
    );
  });

  describe('the commands, run for real', () => {
    let volumeDir: string;
    let bin: string;
    const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
      const e: NodeJS.ProcessEnv = { ...process.env, REAL_FFMPEG, REAL_FFPROBE, ...extra };
      for (const k of ['FFMPEG_PATH', 'FFPROBE_PATH', 'JOB_COMPLETION_INDEX']) if (!(k in extra)) delete e[k];
      e.PATH = `${bin}${path.delimiter}${process.env.PATH ?? ''}`;
      return e;
    };
    /** A path of the manifest, on the temporary folder that stands for the volume. */
    const onVolume = (p: string): string => p.split(`${volume(shardJob()).mountPath}/`).join(`${volumeDir}/`);

    before(async () => {
      volumeDir = await tempDir(undefined, 'jobspec-k8s-');
      assert.match(volumeDir, /^[\w/.-]+$/, 'the stand-in volume path needs no quoting in the merge line');
      // `jobspec` on PATH, as in the image: this build of the command.
      bin = path.join(volumeDir, '.bin');
      await fs.mkdir(bin);
      await fs.writeFile(
        path.join(bin, 'jobspec'),
        `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(ensureCli())} "$@"\n`,
        { mode: 0o755 },
      );
      // The JobSpec where the shard command looks, with its output folder where the merge looks.
      const jobspec = onVolume(strings(at(shardJob().container, 'command'), 'the shard command')[2]);
      const { glob } = mergeLine();
      const jobId = path.basename(glob).split('.shard-')[0];
      const clips = ['k0.mov', 'k1.mov', 'k2.mov', 'k3.mov', 'k4.mov', 'k5.mov'];
      for (const [i, c] of clips.entries())
        await makeClip(path.join(path.dirname(jobspec), 'media'), c, { seconds: 0.3, size: '160x120', frequency: 300 + 70 * i });
      await fs.mkdir(path.dirname(onVolume(glob)), { recursive: true });
      await writeSpec(
        path.dirname(jobspec),
        {
          job_id: jobId,
          sources: clips.map((c) => `media/${c}`),
          output_directory: path.dirname(onVolume(glob)),
          codec: 'h264',
          container: 'mp4',
          resolution: 'quarter',
          naming_template: '{job_id}_{source_name}_{index}',
        },
        path.basename(jobspec),
      );
    });

    test('each pod (JOB_COMPLETION_INDEX=k) runs its shard; the merge line finds every report and is green, and again after a re-run', async () => {
      const job = shardJob();
      const n = at(job.spec, 'completions') as number;
      const command = strings(at(job.container, 'command'), 'the shard command').map(onVolume);
      const pods = await Promise.all(
        Array.from({ length: n }, (_, k) =>
          execFileP(command[0], command.slice(1), { env: env({ JOB_COMPLETION_INDEX: String(k) }) }).then(
            (r) => ({ k, code: 0, out: r.stdout + r.stderr }),
            (e: Error & { code?: number; stdout?: string; stderr?: string }) => ({
              k,
              code: e.code,
              out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
            }),
          ),
        ),
      );
      for (const p of pods) assert.equal(p.code, 0, `pod ${p.k}:\n${p.out}`);

      const { line, glob, out } = mergeLine();
      const folder = path.dirname(onVolume(glob));
      const written = await reportsIn(folder);
      assert.equal(written.length, n, `one report per pod: ${written.join(', ')}`);
      for (const r of written)
        assert.match(path.basename(r), globRe(path.basename(glob)), 'the merge glob matches the report a shard wrote');
      for (let k = 0; k < n; k++) {
        const r = JSON.parse(await fs.readFile(written[k], 'utf8')) as RunResult;
        assert.deepEqual(r.selection?.shard, { index: k, count: n }, path.basename(written[k]));
      }

      const merge = async (): Promise<{ stdout: string }> => execFileP('sh', ['-c', onVolume(line)], { env: env() });
      const first = await merge();
      for (let k = 0; k < n; k++)
        assert.match(first.stdout, new RegExp(`^Shard ${k}/${n}: \\S+\\.shard-${k}-of-${n}\\.\\d{8}T\\d{6}\\.report\\.json$`, 'm'));
      assert.match(first.stdout, /^Result: All clips completed$/m);
      const merged = JSON.parse(await fs.readFile(onVolume(out), 'utf8')) as RunResult;
      assert.equal(merged.status, 'COMPLETED');
      assert.equal(merged.clips.length, 6);

      // A pod run again (the Job applied again): --resume encodes nothing; the merge Job run again still works.
      const again = await execFileP(command[0], command.slice(1), { env: env({ JOB_COMPLETION_INDEX: '0' }) });
      assert.match(again.stdout, /: 2 clips already complete, 0 to run$/m);
      const second = await merge();
      assert.match(second.stdout, new RegExp(`^Shard 0/${n}: \\S+\\.shard-0-of-${n}\\.\\d{8}T\\d{6}(-\\d+)?\\.report\\.json$`, 'm'));
      assert.match(second.stdout, /^Result: All clips completed$/m);
      assert.match(
        second.stdout,
        /^Report: .*\.merged-2\.report\.json$/m,
        'the fixed --out name is taken: the second merge is written beside it',
      );
    });
  });
});
