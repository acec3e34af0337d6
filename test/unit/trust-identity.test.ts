// Trust rules 1 and 2 where users meet them, on real file systems (root on Linux; skipped with the
// printed reason elsewhere): an exFAT card through FUSE on a loop device, which folds case, keeps
// Unicode normalization apart and gives each spelling of a name its own inode number; and a bind
// mount, one folder under two paths that realpath does not see through.
// 1. An output is never a source, judged by file identity: validation refuses it naming both paths
//    and never suggests "replace"; at run time (the volume changed after validation) the clip fails
//    before ffmpeg starts, whatever `overwrite` says; "replace" never replaces a source.
// 2. Two outputs that are one file on the output volume are a collision, refused before anything
//    runs, naming both sources; names the volume keeps apart are not.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Problem, RunResult } from '../../src/core/types';
import { runCli, shown, toolArgs, type CliResult } from './helpers/cli';
import { core } from './helpers/core';
import { standIn } from './helpers/executables';
import { makeClip, probe, tools, videoStream } from './helpers/media';
import { killRecorded } from './helpers/processes';
import { baseSpec, writeSpec, type SpecFields } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { leftovers, REPORT_RE, sha256, tempInProgress } from './helpers/tree';
import { bindMount, bindSkipReason, exfatSkipReason, mountExfat, skipped } from './helpers/volumes';

const MODES = ['never', 'skip', 'replace'] as const;
const NFC = '\u00e9'; // é, one code point
const NFD = 'e\u0301'; // e and a combining acute accent

interface Problems {
  valid: boolean;
  problems: Problem[];
}

function problemsOf(r: CliResult): Problems {
  try {
    return JSON.parse(r.stdout) as Problems;
  } catch {
    assert.fail(`stdout is not the JSON validation result\n${shown(r)}`);
  }
}

/** A project folder with a JobSpec (paths as given) and the JobSpec's path. */
async function project(t: { after(fn: () => unknown): void }, spec: SpecFields): Promise<{ dir: string; specFile: string }> {
  const dir = await tempDir(t, 'jobspec-trust-');
  return { dir, specFile: await writeSpec(dir, baseSpec({ job_id: 'trust', ...spec })) };
}

/** Names in a folder, sorted (reports and temporary files included). */
function names(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

describe('rule 1: an output is never a source, on an exFAT card (FUSE)', () => {
  for (const overwrite of MODES) {
    test(`A001C003.MOV on the card, proxies to the same folder as A001C003.mov: refused at validation, both paths named, no "replace" (overwrite "${overwrite}")`, async (t) => {
      if (skipped(t, exfatSkipReason())) return;
      const card = mountExfat(t);
      const source = await makeClip(card.root, 'A001C003.MOV');
      const before = await sha256(source);
      const { specFile } = await project(t, {
        sources: [source],
        output_directory: card.root,
        naming_template: '{source_name}',
        codec: 'prores_proxy',
        container: 'mov',
        overwrite,
      });
      const r = await runCli(['execute', specFile, '--json', ...toolArgs()]);
      assert.equal(r.code, 1, shown(r));
      const { valid, problems } = problemsOf(r);
      assert.equal(valid, false);
      const p = problems.find((x) => x.code === 'output-is-source');
      assert.ok(p, shown(r));
      assert.equal(p.severity, 'error');
      assert.ok(p.message.includes(path.join(card.root, 'A001C003.mov')), p.message);
      assert.ok(p.message.includes(source), p.message);
      assert.doesNotMatch(p.message, /replace/i);
      // Nothing ran: the card holds the source, unchanged, and nothing else.
      assert.deepEqual(names(card.root), ['A001C003.MOV']);
      assert.equal(await sha256(source), before);
    });
  }

  for (const how of ['exFAT case variant', 'hard link'] as const) {
    for (const overwrite of MODES) {
      test(`runtime: the output becomes the source after validation (${how}): FAILED before ffmpeg starts, never SKIPPED or replaced (overwrite "${overwrite}")`, async (t) => {
        if (how === 'exFAT case variant' && skipped(t, exfatSkipReason())) return;
        const dir = await tempDir(t, 'jobspec-trust-');
        // The clip lives on the card (or on this disk); proxies go to a folder of their own.
        const media = how === 'hard link' ? path.join(dir, 'media') : path.join(mountExfat(t).root, 'DCIM');
        const source = await makeClip(media, 'A001C003.MOV');
        const before = await sha256(source);
        const proxies = path.join(dir, 'proxies');
        await fsp.mkdir(proxies);
        const specFile = await writeSpec(
          dir,
          baseSpec({ sources: [source], output_directory: 'proxies', naming_template: '{source_name}', container: 'mov', overwrite }),
        );
        const loaded = await core.loadJobSpec(specFile);
        assert.ok(loaded.ok, JSON.stringify(loaded.problems));
        const output = path.join(proxies, 'A001C003.mov');
        assert.equal(loaded.spec.sources[0], source);
        // Between validation and the run, the output's name comes to lead to the source.
        if (how === 'hard link') {
          await fsp.link(source, output);
        } else {
          // proxies/ is re-pointed at the card folder, where A001C003.mov is A001C003.MOV.
          await fsp.rmdir(proxies);
          await fsp.symlink(media, proxies);
          assert.equal((await fsp.stat(output)).size, (await fsp.stat(source)).size, 'the card folds case');
        }
        const result: RunResult = await core.runJob(loaded.spec, { tools: await tools(), jobspecFile: specFile });
        const c = result.clips[0];
        assert.equal(c.status, 'FAILED', JSON.stringify(c));
        assert.ok(c.message?.includes(`The output ${output} is the source file ${source} on its volume`), c.message);
        assert.doesNotMatch(c.message ?? '', /replace/i);
        assert.deepEqual(c.ffmpeg_args, [], 'ffmpeg never started');
        assert.equal(c.output_size, null);
        assert.equal(result.exit_code, 2);
        assert.equal(await sha256(source), before, 'the source keeps its bytes');
        // The source's folder holds the source and nothing new but the run's report (written there
        // when proxies/ leads to it); no temporary file anywhere.
        assert.deepEqual(
          names(media).filter((n) => !REPORT_RE.test(n)),
          ['A001C003.MOV'],
        );
        assert.deepEqual(await leftovers(proxies), []);
        if (how === 'hard link') assert.equal((await fsp.stat(output)).ino, (await fsp.stat(source)).ino, 'the link is untouched');
      });
    }
  }

  test('"replace" never replaces a source that takes the output\'s name while its clip encodes (a hard link made mid-clip)', async (t) => {
    const dir = await tempDir(t, 'jobspec-trust-');
    const source = await makeClip(path.join(dir, 'media'), 'A001.mov', { seconds: 3 });
    const before = await sha256(source);
    const out = path.join(dir, 'out');
    await fsp.mkdir(out);
    const specFile = await writeSpec(dir, baseSpec({ sources: ['media/A001.mov'], overwrite: 'replace' }));
    const pidFile = path.join(dir, 'ffmpeg.pids');
    t.after(() => killRecorded(pidFile));
    const done = runCli(['execute', specFile, '--json', ...toolArgs(standIn('stand-in-ffmpeg-realtime.sh'))], {
      env: { STANDIN_PIDFILE: pidFile },
      timeoutMs: 60_000,
    });
    await tempInProgress(out);
    const output = path.join(out, 'A001_proxy.mp4');
    await fsp.link(source, output);
    const r = await done;
    const result = JSON.parse(r.stdout) as RunResult;
    assert.equal(r.code, 2, shown(r));
    const c = result.clips[0];
    assert.equal(c.status, 'FAILED');
    assert.match(
      c.message ?? '',
      /Could not move the finished proxy into place at .*A001_proxy\.mp4.*: the output is a source file on its volume; a source is never replaced/,
    );
    assert.equal(await sha256(source), before);
    assert.equal((await fsp.stat(output)).ino, (await fsp.stat(source)).ino, 'the output name still leads to the source');
    assert.deepEqual(await leftovers(out), []);
  });
});

describe('rule 1: one folder under two paths (a bind mount)', () => {
  test("output_directory is a bind-mount alias of the sources' folder: refused at validation, both paths named", async (t) => {
    if (skipped(t, bindSkipReason())) return;
    const dir = await tempDir(t, 'jobspec-trust-');
    const media = path.join(dir, 'media');
    const source = await makeClip(media, 'A001C003.mov');
    const before = await sha256(source);
    const alias = bindMount(t, media);
    assert.notEqual(fs.realpathSync(alias), media, 'realpath does not see through a bind mount');
    for (const overwrite of MODES) {
      const specFile = await writeSpec(
        dir,
        baseSpec({
          sources: ['media/A001C003.mov'],
          output_directory: alias,
          naming_template: '{source_name}',
          container: 'mov',
          overwrite,
        }),
        `${overwrite}.jobspec.json`,
      );
      const r = await runCli(['execute', specFile, '--json', ...toolArgs()]);
      assert.equal(r.code, 1, shown(r));
      const p = problemsOf(r).problems.find((x) => x.code === 'output-is-source');
      assert.ok(p, shown(r));
      assert.ok(p.message.includes(path.join(alias, 'A001C003.mov')), p.message);
      assert.ok(p.message.includes(source), p.message);
      assert.doesNotMatch(p.message, /replace/i);
    }
    assert.deepEqual(names(media), ['A001C003.mov']);
    assert.equal(await sha256(source), before);
  });
});

describe('rule 2: outputs that are one file on the output volume', () => {
  test('a.mov and A.mov on a case-sensitive disk, proxies to an exFAT card: a collision refused before anything runs, naming both sources', async (t) => {
    if (skipped(t, exfatSkipReason())) return;
    const card = mountExfat(t);
    const { dir, specFile } = await project(t, {
      sources: ['media/a.mov', 'media/A.mov'],
      output_directory: card.root,
      naming_template: '{source_name}',
      container: 'mov',
    });
    await makeClip(path.join(dir, 'media'), 'a.mov');
    await makeClip(path.join(dir, 'media'), 'A.mov', { frequency: 880 });
    assert.equal(names(path.join(dir, 'media')).length, 2, 'this disk keeps a.mov and A.mov apart');
    const r = await runCli(['execute', specFile, '--json', ...toolArgs()]);
    assert.equal(r.code, 1, shown(r));
    const collisions = problemsOf(r).problems.filter((x) => x.code === 'output-collision');
    assert.equal(collisions.length, 1, shown(r));
    const m = collisions[0].message;
    assert.ok(m.includes('sources[1] "media/A.mov"') && m.includes('sources[0] "media/a.mov"'), m);
    assert.ok(m.includes(path.join(card.root, 'a.mov')) && m.includes(path.join(card.root, 'A.mov')), m);
    assert.match(m, /which the output volume treats as one file \(it ignores case\)/);
    assert.deepEqual(names(card.root), [], 'nothing ran: no proxy, no report');
  });

  test('NFC and NFD names on an exFAT card are two files: no collision (a warning for Macs), both proxies made', async (t) => {
    if (skipped(t, exfatSkipReason())) return;
    const card = mountExfat(t);
    const { dir, specFile } = await project(t, {
      sources: [`media/caf${NFC}.mov`, `media/caf${NFD}.mov`],
      output_directory: card.root,
      naming_template: '{source_name}',
      codec: 'prores_proxy',
      container: 'mov',
    });
    await makeClip(path.join(dir, 'media'), `caf${NFC}.mov`);
    await makeClip(path.join(dir, 'media'), `caf${NFD}.mov`, { frequency: 880 });
    const v = await runCli(['validate', specFile, '--json']);
    assert.equal(v.code, 0, shown(v));
    const { problems } = problemsOf(v);
    assert.deepEqual(
      problems.map((p) => [p.code, p.severity]),
      [['output-collision-elsewhere', 'warning']],
    );
    assert.match(
      problems[0].message,
      /differ only in Unicode normalization .*: this volume keeps them apart, but a Mac volume \(APFS, HFS\+\) would make them one file/,
    );
    const r = await runCli(['execute', specFile, '--json', ...toolArgs()], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, shown(r));
    const result = JSON.parse(r.stdout) as RunResult;
    assert.deepEqual(
      result.clips.map((c) => c.status),
      ['COMPLETED', 'COMPLETED'],
    );
    const proxies = names(card.root).filter((n) => !REPORT_RE.test(n));
    assert.deepEqual(proxies, [`caf${NFD}.mov`, `caf${NFC}.mov`].sort());
    const [a, b] = [`caf${NFC}.mov`, `caf${NFD}.mov`].map((n) => path.join(card.root, n));
    assert.notEqual(await sha256(a), await sha256(b), 'two proxies of two clips, not one file');
    for (const f of [a, b]) assert.equal(videoStream(await probe(f)).codec_name, 'prores');
  });

  test('the folding decision: exFAT (probed for real) folds case only; a volume that folds normalization (APFS) makes NFC and NFD one file', async (t) => {
    if (skipped(t, exfatSkipReason())) return;
    const card = mountExfat(t);
    const disk = await tempDir(t, 'jobspec-trust-');
    const { identity } = core;
    assert.deepEqual(await identity.volumeFolding(card.root), { caseInsensitive: true, normalizationInsensitive: false, how: 'probed' });
    assert.deepEqual(await identity.volumeFolding(disk), { caseInsensitive: false, normalizationInsensitive: false, how: 'probed' });
    assert.deepEqual(
      fs.readdirSync(card.root).filter((n) => n.startsWith('.jobspec-')),
      [],
      'the probe leaves nothing',
    );

    const outputs = (dir: string, a: string, b: string): { index: number; path: string }[] => [
      { index: 0, path: path.join(dir, a) },
      { index: 1, path: path.join(dir, b) },
    ];
    const nfcNfd = outputs(card.root, `caf${NFC}.mov`, `caf${NFD}.mov`);
    const upperLower = outputs(card.root, 'a.mov', 'A.mov');
    // On the card as it is.
    let found = await identity.outputCollisions(nfcNfd);
    assert.deepEqual(found.collisions, []);
    assert.deepEqual(
      found.foldable.map((c) => [c.index, c.first]),
      [[1, 0]],
    );
    found = await identity.outputCollisions(upperLower);
    assert.deepEqual(
      found.collisions.map((c) => [c.index, c.first, c.folding?.caseInsensitive]),
      [[1, 0, true]],
    );
    // On a volume that folds normalization, as APFS does (this machine cannot mount one).
    const apfs = (): Promise<{ caseInsensitive: boolean; normalizationInsensitive: boolean; how: 'probed' }> =>
      Promise.resolve({ caseInsensitive: true, normalizationInsensitive: true, how: 'probed' });
    found = await identity.outputCollisions(nfcNfd, apfs);
    assert.deepEqual(
      found.collisions.map((c) => [c.index, c.first]),
      [[1, 0]],
    );
    assert.deepEqual(found.foldable, []);
    // A volume that folds nothing keeps both apart and warns about both.
    const ext4 = (): Promise<{ caseInsensitive: boolean; normalizationInsensitive: boolean; how: 'probed' }> =>
      Promise.resolve({ caseInsensitive: false, normalizationInsensitive: false, how: 'probed' });
    for (const list of [nfcNfd, upperLower]) {
      found = await identity.outputCollisions(list, ext4);
      assert.deepEqual(found.collisions, []);
      assert.equal(found.foldable.length, 1);
    }
  });
});
