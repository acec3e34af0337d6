// Issue #5, faults that strike while a clip is encoding. ffmpeg is the real one, paced with -re by
// test/fixtures/stand-in-ffmpeg-realtime.sh so that a 20 s clip takes 20 s of wall time and little
// CPU: the fault lands mid-clip on any machine. After each: a clear result, a report, no temporary
// or partial file, no existing output changed, every source byte-identical (sha256).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { runCli, shown, toolArgs, type CliResult } from './helpers/cli';
import { standIn } from './helpers/executables';
import { killRecorded, pidAlive, readPid } from './helpers/processes';
import {
  checkAftermath,
  EARLIER,
  LONG_THEN_SHORT,
  makeScene,
  MEDIUM_THEN_SHORT,
  runResult,
  type Scene,
  type SceneOptions,
} from './helpers/scene';
import { writeSpec } from './helpers/spec';
import type { Cleanup } from './helpers/tmp';
import { tempInProgress } from './helpers/tree';

const REALTIME = (): string => standIn('stand-in-ffmpeg-realtime.sh');

interface Started {
  s: Scene;
  child: ChildProcess;
  done: Promise<CliResult>;
  ffmpegPid: () => Promise<number>;
}

/** Make the scene, start `jobspec execute` on it with paced ffmpeg, and return once the first clip is encoding. */
async function startRun(t: Cleanup, scene: SceneOptions): Promise<Started> {
  const s = await makeScene(t, scene);
  const pidFile = path.join(s.dir, 'ffmpeg.pids');
  let child: ChildProcess | undefined;
  const done = runCli(['execute', s.specFile, '--json', ...toolArgs(REALTIME())], {
    env: { STANDIN_PIDFILE: pidFile },
    timeoutMs: 90_000,
    onSpawn: (c) => (child = c),
  });
  t.after(async () => {
    // Whatever happened, leave no process behind.
    await killRecorded(pidFile);
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  assert.ok(child, 'the command started');
  await tempInProgress(s.out);
  return { s, child, done, ffmpegPid: () => readPid(pidFile) };
}

// Paced ffmpeg mostly waits, so three at a time cost little CPU.
describe('faults mid-clip (real ffmpeg, paced)', { concurrency: 3 }, () => {
  test('ffmpeg killed with SIGKILL mid-clip: FAILED with the signal, partial file removed, fail-fast', async (t) => {
    const { s, done, ffmpegPid } = await startRun(t, { sources: LONG_THEN_SHORT });
    const pid = await ffmpegPid();
    process.kill(pid, 'SIGKILL');
    const r = await done;
    const result = runResult(r);
    assert.equal(r.code, 2, shown(r));
    assert.equal(result.status, 'FAILED');
    const [a, b] = result.clips;
    assert.equal(a.status, 'FAILED');
    assert.equal(a.signal, 'SIGKILL');
    assert.equal(a.exit_code, null);
    assert.match(a.message ?? '', /ffmpeg was killed by SIGKILL on A001\.mov/);
    assert.ok(a.elapsed_seconds < 15, 'the kill was noticed at once');
    assert.equal(b.status, 'NOT_RUN');
    assert.match(b.message ?? '', /an earlier clip failed/);
    await checkAftermath(s, result, r);
  });

  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    test(`the run cancelled with ${sig} mid-clip: exit 3, CANCELLED, ffmpeg stopped, partial file removed`, async (t) => {
      const { s, child, done, ffmpegPid } = await startRun(t, { sources: LONG_THEN_SHORT });
      const pid = await ffmpegPid();
      child.kill(sig);
      const r = await done;
      const result = runResult(r);
      assert.equal(r.code, 3, shown(r));
      assert.equal(result.status, 'CANCELLED');
      assert.deepEqual(
        result.clips.map((c) => c.status),
        ['CANCELLED', 'NOT_RUN'],
      );
      assert.match(result.clips[0].message ?? '', /Cancelled while encoding A001\.mov; the partial proxy was removed/);
      assert.equal(pidAlive(pid), false, 'ffmpeg is gone');
      await checkAftermath(s, result, r);
    });
  }

  test('an output that appears while its clip encodes (overwrite "never") is left untouched', async (t) => {
    const { s, done } = await startRun(t, { sources: [['A001.mov', 'medium']], existing: 'unrelated', spec: { overwrite: 'never' } });
    // Someone else's file lands at the output path meanwhile (a second machine on the same share).
    const theirs = path.join(s.out, 'A001_proxy.mp4');
    await fsp.writeFile(theirs, EARLIER);
    s.outBefore.set('A001_proxy.mp4', { kind: 'file', digest: createHash('sha256').update(EARLIER).digest('hex'), size: EARLIER.length });
    const r = await done;
    const result = runResult(r);
    assert.equal(r.code, 2, shown(r));
    assert.equal(result.clips[0].status, 'FAILED');
    assert.match(result.clips[0].message ?? '', /a file of that name appeared while the clip was encoding; it was left untouched/);
    await checkAftermath(s, result, r);
  });

  test('the JobSpec edited during the run: the run keeps the spec it loaded at the start', async (t) => {
    const { s, done } = await startRun(t, { sources: MEDIUM_THEN_SHORT, existing: 'unrelated' });
    // Another person saves a different JobSpec over it: other sources, folder, codec, names; then a broken one.
    await writeSpec(s.dir, {
      sources: ['media/other.mov'],
      output_directory: 'elsewhere',
      codec: 'prores_hq',
      container: 'mov',
      resolution: 'same',
      naming_template: 'X',
      overwrite: 'replace',
    });
    await fsp.writeFile(s.specFile, '{ "sources": [ broken');
    const r = await done;
    const result = runResult(r);
    assert.equal(r.code, 0, shown(r));
    assert.deepEqual(
      result.clips.map((c) => path.basename(c.output)),
      ['A001_000.mp4', 'A002_001.mp4'],
    );
    assert.ok(result.clips.every((c) => c.status === 'COMPLETED'));
    assert.equal(fs.existsSync(path.join(s.dir, 'elsewhere')), false);
    await checkAftermath(s, result, r, { allowAdded: ['A001_000.mp4', 'A002_001.mp4'] });
  });

  test('the JobSpec deleted during the run: the run finishes as loaded', async (t) => {
    const { s, done } = await startRun(t, { sources: MEDIUM_THEN_SHORT, existing: 'unrelated' });
    await fsp.rm(s.specFile);
    const r = await done;
    const result = runResult(r);
    assert.equal(r.code, 0, shown(r));
    assert.equal(result.status, 'COMPLETED');
    await checkAftermath(s, result, r, { allowAdded: ['A001_000.mp4', 'A002_001.mp4'] });
  });

  test('a source that disappears during the run (a card pulled): its clip FAILS by name, the finished proxy stays', async (t) => {
    const { s, done } = await startRun(t, { sources: MEDIUM_THEN_SHORT, existing: 'unrelated' });
    await fsp.rm(s.sources[1]);
    const r = await done;
    const result = runResult(r);
    assert.equal(r.code, 2, shown(r));
    assert.equal(result.status, 'PARTIAL');
    const [a, b] = result.clips;
    assert.equal(a.status, 'COMPLETED');
    assert.equal(b.status, 'FAILED');
    assert.match(b.message ?? '', /A002\.mov/);
    await checkAftermath(s, result, r, { allowAdded: ['A001_000.mp4'], touchedByTest: [s.sources[1]] });
  });
});
