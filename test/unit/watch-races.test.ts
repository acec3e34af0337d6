// Watch folders under races (trust issue, rule 8): a JobSpec is taken only once complete and stable; a
// non-file entry is set aside and never hangs --once; a file that cannot be moved is reported once; a
// JobSpec deleted from running/ does not kill the watcher; two watchers never hold one folder; result
// files never go through a planted symlink. Real processes, real files, real mounts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { WatchEvent } from '../../src/core';
import { runCli, shown, toolArgs } from './helpers/cli';
import { core } from './helpers/core';
import { ensureCli } from './helpers/cli';
import { placeMedia, tools } from './helpers/media';
import { mountSkipReason } from './helpers/mounts';
import { pidAlive, waitFor } from './helpers/processes';
import { readWatchResult } from './helpers/results';
import { tempDir } from './helpers/tmp';

function jobspec(dir: string, jobId: string): string {
  return JSON.stringify(
    {
      job_id: jobId,
      sources: [path.join(dir, 'media', 'clip.mov')],
      output_directory: path.join(dir, 'out'),
      codec: 'h264',
      container: 'mp4',
      resolution: 'half',
      naming_template: '{job_id}_{source_name}',
    },
    null,
    2,
  );
}

async function scene(t: { after(fn: () => unknown): void }): Promise<{ dir: string; watch: string }> {
  const dir = await tempDir(t, 'jobspec-watch-race-');
  await placeMedia(path.join(dir, 'media', 'clip.mov'), 'clip');
  await fsp.mkdir(path.join(dir, 'out'));
  const watch = path.join(dir, 'w');
  for (const d of ['pending', 'running', 'completed', 'failed']) await fsp.mkdir(path.join(watch, d), { recursive: true });
  return { dir, watch };
}

const readResult = readWatchResult;

const ls = async (d: string): Promise<string[]> => (await fsp.readdir(d)).sort();

describe('watch folders under races', () => {
  test('a JobSpec copied in chunks over several seconds is taken only once it is complete', async (t) => {
    const { dir, watch } = await scene(t);
    const text = jobspec(dir, 'chunked');
    const file = path.join(watch, 'pending', 'slow.jobspec.json');
    // A second process copies it in five pieces, 800 ms apart: four seconds of a half-written file.
    const pieces = 5;
    const size = Math.ceil(text.length / pieces);
    const script = `
      const fs = require('fs');
      const text = ${JSON.stringify(text)};
      let i = 0;
      const step = () => {
        fs.appendFileSync(${JSON.stringify(file)}, text.slice(i * ${size}, (i + 1) * ${size}));
        if (++i < ${pieces}) setTimeout(step, 800); else fs.writeFileSync(${JSON.stringify(file + '.done')}, String(Date.now()));
      };
      step();`;
    const writer = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    t.after(() => writer.kill('SIGKILL'));
    // The copy has begun (the first piece is there) before the watcher looks: --once ends on an empty folder.
    await waitFor('the copy to begin', () => fs.existsSync(file), 30_000);
    const events: WatchEvent[] = [];
    let takenAt = 0;
    const code = await core.watchFolder(watch, {
      tools: await tools(),
      once: true,
      pollMs: 100,
      settleMs: 1500,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'taken') takenAt = Date.now();
      },
    });
    assert.equal(code, 0, JSON.stringify(events.filter((e) => e.type !== 'run')));
    const doneAt = Number(await fsp.readFile(file + '.done', 'utf8'));
    assert.ok(takenAt >= doneAt, `taken ${doneAt - takenAt} ms before the copy finished`);
    assert.deepEqual(await ls(path.join(watch, 'completed')), ['slow.jobspec.json', 'slow.result.json']);
    assert.equal((await readResult(path.join(watch, 'completed', 'slow.result.json'))).result?.status, 'COMPLETED');
  });

  test('a folder, a FIFO and a dangling link named *.jobspec.json are set aside with a reason; --once does not hang', async (t) => {
    const { dir, watch } = await scene(t);
    const pending = path.join(watch, 'pending');
    await fsp.mkdir(path.join(pending, 'a-folder.jobspec.json'));
    execFileSync('mkfifo', [path.join(pending, 'b-fifo.jobspec.json')]);
    await fsp.symlink(path.join(dir, 'nowhere.jobspec.json'), path.join(pending, 'c-dangling.jobspec.json'));
    await fsp.writeFile(path.join(pending, 'd-good.jobspec.json'), jobspec(dir, 'good'));
    // A FIFO opened for reading would block this command for ever: the time-out is the proof it was not.
    const r = await runCli(['watch', watch, '--once', ...toolArgs()], { timeoutMs: 60_000 });
    assert.equal(r.code, 2, shown(r));
    assert.deepEqual(await ls(pending), []);
    assert.deepEqual(await ls(path.join(watch, 'completed')), ['d-good.jobspec.json', 'd-good.result.json']);
    const failed = path.join(watch, 'failed');
    assert.ok((await fsp.lstat(path.join(failed, 'a-folder.jobspec.json'))).isDirectory());
    assert.ok((await fsp.lstat(path.join(failed, 'b-fifo.jobspec.json'))).isFIFO());
    assert.ok((await fsp.lstat(path.join(failed, 'c-dangling.jobspec.json'))).isSymbolicLink());
    assert.match((await readResult(path.join(failed, 'a-folder.result.json'))).reason ?? '', /is a folder, not a JobSpec file/);
    assert.match((await readResult(path.join(failed, 'b-fifo.result.json'))).reason ?? '', /is a FIFO \(named pipe\), not a JobSpec file/);
    assert.match((await readResult(path.join(failed, 'c-dangling.result.json'))).reason ?? '', /is a link that leads nowhere/);
    assert.match(r.stdout, /b-fifo\.jobspec\.json is a FIFO .*set aside without being opened/);
  });

  test('a JobSpec that cannot be moved (read-only pending/) is reported once, and --once ends', async (t) => {
    const skip = mountSkipReason();
    if (skip) return t.skip(skip);
    const { dir, watch } = await scene(t);
    const pending = path.join(watch, 'pending');
    await fsp.writeFile(path.join(pending, 'stuck.jobspec.json'), jobspec(dir, 'stuck'));
    // pending/ becomes a read-only bind of itself: even root cannot move a file out of it.
    execFileSync('mount', ['--bind', pending, pending]);
    execFileSync('mount', ['-o', 'remount,bind,ro', pending]);
    t.after(() => execFileSync('umount', ['-l', pending]));
    const r = await runCli(['watch', watch, '--once', ...toolArgs()], { timeoutMs: 60_000 });
    assert.equal(r.code, 2, shown(r));
    const reports = r.stderr.match(/stuck\.jobspec\.json cannot be moved from pending\/ to running\/ \((EXDEV|EROFS)\)/g) ?? [];
    assert.equal(reports.length, 1, `reported once, not retried:\n${shown(r)}`);
    assert.deepEqual(await ls(pending), ['stuck.jobspec.json']);
  });

  test('a JobSpec deleted from running/ while it runs does not stop the watcher: its result is filed, the next JobSpec runs', async (t) => {
    const { dir, watch } = await scene(t);
    await placeMedia(path.join(dir, 'media', 'long.mov'), 'medium');
    const first = JSON.parse(jobspec(dir, 'deleted')) as Record<string, unknown>;
    first.sources = [path.join(dir, 'media', 'long.mov')];
    await fsp.writeFile(path.join(watch, 'pending', 'a-first.jobspec.json'), JSON.stringify(first));
    await fsp.writeFile(path.join(watch, 'pending', 'b-second.jobspec.json'), jobspec(dir, 'second'));
    const events: WatchEvent[] = [];
    const code = await core.watchFolder(watch, {
      tools: await tools(),
      once: true,
      pollMs: 50,
      settleMs: 0,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'run' && e.name === 'a-first.jobspec.json' && e.event.type === 'clip-started') {
          fs.rmSync(path.join(watch, 'running', 'a-first.jobspec.json'));
        }
      },
    });
    assert.equal(code, 0);
    const problems = events.filter((e): e is Extract<WatchEvent, { type: 'problem' }> => e.type === 'problem');
    assert.equal(problems.length, 1);
    assert.match(
      problems[0].message,
      /a-first\.jobspec\.json: filed its result under completed\/ without the JobSpec: it was removed while it ran/,
    );
    assert.deepEqual(await ls(path.join(watch, 'completed')), ['a-first.result.json', 'b-second.jobspec.json', 'b-second.result.json']);
  });

  test('two watchers started together on a folder with a stale lock: exactly one takes it; the other says who holds it', async (t) => {
    const { watch } = await scene(t);
    const lock = path.join(watch, '.jobspec-watch.lock');
    const os = await import('node:os');
    const cli = ensureCli();
    for (let round = 0; round < 3; round++) {
      // The lock of a watcher that died (its pid is gone, its heartbeat stopped long ago).
      await fsp.writeFile(lock, JSON.stringify({ host: os.hostname(), pid: 2 ** 22 + 11, token: 'dead', started: 'long ago' }));
      const old = new Date(Date.now() - 3_600_000);
      await fsp.utimes(lock, old, old);
      const start = (): { child: ReturnType<typeof spawn>; out: Promise<{ code: number | null; stderr: string }> } => {
        const child = spawn(process.execPath, [cli, 'watch', watch, ...toolArgs()], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        return { child, out: new Promise((res) => child.on('close', (code) => res({ code, stderr }))) };
      };
      const a = start();
      const b = start();
      t.after(() => {
        a.child.kill('SIGKILL');
        b.child.kill('SIGKILL');
      });
      // One refuses at once; the other keeps watching.
      const loser = await Promise.race([a.out.then((r) => ({ who: a, r })), b.out.then((r) => ({ who: b, r }))]);
      const winner = loser.who === a ? b : a;
      assert.equal(loser.r.code, 4, loser.r.stderr);
      assert.match(loser.r.stderr, /is already watched by process \d+|was just taken by process \d+/);
      const held = JSON.parse(await fsp.readFile(lock, 'utf8')) as { pid: number };
      assert.equal(held.pid, winner.child.pid, 'the lock names the watcher that runs');
      assert.ok(pidAlive(winner.child.pid ?? -1));
      winner.child.kill('SIGTERM');
      await winner.out;
      await assert.rejects(fsp.stat(lock), 'the winner released its lock');
    }
  });

  test("a watcher whose lock is taken over stops taking JobSpecs, and never removes the other's lock", async (t) => {
    const { dir, watch } = await scene(t);
    const lock = path.join(watch, '.jobspec-watch.lock');
    const events: WatchEvent[] = [];
    const running = core.watchFolder(watch, { tools: await tools(), pollMs: 50, onEvent: (e) => events.push(e) });
    await waitFor('the watcher to start', () => events.some((e) => e.type === 'watch-started'));
    const other = JSON.stringify({ host: 'elsewhere', pid: 1, token: 'someone-else', started: 'now' }) + '\n';
    await fsp.writeFile(lock, other);
    const code = await running;
    assert.equal(code, 4);
    assert.ok(events.some((e) => e.type === 'watch-stopped' && e.reason === 'lock-lost'));
    assert.equal(await fsp.readFile(lock, 'utf8'), other, "the other watcher's lock is left as it is");
    await fsp.writeFile(path.join(watch, 'pending', 'late.jobspec.json'), jobspec(dir, 'late'));
    assert.deepEqual(await ls(path.join(watch, 'running')), []);
  });

  test('result files are created anew: a planted symlink where a result would go is never written through', async (t) => {
    const { dir, watch } = await scene(t);
    const outside = path.join(dir, 'outside.txt');
    await fsp.writeFile(outside, 'precious\n');
    for (const state of ['completed', 'failed']) await fsp.symlink(outside, path.join(watch, state, 'x.result.json'));
    await fsp.writeFile(path.join(watch, 'pending', 'x.jobspec.json'), jobspec(dir, 'planted'));
    const code = await core.watchFolder(watch, { tools: await tools(), once: true, pollMs: 50, settleMs: 0 });
    assert.equal(code, 0);
    assert.equal(await fsp.readFile(outside, 'utf8'), 'precious\n');
    assert.equal(await fsp.readlink(path.join(watch, 'completed', 'x.result.json')), outside);
    assert.deepEqual(await ls(path.join(watch, 'completed')), ['x.2.jobspec.json', 'x.2.result.json', 'x.result.json']);
    assert.equal((await readResult(path.join(watch, 'completed', 'x.2.result.json'))).state, 'completed');
  });
});
