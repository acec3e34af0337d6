// Cancelling mid-clip, through the engine (AbortController) and the command (SIGINT): the clip is
// CANCELLED, the rest NOT_RUN, exit code 3, no partial output, no temporary file, a report written.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { ProgressInfo, RunEvent, RunResult } from '../../src/core';
import { runCli, shown } from './helpers/cli';
import { core } from './helpers/core';
import { makeClip, tools } from './helpers/media';
import { writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { reportsIn, tempFilesIn, TEMP_PROXY_RE } from './helpers/tree';

let dir: string;
let hasX265 = true;

before(async () => {
  dir = await tempDir(undefined, 'jobspec-cancel-');
  hasX265 = (await tools()).encoders.has('libx265');
  const media = path.join(dir, 'media');
  // Long enough that H.265 takes seconds on it, so that a cancel lands mid-clip.
  await makeClip(media, 'long.mov', { seconds: 10, size: '640x360' });
  await makeClip(media, 'short.mov', { seconds: 0.4 });
});

async function jobIn(name: string): Promise<{ file: string; out: string }> {
  const out = path.join(dir, `out-${name}`);
  await fs.mkdir(out);
  const file = await writeSpec(
    dir,
    {
      job_id: `cancel-${name}`,
      sources: ['media/long.mov', 'media/short.mov'],
      output_directory: out,
      codec: 'h265',
      container: 'mkv',
      resolution: 'same',
      naming_template: '{source_name}_{index}',
    },
    `${name}.jobspec.json`,
  );
  return { file, out };
}

async function assertNothingLeft(out: string, status: RunResult['status']): Promise<void> {
  assert.deepEqual(await tempFilesIn(out), [], 'no temporary file left');
  const files = await fs.readdir(out);
  assert.deepEqual(
    files.filter((f) => f.endsWith('.mkv')),
    [],
    'no partial output',
  );
  const reports = await reportsIn(out);
  assert.equal(reports.length, 1, 'a report is written for a cancelled run');
  const report = JSON.parse(await fs.readFile(reports[0], 'utf8')) as RunResult;
  assert.equal(report.status, status);
  assert.equal(report.exit_code, 3);
}

describe('cancellation', () => {
  test('AbortController after the first progress event: CANCELLED, exit code 3, nothing left behind', async (t) => {
    if (!hasX265) {
      t.skip('the local ffmpeg lacks libx265, the slow encoder this test cancels');
      return;
    }
    const { file, out } = await jobIn('engine');
    const loaded = await core.loadJobSpec(file);
    assert.ok(loaded.ok);
    const controller = new AbortController();
    let atAbort: ProgressInfo | undefined;
    let tempAtAbort: string[] = [];
    const events: RunEvent['type'][] = [];
    const t0 = Date.now();
    const result = await core.runJob(loaded.spec, {
      tools: await tools(),
      jobspecFile: file,
      signal: controller.signal,
      onEvent: (e) => {
        events.push(e.type);
        if (e.type === 'clip-progress' && !atAbort) {
          atAbort = e.progress;
          // The temporary file exists while ffmpeg writes it; listed synchronously before the abort.
          tempAtAbort = readdirSync(out).filter((n) => TEMP_PROXY_RE.test(n));
          controller.abort();
        }
      },
    });
    const elapsed = (Date.now() - t0) / 1000;
    assert.ok(atAbort, 'a progress event came');
    assert.ok((atAbort.percent ?? 0) < 100, `cancelled mid-clip (at ${atAbort.percent}%)`);
    assert.equal(tempAtAbort.length, 1, 'ffmpeg was writing its temporary file when the run was cancelled');
    t.diagnostic(`cancelled at ${atAbort.percent?.toFixed(1)}%, run returned after ${elapsed.toFixed(2)} s`);

    assert.equal(result.status, 'CANCELLED');
    assert.equal(result.exit_code, 3);
    assert.deepEqual(
      result.clips.map((c) => c.status),
      ['CANCELLED', 'NOT_RUN'],
    );
    assert.match(result.clips[0].message ?? '', /Cancelled while encoding long\.mov; the partial proxy was removed/);
    assert.ok(result.clips[0].ffmpeg_args.length > 0);
    assert.match(result.clips[1].message ?? '', /Not started: the run was cancelled/);
    assert.equal(result.clips[1].started_at, null);
    assert.equal(events.filter((e) => e === 'clip-started').length, 1, 'the second clip never started');
    await assertNothingLeft(out, 'CANCELLED');
  });

  test('an already-aborted signal runs nothing and still reports CANCELLED', async () => {
    const { file, out } = await jobIn('pre');
    const loaded = await core.loadJobSpec(file);
    assert.ok(loaded.ok);
    const controller = new AbortController();
    controller.abort();
    const result = await core.runJob(loaded.spec, { tools: await tools(), jobspecFile: file, signal: controller.signal });
    assert.equal(result.status, 'CANCELLED');
    assert.equal(result.exit_code, 3);
    assert.deepEqual(
      result.clips.map((c) => c.status),
      ['NOT_RUN', 'NOT_RUN'],
    );
    await assertNothingLeft(out, 'CANCELLED');
  });

  test('SIGINT to the command mid-clip: exit 3, the seed lines, no partial output', async (t) => {
    if (!hasX265) {
      t.skip('the local ffmpeg lacks libx265, the slow encoder this test cancels');
      return;
    }
    const { file, out } = await jobIn('cli');
    let signalled = false;
    const r = await runCli(['execute', file], {
      onSpawn: (child) => {
        // Interrupt once ffmpeg has opened its temporary output, i.e. mid-clip.
        const poll = setInterval(() => {
          void tempFilesIn(out).then((names) => {
            if (names.length && !signalled) {
              signalled = true;
              clearInterval(poll);
              child.kill('SIGINT');
            }
          });
        }, 50);
        child.on('exit', () => clearInterval(poll));
      },
    });
    assert.ok(signalled, `the command finished before it could be interrupted\n${shown(r)}`);
    assert.equal(r.code, 3, shown(r));
    assert.match(r.stderr, /SIGINT: cancelling/);
    const lines = r.stdout.split('\n');
    assert.ok(
      lines.some((l) => l.startsWith('[1/2] CANCELLED long.mov (')),
      shown(r),
    );
    assert.ok(
      lines.some((l) => l.startsWith('[2/2] NOT_RUN short.mov')),
      shown(r),
    );
    assert.ok(lines.includes('Result: Cancelled'), shown(r));
    await assertNothingLeft(out, 'CANCELLED');
  });
});
