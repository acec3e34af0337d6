// Trust rules 6, 9 and 10, through the command as users meet them:
// - 6: a run killed at clip k of N leaves a report of the k-1 clips done (INTERRUPTED on reading),
//   `--resume` and `--only-failed` run only the rest, two runs of one job started in the same second
//   each keep their own report, and proxies and reports are flushed before they get their names
//   and their folder after (seen in the system calls, with strace).
// - 9: `report merge` refuses reports of another plan, edited and truncated reports, names a
//   missing shard as missing, takes a retried shard's newest report and says so, and is green
//   once a shard's failed clip was fixed and re-run with --only-failed.
// - 10: `{index}` keeps the width the first run fixed after sources were appended past 1000.
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
import { placeMedia, type MediaKind } from './helpers/media';
import { killRecorded, pidAlive, waitFor } from './helpers/processes';
import { makeScene, type Scene } from './helpers/scene';
import { baseSpec, writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { leftovers, reportsIn, tempProxyWithData } from './helpers/tree';

const REALTIME = standIn('stand-in-ffmpeg-realtime.sh');

const statuses = (r: RunResult): string[] => r.clips.map((c) => c.status);

async function readJson(file: string): Promise<RunResult> {
  return JSON.parse(await fsp.readFile(file, 'utf8')) as RunResult;
}

/** Identity of a file: a proxy made again has another inode and time. */
async function identity(file: string): Promise<string> {
  const st = await fsp.stat(file);
  return `${st.ino}:${st.mtimeMs}:${st.size}`;
}

/**
 * Run `args` with paced ffmpeg and SIGKILL the command once its `k`th ffmpeg (1-based) is writing.
 * ffmpeg goes with it (the guard, proved in trust-processes); the test waits for that.
 */
async function killAtClip(t: TestContext, args: string[], out: string, k: number, pidFile: string): Promise<void> {
  let child: ChildProcess | undefined;
  const done = runCli([...args, ...toolArgs(REALTIME)], {
    env: { STANDIN_PIDFILE: pidFile },
    timeoutMs: 120_000,
    onSpawn: (c) => (child = c),
  });
  t.after(() => killRecorded(pidFile));
  const pids = (): number[] => (fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number) : []);
  // Clip k writing, and clip k-1 recorded as done (the next clip may start while the previous one is checked).
  const journaled = (): number =>
    fs
      .readdirSync(out)
      .filter((n) => n.endsWith('.journal.jsonl'))
      .reduce((sum, n) => sum + fs.readFileSync(path.join(out, n), 'utf8').split('\n').filter(Boolean).length, 0);
  await waitFor(
    `ffmpeg of clip ${k} writing`,
    async () => pids().length >= k && journaled() >= k - 1 && (await tempProxyWithData(out)),
    90_000,
  );
  assert.equal(pids().length, k, 'killed during clip k, not later');
  child?.kill('SIGKILL');
  const r = await done;
  assert.equal(r.signal, 'SIGKILL', shown(r));
  for (const pid of pids()) await waitFor(`ffmpeg ${pid} to go`, () => !pidAlive(pid), 15_000);
}

/** Five sources, the third a 20 s clip (the one the kill lands in), the others 1 s. */
async function fiveClipScene(t: TestContext): Promise<Scene> {
  const kinds: MediaKind[] = ['clip', 'clip-b', 'long', 'clip', 'clip-b'];
  return makeScene(t, {
    sources: kinds.map((k, i): [string, MediaKind] => [`A00${i}.mov`, k]),
    existing: false,
    spec: { job_id: 'day01', overwrite: 'never' },
  });
}

/** Kill the five-clip run during clip 3 and check what the killed run left: 2 done, an INTERRUPTED report. */
async function killedAtThird(t: TestContext, s: Scene): Promise<{ report: string; kept: Map<string, string> }> {
  await killAtClip(t, ['execute', s.specFile], s.out, 3, path.join(s.dir, 'ffmpeg.pids'));
  const reports = await reportsIn(s.out);
  assert.equal(reports.length, 1, 'the killed run left its report');
  assert.match(path.basename(reports[0]), /^day01\.\d{8}T\d{6}\.report\.json$/);
  const back = await core.readReport(reports[0]);
  assert.equal(back.status, 'INTERRUPTED');
  assert.equal(back.exit_code, 2);
  assert.deepEqual(statuses(back), ['COMPLETED', 'COMPLETED', 'NOT_RUN', 'NOT_RUN', 'NOT_RUN']);
  assert.match(back.clips[2].message ?? '', /interrupted/);
  const kept = new Map<string, string>();
  for (const c of back.clips.slice(0, 2)) {
    assert.equal((await fsp.stat(c.output)).size, c.output_size, 'the report has the size of the proxy on disk');
    kept.set(c.output, await identity(c.output));
  }
  assert.equal(fs.existsSync(back.clips[2].output), false, 'no partial proxy under a final name');
  return { report: reports[0], kept };
}

describe('rule 6: crash-safe records', () => {
  test('killed at clip 3 of 5: the report reads back INTERRUPTED with clips 1-2 done; --resume runs only clips 3-5 and ends COMPLETED', async (t) => {
    const s = await fiveClipScene(t);
    const { report, kept } = await killedAtThird(t, s);

    const r = await runCli(['execute', s.specFile, '--resume', ...toolArgs()], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, shown(r));
    assert.match(
      r.stdout,
      new RegExp(`Resuming from ${report.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: 2 clips already complete, 3 to run`),
    );
    assert.match(r.stderr, /Removed 1 temporary file\(s\) left in .* by an earlier run that was stopped/);
    const resumed = (await reportsIn(s.out)).filter((f) => f !== report);
    assert.equal(resumed.length, 1);
    assert.match(path.basename(resumed[0]), /^day01\.resume\.\d{8}T\d{6}\.report\.json$/);
    const rr = await core.readReport(resumed[0]);
    assert.equal(rr.status, 'COMPLETED');
    assert.deepEqual(statuses(rr), ['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
    assert.equal(rr.selection?.kind, 'resume');
    assert.equal(rr.selection?.previous_report, report);
    assert.deepEqual(rr.selection?.carried_over, [0, 1]);
    for (const c of rr.clips.slice(0, 2)) assert.match(c.message ?? '', /Completed in an earlier run/);
    for (const c of rr.clips.slice(2)) assert.ok(c.ffmpeg_args.length > 0, `clip ${c.index} ran`);
    // Carried over, not made again: the same files, untouched.
    for (const [file, id] of kept) assert.equal(await identity(file), id, `${file} was made again`);
    for (const c of rr.clips) assert.equal((await fsp.stat(c.output)).size, c.output_size);
    assert.deepEqual(await leftovers(s.out), []);
  });

  test('killed at clip 3 of 5: --only-failed with that report runs clips 3-5, keeps clips 1-2', async (t) => {
    const s = await fiveClipScene(t);
    const { report, kept } = await killedAtThird(t, s);
    const r = await runCli(['execute', s.specFile, '--only-failed', report, ...toolArgs()], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, shown(r));
    assert.match(r.stdout, /Re-running 3 clips that did not complete in /);
    const rerun = (await reportsIn(s.out)).filter((f) => f !== report);
    assert.equal(rerun.length, 1);
    const rr = await core.readReport(rerun[0]);
    assert.equal(rr.status, 'COMPLETED');
    assert.deepEqual(
      rr.clips.map((c) => [c.index, c.status]),
      [
        [2, 'COMPLETED'],
        [3, 'COMPLETED'],
        [4, 'COMPLETED'],
      ],
    );
    for (const [file, id] of kept) assert.equal(await identity(file), id, `${file} was made again`);
    assert.deepEqual(await leftovers(s.out), []);
  });

  test('a --resume that fails keeps reporting the clips it carried over as COMPLETED, and the next --resume still carries them', async (t) => {
    const s = await makeScene(t, {
      sources: [
        ['A000.mov', 'clip'],
        ['A001.mov', 'clip-b'],
        ['A002.mov', 'clip'],
      ],
      existing: false,
      spec: { job_id: 'carry', overwrite: 'never' },
    });
    const first = await runCli(['execute', s.specFile, ...toolArgs()], { timeoutMs: 90_000 });
    assert.equal(first.code, 0, shown(first));
    const [report1] = await reportsIn(s.out);
    const kept1 = await identity(path.join(s.out, 'A001_001.mp4'));
    const kept2 = await identity(path.join(s.out, 'A002_002.mp4'));
    // The first clip's proxy is lost and its source damaged: a resume runs it, it fails, and fail-fast
    // stops the run before the clips after it; they were complete all along.
    await fsp.rm(path.join(s.out, 'A000_000.mp4'));
    await placeMedia(s.sources[0], 'corrupt');
    const second = await runCli(['execute', s.specFile, '--resume', ...toolArgs()], { timeoutMs: 90_000 });
    assert.equal(second.code, 2, shown(second));
    const report2 = (await reportsIn(s.out)).find((f) => f !== report1) ?? '';
    const r2 = await core.readReport(report2);
    assert.deepEqual(statuses(r2), ['FAILED', 'COMPLETED', 'COMPLETED']);
    assert.doesNotMatch(second.stdout, /NOT_RUN A00[12]\.mov/);

    await placeMedia(s.sources[0], 'clip');
    const third = await runCli(['execute', s.specFile, '--resume', ...toolArgs()], { timeoutMs: 90_000 });
    assert.equal(third.code, 0, shown(third));
    assert.match(third.stdout, /2 clips already complete, 1 to run/);
    assert.equal(await identity(path.join(s.out, 'A001_001.mp4')), kept1);
    assert.equal(await identity(path.join(s.out, 'A002_002.mp4')), kept2);
  });

  test('two runs of one job started in the same second, overlapping: each keeps its own report (the second -2), both valid', async (t) => {
    const dir = await tempDir(t, 'jobspec-trust-same-second-');
    const out = path.join(dir, 'out');
    await fsp.mkdir(out);
    const source = await placeMedia(path.join(dir, 'media', 'A001.mov'), 'clip');
    const text = JSON.stringify(baseSpec({ job_id: 'twice', sources: [source], output_directory: out, overwrite: 'replace' }));
    // Each command reads its JobSpec from a FIFO: both are started and wait there, then both are let
    // go at once, early in a second. Should they still straddle a second boundary, try again.
    for (let attempt = 1; attempt <= 6; attempt++) {
      for (const f of await fsp.readdir(out)) await fsp.rm(path.join(out, f), { force: true });
      const fifos = ['a', 'b'].map((n) => path.join(dir, n, `try${attempt}.jobspec.json`));
      for (const f of fifos) {
        await fsp.mkdir(path.dirname(f), { recursive: true });
        execFileSync('mkfifo', [f]);
      }
      const runs: Promise<CliResult>[] = fifos.map((f) =>
        runCli(['execute', f, ...toolArgs(REALTIME)], { env: { STANDIN_PIDFILE: path.join(dir, 'ffmpeg.pids') }, timeoutMs: 90_000 }),
      );
      t.after(() => killRecorded(path.join(dir, 'ffmpeg.pids')));
      await waitFor('the start of a second', () => Date.now() % 1000 < 100, 5_000, 5);
      await Promise.all(fifos.map((f) => fsp.writeFile(f, text)));
      const [ra, rb] = await Promise.all(runs);
      assert.equal(ra.code, 0, shown(ra));
      assert.equal(rb.code, 0, shown(rb));
      const reports = await reportsIn(out);
      const stamps = new Set(reports.map((f) => /\.(\d{8}T\d{6})(-\d+)?\.report\.json$/.exec(f)?.[1]));
      if (stamps.size > 1) {
        t.diagnostic(`attempt ${attempt}: the two runs started in different seconds; trying again`);
        continue;
      }
      assert.equal(reports.length, 2, `each run kept its own report: ${reports.join(', ')}`);
      assert.deepEqual(
        reports.map((f) => path.basename(f).replace(/\d{8}T\d{6}/, 'STAMP')),
        ['twice.STAMP-2.report.json', 'twice.STAMP.report.json'],
      );
      const both = await Promise.all(reports.map((f) => core.readReport(f)));
      for (const [i, r] of both.entries()) {
        assert.equal(r.status, 'COMPLETED');
        assert.equal(r.report_path, reports[i], 'each report names itself');
      }
      assert.notEqual(both[0].writer?.pid, both[1].writer?.pid, 'two processes');
      // They ran at the same time.
      const [a, b] = both;
      assert.ok(a.started_at < b.finished_at && b.started_at < a.finished_at, 'the two runs overlapped');
      assert.deepEqual(
        (await fsp.readdir(out)).filter((n) => n.startsWith('.')),
        [],
        'no journal or temporary file left',
      );
      return;
    }
    assert.fail('six attempts never started the two runs in the same second');
  });

  const noStrace = (() => {
    try {
      execFileSync('strace', ['-V'], { stdio: 'pipe' });
      return null;
    } catch {
      return 'strace is not installed (apt-get install strace)';
    }
  })();
  if (noStrace) console.log(`fsync order test skipped: ${noStrace}`);

  test(
    'proxies and reports are flushed (fsync) before they get their names, and their folder after',
    { skip: noStrace ?? false },
    async (t) => {
      const s = await makeScene(t, { existing: false, spec: { overwrite: 'never' } });
      const traceFile = path.join(s.dir, 'trace.txt');
      const r = await runCli(['execute', s.specFile, ...toolArgs()], {
        wrap: ['strace', '-f', '-qq', '-y', '-e', 'trace=fsync,fdatasync,link,linkat,rename,renameat,renameat2', '-o', traceFile],
        timeoutMs: 120_000,
      });
      assert.equal(r.code, 0, shown(r));
      // Each call as it started, in order: its name, and the file it flushed or the two names it linked.
      const calls: { call: string; file?: string; from?: string; to?: string }[] = [];
      for (const line of (await fsp.readFile(traceFile, 'utf8')).split('\n')) {
        const f = /\b(fsync|fdatasync)\(\d+<([^>]+)>/.exec(line);
        if (f) calls.push({ call: f[1], file: f[2] });
        const l = /\b(link|linkat|rename|renameat|renameat2)\((?:AT_FDCWD, )?"([^"]+)", (?:AT_FDCWD, )?"([^"]+)"/.exec(line);
        if (l) calls.push({ call: l[1].replace(/at2?$/, ''), from: l[2], to: l[3] });
      }
      const proxy = path.join(s.out, 'A001_proxy.mp4');
      const [report] = await reportsIn(s.out);
      const named = (to: string, how: string): number[] => calls.flatMap((c, i) => (c.call === how && c.to === to ? [i] : []));
      const flushedBefore = (i: number): boolean => calls.slice(0, i).some((c) => c.call === 'fsync' && c.file === calls[i].from);
      const folderAfter = (i: number): boolean => calls.slice(i + 1).some((c) => c.call === 'fsync' && c.file === s.out);
      const shownCalls = calls.map((c) => `${c.call} ${c.file ?? `${c.from} -> ${c.to}`}`).join('\n');

      const proxyLink = named(proxy, 'link');
      assert.equal(proxyLink.length, 1, `the proxy is linked into place once\n${shownCalls}`);
      assert.match(path.basename(calls[proxyLink[0]].from ?? ''), /^\.jobspec-tmp-.*\.mp4$/);
      assert.ok(flushedBefore(proxyLink[0]), `the proxy was flushed before it got its name\n${shownCalls}`);
      assert.ok(folderAfter(proxyLink[0]), `the folder was flushed after the proxy got its name\n${shownCalls}`);

      // The report: reserved (linked) at the start, replaced (renamed) at the end, both flushed first.
      const reserved = named(report, 'link');
      const replaced = named(report, 'rename');
      assert.equal(reserved.length, 1, shownCalls);
      assert.equal(replaced.length, 1, shownCalls);
      for (const i of [...reserved, ...replaced]) {
        assert.ok(flushedBefore(i), `the report was flushed before it got its name\n${shownCalls}`);
        assert.ok(folderAfter(i), `the folder was flushed after the report got its name\n${shownCalls}`);
      }
      // The clip's result went to the journal, flushed, before the final report replaced the RUNNING one.
      const journal = core.report.journalPath(report);
      const journaled = calls.findIndex((c) => c.call === 'fdatasync' && c.file === journal);
      assert.ok(journaled >= 0 && journaled < replaced[0], `the journal was flushed before the final report\n${shownCalls}`);
    },
  );
});

/** A farm of two shards over four clips, all 1 s, in its own folder. */
async function farm(
  t: TestContext,
  kinds: MediaKind[] = ['clip', 'clip-b', 'clip', 'clip-b'],
): Promise<{ dir: string; out: string; spec: string; sources: string[] }> {
  const dir = await tempDir(t, 'jobspec-trust-merge-');
  const out = path.join(dir, 'out');
  await fsp.mkdir(out);
  const sources: string[] = [];
  for (const [i, k] of kinds.entries()) sources.push(await placeMedia(path.join(dir, 'media', `F00${i}.mov`), k));
  const spec = await writeSpec(dir, {
    job_id: 'farm',
    sources,
    output_directory: out,
    codec: 'h264',
    container: 'mp4',
    resolution: 'half',
    naming_template: '{job_id}_{source_name}_{index}',
  });
  return { dir, out, spec, sources };
}

async function shard(spec: string, k: string, extra: string[] = [], ffmpeg?: string): Promise<CliResult> {
  return runCli(['execute', spec, '--shard', k, ...extra, ...toolArgs(ffmpeg)], { timeoutMs: 90_000 });
}

const newReport = async (out: string, known: string[]): Promise<string> => {
  const added = (await reportsIn(out)).filter((f) => !known.includes(f));
  assert.equal(added.length, 1, `one new report: ${added.join(', ')}`);
  known.push(added[0]);
  return added[0];
};

describe('rule 9: report merge trusts nothing', () => {
  test('reports of another plan, an edited report and a truncated one are refused, each named', async (t) => {
    const f = await farm(t);
    const known: string[] = [];
    assert.equal((await shard(f.spec, '0/2')).code, 0);
    const r0 = await newReport(f.out, known);
    assert.equal((await shard(f.spec, '1/2')).code, 0);
    const r1 = await newReport(f.out, known);

    // The same job id over the same sources, but another JobSpec: quarter size, another folder.
    const otherOut = path.join(f.dir, 'out-other');
    await fsp.mkdir(otherOut);
    const other = await writeSpec(
      f.dir,
      { ...(JSON.parse(await fsp.readFile(f.spec, 'utf8')) as object), resolution: 'quarter', output_directory: otherOut },
      'other.jobspec.json',
    );
    assert.equal((await shard(other, '1/2')).code, 0);
    const [foreign] = await reportsIn(otherOut);
    const m1 = await runCli(['report', 'merge', r0, foreign]);
    assert.equal(m1.code, 1, shown(m1));
    assert.ok(m1.stderr.includes(foreign), `names the report from the other plan\n${shown(m1)}`);
    assert.match(m1.stderr, /belongs to another plan than/);

    // A status edited by hand: FAILED made to look COMPLETED is the dangerous direction; here one
    // clip of a completed shard is made FAILED, which a merge must not believe either.
    const edited = path.join(f.dir, 'edited.report.json');
    const doc = JSON.parse(await fsp.readFile(r1, 'utf8')) as RunResult;
    doc.clips[0].status = 'FAILED';
    await fsp.writeFile(edited, JSON.stringify(doc, null, 2) + '\n');
    const m2 = await runCli(['report', 'merge', r0, edited, '--json']);
    assert.equal(m2.code, 1, shown(m2));
    const e2 = JSON.parse(m2.stdout) as { error: string; code: string };
    assert.ok(e2.error.includes(edited), e2.error);
    assert.match(e2.error, /was changed after the run wrote it/);

    const truncated = path.join(f.dir, 'truncated.report.json');
    const whole = await fsp.readFile(r1);
    await fsp.writeFile(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    const m3 = await runCli(['report', 'merge', r0, truncated]);
    assert.equal(m3.code, 1, shown(m3));
    assert.ok(m3.stderr.includes(truncated), shown(m3));
    assert.match(m3.stderr, /is not valid JSON: it is truncated or damaged/);

    for (const m of [m1, m2, m3]) assert.doesNotMatch(m.stdout + m.stderr, /\n\s+at /, 'no stack trace');
    // Nothing merged was written for any of them.
    assert.deepEqual(
      (await fsp.readdir(f.out)).filter((n) => n.includes('.merged.')),
      [],
    );
  });

  test('a missing shard is named as missing, not as failed clips', async (t) => {
    const f = await farm(t);
    const known: string[] = [];
    assert.equal((await shard(f.spec, '0/3')).code, 0);
    const r0 = await newReport(f.out, known);
    assert.equal((await shard(f.spec, '2/3')).code, 0);
    const r2 = await newReport(f.out, known);
    const m = await runCli(['report', 'merge', r0, r2]);
    assert.notEqual(m.code, 0, shown(m));
    assert.match(m.stdout, /Shard 1\/3: MISSING \(no report given\)/);
    assert.match(m.stdout, /No report for shard 1 of 3 was given: that shard is missing/);
    assert.doesNotMatch(m.stdout, /clips? failed/i, 'no clip failed: a shard is missing');
    assert.match(m.stdout, /^Result: .*shard 1\/3 .*missing/im);
  });

  test("a shard retried after it was killed: its newest report is taken and named; a shard's failed clip fixed and re-run with --only-failed: the merge is green", async (t) => {
    // Shard 0 holds clips 0 and 2; clip 2 is damaged at first. Shard 1 holds clips 1 and 3; clip 3
    // is long, so that the first attempt of shard 1 can be killed in it.
    const f = await farm(t, ['clip', 'clip-b', 'corrupt', 'long']);
    const known: string[] = [];
    const s0 = await shard(f.spec, '0/2');
    assert.equal(s0.code, 2, shown(s0));
    const first0 = await newReport(f.out, known);
    await killAtClip(t, ['execute', f.spec, '--shard', '1/2'], f.out, 2, path.join(f.dir, 'ffmpeg.pids'));
    const killed1 = await newReport(f.out, known);
    assert.equal((await core.readReport(killed1)).status, 'INTERRUPTED');

    // Before anything is fixed, the merge tells the failed clip from the unfinished one.
    const early = await runCli(['report', 'merge', first0, killed1, '--json', '--out', path.join(f.dir, 'early.report.json')]);
    assert.equal(early.code, 2, shown(early));
    assert.deepEqual(statuses(JSON.parse(early.stdout) as RunResult), ['COMPLETED', 'COMPLETED', 'FAILED', 'NOT_RUN']);

    // The farm retries shard 1 (with --resume, as its command line always has), and clip 2 is fixed
    // and re-run from shard 0's report.
    const retry = await shard(f.spec, '1/2', ['--resume']);
    assert.equal(retry.code, 0, shown(retry));
    const retried1 = await newReport(f.out, known);
    await placeMedia(f.sources[2], 'clip');
    const fixed = await runCli(['execute', f.spec, '--only-failed', first0, ...toolArgs()], { timeoutMs: 90_000 });
    assert.equal(fixed.code, 0, shown(fixed));
    const rerun0 = await newReport(f.out, known);
    assert.match(path.basename(rerun0), /^farm\.shard-0-of-2\.rerun\.\d{8}T\d{6}(-\d+)?\.report\.json$/);

    const m = await runCli(['report', 'merge', ...known]);
    assert.equal(m.code, 0, shown(m));
    assert.match(m.stdout, /Result: All clips completed/);
    assert.ok(m.stdout.includes(`Shard 0/2: ${path.basename(first0)} + ${path.basename(rerun0)}`), shown(m));
    assert.ok(m.stdout.includes(`Shard 1/2: ${path.basename(retried1)}\n`), `the retry's report, not the killed attempt's\n${shown(m)}`);
    const merged = (await reportsIn(f.out)).filter((x) => !known.includes(x));
    assert.equal(merged.length, 1);
    const mr = await core.readReport(merged[0]);
    assert.equal(mr.status, 'COMPLETED');
    assert.deepEqual(statuses(mr), ['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
  });
});

describe('rule 10: {index} width is fixed once per job', () => {
  test("after sources are appended from 1000 to 1001, --only-failed and --resume keep the first run's 3-digit {index} and names", async (t) => {
    const dir = await tempDir(t, 'jobspec-trust-width-');
    const media = path.join(dir, 'media');
    const out = path.join(dir, 'out');
    await fsp.mkdir(media, { recursive: true });
    await fsp.mkdir(out);
    const name = (i: number): string => `s${String(i).padStart(4, '0')}.mov`;
    // Clips 0 and 1 are real; the rest are small files that are not media, so that a run stops at
    // the first of them (fail-fast) instead of encoding a thousand clips.
    await placeMedia(path.join(media, name(0)), 'clip');
    await placeMedia(path.join(media, name(1)), 'clip-b');
    for (let i = 2; i < 1001; i++) await fsp.writeFile(path.join(media, name(i)), `not media ${i}\n`);
    const spec = (count: number): Record<string, unknown> => ({
      job_id: 'wide',
      sources: Array.from({ length: count }, (_, i) => `media/${name(i)}`),
      output_directory: 'out',
      codec: 'h264',
      container: 'mp4',
      resolution: 'half',
      naming_template: '{source_name}_{index}',
    });
    const file = await writeSpec(dir, spec(1000), 'wide.jobspec.json');
    const first = await runCli(['execute', file, ...toolArgs()], { timeoutMs: 120_000 });
    assert.equal(first.code, 2, shown(first));
    const [report1] = await reportsIn(out);
    const r1 = await readJson(report1);
    assert.equal(r1.plan?.index_width, 3);
    assert.deepEqual(statuses(r1).slice(0, 4), ['COMPLETED', 'COMPLETED', 'FAILED', 'NOT_RUN']);

    // One more source: a fresh plan would now use 4 digits (s0000_0000.mp4).
    await writeSpec(dir, spec(1001), 'wide.jobspec.json');
    const appended = (await loaded(file)).spec;
    assert.equal(
      path.basename(core.planOutputs(appended, new Date())[2].output),
      's0002_0002.mp4',
      'the width a new job of 1001 sources gets',
    );
    // In the engine: a selection from the first run's report carries its width.
    const sel = await core.resolveSelection(appended, { onlyFailed: report1 });
    assert.equal(sel?.indexWidth, 3);
    assert.equal(path.basename(sel?.selection.all_clips[1000].output ?? ''), 's1000_1000.mp4');

    await placeMedia(path.join(media, name(2)), 'clip');
    const rerun = await runCli(['execute', file, '--only-failed', report1, ...toolArgs()], { timeoutMs: 120_000 });
    assert.equal(rerun.code, 2, `clip 3 still fails, the re-run is not refused\n${shown(rerun)}`);
    const report2 = (await reportsIn(out)).find((f) => f !== report1) ?? '';
    const r2 = await readJson(report2);
    assert.equal(r2.plan?.index_width, 3);
    assert.deepEqual(
      r2.clips.slice(0, 2).map((c) => [c.status, path.basename(c.output)]),
      [
        ['COMPLETED', 's0002_002.mp4'],
        ['FAILED', 's0003_003.mp4'],
      ],
    );
    const all = r2.selection?.all_clips ?? [];
    assert.equal(all.length, 1001);
    assert.deepEqual(
      [0, 999, 1000].map((i) => path.basename(all[i].output)),
      ['s0000_000.mp4', 's0999_999.mp4', 's1000_1000.mp4'],
    );

    const resume = await runCli(['execute', file, '--resume', ...toolArgs()], { timeoutMs: 120_000 });
    assert.equal(resume.code, 2, shown(resume));
    assert.match(resume.stdout, /3 clips already complete, 998 to run/);
    const report3 = (await reportsIn(out)).find((f) => f !== report1 && f !== report2) ?? '';
    const r3 = await readJson(report3);
    assert.equal(r3.plan?.index_width, 3);
    assert.deepEqual(statuses(r3).slice(0, 5), ['COMPLETED', 'COMPLETED', 'COMPLETED', 'FAILED', 'NOT_RUN']);
    assert.deepEqual(
      [0, 1, 2, 3, 1000].map((i) => path.basename(r3.clips[i].output)),
      ['s0000_000.mp4', 's0001_001.mp4', 's0002_002.mp4', 's0003_003.mp4', 's1000_1000.mp4'],
    );
    assert.deepEqual((await fsp.readdir(out)).filter((n) => n.endsWith('.mp4')).sort(), [
      's0000_000.mp4',
      's0001_001.mp4',
      's0002_002.mp4',
    ]);
  });
});

async function loaded(file: string): Promise<Extract<Awaited<ReturnType<typeof core.loadJobSpec>>, { ok: true }>> {
  const l = await core.loadJobSpec(file);
  assert.ok(l.ok, JSON.stringify(l.problems.slice(0, 3)));
  return l;
}
