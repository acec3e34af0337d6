// The origin project's JobSpecs (issue "5 of 7", item 4): files with "jobspec_version": "2.1" (the
// format of Venkmine/Proxx, backend/job_spec.py) run unchanged, or are refused by field name where
// they need DaVinci Resolve; a proxy_profile that disagrees with codec or container is refused naming
// both; `jobspec convert` writes the same job in this tool's format.
//
// The files are test/fixtures/proxx/ (reconstructed by hand: the origin repository has no license;
// see the README there), and the origin's own examples read straight from a clone of its repository
// when there is one. In both, the file's paths are mapped to a temporary folder in the test only,
// string for string in the text; the dialect reads the text as written.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { DryRunClip, Problem, RunResult } from '../../src/core';
import { runCli, shown } from './helpers/cli';
import { ffmpeg, lavfi, makeClip } from './helpers/media';
import { FIXTURES } from './helpers/paths';
import { runResult } from './helpers/scene';
import { tempDir } from './helpers/tmp';

const PROXX = path.join(FIXTURES, 'proxx');
const ORIGIN_COMMIT = '787192a77f5f6f26c7714c71503577fb11ce85f0';

/** A small clip where a JobSpec names one: a real MXF for .mxf, QuickTime otherwise. */
async function mediaAt(file: string): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  if (/\.mxf$/i.test(file)) {
    await ffmpeg([
      ...lavfi('testsrc2=size=320x240:rate=25'),
      ...lavfi('sine=frequency=440:sample_rate=48000'),
      '-t',
      '0.4',
      '-c:v',
      'mpeg2video',
      '-q:v',
      '4',
      '-c:a',
      'pcm_s16le',
      '-f',
      'mxf',
      file,
    ]);
  } else await makeClip(path.dirname(file), path.basename(file), { seconds: 0.4 });
}

interface Mapped {
  file: string;
  text: string;
  sources: string[];
  output: string;
}

/**
 * The JobSpec text with each path it names replaced by the same path under `dir`, string for string
 * (`__ARTIFACTS_DIR__` by a folder there); the media and the output folder made. Nothing else changes.
 */
async function mapInto(dir: string, name: string, text: string): Promise<Mapped> {
  const value = JSON.parse(text) as { sources?: string[]; output_directory?: string };
  const file = path.join(dir, name);
  let mapped = text;
  const swap = (from: string, to: string): void => {
    mapped = mapped.split(JSON.stringify(from)).join(JSON.stringify(to));
  };
  const sources: string[] = [];
  for (const s of value.sources ?? []) {
    const to = path.isAbsolute(s) ? path.join(dir, 'abs', s) : s;
    if (to !== s) swap(s, to);
    sources.push(path.resolve(dir, to));
  }
  const out = value.output_directory ?? '';
  const outTo = out === '__ARTIFACTS_DIR__' ? path.join(dir, 'artifacts') : path.isAbsolute(out) ? path.join(dir, 'abs', out) : out;
  if (outTo !== out) swap(out, outTo);
  const output = path.resolve(dir, outTo);
  for (const s of sources) await mediaAt(s);
  await fsp.mkdir(output, { recursive: true });
  await fsp.writeFile(file, mapped);
  return { file, text: mapped, sources, output };
}

async function runs(m: Mapped, label: string): Promise<RunResult> {
  const r = await runCli(['execute', m.file, '--json']);
  assert.equal(r.code, 0, `${label}: ${shown(r)}`);
  const result = runResult(r);
  assert.equal(result.status, 'COMPLETED', label);
  for (const c of result.clips) assert.ok((await fsp.stat(c.output)).size > 0, `${label}: ${c.output}`);
  return result;
}

/** Refused before anything ran, with errors at exactly these fields (and no others). */
async function refusedBy(m: Mapped, label: string, fields: string[]): Promise<Problem[]> {
  const before = await fsp.readdir(m.output);
  const r = await runCli(['execute', m.file, '--json']);
  assert.equal(r.code, 1, `${label}: ${shown(r)}`);
  const problems = (JSON.parse(r.stdout) as { problems: Problem[] }).problems.filter((p) => p.severity === 'error');
  assert.deepEqual(
    [...new Set(problems.map((p) => p.pointer))].sort(),
    fields.map((f) => `/${f}`).sort(),
    `${label}: ${JSON.stringify(problems, null, 1)}`,
  );
  assert.deepEqual(await fsp.readdir(m.output), before, `${label}: nothing written`);
  return problems;
}

describe('origin-format JobSpecs (test/fixtures/proxx, reconstructed)', () => {
  for (const name of ['smoke_2_1.json', 'camera_mxf.json', 'all_fields_dnxhr.json']) {
    test(`${name} runs unchanged`, async (t) => {
      const dir = await tempDir(t, 'jobspec-origin-');
      const m = await mapInto(dir, name, await fsp.readFile(path.join(PROXX, name), 'utf8'));
      const result = await runs(m, name);
      if (name === 'all_fields_dnxhr.json') {
        // codec "DNxHR" in ".MXF" at "Same": DNxHR LB in mxf at the source size, audio as the profile says (PCM).
        assert.equal(result.preset, 'proxy_dnxhr_lb');
        const args = result.clips[0].ffmpeg_args.join(' ');
        assert.match(args, /-c:v dnxhd -profile:v dnxhr_lb/);
        assert.match(args, /-c:a pcm_s24le/);
        assert.match(args, /-f mxf /);
      }
    });
  }

  test('as written, without any mapping, the dialect finds nothing wrong but the paths that are not on this machine', async () => {
    for (const name of ['smoke_2_1.json', 'camera_mxf.json', 'all_fields_dnxhr.json']) {
      const r = await runCli(['validate', path.join(PROXX, name), '--json']);
      assert.equal(r.code, 1, shown(r));
      const codes = new Set((JSON.parse(r.stdout) as { problems: Problem[] }).problems.map((p) => p.code));
      assert.deepEqual(
        [...codes].filter((c) => c !== 'source-missing' && c !== 'output-dir-missing'),
        [],
        `${name}: ${[...codes].join(', ')}`,
      );
    }
  });

  test('what needs DaVinci Resolve is refused by field name', async (t) => {
    const dir = await tempDir(t, 'jobspec-origin-resolve-');
    const m = await mapInto(dir, 'resolve_exr_sequence.json', await fsp.readFile(path.join(PROXX, 'resolve_exr_sequence.json'), 'utf8'));
    const problems = await refusedBy(m, 'resolve', ['proxy_profile', 'resolve_preset']);
    assert.match(
      problems.find((p) => p.pointer === '/proxy_profile')?.message ?? '',
      /proxy_profile "proxy_prores_proxy_resolve" renders through DaVinci Resolve.*use "proxy_prores_proxy"/,
    );
    assert.match(
      problems.find((p) => p.pointer === '/resolve_preset')?.message ?? '',
      /resolve_preset "ProRes 422 Proxy" asks for a DaVinci Resolve render preset/,
    );
  });

  test('a proxy_profile that disagrees with codec is refused naming both', async (t) => {
    const dir = await tempDir(t, 'jobspec-origin-mismatch-');
    const m = await mapInto(dir, 'profile_mismatch.json', await fsp.readFile(path.join(PROXX, 'profile_mismatch.json'), 'utf8'));
    const problems = await refusedBy(m, 'mismatch', ['codec', 'container']);
    assert.match(problems[0].message, /proxy_profile "proxy_h264_low" makes h264 in mp4, but codec is "prores_proxy": the two disagree/);
    assert.match(problems[1].message, /proxy_profile "proxy_h264_low" makes h264 in mp4, but container is "mov"/);
  });
});

describe('the 2.1 dialect’s rules', () => {
  const base = (dir: string, over: Record<string, unknown>): Record<string, unknown> => ({
    jobspec_version: '2.1',
    sources: [path.join(dir, 'm', 'A.mov')],
    output_directory: path.join(dir, 'out'),
    codec: 'h264',
    container: 'mp4',
    resolution: 'half',
    naming_template: '{source_name}',
    ...over,
  });
  const check = async (
    dir: string,
    over: Record<string, unknown>,
  ): Promise<{ code: number | null; problems: Problem[]; spec?: Record<string, unknown> }> => {
    const file = path.join(dir, `j${Math.random().toString(36).slice(2)}.json`);
    await fsp.writeFile(file, JSON.stringify(base(dir, over), null, 2));
    const r = await runCli(['validate', file, '--json']);
    const body = JSON.parse(r.stdout) as { problems: Problem[]; spec?: Record<string, unknown> };
    return { code: r.code, problems: body.problems, spec: body.spec };
  };

  test('codec, container and resolution in any case; nulls where the origin writes them', async (t) => {
    const dir = await tempDir(t, 'jobspec-origin-rules-');
    await mediaAt(path.join(dir, 'm', 'A.mov'));
    await fsp.mkdir(path.join(dir, 'out'));
    const v = await check(dir, {
      codec: 'H264',
      container: '.MP4',
      resolution: 'HALF',
      fps_explicit: null,
      lut_id: null,
      resolve_preset: null,
      proxy_profile: null,
    });
    assert.equal(v.code, 0, JSON.stringify(v.problems));
    assert.equal(v.spec?.codec, 'h264');
    assert.equal(v.spec?.container, 'mp4');
    assert.equal(v.spec?.resolution, 'half');
    assert.equal(v.spec?.dialect, '2.1');
    const explicitNull = await check(dir, { fps_mode: 'explicit', fps_explicit: null });
    assert.equal(explicitNull.code, 1);
    assert.ok(explicitNull.problems.some((p) => p.code === 'fps-explicit-missing'));
  });

  test('each format refuses the other’s fields by name; an unknown field gets a did-you-mean among the origin’s 19', async (t) => {
    const dir = await tempDir(t, 'jobspec-origin-fields-');
    await mediaAt(path.join(dir, 'm', 'A.mov'));
    await fsp.mkdir(path.join(dir, 'out'));
    const audio = await check(dir, { audio: 'aac' });
    assert.match(
      audio.problems.find((p) => p.pointer === '/audio')?.message ?? '',
      /audio is not a field of the origin project's format .*convert the file/,
    );
    const typo = await check(dir, { resolve_presets: null });
    assert.match(typo.problems.find((p) => p.pointer === '/resolve_presets')?.message ?? '', /Did you mean "resolve_preset"\?/);
    const lut = await check(dir, { lut_id: 'show_lut_v2' });
    assert.match(lut.problems.find((p) => p.pointer === '/lut_id')?.message ?? '', /names a LUT in the origin project's LUT registry/);
    const studio = await check(dir, { requires_resolve_edition: 'studio' });
    assert.match(studio.problems.find((p) => p.pointer === '/requires_resolve_edition')?.message ?? '', /needs DaVinci Resolve Studio/);
    // The other way: a 2.1 field in this format.
    const file = path.join(dir, 'v1.jobspec.json');
    const v1 = base(dir, { proxy_profile: 'proxy_h264_low' });
    delete v1.jobspec_version;
    await fsp.writeFile(file, JSON.stringify(v1));
    const r = await runCli(['validate', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /proxy_profile is a field of the origin project's format: it is read only with "jobspec_version": "2\.1"/);
  });
});

describe('jobspec convert', () => {
  test('writes the same job in this format: it validates, and plans the same outputs and ffmpeg commands', async (t) => {
    const dir = await tempDir(t, 'jobspec-convert-');
    const m = await mapInto(dir, 'all_fields_dnxhr.json', await fsp.readFile(path.join(PROXX, 'all_fields_dnxhr.json'), 'utf8'));
    const r = await runCli(['convert', m.file]);
    assert.equal(r.code, 0, shown(r));
    const converted = path.join(dir, 'all_fields_dnxhr.converted.jobspec.json');
    assert.match(r.stdout, new RegExp(`converted to ${converted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(r.stderr, /left out resolved_tokens/);
    const written = JSON.parse(await fsp.readFile(converted, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(written), [
      'jobspec_version',
      'job_id',
      'sources',
      'output_directory',
      'preset',
      'codec',
      'container',
      'resolution',
      'naming_template',
      'fps_mode',
      'created_at',
    ]);
    assert.equal(written.jobspec_version, '1');
    assert.equal(written.codec, 'dnxhr_lb');
    assert.equal(written.container, 'mxf');
    assert.equal(written.preset, 'proxy_dnxhr_lb');
    const dry = async (f: string): Promise<DryRunClip[]> => {
      const d = await runCli(['dry-run', f, '--json']);
      assert.equal(d.code, 0, shown(d));
      return (JSON.parse(d.stdout) as { clips: DryRunClip[] }).clips;
    };
    const a = await dry(m.file);
    const b = await dry(converted);
    assert.deepEqual(
      b.map((c) => [c.output, c.args]),
      a.map((c) => [c.output, c.args]),
    );
    // Never over an existing file; --out - prints instead.
    const again = await runCli(['convert', m.file]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists; it was left as it is/);
    const toStdout = await runCli(['convert', m.file, '--out', '-']);
    assert.equal(toStdout.stdout, await fsp.readFile(converted, 'utf8'));
  });

  test('refuses what it cannot convert (Resolve), naming the fields, and writes nothing', async (t) => {
    const dir = await tempDir(t, 'jobspec-convert-refused-');
    const file = path.join(dir, 'resolve_exr_sequence.json');
    await fsp.copyFile(path.join(PROXX, 'resolve_exr_sequence.json'), file);
    const r = await runCli(['convert', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\(\/proxy_profile\) \[origin-needs-resolve\]/);
    assert.match(r.stderr, /\(\/resolve_preset\) \[origin-needs-resolve\]/);
    assert.deepEqual(await fsp.readdir(dir), ['resolve_exr_sequence.json']);
  });
});

/** A clone of the origin repository, when this machine has one. */
function originRepo(): string | null {
  const candidates = [process.env.JOBSPEC_PROXX_REPO, '/work/.mirror/Venkmine+Proxx/repo'].filter((p): p is string => !!p);
  for (const repo of candidates) {
    try {
      execFileSync('git', ['-C', repo, 'cat-file', '-e', `${ORIGIN_COMMIT}^{commit}`], { stdio: 'ignore' });
      return repo;
    } catch {
      // not this one
    }
  }
  return null;
}

function show(repo: string, file: string): string {
  return execFileSync('git', ['-C', repo, 'show', `${ORIGIN_COMMIT}:${file}`], { encoding: 'utf8' });
}

describe('the origin project’s own example JobSpecs, read from its repository (not copied)', () => {
  const repo = originRepo();
  const skip = repo ? false : `no clone of Venkmine/Proxx with commit ${ORIGIN_COMMIT.slice(0, 8)} (set JOBSPEC_PROXX_REPO to one)`;
  if (skip) console.log(`skipped: ${skip}`);

  const files: [string, string[] | 'runs'][] = [
    ['qa/fixtures/v2/smoke_jobspec.json', 'runs'],
    ['qa/option_a_validation/test_camera.json', 'runs'],
    ['qa/option_a_validation/test_h264.json', 'runs'],
    ['qa/option_a_validation/test_prores.json', 'runs'],
    ['forge-tests/test_exr_5frame_sequence.json', ['proxy_profile', 'resolve_preset']],
  ];
  for (const [file, expect] of files) {
    test(`${file}: ${expect === 'runs' ? 'runs unchanged' : `refused by field name (${expect.join(', ')})`}`, { skip }, async (t) => {
      const dir = await tempDir(t, 'jobspec-proxx-');
      const m = await mapInto(dir, path.basename(file), show(repo ?? '', file));
      if (expect === 'runs') await runs(m, file);
      else await refusedBy(m, file, expect);
    });
  }

  test('docs/*.md: every complete JSON JobSpec example runs unchanged or is refused by field name only', { skip }, async (t) => {
    const docs = execFileSync('git', ['-C', repo ?? '', 'ls-tree', '--name-only', ORIGIN_COMMIT, 'docs/'], { encoding: 'utf8' })
      .split('\n')
      .filter((f) => f.endsWith('.md'));
    const seen: string[] = [];
    for (const doc of docs) {
      const blocks = [...show(repo ?? '', doc).matchAll(/```json\n([\s\S]*?)```/g)].map((b) => b[1]);
      for (const [i, text] of blocks.entries()) {
        if (!text.includes('"jobspec_version": "2.1"')) continue;
        let value: Record<string, unknown>;
        try {
          value = JSON.parse(text) as Record<string, unknown>;
        } catch {
          continue; // an annotated fragment (// comments), not a file
        }
        if (!Array.isArray(value.sources)) continue; // a result, not a JobSpec
        const label = `${doc} example ${i + 1}`;
        seen.push(label);
        const dir = await tempDir(t, 'jobspec-proxx-doc-');
        const m = await mapInto(dir, `example-${i}.json`, text);
        const needsResolve = ['resolve_preset', 'lut_id', 'requires_resolve_edition'].filter(
          (f) => typeof value[f] === 'string' && value[f] !== 'either',
        );
        if (typeof value.proxy_profile === 'string' && value.proxy_profile.endsWith('_resolve')) needsResolve.push('proxy_profile');
        if (needsResolve.length === 0) await runs(m, label);
        else await refusedBy(m, label, needsResolve);
      }
    }
    assert.ok(seen.length >= 7, `complete examples found: ${seen.join('; ')}`);
  });
});
