// File identity on the volumes camera originals live on. A path string says little: exFAT cards,
// macOS and Windows volumes and SMB shares fold case (and APFS folds Unicode normalization), a bind
// mount or a second mount of a share shows one folder under two paths, and FUSE file systems (exFAT
// on Linux) give one file a different inode number for each spelling it was looked up by. So:
// - "is this output a source?" asks the file system itself: the output's own name is looked up (the
//   volume folds it as it will when ffmpeg's result is linked there), and what it finds is compared
//   with each source by device and inode, then by size, modification time and content samples;
// - "are these two outputs one file?" compares names the way the output volume folds them, learnt
//   by looking a probe name up in another spelling.
import { createHash, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

export interface Folding {
  /** `A.MOV` and `a.mov` are one file. */
  caseInsensitive: boolean;
  /** `é` composed (NFC) and decomposed (NFD) are one file. */
  normalizationInsensitive: boolean;
  /** `probed`: learnt in this folder; `assumed`: it could not be probed, so both are assumed (the safe side). */
  how: 'probed' | 'assumed';
}

const ASSUMED: Folding = { caseInsensitive: true, normalizationInsensitive: true, how: 'assumed' };
const folds = new Map<string, Promise<Folding>>();

/** The name as the volume compares it: two names with one key are one file there. */
// Anything but printable ASCII (control characters, which names rarely hold, take the slow path too).
const NON_ASCII = /[^ -~]/;

export function nameKey(name: string, f: Pick<Folding, 'caseInsensitive' | 'normalizationInsensitive'>): string {
  // Most camera file names are ASCII: there normalization changes nothing and lower case is enough.
  if (!NON_ASCII.test(name)) return f.caseInsensitive ? name.toLowerCase() : name;
  let key = f.normalizationInsensitive ? name.normalize('NFC') : name;
  // Upper then lower: the round trip joins the pairs a volume's upcase table joins (K and the Kelvin
  // sign, the Greek sigmas), which a single toLowerCase() keeps apart.
  if (f.caseInsensitive) key = key.toUpperCase().toLowerCase();
  return key;
}

async function lookedUp(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * How the volume holding `dir` folds names, probed once per folder (a file system can fold per folder:
 * ext4 casefold, NTFS per-directory case sensitivity). A hidden empty file is created, looked up in
 * upper case and in the other Unicode normalization, and removed. When the folder cannot be written,
 * both foldings are assumed, so collisions are judged on the safe side.
 */
export function volumeFolding(dir: string): Promise<Folding> {
  let pending = folds.get(dir);
  if (!pending) {
    pending = probeFolding(dir);
    folds.set(dir, pending);
  }
  return pending;
}

async function probeFolding(dir: string): Promise<Folding> {
  const stem = `.jobspec-fold-${randomBytes(6).toString('hex')}-`;
  const nfc = `${stem}e\u00e9`;
  const probe = path.join(dir, nfc);
  try {
    await fs.writeFile(probe, '', { flag: 'wx' });
  } catch {
    folds.delete(dir);
    return ASSUMED;
  }
  try {
    const caseInsensitive = await lookedUp(path.join(dir, nfc.toUpperCase()));
    const normalizationInsensitive = await lookedUp(path.join(dir, nfc.normalize('NFD')));
    return { caseInsensitive, normalizationInsensitive, how: 'probed' };
  } finally {
    await fs.rm(probe, { force: true }).catch(() => undefined);
  }
}

/** Forget what was learnt about folders (tests mount and unmount volumes under one path). */
export function clearFoldingCache(): void {
  folds.clear();
}

const SAMPLE = 64 * 1024;

async function sample(file: string, n: number): Promise<string> {
  const h = createHash('sha256');
  const handle = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(SAMPLE, n));
    for (const at of new Set([0, Math.max(0, Math.floor(n / 2) - SAMPLE / 2), Math.max(0, n - SAMPLE)])) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, at);
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return h.digest('hex');
}

/**
 * Whether two paths name one file. Device and inode decide when they agree. When they do not, the
 * file may still be one: FUSE volumes number each spelling anew, and a share mounted twice has two
 * devices. Then equal size and modification time, confirmed by equal content at the start, the
 * middle and the end, count as one file: two distinct files that pass that are exact copies, and an
 * output must not land on a copy of a source either.
 */
export async function sameFile(a: string, aStat: Stats, b: string, bStat: Stats): Promise<boolean> {
  if (aStat.dev === bStat.dev && aStat.ino === bStat.ino) return true;
  if (!aStat.isFile() || !bStat.isFile()) return false;
  // Both times come from one conversion of nanoseconds to milliseconds, so one file gives one number.
  if (aStat.size !== bStat.size || aStat.mtimeMs !== bStat.mtimeMs) return false;
  try {
    return (await sample(a, aStat.size)) === (await sample(b, bStat.size));
  } catch {
    // Unreadable now: the safe answer is that it may be the source.
    return true;
  }
}

export interface IdentifiedFile {
  /** Position in the caller's list (a source index). */
  index: number;
  path: string;
  stat: Stats;
}

/**
 * For each output path, the source it would land on, if any. Each output folder is listed once, and
 * only names that fold (case and normalization, the widest folding) to an existing entry are looked
 * up, so 10,000 outputs in a folder of new proxies cost one readdir, not 10,000 lookups.
 */
export async function outputsThatAreSources(
  outputs: { index: number; path: string }[],
  sources: IdentifiedFile[],
): Promise<Map<number, IdentifiedFile>> {
  const found = new Map<number, IdentifiedFile>();
  if (sources.length === 0) return found;
  const byDir = new Map<string, { index: number; path: string }[]>();
  for (const o of outputs) {
    const dir = path.dirname(o.path);
    let list = byDir.get(dir);
    if (!list) byDir.set(dir, (list = []));
    list.push(o);
  }
  for (const [dir, list] of byDir) {
    let entries: string[];
    try {
      entries = await fs.readdir(dir);
    } catch {
      continue; // Not there yet: nothing in it can be a source.
    }
    const keys = new Set(entries.map((e) => nameKey(e, ASSUMED)));
    for (const o of list) {
      if (!keys.has(nameKey(path.basename(o.path), ASSUMED))) continue;
      const hit = await sourceAt(o.path, sources);
      if (hit) found.set(o.index, hit);
    }
  }
  return found;
}

/** The source that `p` names on its volume right now, or undefined (nothing there, or not a source). */
export async function sourceAt(p: string, sources: IdentifiedFile[]): Promise<IdentifiedFile | undefined> {
  let st: Stats;
  try {
    st = await fs.stat(p);
  } catch {
    return undefined;
  }
  // The file itself first (device and inode), then a file that only looks like it from here.
  const exact = sources.find((s) => s.stat.dev === st.dev && s.stat.ino === st.ino);
  if (exact) return exact;
  for (const s of sources) if (await sameFile(p, st, s.path, s.stat)) return s;
  return undefined;
}

export interface OutputCollision {
  /** The later output (a source index) and the earlier one it collides with. */
  index: number;
  first: number;
  /** How the output volume folds names; null when the two are one path string. */
  folding: Folding | null;
}

/**
 * Outputs that are one file on their volume (`collisions`: one path string, or names that differ only
 * in case or Unicode normalization where the volume folds them), and outputs whose names differ only
 * that way on a volume that keeps them apart (`foldable`: one file once copied to an exFAT card, a
 * Mac or a Windows volume). `foldingOf` tells how the volume holding a folder folds names (it probes
 * the volume; tests of volumes this machine cannot mount, such as APFS, give it instead).
 */
export async function outputCollisions(
  outputs: { index: number; path: string }[],
  foldingOf: (dir: string) => Promise<Folding> = volumeFolding,
): Promise<{ collisions: OutputCollision[]; foldable: OutputCollision[] }> {
  const collisions: OutputCollision[] = [];
  const foldable: OutputCollision[] = [];
  const exactFirst = new Map<string, number>();
  const groups = new Map<string, { index: number; path: string }[]>();
  for (const o of outputs) {
    const first = exactFirst.get(o.path);
    if (first !== undefined) {
      collisions.push({ index: o.index, first, folding: null });
      continue;
    }
    exactFirst.set(o.path, o.index);
    // Whole paths, not names: mirrored folders (A001/ and a001/) fold together on a card too.
    const wide = nameKey(o.path, ASSUMED);
    const group = groups.get(wide);
    if (group) group.push(o);
    else groups.set(wide, [o]);
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    // The paths fold together somewhere: ask the volume below their common folder how it folds.
    const anchor = await nearestExisting(commonFolder(group.map((o) => o.path)));
    const folding = await foldingOf(anchor);
    const strictFirst = new Map<string, number>();
    for (const o of group) {
      const key = nameKey(path.relative(anchor, o.path), folding);
      const first = strictFirst.get(key);
      if (first === undefined) strictFirst.set(key, o.index);
      else collisions.push({ index: o.index, first, folding });
    }
    const firstOfGroup = group[0].index;
    for (const o of group.slice(1))
      if (!collisions.some((c) => c.index === o.index)) foldable.push({ index: o.index, first: firstOfGroup, folding });
  }
  collisions.sort((a, b) => a.index - b.index);
  foldable.sort((a, b) => a.index - b.index);
  return { collisions, foldable };
}

/** The deepest folder that textually contains every path. */
export function commonFolder(paths: string[]): string {
  const split = paths.map((p) => path.dirname(p).split(path.sep));
  const out: string[] = [];
  for (let i = 0; ; i++) {
    const seg = split[0][i];
    if (seg === undefined || split.some((s) => s[i] !== seg)) break;
    out.push(seg);
  }
  return out.join(path.sep) || path.sep;
}

/** The folder itself, or the nearest ancestor that exists: the volume a folder not yet made will be on. */
async function nearestExisting(dir: string): Promise<string> {
  let d = dir;
  for (;;) {
    try {
      if ((await fs.stat(d)).isDirectory()) return d;
    } catch {
      // Look further up.
    }
    const up = path.dirname(d);
    if (up === d) return d;
    d = up;
  }
}

/**
 * The sources of a job, stat'ed once when first needed, to answer "which source is this path, if
 * any?" for outputs that already exist: by device and inode, then by size and time confirmed by
 * content (see sameFile).
 */
export class SourceIndex {
  private index?: Promise<{ byInode: Map<string, IdentifiedFile>; bySizeTime: Map<string, IdentifiedFile[]> }>;

  constructor(private readonly paths: readonly string[]) {}

  private build(): Promise<{ byInode: Map<string, IdentifiedFile>; bySizeTime: Map<string, IdentifiedFile[]> }> {
    this.index ??= (async () => {
      const byInode = new Map<string, IdentifiedFile>();
      const bySizeTime = new Map<string, IdentifiedFile[]>();
      const stats = await Promise.all(this.paths.map((p) => fs.stat(p).catch(() => null)));
      stats.forEach((stat, index) => {
        if (!stat) return;
        const f: IdentifiedFile = { index, path: this.paths[index], stat };
        byInode.set(`${stat.dev}:${stat.ino}`, f);
        const k = `${stat.size}:${stat.mtimeMs}`;
        const list = bySizeTime.get(k);
        if (list) list.push(f);
        else bySizeTime.set(k, [f]);
      });
      return { byInode, bySizeTime };
    })();
    return this.index;
  }

  /** The source that `p` is on its volume, or undefined. */
  async find(p: string): Promise<string | undefined> {
    let st: Stats;
    try {
      st = await fs.stat(p);
    } catch {
      return undefined;
    }
    const { byInode, bySizeTime } = await this.build();
    const hit = byInode.get(`${st.dev}:${st.ino}`);
    if (hit) return hit.path;
    for (const s of bySizeTime.get(`${st.size}:${st.mtimeMs}`) ?? []) if (await sameFile(p, st, s.path, s.stat)) return s.path;
    return undefined;
  }
}
