// Outputs already on disk before a run: the editor flags them and asks before a run, instead of the
// run failing at the first of them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { core } from './helpers/core';
import { makeClip } from './helpers/media';
import { writeSpec as writeJobSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';

describe('existing outputs', () => {
  test('names the planned outputs that exist now, in sources order, for all clips or only some', async (t) => {
    const dir = await tempDir(t);
    await makeClip(path.join(dir, 'media'), 'a.mov');
    await makeClip(path.join(dir, 'media'), 'b.mov');
    await makeClip(path.join(dir, 'media'), 'c.mov');
    await fs.mkdir(path.join(dir, 'out'));
    const file = await writeJobSpec(dir, {
      job_id: 'day',
      sources: ['media/a.mov', 'media/b.mov', 'media/c.mov'],
      output_directory: 'out',
      codec: 'prores_proxy',
      container: 'mov',
      resolution: 'half',
      naming_template: '{source_name}_{index}',
    });
    const loaded = await core.loadJobSpec(file);
    assert.ok(loaded.ok, JSON.stringify(loaded.problems));
    const now = new Date();
    assert.deepEqual(await core.existingOutputs(loaded.spec, now), []);
    await fs.writeFile(path.join(dir, 'out', 'c_002.mov'), 'x');
    await fs.writeFile(path.join(dir, 'out', 'a_000.mov'), 'x');
    await fs.symlink(path.join(dir, 'nowhere'), path.join(dir, 'out', 'b_001.mov'));
    const all = await core.existingOutputs(loaded.spec, now);
    assert.deepEqual(
      all.map((c) => [c.index, path.basename(c.output)]),
      [
        [0, 'a_000.mov'],
        [1, 'b_001.mov'],
        [2, 'c_002.mov'],
      ],
      'a dangling link is in the way too',
    );
    assert.deepEqual(
      (await core.existingOutputs(loaded.spec, now, [1, 2])).map((c) => c.index),
      [1, 2],
    );
  });
});
