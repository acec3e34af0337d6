// `npm run bench [-- --quick]`: measures the built command (dist/cli.js) on media it generates itself,
// prints a table with the machine it ran on and writes bench/results.json. Linux only: CPU time and
// memory come from /proc. Every comparison is a ratio of two things measured side by side in one run,
// alternated, never an absolute time against a fixed bar.
//
// - overhead: a real run's ffmpeg argument lists (taken from its report) replayed by a plain bash loop,
//   against `jobspec execute` of the same JobSpec, on 1 s and on 3 s clips, alternated (A B, B A, …);
//   medians compared, wall and CPU. CPU is this process's reaped children (every ffmpeg/ffprobe).
// - codecs: per codec, the runner's argument list against decoding alone (the floor for any encoder)
//   on sources shaped like camera originals (1080p and UHD: 8-bit 4:2:0 H.264, 10-bit 4:2:2 H.264
//   written by the x264 command, ProRes 422 HQ); for ProRes also the encoder's default rate control
//   and prores_aw; each proxy's data rate, and its PSNR and SSIM against the source at proxy size.
// - concurrency: max_concurrent_jobs 1 and cores, wall against CPU-seconds ÷ cores; one clip alone at
//   N = cores with the thread budget the runner now gives it, against the old 1/N budget.
// - memory of a 1,000-clip run (the command's own VmHWM), validation of 10,000 and 100,000 sources,
//   cold start, bundle sizes.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import type * as CoreIndex from '../src/core';

const QUICK = process.argv.includes('--quick');
const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const HWM = path.join(ROOT, 'bench', 'hwm.cjs');
const MEDIA = path.join(ROOT, 'bench', 'media');
const CORES = os.availableParallelism();

const CFG = QUICK
  ? { rounds: 2, shortClips: 200, coldRuns: 7, codecSeconds: 1, uhd: false, oneSecondClips: 4, threeSecondClips: 2, bigValidation: 20_000 }
  : {
      rounds: 5,
      shortClips: 1000,
      coldRuns: 11,
      codecSeconds: 2,
      uhd: true,
      oneSecondClips: 6,
      threeSecondClips: 4,
      bigValidation: 100_000,
    };

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
for (const tool of ['ffmpeg', 'ffprobe', 'x264']) {
  try {
    execFileSync(tool, [tool === 'x264' ? '--version' : '-version'], { stdio: 'ignore' });
  } catch {
    die(`${tool} is not on PATH. Install it (Debian: apt-get install ffmpeg x264).`);
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
  const v = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = v;
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

interface ReportShape {
  clips: { status: string; ffmpeg_args: string[]; output: string }[];
  ffmpeg: { path: string };
}

/** The newest report in `dir`, as the run wrote it. */
function readReport(dir: string): ReportShape {
  const reports = fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.report.json'))
    .sort();
  if (!reports.length) die(`no report in ${dir}`);
  return JSON.parse(fs.readFileSync(path.join(dir, reports[reports.length - 1]), 'utf8')) as ReportShape;
}

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The engine, bundled as the command bundles it (for the argument builder and in-process validation). */
function loadCore(): typeof CoreIndex {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jobspec-bench-'));
  const outfile = path.join(tmp, 'core.cjs');
  buildSync({
    stdin: { contents: "export * from './src/core/index';", resolveDir: ROOT, loader: 'ts', sourcefile: 'bench-entry.ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    mainFields: ['module', 'main'],
    logLevel: 'warning',
    outfile,
  });
  process.once('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(outfile) as typeof CoreIndex;
}
const core = loadCore();

// ---------------------------------------------------------------------------------------------
// Media: detailed, grainy footage (a Mandelbrot zoom with temporal noise), so that encoders work
// as on camera originals rather than on flat test patterns.

const PICTURE = (size: string, rate: number): string =>
  `mandelbrot=s=${size}:rate=${rate}:start_scale=0.5:end_scale=0.02,noise=alls=10:allf=t+u`;

/** How the camera-like 8-bit 4:2:0 H.264 sources are encoded. */
const H264_8BIT_420 = ['-c:v', 'libx264', '-preset', 'fast', '-crf', '18', '-pix_fmt', 'yuv420p'];

function ff(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

function once(file: string, make: (tmp: string) => void): string {
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.part${path.extname(file)}`;
  make(tmp);
  fs.renameSync(tmp, file);
  return file;
}

/** A 1080p25 H.264 camera-like clip with PCM audio and a timecode. */
function h264Clip(file: string, seconds: number, tc: string): string {
  return once(file, (tmp) =>
    ff([
      '-f',
      'lavfi',
      '-i',
      PICTURE('1920x1080', 25),
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-t',
      String(seconds),
      ...H264_8BIT_420,
      '-g',
      '25',
      '-c:a',
      'pcm_s16le',
      '-timecode',
      tc,
      '-f',
      'mov',
      tmp,
    ]),
  );
}

type SourceKind = 'h264-8bit-420' | 'h264-10bit-422' | 'prores-hq';

/** A codec-test source of one kind and size; 10-bit 4:2:2 H.264 comes from the x264 command (see the issue's note). */
function codecSource(kind: SourceKind, size: '1920x1080' | '3840x2160'): string {
  const label = size === '1920x1080' ? '1080p' : 'uhd';
  const seconds = CFG.codecSeconds;
  const dir = path.join(MEDIA, 'codec-sources');
  switch (kind) {
    case 'h264-8bit-420':
      return once(path.join(dir, `${label}_${kind}_${seconds}s.mov`), (tmp) =>
        ff(['-f', 'lavfi', '-i', PICTURE(size, 25), '-t', String(seconds), ...H264_8BIT_420, '-f', 'mov', tmp]),
      );
    case 'prores-hq':
      return once(path.join(dir, `${label}_${kind}_${seconds}s.mov`), (tmp) =>
        ff([
          '-f',
          'lavfi',
          '-i',
          PICTURE(size, 25),
          '-t',
          String(seconds),
          '-c:v',
          'prores_ks',
          '-profile:v',
          '3',
          '-pix_fmt',
          'yuv422p10le',
          '-f',
          'mov',
          tmp,
        ]),
      );
    case 'h264-10bit-422':
      return once(path.join(dir, `${label}_${kind}_${seconds}s.mkv`), (tmp) => {
        const y4m = execFileSync(
          'ffmpeg',
          [
            '-hide_banner',
            '-loglevel',
            'error',
            '-f',
            'lavfi',
            '-i',
            PICTURE(size, 25),
            '-t',
            String(seconds),
            '-pix_fmt',
            'yuv422p10le',
            '-f',
            'yuv4mpegpipe',
            '-strict',
            '-1',
            '-',
          ],
          { maxBuffer: 4 * 1024 * 1024 * 1024 },
        );
        execFileSync(
          'x264',
          [
            '--quiet',
            '--demuxer',
            'y4m',
            '--output-depth',
            '10',
            '--output-csp',
            'i422',
            '--profile',
            'high422',
            '--crf',
            '18',
            '--preset',
            'fast',
            '-o',
            tmp,
            '-',
          ],
          {
            input: y4m,
            stdio: ['pipe', 'ignore', 'ignore'],
          },
        );
      });
  }
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
// Overhead: the command against a plain loop of the same ffmpeg argument lists

interface OverheadResult {
  clip_seconds: number;
  clips: number;
  rounds: number;
  shell_wall_median_s: number;
  jobspec_wall_median_s: number;
  wall_ratio: number;
  shell_cpu_median_s: number;
  jobspec_cpu_median_s: number;
  cpu_ratio: number;
  /** What the command spends beside ffmpeg: per run and per clip, in CPU-seconds. */
  extra_cpu_per_clip_s: number;
  other_cpu_s: number;
  goal_cpu: number;
}

async function overhead(seconds: number, count: number, goal: number): Promise<OverheadResult> {
  const work = path.join(MEDIA, `overhead-${seconds}s`);
  const sources = Array.from({ length: count }, (_, i) =>
    h264Clip(path.join(MEDIA, 'sources', `hd1080_${seconds}s_${String(i).padStart(2, '0')}.mov`), seconds, `0${1 + (i % 9)}:00:00:00`),
  );
  const out = path.join(work, 'jobspec-out');
  const shellOut = path.join(work, 'shell-out');
  const specFile = writeSpec(path.join(work, 'overhead.jobspec.json'), proxySpec(sources, out));
  // As a user runs it: the command's own cache of the tool check is warm after the first run.
  const env = { ...process.env, JOBSPEC_CACHE_DIR: path.join(work, 'cache') };
  const jobspecRun = async (): Promise<Timed> => {
    emptyDir(out);
    return mustRun(process.execPath, [CLI, 'execute', specFile], env);
  };
  log(`overhead ${seconds}s: warm-up run of ${count} clips (also fills the page cache and the tool cache)`);
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
        `overhead ${seconds}s round ${round + 1}/${CFG.rounds}: ${which.padEnd(7)} ${r.wall.toFixed(2)}s wall, ${r.cpu.toFixed(2)} CPU-s, others ${r.otherCpu.toFixed(2)} CPU-s`,
      );
    }
  }
  const sw = median(shell.map((r) => r.wall));
  const jw = median(jobspec.map((r) => r.wall));
  const sc = median(shell.map((r) => r.cpu));
  const jc = median(jobspec.map((r) => r.cpu));
  return {
    clip_seconds: seconds,
    clips: count,
    rounds: CFG.rounds,
    shell_wall_median_s: r3(sw),
    jobspec_wall_median_s: r3(jw),
    wall_ratio: r3(jw / sw),
    shell_cpu_median_s: r2(sc),
    jobspec_cpu_median_s: r2(jc),
    cpu_ratio: r3(jc / sc),
    extra_cpu_per_clip_s: r3((jc - sc) / count),
    other_cpu_s: r2(median([...shell, ...jobspec].map((r) => r.otherCpu))),
    goal_cpu: goal,
  };
}

// ---------------------------------------------------------------------------------------------
// Codecs: each proxy path against decoding alone, and its picture against the source

interface CodecRow {
  source: string;
  path: string;
  cpu_s: number;
  wall_s: number;
  /** CPU of the whole encode run ÷ CPU of decoding the source alone. */
  vs_decode: number;
  mbps: number;
  psnr_db: number | null;
  ssim: number | null;
  profile: string;
  pix_fmt: string;
}

interface Probed {
  streams: { codec_type: string; profile?: string; pix_fmt?: string; width?: number; height?: number; bit_rate?: string }[];
  format: { duration?: string; size?: string };
}

function probe(file: string): Probed {
  return JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', file], { encoding: 'utf8' }),
  ) as Probed;
}

/** PSNR and SSIM of a proxy against its source scaled to the proxy's size the same way. */
async function quality(
  proxy: string,
  source: string,
  width: number,
  height: number,
  pixFmt: string,
): Promise<{ psnr: number | null; ssim: number | null }> {
  const graph = `[1:v]scale=${width}:${height}:flags=bicubic,format=${pixFmt},split[r1][r2];[0:v]format=${pixFmt},split[p1][p2];[p1][r1]psnr;[p2][r2]ssim`;
  const r = await timed('ffmpeg', ['-hide_banner', '-nostats', '-i', proxy, '-i', source, '-filter_complex', graph, '-f', 'null', '-']);
  const psnr = /PSNR .*average:([\d.]+|inf)/.exec(r.stderr)?.[1];
  const ssim = /SSIM .*All:([\d.]+)/.exec(r.stderr)?.[1];
  return {
    psnr: psnr === undefined ? null : psnr === 'inf' ? Infinity : r2(Number(psnr)),
    ssim: ssim === undefined ? null : Math.round(Number(ssim) * 10000) / 10000,
  };
}

/** The runner's exact argument list for one clip (as a run builds it), to a given target path. */
async function runnerArgs(source: string, fields: Record<string, unknown>, target: string): Promise<string[]> {
  const dir = path.join(MEDIA, 'codec-specs');
  fs.mkdirSync(path.join(dir, 'out'), { recursive: true });
  const file = writeSpec(path.join(dir, 'c.jobspec.json'), proxySpec([source], 'out', fields));
  const loaded = await core.loadJobSpec(file);
  if (!loaded.ok) die(`codec spec: ${JSON.stringify(loaded.problems)}`);
  const tools = await core.findTools();
  const info = await core.probeSource(tools, source);
  const built = core.buildFfmpegArgs(loaded.spec, source, info, target, { encoders: tools.encoders });
  if ('error' in built) die(`codec args: ${built.error}`);
  return built.args;
}

async function codecs(): Promise<{ rows: CodecRow[]; decode: { source: string; cpu_s: number }[] }> {
  const sizes: ('1920x1080' | '3840x2160')[] = CFG.uhd ? ['1920x1080', '3840x2160'] : ['1920x1080'];
  const kinds: SourceKind[] = ['h264-8bit-420', 'h264-10bit-422', 'prores-hq'];
  // What each proxy path is: the runner's argument list for these fields, optionally changed.
  const paths: { label: string; fields: Record<string, unknown>; change?: (args: string[]) => string[] }[] = [
    { label: 'prores_proxy (prores_ks, fixed quantizer: the default)', fields: {} },
    {
      label: 'prores_proxy (prores_ks, its own rate control: before)',
      fields: {},
      change: (a) => a.filter((x, i) => !(x === '-q:v' || a[i - 1] === '-q:v')),
    },
    { label: 'prores_proxy (prores_aw)', fields: { prores_encoder: 'prores_aw' } },
    { label: 'prores_lt (prores_ks, fixed quantizer)', fields: { codec: 'prores_lt' } },
    { label: 'dnxhr_lb (mov)', fields: { codec: 'dnxhr_lb' } },
    { label: 'h264 (mp4)', fields: { codec: 'h264', container: 'mp4' } },
  ];
  const rows: CodecRow[] = [];
  const decode: { source: string; cpu_s: number }[] = [];
  const scratch = emptyDir(path.join(MEDIA, 'codec-out'));
  for (const size of sizes) {
    for (const kind of kinds) {
      const source = codecSource(kind, size);
      const name = path.basename(source);
      const dec = await mustRun('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', source, '-map', '0:v:0', '-f', 'null', '-']);
      decode.push({ source: name, cpu_s: r2(dec.cpu) });
      log(`codecs: ${name}: decoding alone ${dec.cpu.toFixed(2)} CPU-s`);
      for (const p of paths) {
        const container = (p.fields.container as string | undefined) ?? 'mov';
        const target = path.join(scratch, `proxy.${container}`);
        fs.rmSync(target, { force: true });
        let args = await runnerArgs(source, p.fields, target);
        if (p.change) args = p.change(args);
        const r = await mustRun(
          'ffmpeg',
          args.filter((a) => a !== '-progress' && a !== 'pipe:1'),
        );
        const pr = probe(target);
        const v = pr.streams.find((s) => s.codec_type === 'video');
        const bits = Number(fs.statSync(target).size) * 8;
        const q = await quality(target, source, v?.width ?? 0, v?.height ?? 0, v?.pix_fmt ?? 'yuv420p');
        const row: CodecRow = {
          source: name,
          path: p.label,
          cpu_s: r2(r.cpu),
          wall_s: r2(r.wall),
          vs_decode: r2(r.cpu / dec.cpu),
          mbps: r2(bits / 1e6 / Number(pr.format.duration ?? CFG.codecSeconds)),
          psnr_db: q.psnr,
          ssim: q.ssim,
          profile: v?.profile ?? '',
          pix_fmt: v?.pix_fmt ?? '',
        };
        rows.push(row);
        log(
          `codecs: ${name}: ${p.label}: ${row.cpu_s} CPU-s (${row.vs_decode}x decoding), ${row.mbps} Mb/s, PSNR ${row.psnr_db} dB, SSIM ${row.ssim}`,
        );
      }
    }
  }
  return { rows, decode };
}

// ---------------------------------------------------------------------------------------------
// Concurrency

interface ConcurrencyRow {
  setting: string;
  wall_s: number;
  cpu_s: number;
  /** wall ÷ (CPU-seconds ÷ cores): 1 means every core busy the whole time. */
  wall_over_cpu_per_core: number;
  other_cpu_s: number;
}

async function concurrency(): Promise<{
  rows: ConcurrencyRow[];
  alone: { all_cores_wall_s: number; one_thread_wall_s: number; all_cores_cpu_s: number; one_thread_cpu_s: number };
}> {
  const sources = Array.from({ length: CFG.threeSecondClips * 2 }, (_, i) =>
    h264Clip(path.join(MEDIA, 'sources', `hd1080_3s_${String(i).padStart(2, '0')}.mov`), 3, `0${1 + (i % 9)}:00:00:00`),
  );
  const rows: ConcurrencyRow[] = [];
  for (const n of [...new Set([1, CORES])]) {
    const dir = path.join(MEDIA, `concurrency-${n}`);
    const f = writeSpec(path.join(dir, 'c.jobspec.json'), proxySpec(sources, path.join(dir, 'out'), { max_concurrent_jobs: n }));
    const runs: Timed[] = [];
    for (let i = 0; i < Math.max(1, CFG.rounds - 2); i++) {
      emptyDir(path.join(dir, 'out'));
      runs.push(await mustRun(process.execPath, [CLI, 'execute', f]));
    }
    const wall = median(runs.map((r) => r.wall));
    const cpu = median(runs.map((r) => r.cpu));
    rows.push({
      setting: `max_concurrent_jobs ${n}`,
      wall_s: r3(wall),
      cpu_s: r2(cpu),
      wall_over_cpu_per_core: r3(wall / (cpu / CORES)),
      other_cpu_s: r2(median(runs.map((r) => r.otherCpu))),
    });
    log(`concurrency ${n}: ${wall.toFixed(2)}s wall, ${cpu.toFixed(2)} CPU-s`);
  }
  // One clip alone at N = cores: the budget it gets now (every core) against the old 1/N.
  const long = h264Clip(path.join(MEDIA, 'sources', 'hd1080_10s_alone.mov'), QUICK ? 4 : 10, '10:00:00:00');
  const target = path.join(MEDIA, 'alone.mov');
  const args = (await runnerArgs(long, { max_concurrent_jobs: CORES }, target)).filter((a) => a !== '-progress' && a !== 'pipe:1');
  const budget = String(Math.max(1, Math.floor(CORES / CORES)));
  const oneThread = [
    ...args.slice(0, args.indexOf('-i')),
    '-filter_threads',
    budget,
    '-threads',
    budget,
    ...args.slice(args.indexOf('-i')),
  ];
  oneThread.splice(oneThread.indexOf('-c:v') + 2, 0, '-threads', budget);
  fs.rmSync(target, { force: true });
  const all = await mustRun('ffmpeg', args);
  fs.rmSync(target, { force: true });
  const one = await mustRun('ffmpeg', oneThread);
  fs.rmSync(target, { force: true });
  return {
    rows,
    alone: { all_cores_wall_s: r2(all.wall), one_thread_wall_s: r2(one.wall), all_cores_cpu_s: r2(all.cpu), one_thread_cpu_s: r2(one.cpu) },
  };
}

// ---------------------------------------------------------------------------------------------
// Memory, validation, cold start, bundles

async function manyShortClips(): Promise<{
  clips: number;
  max_concurrent_jobs: number;
  wall_s: number;
  per_clip_ms: number;
  peak_rss_mb: number;
  goal_mb: number;
}> {
  const seed = once(path.join(MEDIA, 'short', 'seed_0.2s.mov'), (tmp) =>
    ff([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=25',
      '-t',
      '0.2',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-timecode',
      '01:00:00:00',
      '-f',
      'mov',
      tmp,
    ]),
  );
  const dir = path.join(MEDIA, 'short', 'clips');
  fs.mkdirSync(dir, { recursive: true });
  const sources = Array.from({ length: CFG.shortClips }, (_, i) => {
    const file = path.join(dir, `short_${String(i).padStart(4, '0')}.mov`);
    if (!fs.existsSync(file)) fs.copyFileSync(seed, file);
    return file;
  });
  const out = emptyDir(path.join(MEDIA, 'short', 'out'));
  const n = Math.min(16, CORES);
  const f = writeSpec(path.join(MEDIA, 'short', 'short.jobspec.json'), proxySpec(sources, out, { max_concurrent_jobs: n }));
  const hwmFile = path.join(MEDIA, 'short', 'hwm.json');
  fs.rmSync(hwmFile, { force: true });
  log(`memory: ${sources.length} clips of 0.2 s, max_concurrent_jobs ${n}`);
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
  const completed = r.stdout.split('\n').filter((l) => /^\[\d+\/\d+\] COMPLETED /.test(l)).length;
  if (completed !== sources.length) die(`expected ${sources.length} COMPLETED lines, got ${completed}`);
  return {
    clips: sources.length,
    max_concurrent_jobs: n,
    wall_s: r3(r.wall),
    per_clip_ms: Math.round((r.wall / sources.length) * 1000),
    peak_rss_mb: Math.round(((mem.vm_hwm_kb ?? mem.max_rss_kb) / 1024) * 10) / 10,
    goal_mb: 100,
  };
}

async function validation(
  n: number,
  goalMs: number,
): Promise<{ sources: number; in_process_first_ms: number; in_process_warm_ms: number; cli_wall_ms: number; goal_ms: number }> {
  const dir = path.join(MEDIA, `many-${n}`);
  const src = path.join(dir, 'src');
  fs.mkdirSync(src, { recursive: true });
  const names = Array.from({ length: n }, (_, i) => `card_${String(i).padStart(6, '0')}.mov`);
  for (const name of names) {
    const f = path.join(src, name);
    if (!fs.existsSync(f)) fs.writeFileSync(f, name);
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
  // In a fresh node process each, as the command meets it: the first call is the one that counts.
  const script = `const c = require(${JSON.stringify(path.join(MEDIA, 'validate-core.cjs'))});
    (async () => { const t0 = process.hrtime.bigint(); const r = await c.loadJobSpec(${JSON.stringify(big)}, { probeWritable: true, blockingFs: true });
    const first = Number(process.hrtime.bigint() - t0) / 1e6; if (!r.ok) { console.error(JSON.stringify(r.problems.slice(0, 3))); process.exit(1); }
    const warm = []; for (let i = 0; i < 3; i++) { const t = process.hrtime.bigint(); await c.loadJobSpec(${JSON.stringify(big)}, { probeWritable: true, blockingFs: true }); warm.push(Number(process.hrtime.bigint() - t) / 1e6); }
    warm.sort((a, b) => a - b); console.log(JSON.stringify({ first, warm: warm[1] })); })();`;
  buildSync({
    stdin: {
      contents: "export { loadJobSpec } from './src/core/jobspec';",
      resolveDir: ROOT,
      loader: 'ts',
      sourcefile: 'validate-entry.ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    mainFields: ['module', 'main'],
    logLevel: 'warning',
    outfile: path.join(MEDIA, 'validate-core.cjs'),
  });
  const inProcess: { first: number; warm: number }[] = [];
  for (let i = 0; i < 3; i++)
    inProcess.push(JSON.parse((await mustRun(process.execPath, ['-e', script])).stdout) as { first: number; warm: number });
  const cli: number[] = [];
  for (let i = 0; i < 3; i++) cli.push((await mustRun(process.execPath, [CLI, 'validate', big])).wall * 1000);
  return {
    sources: n,
    in_process_first_ms: Math.round(median(inProcess.map((x) => x.first))),
    in_process_warm_ms: Math.round(median(inProcess.map((x) => x.warm))),
    cli_wall_ms: Math.round(median(cli)),
    goal_ms: goalMs,
  };
}

async function coldStart(): Promise<{ validate_median_ms: number; validate_min_ms: number; bare_node_median_ms: number; goal_ms: number }> {
  const dir = path.join(MEDIA, 'small');
  const source = h264Clip(path.join(MEDIA, 'sources', 'hd1080_1s_00.mov'), 1, '01:00:00:00');
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
    validate_median_ms: Math.round(median(cli)),
    validate_min_ms: Math.round(Math.min(...cli)),
    bare_node_median_ms: Math.round(median(baseline)),
    goal_ms: 100,
  };
}

function bundles(): { cli_kb: number; extension_kb: number; goal_extension_kb: number } {
  const kb = (f: string): number => Math.round(fs.statSync(path.join(ROOT, 'dist', f)).size / 1024);
  return { cli_kb: kb('cli.js'), extension_kb: kb('extension.js'), goal_extension_kb: 400 };
}

// ---------------------------------------------------------------------------------------------
// Report

interface Machine {
  cpu: string;
  cores: number;
  memory_gb: number;
  os: string;
  node: string;
  ffmpeg: string;
  load_average_at_start: number[];
  load_average_at_end?: number[];
}

function machine(): Machine {
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

interface Results {
  quick: boolean;
  machine: Machine;
  started_at: string;
  overhead: OverheadResult[];
  codecs: Awaited<ReturnType<typeof codecs>>;
  concurrency: Awaited<ReturnType<typeof concurrency>>;
  memory: Awaited<ReturnType<typeof manyShortClips>>;
  validation: Awaited<ReturnType<typeof validation>>[];
  cold_start: Awaited<ReturnType<typeof coldStart>>;
  bundles: ReturnType<typeof bundles>;
  bench_seconds: number;
}

function table(res: Results): string {
  const ok = (b: boolean): string => (b ? 'met' : 'missed');
  const rows: string[][] = [];
  for (const o of res.overhead) {
    rows.push([
      `Overhead vs plain loop, ${o.clips} × ${o.clip_seconds} s 1080p → ProRes Proxy half`,
      `CPU ${o.cpu_ratio.toFixed(3)}× (${o.jobspec_cpu_median_s} vs ${o.shell_cpu_median_s} CPU-s; ${o.extra_cpu_per_clip_s} CPU-s more per clip); wall ${o.wall_ratio.toFixed(3)}× (${o.jobspec_wall_median_s} vs ${o.shell_wall_median_s} s); median of ${o.rounds} alternated`,
      `CPU ≤ ${o.goal_cpu}, wall ≤ 1`,
      `${ok(o.cpu_ratio <= o.goal_cpu)} / ${ok(o.wall_ratio <= 1.0)}`,
    ]);
  }
  const c = res.concurrency;
  for (const r of c.rows)
    rows.push([
      `Concurrency, ${r.setting}`,
      `${r.wall_s} s wall, ${r.cpu_s} CPU-s: wall ÷ (CPU-s ÷ ${CORES}) = ${r.wall_over_cpu_per_core}`,
      r.setting.endsWith(` ${CORES}`) ? '≤ 1.05' : '',
      r.setting.endsWith(` ${CORES}`) ? ok(r.wall_over_cpu_per_core <= 1.05) : '',
    ]);
  rows.push([
    `One clip alone at max_concurrent_jobs ${CORES}`,
    `${c.alone.all_cores_wall_s} s wall with every core (now) vs ${c.alone.one_thread_wall_s} s with 1/${CORES} of them (before); ${c.alone.all_cores_cpu_s} vs ${c.alone.one_thread_cpu_s} CPU-s`,
    'faster',
    ok(c.alone.all_cores_wall_s < c.alone.one_thread_wall_s),
  ]);
  const m = res.memory;
  rows.push([
    `Peak memory, ${m.clips} clips of 0.2 s`,
    `${m.peak_rss_mb} MB (the command's VmHWM; ${m.wall_s} s, ${m.per_clip_ms} ms/clip at N=${m.max_concurrent_jobs})`,
    `< ${m.goal_mb} MB`,
    ok(m.peak_rss_mb < m.goal_mb),
  ]);
  for (const v of res.validation) {
    rows.push([
      `Validate ${v.sources.toLocaleString('en')} sources`,
      `${v.in_process_first_ms} ms first call in a fresh process (${v.in_process_warm_ms} ms warm); ${v.cli_wall_ms} ms as \`jobspec validate\``,
      `< ${v.goal_ms} ms`,
      ok(v.in_process_first_ms < v.goal_ms),
    ]);
  }
  const s = res.cold_start;
  rows.push([
    'Cold start, validate a small file',
    `${s.validate_median_ms} ms median (min ${s.validate_min_ms}; \`node -e 0\` ${s.bare_node_median_ms} ms)`,
    `< ${s.goal_ms} ms`,
    ok(s.validate_median_ms < s.goal_ms),
  ]);
  const b = res.bundles;
  rows.push([
    'Bundles (dist/)',
    `extension.js ${b.extension_kb} KB, cli.js ${b.cli_kb} KB`,
    `extension < ${b.goal_extension_kb} KB`,
    ok(b.extension_kb < b.goal_extension_kb),
  ]);
  const head = ['measure', 'result', 'goal', 'goal met?'];
  const main = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  const dec = new Map(res.codecs.decode.map((d) => [d.source, d.cpu_s]));
  const chead = ['source', 'proxy path', 'CPU-s', '× decoding alone', 'Mb/s', 'PSNR dB', 'SSIM'];
  const crows = res.codecs.rows.map((r) => [
    `${r.source} (decoding alone ${dec.get(r.source)} CPU-s)`,
    r.path,
    String(r.cpu_s),
    String(r.vs_decode),
    String(r.mbps),
    String(r.psnr_db),
    String(r.ssim),
  ]);
  const codecsTable = [
    `| ${chead.join(' | ')} |`,
    `|${chead.map(() => '---').join('|')}|`,
    ...crows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  return `${main}\n\nProxies at half size, each codec against decoding its source alone:\n\n${codecsTable}`;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  fs.mkdirSync(MEDIA, { recursive: true });
  const m = machine();
  log(`${QUICK ? 'quick' : 'full'} run on ${m.cores} cores (${m.cpu}); load average ${m.load_average_at_start.join(' ')}`);
  log('generating media in bench/media/ (kept for later runs)');
  const res: Results = {
    quick: QUICK,
    machine: m,
    started_at: new Date().toISOString(),
    bundles: bundles(),
    cold_start: await coldStart(),
    validation: [await validation(10_000, 200), await validation(CFG.bigValidation, CFG.bigValidation === 100_000 ? 2000 : 400)],
    overhead: [await overhead(1, CFG.oneSecondClips, 1.05), await overhead(3, CFG.threeSecondClips, 1.02)],
    concurrency: await concurrency(),
    memory: await manyShortClips(),
    codecs: await codecs(),
    bench_seconds: 0,
  };
  res.machine.load_average_at_end = os.loadavg().map(r2);
  res.bench_seconds = Math.round((Date.now() - t0) / 1000);
  const text = table(res);
  fs.writeFileSync(path.join(ROOT, 'bench', 'results.json'), JSON.stringify({ ...res, table_markdown: text }, null, 2) + '\n');
  process.stdout.write(
    `\nMachine: ${m.cpu}, ${m.cores} cores, ${m.memory_gb} GB, ${m.os}, node ${m.node}, ffmpeg ${m.ffmpeg}; load ${m.load_average_at_start.join(' ')} → ${res.machine.load_average_at_end.join(' ')}\n\n${text}\n\nbench: ${res.bench_seconds}s; results in bench/results.json\n`,
  );
}

main().catch((e: unknown) => die(e instanceof Error ? (e.stack ?? e.message) : String(e)));
