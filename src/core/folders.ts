// The folders a layout puts proxies in (mirror: a copy of the sources' tree under output_directory;
// beside-source: a Proxy folder beside each source) are made when a clip runs, one level at a time
// from a folder that already exists. A level that exists must be a real folder: a symbolic link there
// would carry proxies outside the folders the JobSpec chose, so it is refused.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { quote } from './text';

export class FolderError extends Error {}

/**
 * Make `dir` below `base` (which exists). Returns the folders it created, outermost first, so a
 * clip that leaves nothing can take them away again.
 */
export async function makeOutputFolder(base: string, dir: string): Promise<string[]> {
  const rel = path.relative(base, dir);
  if (rel === '') return [];
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new FolderError(`${quote(dir)} is not inside ${quote(base)}`);
  const created: string[] = [];
  let at = base;
  for (const part of rel.split(path.sep)) {
    at = path.join(at, part);
    try {
      await fs.mkdir(at);
      created.push(at);
      continue;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new FolderError(`cannot create the folder ${quote(at)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    const st = await fs.lstat(at);
    if (st.isSymbolicLink()) {
      throw new FolderError(
        `${quote(at)} is a symbolic link; proxies are only written into real folders below ${quote(base)}. Remove the link, or choose another layout.`,
      );
    }
    if (!st.isDirectory())
      throw new FolderError(`${quote(at)} is a file where a folder for proxies must go. Move it away, or choose another layout.`);
  }
  return created;
}

/** Remove folders a clip created, deepest first, if it left them empty. */
export async function removeIfEmpty(created: string[]): Promise<void> {
  for (const dir of [...created].reverse()) {
    try {
      await fs.rmdir(dir);
    } catch {
      return; // not empty (another clip's proxy is there), or gone
    }
  }
}
