// The seed's 3-source example, end to end with real ffmpeg: names, order, and what ffprobe (not the
// runner's own verification) reads back from each proxy.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { RunEvent, RunResult } from '../../src/core';
import { runCli, shown } from './helpers/cli';
import { audioStreams, makeClip, probe, timecodeOf, videoStream } from './helpers/media';
import { runSpecFile } from './helpers/run';
import { writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { reportsIn, tempFilesIn } from './helpers/tree';

const NAMES = ['clip_a', 'clip_b', 'clip_c'];
const TIMECODES = ['01:00:00:00', '02:00:00:00', '03:00:10:05'];

/** The seed's JobSpec, with its paths pointed at a temp folder. */
function seedSpec(outDir: string): Record<string, unknown> {
  return {
    job_id: 'test001',
    sources: NAMES.map((n) => `media/${n}.mov`),
    output_directory: outDir,
    codec: 'prores_proxy',
    container: 'mov',
    resolution: 'half',
    naming_template: '{source_name}_proxy_{index}',
    fps_mode: 'same-as-source',
    created_at: '2025-12-28T12:00:00Z',
  };
}

let dir: string;

before(async () => {
  dir = await tempDir(undefined, 'jobspec-seed-');
  await Promise.all(
    NAMES.map((n, i) => makeClip(path.join(dir, 'media'), `${n}.mov`, { timecode: TIMECODES[i], frequency: 440 + 110 * i })),
  );
});

async function assertProxies(outDir: string): Promise<void> {
  const files = (await fs.readdir(outDir)).filter((f) => !f.endsWith('.report.json')).sort();
  assert.deepEqual(
    files,
    ['clip_a_proxy_000.mov', 'clip_b_proxy_001.mov', 'clip_c_proxy_002.mov'],
    "exactly the seed's outputs, no temp files",
  );
  for (const [i, f] of files.entries()) {
    const p = await probe(path.join(outDir, f), { countFrames: true });
    const v = videoStream(p);
    assert.equal(v.codec_name, 'prores', `${f} codec`);
    assert.equal(v.profile, 'Proxy', `${f} ProRes profile`);
    assert.equal(v.codec_tag_string, 'apco', `${f} fourcc of ProRes 422 Proxy`);
    assert.equal(v.pix_fmt, 'yuv422p10le', `${f} 10-bit 4:2:2`);
    assert.deepEqual([v.width, v.height], [160, 120], `${f} half of 320x240`);
    assert.equal(v.r_frame_rate, '25/1', `${f} frame rate kept`);
    assert.equal(v.nb_read_frames, '25', `${f} every frame of the 1 s source`);
    assert.match(p.format.format_name, /mov/);
    assert.ok(Math.abs(Number(p.format.duration) - 1) < 0.05, `${f} duration ${p.format.duration}`);
    const a = audioStreams(p);
    assert.equal(a.length, 1, `${f} audio kept`);
    assert.equal(a[0].codec_name, 'pcm_s24le', `${f} audio as PCM in mov`);
    assert.equal(a[0].sample_rate, '48000');
    assert.equal(timecodeOf(p), TIMECODES[i], `${f} keeps its own source's timecode`);
  }
}

describe("the seed's 3-source example", () => {
  test('runJob: clip_a_proxy_000.mov … clip_c_proxy_002.mov, ProRes Proxy, half size, audio and timecode kept', async (t) => {
    const out = path.join(dir, 'out-engine');
    await fs.mkdir(out);
    const file = await writeSpec(dir, seedSpec(out), 'engine.jobspec.json');
    const events: RunEvent[] = [];
    const result: RunResult = await runSpecFile(file, { onEvent: (e) => events.push(e) });

    assert.equal(result.status, 'COMPLETED', JSON.stringify(result.clips.map((c) => c.message)));
    assert.equal(result.exit_code, 0);
    assert.equal(result.job_id, 'test001');
    assert.deepEqual(
      result.clips.map((c) => [c.index, path.basename(c.source), path.basename(c.output), c.status]),
      [
        [0, 'clip_a.mov', 'clip_a_proxy_000.mov', 'COMPLETED'],
        [1, 'clip_b.mov', 'clip_b_proxy_001.mov', 'COMPLETED'],
        [2, 'clip_c.mov', 'clip_c_proxy_002.mov', 'COMPLETED'],
      ],
    );
    for (const c of result.clips) {
      assert.equal(c.exit_code, 0);
      const st = await fs.stat(c.output);
      assert.equal(c.output_size, st.size, 'recorded size is the file size');
      assert.ok(st.size > 0);
      assert.ok(
        c.ffmpeg_args.includes('-profile:v') && c.ffmpeg_args[c.ffmpeg_args.indexOf('-profile:v') + 1] === '0',
        'profile 0 = Proxy',
      );
      assert.ok(c.verification?.every((v) => v.ok));
    }

    // Sequential, in sources order: one ffmpeg at a time, each starting once the previous one exited
    // (while that clip's proxy is checked), and the clips end in order.
    const order = events
      .filter((e) => e.type === 'clip-started' || e.type === 'clip-encoded' || e.type === 'clip-finished')
      .map((e) =>
        e.type === 'clip-started' ? `start ${e.index}` : e.type === 'clip-encoded' ? `encoded ${e.index}` : `end ${e.result.index}`,
      );
    const encodes = order.filter((o) => !o.startsWith('end'));
    assert.deepEqual(encodes, ['start 0', 'encoded 0', 'start 1', 'encoded 1', 'start 2', 'encoded 2'], 'one encode at a time');
    assert.deepEqual(
      order.filter((o) => o.startsWith('end')),
      ['end 0', 'end 1', 'end 2'],
    );
    for (const i of [0, 1, 2]) assert.ok(order.indexOf(`encoded ${i}`) < order.indexOf(`end ${i}`));
    // The results say when each encode ended, between its start and its end, each after the one before.
    const times = result.clips.map((c) => [c.started_at, c.encoded_at, c.finished_at].map((t) => Date.parse(t ?? '')));
    for (const [i, [start, encoded, end]] of times.entries()) {
      assert.ok(
        start <= encoded && encoded <= end,
        `clip ${i}: ${result.clips[i].started_at} ${result.clips[i].encoded_at} ${result.clips[i].finished_at}`,
      );
      if (i > 0) assert.ok(times[i - 1][1] <= start, `clip ${i} started after clip ${i - 1}'s encode ended`);
    }
    assert.equal(events[0].type, 'run-started');
    assert.equal(events.at(-1)?.type, 'run-finished');

    await assertProxies(out);
    assert.deepEqual(await tempFilesIn(out), []);
    const reports = await reportsIn(out);
    assert.equal(reports.length, 1);
    assert.equal(result.report_path, reports[0]);
    const report = JSON.parse(await fs.readFile(reports[0], 'utf8')) as RunResult & { schema: string };
    assert.equal(report.schema, 'jobspec-report/2');
    assert.deepEqual(
      report.clips.map((c) => c.status),
      ['COMPLETED', 'COMPLETED', 'COMPLETED'],
    );
    t.diagnostic(`3 clips in ${result.elapsed_seconds.toFixed(2)} s`);
  });

  test('the headless command prints the seed lines and exits 0', async () => {
    const out = path.join(dir, 'out-cli');
    await fs.mkdir(out);
    const file = await writeSpec(dir, seedSpec('out-cli'), 'cli.jobspec.json');
    const r = await runCli(['execute', file]);
    assert.equal(r.code, 0, shown(r));
    const lines = r.stdout.split('\n');
    assert.ok(lines.includes('Multi-Clip Job: test001'), shown(r));
    assert.ok(lines.includes('Total Clips: 3'), shown(r));
    NAMES.forEach((n, i) => {
      const at = lines.findIndex((l) => l.startsWith(`[${i + 1}/3] COMPLETED ${n}.mov (`));
      assert.ok(at >= 0, `line for ${n}:\n${shown(r)}`);
      assert.match(lines[at], /\(\d+\.\ds\)$/);
      assert.equal(lines[at + 1], `     → ${path.join(out, `${n}_proxy_00${i}.mov`)}`);
    });
    assert.ok(lines.includes('Processed: 3/3'), shown(r));
    assert.ok(lines.includes('Result: All clips completed'), shown(r));
    assert.ok(
      lines.some((l) => l.startsWith(`Report: ${out}${path.sep}test001.`)),
      shown(r),
    );
    await assertProxies(out);
  });
});
