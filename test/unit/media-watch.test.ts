// Media watch folders (issue "5 of 7", item 5): camera files dropped anywhere under a folder get
// proxies per a template JobSpec. A clip copied slowly is taken only once complete (it stopped changing
// for the settle time, and no process still has it open for writing); clips ready in one scan are one
// batch, one run, one report; nothing is written inside the folder but what the template says; a clip
// already proxied is not made again; what cannot be proxied is named. Real files, real processes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { MediaWatchEvent } from '../../src/core';
import { runCli, shown, toolArgs } from './helpers/cli';
import { core } from './helpers/core';
import { makeClip, makeCorrupt, placeMedia, tools } from './helpers/media';
import { waitFor } from './helpers/processes';
import { writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { diffTrees, reportsIn, sha256, snapshot } from './helpers/tree';

interface Scene {
  dir: string;
  watch: string;
  out: string;
  template: string;
}

async function scene(t: { after(fn: () => unknown): void }, template: Record<string, unknown> = {}): Promise<Scene> {
  const dir = await tempDir(t, 'jobspec-media-watch-');
  const watch = path.join(dir, 'card-drop');
  const out = path.join(dir, 'proxies');
  await fsp.mkdir(watch);
  await fsp.mkdir(out);
  const file = await writeSpec(
    dir,
    {
      job_id: 'dailies',
      output_directory: 'proxies',
      preset: 'proxy_h264_quarter',
      naming_template: '{source_name}_proxy',
      layout: 'mirror',
      ...template,
    },
    'dailies.template.jobspec.json',
  );
  return { dir, watch, out, template: file };
}

/** Copy `from` to `to` in `pieces` chunks, `pauseMs` apart, through one open file (as a copy tool does); resolves with the time it closed the file. */
function slowCopy(from: string, to: string, pieces: number, pauseMs: number): { done: Promise<number>; kill: () => void } {
  const script = `
    const fs = require('fs');
    const data = fs.readFileSync(${JSON.stringify(from)});
    const fd = fs.openSync(${JSON.stringify(to)}, 'w');
    const size = Math.ceil(data.length / ${pieces});
    let i = 0;
    const step = () => {
      fs.writeSync(fd, data.subarray(i * size, (i + 1) * size));
      if (++i < ${pieces}) setTimeout(step, ${pauseMs});
      else { fs.closeSync(fd); process.stdout.write(String(Date.now())); }
    };
    step();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const done = new Promise<number>((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`copy exited ${code}`)))),
  );
  return { done, kill: () => child.kill('SIGKILL') };
}

/** Watch in-process until `until` says so, then stop; returns the events. */
async function watchUntil(
  s: Scene,
  opts: { settleMs: number },
  until: (events: MediaWatchEvent[]) => boolean,
): Promise<{ code: number; events: MediaWatchEvent[] }> {
  const events: MediaWatchEvent[] = [];
  const controller = new AbortController();
  const watching = core.watchMedia(s.watch, {
    tools: await tools(),
    template: s.template,
    pollMs: 100,
    settleMs: opts.settleMs,
    signal: controller.signal,
    onEvent: (e) => {
      events.push(e);
      if (until(events)) controller.abort();
    },
  });
  const code = await watching;
  return { code, events };
}

const finishedBatches = (events: MediaWatchEvent[]): Extract<MediaWatchEvent, { type: 'batch-finished' }>[] =>
  events.filter((e): e is Extract<MediaWatchEvent, { type: 'batch-finished' }> => e.type === 'batch-finished');

describe('media watch folders', () => {
  test('a clip copied slowly, with pauses shorter than the settle time, is taken only once complete', async (t) => {
    const s = await scene(t);
    const master = await makeClip(s.dir, 'master.mov', { seconds: 2 });
    const target = path.join(s.watch, 'A001', 'A001C003.mov');
    await fsp.mkdir(path.dirname(target));
    const copy = slowCopy(master, target, 6, 400);
    t.after(copy.kill);
    let takenAt = 0;
    const { events } = await watchUntil(s, { settleMs: 1200 }, (ev) => {
      const last = ev[ev.length - 1];
      if (last.type === 'batch-started') takenAt = Date.now();
      return finishedBatches(ev).length > 0;
    });
    const closedAt = await copy.done;
    assert.ok(takenAt >= closedAt, `taken ${closedAt - takenAt} ms before the copy finished`);
    const [batch] = finishedBatches(events);
    assert.equal(batch.result.status, 'COMPLETED', JSON.stringify(batch.result.clips.map((c) => c.message)));
    assert.deepEqual(
      batch.result.clips.map((c) => c.source),
      [target],
    );
    assert.equal(await sha256(target), await sha256(master), 'the clip is byte for byte what was copied');
    assert.equal(batch.result.clips[0].output, path.join(s.out, 'A001', 'A001C003_proxy.mp4'), 'mirror keeps the card folder');
  });

  test('a copy that pauses longer than the settle time is waited for while the copying process keeps it open', async (t) => {
    const s = await scene(t);
    // A transport stream (AVCHD): ffprobe reads a half-copied one as a shorter clip, so only the
    // open-for-writing check keeps it from being taken mid-copy.
    const master = await makeClip(s.dir, 'master.MTS', { seconds: 2, container: 'mpegts' });
    const target = path.join(s.watch, '00001.MTS');
    const copy = slowCopy(master, target, 3, 2500);
    t.after(copy.kill);
    let takenAt = 0;
    const { events } = await watchUntil(s, { settleMs: 500 }, (ev) => {
      if (ev[ev.length - 1].type === 'batch-started') takenAt = Date.now();
      return finishedBatches(ev).length > 0;
    });
    const closedAt = await copy.done;
    assert.ok(takenAt >= closedAt, `taken ${closedAt - takenAt} ms before the copy finished`);
    const busy = events.filter((e) => e.type === 'busy');
    assert.ok(busy.length >= 1, 'the copy still open was noticed');
    assert.ok(busy.every((e) => e.type === 'busy' && e.pids.length > 0));
    assert.equal(finishedBatches(events)[0].result.status, 'COMPLETED');
  });

  test('clips ready in one scan are one batch: one run, one report listing them all; nothing is written inside the folder', async (t) => {
    const s = await scene(t);
    for (const name of ['A001C001.mov', 'A001C002.mov', 'A001C003.mov']) await placeMedia(path.join(s.watch, 'A001', 'CLIP', name), 'clip');
    await fsp.writeFile(path.join(s.watch, 'A001', 'A001.xml'), '<sidecar/>');
    const before = snapshot(s.watch);
    const r = await runCli(['watch', s.watch, '--template', s.template, '--once', '--settle', '0.3', ...toolArgs()]);
    assert.equal(r.code, 0, shown(r));
    assert.equal((r.stdout.match(/\[media\] batch 1: 3 clips: A001C001\.mov, A001C002\.mov, A001C003\.mov/g) ?? []).length, 1, shown(r));
    assert.doesNotMatch(r.stdout, /batch 2/);
    const reports = await reportsIn(s.out);
    assert.equal(reports.length, 1);
    const report = JSON.parse(await fsp.readFile(reports[0], 'utf8')) as { clips: { status: string; output: string }[] };
    assert.deepEqual(
      report.clips.map((c) => [c.status, path.relative(s.out, c.output)]),
      [1, 2, 3].map((i) => ['COMPLETED', path.join('A001', 'CLIP', `A001C00${i}_proxy.mp4`)]),
    );
    const diff = diffTrees(before, snapshot(s.watch));
    assert.deepEqual(diff, { added: [], removed: [], changed: [] }, 'the watched folder is exactly as it was');
    // Run again: each clip already has its proxy (a report says so, the proxy is in place): nothing is made.
    const again = await runCli(['watch', s.watch, '--template', s.template, '--once', '--settle', '0.3', ...toolArgs()]);
    assert.equal(again.code, 0, shown(again));
    assert.equal((again.stdout.match(/already has its proxy/g) ?? []).length, 3, shown(again));
    assert.equal((await reportsIn(s.out)).length, 1, 'no new run');
  });

  test('proxies written inside the folder (its own subfolder) are never taken for camera files', async (t) => {
    const s = await scene(t, { output_directory: 'card-drop/_proxies', preset: 'proxy_prores_proxy', layout: 'flat' });
    await fsp.mkdir(path.join(s.watch, '_proxies'));
    await placeMedia(path.join(s.watch, 'C001.mov'), 'clip');
    const r = await runCli(['watch', s.watch, '--template', s.template, '--once', '--settle', '0.3', ...toolArgs()]);
    assert.equal(r.code, 0, shown(r));
    const again = await runCli(['watch', s.watch, '--template', s.template, '--once', '--settle', '0.3', ...toolArgs()]);
    assert.equal(again.code, 0, shown(again));
    assert.doesNotMatch(again.stdout + r.stdout, /C001_proxy\.mov: seen/);
    assert.deepEqual(
      (await fsp.readdir(path.join(s.watch, '_proxies'))).filter((n) => n.endsWith('.mov')),
      ['C001_proxy.mov'],
    );
  });

  test('what cannot be proxied is named and skipped: camera RAW, a file ffprobe cannot read; the rest run', async (t) => {
    const s = await scene(t);
    await placeMedia(path.join(s.watch, 'good.mov'), 'clip');
    await makeCorrupt(s.watch, 'broken.mov');
    await fsp.writeFile(path.join(s.watch, 'A002C001.R3D'), 'not decodable here');
    const r = await runCli(['watch', s.watch, '--template', s.template, '--once', '--settle', '0.3', ...toolArgs()]);
    assert.equal(r.code, 2, shown(r));
    assert.match(r.stderr, /A002C001\.R3D: skipped: RED R3D \(\.r3d\) needs its maker's decoder/);
    assert.match(r.stderr, /broken\.mov: skipped: ffprobe cannot read it as a clip with a picture/);
    assert.match(r.stdout, /\[media\] batch 1: 1 clip: good\.mov/);
  });

  test('a template is checked first: no sources, names after the clip, outputs outside the folder; one watcher per folder and output', async (t) => {
    const s = await scene(t);
    const bad = async (fields: Record<string, unknown>, message: RegExp): Promise<void> => {
      const file = await writeSpec(
        s.dir,
        { output_directory: 'proxies', preset: 'proxy_h264_low', naming_template: '{source_name}', ...fields },
        'bad.template.jobspec.json',
      );
      const r = await runCli(['watch', s.watch, '--template', file, '--once', ...toolArgs()]);
      assert.equal(r.code, 1, shown(r));
      assert.match(r.stderr, message);
    };
    await bad({ sources: ['x.mov'] }, /A watch template has no sources/);
    await bad({ naming_template: 'proxy_{index}' }, /must use \{source_name\} in a watch template/);
    await bad({ output_directory: 'card-drop' }, /is the watched folder itself: proxies and reports would land among the camera files/);
    const events: MediaWatchEvent[] = [];
    const controller = new AbortController();
    const first = core.watchMedia(s.watch, {
      tools: await tools(),
      template: s.template,
      pollMs: 100,
      signal: controller.signal,
      onEvent: (e) => events.push(e),
    });
    await waitFor('the first watcher', () => events.some((e) => e.type === 'media-watch-started'));
    const second = await runCli(['watch', s.watch, '--template', s.template, ...toolArgs()]);
    controller.abort();
    await first;
    assert.equal(second.code, 4, shown(second));
    assert.match(second.stderr, /is already watched by process \d+/);
    assert.deepEqual(await fsp.readdir(s.watch), [], 'the lock is not in the watched folder');
  });
});
