// Naming tokens: parsing, each token's value, {index} width, and {date}/{time} fixed once per run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { JobSpec } from '../../src/core';
import { core } from './helpers/core';
import { makeClip, tools } from './helpers/media';
import { tempDir } from './helpers/tmp';

const { parseTemplate, resolveTemplate, indexWidth, splitSourceName, fileNameProblem } = core.naming;
const { planOutputs, validateJobSpecText, runJob } = core;

const at = (y: number, mo: number, d: number, h: number, mi: number, s: number): Date => new Date(y, mo - 1, d, h, mi, s);

function ctx(over: Partial<Parameters<typeof resolveTemplate>[1]> = {}): Parameters<typeof resolveTemplate>[1] {
  return {
    source: '/media/A001_C002.v2.mov',
    index: 7,
    total: 12,
    jobId: 'job42',
    codec: 'prores_proxy',
    resolution: 'half',
    now: at(2025, 12, 28, 9, 5, 3),
    ...over,
  };
}

function resolve(template: string, over: Partial<Parameters<typeof resolveTemplate>[1]> = {}): string {
  const { parts, errors } = parseTemplate(template);
  assert.deepEqual(errors, []);
  return resolveTemplate(parts, ctx(over));
}

test('every token resolves to its value; text around tokens is kept', () => {
  assert.equal(resolve('{source_name}'), 'A001_C002.v2');
  assert.equal(resolve('{source_ext}'), 'mov');
  assert.equal(resolve('{index}'), '007');
  assert.equal(resolve('{job_id}'), 'job42');
  assert.equal(resolve('{date}'), '20251228');
  assert.equal(resolve('{time}'), '090503');
  assert.equal(resolve('{codec}'), 'prores_proxy');
  assert.equal(resolve('{resolution}'), 'half');
  assert.equal(resolve('x-{source_name}.{source_ext}_{codec}@{resolution}-{index}'), 'x-A001_C002.v2.mov_prores_proxy@half-007');
  assert.equal(resolve('plain'), 'plain');
  assert.equal(resolve('{index}{index}'), '007007');
});

test('source names: last extension only; dot-files and extensionless files have no extension', () => {
  assert.deepEqual(splitSourceName('/m/clip.tar.mov'), { name: 'clip.tar', ext: 'mov' });
  assert.deepEqual(splitSourceName('/m/.hidden'), { name: '.hidden', ext: '' });
  assert.deepEqual(splitSourceName('/m/noext'), { name: 'noext', ext: '' });
  assert.deepEqual(splitSourceName('/m/UPPER.MOV'), { name: 'UPPER', ext: 'MOV' });
  assert.equal(resolve('{source_name}_{source_ext}', { source: '/m/clip with spaces é.MXF' }), 'clip with spaces é_MXF');
});

test('parse errors carry their code and character position', () => {
  const unknown = parseTemplate('a{bogus}b');
  assert.deepEqual(
    unknown.errors.map((e) => [e.code, e.at]),
    [['naming-unknown-token', 1]],
  );
  const unclosed = parseTemplate('{source_name}_{index');
  assert.deepEqual(
    unclosed.errors.map((e) => [e.code, e.at]),
    [['naming-unclosed-brace', 14]],
  );
  const nested = parseTemplate('{sou{index}');
  assert.deepEqual(
    nested.errors.map((e) => e.code),
    ['naming-unclosed-brace'],
  );
  assert.ok(
    nested.parts.some((p) => p.kind === 'token' && p.token === 'index'),
    'the token after the broken one still parses',
  );
  const stray = parseTemplate('a}b');
  assert.deepEqual(
    stray.errors.map((e) => [e.code, e.at]),
    [['naming-stray-brace', 1]],
  );
  assert.deepEqual(
    parseTemplate('{Index}').errors.map((e) => e.code),
    ['naming-unknown-token'],
    'tokens are case-sensitive',
  );
});

test('{index} is 3 digits up to 1000 sources and grows past that', () => {
  assert.equal(indexWidth(1), 3);
  assert.equal(indexWidth(999), 3);
  assert.equal(indexWidth(1000), 3);
  assert.equal(indexWidth(1001), 4);
  assert.equal(indexWidth(10000), 4);
  assert.equal(indexWidth(10001), 5);
  assert.equal(resolve('{index}', { index: 0, total: 1 }), '000');
  assert.equal(resolve('{index}', { index: 999, total: 1000 }), '999');
  assert.equal(resolve('{index}', { index: 5, total: 1001 }), '0005');
});

async function specWith(count: number, template: string): Promise<JobSpec> {
  const sources = Array.from({ length: count }, (_, i) => `/media/clip_${i}.mov`);
  const text = JSON.stringify({
    job_id: 'wide',
    sources,
    output_directory: '/out',
    codec: 'h264',
    container: 'mp4',
    resolution: 'half',
    naming_template: template,
  });
  const res = await validateJobSpecText(text, '/virtual/job.jobspec.json', { checkFilesystem: false });
  assert.ok(res.ok, JSON.stringify(!res.ok && res.problems.slice(0, 3)));
  return res.spec;
}

test('a 1001-source job numbers 0000 … 1000, every clip the same width, in sources order', async () => {
  const plan = planOutputs(await specWith(1001, 'p_{index}'), new Date());
  assert.equal(plan.length, 1001);
  assert.equal(path.basename(plan[0].output), 'p_0000.mp4');
  assert.equal(path.basename(plan[999].output), 'p_0999.mp4');
  assert.equal(path.basename(plan[1000].output), 'p_1000.mp4');
  assert.ok(plan.every((c, i) => c.index === i && c.source === `/media/clip_${i}.mov`));
  assert.equal(new Set(plan.map((c) => c.output)).size, 1001);
  const thousand = planOutputs(await specWith(1000, 'p_{index}'), new Date());
  assert.equal(path.basename(thousand[0].output), 'p_000.mp4');
  assert.equal(path.basename(thousand[999].output), 'p_999.mp4');
});

test('names get the container extension; a name over 255 bytes is refused', () => {
  assert.equal(fileNameProblem('ok', 'ok.mov'), null);
  assert.match(fileNameProblem('x'.repeat(252), 'x'.repeat(252) + '.mov') ?? '', /256 bytes long; file names may be at most 255 bytes/);
  assert.match(fileNameProblem('', '.mov') ?? '', /empty name/);
  assert.match(fileNameProblem('..', '...mov') ?? '', /would leave output_directory/);
});

test('{date} and {time} come from one clock for the whole plan', async () => {
  const spec = await specWith(5, '{source_name}_{date}_{time}');
  const plan = planOutputs(spec, at(2024, 2, 29, 23, 59, 59));
  assert.deepEqual(
    plan.map((c) => path.basename(c.output)),
    [0, 1, 2, 3, 4].map((i) => `clip_${i}_20240229_235959.mp4`),
  );
});

function localStamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}_${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

test('a real run names every clip with the run start, not each clip start', async (t) => {
  const dir = await tempDir(t);
  const media = path.join(dir, 'media');
  const out = path.join(dir, 'out');
  await fs.mkdir(out);
  for (const [i, n] of ['n1.mov', 'n2.mov', 'n3.mov'].entries()) await makeClip(media, n, { frequency: 300 + 100 * i });
  const text = JSON.stringify({
    job_id: 'clock',
    sources: ['media/n1.mov', 'media/n2.mov', 'media/n3.mov'],
    output_directory: 'out',
    codec: 'prores_proxy',
    container: 'mov',
    resolution: 'quarter',
    naming_template: '{source_name}_{date}_{time}',
  });
  const loaded = await validateJobSpecText(text, path.join(dir, 'clock.jobspec.json'));
  assert.ok(loaded.ok);

  // A run clock far from the wall clock: names must follow the run's clock for every clip.
  const runClock = at(2030, 1, 2, 3, 4, 5);
  const fixed = await runJob(loaded.spec, { tools: await tools(), jobspecFile: path.join(dir, 'clock.jobspec.json'), now: runClock });
  assert.equal(fixed.status, 'COMPLETED', JSON.stringify(fixed.clips.map((c) => c.message)));
  assert.deepEqual(
    fixed.clips.map((c) => path.basename(c.output)),
    ['n1', 'n2', 'n3'].map((n) => `${n}_20300102_030405.mov`),
  );
  for (const c of fixed.clips) await fs.access(c.output);

  // The wall clock: all three share one stamp, the run's start, even though clips start later.
  const outB = path.join(dir, 'out2');
  await fs.mkdir(outB);
  const loadedB = await validateJobSpecText(text.replace('"out"', '"out2"'), path.join(dir, 'clock.jobspec.json'));
  assert.ok(loadedB.ok);
  const live = await runJob(loadedB.spec, { tools: await tools(), jobspecFile: path.join(dir, 'clock.jobspec.json') });
  assert.equal(live.status, 'COMPLETED');
  const stamp = localStamp(new Date(live.started_at));
  assert.deepEqual(
    live.clips.map((c) => path.basename(c.output)),
    ['n1', 'n2', 'n3'].map((n) => `${n}_${stamp}.mov`),
  );
  assert.ok(live.clips.every((c) => c.started_at !== null && c.started_at >= live.started_at));
  const onDisk = (await fs.readdir(outB)).filter((f) => f.endsWith('.mov')).sort();
  assert.deepEqual(
    onDisk,
    ['n1', 'n2', 'n3'].map((n) => `${n}_${stamp}.mov`),
  );
});
