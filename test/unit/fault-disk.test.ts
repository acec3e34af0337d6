// Issue #5, the output disk full: a small tmpfs mounted as the output folder (root only; skipped
// with a printed reason otherwise). The clip FAILS, no partial file remains, earlier outputs and
// sources are unchanged, and the report is written or, when not even it fits, the result says so.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { runCli, shown, toolArgs } from './helpers/cli';
import { mountSkipReason, mountTmpfs } from './helpers/mounts';
import { checkAftermath, makeScene, runResult } from './helpers/scene';
import { tempDir } from './helpers/tmp';
import { snapshot } from './helpers/tree';

const skip = mountSkipReason();
if (skip) console.log(`disk-full tests skipped: ${skip}`);

/** Fill the file system of `dir` to the last byte. */
function fill(dir: string): void {
  const fd = fs.openSync(path.join(dir, 'filler.bin'), 'w');
  const block = Buffer.alloc(4096, 0x5a);
  try {
    for (;;) fs.writeSync(fd, block);
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
  }
  try {
    for (;;) fs.writeSync(fd, block.subarray(0, 1));
  } catch {
    // full to the byte
  } finally {
    fs.closeSync(fd);
  }
}

describe('output disk full (tmpfs)', { skip: skip ?? false }, () => {
  test('a proxy larger than the free space: FAILED with ENOSPC, no partial file, report written', async (t) => {
    const mnt = path.join(await tempDir(t), 'small-disk');
    await mountTmpfs(t, mnt, 'size=200k');
    // ProRes HQ of a 1 s 320x240 clip is over 1 MB.
    const s = await makeScene(t, { out: mnt, spec: { codec: 'prores_hq', container: 'mov', resolution: 'same' } });
    const r = await runCli(['execute', s.specFile, '--json', ...toolArgs()], { timeoutMs: 60_000 });
    const result = runResult(r);
    assert.equal(r.code, 2, shown(r));
    assert.equal(result.status, 'FAILED');
    const c = result.clips[0];
    assert.equal(c.status, 'FAILED');
    assert.match(c.message ?? '', /No space left on device/);
    // Called what it is, first: not an ffmpeg error code for a person to look up.
    assert.match(c.message ?? '', /^The disk holding .*small-disk is full: ffmpeg /);
    assert.match(c.message ?? '', /disk is full: free space or choose another output_directory/);
    // Removing the partial proxy freed the space, so the report fits; if it did not, the result would say why.
    await checkAftermath(s, result, r, { reportMayFail: true });
  });

  test('a disk full to the last byte: FAILED, the report cannot be written and the result says so, nothing left behind', async (t) => {
    const mnt = path.join(await tempDir(t), 'full-disk');
    await mountTmpfs(t, mnt, 'size=256k');
    const s = await makeScene(t, { out: mnt });
    fill(mnt);
    s.outBefore = snapshot(mnt);
    const r = await runCli(['execute', s.specFile, ...toolArgs()], { timeoutMs: 60_000 });
    assert.equal(r.code, 2, shown(r));
    assert.match(r.stdout, /\[FAILED\] Job fault/);
    assert.match(r.stdout, /Warning: could not write the report .*: ENOSPC/);
    const again = await runCli(['execute', s.specFile, '--json', ...toolArgs()], { timeoutMs: 60_000 });
    const result = runResult(again);
    assert.equal(again.code, 2, shown(again));
    assert.equal(result.report_path, null);
    assert.match(String(result.report_error), /could not write the report .*ENOSPC/);
    await checkAftermath(s, result, again, { reportMayFail: true });
    assert.deepEqual(
      (await fsp.readdir(mnt)).filter((n) => n.startsWith('.jobspec-')),
      [],
    );
  });
});
