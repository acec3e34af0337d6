// Opt-in concurrency (max_concurrent_jobs > 1): results and {index} in sources order whatever the
// finishing order, fail-fast that lets running clips finish, a thread budget per ffmpeg, and a
// command whose stdout is whole lines.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { JobSpec, RunEvent, RunResult } from '../../src/core';
import { runCli, shown } from './helpers/cli';
import { core } from './helpers/core';
import { makeClip, makeCorrupt, tools } from './helpers/media';
import { writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { tempFilesIn } from './helpers/tree';

let dir: string;
// Different lengths, so that with several at once the clips finish out of sources order.
const LENGTHS = [1, 0.2, 0.6, 0.2, 0.4];
const NAMES = LENGTHS.map((_, i) => `clip_${'abcde'[i]}.mov`);

before(async () => {
  dir = await tempDir(undefined, 'jobspec-concurrency-');
  const media = path.join(dir, 'media');
  await Promise.all(LENGTHS.map((seconds, i) => makeClip(media, NAMES[i], { seconds, frequency: 440 + 110 * i })));
  await makeCorrupt(media, 'corrupt.mov');
});

function spec(out: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    job_id: 'conc001',
    sources: NAMES.map((n) => `media/${n}`),
    output_directory: out,
    codec: 'prores_proxy',
    container: 'mov',
    resolution: 'half',
    naming_template: '{source_name}_{index}',
    ...extra,
  };
}

async function load(name: string, s: Record<string, unknown>): Promise<{ file: string; spec: JobSpec }> {
  await fs.mkdir(path.join(dir, String(s.output_directory)), { recursive: true });
  const file = await writeSpec(dir, s, `${name}.jobspec.json`);
  const loaded = await core.loadJobSpec(file);
  assert.ok(loaded.ok, JSON.stringify(loaded.problems));
  return { file, spec: loaded.spec };
}

interface Observed {
  result: RunResult;
  events: RunEvent[];
  /** ffmpeg processes at once (a clip being checked after its encode holds no slot). */
  maxInFlight: number;
  /** For each clip, how many encodes ran when its ffmpeg started, itself included. */
  inFlightAtStart: Map<number, number>;
}

async function run(name: string, s: Record<string, unknown>): Promise<Observed> {
  const { file, spec: loaded } = await load(name, s);
  const events: RunEvent[] = [];
  const encoding = new Set<number>();
  let maxInFlight = 0;
  const inFlightAtStart = new Map<number, number>();
  const result = await core.runJob(loaded, {
    tools: await tools(),
    jobspecFile: file,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'clip-started') {
        encoding.add(e.index);
        inFlightAtStart.set(e.index, encoding.size);
        maxInFlight = Math.max(maxInFlight, encoding.size);
      }
      if (e.type === 'clip-encoded') encoding.delete(e.index);
      if (e.type === 'clip-finished') encoding.delete(e.result.index);
    },
  });
  return { result, events, maxInFlight, inFlightAtStart };
}

describe('max_concurrent_jobs 3 on five clips', () => {
  let three: Observed;
  let one: Observed;
  before(async () => {
    three = await run('three', spec('out-three', { max_concurrent_jobs: 3 }));
    one = await run('one', spec('out-one'));
  });

  test('every clip completes; results are in sources order', () => {
    assert.equal(three.result.status, 'COMPLETED', JSON.stringify(three.result.clips.map((c) => c.message)));
    assert.deepEqual(
      three.result.clips.map((c) => c.index),
      [0, 1, 2, 3, 4],
    );
    assert.deepEqual(
      three.result.clips.map((c) => path.basename(c.source)),
      NAMES,
    );
    assert.ok(three.result.clips.every((c) => c.status === 'COMPLETED'));
  });

  test('clips really overlap, never more than three at once', () => {
    assert.ok(three.maxInFlight >= 2, `at most ${three.maxInFlight} clip(s) ran at once`);
    assert.ok(three.maxInFlight <= 3, `${three.maxInFlight} clips ran at once`);
    assert.equal(one.maxInFlight, 1, 'the default runs one clip at a time');
  });

  test('live events may finish out of order, but each names its sources position', () => {
    const finished = three.events.filter((e): e is Extract<RunEvent, { type: 'clip-finished' }> => e.type === 'clip-finished');
    assert.equal(finished.length, 5);
    for (const e of finished)
      assert.equal(e.position, e.result.index + 1, "position is the clip's place in sources, not its finishing rank");
    assert.deepEqual(finished.map((e) => e.result.index).sort(), [0, 1, 2, 3, 4]);
    const run = three.events.find((e) => e.type === 'run-finished');
    assert.ok(run && run.type === 'run-finished');
    assert.deepEqual(
      run.result.clips.map((c) => c.index),
      [0, 1, 2, 3, 4],
      'the run-finished result is in sources order',
    );
  });

  test('{index} comes from sources order, never from timing', async () => {
    const names = (o: Observed): string[] => o.result.clips.map((c) => path.basename(c.output));
    assert.deepEqual(
      names(three),
      NAMES.map((n, i) => `${n.replace('.mov', '')}_${String(i).padStart(3, '0')}.mov`),
    );
    assert.deepEqual(names(three), names(one), 'the same names with 1 and 3 at once');
    const onDisk = (await fs.readdir(path.join(dir, 'out-three'))).filter((f) => f.endsWith('.mov')).sort();
    assert.deepEqual(onDisk, [...names(three)].sort());
    assert.deepEqual(await tempFilesIn(path.join(dir, 'out-three')), []);
  });

  test('the report lists clips in sources order', async () => {
    assert.ok(three.result.report_path);
    const report = JSON.parse(await fs.readFile(three.result.report_path, 'utf8')) as RunResult;
    assert.deepEqual(
      report.clips.map((c) => c.index),
      [0, 1, 2, 3, 4],
    );
  });

  test('each ffmpeg gets a thread budget for decoder, filters and encoder from the encodes in flight; one alone gets none', () => {
    let budgeted = 0;
    for (const runs of [three, one]) {
      for (const c of runs.result.clips) {
        const args = c.ffmpeg_args;
        const input = args.indexOf('-i');
        assert.ok(input > 0);
        const budget = core.threadBudget(runs.inFlightAtStart.get(c.index) ?? 0);
        if (budget === undefined) {
          assert.ok(!args.includes('-threads') && !args.includes('-filter_threads'), `alone, ffmpeg chooses: ${args.join(' ')}`);
          continue;
        }
        budgeted++;
        const at = (flag: string, from: number, to: number): boolean =>
          args.slice(from, to).some((a, i, s) => a === flag && s[i + 1] === String(budget));
        assert.ok(at('-threads', 0, input), `decoder threads before -i: ${args.join(' ')}`);
        assert.ok(at('-filter_threads', 0, input), `filter threads: ${args.join(' ')}`);
        assert.ok(at('-threads', input + 2, args.length), `encoder threads after -i: ${args.join(' ')}`);
      }
    }
    assert.ok(budgeted >= 1 || three.maxInFlight < 2, 'a clip that starts beside others shares the cores');
    assert.ok(
      [...one.inFlightAtStart.values()].every((n) => n === 1),
      'one at a time: each encode runs alone',
    );
  });
});

describe('threadBudget', () => {
  test('splits the cores between the processes, at least one thread each', () => {
    assert.equal(core.threadBudget(1, 8), undefined);
    assert.equal(core.threadBudget(2, 8), 4);
    assert.equal(core.threadBudget(3, 8), 2);
    assert.equal(core.threadBudget(3, 2), 1);
    assert.equal(core.threadBudget(16, 4), 1);
  });
});

describe('fail-fast with max_concurrent_jobs 2', () => {
  test('a corrupt clip fails; the clip already running finishes; no new clip starts; the rest are NOT_RUN', async () => {
    // The first clip is the longest: it is running when the corrupt second one fails at probing.
    const sources = ['media/clip_a.mov', 'media/corrupt.mov', 'media/clip_b.mov', 'media/clip_c.mov', 'media/clip_d.mov'];
    const o = await run('failfast', spec('out-failfast', { max_concurrent_jobs: 2, sources }));
    const { result } = o;
    assert.deepEqual(
      result.clips.map((c) => c.status),
      ['COMPLETED', 'FAILED', 'NOT_RUN', 'NOT_RUN', 'NOT_RUN'],
      JSON.stringify(result.clips.map((c) => c.message)),
    );
    assert.equal(result.status, 'PARTIAL');
    assert.equal(result.exit_code, 2);
    assert.match(result.clips[1].message ?? '', /Cannot read source corrupt\.mov/);
    const started = o.events.filter((e) => e.type === 'clip-started').map((e) => (e.type === 'clip-started' ? e.index : -1));
    assert.deepEqual(started, [0], 'ffmpeg ran for the clip that was already running, and for nothing after the failure');
    for (const c of result.clips.slice(2)) {
      assert.equal(c.started_at, null);
      assert.deepEqual(c.ffmpeg_args, []);
      assert.match(c.message ?? '', /Not started: corrupt\.mov failed.*fail-fast/);
    }
    const out = path.join(dir, 'out-failfast');
    assert.deepEqual(
      (await fs.readdir(out)).filter((f) => f.endsWith('.mov')),
      ['clip_a_000.mov'],
      "the running clip's work is kept",
    );
    assert.deepEqual(await tempFilesIn(out), []);
  });
});

// Every line the command may print for a multi-clip run.
const LINE_PATTERNS = [
  /^$/,
  /^Multi-Clip Job: conc\w+$/,
  /^Total Clips: \d+$/,
  /^\[\d+\/\d+\] (COMPLETED|FAILED|CANCELLED|SKIPPED) clip_\w+\.mov \(\d+\.\ds\)$/,
  /^\[\d+\/\d+\] NOT_RUN clip_\w+\.mov$/,
  /^ {5}→ \/.+_\d{3}\.mov$/,
  /^ {5}(Exit Code|Signal|Reason): .+$/,
  /^ {5}Last stderr:$/,
  /^ {7}\S.*$/,
  /^ {5}Not started: .+$/,
  /^Clips in sources order:$/,
  /^ {2}\[\d+\/\d+\] (COMPLETED|FAILED|CANCELLED|SKIPPED|NOT_RUN) clip_\w+\.mov$/,
  /^Processed: \d+\/\d+$/,
  /^Result: .+$/,
  /^Report: \/.+\.report\.json$/,
];

describe('the command with max_concurrent_jobs 3', () => {
  test('prints whole lines only, one block per finished clip, then a summary in sources order', async () => {
    const { file } = await load('cli', spec('out-cli', { job_id: 'conc_cli', max_concurrent_jobs: 3 }));
    const r = await runCli(['execute', file]);
    assert.equal(r.code, 0, shown(r));
    assert.ok(r.stdout.endsWith('\n'), 'the output ends with a whole line');
    const lines = r.stdout.slice(0, -1).split('\n');
    for (const l of lines)
      assert.ok(
        LINE_PATTERNS.some((p) => p.test(l)),
        `unexpected line ${JSON.stringify(l)}\n${shown(r)}`,
      );
    // A clip's block is its head line and the output line under it, never split by another clip's lines.
    const heads = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\[\d+\/5\] COMPLETED /.test(l));
    assert.equal(heads.length, 5, shown(r));
    for (const [l, i] of heads) {
      const name = /COMPLETED (clip_\w)\.mov/.exec(l)?.[1];
      assert.match(lines[i + 1], new RegExp(`^ {5}→ .*/${name}_\\d{3}\\.mov$`), `the output line follows its clip's line\n${shown(r)}`);
    }
    const summary = lines.indexOf('Clips in sources order:');
    assert.ok(summary > heads[heads.length - 1][1], shown(r));
    assert.deepEqual(
      lines.slice(summary + 1, summary + 6),
      NAMES.map((n, i) => `  [${i + 1}/5] COMPLETED ${n}`),
    );
    assert.ok(lines.includes('Processed: 5/5'), shown(r));
    assert.ok(lines.includes('Result: All clips completed'), shown(r));
  });

  test('with a failure: FAILED and NOT_RUN blocks are whole lines too', async () => {
    const sources = ['media/clip_a.mov', 'media/corrupt.mov', 'media/clip_b.mov', 'media/clip_c.mov'];
    const { file } = await load('cli-fail', spec('out-cli-fail', { job_id: 'conc_fail', max_concurrent_jobs: 2, sources }));
    const r = await runCli(['execute', file]);
    assert.equal(r.code, 2, shown(r));
    const lines = r.stdout.slice(0, -1).split('\n');
    const allowed = [...LINE_PATTERNS, /^\[\d+\/\d+\] FAILED corrupt\.mov \(\d+\.\ds\)$/, /^ {2}\[\d+\/\d+\] FAILED corrupt\.mov$/];
    for (const l of lines)
      assert.ok(
        allowed.some((p) => p.test(l)),
        `unexpected line ${JSON.stringify(l)}\n${shown(r)}`,
      );
    const summary = lines.indexOf('Clips in sources order:');
    assert.deepEqual(
      lines.slice(summary + 1, summary + 5),
      ['  [1/4] COMPLETED clip_a.mov', '  [2/4] FAILED corrupt.mov', '  [3/4] NOT_RUN clip_b.mov', '  [4/4] NOT_RUN clip_c.mov'],
      shown(r),
    );
  });
});
