// Validation: one test per rule of the contract. Each asserts the rule's code, the message's key
// words, the JSON pointer, and that the problem is located at the right line and column of the file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { LoadResult, Problem } from '../../src/core';
import { core } from './helpers/core';
import { tempDir } from './helpers/tmp';

const { loadJobSpec, validateJobSpecText } = core;

let root: string;
let media: string;

before(async () => {
  root = await tempDir(undefined, 'jobspec-validation-');
  media = path.join(root, 'media');
  await fs.mkdir(media);
  await fs.mkdir(path.join(root, 'out'));
  await fs.mkdir(path.join(root, 'other'));
  // Validation never probes media, so a few bytes stand in for clips here.
  for (const f of ['media/a.mov', 'media/b.mov', 'media/c.mov', 'media/noext', 'other/a.mov', 'media/a.mxf']) {
    await fs.writeFile(path.join(root, f), 'not really a clip');
  }
  await fs.writeFile(path.join(root, 'media/empty.mov'), '');
  await fs.writeFile(path.join(root, 'a-file'), 'x');
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function base(): Record<string, unknown> {
  return {
    job_id: 'val001',
    sources: ['media/a.mov', 'media/b.mov'],
    output_directory: 'out',
    codec: 'prores_proxy',
    container: 'mov',
    resolution: 'half',
    naming_template: '{source_name}_proxy_{index}',
  };
}

let n = 0;
/** Write the JobSpec into the fixture folder and load it the way the command does. */
async function load(
  spec: Record<string, unknown> | string,
  opts: { home?: string; dir?: string } = {},
): Promise<LoadResult & { text: string; file: string }> {
  const text = typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2) + '\n';
  const file = path.join(opts.dir ?? root, `case${n++}.jobspec.json`);
  await fs.writeFile(file, text);
  const res = await loadJobSpec(file, { home: opts.home });
  return { ...res, file };
}

function list(problems: Problem[]): string {
  return problems.map((p) => `  [${p.code}] ${p.pointer || '(root)'} @${p.line}:${p.column}: ${p.message}`).join('\n');
}

/** 1-based line of the first occurrence of `needle` in `text`. */
function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `${needle} not in the JobSpec text`);
  return text.slice(0, at).split('\n').length;
}

interface Want {
  code: string;
  pointer: string;
  message: RegExp;
  /** Text whose line the problem must be located on, or the line itself (default: the line of the pointer's key). */
  at?: string | number;
}

/** The run is refused, and `want` is among the problems, located where it belongs. */
function expectProblem(res: LoadResult & { text: string }, want: Want): Problem {
  assert.equal(res.ok, false, `expected the JobSpec to be rejected with ${want.code}`);
  const found = res.problems.filter((p) => p.code === want.code && p.pointer === want.pointer);
  assert.equal(found.length, 1, `expected exactly one [${want.code}] at "${want.pointer}", got:\n${list(res.problems)}`);
  const p = found[0];
  assert.equal(p.severity, 'error');
  assert.match(p.message, want.message);
  assert.equal(typeof p.line, 'number', 'line present');
  assert.equal(typeof p.column, 'number', 'column present');
  assert.ok((p.column ?? 0) >= 1);
  if (typeof want.at === 'number') {
    assert.equal(p.line, want.at, `${want.code} located on line ${want.at}`);
    return p;
  }
  let needle = want.at;
  if (needle === undefined && want.pointer) {
    const last = want.pointer.split('/').pop() ?? '';
    needle = /^\d+$/.test(last) ? undefined : `"${last}"`;
  }
  if (needle !== undefined) assert.equal(p.line, lineOf(res.text, needle), `${want.code} located on the line of ${needle}`);
  else if (want.pointer === '') assert.deepEqual([p.line, p.column], [1, 1]);
  return p;
}

describe('a valid JobSpec', () => {
  test('the seed-like base is valid: defaults filled in, paths absolute, nothing reported', async () => {
    const res = await load(base());
    assert.ok(res.ok, list(res.problems));
    assert.deepEqual(res.problems, []);
    const spec = res.spec;
    assert.deepEqual(spec.sources, [path.join(root, 'media/a.mov'), path.join(root, 'media/b.mov')]);
    assert.deepEqual(spec.sources_as_written, ['media/a.mov', 'media/b.mov']);
    assert.equal(spec.output_directory, path.join(root, 'out'));
    assert.equal(spec.jobspec_version, '1');
    assert.equal(spec.fps_mode, 'same-as-source');
    assert.equal(spec.audio, 'auto');
    assert.equal(spec.overwrite, 'never');
    assert.equal(spec.max_concurrent_jobs, 1);
    assert.equal(spec.job_id, 'val001');
    assert.equal(spec.job_id_generated, false);
  });

  test('job_id defaults to 8 random hex digits, new for every load', async () => {
    const spec = base();
    delete spec.job_id;
    const a = await load(spec);
    const b = await load(spec);
    assert.ok(a.ok && b.ok);
    assert.match(a.spec.job_id, /^[0-9a-f]{8}$/);
    assert.equal(a.spec.job_id_generated, true);
    assert.notEqual(a.spec.job_id, b.spec.job_id);
  });

  test('container is case-insensitive with an optional dot; hevc is an alias of h265', async () => {
    const res = await load({ ...base(), codec: 'hevc', container: '.MP4' });
    assert.ok(res.ok, list(res.problems));
    assert.equal(res.spec.codec, 'h265');
    assert.equal(res.spec.container, 'mp4');
  });

  test('$schema, created_at in RFC 3339 and every optional field are accepted', async () => {
    const res = await load({
      $schema: '../schemas/jobspec.schema.json',
      jobspec_version: '1',
      ...base(),
      fps_mode: 'explicit',
      fps_explicit: 23.976,
      audio: 'pcm',
      max_concurrent_jobs: 2,
      overwrite: 'replace',
      prores_encoder: 'prores_aw',
      created_at: '2025-12-28T12:00:00Z',
    });
    assert.ok(res.ok, list(res.problems));
    assert.equal(res.spec.fps_explicit, 23.976);
    assert.equal(res.spec.created_at, '2025-12-28T12:00:00Z');
    assert.equal(res.spec.prores_encoder, 'prores_aw');
  });
});

describe('validation rules', () => {
  test('unknown field: rejected, with a did-you-mean for a near miss', async () => {
    const res = await load({ ...base(), naming_templte: 'x' });
    const p = expectProblem(res, {
      code: 'unknown-field',
      pointer: '/naming_templte',
      message: /Unknown field "naming_templte".*Did you mean "naming_template"\?/,
    });
    assert.equal(p.column, 3, 'the squiggle sits on the key, after two spaces of indent');
    const far = await load({ ...base(), zzzzzzzz: true });
    expectProblem(far, {
      code: 'unknown-field',
      pointer: '/zzzzzzzz',
      message: /Unknown field "zzzzzzzz".*Known fields: .*sources.*naming_template/,
    });
  });

  test('missing required field: named, located at the document', async () => {
    const spec = base();
    delete spec.codec;
    const res = await load(spec);
    expectProblem(res, { code: 'required', pointer: '', message: /Missing required field "codec"/ });
  });

  test('wrong type: names the field, what it takes and what it got', async () => {
    const res = await load({ ...base(), sources: 'media/a.mov', max_concurrent_jobs: '2' });
    expectProblem(res, {
      code: 'type',
      pointer: '/sources',
      message: /sources must be an array of file paths.*not the string "media\/a\.mov"/,
    });
    expectProblem(res, {
      code: 'type',
      pointer: '/max_concurrent_jobs',
      message: /max_concurrent_jobs must be a whole number from 1 to 16, not the string "2"/,
    });
    const item = await load({ ...base(), sources: ['media/a.mov', 5] });
    expectProblem(item, { code: 'type', pointer: '/sources/1', message: /sources\[1\] must be a file path string, not number 5/, at: '5' });
  });

  test('unknown jobspec_version: rejected with what this tool understands', async () => {
    const res = await load({ jobspec_version: '2', ...base() });
    expectProblem(res, {
      code: 'unknown-version',
      pointer: '/jobspec_version',
      message: /Unknown jobspec_version "2": this tool understands "1" \(its own format\) and "2\.1"/,
    });
  });

  test('empty sources', async () => {
    const res = await load({ ...base(), sources: [] });
    expectProblem(res, { code: 'sources-empty', pointer: '/sources', message: /sources is empty.*at least one source/ });
  });

  test('duplicate sources, literally the same string: the later one is named, the others still checked', async () => {
    const res = await load({ ...base(), sources: ['media/a.mov', 'media/b.mov', 'media/a.mov', 'media/gone.mov'] });
    const p = expectProblem(res, {
      code: 'source-duplicate',
      pointer: '/sources/2',
      message: /sources\[2\] "media\/a\.mov" repeats sources\[0\] "media\/a\.mov".*each source may appear once/,
    });
    assert.equal(p.line, lineOf(res.text, '"media/b.mov"') + 1, 'on the line of the second "media/a.mov"');
    assert.equal(res.problems.filter((q) => q.code === 'source-duplicate').length, 1, list(res.problems));
    // A duplicate does not hide a problem with another source.
    expectProblem(res, { code: 'source-missing', pointer: '/sources/3', message: /Source not found/, at: '"media/gone.mov"' });
  });

  test('duplicate sources after path resolution: ./, .., absolute and a symlink name the same file', async () => {
    await fs.symlink(path.join(media, 'a.mov'), path.join(media, 'link-to-a.mov')).catch(() => undefined);
    const res = await load({
      ...base(),
      sources: ['media/a.mov', './media/../media/a.mov', path.join(media, 'a.mov'), 'media/link-to-a.mov', 'media/b.mov'],
    });
    for (const [i, written] of [
      [1, './media/../media/a.mov'],
      [2, path.join(media, 'a.mov')],
      [3, 'media/link-to-a.mov'],
    ] as const) {
      expectProblem(res, {
        code: 'source-duplicate',
        pointer: `/sources/${i}`,
        message: new RegExp(
          `sources\\[${i}\\] "${written.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}" is the same file as sources\\[0\\] "media/a\\.mov"`,
        ),
        at: JSON.stringify(written),
      });
    }
    assert.equal(res.problems.filter((p) => p.code === 'source-duplicate').length, 3, list(res.problems));
  });

  test('missing source: the resolved path and where relative paths resolve from', async () => {
    const res = await load({ ...base(), sources: ['media/a.mov', 'media/nope.mov'] });
    const p = expectProblem(res, {
      code: 'source-missing',
      pointer: '/sources/1',
      message: /Source not found: .*media\/nope\.mov/,
      at: '"media/nope.mov"',
    });
    assert.ok(p.message.includes(path.join(root, 'media/nope.mov')), p.message);
    assert.ok(p.message.includes(`resolve against ${root}`), p.message);
  });

  test('folder as source', async () => {
    const res = await load({ ...base(), sources: ['media/a.mov', 'media'] });
    expectProblem(res, { code: 'source-not-file', pointer: '/sources/1', message: /Source is a folder, not a clip/, at: '"media"' });
  });

  test('zero-byte source', async () => {
    const res = await load({ ...base(), sources: ['media/a.mov', 'media/empty.mov'] });
    expectProblem(res, {
      code: 'source-empty',
      pointer: '/sources/1',
      message: /empty \(0-byte\) file.*empty\.mov/,
      at: '"media/empty.mov"',
    });
  });

  test('codec/container mismatch names the allowed containers', async () => {
    const cases: [string, string, RegExp][] = [
      ['prores_proxy', 'mp4', /ProRes.*Allowed containers: mov\. Got "mp4"/],
      ['dnxhd', 'mov', /dnxhd.*Allowed containers: mxf\. Got "mov"/],
      ['dnxhr_lb', 'mp4', /DNxHR.*Allowed containers: mov, mxf\. Got "mp4"/],
      ['h264', 'webm', /H\.264.*Allowed containers: mp4, mov, mkv\. Got "webm"/],
      ['vp9', 'mp4', /vp9.*Allowed containers: webm, mkv\. Got "mp4"/],
      ['av1', 'mov', /av1.*Allowed containers: mp4, mkv, webm\. Got "mov"/],
    ];
    for (const [codec, container, message] of cases) {
      const res = await load({ ...base(), codec, container });
      expectProblem(res, { code: 'codec-container', pointer: '/container', message });
    }
  });

  test('bad resolution', async () => {
    for (const resolution of ['big', '1280X720', '0x720', '1280x', 'HALF']) {
      const res = await load({ ...base(), resolution });
      expectProblem(res, {
        code: 'enum',
        pointer: '/resolution',
        message: new RegExp(`resolution must be same, half, quarter or WxH.*Got "${resolution}"`),
      });
    }
  });

  test('unknown naming token {bogus}', async () => {
    const res = await load({ ...base(), naming_template: '{source_name}_{bogus}_{index}' });
    expectProblem(res, {
      code: 'naming-unknown-token',
      pointer: '/naming_template',
      message: /unknown token "\{bogus\}".*Known tokens: .*\{source_name\}.*\{index\}/,
    });
  });

  test('unclosed token {index', async () => {
    const res = await load({ ...base(), naming_template: '{source_name}_proxy_{index' });
    expectProblem(res, {
      code: 'naming-unclosed-brace',
      pointer: '/naming_template',
      message: /unclosed token "\{index" at character 21.*close it with "\}"/,
    });
  });

  test('several sources without {index} or {source_name}', async () => {
    const res = await load({ ...base(), naming_template: '{job_id}_proxy' });
    expectProblem(res, {
      code: 'naming-not-unique',
      pointer: '/naming_template',
      message: /same name.*2 sources must use \{index\} or \{source_name\}/,
    });
  });

  test('naming_template with a path separator, or resolving to ..', async () => {
    const res = await load({ ...base(), naming_template: '../{source_name}_{index}' });
    expectProblem(res, {
      code: 'pattern',
      pointer: '/naming_template',
      message: /may not contain '\/'.*outputs never leave output_directory/,
    });
    const back = await load({ ...base(), naming_template: 'sub\\{source_name}_{index}' });
    expectProblem(back, { code: 'pattern', pointer: '/naming_template', message: /may not contain/ });
    const dots = await load({ ...base(), sources: ['media/a.mov'], naming_template: '..' });
    expectProblem(dots, {
      code: 'output-name-invalid',
      pointer: '/sources/0',
      message: /resolves to "\.\.", which would leave output_directory/,
      at: '"media/a.mov"',
    });
  });

  test('naming_template resolving to an empty name ({source_ext} of a source without extension)', async () => {
    const res = await load({ ...base(), sources: ['media/noext'], naming_template: '{source_ext}' });
    expectProblem(res, {
      code: 'output-name-empty',
      pointer: '/sources/0',
      message: /sources\[0\] resolves to an empty name/,
      at: '"media/noext"',
    });
  });

  test('two sources resolving to one output: both are named', async () => {
    const res = await load({ ...base(), sources: ['media/a.mov', 'media/b.mov', 'other/a.mov'], naming_template: '{source_name}_proxy' });
    const p = expectProblem(res, {
      code: 'output-collision',
      pointer: '/sources/2',
      message: /sources\[2\] "other\/a\.mov" and sources\[0\] "media\/a\.mov" both resolve to /,
      at: '"other/a.mov"',
    });
    assert.ok(p.message.includes(path.join(root, 'out', 'a_proxy.mov')), p.message);
    // a.mov and a.mxf differ only by extension, which {source_name} drops.
    const ext = await load({ ...base(), sources: ['media/a.mov', 'media/a.mxf'], naming_template: '{source_name}' });
    expectProblem(ext, {
      code: 'output-collision',
      pointer: '/sources/1',
      message: /"media\/a\.mxf" and sources\[0\] "media\/a\.mov" both resolve to .*a\.mov/,
      at: '"media/a.mxf"',
    });
  });

  test('an output that would be one of the sources', async () => {
    const res = await load({ ...base(), sources: ['media/a.mov'], output_directory: 'media', naming_template: '{source_name}' });
    expectProblem(res, {
      code: 'output-is-source',
      pointer: '/sources/0',
      message: /would be .*media\/a\.mov, which is that source itself \(.*media\/a\.mov\) on its volume: a source is never written/,
      at: '"media/a.mov"',
    });
    // Also through another spelling of the same folder.
    const other = await load({
      ...base(),
      sources: ['media/a.mov', 'media/b.mov'],
      output_directory: './media/../media/',
      naming_template: '{source_name}',
    });
    expectProblem(other, {
      code: 'output-is-source',
      pointer: '/sources/1',
      message: /which is that source itself \(.*media\/b\.mov\)/,
      at: '"media/b.mov"',
    });
  });

  test('output_directory missing, or a file', async () => {
    const res = await load({ ...base(), output_directory: 'no-such-dir' });
    const p = expectProblem(res, {
      code: 'output-dir-missing',
      pointer: '/output_directory',
      message: /Output folder does not exist: .*no-such-dir\. Create it/,
    });
    assert.ok(p.message.includes(path.join(root, 'no-such-dir')));
    const file = await load({ ...base(), output_directory: 'a-file' });
    expectProblem(file, {
      code: 'output-dir-not-directory',
      pointer: '/output_directory',
      message: /output_directory is a file, not a folder/,
    });
  });

  test('fps_mode explicit without fps_explicit', async () => {
    const res = await load({ ...base(), fps_mode: 'explicit' });
    expectProblem(res, { code: 'fps-explicit-missing', pointer: '/fps_mode', message: /"explicit" but fps_explicit is missing/ });
  });

  test('fps_explicit without fps_mode explicit', async () => {
    for (const extra of [{}, { fps_mode: 'same-as-source' }]) {
      const res = await load({ ...base(), ...extra, fps_explicit: 25 });
      expectProblem(res, {
        code: 'fps-explicit-unused',
        pointer: '/fps_explicit',
        message: /fps_explicit is set but fps_mode is not "explicit"/,
      });
    }
    const zero = await load({ ...base(), fps_mode: 'explicit', fps_explicit: 0 });
    expectProblem(zero, { code: 'range', pointer: '/fps_explicit', message: /fps_explicit must be >= 1, not 0/ });
  });

  test('audio pcm into mp4', async () => {
    const res = await load({ ...base(), codec: 'h264', container: 'mp4', audio: 'pcm' });
    expectProblem(res, {
      code: 'audio-container',
      pointer: '/audio',
      message: /audio "pcm" cannot be written to mp4.*auto, copy, aac, none/,
    });
    const mxf = await load({ ...base(), codec: 'dnxhr_lb', container: 'mxf', audio: 'aac' });
    expectProblem(mxf, { code: 'audio-container', pointer: '/audio', message: /audio "aac" cannot be written to mxf/ });
  });

  test('created_at in a bad format', async () => {
    for (const created_at of ['28/12/2025', '2025-12-28', '2025-12-28 12:00']) {
      const res = await load({ ...base(), created_at });
      expectProblem(res, { code: 'format', pointer: '/created_at', message: /created_at must be an RFC 3339 date-time/ });
    }
  });

  test('malformed JSON: line and column in the message and on the problem', async () => {
    const text = '{\n  "job_id": "val001",\n  "sources": ["media/a.mov"]\n  "output_directory": "out"\n}\n';
    const res = await load(text);
    assert.equal(res.ok, false);
    const p = res.problems.find((q) => q.code === 'json-syntax');
    assert.ok(p, list(res.problems));
    assert.match(p.message, /not valid JSON at line 4, column 3: a comma was expected/);
    assert.deepEqual([p.line, p.column, p.pointer], [4, 3, '']);
    const trailing = await load('{\n  "sources": ["a.mov",],\n}');
    assert.ok(trailing.problems.every((q) => q.code === 'json-syntax' && typeof q.line === 'number'));
    assert.match(trailing.problems[0].message, /line 2, column 23/);
    const comment = await load('{\n  // a comment\n  "sources": []\n}');
    assert.match(comment.problems[0].message, /line 2, column 3: comments are not allowed/);
    const empty = await load('   \n');
    assert.equal(empty.problems[0].code, 'json-empty');
    const array = await load('["media/a.mov"]');
    assert.equal(array.problems[0].code, 'not-object');
    assert.match(array.problems[0].message, /holds an array; a JobSpec must be a JSON object/);
  });

  test('an unreadable JobSpec path: missing, or a folder', async () => {
    const missing = await loadJobSpec(path.join(root, 'none.jobspec.json'));
    assert.equal(missing.ok, false);
    assert.equal(missing.problems[0].code, 'jobspec-unreadable');
    assert.match(missing.problems[0].message, /Cannot read JobSpec .*none\.jobspec\.json: it does not exist/);
    const folder = await loadJobSpec(media);
    assert.match(folder.problems[0].message, /is a folder, not a JobSpec file/);
  });

  test('relative paths resolve against the JobSpec folder (not the cwd), and ~ against home', async () => {
    const project = path.join(root, 'project');
    const home = path.join(root, 'home');
    await fs.mkdir(path.join(project, 'proxies'), { recursive: true });
    await fs.mkdir(path.join(home, 'clips'), { recursive: true });
    await fs.writeFile(path.join(home, 'clips', 'h.mov'), 'x');
    assert.notEqual(process.cwd(), project);
    const res = await load(
      { ...base(), sources: ['../media/a.mov', '~/clips/h.mov'], output_directory: 'proxies' },
      { dir: project, home },
    );
    assert.ok(res.ok, list(res.problems));
    assert.deepEqual(res.spec.sources, [path.join(root, 'media', 'a.mov'), path.join(home, 'clips', 'h.mov')]);
    assert.equal(res.spec.output_directory, path.join(project, 'proxies'));
    const homeOut = await load({ ...base(), output_directory: '~' }, { home });
    assert.ok(homeOut.ok, list(homeOut.problems));
    assert.equal(homeOut.spec.output_directory, home);
    // validateJobSpecText resolves against the folder of the path it is given, even for a file not on disk.
    const text = JSON.stringify({ ...base(), sources: ['media/a.mov'] });
    const virtual = await validateJobSpecText(text, path.join(root, 'not-written.jobspec.json'));
    assert.ok(virtual.ok, list(virtual.problems));
    assert.equal(virtual.spec.sources[0], path.join(root, 'media', 'a.mov'));
  });

  test('several problems in one file are all reported at once, each located', async () => {
    const res = await load({
      ...base(),
      sources: ['media/a.mov', 'media/missing.mov', 'media'],
      codec: 'h264',
      container: 'mp4',
      resolution: 'huge',
      audio: 'pcm',
      created_at: 'yesterday',
      overwirte: 'never',
    });
    const codes = res.problems.map((p) => `${p.code}@${p.pointer}`).sort();
    assert.deepEqual(
      codes,
      [
        'audio-container@/audio',
        'enum@/resolution',
        'format@/created_at',
        'source-missing@/sources/1',
        'source-not-file@/sources/2',
        'unknown-field@/overwirte',
      ],
      list(res.problems),
    );
    for (const p of res.problems) {
      assert.ok(Number.isInteger(p.line) && Number.isInteger(p.column) && Number.isInteger(p.offset), `${p.code} is located`);
    }
    const byCode = new Map(res.problems.map((p) => [p.code, p]));
    assert.match(byCode.get('unknown-field')?.message ?? '', /Did you mean "overwrite"/);
    assert.equal(byCode.get('source-missing')?.line, lineOf(res.text, '"media/missing.mov"'));
    assert.equal(byCode.get('enum')?.line, lineOf(res.text, '"resolution"'));
  });
});
