// The one way tests write a JobSpec file: a small valid spec to start from, and the file itself.
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

export interface SpecFields {
  [k: string]: unknown;
}

/** A valid JobSpec (one clip, media/clip.mov → out/) with `over` on top. */
export function baseSpec(over: SpecFields = {}): SpecFields {
  return {
    job_id: 'fault',
    sources: ['media/clip.mov'],
    output_directory: 'out',
    codec: 'h264',
    container: 'mp4',
    resolution: 'half',
    naming_template: '{source_name}_proxy',
    ...over,
  };
}

/**
 * Write `spec` as JSON to `dir/name` (folders are created) and return the file's path. Any JSON
 * value goes: the bad-input corpus writes arrays and strings too.
 */
export async function writeSpec(dir: string, spec: unknown, name = 'job.jobspec.json'): Promise<string> {
  const file = path.join(dir, name);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, JSON.stringify(spec, null, 2) + '\n');
  return file;
}
