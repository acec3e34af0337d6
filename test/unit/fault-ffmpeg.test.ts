// Issue #5, faults of ffmpeg itself, injected with stand-ins from test/fixtures/ (ffprobe stays
// real): a hang without output (the stall timeout, user-set and default), a hang that ignores
// SIGTERM, exit 0 with nothing written, exit 0 with garbage, half a file then exit 1, a broken
// ffmpeg, and no ffmpeg at all. After each: a clear result, a report, no temporary or partial file,
// no existing output changed, every source byte-identical (sha256), no stand-in process left.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { runCli, shown, toolArgs } from './helpers/cli';
import { core } from './helpers/core';
import { REAL_FFMPEG, REAL_FFPROBE, standIn } from './helpers/executables';
import { ROOT } from './helpers/paths';
import { pidAlive, readPid, waitFor } from './helpers/processes';
import { checkAftermath, makeScene, runResult } from './helpers/scene';
import { tempDir } from './helpers/tmp';
import { diffTrees, leftovers, snapshot } from './helpers/tree';

// The tests mostly wait (on stand-ins that sleep), so three at a time cost little CPU.
describe('ffmpeg faults (stand-ins)', { concurrency: 3 }, () => {
  test('ffmpeg hangs without output: the stall timeout the user set stops it, the clip FAILS, the process is gone', async (t) => {
    const s = await makeScene(t, {
      sources: [
        ['A001.mov', 'clip'],
        ['A002.mov', 'clip-b'],
      ],
    });
    const pidFile = path.join(s.dir, 'pids');
    const r = await runCli(['execute', s.specFile, '--json', '--stall-timeout', '2', ...toolArgs(standIn('stand-in-ffmpeg-hang.sh'))], {
      env: { STANDIN_PIDFILE: pidFile },
      timeoutMs: 30_000,
    });
    const result = runResult(r);
    assert.equal(r.code, 2, shown(r));
    assert.equal(result.status, 'FAILED');
    const [a, b] = result.clips;
    assert.equal(a.status, 'FAILED');
    assert.match(a.message ?? '', /no progress on A001\.mov for 2s and was stopped \(stall timeout\)/);
    assert.equal(a.signal, 'SIGTERM');
    assert.ok(a.elapsed_seconds >= 1.9 && a.elapsed_seconds < 10, `stopped after ${a.elapsed_seconds}s`);
    assert.equal(b.status, 'NOT_RUN', 'fail-fast: the next clip does not start');
    const pid = await readPid(pidFile);
    assert.equal(pidAlive(pid), false, `the hung stand-in (pid ${pid}) is still running`);
    await checkAftermath(s, result, r);
  });

  test('ffmpeg hangs and ignores SIGTERM: it is killed (SIGKILL) after the grace period', async (t) => {
    const s = await makeScene(t);
    const pidFile = path.join(s.dir, 'pids');
    const r = await runCli(
      ['execute', s.specFile, '--json', '--stall-timeout', '1', ...toolArgs(standIn('stand-in-ffmpeg-hang-ignore-term.sh'))],
      {
        env: { STANDIN_PIDFILE: pidFile },
        timeoutMs: 30_000,
      },
    );
    const result = runResult(r);
    assert.equal(r.code, 2, shown(r));
    const [a] = result.clips;
    assert.equal(a.status, 'FAILED');
    assert.equal(a.signal, 'SIGKILL');
    assert.match(a.message ?? '', /stall timeout/);
    assert.ok(a.elapsed_seconds < 15, `stopped after ${a.elapsed_seconds}s`);
    assert.equal(pidAlive(await readPid(pidFile)), false, 'the stand-in is gone');
    await checkAftermath(s, result, r);
  });

  test('the default stall timeout is sane: a silent ffmpeg is not stopped within seconds; a cancel stops it cleanly', async (t) => {
    const def = core.DEFAULT_STALL_TIMEOUT_SECONDS;
    assert.ok(def >= 30 && def <= 600, `default stall timeout ${def}s`);
    const pkg = JSON.parse(await fsp.readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { default: unknown; minimum?: number }> } };
    };
    const setting = pkg.contributes.configuration.properties['jobspec.stallTimeoutSeconds'];
    assert.equal(setting.default, def, 'the editor setting has the same default');
    assert.equal(setting.minimum, 0, 'the user can turn it off with 0');

    const s = await makeScene(t);
    const pidFile = path.join(s.dir, 'pids');
    let child: ChildProcess | undefined;
    const running = runCli(['execute', s.specFile, '--json', ...toolArgs(standIn('stand-in-ffmpeg-hang.sh'))], {
      env: { STANDIN_PIDFILE: pidFile },
      timeoutMs: 60_000,
      onSpawn: (c) => (child = c),
    });
    const pid = await readPid(pidFile);
    await new Promise((res) => setTimeout(res, 3000));
    assert.ok(pidAlive(pid), 'still waiting after 3 s with the default timeout');
    child?.kill('SIGINT');
    const r = await running;
    const result = runResult(r);
    assert.equal(r.code, 3, shown(r));
    assert.equal(result.status, 'CANCELLED');
    assert.equal(result.clips[0].status, 'CANCELLED');
    await waitFor('the hung stand-in to go', () => !pidAlive(pid), 10_000);
    await checkAftermath(s, result, r);
  });

  test('a stall timeout longer than a timer can hold (--stall-timeout 3000000, about 35 days) does not stop ffmpeg at once', async (t) => {
    // Node fires a setTimeout of more than 2^31-1 ms after 1 ms: every clip would FAIL as "stalled".
    const s = await makeScene(t, { existing: false });
    const r = await runCli(['execute', s.specFile, '--json', '--stall-timeout', '3000000', ...toolArgs()], { timeoutMs: 60_000 });
    const result = runResult(r);
    assert.equal(r.code, 0, shown(r));
    assert.equal(result.clips[0].status, 'COMPLETED');
    await checkAftermath(s, result, r, { allowAdded: ['A001_proxy.mp4'] });
  });

  test('the engine treats a stall timeout of Infinity as "wait forever" and NaN as the default, never as 1 ms', async (t) => {
    const c = core;
    const tools = await c.findTools({ ffmpegPath: REAL_FFMPEG, ffprobePath: REAL_FFPROBE });
    for (const stallTimeoutSeconds of [Infinity, NaN, 1e12]) {
      const s = await makeScene(t, { existing: false });
      const loaded = await c.loadJobSpec(s.specFile);
      assert.ok(loaded.ok, JSON.stringify(loaded.problems));
      const result = await c.runJob(loaded.spec, { tools, jobspecFile: s.specFile, stallTimeoutSeconds });
      assert.equal(result.clips[0].status, 'COMPLETED', `stallTimeoutSeconds ${stallTimeoutSeconds}: ${result.clips[0].message}`);
      assert.deepEqual(await leftovers(s.out), []);
    }
  });

  for (const bad of ['abc', '-1', '', ' ', '0x10', 'Infinity', '1e3']) {
    test(`--stall-timeout ${JSON.stringify(bad)} is refused before anything runs`, async (t) => {
      const s = await makeScene(t);
      const r = await runCli(['execute', s.specFile, `--stall-timeout=${bad}`, ...toolArgs()], { timeoutMs: 30_000 });
      assert.equal(r.code, 1, shown(r));
      assert.match(r.stderr, /--stall-timeout must be a number of seconds/);
      assert.deepEqual(diffTrees(s.outBefore, snapshot(s.out)), { added: [], removed: [], changed: [] });
    });
  }

  test('ffmpeg exits 0 but writes nothing: FAILED, no empty proxy is kept', async (t) => {
    const s = await makeScene(t);
    const r = await runCli(['execute', s.specFile, '--json', ...toolArgs(standIn('stand-in-ffmpeg-exit0-nothing.sh'))], {
      timeoutMs: 30_000,
    });
    const result = runResult(r);
    assert.equal(r.code, 2, shown(r));
    assert.equal(result.clips[0].status, 'FAILED');
    assert.equal(result.clips[0].exit_code, 0);
    assert.match(result.clips[0].message ?? '', /ffmpeg exited 0 but wrote nothing for A001\.mov; no proxy was kept/);
    await checkAftermath(s, result, r);
  });

  test('ffmpeg exits 0 after writing garbage: verification refuses it, nothing is kept', async (t) => {
    const s = await makeScene(t);
    const r = await runCli(['execute', s.specFile, '--json', ...toolArgs(standIn('stand-in-ffmpeg-exit0-garbage.sh'))], {
      timeoutMs: 30_000,
    });
    const result = runResult(r);
    assert.equal(r.code, 2, shown(r));
    assert.equal(result.clips[0].status, 'FAILED');
    assert.match(result.clips[0].message ?? '', /The proxy for A001\.mov failed verification.*It was not kept/s);
    await checkAftermath(s, result, r);
  });

  test('ffmpeg writes half a file then exits 1: FAILED with its stderr, the partial file is removed', async (t) => {
    const s = await makeScene(t, {
      sources: [
        ['A001.mov', 'clip'],
        ['A002.mov', 'clip-b'],
      ],
    });
    const r = await runCli(['execute', s.specFile, '--json', ...toolArgs(standIn('stand-in-ffmpeg-half-then-fail.sh'))], {
      timeoutMs: 30_000,
    });
    const result = runResult(r);
    assert.equal(r.code, 2, shown(r));
    const [a, b] = result.clips;
    assert.equal(a.status, 'FAILED');
    assert.equal(a.exit_code, 1);
    assert.match(a.message ?? '', /ffmpeg exited with code 1 on A001\.mov: stand-in: simulated encoder failure halfway/);
    assert.deepEqual(a.stderr_tail, ['[error] stand-in: simulated encoder failure halfway']);
    assert.equal(b.status, 'NOT_RUN');
    await checkAftermath(s, result, r);
  });

  test('ffmpeg that does not run (a broken install): exit 4 before anything is written', async (t) => {
    const s = await makeScene(t);
    const r = await runCli(['execute', s.specFile, ...toolArgs(standIn('stand-in-ffmpeg-broken.sh'))], { timeoutMs: 30_000 });
    assert.equal(r.code, 4, shown(r));
    assert.match(r.stderr, /ffmpeg at .*stand-in-ffmpeg-broken\.sh \(from the configured path\) does not run/);
    assert.deepEqual(diffTrees(s.outBefore, snapshot(s.out)), { added: [], removed: [], changed: [] });
  });

  test('ffmpeg missing at the configured path: exit 4, named, nothing written', async (t) => {
    const s = await makeScene(t);
    const r = await runCli(['execute', s.specFile, '--ffmpeg', '/nonexistent/bin/ffmpeg', '--ffprobe', REAL_FFPROBE], {
      timeoutMs: 30_000,
    });
    assert.equal(r.code, 4, shown(r));
    assert.match(r.stderr, /ffmpeg not found at \/nonexistent\/bin\/ffmpeg \(from the configured path\)/);
    assert.deepEqual(diffTrees(s.outBefore, snapshot(s.out)), { added: [], removed: [], changed: [] });
  });

  test('ffmpeg missing from PATH (no setting, no FFMPEG_PATH): exit 4 with how to install it, nothing written', async (t) => {
    const s = await makeScene(t);
    const emptyBin = await tempDir(t);
    const r = await runCli(['execute', s.specFile], { exactEnv: { PATH: emptyBin, HOME: s.dir }, timeoutMs: 30_000 });
    assert.equal(r.code, 4, shown(r));
    assert.match(r.stderr, /ffmpeg was not found on PATH\. Install ffmpeg/);
    assert.deepEqual(diffTrees(s.outBefore, snapshot(s.out)), { added: [], removed: [], changed: [] });
  });

  test('dry-run with a stand-in that would hang never starts it: nothing runs, nothing is written', async (t) => {
    const s = await makeScene(t);
    const pidFile = path.join(s.dir, 'pids');
    const r = await runCli(['dry-run', s.specFile, ...toolArgs(standIn('stand-in-ffmpeg-hang.sh'))], {
      env: { STANDIN_PIDFILE: pidFile },
      timeoutMs: 30_000,
    });
    assert.equal(r.code, 0, shown(r));
    assert.match(r.stdout, /Dry run: nothing was written/);
    assert.equal(fs.existsSync(pidFile), false, 'ffmpeg was started by a dry run');
    assert.deepEqual(diffTrees(s.outBefore, snapshot(s.out)), { added: [], removed: [], changed: [] });
  });
});
