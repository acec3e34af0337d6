// ffmpeg and ffprobe must not outlive the process that started them. A handler can stop them when the
// command is interrupted (Ctrl-C, SIGTERM, SIGHUP), but nothing runs when it is killed outright
// (SIGKILL, the OOM killer, a crashed editor window), and a killed node process does not take its
// children with it. So each child is started guarded:
// - on Linux, through util-linux's `setpriv --pdeathsig SIGKILL`, which asks the kernel to kill the
//   child the moment its parent dies (setpriv then runs ffmpeg in its own place: no extra process);
// - elsewhere (or without setpriv), a small watchdog process is started once; it learns each child's
//   pid over a pipe, and when the pipe closes, which the kernel does when this process dies however it
//   dies, it kills the children still listed.
// The argument list given to ffmpeg is unchanged either way (reports record it as ffmpeg's own).
import type { Options, ResultPromise } from 'execa';
import { execaLoaded, loadExeca } from './spawn';

export type GuardKind = 'pdeathsig' | 'watchdog';

export interface Guard {
  kind: GuardKind;
  /** For `pdeathsig`: the setpriv executable. */
  setpriv?: string;
}

/** Chooses the guard: `pdeathsig` when setpriv runs on this machine, else `watchdog`. Tests force one with JOBSPEC_CHILD_GUARD. */
export async function chooseGuard(env: NodeJS.ProcessEnv = process.env): Promise<Guard> {
  const forced = env.JOBSPEC_CHILD_GUARD;
  if (forced === 'watchdog') return { kind: 'watchdog' };
  if (process.platform !== 'linux') return { kind: 'watchdog' };
  const { execa } = await loadExeca();
  for (const setpriv of ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv']) {
    const r = await execa(setpriv, ['--pdeathsig', 'SIGKILL', '--', 'true'], { reject: false, stdin: 'ignore', timeout: 5000 }).catch(
      () => null,
    );
    if (r && r.exitCode === 0) return { kind: 'pdeathsig', setpriv };
  }
  return { kind: 'watchdog' };
}

// The watchdog: a second node process reading "+pid"/"-pid" lines; at end of input it kills what is listed.
const WATCHDOG = `
const pids = new Set();
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    const pid = Number(line.slice(1));
    if (!Number.isInteger(pid) || pid <= 0) continue;
    if (line[0] === '+') pids.add(pid); else pids.delete(pid);
  }
});
const end = () => {
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  process.exit(0);
};
process.stdin.on('end', end);
process.stdin.on('close', end);
process.stdin.on('error', end);
`;

// In an editor's extension host process.execPath may be Electron: ELECTRON_RUN_AS_NODE makes it node.
// Not execa's cleanup: the watchdog must outlive this process to do its work.
const WATCHDOG_OPTIONS = {
  stdin: 'pipe',
  stdout: 'ignore',
  stderr: 'ignore',
  detached: true,
  cleanup: false,
  reject: false,
  env: { ELECTRON_RUN_AS_NODE: '1' },
  windowsHide: true,
} as const;
type Watchdog = ResultPromise<typeof WATCHDOG_OPTIONS>;
let watchdog: Watchdog | undefined;

function watchdogProcess(): Watchdog | undefined {
  if (watchdog && watchdog.exitCode === null && !watchdog.killed) return watchdog;
  try {
    const child = execaLoaded()(process.execPath, ['-e', WATCHDOG], WATCHDOG_OPTIONS);
    child.catch(() => undefined);
    child.stdin.on('error', () => undefined);
    // Neither the watchdog nor its pipe may keep this process alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    watchdog = child;
    return child;
  } catch {
    return undefined;
  }
}

function tell(line: string): void {
  const w = watchdogProcess();
  w?.stdin.write(line + '\n');
}

/** The pid of the guard's watchdog, when one runs (tests check that it goes with us). */
export function watchdogPid(): number | undefined {
  return watchdog?.pid;
}

/**
 * Start `file args` with execa so that it dies with this process. Same options and result as execa;
 * the command line runs `file` with exactly `args`.
 */
export function runGuarded(guard: Guard | undefined, file: string, args: string[], options: Options): ResultPromise<Options> {
  const execa = execaLoaded();
  if (guard?.kind === 'pdeathsig' && guard.setpriv) {
    return execa(guard.setpriv, ['--pdeathsig', 'SIGKILL', '--', file, ...args], options);
  }
  const child = execa(file, args, options);
  if (guard?.kind === 'watchdog' && child.pid !== undefined) {
    const pid = child.pid;
    tell(`+${pid}`);
    void child.then(
      () => tell(`-${pid}`),
      () => tell(`-${pid}`),
    );
  }
  return child;
}
