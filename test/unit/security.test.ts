// Issue #5, security: no output path leaves output_directory (symlinks included: see the decisions
// below), ffmpeg never reads a source as a protocol or an option, no shell is ever used, and
// nothing from the JobSpec reaches ffmpeg (or ffprobe) except as a single argument.
//
// Symlink decisions, as the code behaves and these tests pin down:
// - output_directory that is a symlink is followed: pointing it somewhere is the user's choice.
//   Validation compares outputs with sources through the link's real path, so a linked output
//   folder cannot hide an output that is a source (corpus case 093).
// - an existing output *file* that is a symlink (or a hard link) is never written through: ffmpeg
//   writes a new temporary file, and the finished proxy is renamed over the link itself. With
//   "replace" the link is replaced by the proxy and its target (even a source) is untouched; with
//   "never" the clip fails and with "skip" it is skipped, the link left as it is. A dangling link
//   never creates its target.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import type { JobSpec } from '../../src/core/types';
import type { SourceInfo } from '../../src/core/ffmpeg';
import { validateJobSpecText } from '../../src/core/jobspec';
import { runCli, shown, toolArgs } from './helpers/cli';
import { core } from './helpers/core';
import { standIn } from './helpers/executables';
import { sourceInfo } from './helpers/info';
import { durationOf, placeMedia } from './helpers/media';
import { ROOT } from './helpers/paths';
import { runResult } from './helpers/scene';
import { baseSpec, writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { sha256 } from './helpers/tree';

/** The argument vectors the recording stand-ins saw, one array per call. */
async function recordedCalls(dir: string): Promise<string[][]> {
  const calls: string[][] = [];
  for (const f of (await fsp.readdir(dir)).sort()) {
    const parts = (await fsp.readFile(path.join(dir, f), 'utf8')).split('\0');
    parts.pop(); // every argument ends with a NUL
    calls.push(parts);
  }
  return calls;
}

describe('security: arguments', () => {
  test('hostile source names reach ffmpeg and ffprobe as one file: argument each, exactly as the result records', async (t) => {
    const dir = await tempDir(t);
    const names = [
      '-y',
      '-i x.mov',
      'concat:a|b',
      'pipe:1',
      'http:x.mov',
      '$(touch PWNED).mov',
      'a\'b"c.mov',
      'new\nline.mov',
      ' lead.mov',
      '-filter_complex.mov',
      '%d.mov',
      'file:..mov',
    ];
    for (const [i, n] of names.entries()) await placeMedia(path.join(dir, 'media', n), i % 2 ? 'clip-b' : 'clip-no-audio');
    await fsp.mkdir(path.join(dir, 'out'));
    const spec = await writeSpec(dir, baseSpec({ sources: names.map((n) => `media/${n}`), naming_template: '{source_name}_{index}' }));
    const argvDir = await tempDir(t);
    const r = await runCli(
      [
        'execute',
        spec,
        '--json',
        '--ffmpeg',
        standIn('stand-in-ffmpeg-record-argv.sh'),
        '--ffprobe',
        standIn('stand-in-ffprobe-record-argv.sh'),
      ],
      {
        cwd: dir,
        env: { STANDIN_ARGV_DIR: argvDir },
        timeoutMs: 120_000,
      },
    );
    const result = runResult(r);
    assert.equal(r.code, 0, shown(r));
    const calls = await recordedCalls(argvDir);
    const encodes = calls.filter((c) => c.includes('-i'));
    assert.equal(encodes.length, names.length, 'one ffmpeg run per clip');
    const abs = names.map((n) => path.join(dir, 'media', n));
    for (const [i, clip] of result.clips.entries()) {
      const runs = encodes.filter((c) => c[c.indexOf('-i') + 1] === `file:${abs[i]}`);
      assert.equal(runs.length, 1, `one ffmpeg run reads ${JSON.stringify(names[i])}`);
      const argv = runs[0];
      // What ffmpeg received is exactly what the result (and report) records, element by element.
      assert.deepEqual(argv, clip.ffmpeg_args);
      // The source: once, right after -i, as file:<absolute path>.
      assert.equal(argv[argv.indexOf('-i') + 1], `file:${abs[i]}`);
      assert.equal(argv.filter((a) => a === `file:${abs[i]}`).length, 1);
      // The target: last, a temporary file directly in the output folder, and -n: ffmpeg overwrites nothing.
      const target = argv[argv.length - 1];
      assert.match(
        target,
        new RegExp(
          `^file:${path.join(dir, 'out').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\.jobspec-tmp-[0-9a-f]{8}-n\\d+-\\d+-[0-9a-f]+\\.mp4$`,
        ),
      );
      assert.ok(argv.includes('-n'));
      assert.ok(argv.includes('-nostdin'));
      // Nothing else carries any source name (pipe:1 is the runner's own -progress target).
      const distinctive = names.filter((x) => x.length > 4 && x !== 'pipe:1');
      for (const a of argv)
        if (a !== `file:${abs[i]}` && a !== target)
          for (const n of distinctive) assert.ok(!a.includes(n), `${JSON.stringify(a)} carries ${JSON.stringify(n)}`);
    }
    // ffprobe: every path it was given is a single file: argument.
    const probes = calls.filter((c) => !c.includes('-i') && !c.includes('-encoders') && !c.includes('-version'));
    assert.ok(probes.length >= names.length);
    for (const p of probes) {
      const files = p.filter((a) => a.startsWith('file:'));
      assert.equal(files.length, 1, JSON.stringify(p));
      assert.equal(p[p.length - 1], files[0]);
      assert.ok(abs.some((s) => files[0] === `file:${s}`) || /\/out\/\.jobspec-tmp-/.test(files[0]), files[0]);
    }
    for (const p of ['PWNED', 'media/PWNED', 'out/PWNED'])
      assert.equal(fs.existsSync(path.join(dir, p)), false, `${p} exists: a shell ran`);
  });

  test('names that are ffmpeg protocols are read as the local file of that name, never as the protocol', async (t) => {
    const dir = await tempDir(t);
    // Decoys: if "concat:a.mov|b.mov" or "file:b.mov" were read as protocols, ffmpeg would read these 4 s clips.
    for (const d of ['', 'media/']) {
      await placeMedia(path.join(dir, `${d}a.mov`), 'medium');
      await placeMedia(path.join(dir, `${d}b.mov`), 'medium');
    }
    const names = ['concat:a.mov|b.mov', 'file:b.mov', 'subfile,,start,0,end,0,,:b.mov', 'async:b.mov', 'cache:b.mov'];
    for (const n of names) await placeMedia(path.join(dir, 'media', n), 'clip');
    await fsp.mkdir(path.join(dir, 'out'));
    const spec = await writeSpec(dir, baseSpec({ sources: names.map((n) => `media/${n}`), naming_template: 'p{index}' }));
    const r = await runCli(['execute', spec, '--json', ...toolArgs()], { cwd: dir, timeoutMs: 120_000 });
    assert.equal(r.code, 0, shown(r));
    for (const [i, n] of names.entries()) {
      const d = durationOf(path.join(dir, 'out', `p00${i}.mp4`));
      assert.ok(Math.abs(d - 1) < 0.2, `${n}: proxy lasts ${d}s; the 1 s file of that name was not what ffmpeg read`);
    }
  });

  test('no shell anywhere: no shell option, no child_process exec, every process started with an argument array', () => {
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.generated.ts')) files.push(p);
      }
    };
    walk(path.join(ROOT, 'src'));
    assert.ok(files.length > 10);
    for (const f of files) {
      const code = fs
        .readFileSync(f, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      const rel = path.relative(ROOT, f);
      assert.doesNotMatch(code, /\bshell\s*:/, `${rel} passes a shell option`);
      assert.doesNotMatch(
        code,
        /['"](node:)?child_process['"]/,
        `${rel} uses child_process directly (execa with an argument array is the rule)`,
      );
      assert.doesNotMatch(code, /execaCommand|execaNode|\$`|\$\(\{/, `${rel} uses a command-string form of execa`);
      assert.doesNotMatch(code, /createTask|ShellExecution|sendText\(/, `${rel} runs something through a terminal or task shell`);
      for (const m of code.matchAll(/\bexeca\(([^,]+),\s*([^,)]+)/g)) {
        assert.doesNotMatch(m[2].trim(), /^['"`]/, `${rel}: execa(${m[1]}, ${m[2]}) takes its arguments as a string`);
      }
    }
  });
});

describe('security: outputs stay in output_directory', () => {
  test(
    'property: for any template and source name, every output of a valid spec is directly inside output_directory',
    { timeout: 120_000 },
    async (t) => {
      const dir = await tempDir(t);
      let valid = 0;
      const piece = fc.constantFrom(
        '{source_name}',
        '{source_ext}',
        '{index}',
        '{job_id}',
        '{codec}',
        '{resolution}',
        '{date}',
        '{time}',
        '.',
        '..',
        '/',
        '\\',
        '_',
        '-',
        ' ',
        'x',
        '~',
        '%2e',
        '\u2215',
        '\uff0f',
        '\u0000',
        ':',
        '|',
      );
      const namePiece = fc.constantFrom('.', '..', 'a', ' ', '-', '\\', ':', 'mov', '.mov', '..mov', '~', 'é', '\n', '%2f', '\u2215');
      const outDir = fc.constantFrom('out', './out', 'out/', 'a/../out', 'out/./', '~/out', '/tmp/x/../out', 'out//sub');
      await fc.assert(
        fc.asyncProperty(
          fc.array(piece, { minLength: 1, maxLength: 8 }).map((a) => a.join('')),
          fc.array(
            fc.array(namePiece, { minLength: 1, maxLength: 5 }).map((a) => a.join('')),
            { minLength: 1, maxLength: 3 },
          ),
          outDir,
          fc.constantFrom('mov', 'MOV', '.mov'),
          async (template, names, out, container) => {
            const text = JSON.stringify({
              sources: names.map((n) => `media/${n}`),
              output_directory: out,
              codec: 'prores_proxy',
              container,
              resolution: 'half',
              naming_template: template,
            });
            const r = await validateJobSpecText(text, path.join(dir, 'p.jobspec.json'), {
              checkFilesystem: false,
              home: path.join(dir, 'home'),
            });
            if (!r.ok) {
              assert.ok(r.problems.some((p) => p.severity === 'error'));
              return;
            }
            valid++;
            const spec: JobSpec = r.spec;
            for (const c of core.planOutputs(spec, new Date())) {
              assert.equal(path.dirname(c.output), spec.output_directory, `${JSON.stringify(template)} → ${c.output}`);
              assert.ok(c.output.startsWith(spec.output_directory + path.sep));
              assert.ok(!['', '.', '..'].includes(path.basename(c.output)));
              assert.ok(!spec.sources.includes(c.output));
            }
          },
        ),
        { numRuns: 1000 },
      );
      assert.ok(valid > 100, `only ${valid} of 1000 generated JobSpecs were valid`);
      t.diagnostic(`${valid} valid JobSpecs checked`);
    },
  );

  test(
    'property: the source path, the timecode and the target each reach ffmpeg as one argument, and change no other',
    { timeout: 120_000 },
    (t) => {
      const { buildFfmpegArgs } = core.ffmpeg;
      let compared = 0;
      const PAIRS: [JobSpec['codec'], JobSpec['container']][] = [
        ['prores_proxy', 'mov'],
        ['prores_4444', 'mov'],
        ['dnxhr_lb', 'mxf'],
        ['dnxhr_hq', 'mov'],
        ['dnxhd', 'mxf'],
        ['h264', 'mp4'],
        ['h264', 'mkv'],
        ['h265', 'mov'],
        ['vp9', 'webm'],
        ['av1', 'mkv'],
      ];
      const hostile = fc
        .array(
          fc.constantFrom(
            '-',
            '-i',
            ' ',
            ';',
            '|',
            '$(x)',
            '`',
            "'",
            '"',
            '\n',
            'concat:',
            'pipe:',
            'http://',
            ',',
            '=',
            ':',
            '[',
            ']',
            'é',
            'x',
          ),
          { minLength: 1, maxLength: 8 },
        )
        .map((a) => a.join(''));
      fc.assert(
        fc.property(
          fc.constantFrom(...PAIRS),
          fc.constantFrom('same', 'half', 'quarter', '1280x720', '1920x1080', '7x5'),
          fc.option(fc.constantFrom(23.976, 25, 29.97, 50, 1000, 0.5), { nil: undefined }),
          fc.constantFrom('auto', 'copy', 'aac', 'pcm', 'none') as fc.Arbitrary<JobSpec['audio']>,
          hostile,
          hostile,
          fc.option(hostile, { nil: null }),
          fc.nat({ max: 4 }),
          ([codec, container], resolution, fps, audio, srcName, outName, timecode, threads) => {
            const spec = (source: string): JobSpec => ({
              jobspec_version: '1',
              job_id: 'j',
              job_id_generated: false,
              sources: [source],
              sources_as_written: [source],
              output_directory: '/o',
              codec,
              container,
              resolution,
              naming_template: '{source_name}',
              fps_mode: fps ? 'explicit' : 'same-as-source',
              ...(fps ? { fps_explicit: fps } : {}),
              audio,
              max_concurrent_jobs: 1,
              overwrite: 'never',
              prores_encoder: 'prores_ks',
              layout: 'flat',
              proxy_folder: 'Proxy',
            });
            const info = (tc: string | null): SourceInfo =>
              sourceInfo({
                pixFmt: 'yuv422p10le',
                audio: [{ codec: 'pcm_s24le', channels: 2, layout: 'stereo', sample_rate: 48000 }],
                timecode: tc,
              });
            const source = `/media/${srcName}`;
            const target = `/o/${outName}`;
            const built = buildFfmpegArgs(spec(source), source, info(timecode), target, { threads, encoders: new Set(['libsvtav1']) });
            const plain = buildFfmpegArgs(spec('/media/plain.mov'), '/media/plain.mov', info(timecode === null ? null : 'TC'), '/o/t.mov', {
              threads,
              encoders: new Set(['libsvtav1']),
            });
            if ('error' in built || 'error' in plain) {
              assert.deepEqual('error' in built, 'error' in plain);
              return;
            }
            compared++;
            const a = built.args;
            const b = plain.args;
            assert.equal(a.length, b.length, 'a name never adds or removes arguments');
            const srcAt = a.indexOf('-i') + 1;
            assert.equal(a[srcAt], `file:${source}`);
            assert.equal(a[a.length - 1], `file:${target}`);
            const tcAt = timecode === null ? -1 : a.indexOf('-timecode') + 1;
            if (timecode !== null && container !== 'webm') assert.equal(a[tcAt], timecode);
            for (let i = 0; i < a.length; i++) {
              if (i === srcAt || i === a.length - 1 || i === tcAt) continue;
              assert.equal(a[i], b[i], `argument ${i} changed with the names: ${JSON.stringify(a[i])}`);
            }
            const vf = a[a.indexOf('-vf') + 1];
            assert.match(
              vf,
              /^scale=\d+:\d+:flags=bicubic:in_color_matrix=[a-z0-9]+:out_color_matrix=[a-z0-9]+:in_range=(tv|full):out_range=(tv|full),setsar=1(,fps=\d+\/\d+)?,format=[a-z0-9]+$/,
            );
          },
        ),
        // Conforming refuses a timecode that does not exist at the new rate (most hostile strings), so
        // twice the runs keep the number of lists actually compared above the bar.
        { numRuns: 2000 },
      );
      assert.ok(compared > 500, `only ${compared} of 2000 argument lists compared`);
      t.diagnostic(`${compared} argument lists compared`);
    },
  );
});

describe('security: symlinks', () => {
  async function linkScene(t: { after(fn: () => unknown): void }, overwrite: string, link: (dir: string) => Promise<void>) {
    const dir = await tempDir(t);
    const source = await placeMedia(path.join(dir, 'media', 'A001.mov'), 'clip');
    await fsp.mkdir(path.join(dir, 'out'));
    await fsp.mkdir(path.join(dir, 'outside'));
    await link(dir);
    const hash = await sha256(source);
    const spec = await writeSpec(dir, baseSpec({ sources: ['media/A001.mov'], naming_template: '{source_name}_proxy', overwrite }));
    const r = await runCli(['execute', spec, '--json', ...toolArgs()], { timeoutMs: 60_000 });
    const output = path.join(dir, 'out', 'A001_proxy.mp4');
    return { dir, source, hash, r, result: runResult(r), output };
  }

  const toSource = (dir: string): Promise<void> =>
    fsp.symlink(path.join(dir, 'media', 'A001.mov'), path.join(dir, 'out', 'A001_proxy.mp4'));

  test('an output_directory that is a symlink is followed (the user pointed it there)', async (t) => {
    const dir = await tempDir(t);
    await placeMedia(path.join(dir, 'media', 'A001.mov'), 'clip');
    await fsp.mkdir(path.join(dir, 'real-out'));
    await fsp.symlink('real-out', path.join(dir, 'out'));
    const spec = await writeSpec(dir, baseSpec({ sources: ['media/A001.mov'] }));
    const r = await runCli(['execute', spec, '--json', ...toolArgs()], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, shown(r));
    const names = (await fsp.readdir(path.join(dir, 'real-out'))).sort();
    assert.equal(names.length, 2);
    assert.equal(names[0], 'A001_proxy.mp4');
    assert.match(names[1], /\.report\.json$/);
    assert.ok((await fsp.lstat(path.join(dir, 'out'))).isSymbolicLink(), 'the link itself is left as it was');
  });

  // An output name that resolves to a source (a symlink or a hard link to it) is that source by
  // identity: refused before anything runs, whatever overwrite says, naming both paths; nothing touched.
  for (const overwrite of ['replace', 'never', 'skip']) {
    test(`an existing output that is a symlink to a source is the source: refused before the run (overwrite "${overwrite}"), link and source untouched`, async (t) => {
      const s = await linkScene(t, overwrite, toSource);
      assert.equal(s.r.code, 1, shown(s.r));
      const v = JSON.parse(s.r.stdout) as { valid: boolean; problems: { code: string; message: string }[] };
      assert.equal(v.valid, false);
      const p = v.problems.find((x) => x.code === 'output-is-source');
      assert.ok(p, shown(s.r));
      assert.ok(p.message.includes(s.output) && p.message.includes(s.source), p.message);
      assert.doesNotMatch(p.message, /replace/, 'the message never suggests replace');
      assert.equal(await fsp.readlink(s.output), s.source);
      assert.equal(await sha256(s.source), s.hash);
    });
  }

  for (const overwrite of ['replace', 'never', 'skip']) {
    test(`a dangling output symlink pointing outside output_directory never creates its target (overwrite "${overwrite}")`, async (t) => {
      const s = await linkScene(t, overwrite, (dir) =>
        fsp.symlink(path.join(dir, 'outside', 'evil.mp4'), path.join(dir, 'out', 'A001_proxy.mp4')),
      );
      assert.equal(fs.existsSync(path.join(s.dir, 'outside', 'evil.mp4')), false, 'the link was written through');
      assert.deepEqual(await fsp.readdir(path.join(s.dir, 'outside')), []);
      if (overwrite === 'replace') {
        assert.equal(s.r.code, 0, shown(s.r));
        assert.ok(!(await fsp.lstat(s.output)).isSymbolicLink());
      } else {
        assert.equal(s.result.clips[0].status, overwrite === 'never' ? 'FAILED' : 'SKIPPED');
        assert.equal(await fsp.readlink(s.output), path.join(s.dir, 'outside', 'evil.mp4'));
      }
    });
  }

  test('an existing output that is a hard link to a source is the source: refused with overwrite "replace", the source keeps its bytes and its link', async (t) => {
    const s = await linkScene(t, 'replace', (dir) =>
      fsp.link(path.join(dir, 'media', 'A001.mov'), path.join(dir, 'out', 'A001_proxy.mp4')),
    );
    assert.equal(s.r.code, 1, shown(s.r));
    assert.match(s.r.stdout, /"code": "output-is-source"/);
    assert.equal(await sha256(s.source), s.hash);
    assert.equal((await fsp.stat(s.source)).nlink, 2, 'the hard link is left as it was');
  });

  test('a source that is a symlink is read through (the clip), and its proxy is named after the link', async (t) => {
    const dir = await tempDir(t);
    await placeMedia(path.join(dir, 'card', 'CLIP0001.MOV'), 'clip');
    await fsp.mkdir(path.join(dir, 'media'));
    await fsp.symlink('../card/CLIP0001.MOV', path.join(dir, 'media', 'A001.mov'));
    await fsp.mkdir(path.join(dir, 'out'));
    const hash = await sha256(path.join(dir, 'card', 'CLIP0001.MOV'));
    const spec = await writeSpec(dir, baseSpec({ sources: ['media/A001.mov'] }));
    const r = await runCli(['execute', spec, ...toolArgs()], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, shown(r));
    assert.ok(fs.existsSync(path.join(dir, 'out', 'A001_proxy.mp4')));
    assert.equal(await sha256(path.join(dir, 'card', 'CLIP0001.MOV')), hash);
  });
});
