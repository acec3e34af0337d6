// Where a layout puts each proxy. No process is started here: validation reads it too.
import * as path from 'node:path';
import type { JobSpec } from './types';

/** The folder a source's proxy goes to, as the layout says. */
export function outputFolder(spec: Pick<JobSpec, 'layout' | 'layout_root' | 'proxy_folder' | 'output_directory'>, source: string): string {
  switch (spec.layout) {
    case 'flat':
      return spec.output_directory;
    case 'mirror':
      return path.join(spec.output_directory, path.relative(spec.layout_root ?? path.dirname(source), path.dirname(source)));
    case 'beside-source':
      return path.join(path.dirname(source), spec.proxy_folder);
  }
}

/** Where a layout's folders start: what exists before a run (nothing above it is ever created). */
export function outputBase(spec: Pick<JobSpec, 'layout' | 'output_directory'>, source: string): string {
  return spec.layout === 'beside-source' ? path.dirname(source) : spec.output_directory;
}
