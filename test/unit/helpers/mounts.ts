// Small and read-only tmpfs mounts, for disk-full and not-writable faults (root on Linux only).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Cleanup } from './tmp';

let mountProbe: string | null | undefined;

/** Why tmpfs mounts cannot be used here, or null when they can. */
export function mountSkipReason(): string | null {
  if (mountProbe !== undefined) return mountProbe;
  if (process.platform !== 'linux') return (mountProbe = `not Linux (${process.platform}): no tmpfs mounts`);
  if (typeof process.getuid !== 'function' || process.getuid() !== 0)
    return (mountProbe = 'not running as root: cannot mount a small or read-only tmpfs');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobspec-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    mountProbe = null;
  } catch (err) {
    mountProbe = `root, but mount -t tmpfs fails here (${String((err as Error).message).split('\n')[0]}); a container without CAP_SYS_ADMIN?`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return mountProbe;
}

/** Mount a tmpfs on `dir` (created) and unmount it after the test. */
export async function mountTmpfs(t: Cleanup, dir: string, options: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  const unmount = (): void => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    } catch {
      // already gone
    }
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // the test folder's own cleanup removes it
    }
  };
  process.once('exit', unmount);
  t.after(unmount);
}
