// The headless command: `jobspec validate|execute|dry-run FILE`, `jobspec report merge`, `jobspec watch DIR`,
// `jobspec convert FILE`. Prints the seed's lines and exits with the contract's codes.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  EnvironmentError,
  EXIT,
  dryRun,
  findTools,
  loadJobSpec,
  runJob,
  clipLines,
  multiFooter,
  multiHeader,
  problemLine,
  singleLines,
  formatDuration,
  describeFacts,
  dailiesLine,
  planOutputs,
  type LoadResult,
  type Problem,
  type RunEvent,
  type RunResult,
  type Tools,
} from './core';
import { resolveSelection, SelectionError, type Selection } from './core/selection';
import { MergeError, mergeReports, type MergeResult } from './core/merge';
import { LockHeldError } from './core/lock';
import { watchEventLine, watchFolder } from './core/watch';
import { convertedName, convertOriginJobSpec } from './core/convert';
import { mediaWatchEventLine, TemplateError, watchMedia } from './core/mediawatch';
import pkg from '../package.json';

const USAGE = `Usage:
  jobspec validate FILE [--json]
  jobspec execute FILE [--json] [--ffmpeg PATH] [--ffprobe PATH] [--stall-timeout SECONDS]
                       [--no-verify] [--only-failed REPORT | --resume] [--shard K/N | --shards N]
  jobspec dry-run FILE [--json] [--ffmpeg PATH] [--ffprobe PATH]
  jobspec report merge REPORT... [--json] [--out FILE]
  jobspec watch DIR [--once] [--max-workers N] [--ffmpeg PATH] [--ffprobe PATH]
  jobspec watch DIR --template FILE [--once] [--settle SECONDS] [--ffmpeg PATH] [--ffprobe PATH]
  jobspec convert FILE [--out FILE | --out -]

Exit codes: 0 all clips completed (or skipped by policy), 1 invalid or unreadable JobSpec,
2 a clip failed, 3 cancelled, 4 environment unusable (no ffmpeg, output folder not writable).`;

type Out = (line: string) => void;

// A reader that goes away (`jobspec execute … | head -3`, a closed ssh session) must not crash a run:
// from then on that stream is skipped, and the run finishes and writes its report.
const closed = { stdout: false, stderr: false };
for (const name of ['stdout', 'stderr'] as const) {
  process[name].on('error', (e: NodeJS.ErrnoException) => {
    closed[name] = true;
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED' && name === 'stdout' && !closed.stderr) {
      process.stderr.write(`warning: standard output failed (${e.code ?? e.message}); the run goes on.\n`);
    }
  });
}
const write = (name: 'stdout' | 'stderr', text: string): void => {
  if (closed[name]) return;
  try {
    process[name].write(text);
  } catch {
    closed[name] = true;
  }
};
const out: Out = (l) => write('stdout', l + '\n');
const err: Out = (l) => write('stderr', l + '\n');

/** An error that stops a command before it runs: a line on stderr, or with --json a JSON object on stdout. */
function failure(json: boolean, message: string, code: string, exit: number): number {
  if (json) out(JSON.stringify({ error: message, code }, null, 2));
  else err(`error: ${message}`);
  return exit;
}

/** Signals that end a run the way Ctrl-C does: a closed terminal or ssh session sends SIGHUP. */
const STOP_SIGNALS: NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT', 'SIGTERM'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];

function onStopSignals(handler: (sig: NodeJS.Signals) => void): () => void {
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return () => {
    for (const s of STOP_SIGNALS) process.off(s, handler);
  };
}

function exitForProblems(problems: Problem[]): number {
  const errors = problems.filter((p) => p.severity === 'error');
  return errors.length > 0 && errors.every((p) => p.code === 'output-dir-not-writable') ? EXIT.ENVIRONMENT : EXIT.INVALID;
}

function printProblems(file: string, problems: Problem[], w: Out): void {
  const errors = problems.filter((p) => p.severity === 'error').length;
  for (const p of problems) w(problemLine(file, p));
  if (errors) w(`${file}: ${errors} problem${errors === 1 ? '' : 's'} found; nothing was run.`);
}

async function load(file: string, json: boolean): Promise<(LoadResult & { text: string }) | number> {
  const loaded = await loadJobSpec(file, { probeWritable: true, blockingFs: true });
  if (!loaded.ok) {
    if (json) out(JSON.stringify({ file: path.resolve(file), valid: false, problems: loaded.problems }, null, 2));
    else printProblems(file, loaded.problems, err);
    return exitForProblems(loaded.problems);
  }
  return loaded;
}

async function tools(values: { ffmpeg?: string; ffprobe?: string }, json: boolean): Promise<Tools | number> {
  try {
    return await findTools({ ffmpegPath: values.ffmpeg, ffprobePath: values.ffprobe });
  } catch (e) {
    if (e instanceof EnvironmentError) return failure(json, e.message, e.code, EXIT.ENVIRONMENT);
    throw e;
  }
}

async function cmdValidate(file: string, json: boolean): Promise<number> {
  const loaded = await load(file, json);
  if (typeof loaded === 'number') return loaded;
  const { spec } = loaded as Extract<LoadResult, { ok: true }>;
  if (json) {
    const outputs = planOutputs(spec, new Date()).map((c) => ({ index: c.index, source: c.source, output: c.output }));
    out(JSON.stringify({ file: path.resolve(file), valid: true, problems: loaded.problems, spec, outputs }, null, 2));
  } else {
    for (const p of loaded.problems) err(problemLine(file, p));
    const dailies = dailiesLine(spec);
    out(
      `${file}: valid: ${spec.sources.length} source${spec.sources.length === 1 ? '' : 's'} → ${spec.output_directory} (${spec.codec} in ${spec.container}, ${spec.resolution}${spec.dialect ? `; read as the origin project's format ${spec.dialect}` : ''})${dailies ? `; ${dailies}` : ''}`,
    );
  }
  return EXIT.OK;
}

async function cmdDryRun(file: string, values: { json?: boolean; ffmpeg?: string; ffprobe?: string }): Promise<number> {
  const loaded = await load(file, !!values.json);
  if (typeof loaded === 'number') return loaded;
  const t = await tools(values, !!values.json);
  if (typeof t === 'number') return t;
  const { spec } = loaded as Extract<LoadResult, { ok: true }>;
  const clips = await dryRun(spec, t, { threads: undefined });
  if (values.json) {
    out(JSON.stringify({ job_id: spec.job_id, clips }, null, 2));
  } else {
    clips.forEach((c, i) => {
      out(`[${i + 1}/${clips.length}] ${path.basename(c.source)} → ${c.output}`);
      if (c.source_facts) out(`     Source: ${describeFacts(c.source_facts)}`);
      if (c.proxy_expected) out(`     Proxy:  ${describeFacts(c.proxy_expected)}`);
      const dailies = dailiesLine(spec, c.burn_in);
      if (dailies) out(`     Dailies: ${dailies}`);
      out(c.problem ? `     Problem: ${c.problem}` : `     ${c.commandLine}`);
    });
    out('Dry run: nothing was written. A real run writes each proxy to a temporary file in the output folder first.');
  }
  return clips.some((c) => c.problem) ? EXIT.CLIP_FAILED : EXIT.OK;
}

/** A single status line on a terminal, rewritten in place; nothing when output is piped. */
class LiveLine {
  private shown = false;
  constructor(private readonly enabled: boolean) {}
  show(text: string): void {
    if (!this.enabled) return;
    const width = process.stderr.columns || 100;
    process.stderr.write('\r\x1b[2K' + text.slice(0, width - 1));
    this.shown = true;
  }
  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[2K');
    this.shown = false;
  }
}

async function cmdExecute(
  file: string,
  values: {
    json?: boolean;
    ffmpeg?: string;
    ffprobe?: string;
    'stall-timeout'?: string;
    verify?: boolean;
    'only-failed'?: string;
    resume?: boolean;
    shard?: string;
    shards?: string;
  },
): Promise<number> {
  const json = !!values.json;
  const loaded = await load(file, json);
  if (typeof loaded === 'number') return loaded;
  const { spec } = loaded as Extract<LoadResult, { ok: true }>;
  let selection: Selection | null;
  try {
    selection = await resolveSelection(spec, {
      onlyFailed: values['only-failed'],
      resume: values.resume,
      shard: values.shard,
      shards: values.shards,
      env: process.env,
    });
  } catch (e) {
    if (e instanceof SelectionError) return failure(json, e.message, 'selection', EXIT.INVALID);
    throw e;
  }
  const t = await tools(values, json);
  if (typeof t === 'number') return t;
  // Only plain decimals: Number() reads "" and " " as 0 (which turns the timeout off) and "0x10" as 16.
  const rawStall = values['stall-timeout'];
  const stall = rawStall !== undefined ? (/^\d+(\.\d+)?$/.test(rawStall) ? Number(rawStall) : NaN) : undefined;
  if (stall !== undefined && !(stall >= 0)) {
    return failure(
      json,
      `--stall-timeout must be a number of seconds (0 turns it off), not ${JSON.stringify(values['stall-timeout'])}.`,
      'usage',
      EXIT.INVALID,
    );
  }

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT.CANCELLED);
    if (!json) err(`\n${sig}: cancelling; the clip in progress is stopped and its partial file removed (press again to quit at once).`);
    controller.abort();
  };
  const offSignals = onStopSignals(onSignal);

  const live = new LiveLine(!json && process.stderr.isTTY === true);
  const multi = spec.sources.length > 1;
  // With several clips at once, the live line shows each running clip, in sources order.
  const running = new Map<number, string>();
  const showRunning = (): void =>
    live.show(
      [...running.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([, t]) => t)
        .join('  |  '),
    );
  const onEvent = (e: RunEvent): void => {
    if (json) {
      // stdout carries only the result; a notice (leftover files removed) still belongs on stderr.
      if (e.type === 'notice') err(e.message);
      return;
    }
    switch (e.type) {
      case 'run-started':
        if (multi) multiHeader(spec.job_id, e.total).forEach(out);
        if (selection) out(selection.description);
        break;
      case 'notice':
        live.clear();
        err(e.message);
        break;
      case 'clip-started':
        running.set(e.index, `[${e.position}/${e.total}] ${path.basename(e.source)}`);
        showRunning();
        break;
      case 'clip-progress': {
        const p = e.progress;
        const parts = [`[${e.position}/${e.total}] ${path.basename(spec.sources[e.index])}`];
        if (p.percent !== null) parts.push(`${p.percent.toFixed(0).padStart(3)}%`);
        if (running.size <= 1 && p.fps !== null) parts.push(`${p.fps.toFixed(0)} fps`);
        if (p.speed !== null) parts.push(`${p.speed.toFixed(2)}x`);
        if (p.eta_seconds !== null) parts.push(`ETA ${formatDuration(p.eta_seconds)}`);
        running.set(e.index, parts.join('  '));
        showRunning();
        break;
      }
      case 'clip-finished':
        live.clear();
        running.delete(e.result.index);
        // One write per clip: its lines stay together even when clips finish at nearly the same time.
        if (multi && e.result.status !== 'NOT_RUN') out(clipLines(e.result, e.position, e.total).join('\n'));
        if (running.size) showRunning();
        break;
      default:
        break;
    }
  };

  let result: RunResult;
  try {
    result = await runJob(spec, {
      tools: t,
      jobspecFile: path.resolve(file),
      signal: controller.signal,
      onEvent,
      selection,
      stallTimeoutSeconds: stall,
      verify: values.verify !== false,
    });
  } catch (e) {
    live.clear();
    if (e instanceof EnvironmentError) return failure(json, e.message, e.code, EXIT.ENVIRONMENT);
    throw e;
  } finally {
    offSignals();
  }
  if (json) {
    out(JSON.stringify(result, null, 2));
  } else if (multi) {
    result.clips.forEach((c, i) => {
      if (c.status === 'NOT_RUN') out(clipLines(c, i + 1, result.clips.length).join('\n'));
    });
    // Clips finish in any order when several run at once; the summary restates them in sources order.
    if (spec.max_concurrent_jobs > 1) {
      out(
        [
          '',
          'Clips in sources order:',
          ...result.clips.map((c, i) => `  [${i + 1}/${result.clips.length}] ${c.status} ${path.basename(c.source)}`),
        ].join('\n'),
      );
    }
    multiFooter(result).forEach(out);
  } else {
    singleLines(result).forEach(out);
  }
  return result.exit_code;
}

/**
 * The Result line of a merge: a shard with no report, or one still running, is said to be so, not
 * counted as failed clips (its clips are NOT_RUN, their outcome unknown).
 */
function mergeResultLine(merged: MergeResult, line: string): string {
  const count = merged.merge.shards.length;
  const names = (list: { index: number }[]): string => list.map((s) => `${s.index}/${count}`).join(', ');
  const missing = merged.merge.shards.filter((s) => s.missing);
  const running = merged.merge.shards.filter((s) => s.running);
  const gaps = [
    missing.length
      ? `no report for shard${missing.length === 1 ? '' : 's'} ${names(missing)} (MISSING): run ${missing.length === 1 ? 'it' : 'them'} or give ${missing.length === 1 ? 'its report' : 'their reports'}`
      : '',
    running.length
      ? `shard${running.length === 1 ? '' : 's'} ${names(running)} still running: merge again when ${running.length === 1 ? 'it has' : 'they have'} ended`
      : '',
  ].filter(Boolean);
  if (gaps.length === 0) return line;
  const failed = merged.clips.some((c) => c.status === 'FAILED' || c.status === 'CANCELLED');
  return failed ? `${line}; ${gaps.join('; ')}` : `Result: Incomplete: ${gaps.join('; ')}`;
}

async function cmdMerge(files: string[], values: { json?: boolean; out?: string }): Promise<number> {
  const json = !!values.json;
  if (files.length === 0) return failure(json, 'give the shard reports to merge: jobspec report merge REPORT...', 'usage', EXIT.INVALID);
  let merged: MergeResult;
  try {
    merged = await mergeReports(files, values.out);
  } catch (e) {
    if (e instanceof MergeError) return failure(json, e.message, 'merge', EXIT.INVALID);
    throw e;
  }
  if (values.json) out(JSON.stringify(merged, null, 2));
  else {
    multiHeader(merged.job_id, merged.clips.length).forEach(out);
    for (const s of merged.merge.shards) {
      const count = merged.merge.shards.length;
      if (s.missing) out(`Shard ${s.index}/${count}: MISSING (no report given)`);
      else if (s.running) out(`Shard ${s.index}/${count}: still running`);
      else out(`Shard ${s.index}/${count}: ${s.reports.map((r) => path.basename(r)).join(' + ')}`);
    }
    out('');
    merged.clips.forEach((c, i) => clipLines(c, i + 1, merged.clips.length).forEach(out));
    multiFooter(merged)
      .map((l) => (l.startsWith('Result: ') ? mergeResultLine(merged, l) : l))
      .forEach(out);
  }
  return merged.exit_code;
}

async function cmdWatch(
  dir: string,
  values: { once?: boolean; 'max-workers'?: string; ffmpeg?: string; ffprobe?: string },
): Promise<number> {
  const t = await tools(values, false);
  if (typeof t === 'number') return t;
  const workers = values['max-workers'] ? Number(values['max-workers']) : 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > 16) {
    err(`error: --max-workers must be a whole number from 1 to 16, not "${values['max-workers']}".`);
    return EXIT.INVALID;
  }
  const controller = new AbortController();
  const offSignals = onStopSignals(() => controller.abort());
  try {
    return await watchFolder(dir, {
      tools: t,
      once: !!values.once,
      maxWorkers: workers,
      signal: controller.signal,
      onEvent: (e) => {
        const line = watchEventLine(e);
        if (line) (e.type === 'problem' ? err : out)(line);
      },
    });
  } catch (e) {
    if (e instanceof LockHeldError) return failure(false, e.message, 'watch-locked', EXIT.ENVIRONMENT);
    const code = (e as NodeJS.ErrnoException).code;
    return failure(
      false,
      `cannot watch ${dir}: ${code ?? (e as Error).message}. Check that the folder exists and can be written.`,
      'watch',
      EXIT.ENVIRONMENT,
    );
  } finally {
    offSignals();
  }
}

/** Camera files dropped under DIR get proxies per a template JobSpec (watch DIR --template FILE). */
async function cmdWatchMedia(
  dir: string,
  values: { once?: boolean; template?: string; settle?: string; ffmpeg?: string; ffprobe?: string; 'max-workers'?: string },
): Promise<number> {
  if (values['max-workers'] !== undefined) {
    err("error: --max-workers is for JobSpec watch folders; a media watch folder's template sets max_concurrent_jobs.");
    return EXIT.INVALID;
  }
  const settle = values.settle === undefined ? undefined : /^\d+(\.\d+)?$/.test(values.settle) ? Number(values.settle) : NaN;
  if (settle !== undefined && !(settle >= 0 && settle <= 3600)) {
    err(
      `error: --settle takes the seconds a clip must stay unchanged before it is taken (0 to 3600), not ${JSON.stringify(values.settle)}.`,
    );
    return EXIT.INVALID;
  }
  const t = await tools(values, false);
  if (typeof t === 'number') return t;
  const controller = new AbortController();
  const offSignals = onStopSignals(() => controller.abort());
  try {
    return await watchMedia(dir, {
      tools: t,
      template: values.template ?? '',
      once: !!values.once,
      signal: controller.signal,
      ...(settle !== undefined ? { settleMs: settle * 1000 } : {}),
      onEvent: (e) => {
        if (e.type === 'run') {
          // Each batch prints the run's own lines: its header, one block per clip, its footer.
          const ev = e.event;
          if (ev.type === 'run-started') multiHeader(ev.job_id, ev.total).forEach(out);
          else if (ev.type === 'clip-finished' && ev.result.status !== 'NOT_RUN')
            out(clipLines(ev.result, ev.position, ev.total).join('\n'));
          else if (ev.type === 'notice') err(ev.message);
          else if (ev.type === 'run-finished') multiFooter(ev.result).forEach(out);
          return;
        }
        const line = mediaWatchEventLine(e);
        if (line) (e.type === 'problem' || e.type === 'skipped' || e.type === 'refused' ? err : out)(line);
      },
    });
  } catch (e) {
    if (e instanceof TemplateError) {
      if (e.problems.length) printProblems(values.template ?? '', e.problems, err);
      else err(`error: ${e.message}`);
      return EXIT.INVALID;
    }
    if (e instanceof LockHeldError) return failure(false, e.message, 'watch-locked', EXIT.ENVIRONMENT);
    const code = (e as NodeJS.ErrnoException).code;
    return failure(false, `cannot watch ${dir}: ${code ?? (e as Error).message}.`, 'watch', EXIT.ENVIRONMENT);
  } finally {
    offSignals();
  }
}

/** An origin-format (2.1) JobSpec written in this tool's format, beside it or where --out says ("-": stdout). */
async function cmdConvert(file: string, values: { out?: string }): Promise<number> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    return failure(
      false,
      `cannot read ${path.resolve(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
      'convert',
      EXIT.INVALID,
    );
  }
  const toStdout = values.out === '-';
  const target = toStdout ? path.resolve(file) : path.resolve(values.out ?? convertedName(file));
  const converted = await convertOriginJobSpec(text, file, target);
  if (!converted.ok) {
    printProblems(file, converted.problems, err);
    return EXIT.INVALID;
  }
  for (const w of converted.warnings) err(problemLine(file, w));
  for (const d of converted.dropped) err(`${file}: left out ${d.field} (${d.why})`);
  if (toStdout) {
    write('stdout', converted.text);
    return EXIT.OK;
  }
  try {
    // Never over an existing file: a converted JobSpec someone has since edited must not be lost.
    await fs.writeFile(target, converted.text, { flag: 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return failure(
      false,
      code === 'EEXIST'
        ? `${target} already exists; it was left as it is. Move it away, or give another name with --out FILE (--out - prints to standard output).`
        : `cannot write ${target}: ${code ?? (e as Error).message}.`,
      'convert',
      EXIT.INVALID,
    );
  }
  out(`${file}: converted to ${target}`);
  return EXIT.OK;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        ffmpeg: { type: 'string' },
        ffprobe: { type: 'string' },
        'stall-timeout': { type: 'string' },
        'no-verify': { type: 'boolean' },
        'only-failed': { type: 'string' },
        resume: { type: 'boolean' },
        shard: { type: 'string' },
        shards: { type: 'string' },
        out: { type: 'string' },
        once: { type: 'boolean' },
        'max-workers': { type: 'string' },
        template: { type: 'string' },
        settle: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    err(`error: ${(e as Error).message}\n\n${USAGE}`);
    return EXIT.INVALID;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    out(pkg.version);
    return EXIT.OK;
  }
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    (values.help ? out : err)(USAGE);
    return values.help ? EXIT.OK : EXIT.INVALID;
  }
  const v = { ...values, verify: !values['no-verify'] };
  switch (command) {
    case 'validate':
    case 'execute':
    case 'dry-run': {
      if (rest.length !== 1) {
        err(`error: ${command} takes exactly one JobSpec file.\n\n${USAGE}`);
        return EXIT.INVALID;
      }
      if (command === 'validate') return cmdValidate(rest[0], !!values.json);
      if (command === 'dry-run') return cmdDryRun(rest[0], v);
      return cmdExecute(rest[0], v);
    }
    case 'report':
      if (rest[0] !== 'merge') {
        err(`error: unknown report command "${rest[0] ?? ''}"; use: jobspec report merge REPORT...`);
        return EXIT.INVALID;
      }
      return cmdMerge(rest.slice(1), values);
    case 'watch':
      if (rest.length !== 1) {
        err(`error: watch takes exactly one folder.\n\n${USAGE}`);
        return EXIT.INVALID;
      }
      if (values.template !== undefined) return cmdWatchMedia(rest[0], values);
      if (values.settle !== undefined) {
        err('error: --settle is for media watch folders (watch DIR --template FILE).');
        return EXIT.INVALID;
      }
      return cmdWatch(rest[0], values);
    case 'convert':
      if (rest.length !== 1) {
        err(`error: convert takes exactly one JobSpec file.\n\n${USAGE}`);
        return EXIT.INVALID;
      }
      return cmdConvert(rest[0], values);
    default:
      err(`error: unknown command "${command}".\n\n${USAGE}`);
      return EXIT.INVALID;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      // A person gets what went wrong, not a stack trace; JOBSPEC_DEBUG=1 shows it for a bug report.
      const message = e instanceof Error ? e.message : String(e);
      err(`error: ${message}. This is a bug in jobspec: please report it with the command you ran (JOBSPEC_DEBUG=1 adds the details).`);
      if (process.env.JOBSPEC_DEBUG === '1' && e instanceof Error && e.stack) err(e.stack);
      process.exitCode = EXIT.ENVIRONMENT;
    },
  );
}
