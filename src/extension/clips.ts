// Clips from files and folders a person picked (Explorer selection, the New JobSpec dialog, a
// folder named in sources): folders are walked, the clips sorted as a card lists them. Pure: node
// only, no `vscode`.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { isTempName } from '../core';
import { VIDEO_EXTENSIONS } from './template';

/**
 * Folders on cards and disks that hold no camera originals: Sony's low-resolution sub-clips and
 * thumbnails, and what macOS leaves on a volume.
 */
const SKIPPED_FOLDERS = new Set(['sub', 'thmbnl', 'thumbnail', 'thumbnails', '.trashes', '.spotlight-v100', '.fseventsd', 'node_modules']);
const VIDEO = new Set(VIDEO_EXTENSIONS);
/** A card of a few thousand clips is plenty; a whole disk picked by mistake stops here. */
const MAX_CLIPS = 5000;

export function isClipName(name: string): boolean {
  // macOS writes "._name" AppleDouble files beside every clip on non-Apple volumes: not media.
  if (name.startsWith('.') || isTempName(name)) return false;
  return VIDEO.has(path.extname(name).slice(1).toLowerCase());
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Card order: folder by folder, names compared with their numbers as numbers (C2 before C10). */
export function cardOrder(a: string, b: string): number {
  const sa = a.split(/[\\/]/);
  const sb = b.split(/[\\/]/);
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    // A folder's clips come before its subfolders' when names tie at this depth.
    const lastA = i === sa.length - 1;
    const lastB = i === sb.length - 1;
    if (lastA !== lastB && sa[i] !== sb[i]) return collator.compare(sa[i], sb[i]) || (lastA ? -1 : 1);
    const c = collator.compare(sa[i], sb[i]);
    if (c !== 0) return c;
  }
  return sa.length - sb.length;
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  // A folder with run reports in it is a JobSpec's output folder: its proxies are no sources.
  if (entries.some((e) => e.isFile() && e.name.endsWith('.report.json'))) return;
  for (const e of entries) {
    if (out.length >= MAX_CLIPS) return;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!e.name.startsWith('.') && !SKIPPED_FOLDERS.has(e.name.toLowerCase())) await walk(full, out);
    } else if ((e.isFile() || e.isSymbolicLink()) && isClipName(e.name)) out.push(full);
  }
}

/** The clips in these files and folders, each once, in card order. Files that are not clips are left out. */
export async function clipsIn(paths: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const p of paths) {
    const st = await fs.stat(p).catch(() => undefined);
    if (st?.isDirectory()) await walk(p, found);
    else if (st?.isFile() && isClipName(path.basename(p))) found.push(p);
  }
  return [...new Set(found)].sort(cardOrder);
}
