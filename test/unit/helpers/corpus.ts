// The bad-input corpus (test/corpus/cases/*.json, one case per file): loading a case, building its
// folder, running the headless command on it and checking the outcome. test/corpus/README.md
// describes the format.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { runCli, shown, toolArgs } from './cli';
import { MEDIA_KINDS, placeMedia, type MediaKind } from './media';
import { mountSkipReason, mountTmpfs } from './mounts';
import { CORPUS } from './paths';
import { writeSpec } from './spec';
import type { Cleanup } from './tmp';
import { diffTrees, leftovers, REPORT_RE, snapshot, TEMP_RE } from './tree';

export interface CorpusCase {
  description: string;
  /** The JobSpec as an object, written with JSON.stringify. */
  jobspec?: Record<string, unknown> | unknown[];
  /** The JobSpec file's exact text, instead of `jobspec`. */
  jobspec_text?: string;
  /** The JobSpec file's bytes in base64, for text that is not UTF-8. */
  jobspec_base64?: string;
  /** Where the JobSpec is written, relative to the case folder. Default `case.jobspec.json`. */
  jobspec_path?: string;
  setup?: {
    /** Path → what to put there: a media kind, `dir`, or `text:<content>`. */
    files?: Record<string, string>;
    /** Link path → target (as written into the link). */
    symlinks?: Record<string, string>;
    /** Folder → tmpfs mount options (root only; otherwise the case is skipped with the reason). */
    mounts?: Record<string, string>;
    /**
     * Folders that must not be writable: a read-only tmpfs as root (chmod does not stop root), a
     * folder without write permission otherwise; skipped (with the reason) when neither works.
     */
    readonly?: string[];
    /** Many sources at once: `path` holds `%d` (the number); each is created as `create` unless "none". */
    generate_sources?: { count: number; path: string; create: string }[];
  };
  /** Arguments after `execute FILE`, e.g. ["--json"]. */
  args?: string[];
  /** The command's working folder, relative to the case folder. Default: the case folder. */
  cwd?: string;
  /** Extra environment; `$CASE` in a value is the case folder. */
  env?: Record<string, string>;
  expect: {
    exit: number;
    /** A regular expression (flag s) that the combined stdout + stderr must match. */
    message: string;
    /** A JSON pointer the problem line must name, as `(POINTER)`. */
    pointer?: string;
    /** `FILE:LINE:COLUMN:` of the first problem. */
    line?: number;
    column?: number;
    /** How many `error:` problem lines. */
    problems?: number;
    /** An upper bound on the command's wall time. */
    max_ms?: number;
    /** "nothing": the case folder is byte-identical afterwards; "report": only a run report appeared; "proxies": `outputs` and a report appeared. */
    written: 'nothing' | 'report' | 'proxies';
    /** For "report" and "proxies": the output folder, relative to the case folder. */
    output_directory?: string;
    /** For "proxies": every proxy the run must leave, relative to the case folder. */
    outputs?: string[];
    /** Paths (relative to the case folder) that must not exist afterwards, e.g. a file a shell would have created. */
    absent?: string[];
  };
}

export function loadCases(): { file: string; name: string; c: CorpusCase }[] {
  const dir = path.join(CORPUS, 'cases');
  const names = fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort();
  const out: { file: string; name: string; c: CorpusCase }[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as CorpusCase;
    out.push({ file, name: name.replace(/\.json$/, ''), c });
  }
  return out;
}

async function put(root: string, rel: string, what: string): Promise<void> {
  const abs = path.join(root, rel);
  if (what === 'dir') {
    await fsp.mkdir(abs, { recursive: true });
  } else if (what === 'fifo') {
    await fsp.mkdir(path.dirname(abs), { recursive: true });
    execFileSync('mkfifo', [abs]);
  } else if (what.startsWith('text:')) {
    await fsp.mkdir(path.dirname(abs), { recursive: true });
    await fsp.writeFile(abs, what.slice(5));
  } else if ((MEDIA_KINDS as readonly string[]).includes(what)) {
    await placeMedia(abs, what as MediaKind);
  } else {
    throw new Error(`unknown setup kind "${what}" for ${rel}`);
  }
}

function sub(s: string, dir: string): string {
  return s.split('$CASE').join(dir);
}

function subDeep(v: unknown, dir: string): unknown {
  if (typeof v === 'string') return sub(v, dir);
  if (Array.isArray(v)) return v.map((x) => subDeep(x, dir));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, subDeep(x, dir)]));
  return v;
}

interface Ctx extends Cleanup {
  skip(message?: string): void;
  diagnostic(message: string): void;
}

/** Skip the case, saying why, when tmpfs mounts cannot be used here; true when it was skipped. */
function skippedWithoutMounts(t: Ctx): boolean {
  const why = mountSkipReason();
  if (why === null) return false;
  console.log(`skipped: ${why}`);
  t.skip(why);
  return true;
}

/** Build the case in `dir`, run it, check every expectation. */
export async function runCase(t: Ctx, dir: string, c: CorpusCase): Promise<void> {
  const setup = c.setup ?? {};
  if (setup.mounts && Object.keys(setup.mounts).length && skippedWithoutMounts(t)) return;
  for (const [rel, what] of Object.entries(setup.files ?? {})) await put(dir, rel, what);
  for (const [rel, target] of Object.entries(setup.symlinks ?? {})) {
    await fsp.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fsp.symlink(target, path.join(dir, rel));
  }
  for (const [rel, options] of Object.entries(setup.mounts ?? {})) await mountTmpfs(t, path.join(dir, rel), options);
  for (const rel of setup.readonly ?? []) {
    const abs = path.join(dir, rel);
    if (typeof process.getuid === 'function' && process.getuid() !== 0) {
      await fsp.mkdir(abs, { recursive: true });
      await fsp.chmod(abs, 0o555);
      t.after(() => fsp.chmod(abs, 0o755).catch(() => undefined));
      continue;
    }
    if (skippedWithoutMounts(t)) return;
    await mountTmpfs(t, abs, 'ro,size=1m');
  }

  let spec = c.jobspec !== undefined ? subDeep(c.jobspec, dir) : undefined;
  for (const g of setup.generate_sources ?? []) {
    const list = Array.from({ length: g.count }, (_, i) => g.path.replace('%d', String(i)));
    if (g.create !== 'none' && list.length > 0) {
      // The first is made of its kind; the rest are small files of their own (hard links would be
      // one file, which validation rightly calls duplicates). Only validation reads them: these
      // cases never get as far as running ffmpeg.
      await put(dir, list[0], g.create);
      for (const f of new Set(list.map((rel) => path.dirname(path.join(dir, rel))))) fs.mkdirSync(f, { recursive: true });
      for (const rel of list.slice(1)) fs.writeFileSync(path.join(dir, rel), `generated source ${rel}\n`);
    }
    assert.ok(spec && !Array.isArray(spec) && typeof spec === 'object', 'generate_sources needs a jobspec object');
    const obj = spec as Record<string, unknown>;
    obj.sources = [...((obj.sources as string[] | undefined) ?? []), ...list];
    spec = obj;
  }

  const specRel = c.jobspec_path ?? 'case.jobspec.json';
  const specFile = path.join(dir, specRel);
  await fsp.mkdir(path.dirname(specFile), { recursive: true });
  if (c.jobspec_text !== undefined) await fsp.writeFile(specFile, c.jobspec_text);
  else if (c.jobspec_base64 !== undefined) await fsp.writeFile(specFile, Buffer.from(c.jobspec_base64, 'base64'));
  else if (spec !== undefined) await writeSpec(dir, spec, specRel);

  const before = snapshot(dir);
  const cwd = path.join(dir, c.cwd ?? '.');
  const env = Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, sub(v, dir)]));
  const shownFile = path.relative(cwd, specFile) || specFile;
  const r = await runCli(['execute', shownFile, ...toolArgs(), ...(c.args ?? [])], {
    cwd,
    env,
    timeoutMs: 120_000,
  });
  const after = snapshot(dir);
  const all = r.stdout + r.stderr;
  const e = c.expect;

  assert.equal(r.code, e.exit, `exit code\n${shown(r)}`);
  assert.match(all, new RegExp(e.message, 's'), `message\n${shown(r)}`);
  if (e.pointer !== undefined) assert.ok(all.includes(`(${e.pointer})`), `names the pointer ${e.pointer}\n${shown(r)}`);
  if (e.line !== undefined)
    assert.ok(all.includes(`${shownFile}:${e.line}:${e.column ?? ''}`), `names line ${e.line} column ${e.column}\n${shown(r)}`);
  if (e.problems !== undefined) {
    const n = r.stderr.split('\n').filter((l) => / error: /.test(l) && /\[[a-z-]+\]$/.test(l)).length;
    assert.equal(n, e.problems, `number of problems\n${shown(r)}`);
  }
  if (e.max_ms !== undefined) assert.ok(r.ms <= e.max_ms, `took ${r.ms} ms, more than ${e.max_ms} ms`);
  // Exit codes 1 and 4 mean nothing ran: the summary says so.
  if (e.exit === 1 || e.exit === 4) assert.match(r.stderr, /nothing was run|error: /, shown(r));

  const diff = diffTrees(before, after);
  // Nothing that existed is changed or removed, whatever the outcome: sources, the JobSpec, other files.
  assert.deepEqual(diff.changed, [], `files changed\n${shown(r)}`);
  assert.deepEqual(diff.removed, [], `files removed\n${shown(r)}`);
  assert.deepEqual(
    diff.added.filter((p) => TEMP_RE.test(path.basename(p))),
    [],
    'temporary files left behind',
  );
  const outRel = e.output_directory ?? 'out';
  if (e.written === 'nothing') {
    assert.deepEqual(diff.added, [], `nothing may be written\n${shown(r)}`);
  } else {
    const reports = diff.added.filter((p) => path.dirname(p) === outRel && REPORT_RE.test(p));
    assert.equal(reports.length, 1, `one report in ${outRel}; added: ${diff.added.join(', ')}\n${shown(r)}`);
    const proxies = diff.added.filter((p) => !reports.includes(p));
    const want = e.written === 'proxies' ? [...(e.outputs ?? [])].map((p) => path.normalize(sub(p, dir))).sort() : [];
    assert.deepEqual(proxies.sort(), want, `files written besides the report\n${shown(r)}`);
    for (const p of want) {
      const st = await fsp.stat(path.join(dir, p));
      assert.ok(st.isFile() && st.size > 0, `${p} is a non-empty proxy`);
    }
    const report = JSON.parse(await fsp.readFile(path.join(dir, reports[0]), 'utf8')) as { exit_code: number; clips: unknown[] };
    assert.equal(report.exit_code, e.exit, 'the report records the exit code');
  }
  assert.deepEqual(await leftovers(path.join(dir, outRel)), [], 'no temporary file in the output folder');
  for (const p of e.absent ?? []) {
    await assert.rejects(fsp.lstat(path.join(dir, p)), `${p} must not exist`);
  }
  t.diagnostic(`exit ${r.code} in ${r.ms} ms`);
}
