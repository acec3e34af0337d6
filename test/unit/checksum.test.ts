// Source fingerprints (issue "5 of 7", item 6): each clip's source_checksum in the report is the digest
// the reference tools give for the source file (xxhsum -H64, md5sum, sha256sum); it is read beside the
// encode through the source the runner holds, and a source that changes during its clip gets no
// fingerprint (and no proxy).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { runCli, shown, toolArgs } from './helpers/cli';
import { core } from './helpers/core';
import { standIn } from './helpers/executables';
import { makeClip, placeMedia } from './helpers/media';
import { killRecorded } from './helpers/processes';
import { runResult } from './helpers/scene';
import { writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { tempInProgress } from './helpers/tree';

function reference(tool: string, args: string[], file: string): string | null {
  try {
    return execFileSync(tool, [...args, file], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)[0];
  } catch {
    return null;
  }
}

describe('source_checksum', () => {
  test('the digest of known bytes is the reference one for each algorithm (xxh64 from xxhash-wasm)', async () => {
    // Published test vectors: xxHash's own for the empty input and "abc"; RFC 1321; FIPS 180-2.
    const bytes = (s: string): Uint8Array => Buffer.from(s, 'utf8');
    assert.equal(await core.checksum.hashBytes(bytes(''), 'xxh64'), 'ef46db3751d8e999');
    assert.equal(await core.checksum.hashBytes(bytes('abc'), 'xxh64'), '44bc2cf5ad770999');
    assert.equal(await core.checksum.hashBytes(bytes('abc'), 'md5'), '900150983cd24fb0d6963f7d28e17f72');
    assert.equal(await core.checksum.hashBytes(bytes('abc'), 'sha256'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  for (const [algorithm, tool, args] of [
    ['xxh64', 'xxhsum', ['-H64']],
    ['md5', 'md5sum', []],
    ['sha256', 'sha256sum', []],
  ] as const) {
    test(`${algorithm}: each clip's fingerprint in the report is what ${tool} says of the source`, async (t) => {
      const dir = await tempDir(t, `jobspec-checksum-${algorithm}-`);
      const sources = [
        await placeMedia(path.join(dir, 'media', 'A001C001.mov'), 'clip'),
        await placeMedia(path.join(dir, 'media', 'A001C002.mov'), 'clip-b'),
      ];
      await fsp.mkdir(path.join(dir, 'out'));
      const file = await writeSpec(dir, {
        sources: ['media/A001C001.mov', 'media/A001C002.mov'],
        output_directory: 'out',
        preset: 'proxy_h264_quarter',
        naming_template: '{source_name}',
        source_checksum: algorithm,
      });
      const r = await runCli(['execute', file, '--json']);
      assert.equal(r.code, 0, shown(r));
      const result = runResult(r);
      const report = JSON.parse(await fsp.readFile(result.report_path ?? '', 'utf8')) as typeof result;
      for (const [i, src] of sources.entries()) {
        const recorded = report.clips[i].source_checksum;
        assert.ok(recorded, `clip ${i} has a fingerprint`);
        assert.equal(recorded.algorithm, algorithm);
        assert.equal(recorded.bytes, (await fsp.stat(src)).size);
        const want = reference(tool, [...args], src);
        if (want === null) {
          // Not a pass: without the reference tool there is nothing independent to compare with.
          t.skip(`${tool} is not installed (apt-get install ${tool === 'xxhsum' ? 'xxhash' : 'coreutils'})`);
          return;
        }
        assert.equal(recorded.value, want, `${path.basename(src)}: ${tool}`);
      }
      assert.notEqual(report.clips[0].source_checksum?.value, report.clips[1].source_checksum?.value);
    });
  }

  test('a source that grows during its clip gets no fingerprint and no proxy: the change is the reason', async (t) => {
    const dir = await tempDir(t, 'jobspec-checksum-change-');
    const src = await makeClip(path.join(dir, 'media'), '00001.MTS', { container: 'mpegts', seconds: 6 });
    const whole = await fsp.readFile(src);
    const half = Math.floor(whole.length / 2 / 188) * 188;
    await fsp.truncate(src, half);
    await fsp.mkdir(path.join(dir, 'out'));
    const file = await writeSpec(dir, {
      sources: ['media/00001.MTS'],
      output_directory: 'out',
      codec: 'h264',
      container: 'mp4',
      resolution: 'quarter',
      naming_template: '{source_name}',
      source_checksum: 'xxh64',
    });
    const pidFile = path.join(dir, 'ffmpeg.pids');
    t.after(() => killRecorded(pidFile));
    const done = runCli(['execute', file, '--json', ...toolArgs(standIn('stand-in-ffmpeg-realtime.sh'))], {
      env: { STANDIN_PIDFILE: pidFile },
      timeoutMs: 90_000,
    });
    await tempInProgress(path.join(dir, 'out'));
    await fsp.appendFile(src, whole.subarray(half));
    const r = await done;
    assert.equal(r.code, 2, shown(r));
    const clip = runResult(r).clips[0];
    assert.equal(clip.status, 'FAILED');
    assert.match(clip.message ?? '', /changed while its proxy was made: it grew/);
    assert.equal(clip.source_checksum, undefined, 'no fingerprint of bytes that were not the clip');
    assert.deepEqual(
      (await fsp.readdir(path.join(dir, 'out'))).filter((n) => !n.endsWith('.report.json')),
      [],
    );
  });

  test('validate --json and the dry run name the algorithm', async (t) => {
    const dir = await tempDir(t, 'jobspec-checksum-show-');
    await placeMedia(path.join(dir, 'media', 'c.mov'), 'clip');
    await fsp.mkdir(path.join(dir, 'out'));
    const file = await writeSpec(dir, {
      sources: ['media/c.mov'],
      output_directory: 'out',
      preset: 'proxy_h264_low',
      naming_template: '{source_name}',
      source_checksum: 'sha256',
    });
    const v = await runCli(['validate', file, '--json']);
    assert.equal(v.code, 0, shown(v));
    assert.equal((JSON.parse(v.stdout) as { spec: { source_checksum: string } }).spec.source_checksum, 'sha256');
    const d = await runCli(['dry-run', file]);
    assert.match(d.stdout, /Dailies: preset proxy_h264_low; source checksum sha256/);
    const bad = await writeSpec(
      dir,
      {
        sources: ['media/c.mov'],
        output_directory: 'out',
        preset: 'proxy_h264_low',
        naming_template: '{source_name}',
        source_checksum: 'crc32',
      },
      'bad.jobspec.json',
    );
    const b = await runCli(['validate', bad]);
    assert.equal(b.code, 1);
    assert.match(b.stderr, /source_checksum "crc32" is not allowed\. Use one of: "xxh64", "md5", "sha256"/);
  });
});
