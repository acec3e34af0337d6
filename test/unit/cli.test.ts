// The headless command's own contract: `validate` exit codes and file:line:col lines, `--json`
// output that parses, exit 4 when ffmpeg is missing, and argument errors.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Problem } from '../../src/core';
import { runCli, shown } from './helpers/cli';
import { makeClip } from './helpers/media';
import { ROOT } from './helpers/paths';
import { writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';

let dir: string;
let good: string;
let out: string;

function spec(): Record<string, unknown> {
  return {
    job_id: 'cli001',
    sources: ['media/a.mov', 'media/b.mov'],
    output_directory: 'out',
    codec: 'prores_proxy',
    container: 'mov',
    resolution: 'half',
    naming_template: '{source_name}_proxy_{index}',
  };
}

before(async () => {
  dir = await tempDir(undefined, 'jobspec-cli-');
  out = path.join(dir, 'out');
  await fs.mkdir(out);
  await makeClip(path.join(dir, 'media'), 'a.mov', { seconds: 0.4 });
  await makeClip(path.join(dir, 'media'), 'b.mov', { seconds: 0.4 });
  good = await writeSpec(dir, spec(), 'good.jobspec.json');
});

function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length;
}

describe('jobspec validate', () => {
  test('a valid JobSpec: exit 0 and a one-line summary', async () => {
    const r = await runCli(['validate', good]);
    assert.equal(r.code, 0, shown(r));
    assert.equal(r.stdout.trim(), `${good}: valid: 2 sources → ${out} (prores_proxy in mov, half)`);
    assert.equal(r.stderr, '');
  });

  test('an invalid JobSpec: exit 1, one file:line:col line per problem, and nothing run', async () => {
    const bad = await writeSpec(
      dir,
      { ...spec(), sources: ['media/a.mov', 'media/missing.mov'], resolution: 'huge', audio: 'pcm', container: 'mp4', codec: 'h264' },
      'bad.jobspec.json',
    );
    const text = await fs.readFile(bad, 'utf8');
    const r = await runCli(['validate', bad]);
    assert.equal(r.code, 1, shown(r));
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    const located = lines.filter((l) => l.startsWith(`${bad}:`) && / error: /.test(l) && /\[[a-z-]+\]$/.test(l));
    assert.equal(located.length, 3, shown(r));
    const re = new RegExp(
      `^${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:(\\d+):(\\d+): error: (.*) \\((/[a-z_/0-9]+)\\) \\[([a-z-]+)\\]$`,
    );
    const parsed = located.map((l) => {
      const m = re.exec(l);
      assert.ok(m, `not a file:line:col line: ${l}`);
      return { line: Number(m[1]), col: Number(m[2]), pointer: m[4], code: m[5] };
    });
    assert.deepEqual(
      parsed.map((p) => [p.code, p.pointer, p.line]),
      [
        ['source-missing', '/sources/1', lineOf(text, '"media/missing.mov"')],
        ['enum', '/resolution', lineOf(text, '"resolution"')],
        ['audio-container', '/audio', lineOf(text, '"audio"')],
      ],
      'in file order, each on its own line of the file',
    );
    assert.ok(parsed.every((p) => p.col > 1));
    assert.equal(lines.at(-1), `${bad}: 3 problems found; nothing was run.`);
    assert.deepEqual(await fs.readdir(out), [], 'validate writes nothing');
  });

  test('malformed JSON: exit 1 with the line and column of the syntax error', async () => {
    const file = path.join(dir, 'syntax.jobspec.json');
    await fs.writeFile(file, '{\n  "sources": ["media/a.mov"]\n  "codec": "h264"\n}\n');
    const r = await runCli(['validate', file]);
    assert.equal(r.code, 1, shown(r));
    assert.match(
      r.stderr,
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:3: error: .*not valid JSON at line 3, column 3: a comma was expected\\. \\[json-syntax\\]$`,
        'm',
      ),
    );
  });

  test('a JobSpec that cannot be read: exit 1', async () => {
    const r = await runCli(['validate', path.join(dir, 'nope.jobspec.json')]);
    assert.equal(r.code, 1, shown(r));
    assert.match(r.stderr, /Cannot read JobSpec .*nope\.jobspec\.json: it does not exist/);
  });

  test('--json: valid and invalid both print one JSON document that parses', async () => {
    const ok = await runCli(['validate', good, '--json']);
    assert.equal(ok.code, 0, shown(ok));
    const okDoc = JSON.parse(ok.stdout) as {
      file: string;
      valid: boolean;
      problems: Problem[];
      spec: { sources: string[]; output_directory: string };
    };
    assert.equal(okDoc.valid, true);
    assert.equal(okDoc.file, good);
    assert.deepEqual(okDoc.problems, []);
    assert.deepEqual(okDoc.spec.sources, [path.join(dir, 'media/a.mov'), path.join(dir, 'media/b.mov')]);

    const bad = await writeSpec(dir, { ...spec(), codec: 'prores_proxy', container: 'mp4' }, 'badjson.jobspec.json');
    const no = await runCli(['validate', bad, '--json']);
    assert.equal(no.code, 1, shown(no));
    const noDoc = JSON.parse(no.stdout) as { valid: boolean; problems: Problem[] };
    assert.equal(noDoc.valid, false);
    assert.equal(noDoc.problems.length, 1);
    const p = noDoc.problems[0];
    assert.equal(p.code, 'codec-container');
    assert.equal(p.pointer, '/container');
    assert.equal(p.line, lineOf(await fs.readFile(bad, 'utf8'), '"container"'));
    assert.equal(typeof p.column, 'number');
    assert.match(p.message, /Allowed containers: mov/);
  });
});

describe('jobspec dry-run', () => {
  test("prints each clip's exact ffmpeg command and writes nothing; --json parses", async () => {
    const r = await runCli(['dry-run', good]);
    assert.equal(r.code, 0, shown(r));
    assert.match(r.stdout, /^\[1\/2\] a\.mov → .*a_proxy_000\.mov$/m);
    assert.match(r.stdout, /^\s+\S*ffmpeg .*-profile:v 0 .*a_proxy_000\.mov$/m);
    assert.match(r.stdout, /Dry run: nothing was written/);
    const j = await runCli(['dry-run', good, '--json']);
    assert.equal(j.code, 0, shown(j));
    const doc = JSON.parse(j.stdout) as { job_id: string; clips: { output: string; args: string[]; commandLine: string }[] };
    assert.equal(doc.job_id, 'cli001');
    assert.deepEqual(
      doc.clips.map((c) => path.basename(c.output)),
      ['a_proxy_000.mov', 'b_proxy_001.mov'],
    );
    assert.ok(doc.clips.every((c) => c.args.includes('-i') && c.commandLine.length > 0));
    assert.deepEqual(await fs.readdir(out), []);
  });
});

describe('exit 4: no usable ffmpeg', () => {
  test('--ffmpeg /nonexistent', async () => {
    const r = await runCli(['execute', good, '--ffmpeg', '/nonexistent/ffmpeg']);
    assert.equal(r.code, 4, shown(r));
    assert.match(r.stderr, /ffmpeg not found at \/nonexistent\/ffmpeg \(from the configured path\)/);
    assert.deepEqual(await fs.readdir(out), [], 'nothing written, not even a report');
    const j = await runCli(['execute', good, '--ffmpeg', '/nonexistent/ffmpeg', '--json']);
    assert.equal(j.code, 4, shown(j));
    const doc = JSON.parse(j.stdout) as { error: string; code: string };
    assert.equal(doc.code, 'ffmpeg-missing');
    const dry = await runCli(['dry-run', good, '--ffmpeg', '/nonexistent/ffmpeg']);
    assert.equal(dry.code, 4, shown(dry));
    const probe = await runCli(['execute', good, '--ffprobe', '/nonexistent/ffprobe', '--json']);
    assert.equal(probe.code, 4, shown(probe));
    assert.equal((JSON.parse(probe.stdout) as { code: string }).code, 'ffprobe-missing');
    assert.deepEqual(await fs.readdir(out), []);
  });

  test('a PATH without ffmpeg (and no FFMPEG_PATH)', async (t) => {
    const emptyBin = await tempDir(t, 'jobspec-empty-path-');
    const env = { PATH: emptyBin, HOME: dir };
    const r = await runCli(['execute', good], { exactEnv: env });
    assert.equal(r.code, 4, shown(r));
    assert.match(r.stderr, /ffmpeg was not found on PATH\. Install ffmpeg/);
    const w = await runCli(['watch', path.join(dir, 'watch-none'), '--once'], { exactEnv: env });
    assert.equal(w.code, 4, shown(w));
    // Validation alone needs no ffmpeg.
    const v = await runCli(['validate', good], { exactEnv: env });
    assert.equal(v.code, 0, shown(v));
    assert.deepEqual(await fs.readdir(out), []);
  });

  test('FFMPEG_PATH pointing at something that is not ffmpeg', async () => {
    const r = await runCli(['execute', good], { env: { FFMPEG_PATH: '/bin/false' } });
    assert.equal(r.code, 4, shown(r));
    assert.match(r.stderr, /ffmpeg at \/bin\/false \(from FFMPEG_PATH\) does not run/);
  });
});

describe('arguments', () => {
  test('usage errors exit 1; --help and --version exit 0', async () => {
    const none = await runCli([]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /Usage:/);
    const unknown = await runCli(['frobnicate']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const two = await runCli(['validate', good, good]);
    assert.equal(two.code, 1);
    const flag = await runCli(['validate', good, '--bogus']);
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /Unknown option '--bogus'/);
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes: 0 all clips completed/);
    const version = await runCli(['--version']);
    assert.equal(version.code, 0);
    const pkg = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), pkg.version);
  });

  test('bad --stall-timeout, bad --shard, and --shard with --only-failed exit 1 before anything runs', async () => {
    const stall = await runCli(['execute', good, '--stall-timeout', 'soon']);
    assert.equal(stall.code, 1, shown(stall));
    assert.match(stall.stderr, /--stall-timeout must be a number of seconds/);
    const shard = await runCli(['execute', good, '--shard', '2/2']);
    assert.equal(shard.code, 1, shown(shard));
    assert.match(shard.stderr, /K must be from 0 to N-1/);
    const both = await runCli(['execute', good, '--shard', '0/2', '--only-failed', 'x.report.json']);
    assert.equal(both.code, 1, shown(both));
    assert.match(both.stderr, /--only-failed and --shard cannot be combined/);
    const merge = await runCli(['report', 'merge']);
    assert.equal(merge.code, 1);
    assert.deepEqual(await fs.readdir(out), []);
  });
});
