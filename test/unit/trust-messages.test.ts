// Trust rule 7: messages, never stack traces. Each case runs the command as a user would and checks
// that the message names the file, field or clip and the cause, that `--json` still prints one
// valid JSON document, and that nothing prints a stack trace.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Problem, RunResult } from '../../src/core/types';
import { ensureCli, runCli, shown, toolArgs, type CliResult } from './helpers/cli';
import { core } from './helpers/core';
import { makeClip, placeMedia, tools } from './helpers/media';
import { makeScene, runResult } from './helpers/scene';
import { baseSpec, writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { reportsIn } from './helpers/tree';

const STACK = /\n\s+at \S/;

/** No stack trace, on either stream. */
function noStack(r: CliResult): void {
  assert.doesNotMatch(r.stdout, STACK, `a stack trace on stdout\n${shown(r)}`);
  assert.doesNotMatch(r.stderr, STACK, `a stack trace on stderr\n${shown(r)}`);
  assert.doesNotMatch(r.stderr, /This is a bug in jobspec/, shown(r));
}

/** `validate --json` or `execute --json` on an invalid JobSpec: the problems, from one JSON document on stdout. */
function jsonProblems(r: CliResult): Problem[] {
  let doc: { valid?: boolean; problems?: Problem[] };
  try {
    doc = JSON.parse(r.stdout) as typeof doc;
  } catch {
    assert.fail(`stdout is not one JSON document\n${shown(r)}`);
  }
  assert.equal(doc.valid, false, shown(r));
  return doc.problems ?? [];
}

/** validate and execute, each with and without --json: exit 1, every output names `expect`, no stack. */
async function refused(file: string, expect: RegExp[], pointer?: string): Promise<void> {
  for (const command of ['validate', 'execute']) {
    const text = await runCli([command, file, ...(command === 'execute' ? toolArgs() : [])], { timeoutMs: 60_000 });
    assert.equal(text.code, 1, shown(text));
    for (const re of expect) assert.match(text.stderr, re, shown(text));
    noStack(text);
    const json = await runCli([command, file, '--json', ...(command === 'execute' ? toolArgs() : [])], { timeoutMs: 60_000 });
    assert.equal(json.code, 1, shown(json));
    const problems = jsonProblems(json);
    for (const re of expect)
      assert.ok(
        problems.some((p) => re.test(p.message)),
        `${re} in ${JSON.stringify(problems)}`,
      );
    if (pointer)
      assert.ok(
        problems.some((p) => p.pointer === pointer),
        `a problem at ${pointer}: ${JSON.stringify(problems)}`,
      );
    noStack(json);
  }
}

const asNobody = typeof process.getuid === 'function' && process.getuid() === 0;

describe("rule 7: a source's metadata that cannot be read names the source and the cause", () => {
  test('EACCES: a source in a folder the user may not enter (run as an unprivileged user: root reads anything)', async (t) => {
    const dir = await tempDir(t, 'jobspec-trust-eacces-');
    await placeMedia(path.join(dir, 'locked', 'A001.mov'), 'clip');
    await fsp.mkdir(path.join(dir, 'out'));
    const file = await writeSpec(dir, baseSpec({ sources: ['locked/A001.mov'] }));
    await fsp.chmod(path.join(dir, 'locked'), 0o000);
    t.after(() => fsp.chmod(path.join(dir, 'locked'), 0o755).catch(() => undefined));
    await fsp.chmod(dir, 0o755);
    await fsp.chmod(path.join(dir, 'out'), 0o777);
    const wrap = asNobody ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'] : [];
    if (asNobody) await fsp.chmod(path.dirname(ensureCli()), 0o755);
    const source = path.join(dir, 'locked', 'A001.mov');
    for (const json of [false, true]) {
      // From a folder the unprivileged user may enter (the checkout may sit below one it may not).
      const r = await runCli(['validate', file, ...(json ? ['--json'] : [])], { wrap, timeoutMs: 60_000, cwd: dir });
      assert.equal(r.code, 1, shown(r));
      const message = json ? (jsonProblems(r).find((p) => p.pointer === '/sources/0')?.message ?? '') : r.stderr;
      assert.ok(message.includes(source), `names the source\n${shown(r)}`);
      assert.match(message, /permission denied reading it or a folder above it/);
      noStack(r);
    }
  });

  test('EACCES on the file itself (its metadata reads, its content does not): the clip fails naming the source and "permission denied", not a damaged file', async (t) => {
    const s = await makeScene(t, { existing: false, spec: { overwrite: 'never' } });
    await fsp.chmod(s.sources[0], 0o000);
    t.after(() => fsp.chmod(s.sources[0], 0o644).catch(() => undefined));
    for (const d of [s.dir, path.dirname(s.sources[0])]) await fsp.chmod(d, 0o755);
    await fsp.chmod(s.out, 0o777);
    const wrap = asNobody ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'] : [];
    if (asNobody) await fsp.chmod(path.dirname(ensureCli()), 0o755);
    const r = await runCli(['execute', s.specFile, '--json', ...toolArgs()], { wrap, timeoutMs: 60_000, cwd: s.dir });
    assert.equal(r.code, 2, shown(r));
    const c = runResult(r).clips[0];
    assert.equal(c.status, 'FAILED');
    assert.match(c.message ?? '', /^Cannot read source A001\.mov: /);
    assert.match(c.message ?? '', /[Pp]ermission denied/);
    assert.doesNotMatch(c.message ?? '', /corrupt|not a video/, 'a file the user may not read is not a damaged file');
    noStack(r);
  });

  test('ENOTDIR, ELOOP and ENAMETOOLONG, at validation: each names the source and the cause, in text and --json', async (t) => {
    const dir = await tempDir(t, 'jobspec-trust-lookup-');
    await placeMedia(path.join(dir, 'media', 'A001.mov'), 'clip');
    await fsp.mkdir(path.join(dir, 'out'));
    await fsp.symlink('loop-b', path.join(dir, 'media', 'loop-a'));
    await fsp.symlink('loop-a', path.join(dir, 'media', 'loop-b'));
    const long = `${'x'.repeat(300)}.mov`;
    const cases: [string, string, RegExp][] = [
      ['ENOTDIR', 'media/A001.mov/B001.mov', /a part of the path is a file, not a folder/],
      ['ELOOP', 'media/loop-a/B001.mov', /its symbolic links point at each other in a loop/],
      ['ENAMETOOLONG', `media/${long}`, /the path \(\d+ bytes\) or one of its names is too long for the file system/],
    ];
    for (const [code, source, cause] of cases) {
      const file = await writeSpec(dir, baseSpec({ sources: [source], naming_template: 'proxy' }), `${code}.jobspec.json`);
      const abs = path.join(dir, source);
      const named = new RegExp(`Cannot look at source ${abs.slice(0, 60).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`);
      await refused(file, [named, cause], '/sources/0');
    }
  });

  test('ENOTDIR, ELOOP and ENAMETOOLONG after validation (the path changed before the clip ran): the clip fails with the cause', async (t) => {
    const dir = await tempDir(t, 'jobspec-trust-lookup-run-');
    await fsp.mkdir(path.join(dir, 'out'));
    const cases: [string, (folder: string) => Promise<void>, RegExp][] = [
      ['ENOTDIR', (folder) => fsp.writeFile(folder, 'a file now'), /a part of the path is a file, not a folder/],
      ['ELOOP', (folder) => fsp.symlink(path.basename(folder), folder), /its symbolic links point at each other in a loop/],
      ['ENAMETOOLONG', (folder) => fsp.symlink('y'.repeat(300), folder), /or one of its names is too long for the file system/],
    ];
    for (const [code, breakFolder, cause] of cases) {
      const folder = path.join(dir, 'media', code);
      await placeMedia(path.join(folder, 'A001.mov'), 'clip');
      const file = await writeSpec(dir, baseSpec({ job_id: code, sources: [`media/${code}/A001.mov`] }), `${code}.jobspec.json`);
      const loaded = await core.loadJobSpec(file);
      assert.ok(loaded.ok, JSON.stringify(loaded.problems));
      await fsp.rm(folder, { recursive: true });
      await breakFolder(folder);
      const result: RunResult = await core.runJob(loaded.spec, { tools: await tools(), jobspecFile: file });
      assert.equal(result.status, 'FAILED');
      const c = result.clips[0];
      assert.equal(c.status, 'FAILED');
      assert.match(c.message ?? '', /^Cannot read source A001\.mov: /, code);
      assert.match(c.message ?? '', cause, code);
      assert.ok(result.report_path && fs.existsSync(result.report_path), 'the report is written');
    }
  });
});

describe('rule 7: a closed stdout never crashes a run', () => {
  // A real pipe into a real reader that goes away: head after three lines (mid-run: the header is
  // three lines), or one that is gone before the --json result is written at the end.
  const readers: [string, string[], string, number][] = [
    ['jobspec execute … | head -3', [], 'head -n 3', 3],
    ['jobspec execute … --json | true (the reader is gone before the result is written)', ['--json'], 'true', 0],
  ];
  for (const [name, args, reader, lines] of readers) {
    test(`${name}: the run finishes, writes its report, exits as usual, prints no crash`, async (t) => {
      const s = await makeScene(t, {
        sources: [
          ['A001.mov', 'clip'],
          ['A002.mov', 'clip-b'],
          ['A003.mov', 'clip'],
          ['A004.mov', 'clip-b'],
        ],
        existing: false,
        spec: { overwrite: 'never' },
      });
      const script = `"$@" | ${reader}; echo "command exit: \${PIPESTATUS[0]}" >&2`;
      const r = await runCli(['execute', s.specFile, ...args, ...toolArgs()], {
        wrap: ['bash', '-c', script, 'bash'],
        timeoutMs: 120_000,
      });
      assert.equal(r.code, 0, shown(r));
      assert.equal(r.stdout ? r.stdout.split('\n').length - 1 : 0, lines, `the reader got ${lines} lines\n${shown(r)}`);
      assert.match(r.stderr, /command exit: 0\n$/, `the command exited 0, as for any completed run\n${shown(r)}`);
      assert.doesNotMatch(r.stderr, /EPIPE|Error|error:/, shown(r));
      noStack(r);
      const [report] = await reportsIn(s.out);
      assert.ok(report, 'the report is written');
      const back = await core.readReport(report);
      assert.equal(back.status, 'COMPLETED');
      assert.equal(back.clips.length, 4);
      for (const c of back.clips) assert.ok(fs.existsSync(c.output), c.output);
    });
  }
});

describe('rule 7: a malformed report gets a message naming the file', () => {
  test('not JSON, truncated, not a report, damaged, edited by hand: report merge and --only-failed exit 1 and name the file', async (t) => {
    const s = await makeScene(t, { existing: false, spec: { overwrite: 'never' } });
    const ran = await runCli(['execute', s.specFile, ...toolArgs()], { timeoutMs: 60_000 });
    assert.equal(ran.code, 0, shown(ran));
    const [good] = await reportsIn(s.out);
    const text = await fsp.readFile(good, 'utf8');
    const doc = JSON.parse(text) as RunResult & Record<string, unknown>;
    const bad: [string, string, RegExp][] = [
      ['not-json', 'this is not JSON\n', /is not valid JSON: it is truncated or damaged/],
      ['truncated', text.slice(0, Math.floor(text.length * 0.6)), /is not valid JSON: it is truncated or damaged/],
      ['jobspec', JSON.stringify(baseSpec()), /is not a JobSpec run report/],
      ['array', '[]', /is not a JobSpec run report/],
      [
        'wrong-shape',
        JSON.stringify({ ...doc, clips: [{ index: 'first' }] }),
        /is damaged: its job_id, status or clips are missing or malformed/,
      ],
      ['edited', JSON.stringify({ ...doc, status: 'FAILED' }, null, 2), /was changed after the run wrote it/],
    ];
    for (const [name, content, why] of bad) {
      const file = path.join(s.dir, `${name}.report.json`);
      await fsp.writeFile(file, content);
      const runs = [
        await runCli(['report', 'merge', file]),
        await runCli(['report', 'merge', file, '--json']),
        await runCli(['execute', s.specFile, '--only-failed', file, ...toolArgs()]),
        await runCli(['execute', s.specFile, '--only-failed', file, '--json', ...toolArgs()]),
      ];
      for (const [i, r] of runs.entries()) {
        assert.equal(r.code, 1, `${name}\n${shown(r)}`);
        const message = i % 2 ? (JSON.parse(r.stdout) as { error: string }).error : r.stderr;
        assert.ok(message.includes(file), `${name}: the message names the file\n${shown(r)}`);
        assert.match(message, why, name);
        noStack(r);
      }
    }
    assert.deepEqual(await reportsIn(s.out), [good], 'nothing ran and nothing merged was written');
  });
});

describe('rule 7: JobSpecs that cannot be taken as they are', () => {
  test('UTF-16, little- and big-endian, with and without a byte order mark, is named as UTF-16', async (t) => {
    const dir = await tempDir(t, 'jobspec-trust-utf16-');
    const json = JSON.stringify(baseSpec(), null, 2);
    const le = Buffer.from(json, 'utf16le');
    const be = Buffer.from(le).swap16();
    const cases: [string, Buffer, string][] = [
      ['le-bom', Buffer.concat([Buffer.from([0xff, 0xfe]), le]), 'little-endian'],
      ['le', le, 'little-endian'],
      ['be-bom', Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'big-endian'],
      ['be', be, 'big-endian'],
    ];
    for (const [name, bytes, order] of cases) {
      const file = path.join(dir, `${name}.jobspec.json`);
      await fsp.writeFile(file, bytes);
      await refused(file, [
        new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is UTF-16 \\(${order}\\) text; a JobSpec is read as UTF-8`),
      ]);
    }
  });

  test('1e400 and absurd values (fps_explicit 0.0001) are refused at validation, naming the field; nothing runs', async (t) => {
    const dir = await tempDir(t, 'jobspec-trust-numbers-');
    await placeMedia(path.join(dir, 'media', 'clip.mov'), 'clip');
    await fsp.mkdir(path.join(dir, 'out'));
    const write = async (name: string, field: string, raw: string): Promise<string> => {
      const text = JSON.stringify(baseSpec({ fps_mode: 'explicit', fps_explicit: 25, max_concurrent_jobs: 1 }), null, 2).replace(
        new RegExp(`("${field}": )[^,\\n]+`),
        `$1${raw}`,
      );
      const file = path.join(dir, `${name}.jobspec.json`);
      await fsp.writeFile(file, text);
      return file;
    };
    await refused(
      await write('fps-1e400', 'fps_explicit', '1e400'),
      [/the number 1e400 at line \d+, column \d+ is too large to be a number at all/],
      '/fps_explicit',
    );
    await refused(
      await write('workers-1e400', 'max_concurrent_jobs', '1e400'),
      [/the number 1e400 .* is too large/],
      '/max_concurrent_jobs',
    );
    await refused(await write('fps-tiny', 'fps_explicit', '0.0001'), [/fps_explicit must be >= 1, not 0\.0001/], '/fps_explicit');
    await refused(await write('fps-huge', 'fps_explicit', '1e300'), [/fps_explicit must be <= 1000, not 1e\+300/], '/fps_explicit');
    assert.deepEqual(await fsp.readdir(path.join(dir, 'out')), [], 'nothing ran');
  });

  test('a 100 KB source path, unknown key or value: every message quoting it is shortened', async (t) => {
    const dir = await tempDir(t, 'jobspec-trust-huge-');
    await placeMedia(path.join(dir, 'media', 'clip.mov'), 'clip');
    await fsp.mkdir(path.join(dir, 'out'));
    const huge = 'p'.repeat(100_000);
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['path', baseSpec({ sources: [`media/${huge}.mov`] }), /Cannot look at source .*…\(\d+ more characters\)…/],
      ['key', { ...baseSpec(), [huge]: 1 }, /Unknown field "p+…": remove it or fix its spelling/],
      ['value', baseSpec({ resolution: huge }), /resolution must be same, half, quarter or WxH .* Got "p+…\(\d+ more characters\)…p+"/],
      ['job-id', baseSpec({ job_id: huge }), /job_id .*…\(\d+ more characters\)…/],
      ['enum', baseSpec({ overwrite: huge }), /overwrite "p+…\(\d+ more characters\)…p+" is not allowed/],
    ];
    for (const [name, spec, expect] of cases) {
      const file = await writeSpec(dir, spec, `${name}.jobspec.json`);
      for (const json of [false, true]) {
        const r = await runCli(['validate', file, ...(json ? ['--json'] : [])], { timeoutMs: 60_000 });
        assert.equal(r.code, 1, `${name}\n${shown(r)}`);
        const messages = json ? jsonProblems(r).map((p) => p.message) : r.stderr.split('\n');
        assert.ok(
          messages.some((m) => expect.test(m)),
          `${name}: ${expect} in\n${messages.map((m) => m.slice(0, 300)).join('\n')}`,
        );
        for (const m of messages) assert.ok(m.length < 2_000, `${name}: a message of ${m.length} characters: ${m.slice(0, 300)}…`);
        noStack(r);
      }
    }
  });
});

describe("rule 7: ffmpeg's real cause is the headline of a failed clip", () => {
  test('audio "copy" of PCM into mp4: the clip message leads with "Could not find tag for codec pcm_s16le"', async (t) => {
    const s = await makeScene(t, { existing: false, spec: { audio: 'copy', overwrite: 'never' } });
    const r = await runCli(['execute', s.specFile, '--json', ...toolArgs()], { timeoutMs: 60_000 });
    assert.equal(r.code, 2, shown(r));
    const c = runResult(r).clips[0];
    assert.match(
      c.message ?? '',
      /^ffmpeg exited with code \d+ on A001\.mov: \[mp4 @ 0x[0-9a-f]+\] Could not find tag for codec pcm_s16le/,
    );
    assert.doesNotMatch(c.message ?? '', /Error initializing output stream/);
    assert.ok(
      c.stderr_tail.some((l) => /Error initializing output stream/.test(l)),
      'the generic line was there to be passed over',
    );
    const text = await runCli(['execute', s.specFile, ...toolArgs()], { timeoutMs: 60_000 });
    assert.match(
      text.stdout,
      /Reason: ffmpeg exited with code \d+ on A001\.mov: \[mp4 @ 0x[0-9a-f]+\] Could not find tag for codec pcm_s16le/,
    );
    noStack(r);
    noStack(text);
  });

  test('44.1 kHz audio copied into mxf: the clip message leads with "only 48khz is implemented"', async (t) => {
    const dir = await tempDir(t, 'jobspec-trust-48k-');
    await makeClip(path.join(dir, 'media'), 'A001.mov', { sampleRate: 44100 });
    await fsp.mkdir(path.join(dir, 'out'));
    const file = await writeSpec(
      dir,
      baseSpec({ sources: ['media/A001.mov'], codec: 'dnxhr_lb', container: 'mxf', resolution: 'same', audio: 'copy' }),
    );
    const r = await runCli(['execute', file, '--json', ...toolArgs()], { timeoutMs: 60_000 });
    assert.equal(r.code, 2, shown(r));
    const c = runResult(r).clips[0];
    assert.match(c.message ?? '', /^ffmpeg exited with code \d+ on A001\.mov: \[mxf @ 0x[0-9a-f]+\] only 48khz is implemented/);
    assert.doesNotMatch(c.message ?? '', /Error initializing output stream|Could not write header/);
    noStack(r);
  });
});
