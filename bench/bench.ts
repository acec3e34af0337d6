// `npm run bench [-- --quick]`: measures the built command (dist/cli.js) on media it generates itself,
// prints a table and writes bench/results.json. Linux only: CPU time and memory come from /proc.
//
// What it measures, and how:
// - overhead: the ffmpeg argument lists of a real run (taken from its report) replayed by a plain
//   bash script, against `jobspec execute` of the same JobSpec; runs alternate (A B, B A, …) and
//   the medians are compared. The JobSpec side includes everything the tool does: start-up, tool
//   check, validation, a probe and a verification probe per clip, the report.
// - concurrency: wall time and total CPU seconds (this process's reaped children, which include
//   every ffmpeg/ffprobe the command ran) for max_concurrent_jobs 1, 2 and "auto" (= cores).
//   CPU used meanwhile by processes that are not ours is reported too: on a shared machine it
//   explains a poor wall/CPU ratio.
// - validation of a 10,000-source JobSpec, CLI cold start, bundle sizes, peak memory of a run of
//   many very short clips (the command's own VmHWM, read at exit by bench/hwm.cjs).
// - ProRes: prores_ks against prores_aw on the same source, each read back (profile, tag, pixel
//   format), decoded in full with -xerror, and compared with the source by PSNR.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

const QUICK = process.argv.includes('--quick');
const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const HWM = path.join(ROOT, 'bench', 'hwm.cjs');
const MEDIA = path.join(ROOT, 'bench', 'media');
const CORES = os.availableParallelism();

const CFG = QUICK
  ? { clips: 2, seconds: 4, rounds: 2, concurrencyRounds: 1, shortClips: 200, coldRuns: 7 }
  : { clips: 4, seconds: 10, rounds: 3, concurrencyRounds: 2, shortClips: 1000, coldRuns: 11 };

// ---------------------------------------------------------------------------------------------
// Plumbing

function die(msg: string): never {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(1);
}

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

if (process.platform !== 'linux' || !fs.existsSync('/proc/self/stat')) die('needs Linux: CPU seconds and peak memory are read from /proc.');
if (!fs.existsSync(CLI)) die(`${CLI} is missing: run \`npm run build\` first (npm run bench does).`);
for (const tool of ['ffmpeg', 'ffprobe']) {
  try {
    execFileSync(tool, ['-version'], { stdio: 'ignore' });
  } catch {
    die(`${tool} is not on PATH. Install ffmpeg (e.g. apt-get install ffmpeg).`);
  }
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds of this process's reaped children (and theirs, once reaped). */
function childCpuSeconds(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of proc(5) (cutime, cstime); f[0] is field 3.
  return (Number(f[13]) + Number(f[14])) / CLK_TCK;
}

/** CPU seconds the whole machine has spent busy (all processes, all cores). */
function machineBusySeconds(): number {
  const first = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = first;
  void idle;
  void iowait;
  return (user + nice + system + irq + softirq + (steal ?? 0)) / CLK_TCK;
}

interface Timed {
  wall: number;
  cpu: number;
  /** Busy CPU seconds of the machine that were not our children's. */
  otherCpu: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const cpu0 = childCpuSeconds();
    const busy0 = machineBusySeconds();
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = childCpuSeconds() - cpu0;
      const otherCpu = Math.max(0, machineBusySeconds() - busy0 - cpu);
      resolve({ wall, cpu, otherCpu, code, stdout, stderr });
    });
  });
}

async function mustRun(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Timed> {
  const r = await timed(cmd, args, env);
  if (r.code !== 0) die(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r2 = (x: number): number => Math.round(x * 100) / 100;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

function emptyDir(dir: string): string {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function writeSpec(file: string, spec: Record<string, unknown>): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(spec, null, 2) + '\n');
  return file;
}

/** The newest report in `dir`, as the run wrote it. */
function readReport(dir: string): { clips: { status: string; ffmpeg_args: string[]; output: string }[]; ffmpeg: { path: string } } {
  const reports = fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.report.json'))
    .sort();
  if (!reports.length) die(`no report in ${dir}`);
  return JSON.parse(fs.readFileSync(path.join(dir, reports[reports.length - 1]), 'utf8'));
}

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

// ---------------------------------------------------------------------------------------------
// Media

function makeClip(file: string, o: { seconds: number; size: string; rate: number; frequency: number; timecode: string }): void {
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.part.mov`;
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${o.size}:rate=${o.rate}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${o.frequency}:sample_rate=48000`,
    '-t',
    String(o.seconds),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-g',
    String(o.rate),
    '-c:a',
    'pcm_s16le',
    '-timecode',
    o.timecode,
    '-f',
    'mov',
    tmp,
  ]);
  fs.renameSync(tmp, file);
}

function longClips(): string[] {
  const dir = path.join(MEDIA, 'sources');
  return Array.from({ length: CFG.clips }, (_, i) => {
    const file = path.join(dir, `hd1080_${CFG.seconds}s_${String(i).padStart(2, '0')}.mov`);
    makeClip(file, { seconds: CFG.seconds, size: '1920x1080', rate: 25, frequency: 440 + 110 * i, timecode: `0${1 + i}:00:00:00` });
    return file;
  });
}

function shortClips(n: number): string[] {
  const seed = path.join(MEDIA, 'short', 'seed_0.2s.mov');
  makeClip(seed, { seconds: 0.2, size: '320x240', rate: 25, frequency: 880, timecode: '01:00:00:00' });
  const dir = path.join(MEDIA, 'short', 'clips');
  fs.mkdirSync(dir, { recursive: true });
  return Array.from({ length: n }, (_, i) => {
    const file = path.join(dir, `short_${String(i).padStart(4, '0')}.mov`);
    if (!fs.existsSync(file)) fs.copyFileSync(seed, file);
    return file;
  });
}

function proxySpec(sources: string[], out: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    job_id: 'bench',
    sources,
    output_directory: out,
    codec: 'prores_proxy',
    container: 'mov',
    resolution: 'half',
    naming_template: '{source_name}_proxy',
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------------
// Sections

async function overheadAndConcurrency(sources: string[]): Promise<Record<string, unknown>> {
  const work = path.join(MEDIA, 'runs');
  const out = path.join(work, 'jobspec-out');
  const shellOut = path.join(work, 'shell-out');
  const specFile = writeSpec(path.join(work, 'overhead.jobspec.json'), proxySpec(sources, out));

  const jobspecRun = async (): Promise<Timed> => {
    emptyDir(out);
    return mustRun(process.execPath, [CLI, 'execute', specFile]);
  };

  log(`overhead: warm-up run of ${sources.length} × ${CFG.seconds}s 1080p clips (also fills the page cache)`);
  await jobspecRun();
  const report = readReport(out);
  if (report.clips.some((c) => c.status !== 'COMPLETED')) die('the warm-up run did not complete every clip');
  const lines = report.clips.map((c, i) => {
    const args = [...c.ffmpeg_args];
    args[args.length - 1] = `file:${path.join(shellOut, `clip_${String(i).padStart(2, '0')}.mov`)}`;
    return [report.ffmpeg.path, ...args].map(shq).join(' ') + ' >/dev/null 2>&1';
  });
  const script = path.join(work, 'plain-loop.sh');
  fs.writeFileSync(
    script,
    ['#!/usr/bin/env bash', "# The same ffmpeg argument lists as the run's report, as a plain loop.", 'set -e', ...lines, ''].join('\n'),
  );
  const shellRun = async (): Promise<Timed> => {
    emptyDir(shellOut);
    return mustRun('bash', [script]);
  };

  const shell: Timed[] = [];
  const jobspec: Timed[] = [];
  for (let round = 0; round < CFG.rounds; round++) {
    const order = round % 2 === 0 ? (['shell', 'jobspec'] as const) : (['jobspec', 'shell'] as const);
    for (const which of order) {
      const r = which === 'shell' ? await shellRun() : await jobspecRun();
      (which === 'shell' ? shell : jobspec).push(r);
      log(
        `overhead round ${round + 1}/${CFG.rounds}: ${which.padEnd(7)} ${r.wall.toFixed(2)}s wall, ${r.cpu.toFixed(2)} CPU-s, others ${r.otherCpu.toFixed(2)} CPU-s`,
      );
    }
  }
  const overhead = {
    clips: sources.length,
    clip_seconds: CFG.seconds,
    rounds: CFG.rounds,
    shell_wall_s: shell.map((r) => r3(r.wall)),
    jobspec_wall_s: jobspec.map((r) => r3(r.wall)),
    shell_median_s: r3(median(shell.map((r) => r.wall))),
    jobspec_median_s: r3(median(jobspec.map((r) => r.wall))),
    ratio: r3(median(jobspec.map((r) => r.wall)) / median(shell.map((r) => r.wall))),
    ratio_of_fastest: r3(Math.min(...jobspec.map((r) => r.wall)) / Math.min(...shell.map((r) => r.wall))),
    // CPU seconds do not stretch when other processes load the machine: the overhead in work done.
    shell_cpu_median_s: r2(median(shell.map((r) => r.cpu))),
    jobspec_cpu_median_s: r2(median(jobspec.map((r) => r.cpu))),
    cpu_ratio: r3(median(jobspec.map((r) => r.cpu)) / median(shell.map((r) => r.cpu))),
    other_cpu_s: r2(median([...shell, ...jobspec].map((r) => r.otherCpu))),
    goal: 1.03,
  };

  // Concurrency: N = 1 is the overhead section's JobSpec runs; then 2 and auto (= cores).
  const rows: Record<string, unknown>[] = [];
  const row = (label: string, n: number, runs: Timed[]): Record<string, unknown> => {
    const wall = median(runs.map((r) => r.wall));
    const cpu = median(runs.map((r) => r.cpu));
    return {
      setting: label,
      n,
      runs: runs.length,
      wall_s: r3(wall),
      cpu_s: r2(cpu),
      wall_over_cpu_per_core: r3(wall / (cpu / CORES)),
      other_cpu_s: r2(median(runs.map((r) => r.otherCpu))),
    };
  };
  rows.push(row('1', 1, jobspec));
  const settings: [string, number][] = [['2', 2]];
  if (CORES !== 2 && CORES !== 1) settings.push([`auto (${CORES})`, CORES]);
  for (const [label, n] of settings) {
    const dirN = path.join(work, `concurrency-${n}`);
    const f = writeSpec(path.join(work, `concurrency-${n}.jobspec.json`), proxySpec(sources, dirN, { max_concurrent_jobs: n }));
    const runs: Timed[] = [];
    for (let i = 0; i < CFG.concurrencyRounds; i++) {
      emptyDir(dirN);
      const r = await mustRun(process.execPath, [CLI, 'execute', f]);
      runs.push(r);
      log(`concurrency ${label}: ${r.wall.toFixed(2)}s wall, ${r.cpu.toFixed(2)} CPU-s, others ${r.otherCpu.toFixed(2)} CPU-s`);
    }
    rows.push(row(label, n, runs));
  }
  // On one or two cores "auto" is a setting already measured: shown again under its own name.
  const auto = rows.find((r) => r.n === CORES);
  if (auto && !settings.some(([label]) => label.startsWith('auto')))
    rows.push({ ...auto, setting: `auto (${CORES})`, same_as: auto.setting });
  const best = Math.min(...rows.map((r) => r.wall_over_cpu_per_core as number));
  return { overhead, concurrency: { cores: CORES, rows, best_ratio: best, goal: 1.1 } };
}

async function validation(): Promise<Record<string, unknown>> {
  const n = 10_000;
  const dir = path.join(MEDIA, 'many');
  const src = path.join(dir, 'src');
  fs.mkdirSync(src, { recursive: true });
  const names = Array.from({ length: n }, (_, i) => `card_${String(i).padStart(5, '0')}.mov`);
  for (const name of names) {
    const f = path.join(src, name);
    if (!fs.existsSync(f)) fs.writeFileSync(f, 'x');
  }
  fs.mkdirSync(path.join(dir, 'out'), { recursive: true });
  const big = writeSpec(
    path.join(dir, 'many.jobspec.json'),
    proxySpec(
      names.map((x) => `src/${x}`),
      'out',
      { naming_template: '{source_name}_{index}' },
    ),
  );

  // In-process: the engine's loadJobSpec, bundled as the command bundles it.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jobspec-bench-'));
  const outfile = path.join(tmp, 'jobspec.cjs');
  buildSync({
    stdin: { contents: "export { loadJobSpec } from './src/core/jobspec';", resolveDir: ROOT, loader: 'ts', sourcefile: 'bench-entry.ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    mainFields: ['module', 'main'],
    logLevel: 'warning',
    outfile,
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadJobSpec } = require(outfile) as { loadJobSpec: (f: string, o?: object) => Promise<{ ok: boolean; problems: unknown[] }> };
  const once = async (): Promise<number> => {
    const t0 = process.hrtime.bigint();
    // The options the headless command uses.
    const res = await loadJobSpec(big, { probeWritable: true, blockingFs: true });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (!res.ok) die(`the 10,000-source JobSpec did not validate: ${JSON.stringify(res.problems.slice(0, 3))}`);
    return ms;
  };
  const first = await once();
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) warm.push(await once());
  fs.rmSync(tmp, { recursive: true, force: true });

  const cli: number[] = [];
  for (let i = 0; i < 3; i++) cli.push((await mustRun(process.execPath, [CLI, 'validate', big])).wall * 1000);
  return {
    sources: n,
    in_process_first_ms: Math.round(first),
    in_process_warm_ms: Math.round(median(warm)),
    cli_wall_ms: Math.round(median(cli)),
    goal_ms: 300,
  };
}

async function coldStart(source: string): Promise<Record<string, unknown>> {
  const dir = path.join(MEDIA, 'small');
  fs.mkdirSync(path.join(dir, 'out'), { recursive: true });
  const f = writeSpec(path.join(dir, 'small.jobspec.json'), proxySpec([source], 'out'));
  const baseline: number[] = [];
  const cli: number[] = [];
  await mustRun(process.execPath, [CLI, 'validate', f]);
  for (let i = 0; i < CFG.coldRuns; i++) {
    baseline.push((await mustRun(process.execPath, ['-e', '0'])).wall * 1000);
    cli.push((await mustRun(process.execPath, [CLI, 'validate', f])).wall * 1000);
  }
  return {
    runs: CFG.coldRuns,
    validate_median_ms: Math.round(median(cli)),
    validate_min_ms: Math.round(Math.min(...cli)),
    bare_node_median_ms: Math.round(median(baseline)),
    goal_ms: 150,
  };
}

function bundles(): Record<string, unknown> {
  const kb = (f: string): number => Math.round(fs.statSync(path.join(ROOT, 'dist', f)).size / 1024);
  // The same bundles minified, built in memory (dist/ is left as npm run build made it).
  const min = (entry: string, external: string[]): number => {
    const r = buildSync({
      entryPoints: [path.join(ROOT, entry)],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      legalComments: 'none',
      mainFields: ['module', 'main'],
      external,
      write: false,
      logLevel: 'silent',
    });
    return Math.round(r.outputFiles[0].contents.length / 1024);
  };
  return {
    cli_kb: kb('cli.js'),
    extension_kb: kb('extension.js'),
    cli_minified_kb: min('src/cli.ts', []),
    extension_minified_kb: min('src/extension/extension.ts', ['vscode']),
    goal_extension_kb: 400,
  };
}

async function manyShortClips(): Promise<Record<string, unknown>> {
  const sources = shortClips(CFG.shortClips);
  const dir = path.join(MEDIA, 'short');
  const out = emptyDir(path.join(dir, 'out'));
  const f = writeSpec(path.join(dir, 'short.jobspec.json'), proxySpec(sources, out, { max_concurrent_jobs: Math.min(16, CORES) }));
  const hwmFile = path.join(dir, 'hwm.json');
  fs.rmSync(hwmFile, { force: true });
  log(`memory: ${sources.length} clips of 0.2 s, max_concurrent_jobs ${Math.min(16, CORES)}`);
  // The node flags of the command's shebang, as when it runs as `jobspec`.
  const shebangFlags = (/^#!.*\bnode\b(.*)$/m.exec(fs.readFileSync(CLI, 'utf8').slice(0, 200))?.[1] ?? '')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const r = await mustRun(process.execPath, [...shebangFlags, '--require', HWM, CLI, 'execute', f], {
    ...process.env,
    JOBSPEC_BENCH_HWM: hwmFile,
  });
  const mem = JSON.parse(fs.readFileSync(hwmFile, 'utf8')) as { vm_hwm_kb: number | null; max_rss_kb: number };
  const lines = r.stdout.split('\n');
  const completed = lines.filter((l) => /^\[\d+\/\d+\] COMPLETED /.test(l)).length;
  if (completed !== sources.length) die(`expected ${sources.length} COMPLETED lines, got ${completed}`);
  return {
    clips: sources.length,
    max_concurrent_jobs: Math.min(16, CORES),
    wall_s: r3(r.wall),
    per_clip_ms: Math.round((r.wall / sources.length) * 1000),
    cpu_s: r2(r.cpu),
    peak_rss_mb: Math.round(((mem.vm_hwm_kb ?? mem.max_rss_kb) / 1024) * 10) / 10,
    stdout_lines: lines.length,
    goal_mb: 100,
  };
}

async function prores(source: string): Promise<Record<string, unknown>> {
  const dir = path.join(MEDIA, 'prores');
  const rows: Record<string, unknown>[] = [];
  for (const enc of ['prores_ks', 'prores_aw']) {
    const out = emptyDir(path.join(dir, enc));
    const f = writeSpec(path.join(dir, `${enc}.jobspec.json`), proxySpec([source], out, { prores_encoder: enc, job_id: enc }));
    const r = await mustRun(process.execPath, [CLI, 'execute', f]);
    const report = readReport(out);
    const file = report.clips[0].output;
    const probe = JSON.parse(
      execFileSync(
        'ffprobe',
        [
          '-v',
          'error',
          '-select_streams',
          'v:0',
          '-show_entries',
          'stream=codec_name,profile,codec_tag_string,pix_fmt,width,height:stream_tags=vendor_id',
          '-of',
          'json',
          file,
        ],
        { encoding: 'utf8' },
      ),
    ).streams[0];
    const dec = await timed('ffmpeg', ['-hide_banner', '-v', 'error', '-xerror', '-i', file, '-map', '0:v', '-f', 'null', '-']);
    const ref = `[1:v]scale=${probe.width}:${probe.height}:flags=bicubic,format=yuv422p10le[ref];[0:v]format=yuv422p10le[p];[p][ref]psnr`;
    const q = await timed('ffmpeg', ['-hide_banner', '-nostats', '-i', file, '-i', source, '-filter_complex', ref, '-f', 'null', '-']);
    const psnr = /PSNR .*average:([\d.]+|inf)/.exec(q.stderr)?.[1] ?? null;
    const size = fs.statSync(file).size;
    rows.push({
      encoder: enc,
      wall_s: r3(r.wall),
      cpu_s: r2(r.cpu),
      size_mb: r2(size / 1e6),
      mbps: r2((size * 8) / 1e6 / CFG.seconds),
      profile: probe.profile,
      codec_tag: probe.codec_tag_string,
      pix_fmt: probe.pix_fmt,
      vendor: probe.tags?.vendor_id ?? null,
      decodes_cleanly: dec.code === 0 && dec.stderr.trim() === '',
      decode_errors: dec.stderr.trim().split('\n').filter(Boolean).slice(0, 3),
      psnr_db: psnr === null ? null : psnr === 'inf' ? Infinity : r2(Number(psnr)),
    });
    log(
      `prores: ${enc} ${r.wall.toFixed(2)}s, ${(size / 1e6).toFixed(1)} MB, profile ${probe.profile}, decodes ${dec.code === 0 && !dec.stderr.trim() ? 'cleanly' : 'WITH ERRORS'}, PSNR ${psnr}`,
    );
  }
  return { source: path.basename(source), rows };
}

// ---------------------------------------------------------------------------------------------
// Report

function machine(): Record<string, unknown> {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  const ffmpeg = /ffmpeg version (\S+)/.exec(execFileSync('ffmpeg', ['-version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  return {
    cpu: model,
    cores: CORES,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    ffmpeg,
    load_average_at_start: os.loadavg().map(r2),
  };
}

type Res = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function table(res: Res): string {
  const ok = (b: boolean): string => (b ? 'met' : 'missed');
  const o = res.overhead;
  const c = res.concurrency;
  const v = res.validation;
  const s = res.cold_start;
  const b = res.bundles;
  const m = res.memory;
  const rows: string[][] = [
    [
      'Overhead vs plain shell loop, wall',
      `${o.ratio.toFixed(3)}× (jobspec ${o.jobspec_median_s.toFixed(2)} s vs shell ${o.shell_median_s.toFixed(2)} s, median of ${o.rounds} alternated runs; ${o.clips} × ${o.clip_seconds} s 1080p → ProRes Proxy half; other processes used ${o.other_cpu_s.toFixed(1)} CPU-s per run meanwhile)`,
      '≤ 1.03',
      ok(o.ratio <= 1.03),
    ],
    [
      'Overhead vs plain shell loop, CPU',
      `${o.cpu_ratio.toFixed(3)}× (${o.jobspec_cpu_median_s.toFixed(2)} vs ${o.shell_cpu_median_s.toFixed(2)} CPU-s: start-up, tool check, a probe and a verification probe per clip)`,
      '(≤ 1.03)',
      ok(o.cpu_ratio <= 1.03),
    ],
    ...c.rows.map((r: Res) => [
      `Concurrency ${r.setting}`,
      `${r.wall_s.toFixed(2)} s wall, ${r.cpu_s.toFixed(2)} CPU-s, wall ÷ (CPU-s ÷ ${c.cores} cores) = ${r.wall_over_cpu_per_core.toFixed(3)}${r.other_cpu_s > 0.5 ? ` (other processes used ${r.other_cpu_s.toFixed(1)} CPU-s meanwhile)` : ''}${r.same_as ? ` (same as N=${r.same_as})` : ''}`,
      '≤ 1.10 at best',
      r.wall_over_cpu_per_core === c.best_ratio ? ok(c.best_ratio <= 1.1) : '',
    ]),
    [
      'Validate 10,000 sources (files exist)',
      `${v.in_process_first_ms} ms in-process first call (${v.in_process_warm_ms} ms warm); ${v.cli_wall_ms} ms as \`jobspec validate\` incl. start-up`,
      '< 300 ms',
      ok(v.in_process_first_ms < 300),
    ],
    [
      'CLI cold start, validate small file',
      `${s.validate_median_ms} ms median (min ${s.validate_min_ms}; bare \`node -e 0\` ${s.bare_node_median_ms} ms)`,
      '< 150 ms',
      ok(s.validate_median_ms < 150),
    ],
    [
      'Bundle sizes (dist/)',
      `extension.js ${b.extension_kb} KB, cli.js ${b.cli_kb} KB (minified: ${b.extension_minified_kb} KB / ${b.cli_minified_kb} KB)`,
      'extension < 400 KB',
      ok(b.extension_kb < 400),
    ],
    [
      `Peak memory, ${m.clips} very short clips`,
      `${m.peak_rss_mb} MB (node's VmHWM; ${m.wall_s.toFixed(1)} s, ${m.per_clip_ms} ms/clip at N=${m.max_concurrent_jobs})`,
      '< 100 MB',
      ok(m.peak_rss_mb < 100),
    ],
    ...res.prores.rows.map((p: Res) => [
      `ProRes Proxy via ${p.encoder}`,
      `${p.wall_s.toFixed(2)} s wall, ${p.cpu_s.toFixed(2)} CPU-s, ${p.mbps} Mb/s, PSNR ${p.psnr_db} dB; reads back as ${p.profile} (${p.codec_tag}, ${p.pix_fmt}), ${p.decodes_cleanly ? 'decodes cleanly' : 'DECODE ERRORS'}`,
      '',
      '',
    ]),
  ];
  const head = ['measure', 'result', 'goal', 'goal met?'];
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

async function main(): Promise<void> {
  const t0 = Date.now();
  fs.mkdirSync(MEDIA, { recursive: true });
  const res: Res = { quick: QUICK, machine: machine(), started_at: new Date().toISOString() };
  log(
    `${QUICK ? 'quick' : 'full'} run on ${res.machine.cores} cores (${res.machine.cpu}); load average ${res.machine.load_average_at_start.join(' ')}`,
  );
  log('generating media in bench/media/ (kept for later runs)');
  const sources = longClips();
  res.bundles = bundles();
  res.cold_start = await coldStart(sources[0]);
  log(`cold start: ${res.cold_start.validate_median_ms} ms`);
  res.validation = await validation();
  log(`validation: ${JSON.stringify(res.validation)}`);
  Object.assign(res, await overheadAndConcurrency(sources));
  res.memory = await manyShortClips();
  log(`memory: ${JSON.stringify(res.memory)}`);
  res.prores = await prores(sources[0]);
  res.machine.load_average_at_end = os.loadavg().map(r2);
  res.bench_seconds = Math.round((Date.now() - t0) / 1000);
  res.table_markdown = table(res);
  fs.writeFileSync(path.join(ROOT, 'bench', 'results.json'), JSON.stringify(res, null, 2) + '\n');
  const m = res.machine;
  process.stdout.write(
    `\nMachine: ${m.cpu}, ${m.cores} cores, ${m.memory_gb} GB, ${m.os}, node ${m.node}, ffmpeg ${m.ffmpeg}\n\n${res.table_markdown}\n\nbench: ${res.bench_seconds}s; results in bench/results.json\n`,
  );
}

main().catch((e: unknown) => die(e instanceof Error ? (e.stack ?? e.message) : String(e)));
