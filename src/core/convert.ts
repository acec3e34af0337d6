// `jobspec convert`: an origin-format JobSpec (jobspec_version "2.1") written out in this tool's format.
// The file is checked first exactly as a run would check it (less the files on disk, which need not
// exist where it is converted): what needs DaVinci Resolve, a LUT from the origin's registry or a
// profile that disagrees with its codec is refused, never converted into something else.
import * as path from 'node:path';
import { resolveAgainst, validateJobSpecText } from './jobspec';
import { checkOrigin, isOriginJobSpec } from './origin';
import type { Problem } from './types';

export type ConvertResult =
  { ok: true; text: string; dropped: { field: string; why: string }[]; warnings: Problem[] } | { ok: false; problems: Problem[] };

/** The order fields are written in: the way this tool's own JobSpecs read. */
const ORDER = [
  'jobspec_version',
  'job_id',
  'sources',
  'output_directory',
  'preset',
  'codec',
  'container',
  'resolution',
  'naming_template',
  'fps_mode',
  'fps_explicit',
  'created_at',
];

/** The default name of a converted file: `<name>.converted.jobspec.json` beside the original. */
export function convertedName(file: string): string {
  const base = path.basename(file).replace(/(\.jobspec)?\.json$/i, '');
  return path.join(path.dirname(file), `${base}.converted.jobspec.json`);
}

/**
 * Convert `text` (the file at `file`) for writing at `target`. Relative paths keep their meaning: they
 * stay relative when the converted file sits beside the original, and become absolute otherwise.
 */
export async function convertOriginJobSpec(text: string, file: string, target: string = convertedName(file)): Promise<ConvertResult> {
  const abs = path.resolve(file);
  const checked = await validateJobSpecText(text, abs, { checkFilesystem: false });
  if (!checked.ok) return { ok: false, problems: checked.problems };
  const obj = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as Record<string, unknown>;
  if (!isOriginJobSpec(obj))
    return {
      ok: false,
      problems: [
        {
          pointer: '/jobspec_version',
          code: 'not-origin-format',
          message: `${abs} is not an origin-format JobSpec ("jobspec_version": "2.1"): it is already in this tool's format, nothing to convert.`,
          severity: 'error',
          kind: 'meaning',
        },
      ],
    };
  const { translated, dropped } = checkOrigin(obj);
  const here = path.dirname(abs);
  const there = path.dirname(path.resolve(target));
  if (here !== there) {
    if (Array.isArray(translated.sources)) translated.sources = (translated.sources as string[]).map((s) => resolveAgainst(here, s));
    if (typeof translated.output_directory === 'string') translated.output_directory = resolveAgainst(here, translated.output_directory);
  }
  const ordered: Record<string, unknown> = {};
  for (const k of ORDER) if (translated[k] !== undefined) ordered[k] = translated[k];
  for (const k of Object.keys(translated)) if (!(k in ordered)) ordered[k] = translated[k];
  return {
    ok: true,
    text: JSON.stringify(ordered, null, 2) + '\n',
    dropped,
    warnings: checked.problems.filter((p) => p.severity === 'warning'),
  };
}
