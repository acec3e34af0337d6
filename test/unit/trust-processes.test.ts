// Trust rule 5, with real processes and signals: no orphans, no stolen temporary files.
// - A command killed outright (SIGKILL: no handler runs) takes its ffmpeg with it within seconds,
//   with either guard (setpriv --pdeathsig, or the watchdog process, which must go too); so does
//   `jobspec watch DIR`.
// - SIGHUP (a closed terminal or ssh session) is handled like SIGTERM: exit 3, the report written
//   as CANCELLED, the temporary file removed, ffmpeg stopped.
// - A run in another PID namespace (a container on this host), whose pid is dead here, keeps its
//   temporary file while a run in this namespace cleans the same output folder.
// ffmpeg is the real one, paced at the clip's frame rate (test/fixtures/stand-in-ffmpeg-realtime.sh)
// so that it is mid-clip for seconds while using almost no CPU.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { RunResult } from '../../src/core/types';
import { runCli, shown, toolArgs, type CliResult } from './helpers/cli';
import { core } from './helpers/core';
import { standIn } from './helpers/executables';
import { durationOf, placeMedia } from './helpers/media';
import { childrenOf, killRecorded, pidAlive, readPid, waitFor } from './helpers/processes';
import { checkAftermath, LONG_THEN_SHORT, makeScene, type Scene } from './helpers/scene';
import { baseSpec, writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { leftovers, reportsIn, tempProxyWithData } from './helpers/tree';

const REALTIME = standIn('stand-in-ffmpeg-realtime.sh');
const GUARDS = ['pdeathsig', 'watchdog'] as const;
type GuardKind = (typeof GUARDS)[number];

function guardEnv(guard: GuardKind): NodeJS.ProcessEnv {
  return guard === 'watchdog' ? { JOBSPEC_CHILD_GUARD: 'watchdog' } : {};
}

interface MidClip {
  done: Promise<CliResult>;
  child: ChildProcess;
  ffmpegPid: number;
  tmp: string;
}

interface MidClipOptions {
  env?: NodeJS.ProcessEnv;
  detached?: boolean;
}

/** Start `args` with paced ffmpeg and return once ffmpeg is writing its temporary proxy in `out`. */
async function startMidClip(t: TestContext, args: string[], out: string, pidFile: string, opts: MidClipOptions = {}): Promise<MidClip> {
  let child: ChildProcess | undefined;
  const done = runCli([...args, ...toolArgs(REALTIME)], {
    env: { STANDIN_PIDFILE: pidFile, ...opts.env },
    detached: opts.detached,
    timeoutMs: 120_000,
    onSpawn: (c) => (child = c),
  });
  // Whatever happens, nothing this test started outlives it.
  t.after(() => killRecorded(pidFile));
  const tmp = await waitFor('ffmpeg writing a temporary proxy', () => tempProxyWithData(out), 60_000);
  const ffmpegPid = await readPid(pidFile);
  assert.ok(child?.pid, 'the command runs');
  return { done, child, ffmpegPid, tmp };
}

/** Start `jobspec execute` on a scene with paced ffmpeg (its pids recorded in the scene's folder), as startMidClip. */
function executeMidClip(t: TestContext, s: Scene, opts: MidClipOptions = {}): Promise<MidClip> {
  return startMidClip(t, ['execute', s.specFile], s.out, path.join(s.dir, 'ffmpeg.pids'), opts);
}

/** The command's children as the kernel sees them: ffmpeg itself, and the watchdog when that guard is used. */
function guardedChildren(cliPid: number, ffmpegPid: number, guard: GuardKind): { watchdogPid?: number } {
  const kids = childrenOf(cliPid);
  assert.ok(
    kids.some((k) => k.pid === ffmpegPid && k.comm === 'ffmpeg'),
    `ffmpeg (${ffmpegPid}) is a child of the command (${cliPid}) with nothing in between: ${JSON.stringify(kids)}`,
  );
  const nodes = kids.filter((k) => k.comm === 'node' || k.comm === 'MainThread');
  if (guard === 'pdeathsig') {
    assert.deepEqual(nodes, [], 'no watchdog process with setpriv --pdeathsig');
    return {};
  }
  assert.equal(nodes.length, 1, `one watchdog process: ${JSON.stringify(kids)}`);
  return { watchdogPid: nodes[0].pid };
}

/** SIGKILL the command and return how long its ffmpeg (and watchdog) took to go. */
async function killAndWatchChildrenGo(m: MidClip, watchdogPid: number | undefined): Promise<number> {
  m.child.kill('SIGKILL');
  const r = await m.done;
  assert.equal(r.signal, 'SIGKILL', shown(r));
  const t0 = Date.now();
  // "Within seconds": 10 s is generous on a loaded machine; paced ffmpeg has 15 s of clip left.
  await waitFor(`ffmpeg ${m.ffmpegPid} to die with the command that started it`, () => !pidAlive(m.ffmpegPid), 10_000);
  if (watchdogPid !== undefined) await waitFor(`the watchdog ${watchdogPid} to go`, () => !pidAlive(watchdogPid), 10_000);
  return Date.now() - t0;
}

describe('rule 5: a command killed outright takes its ffmpeg with it', () => {
  for (const guard of GUARDS) {
    test(`jobspec execute, SIGKILL mid-clip (guard: ${guard}): ffmpeg is gone within seconds${guard === 'watchdog' ? ', and the watchdog too' : ''}`, async (t) => {
      const s = await makeScene(t, { sources: [['A001.mov', 'long']], existing: false, spec: { overwrite: 'never' } });
      const m = await executeMidClip(t, s, { env: guardEnv(guard) });
      const { watchdogPid } = guardedChildren(m.child.pid ?? 0, m.ffmpegPid, guard);
      const ms = await killAndWatchChildrenGo(m, watchdogPid);
      t.diagnostic(`ffmpeg${watchdogPid ? ' and the watchdog' : ''} gone ${ms} ms after the command was killed`);
      // The killed run's leftover is no proxy: nothing under the final name.
      assert.equal(fs.existsSync(path.join(s.out, 'A001_proxy.mp4')), false);
    });
  }

  for (const guard of GUARDS) {
    test(`jobspec watch DIR, SIGKILL mid-run (guard: ${guard}): ffmpeg is gone within seconds${guard === 'watchdog' ? ', and the watchdog too' : ''}`, async (t) => {
      const dir = await tempDir(t, 'jobspec-trust-watch-');
      const watch = path.join(dir, 'watch');
      const out = path.join(dir, 'out');
      await fsp.mkdir(out);
      const source = await placeMedia(path.join(dir, 'media', 'A001.mov'), 'long');
      await writeSpec(
        path.join(watch, 'pending'),
        baseSpec({ job_id: 'watched', sources: [source], output_directory: out }),
        'a.jobspec.json',
      );
      const m = await startMidClip(t, ['watch', watch], out, path.join(dir, 'ffmpeg.pids'), { env: guardEnv(guard) });
      const { watchdogPid } = guardedChildren(m.child.pid ?? 0, m.ffmpegPid, guard);
      const ms = await killAndWatchChildrenGo(m, watchdogPid);
      t.diagnostic(`ffmpeg${watchdogPid ? ' and the watchdog' : ''} gone ${ms} ms after the watcher was killed`);
      assert.deepEqual(await fsp.readdir(path.join(watch, 'running')), ['a.jobspec.json'], 'the JobSpec was mid-run');
    });
  }
});

describe('rule 5: SIGHUP (a closed terminal or ssh session) is handled like SIGTERM', () => {
  test('SIGHUP to the command mid-clip: exit 3, the report written as CANCELLED, the temporary file removed, ffmpeg stopped', async (t) => {
    const s = await makeScene(t, { sources: LONG_THEN_SHORT, existing: 'unrelated' });
    const m = await executeMidClip(t, s);
    m.child.kill('SIGHUP');
    const r = await m.done;
    assert.equal(r.code, 3, shown(r));
    assert.equal(r.signal, null, shown(r));
    assert.match(r.stderr, /SIGHUP: cancelling/);
    assert.match(r.stdout, /Result: Cancelled/);
    // The run waited for its ffmpeg: it is gone when the command has exited.
    assert.equal(pidAlive(m.ffmpegPid), false, 'ffmpeg outlived the command');
    assert.equal(fs.existsSync(path.join(s.out, m.tmp)), false, 'the temporary proxy was removed');
    const [reportFile] = await reportsIn(s.out);
    assert.ok(reportFile, shown(r));
    const report = await core.readReport(reportFile);
    assert.equal(report.status, 'CANCELLED');
    assert.equal(report.exit_code, 3);
    assert.deepEqual(
      report.clips.map((c) => c.status),
      ['CANCELLED', 'NOT_RUN'],
    );
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /, 'no stack trace');
    await checkAftermath(s, report, r);
  });

  test('SIGHUP to the whole process group (ffmpeg gets it too): the run still ends CANCELLED with its report and nothing left', async (t) => {
    const s = await makeScene(t, { sources: LONG_THEN_SHORT, existing: 'unrelated' });
    const m = await executeMidClip(t, s, { detached: true });
    // A terminal hangs up its foreground job: every process of the group gets SIGHUP at once.
    process.kill(-(m.child.pid ?? 0), 'SIGHUP');
    const r = await m.done;
    assert.equal(r.code, 3, shown(r));
    assert.equal(pidAlive(m.ffmpegPid), false, 'ffmpeg outlived the command');
    const [reportFile] = await reportsIn(s.out);
    assert.ok(reportFile, shown(r));
    const report = await core.readReport(reportFile);
    assert.equal(report.status, 'CANCELLED');
    assert.equal(report.clips[1].status, 'NOT_RUN');
    // Which of the two saw the hang-up first decides how the clip reads; either way it is not kept.
    assert.ok(['CANCELLED', 'FAILED'].includes(report.clips[0].status), report.clips[0].status);
    assert.equal(report.clips[0].output_size, null);
    await checkAftermath(s, report, r);
  });
});

/** Why runs in a second PID namespace cannot be started here, or null. */
function unshareSkipReason(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  try {
    execFileSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { stdio: 'pipe', timeout: 10_000 });
    return null;
  } catch (err) {
    return `unshare --pid --fork --mount-proc fails here (${String((err as Error).message).split('\n')[0]}): needs root or CAP_SYS_ADMIN`;
  }
}

/** This process's PID namespace, as the kernel names it. */
function pidNamespace(): string {
  return /\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/pid'))?.[1] ?? '';
}

/**
 * A pid that no process of this namespace holds and that this namespace will not hand out for a long
 * while: a little behind the last one handed out, so the counter would have to go all the way round.
 */
function deadPidHere(): number {
  const last = Number(fs.readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'));
  const max = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  for (let p = last - 500; p > last - 5000; p--) {
    const pid = p > 300 ? p : max - (300 - p);
    if ([0, 1, 2, 3].every((d) => !pidAlive(pid + d))) return pid;
  }
  throw new Error('no free run of pids found');
}

const unshareSkip = unshareSkipReason();
if (unshareSkip) console.log(`PID namespace test skipped: ${unshareSkip}`);

describe('rule 5: no stolen temporary files across PID namespaces', { skip: unshareSkip ?? false }, () => {
  test('a run in another PID namespace, whose pid is dead here, keeps its temporary file while a run here cleans the folder, and completes', async (t) => {
    const dir = await tempDir(t, 'jobspec-trust-pidns-');
    const out = path.join(dir, 'out');
    await fsp.mkdir(out);
    const inner = await writeSpec(
      dir,
      baseSpec({
        job_id: 'inner',
        sources: [await placeMedia(path.join(dir, 'media', 'A001.mov'), 'long')],
        output_directory: out,
        naming_template: '{job_id}_{source_name}',
      }),
      'inner.jobspec.json',
    );
    const outer = await writeSpec(
      dir,
      baseSpec({
        job_id: 'outer',
        sources: [await placeMedia(path.join(dir, 'media', 'B001.mov'), 'clip')],
        output_directory: out,
        naming_template: '{job_id}_{source_name}',
      }),
      'outer.jobspec.json',
    );

    // The inner command gets a pid chosen to be dead in this namespace: the next pid of the new
    // namespace is set just below it (burning pids in a loop where that cannot be set).
    const target = deadPidHere();
    const script = [
      `echo ${target - 1} > /proc/sys/kernel/ns_last_pid 2>/dev/null ||`,
      `  while [ "$(cat /proc/sys/kernel/ns_last_pid)" -lt ${target - 1} ]; do :; done`,
      // Not exec, and not the last command (bash would exec that): the command must not be pid 1.
      '"$@"; status=$?; exit $status',
    ].join('\n');
    // No pid file here: pids of the inner namespace name other processes out here. --kill-child
    // ends the whole namespace (its pid 1, and so everything in it) when unshare is killed.
    let unshare: ChildProcess | undefined;
    const innerRun = runCli(['execute', inner, ...toolArgs(REALTIME)], {
      wrap: ['unshare', '--pid', '--fork', '--kill-child', '--mount-proc', 'bash', '-c', script, 'bash'],
      timeoutMs: 120_000,
      onSpawn: (c) => (unshare = c),
    });
    t.after(async () => {
      if (unshare?.exitCode === null && unshare.signalCode === null) unshare.kill('SIGKILL');
      await innerRun.catch(() => undefined);
    });
    const tmp = await waitFor('the inner run writing its temporary proxy', () => tempProxyWithData(out), 60_000);
    const [ns, pid] = /^\.jobspec-tmp-[0-9a-f]{8}-n(\d+)-(\d+)-/.exec(tmp)?.slice(1) ?? [];
    assert.ok(ns && pid, tmp);
    assert.notEqual(ns, pidNamespace(), 'the inner run is in another PID namespace');
    assert.ok(Number(pid) >= target && Number(pid) < target + 4, `the inner command got pid ${pid}, asked for ${target}`);
    assert.equal(pidAlive(Number(pid)), false, `pid ${pid} is dead in this namespace, so a pid check alone would call the run gone`);

    // Another job, from this namespace, into the same folder: it cleans up leftovers as it starts.
    const r = await runCli(['execute', outer, ...toolArgs()], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, shown(r));
    assert.doesNotMatch(r.stderr, /Removed \d+ temporary file/, shown(r));
    assert.ok(fs.existsSync(path.join(out, tmp)), 'the live inner run lost its temporary proxy');
    assert.ok((await leftovers(out)).includes(tmp));

    const ri = await innerRun;
    assert.equal(ri.code, 0, `the inner run completes\n${shown(ri)}`);
    const [innerReport] = (await reportsIn(out)).filter((f) => path.basename(f).startsWith('inner.'));
    const report: RunResult = await core.readReport(innerReport);
    assert.equal(report.status, 'COMPLETED');
    assert.equal(report.writer?.pidns, ns);
    const d = durationOf(path.join(out, 'inner_A001.mp4'));
    assert.ok(Math.abs(d - 20) < 0.5, `the inner proxy lasts ${d}s, its source 20s`);
    assert.deepEqual(await leftovers(out), []);
  });
});
