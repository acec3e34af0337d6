// The text of a new JobSpec. Pure: no `vscode`.
import * as path from 'node:path';

export const VIDEO_EXTENSIONS = [
  'mov',
  'mp4',
  'mxf',
  'mkv',
  'avi',
  'm4v',
  'mts',
  'm2ts',
  'webm',
  'mpg',
  'mpeg',
  'dv',
  'r3d',
  'braw',
  'ari',
  'crm',
];

/** Paths inside the JobSpec's folder are written relative to it, so the folder can move. */
export function pathForJobSpec(jobspecFile: string, target: string): string {
  const rel = path.relative(path.dirname(jobspecFile), target);
  if (rel === '') return '.';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return target;
  return rel.split(path.sep).join('/');
}

/** A job id from the file name: `Day 1 cam A.jobspec.json` → `Day_1_cam_A`. */
export function jobIdFor(jobspecFile: string): string {
  const base = path.basename(jobspecFile).replace(/\.jobspec\.json$/i, '');
  const id = base
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
  return id || 'proxies';
}

export function newJobSpecText(jobspecFile: string, sources: string[], outputDirectory: string): string {
  const spec = {
    jobspec_version: '1',
    job_id: jobIdFor(jobspecFile),
    sources: sources.map((s) => pathForJobSpec(jobspecFile, s)),
    output_directory: pathForJobSpec(jobspecFile, outputDirectory),
    codec: 'prores_proxy',
    container: 'mov',
    resolution: 'half',
    naming_template: '{source_name}_proxy',
    fps_mode: 'same-as-source',
    audio: 'auto',
    overwrite: 'never',
  };
  return JSON.stringify(spec, null, 2) + '\n';
}
