// Trust rule 4: a source that changes during its encode fails that clip, with a message that says
// how, and nothing is kept. The sources are transport streams (AVCHD's .MTS/.m2ts), which state no
// duration, so nothing in the file itself says it is incomplete. ffmpeg is the real one, paced at
// the clip's own rate by test/fixtures/stand-in-ffmpeg-realtime.sh, so the change lands mid-clip on
// a loaded machine too: a copy from the card still running (another process appends the rest), a
// truncation, a replacement by rename. A clip that does not change completes, also on an exFAT card
// whose FUSE driver gives a file a new inode number once the kernel has forgotten it. The runner holds
// each source open from before its probe to the end of its encode, and closes it then.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { runCli, shown, toolArgs, type CliResult } from './helpers/cli';
import { standIn } from './helpers/executables';
import { makeClip } from './helpers/media';
import { core } from './helpers/core';
import { killRecorded, waitFor } from './helpers/processes';
import { checkAftermath, makeScene, runResult, type Scene } from './helpers/scene';
import { baseSpec, writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { REPORT_RE, tempInProgress } from './helpers/tree';
import { exfatSkipReason, forgetInodes, mountExfat, skipped } from './helpers/volumes';

const TS_PACKET = 188;

/** `execute --json` with the paced ffmpeg; resolves when the run ends. */
function startRun(t: { after(fn: () => unknown): void }, s: Pick<Scene, 'dir' | 'specFile'>, extra: string[] = []): Promise<CliResult> {
  const pidFile = path.join(s.dir, 'ffmpeg.pids');
  t.after(() => killRecorded(pidFile));
  return runCli(['execute', s.specFile, '--json', ...extra, ...toolArgs(standIn('stand-in-ffmpeg-realtime.sh'))], {
    env: { STANDIN_PIDFILE: pidFile },
    timeoutMs: 90_000,
  });
}

/** `bytes` appended to `file` by another process (cat), as a copy from a card does. */
function appendByAnotherProcess(file: string, from: string): Promise<void> {
  const fd = fs.openSync(file, 'a');
  return new Promise((resolve, reject) => {
    const cat = spawn('cat', [from], { stdio: ['ignore', fd, 'pipe'] });
    cat.on('error', reject);
    cat.on('close', (code) => {
      fs.closeSync(fd);
      if (code === 0) resolve();
      else reject(new Error(`cat ${from} >> ${file} exited ${code}`));
    });
  });
}

/** The clip of `name` FAILED for the change, nothing kept for it, the report written. */
async function failedOnChange(s: Scene, r: CliResult, change: RegExp, name = '00001.MTS', allowAdded: string[] = []): Promise<void> {
  const result = runResult(r);
  assert.equal(r.code, 2, shown(r));
  const c = result.clips.find((x) => path.basename(x.source) === name);
  assert.ok(c, shown(r));
  assert.equal(c.status, 'FAILED', shown(r));
  assert.ok(c.message?.startsWith(`The source ${name} changed while its proxy was made: `), c.message);
  assert.match(c.message ?? '', change);
  assert.match(c.message ?? '', /Once the clip is complete and in place, re-run it; the proxy was not kept\.$/);
  assert.equal(c.output_size, null);
  // No proxy under its final name, no temporary file, the report written; the sources are the test's.
  await checkAftermath(s, result, r, { touchedByTest: s.sources, allowAdded });
}

describe('rule 4: a source that changes during its encode (MTS, paced ffmpeg)', { concurrency: 3 }, () => {
  test('still being copied: the first half is there when the clip starts, another process appends the rest: FAILED "it grew"', async (t) => {
    const s = await makeScene(t, { sources: [['00001.MTS', { container: 'mpegts', seconds: 6 }]], existing: 'unrelated' });
    const src = s.sources[0];
    const whole = await fsp.readFile(src);
    const half = Math.floor(whole.length / 2 / TS_PACKET) * TS_PACKET;
    const rest = path.join(s.dir, 'rest.bin');
    await fsp.writeFile(rest, whole.subarray(half));
    await fsp.truncate(src, half);
    const done = startRun(t, s);
    await tempInProgress(s.out);
    await appendByAnotherProcess(src, rest);
    await failedOnChange(s, await done, new RegExp(`it grew from ${half} to ${whole.length} bytes`));
  });

  test('truncated mid-clip (with --no-verify, which keeps this check): FAILED "it shrank"', async (t) => {
    const s = await makeScene(t, { sources: [['00001.MTS', { container: 'mpegts', seconds: 4 }]], existing: 'unrelated' });
    const src = s.sources[0];
    const size = (await fsp.stat(src)).size;
    const third = Math.floor(size / 3 / TS_PACKET) * TS_PACKET;
    const done = startRun(t, s, ['--no-verify']);
    await tempInProgress(s.out);
    await fsp.truncate(src, third);
    await failedOnChange(s, await done, new RegExp(`it shrank from ${size} to ${third} bytes`));
  });

  test('replaced by rename mid-clip (ffmpeg goes on reading the old file to its end): FAILED "it was replaced"', async (t) => {
    const s = await makeScene(t, { sources: [['00001.MTS', { container: 'mpegts', seconds: 4 }]], existing: 'unrelated' });
    const src = s.sources[0];
    const other = await makeClip(path.dirname(src), '.00001.MTS.part', { container: 'mpegts', seconds: 4, frequency: 880 });
    const done = startRun(t, s);
    await tempInProgress(s.out);
    await fsp.rename(other, src);
    await failedOnChange(s, await done, /: it was replaced by another file\./);
  });

  test('removed after its probe, before its turn (a card taken out): FAILED "it was removed", not only ffmpeg\'s "No such file"', async (t) => {
    const s = await makeScene(t, {
      sources: [
        ['00001.MTS', { container: 'mpegts', seconds: 3 }],
        ['00002.MTS', { container: 'mpegts', seconds: 1, frequency: 880 }],
      ],
      spec: { naming_template: '{source_name}' },
      existing: 'unrelated',
    });
    const done = startRun(t, s);
    // The second clip is probed while the first encodes; it goes before its own encode starts.
    await tempInProgress(s.out);
    await fsp.rm(s.sources[1]);
    const r = await done;
    await failedOnChange(s, r, /: it was removed or renamed\./, '00002.MTS', ['00001.mp4']);
    assert.equal(runResult(r).clips[0].status, 'COMPLETED');
  });

  test('a transport stream that does not change completes', async (t) => {
    const s = await makeScene(t, { sources: [['00001.MTS', { container: 'mpegts', seconds: 2 }]], existing: 'unrelated' });
    const r = await startRun(t, s);
    const result = runResult(r);
    assert.equal(r.code, 0, shown(r));
    assert.equal(result.clips[0].status, 'COMPLETED');
    await checkAftermath(s, result, r, { allowAdded: ['00001_proxy.mp4'] });
  });

  test('a source is held open only while its clip needs it: all are closed when the run ends, also one probed ahead for a clip that never ran', async (t) => {
    const s = await makeScene(t, {
      sources: [
        ['00001.MTS', { container: 'mpegts', seconds: 4 }],
        ['00002.MTS', { container: 'mpegts', seconds: 1, frequency: 880 }],
      ],
      existing: 'unrelated',
    });
    const loaded = await core.loadJobSpec(s.specFile);
    assert.ok(loaded.ok, JSON.stringify(loaded.problems));
    const paced = await core.findTools({ ffmpegPath: standIn('stand-in-ffmpeg-realtime.sh'), env: process.env });
    /** The sources this process has open. */
    const held = (): string[] =>
      fs
        .readdirSync('/proc/self/fd')
        .map((fd) => {
          try {
            return fs.readlinkSync(path.join('/proc/self/fd', fd));
          } catch {
            return '';
          }
        })
        .filter((target) => s.sources.includes(target))
        .sort();
    const controller = new AbortController();
    const run = core.runJob(loaded.spec, { tools: paced, jobspecFile: s.specFile, signal: controller.signal });
    await tempInProgress(s.out);
    // The second clip is probed (and held) while the first encodes.
    await waitFor('both sources held', () => held().length === 2);
    controller.abort();
    const result = await run;
    assert.deepEqual(
      result.clips.map((c) => c.status),
      ['CANCELLED', 'NOT_RUN'],
    );
    assert.deepEqual(held(), []);
  });

  test('MTS clips on an exFAT card whose inode numbers change when the kernel forgets them (memory pressure): not a change, both complete', async (t) => {
    if (skipped(t, exfatSkipReason())) return;
    const card = mountExfat(t);
    const dcim = path.join(card.root, 'PRIVATE', 'AVCHD', 'BDMV', 'STREAM');
    await makeClip(dcim, '00001.MTS', { container: 'mpegts', seconds: 4 });
    await makeClip(dcim, '00002.MTS', { container: 'mpegts', seconds: 1, frequency: 880 });
    // The premise: this FUSE driver numbers a file anew once the kernel forgets it (no file open).
    const second = path.join(dcim, '00002.MTS');
    const ino = fs.statSync(second).ino;
    const cannot = forgetInodes();
    if (skipped(t, cannot)) return;
    if (fs.statSync(second).ino === ino) {
      t.skip(`this exFAT driver kept inode ${ino} for ${second} after the kernel forgot it: the case cannot arise here`);
      return;
    }
    const dir = await tempDir(t, 'jobspec-trust-');
    const out = path.join(dir, 'out');
    await fsp.mkdir(out);
    const specFile = await writeSpec(dir, baseSpec({ sources: [path.join(dcim, '00001.MTS'), second], naming_template: '{source_name}' }));
    const done = startRun(t, { dir, specFile });
    // While the first clip encodes, the second has been probed and waits: forget, again and again.
    await tempInProgress(out);
    let finished = false;
    void done.finally(() => (finished = true));
    let forgotten = 0;
    while (!finished) {
      assert.equal(forgetInodes(), null);
      forgotten++;
      await new Promise((r) => setTimeout(r, 400));
    }
    const r = await done;
    const result = runResult(r);
    assert.equal(r.code, 0, `${shown(r)}\n(inodes forgotten ${forgotten} times)`);
    assert.deepEqual(
      result.clips.map((c) => c.status),
      ['COMPLETED', 'COMPLETED'],
    );
    assert.ok(forgotten >= 2, `forgotten ${forgotten} times`);
    assert.deepEqual(
      fs.readdirSync(out).filter((n) => !REPORT_RE.test(n)),
      ['00001.mp4', '00002.mp4'],
    );
  });
});
