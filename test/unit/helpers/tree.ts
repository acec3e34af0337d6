// File trees after a run: what is there, whether any byte changed, and which names a run leaves
// (temporary files, reports).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { waitFor } from './processes';

export interface Entry {
  kind: 'file' | 'dir' | 'symlink' | 'other';
  /** sha256 of a file, the target of a symlink. */
  digest?: string;
  size?: number;
}

function sha256Of(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256(file: string): Promise<string> {
  return sha256Of(await fsp.readFile(file));
}

/** Every entry below `root` (dot-files included), by path relative to `root`. Symlinks are not followed. */
export function snapshot(root: string, skip: (rel: string) => boolean = () => false): Map<string, Entry> {
  // Synchronous on purpose: 10,000 small files hash in a fraction of the time the promise API takes.
  const out = new Map<string, Entry>();
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const abs = path.join(dir, name);
      const rel = path.relative(root, abs);
      if (skip(rel)) continue;
      const st = fs.lstatSync(abs);
      if (st.isSymbolicLink()) out.set(rel, { kind: 'symlink', digest: fs.readlinkSync(abs) });
      else if (st.isDirectory()) {
        out.set(rel, { kind: 'dir' });
        walk(abs);
      } else if (st.isFile()) out.set(rel, { kind: 'file', digest: sha256Of(fs.readFileSync(abs)), size: st.size });
      else out.set(rel, { kind: 'other' });
    }
  };
  walk(root);
  return out;
}

export interface TreeDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

export function diffTrees(before: Map<string, Entry>, after: Map<string, Entry>): TreeDiff {
  const added = [...after.keys()].filter((k) => !before.has(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const changed = [...before.keys()].filter((k) => {
    const a = before.get(k);
    const b = after.get(k);
    return b !== undefined && (a?.kind !== b.kind || a?.digest !== b.digest);
  });
  return { added, removed, changed };
}

/** What a run writes only while it runs: temporary proxies and write probes. */
export const TEMP_RE = /^\.jobspec-(tmp|write-probe)-/;
/** Of those, the temporary proxies alone: the name ffmpeg writes to mid-clip (not a report being written). */
export const TEMP_PROXY_RE = /^\.jobspec-tmp-.*\.(mov|mxf|mp4|mkv|webm)$/;
export const REPORT_RE = /\.report\.json$/;

/** Names in `dir` that match `re`, sorted; a missing folder is an error. */
async function namesIn(dir: string, re: RegExp): Promise<string[]> {
  return (await fsp.readdir(dir)).filter((n) => re.test(n)).sort();
}

/** Names in `dir` that are the runner's temporary proxies (not write probes). */
export function tempFilesIn(dir: string): Promise<string[]> {
  return namesIn(dir, TEMP_PROXY_RE);
}

/** Names in `dir` that a run leaves only while it runs (TEMP_RE); none when the folder does not exist. */
export async function leftovers(dir: string): Promise<string[]> {
  try {
    return await namesIn(dir, TEMP_RE);
  } catch {
    return [];
  }
}

/** Report files (`*.report.json`) in `dir`, as full paths, sorted. */
export async function reportsIn(dir: string): Promise<string[]> {
  return (await namesIn(dir, REPORT_RE)).map((n) => path.join(dir, n));
}

/** The name of a temporary proxy in `dir` that ffmpeg has written data into (it is mid-clip), if any. */
export async function tempProxyWithData(dir: string): Promise<string | undefined> {
  for (const n of await tempFilesIn(dir).catch(() => [])) {
    if ((await fsp.stat(path.join(dir, n)).catch(() => null))?.size) return n;
  }
  return undefined;
}

/** The temporary proxy of the clip in progress in `out`, once ffmpeg has written into it (its name). */
export async function tempInProgress(out: string, timeoutMs = 30_000): Promise<string> {
  return waitFor('a temporary proxy with data in it', () => tempProxyWithData(out), timeoutMs);
}
