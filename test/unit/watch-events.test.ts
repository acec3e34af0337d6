// watchFolder passes each run's events through, named by the file's name in pending/: the
// extension draws a watch folder's runs from them. An invalid JobSpec never runs, so has none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { RunEvent } from '../../src/core';
import { core } from './helpers/core';
import { makeClip, tools } from './helpers/media';
import { tempDir } from './helpers/tmp';

test('watchFolder: onEvent gets every event of each run, with the pending name; an invalid JobSpec gets none', async (t) => {
  const dir = await tempDir(t, 'jobspec-watch-events-');
  const watch = path.join(dir, 'w');
  const out = path.join(dir, 'out');
  await makeClip(path.join(dir, 'media'), 'a.mov', { seconds: 0.4 });
  await fs.mkdir(out);
  await fs.mkdir(path.join(watch, 'pending'), { recursive: true });
  const spec = {
    job_id: 'ev',
    sources: ['../../media/a.mov'],
    output_directory: out,
    codec: 'prores_proxy',
    container: 'mov',
    resolution: 'half',
    naming_template: '{source_name}_proxy',
  };
  await fs.writeFile(path.join(watch, 'pending', 'a.jobspec.json'), JSON.stringify(spec));
  await fs.writeFile(path.join(watch, 'pending', 'b.jobspec.json'), JSON.stringify({ ...spec, codec: 'nope' }));

  const events: [string, RunEvent['type']][] = [];
  const code = await core.watchFolder(watch, {
    tools: await tools(),
    once: true,
    pollMs: 50,
    stallTimeoutSeconds: 30,
    onEvent: (w) => {
      if (w.type === 'run') events.push([w.name, w.event.type]);
    },
  });
  assert.equal(code, 2, 'b failed');
  assert.deepEqual([...new Set(events.map(([name]) => name))], ['a.jobspec.json']);
  const types = events.map(([, type]) => type).filter((type) => type !== 'clip-progress');
  assert.deepEqual(types, ['run-started', 'clip-started', 'clip-encoded', 'clip-finished', 'run-finished']);
  const started = events.findIndex(([, type]) => type === 'run-started');
  assert.equal(started, 0, 'run-started comes first, so a listener can set up before anything else arrives');
});
