// A fault scene: a project folder with sources, an output folder that already holds earlier work,
// and a JobSpec; then, after the fault, the checks every fault must pass: a clear result, a report,
// no temporary or partial file, no existing output changed, every source byte-identical.
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { RunResult } from '../../../src/core/types';
import { shown, type CliResult } from './cli';
import { makeClip, placeMedia, type ClipOptions, type MediaKind } from './media';
import { baseSpec, writeSpec, type SpecFields } from './spec';
import { tempDir, type Cleanup } from './tmp';
import { diffTrees, leftovers, REPORT_RE, sha256, snapshot, type Entry } from './tree';

export interface Scene {
  dir: string;
  out: string;
  specFile: string;
  sources: string[];
  /** sha256 of each source before the run. */
  sourceHashes: Map<string, string>;
  /** The output folder before the run. */
  outBefore: Map<string, Entry>;
  /** Outputs that existed before the run, relative to `out`. */
  existing: string[];
}

export interface SceneOptions {
  /** Source file names (under media/) and their kinds, or a clip made to order. Default one 1 s clip. */
  sources?: [string, MediaKind | ClipOptions][];
  spec?: SpecFields;
  /**
   * Put an earlier proxy at each clip's output path (use with overwrite "replace") and one unrelated
   * proxy (true, the default); only the unrelated one ("unrelated"); or none (false).
   */
  existing?: boolean | 'unrelated';
  /** The output folder, when it is not `<dir>/out` (e.g. a mount point); must exist. */
  out?: string;
}

/** A 20 s clip, mid-encode for long enough to fault it, then a short one that should never start. */
export const LONG_THEN_SHORT: [string, MediaKind][] = [
  ['A001.mov', 'long'],
  ['A002.mov', 'clip'],
];

/** A 4 s clip, mid-encode for long enough to fault it, then a short one that runs after it. */
export const MEDIUM_THEN_SHORT: [string, MediaKind][] = [
  ['A001.mov', 'medium'],
  ['A002.mov', 'clip'],
];

/** Bytes that stand for an earlier run's proxy: any change to them would show in the hash. */
export const EARLIER = Buffer.from('an earlier proxy that no run may change\n'.repeat(64));

export async function makeScene(t: Cleanup, opts: SceneOptions = {}): Promise<Scene> {
  const dir = await tempDir(t, 'jobspec-fault-');
  const sources = opts.sources ?? [['A001.mov', 'clip']];
  for (const [name, kind] of sources) {
    if (typeof kind === 'string') await placeMedia(path.join(dir, 'media', name), kind);
    else await makeClip(path.join(dir, 'media'), name, kind);
  }
  const out = opts.out ?? path.join(dir, 'out');
  await fsp.mkdir(out, { recursive: true });
  const spec = baseSpec({
    sources: sources.map(([name]) => `media/${name}`),
    output_directory: path.relative(dir, out) || '.',
    naming_template: sources.length > 1 ? '{source_name}_{index}' : '{source_name}_proxy',
    overwrite: 'replace',
    ...opts.spec,
  });
  const existing: string[] = [];
  if (opts.existing !== false) {
    const container = String(spec.container);
    if (opts.existing !== 'unrelated') {
      sources.forEach(([name], i) => {
        const stem = name.replace(/\.[^.]*$/, '');
        existing.push(sources.length > 1 ? `${stem}_${String(i).padStart(3, '0')}.${container}` : `${stem}_proxy.${container}`);
      });
    }
    existing.push('unrelated_proxy.mov');
    for (const e of existing) await fsp.writeFile(path.join(out, e), EARLIER);
  }
  const specFile = await writeSpec(dir, spec);
  const abs = sources.map(([name]) => path.join(dir, 'media', name));
  const sourceHashes = new Map<string, string>();
  for (const s of abs) sourceHashes.set(s, await sha256(s));
  return { dir, out, specFile, sources: abs, sourceHashes, outBefore: snapshot(out), existing };
}

/** The RunResult a `--json` execute printed. */
export function runResult(r: CliResult): RunResult {
  try {
    return JSON.parse(r.stdout) as RunResult;
  } catch {
    assert.fail(`stdout is not the run's JSON result\n${shown(r)}`);
  }
}

export interface Aftermath {
  /** Sources the fault itself removed or changed (not the runner). */
  touchedByTest?: string[];
  /** Outputs the run may have added besides its report (relative to `out`). */
  allowAdded?: string[];
  /** The report could not be written (disk full): the result must say why instead. */
  reportMayFail?: boolean;
}

/**
 * The checks every fault must pass. Returns the report's content (or the result, when the report
 * could not be written).
 */
export async function checkAftermath(s: Scene, result: RunResult, r: CliResult, a: Aftermath = {}): Promise<RunResult> {
  const why = shown(r);
  // No temporary or partial file remains.
  assert.deepEqual(await leftovers(s.out), [], `temporary files left in the output folder\n${why}`);
  // Every source is byte-identical to before.
  for (const [src, hash] of s.sourceHashes) {
    if (a.touchedByTest?.includes(src)) continue;
    assert.equal(await sha256(src), hash, `source ${src} changed`);
  }
  // No existing output changed, and nothing but the report (and allowed proxies) appeared.
  const after = snapshot(s.out);
  const diff = diffTrees(s.outBefore, after);
  assert.deepEqual(diff.changed, [], `existing outputs changed\n${why}`);
  assert.deepEqual(diff.removed, [], `existing outputs removed\n${why}`);
  const reports = diff.added.filter((p) => REPORT_RE.test(p));
  const others = diff.added.filter((p) => !REPORT_RE.test(p));
  assert.deepEqual(others.sort(), [...(a.allowAdded ?? [])].sort(), `files written besides the report\n${why}`);
  // The report is written, and says what the result says.
  if (result.report_path === null) {
    assert.ok(a.reportMayFail, `no report was written: ${result.report_error}\n${why}`);
    assert.match(String(result.report_error), /could not write the report/, why);
    assert.equal(reports.length, 0);
    return result;
  }
  assert.equal(reports.length, 1, `exactly one report\n${why}`);
  assert.equal(path.join(s.out, reports[0]), result.report_path);
  const report = JSON.parse(await fsp.readFile(result.report_path, 'utf8')) as RunResult;
  assert.equal(report.status, result.status);
  assert.equal(report.exit_code, result.exit_code);
  assert.deepEqual(
    report.clips.map((c) => c.status),
    result.clips.map((c) => c.status),
  );
  return report;
}
