// Watch folders: `jobspec watch DIR --once` takes JobSpecs from DIR/pending, runs them, and files
// each in completed/ or failed/ with <name>.result.json; a leftover in running/ goes to failed/.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { WatchOutcome } from '../../src/core';
import { runCli, shown } from './helpers/cli';
import { core } from './helpers/core';
import { makeClip, makeCorrupt, probe, tools, videoStream } from './helpers/media';
import { readWatchResult } from './helpers/results';
import { tempDir } from './helpers/tmp';

let dir: string;
let media: string;

before(async () => {
  dir = await tempDir(undefined, 'jobspec-watch-');
  media = path.join(dir, 'media');
  await makeClip(media, 'good.mov', { seconds: 0.4 });
  await makeCorrupt(media, 'bad.mov');
});

function jobspec(source: string, out: string, jobId: string): string {
  return JSON.stringify(
    {
      job_id: jobId,
      sources: [source],
      output_directory: out,
      codec: 'prores_proxy',
      container: 'mov',
      resolution: 'half',
      naming_template: '{source_name}_proxy',
    },
    null,
    2,
  );
}

const readResult = readWatchResult;

describe('jobspec watch DIR --once', () => {
  test('a good and a failing JobSpec land in completed/ and failed/ with results; a leftover in running/ goes to failed/', async () => {
    const watch = path.join(dir, 'w1');
    const out = path.join(dir, 'out1');
    await fs.mkdir(out);
    await fs.mkdir(path.join(watch, 'pending'), { recursive: true });
    await fs.mkdir(path.join(watch, 'running'), { recursive: true });
    await fs.writeFile(path.join(watch, 'pending', 'a-good.jobspec.json'), jobspec(path.join(media, 'good.mov'), out, 'wgood'));
    await fs.writeFile(path.join(watch, 'pending', 'b-bad.jobspec.json'), jobspec(path.join(media, 'bad.mov'), out, 'wbad'));
    await fs.writeFile(path.join(watch, 'pending', 'notes.txt'), 'not a JobSpec: left alone');
    await fs.writeFile(path.join(watch, 'running', 'stale.jobspec.json'), jobspec(path.join(media, 'good.mov'), out, 'wstale'));

    const r = await runCli(['watch', watch, '--once'], { timeoutMs: 60_000 });
    assert.equal(r.code, 2, `one JobSpec failed, so the watcher exits 2\n${shown(r)}`);

    const ls = async (d: string): Promise<string[]> => (await fs.readdir(path.join(watch, d))).sort();
    assert.deepEqual(await ls('pending'), ['notes.txt'], 'JobSpecs taken from pending/');
    assert.deepEqual(await ls('running'), []);
    assert.deepEqual(await ls('completed'), ['a-good.jobspec.json', 'a-good.result.json']);
    assert.deepEqual(await ls('failed'), ['b-bad.jobspec.json', 'b-bad.result.json', 'stale.jobspec.json', 'stale.result.json']);

    const good = await readResult(path.join(watch, 'completed', 'a-good.result.json'));
    assert.equal(good.name, 'a-good.jobspec.json');
    assert.equal(good.state, 'completed');
    assert.equal(good.result?.status, 'COMPLETED');
    assert.equal(good.result?.job_id, 'wgood');
    assert.equal(videoStream(await probe(path.join(out, 'good_proxy.mov'))).codec_name, 'prores');

    const bad = await readResult(path.join(watch, 'failed', 'b-bad.result.json'));
    assert.equal(bad.state, 'failed');
    assert.equal(bad.result?.status, 'FAILED');
    assert.equal(bad.result?.clips[0].status, 'FAILED');
    assert.match(bad.reason ?? '', /run FAILED: Cannot read source bad\.mov/);

    const stale = await readResult(path.join(watch, 'failed', 'stale.result.json'));
    assert.equal(stale.state, 'failed');
    assert.match(stale.reason ?? '', /Found in running\/ when the watcher started/);
    assert.equal(stale.result, undefined, 'the leftover is not run again');

    // The moved JobSpec is the file as dropped.
    assert.equal(
      await fs.readFile(path.join(watch, 'completed', 'a-good.jobspec.json'), 'utf8'),
      jobspec(path.join(media, 'good.mov'), out, 'wgood'),
    );
    const lines = r.stdout.split('\n');
    const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
    assert.ok(at(/stale\.jobspec\.json: left in running\/ .*moved to failed\//) >= 0, shown(r));
    assert.ok(
      at(/stale\.jobspec\.json: left in running/) < at(/a-good\.jobspec\.json: started/),
      'recovery happens on start, before any run',
    );
    assert.ok(at(/a-good\.jobspec\.json: completed/) < at(/b-bad\.jobspec\.json: started/), 'taken in sorted-name order, one at a time');
    assert.ok(at(/b-bad\.jobspec\.json: failed \(run FAILED/) >= 0, shown(r));
  });

  test('an invalid JobSpec goes to failed/ with its problems; names already in failed/ are not overwritten', async () => {
    const watch = path.join(dir, 'w2');
    const out = path.join(dir, 'out2');
    await fs.mkdir(out);
    for (const d of ['pending', 'failed']) await fs.mkdir(path.join(watch, d), { recursive: true });
    await fs.writeFile(path.join(watch, 'failed', 'x.jobspec.json'), 'an earlier failure');
    // Relative paths resolve against pending/, where the file was dropped.
    await fs.writeFile(
      path.join(watch, 'pending', 'x.jobspec.json'),
      JSON.stringify({
        sources: ['../../media/missing.mov'],
        output_directory: out,
        codec: 'h264',
        container: 'mov',
        resolution: 'half',
        naming_template: 'x',
      }),
    );
    const outcomes: WatchOutcome[] = [];
    const code = await core.watchFolder(watch, {
      tools: await tools(),
      once: true,
      pollMs: 50,
      onEvent: (e) => {
        if (e.type === 'finished') outcomes.push(e.outcome);
      },
    });
    assert.equal(code, 2);
    assert.equal(await fs.readFile(path.join(watch, 'failed', 'x.jobspec.json'), 'utf8'), 'an earlier failure');
    assert.deepEqual((await fs.readdir(path.join(watch, 'failed'))).sort(), ['x.2.jobspec.json', 'x.2.result.json', 'x.jobspec.json']);
    const res = await readResult(path.join(watch, 'failed', 'x.2.result.json'));
    assert.equal(res.state, 'failed');
    assert.match(res.reason ?? '', /invalid JobSpec: Source not found: .*media\/missing\.mov/);
    assert.equal(res.problems?.[0].code, 'source-missing');
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0].name, 'x.2.jobspec.json');
  });

  test('all JobSpecs completing: exit 0', async () => {
    const watch = path.join(dir, 'w3');
    const out = path.join(dir, 'out3');
    await fs.mkdir(out);
    await fs.mkdir(path.join(watch, 'pending'), { recursive: true });
    await fs.writeFile(path.join(watch, 'pending', 'only.jobspec.json'), jobspec('../../media/good.mov', out, 'wonly'));
    const code = await core.watchFolder(watch, { tools: await tools(), once: true, pollMs: 50 });
    assert.equal(code, 0);
    assert.deepEqual((await fs.readdir(path.join(watch, 'completed'))).sort(), ['only.jobspec.json', 'only.result.json']);
    assert.ok((await fs.stat(path.join(out, 'good_proxy.mov'))).size > 0);
  });

  test("one watcher per folder: a second is refused while the first runs, a dead one's lock is taken over", async () => {
    const watch = path.join(dir, 'w4');
    await fs.mkdir(path.join(watch, 'running'), { recursive: true });
    await fs.writeFile(path.join(watch, 'running', 'busy.jobspec.json'), '{}');
    const lock = path.join(watch, '.jobspec-watch.lock');
    const os = await import('node:os');
    // A live watcher (this test process stands in for it) holds the folder.
    await fs.writeFile(lock, JSON.stringify({ host: os.hostname(), pid: process.pid, started: 'earlier' }));
    await assert.rejects(
      core.watchFolder(watch, { tools: await tools(), once: true, pollMs: 50 }),
      /already watched by process \d+ .*Stop that watcher first/,
    );
    assert.deepEqual(
      await fs.readdir(path.join(watch, 'running')),
      ['busy.jobspec.json'],
      "the live watcher's running JobSpec is left alone",
    );
    // A lock of a process that is gone is stale: the new watcher takes over and recovers running/.
    await fs.writeFile(lock, JSON.stringify({ host: os.hostname(), pid: 2 ** 22 + 7, started: 'long ago' }));
    const code = await core.watchFolder(watch, { tools: await tools(), once: true, pollMs: 50 });
    assert.equal(code, 0);
    assert.deepEqual((await fs.readdir(path.join(watch, 'failed'))).sort(), ['busy.jobspec.json', 'busy.result.json']);
    await assert.rejects(fs.stat(lock), 'the lock is released when the watcher ends');
  });
});
