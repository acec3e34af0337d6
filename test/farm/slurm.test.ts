// The farm on a real scheduler: examples/slurm/proxies.sbatch as a Slurm job array and
// examples/slurm/merge.sbatch after it (--dependency=afterany), unchanged, on the one-node cluster
// that test/farm/run.sh brings up. A green array equals a single-machine run; a retried shard encodes
// nothing; a failed shard is recovered to a green merge by re-running only its failed clip; merge
// names a missing shard and refuses reports that do not belong; scancel mid-clip leaves nothing
// partial. Run it with `npm run test:farm` (or as part of `npm test`).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { RunResult } from '../../src/core';
import { ensureCli, runCli, shown } from '../unit/helpers/cli';
import { REAL_FFMPEG, REAL_FFPROBE, standIn } from '../unit/helpers/executables';
import { audioStreams, makeClip, makeCorrupt, probe, timecodeOf, videoStream } from '../unit/helpers/media';
import { ROOT } from '../unit/helpers/paths';
import { pidAlive, waitFor } from '../unit/helpers/processes';
import { writeSpec } from '../unit/helpers/spec';
import { tempDir } from '../unit/helpers/tmp';
import { reportsIn, tempFilesIn } from '../unit/helpers/tree';
import { byTask, sbatch, SLURM_CONF, slurm, waitEnded, type JobRecord } from './slurm';

const ARRAY = path.join(ROOT, 'examples', 'slurm', 'proxies.sbatch');
const MERGE = path.join(ROOT, 'examples', 'slurm', 'merge.sbatch');
const N = 4;
const CLIPS = Array.from({ length: 8 }, (_, i) => `c${i}.mov`);
const STEP = { timeout: 60_000 };

let dir: string;
let master: string;

// Stopped by test/farm/run.sh (interrupted): exit normally, so that the temporary folders go too.
process.once('SIGTERM', () => process.exit(143));

before(async () => {
  assert.ok(SLURM_CONF, 'SLURM_CONF is not set: run this test with `npm run test:farm` (test/farm/run.sh brings up the cluster)');
  await slurm('sinfo', ['-h']);
  dir = await tempDir(undefined, 'jobspec-farm-');
  master = path.join(dir, 'master');
  await Promise.all([
    ...CLIPS.map((c, i) => makeClip(master, c, { seconds: 0.4, size: '160x120', frequency: 300 + 60 * i })),
    makeClip(master, 'long.mov', { seconds: 20, size: '160x120' }),
  ]);
});

/** A JobSpec of `sources` (under media/) into `out`, named so that every shard names its outputs alike. */
async function jobspec(day: string, jobId: string, sources: string[], out: string, over: Record<string, unknown> = {}): Promise<string> {
  await fs.mkdir(path.join(day, out), { recursive: true });
  return writeSpec(
    day,
    {
      job_id: jobId,
      sources: sources.map((s) => `media/${s}`),
      output_directory: out,
      codec: 'h264',
      container: 'mp4',
      resolution: 'quarter',
      naming_template: '{job_id}_{source_name}_{index}',
      ...over,
    },
    `${out}.jobspec.json`,
  );
}

/** A day's folder with copies of the master clips in media/. */
async function day(name: string, clips: string[]): Promise<string> {
  const d = path.join(dir, name);
  await fs.mkdir(path.join(d, 'media'), { recursive: true });
  for (const c of clips) await fs.copyFile(path.join(master, c), path.join(d, 'media', c));
  return d;
}

/** The environment the jobs get (sbatch passes it on): the real ffmpeg from PATH and this build of jobspec. */
function jobEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['FFMPEG_PATH', 'FFPROBE_PATH', 'JOB_COMPLETION_INDEX', 'STANDIN_PIDFILE', 'SLURM_ARRAY_TASK_ID']) delete env[k];
  const cmd = `${process.execPath} ${ensureCli()}`;
  assert.doesNotMatch(cmd, /\s.*\s/, 'JOBSPEC_CMD is split on spaces; node and the CLI need paths without them');
  return { ...env, JOBSPEC_CMD: cmd, REAL_FFMPEG, REAL_FFPROBE, ...extra };
}

function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

async function readJson(file: string): Promise<RunResult> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as RunResult;
}

/** What a Slurm job printed (its --output file, relative to the folder it was submitted from). */
function log(cwd: string, name: string): Promise<string> {
  return fs.readFile(path.join(cwd, name), 'utf8');
}

function ended(r: JobRecord | undefined, state: string, exitCode: string, why: string): void {
  assert.ok(r, `no Slurm record: ${why}`);
  assert.equal(`${r.state} ${r.exitCode}`, `${state} ${exitCode}`, `${why}\n${r.line}`);
}

/** Each proxy's inode and mtime: a proxy made again, or touched, changes them. */
async function proxyStamps(out: string): Promise<Map<string, string>> {
  const stamps = new Map<string, string>();
  for (const n of (await fs.readdir(out)).filter((f) => f.endsWith('.mp4')).sort()) {
    const st = await fs.stat(path.join(out, n));
    stamps.set(n, `${st.ino}:${st.mtimeMs}`);
  }
  return stamps;
}

/** Shard reports of a job in `out`, optionally of one shard, oldest name first. */
async function shardReports(out: string, jobId: string, shard?: number): Promise<string[]> {
  const re = new RegExp(`^${jobId}\\.shard-${shard ?? '\\d+'}-of-\\d+\\.`);
  return (await reportsIn(out)).filter((f) => re.test(path.basename(f)));
}

/** What ffprobe reads in a proxy: stream properties and frame counts (bytes may differ between two encodes). */
interface ProxyProperties {
  format: string;
  video: { codec?: string; profile?: string; width?: number; height?: number; pixFmt?: string; rate?: string; frames?: string };
  audio: { codec?: string; sampleRate?: string; frames?: string }[];
  timecode: string | undefined;
  duration: string;
}

/** What ffprobe reads in a proxy: stream properties and frame counts (bytes may differ between two encodes). */
async function proxyProperties(file: string): Promise<ProxyProperties> {
  const p = await probe(file, { countFrames: true });
  const v = videoStream(p);
  return {
    format: p.format.format_name,
    video: {
      codec: v.codec_name,
      profile: v.profile,
      width: v.width,
      height: v.height,
      pixFmt: v.pix_fmt,
      rate: v.r_frame_rate,
      frames: v.nb_read_frames,
    },
    audio: audioStreams(p).map((a) => ({ codec: a.codec_name, sampleRate: a.sample_rate, frames: a.nb_read_frames })),
    timecode: timecodeOf(p),
    duration: Number(p.format.duration).toFixed(2),
  };
}

/** Names in `out` that only a run in progress (or a killed one) leaves: temporary proxies, journals, report temps. */
async function hiddenLeftovers(out: string): Promise<string[]> {
  return (await fs.readdir(out)).filter((n) => n.startsWith('.'));
}

describe('Slurm job array: examples/slurm/ on a one-node cluster', () => {
  let day01 = '';
  let day02 = '';

  test('the array of 4 shards and the merge job after it: green, and the same as a single-machine run', STEP, async () => {
    day01 = await day('day01', CLIPS);
    const farm = await jobspec(day01, 'day01', CLIPS, 'proxies');
    const single = await jobspec(day01, 'day01', CLIPS, 'single');
    const env = jobEnv({ JOBSPEC: farm, N: String(N), PROXIES: path.join(day01, 'proxies'), JOB_ID: 'day01' });
    const array = await sbatch(['--array=0-3', ARRAY], day01, env);
    const merge = await sbatch([`--dependency=afterany:${array}`, MERGE], day01, env);
    // The single-machine run of the same JobSpec (another output folder) while the farm works.
    const alone = await runCli(['execute', single]);
    assert.equal(alone.code, 0, shown(alone));
    const jobs = await waitEnded([array, merge]);

    const tasks = byTask(jobs.get(array) ?? []);
    for (let k = 0; k < N; k++)
      ended(tasks.get(k), 'COMPLETED', '0:0', `array task ${k}: ${await log(day01, `proxies-${array}_${k}.out`)}`);
    const mergeLog = await log(day01, `proxies-merge-${merge}.out`);
    ended(jobs.get(merge)?.[0], 'COMPLETED', '0:0', `merge job:\n${mergeLog}`);
    const reports = await shardReports(path.join(day01, 'proxies'), 'day01');
    assert.equal(reports.length, N, `one report per shard: ${reports.join(', ')}`);
    for (let k = 0; k < N; k++) {
      const r = await readJson(reports[k]);
      assert.deepEqual(r.selection?.shard, { index: k, count: N });
      assert.deepEqual(
        r.clips.map((c) => [c.index, c.status]),
        [
          [k, 'COMPLETED'],
          [k + N, 'COMPLETED'],
        ],
      );
      assert.match(mergeLog, new RegExp(`^Shard ${k}/${N}: ${path.basename(reports[k]).replace(/\./g, '\\.')}$`, 'm'));
    }
    assert.match(mergeLog, /^Processed: 8\/8$/m);
    assert.match(mergeLog, /^Result: All clips completed$/m);

    // The merged report against the single-machine report: same clips, statuses and output names.
    const mergedFile = (await reportsIn(path.join(day01, 'proxies'))).find((f) => path.basename(f).startsWith('day01.merged.'));
    assert.ok(mergedFile, `no merged report beside the shard reports:\n${mergeLog}`);
    const merged = await readJson(mergedFile);
    const alone1 = await readJson((await reportsIn(path.join(day01, 'single')))[0]);
    const summary = (r: RunResult): unknown[] => r.clips.map((c) => [c.index, c.status, path.basename(c.source), path.basename(c.output)]);
    assert.equal(merged.status, 'COMPLETED');
    assert.equal(merged.status, alone1.status);
    assert.deepEqual(summary(merged), summary(alone1));
    const farmFiles = (await fs.readdir(path.join(day01, 'proxies'))).filter((f) => f.endsWith('.mp4')).sort();
    const singleFiles = (await fs.readdir(path.join(day01, 'single'))).filter((f) => f.endsWith('.mp4')).sort();
    assert.deepEqual(farmFiles, singleFiles);
    assert.deepEqual(
      farmFiles,
      CLIPS.map((c, i) => `day01_${c.replace('.mov', '')}_00${i}.mp4`),
    );
    const [farmProps, singleProps] = await Promise.all(
      ['proxies', 'single'].map((out) => Promise.all(farmFiles.map((f) => proxyProperties(path.join(day01, out, f))))),
    );
    farmFiles.forEach((f, i) => assert.deepEqual(farmProps[i], singleProps[i], `${f}: the farm's proxy differs from the single machine's`));
    // What was compared is the proxy asked for: H.264 at a quarter of 160x120, every one of the 10 frames, AAC, the timecode.
    const { codec, width, height, frames } = farmProps[0].video;
    assert.deepEqual({ codec, width, height, frames }, { codec: 'h264', width: 40, height: 30, frames: '10' });
    assert.equal(farmProps[0].audio[0]?.codec, 'aac');
    assert.equal(farmProps[0].timecode, '01:00:00:00');
    assert.deepEqual(await hiddenLeftovers(path.join(day01, 'proxies')), [], 'no temporary file or journal left');
  });

  test('a retry of a completed shard (sbatch --array=1 again) encodes nothing, exits 0, and the merge stays green', STEP, async () => {
    assert.ok(day01, 'needs the test before it');
    const proxies = path.join(day01, 'proxies');
    const stamps = await proxyStamps(proxies);
    const before = await shardReports(proxies, 'day01', 1);
    const env = jobEnv({ JOBSPEC: path.join(day01, 'proxies.jobspec.json'), N: String(N), PROXIES: proxies, JOB_ID: 'day01' });
    const retry = await sbatch(['--array=1', ARRAY], day01, env);
    const merge = await sbatch([`--dependency=afterany:${retry}`, MERGE], day01, env);
    const jobs = await waitEnded([retry, merge]);
    const retryLog = await log(day01, `proxies-${retry}_1.out`);
    ended(byTask(jobs.get(retry) ?? []).get(1), 'COMPLETED', '0:0', retryLog);
    assert.match(retryLog, /: 2 clips already complete, 0 to run$/m);
    assert.deepEqual(await proxyStamps(proxies), stamps, 'no proxy was made again or touched');
    const [newReport] = (await shardReports(proxies, 'day01', 1)).filter((f) => !before.includes(f));
    assert.ok(newReport, 'the retry wrote its own shard report');
    const r = await readJson(newReport);
    assert.equal(r.status, 'COMPLETED');
    for (const c of r.clips) assert.match(c.message ?? '', /^Completed in an earlier run /);
    const mergeLog = await log(day01, `proxies-merge-${merge}.out`);
    ended(jobs.get(merge)?.[0], 'COMPLETED', '0:0', mergeLog);
    assert.ok(
      mergeLog.includes(`\nShard 1/${N}: ${path.basename(newReport)}\n`),
      `the merge takes the retry's report for shard 1:\n${mergeLog}`,
    );
    assert.match(mergeLog, /^Result: All clips completed$/m);
  });

  test('a corrupt source fails its shard: the task and the merge job exit 2, and the merge names the clip', STEP, async () => {
    day02 = await day('day02', CLIPS);
    // Shard 2 holds clips 2 and 6: clip 2 completes, clip 6 fails.
    await makeCorrupt(path.join(day02, 'media'), 'c6.mov');
    const spec = await jobspec(day02, 'day02', CLIPS, 'proxies');
    const env = jobEnv({ JOBSPEC: spec, N: String(N), PROXIES: path.join(day02, 'proxies'), JOB_ID: 'day02' });
    const array = await sbatch(['--array=0-3', ARRAY], day02, env);
    const merge = await sbatch([`--dependency=afterany:${array}`, MERGE], day02, env);
    const jobs = await waitEnded([array, merge]);
    const tasks = byTask(jobs.get(array) ?? []);
    for (const k of [0, 1, 3]) ended(tasks.get(k), 'COMPLETED', '0:0', await log(day02, `proxies-${array}_${k}.out`));
    const failedLog = await log(day02, `proxies-${array}_2.out`);
    ended(tasks.get(2), 'FAILED', '2:0', failedLog);
    assert.match(failedLog, /\[1\/2\] COMPLETED c2\.mov/);
    assert.match(failedLog, /\[2\/2\] FAILED c6\.mov/);
    const mergeLog = await log(day02, `proxies-merge-${merge}.out`);
    ended(jobs.get(merge)?.[0], 'FAILED', '2:0', mergeLog);
    assert.match(mergeLog, /^\[7\/8\] FAILED c6\.mov/m);
    assert.match(mergeLog, /Reason: Cannot read source c6\.mov/);
    assert.match(mergeLog, /^Result: One or more clips failed$/m);
  });

  test(
    'with the source fixed, --only-failed re-runs only the failed clip, and the merge of all reports is green and says which it took',
    STEP,
    async () => {
      assert.ok(day02, 'needs the test before it');
      const proxies = path.join(day02, 'proxies');
      await fs.copyFile(path.join(master, 'c6.mov'), path.join(day02, 'media', 'c6.mov'));
      const [failed] = await shardReports(proxies, 'day02', 2);
      assert.equal((await readJson(failed)).status, 'PARTIAL');
      const stamps = await proxyStamps(proxies);
      const env = jobEnv({ JOBSPEC: path.join(day02, 'proxies.jobspec.json'), N: String(N), PROXIES: proxies, JOB_ID: 'day02' });
      const cmd = `${env.JOBSPEC_CMD} execute ${sq(path.join(day02, 'proxies.jobspec.json'))} --only-failed ${sq(failed)}`;
      const rerun = await sbatch(['--job-name=proxies-rerun', '--output=rerun-%j.out', `--wrap=${cmd}`], day02, env);
      const merge = await sbatch([`--dependency=afterany:${rerun}`, MERGE], day02, env);
      const jobs = await waitEnded([rerun, merge]);
      const rerunLog = await log(day02, `rerun-${rerun}.out`);
      ended(jobs.get(rerun)?.[0], 'COMPLETED', '0:0', rerunLog);
      assert.match(rerunLog, /Re-running 1 clip that did not complete/);
      const after = await proxyStamps(proxies);
      assert.equal(after.get('day02_c2_002.mp4'), stamps.get('day02_c2_002.mp4'), 'the clip that had completed was not made again');
      assert.ok(after.has('day02_c6_006.mp4'));
      const [rerunReport] = (await shardReports(proxies, 'day02', 2)).filter((f) => f !== failed);
      assert.match(path.basename(rerunReport), /^day02\.shard-2-of-4\.rerun\.\d{8}T\d{6}\.report\.json$/);

      // The merge job's glob gives every report, the failed one included: the newest of each clip counts.
      const mergeLog = await log(day02, `proxies-merge-${merge}.out`);
      ended(jobs.get(merge)?.[0], 'COMPLETED', '0:0', mergeLog);
      assert.ok(
        mergeLog.includes(`\nShard 2/${N}: ${path.basename(failed)} + ${path.basename(rerunReport)}\n`),
        `the merge says it took both reports of shard 2:\n${mergeLog}`,
      );
      assert.match(mergeLog, /^\[7\/8\] COMPLETED c6\.mov/m);
      assert.match(mergeLog, /^Result: All clips completed$/m);
    },
  );

  test('a scheduler retry of the recovered shard encodes nothing and exits 0', STEP, async () => {
    assert.ok(day02, 'needs the tests before it');
    const proxies = path.join(day02, 'proxies');
    const stamps = await proxyStamps(proxies);
    const env = jobEnv({ JOBSPEC: path.join(day02, 'proxies.jobspec.json'), N: String(N) });
    const retry = await sbatch(['--array=2', ARRAY], day02, env);
    const jobs = await waitEnded([retry]);
    const retryLog = await log(day02, `proxies-${retry}_2.out`);
    ended(byTask(jobs.get(retry) ?? []).get(2), 'COMPLETED', '0:0', retryLog);
    assert.match(retryLog, /: 2 clips already complete, 0 to run$/m);
    assert.deepEqual(await proxyStamps(proxies), stamps, 'no proxy was made again or touched');
    const m = await runCli(['report', 'merge', ...(await shardReports(proxies, 'day02'))]);
    assert.equal(m.code, 0, shown(m));
  });

  test('merge names a missing shard MISSING, and refuses a report of another plan or one edited after the run', STEP, async () => {
    assert.ok(day01, 'needs the first test');
    const proxies = path.join(day01, 'proxies');
    const reports = await shardReports(proxies, 'day01');
    const without2 = reports.filter((f) => !/\.shard-2-of-4\./.test(f));
    const m = await runCli(['report', 'merge', ...without2, '--out', path.join(dir, 'missing.report.json')]);
    assert.equal(m.code, 2, shown(m));
    assert.match(m.stdout, /^Shard 2\/4: MISSING \(no report given\)$/m);
    assert.match(m.stdout, /^Result: Incomplete: no report for shard 2\/4 \(MISSING\): run it or give its report$/m);
    assert.doesNotMatch(m.stdout, /FAILED|failed/, 'a missing shard is not failed clips');
    const merged = await readJson(path.join(dir, 'missing.report.json'));
    assert.equal(merged.status, 'PARTIAL');
    for (const i of [2, 6]) assert.match(merged.clips[i].message ?? '', /^No report for shard 2 of 4 was given: that shard is missing/);

    // The same job id with other proxy settings is another plan.
    const other = await jobspec(day01, 'day01', CLIPS, 'other', { resolution: 'half' });
    const o = await runCli(['execute', other, '--shard', '2/4']);
    assert.equal(o.code, 0, shown(o));
    const [otherReport] = await reportsIn(path.join(day01, 'other'));
    const refused = await runCli(['report', 'merge', ...without2, otherReport]);
    assert.equal(refused.code, 1, shown(refused));
    assert.ok(refused.stderr.includes(`${otherReport} belongs to another plan`), shown(refused));

    // A report changed by hand after the run is refused too.
    const edited = path.join(dir, 'edited.report.json');
    await fs.writeFile(edited, (await fs.readFile(reports[2], 'utf8')).replace('"status": "COMPLETED"', '"status": "SKIPPED"'));
    const e = await runCli(['report', 'merge', ...without2, edited]);
    assert.equal(e.code, 1, shown(e));
    assert.match(e.stderr, /was changed after the run wrote it/);
  });

  test(
    'scancel of a shard mid-clip: Slurm and the report say CANCELLED, nothing partial is left, ffmpeg is gone; a resubmit completes it',
    STEP,
    async () => {
      const day03 = await day('day03', ['c0.mov', 'long.mov']);
      const proxies = path.join(day03, 'proxies');
      const spec = await jobspec(day03, 'day03', ['c0.mov', 'long.mov'], 'proxies');
      const pidfile = path.join(day03, 'ffmpeg.pids');
      // ffmpeg paced at the clip's frame rate: the 20 s clip of shard 1 takes 20 s, so it is cancelled mid-clip.
      const paced = jobEnv({
        JOBSPEC: spec,
        N: '2',
        FFMPEG_PATH: standIn('stand-in-ffmpeg-realtime.sh'),
        FFPROBE_PATH: REAL_FFPROBE,
        STANDIN_PIDFILE: pidfile,
      });
      const array = await sbatch(['--array=0-1', ARRAY], day03, paced);
      const ffmpeg = await waitFor(
        'ffmpeg encoding long.mov, with its temporary proxy written to',
        async () => {
          let pids: number[];
          try {
            pids = (await fs.readFile(pidfile, 'utf8')).split('\n').filter(Boolean).map(Number);
          } catch {
            return undefined;
          }
          for (const pid of pids) {
            let cmdline: string;
            let stat: string;
            try {
              cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
              stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
            } catch {
              continue;
            }
            if (!cmdline.includes('long.mov')) continue;
            // Its parent is the shard's jobspec process, whose pid is in the temporary proxy's name.
            const parent = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
            for (const t of await tempFilesIn(proxies)) {
              if (t.includes(`-${parent}-`) && (await fs.stat(path.join(proxies, t))).size > 0) return pid;
            }
          }
          return undefined;
        },
        30_000,
        100,
      );
      // A merge while shard 1 is still encoding says so, once shard 0 has ended.
      await waitFor('shard 0 to end', async () => {
        const [r0] = await shardReports(proxies, 'day03', 0);
        return r0 !== undefined && (await readJson(r0)).status === 'COMPLETED';
      });
      const early = await runCli(['report', 'merge', ...(await shardReports(proxies, 'day03'))]);
      assert.equal(early.code, 2, shown(early));
      assert.match(early.stdout, /^Shard 1\/2: still running$/m);
      assert.match(early.stdout, /^Result: Incomplete: shard 1\/2 still running: merge again when it has ended$/m);

      await slurm('scancel', [`${array}_1`]);
      const jobs = await waitEnded([array]);
      const tasks = byTask(jobs.get(array) ?? []);
      const cancelledLog = await log(day03, `proxies-${array}_1.out`);
      ended(tasks.get(0), 'COMPLETED', '0:0', await log(day03, `proxies-${array}_0.out`));
      assert.equal(tasks.get(1)?.state, 'CANCELLED', `${tasks.get(1)?.line}\n${cancelledLog}`);
      assert.match(cancelledLog, /SIGTERM: cancelling/);
      assert.match(cancelledLog, /^Result: Cancelled$/m);
      await waitFor('ffmpeg to be gone', () => !pidAlive(ffmpeg), 5_000);

      const [report] = await shardReports(proxies, 'day03', 1);
      const r = await readJson(report);
      assert.equal(r.status, 'CANCELLED');
      assert.deepEqual(
        r.clips.map((c) => [c.index, c.status]),
        [[1, 'CANCELLED']],
      );
      assert.match(r.clips[0].message ?? '', /the partial proxy was removed/);
      assert.deepEqual(
        (await fs.readdir(proxies)).filter((f) => f.endsWith('.mp4')),
        ['day03_c0_000.mp4'],
        'no partial proxy under a final name',
      );
      assert.deepEqual(await hiddenLeftovers(proxies), [], 'no temporary file or journal left');
      const m = await runCli(['report', 'merge', ...(await shardReports(proxies, 'day03'))]);
      assert.equal(m.code, 3, shown(m));
      assert.match(m.stdout, /^\[2\/2\] CANCELLED long\.mov/m);

      // Submitted again (with the real ffmpeg), the shard completes and the merge is green.
      const again = await sbatch(['--array=1', ARRAY], day03, jobEnv({ JOBSPEC: spec, N: '2' }));
      const done = await waitEnded([again]);
      const againLog = await log(day03, `proxies-${again}_1.out`);
      ended(byTask(done.get(again) ?? []).get(1), 'COMPLETED', '0:0', againLog);
      assert.match(againLog, /: 0 clips already complete, 1 to run$/m);
      const green = await runCli(['report', 'merge', ...(await shardReports(proxies, 'day03'))]);
      assert.equal(green.code, 0, shown(green));
      assert.deepEqual(await hiddenLeftovers(proxies), []);
    },
  );
});
