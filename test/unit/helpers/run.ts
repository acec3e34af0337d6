// A JobSpec run in-process by the engine (no child process): load it, check it is valid, run it with
// the real ffmpeg and ffprobe from PATH. The tests make their own assertions on the result.
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { JobSpec, RunOptions, RunResult } from '../../../src/core';
import { core } from './core';
import { tools } from './media';
import { writeSpec, type SpecFields } from './spec';

/** Load a JobSpec file with the engine; it must be valid (its problems are the failure message). */
export async function loadValid(file: string): Promise<JobSpec> {
  const loaded = await core.loadJobSpec(file);
  assert.ok(loaded.ok, JSON.stringify(loaded.problems));
  return loaded.spec;
}

/** Load a valid JobSpec file and run it in-process; `opts` adds to the tools and the file name. */
export async function runSpecFile(file: string, opts: Partial<RunOptions> = {}): Promise<RunResult> {
  const spec = await loadValid(file);
  return core.runJob(spec, { tools: await tools(), jobspecFile: file, ...opts });
}

/**
 * Write `dir/<label>.jobspec.json`: one clip, `source`, into a fresh folder `dir/out-<label>`, with
 * job_id `label`, as ProRes Proxy in mov at the source's size named after the source; then
 * `defaults` (a test file's own) and `fields` (a test's) on top.
 */
export async function writeOneClipSpec(
  dir: string,
  source: string,
  label: string,
  fields: SpecFields = {},
  defaults: SpecFields = {},
): Promise<string> {
  const out = path.join(dir, `out-${label}`);
  await fsp.mkdir(out, { recursive: true });
  return writeSpec(
    dir,
    {
      job_id: label,
      sources: [source],
      output_directory: out,
      codec: 'prores_proxy',
      container: 'mov',
      resolution: 'same',
      naming_template: '{source_name}',
      ...defaults,
      ...fields,
    },
    `${label}.jobspec.json`,
  );
}

/** Write that one-clip JobSpec (see writeOneClipSpec) and run it in-process. */
export async function runOneClip(...args: Parameters<typeof writeOneClipSpec>): Promise<RunResult> {
  return runSpecFile(await writeOneClipSpec(...args));
}
