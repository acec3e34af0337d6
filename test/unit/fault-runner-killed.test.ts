// Issue #5, the runner process itself killed (SIGKILL: no handler runs, nothing is cleaned up)
// while ffmpeg writes a temporary proxy. The next run must find the leftover, remove it, say so,
// never mistake it for a proxy, and leave alone the temporary files of runs that are still alive
// (this host or another one on a shared folder).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { RunResult } from '../../src/core/types';
import { runCli, shown, toolArgs } from './helpers/cli';
import { core } from './helpers/core';
import { standIn } from './helpers/executables';
import { durationOf } from './helpers/media';
import { killRecorded, pidAlive, readPid, waitFor } from './helpers/processes';
import { checkAftermath, makeScene, runResult } from './helpers/scene';
import { leftovers, reportsIn, sha256, snapshot, TEMP_PROXY_RE } from './helpers/tree';

/** Start a run on a 20 s clip with paced ffmpeg, wait until its temporary proxy holds data, SIGKILL the runner and ffmpeg. */
async function killRunnerMidClip(t: { after(fn: () => unknown): void }, specFile: string, out: string, dir: string): Promise<string> {
  const pidFile = path.join(dir, 'ffmpeg.pids');
  let child: ChildProcess | undefined;
  const done = runCli(['execute', specFile, ...toolArgs(standIn('stand-in-ffmpeg-realtime.sh'))], {
    env: { STANDIN_PIDFILE: pidFile },
    timeoutMs: 90_000,
    onSpawn: (c) => (child = c),
  });
  t.after(async () => {
    await killRecorded(pidFile);
  });
  const tmp = await waitFor(
    'a temporary proxy with data in it',
    async () => {
      for (const n of await leftovers(out))
        if (TEMP_PROXY_RE.test(n) && (await fsp.stat(path.join(out, n)).catch(() => null))?.size) return n;
      return undefined;
    },
    30_000,
  );
  const ffmpegPid = await readPid(pidFile);
  // The runner first, as a crash or the OOM killer would; then its orphaned ffmpeg (a reboot, say).
  child?.kill('SIGKILL');
  const r = await done;
  assert.equal(r.signal, 'SIGKILL', shown(r));
  process.kill(ffmpegPid, 'SIGKILL');
  await waitFor('ffmpeg to go', () => !pidAlive(ffmpegPid), 10_000);
  return tmp;
}

describe('the runner killed mid-clip', () => {
  test('the next run removes the leftover temporary file, says so, and makes the real proxy', async (t) => {
    const s = await makeScene(t, { sources: [['A001.mov', 'long']], existing: 'unrelated', spec: { overwrite: 'never' } });
    const tmp = await killRunnerMidClip(t, s.specFile, s.out, s.dir);

    // What the killed run left: its temporary file, its report as far as it got (it reads back as
    // INTERRUPTED, its one clip unfinished), and nothing that looks like a proxy.
    assert.deepEqual(await leftovers(s.out), [tmp]);
    assert.equal(fs.existsSync(path.join(s.out, 'A001_proxy.mp4')), false, 'a partial proxy under the real name');
    const killed = await reportsIn(s.out);
    assert.equal(killed.length, 1, 'the killed run left its report');
    const interrupted = await core.readReport(killed[0]);
    assert.equal(interrupted.status, 'INTERRUPTED');
    assert.deepEqual(
      interrupted.clips.map((c) => c.status),
      ['NOT_RUN'],
    );
    assert.match(interrupted.clips[0].message ?? '', /interrupted/);
    s.outBefore = snapshot(s.out, (rel) => rel === tmp);

    // A validation in the meantime neither complains about nor touches it.
    const v = await runCli(['validate', s.specFile], { timeoutMs: 30_000 });
    assert.equal(v.code, 0, shown(v));
    assert.deepEqual(await leftovers(s.out), [tmp]);

    const r = await runCli(['execute', s.specFile, ...toolArgs()], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, shown(r));
    assert.match(
      r.stderr,
      new RegExp(
        `Removed 1 temporary file\\(s\\) left in ${s.out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} by an earlier run that was stopped: ${tmp.replace(/\./g, '\\.')}`,
      ),
    );
    const reports = (await reportsIn(s.out)).filter((f) => f !== killed[0]);
    assert.equal(reports.length, 1);
    const report = JSON.parse(await fsp.readFile(reports[0], 'utf8')) as RunResult;
    assert.equal(report.status, 'COMPLETED');
    assert.equal(report.clips[0].output, path.join(s.out, 'A001_proxy.mp4'));
    assert.ok(!JSON.stringify(report).includes(tmp), 'the report never names the leftover');
    // The proxy is the whole clip, made by this run, not the leftover renamed.
    const d = durationOf(path.join(s.out, 'A001_proxy.mp4'));
    assert.ok(Math.abs(d - 20) < 0.5, `proxy lasts ${d}s, the source 20s`);
    await checkAftermath(s, report, r, { allowAdded: ['A001_proxy.mp4'] });
  });

  test('with overwrite "skip" and --json, the leftover is still no proxy: the clip runs (not SKIPPED) and the notice reaches stderr', async (t) => {
    const s = await makeScene(t, { sources: [['A001.mov', 'long']], existing: 'unrelated', spec: { overwrite: 'skip' } });
    const tmp = await killRunnerMidClip(t, s.specFile, s.out, s.dir);
    s.outBefore = snapshot(s.out, (rel) => rel === tmp);
    const r = await runCli(['execute', s.specFile, '--json', ...toolArgs()], { timeoutMs: 90_000 });
    const result = runResult(r);
    assert.equal(r.code, 0, shown(r));
    assert.equal(result.clips[0].status, 'COMPLETED');
    assert.match(r.stderr, new RegExp(`Removed 1 temporary file\\(s\\) .*${tmp.replace(/\./g, '\\.')}`));
    await checkAftermath(s, result, r, { allowAdded: ['A001_proxy.mp4'] });
  });

  test('temporary files of live runs, of other hosts, and files that only look alike are left alone', async (t) => {
    const s = await makeScene(t, { existing: 'unrelated', spec: { overwrite: 'never' } });
    const { tempName } = core.temp;
    const mine = tempName('mp4'); // this host, this (live) test process
    const [host, ns, pid] = /^\.jobspec-tmp-([0-9a-f]{8})-n(\d+)-(\d+)-/.exec(mine)?.slice(1) ?? [];
    assert.ok(host && ns && pid);
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    t.after(() => sleeper.kill('SIGKILL'));
    const dead = spawn('true', [], { stdio: 'ignore' });
    await new Promise((res) => dead.on('exit', res));
    assert.ok(sleeper.pid && dead.pid);
    const otherHost = host === 'deadbeef' ? 'feedface' : 'deadbeef';
    const otherNs = ns === '1' ? '2' : '1';
    const names = {
      liveRun: `.jobspec-tmp-${host}-n${ns}-${sleeper.pid}-0123456789ab.mp4`,
      otherHost: `.jobspec-tmp-${otherHost}-n${ns}-${dead.pid}-0123456789ab.mp4`,
      lookalike: '.jobspec-tmp-notes.txt',
      // A run in another PID namespace (a container on this host): its pid means nothing here, so a
      // file it keeps fresh stays, whatever that pid names in this namespace; one gone stale goes.
      otherNsFresh: `.jobspec-tmp-${host}-n${otherNs}-${dead.pid}-0123456789ab.mp4`,
      otherNsStale: `.jobspec-tmp-${host}-n${otherNs}-${sleeper.pid}-0123456789ac.mp4`,
      deadRun: `.jobspec-tmp-${host}-n${ns}-${dead.pid}-0123456789ab.mp4`,
      deadReport: `.jobspec-tmp-${host}-n${ns}-${dead.pid}-ba9876543210.report.tmp`,
    };
    for (const n of Object.values(names)) await fsp.writeFile(path.join(s.out, n), `leftover ${n}\n`);
    const old = new Date(Date.now() - 120_000);
    await fsp.utimes(path.join(s.out, names.otherNsStale), old, old);
    const keep = [names.liveRun, names.otherHost, names.lookalike, names.otherNsFresh];
    const before = new Map(await Promise.all(keep.map(async (n) => [n, await sha256(path.join(s.out, n))] as const)));

    const r = await runCli(['execute', s.specFile, ...toolArgs()], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, shown(r));
    assert.match(r.stderr, /Removed 3 temporary file\(s\)/);
    assert.ok(r.stderr.includes(names.deadRun) && r.stderr.includes(names.deadReport) && r.stderr.includes(names.otherNsStale), r.stderr);
    const left = (await fsp.readdir(s.out)).filter((n) => n.startsWith('.jobspec-tmp-')).sort();
    assert.deepEqual(left, [...keep].sort());
    for (const [n, h] of before) assert.equal(await sha256(path.join(s.out, n)), h, `${n} changed`);
    assert.ok(pidAlive(sleeper.pid));
  });
});
