// The dry run reports how far it is and can be stopped: hundreds of probes take a while.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { core } from './helpers/core';
import { makeClip, tools } from './helpers/media';
import { writeSpec as writeJobSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';

describe('dry run progress', () => {
  test('calls back before each probe, and stops after a cancel with what it probed', async (t) => {
    const dir = await tempDir(t);
    const names = ['a.mov', 'b.mov', 'c.mov', 'd.mov'];
    for (const n of names) await makeClip(path.join(dir, 'media'), n);
    const file = await writeJobSpec(dir, {
      sources: names.map((n) => `media/${n}`),
      output_directory: '.',
      codec: 'h264',
      container: 'mp4',
      resolution: 'half',
      naming_template: '{source_name}_proxy',
    });
    const loaded = await core.loadJobSpec(file);
    assert.ok(loaded.ok);
    const seen: [number, number][] = [];
    const all = await core.dryRun(loaded.spec, await tools(), { onClip: (done, total) => seen.push([done, total]) });
    assert.equal(all.length, 4);
    assert.deepEqual(seen, [
      [0, 4],
      [1, 4],
      [2, 4],
      [3, 4],
    ]);

    const controller = new AbortController();
    const some = await core.dryRun(loaded.spec, await tools(), {
      signal: controller.signal,
      onClip: (done) => {
        if (done === 2) controller.abort();
      },
    });
    assert.deepEqual(
      some.map((c) => path.basename(c.source)),
      ['a.mov', 'b.mov'],
    );
    for (const c of some) assert.equal(c.problem, undefined);
  });
});
