// Real volumes for tests that must meet the file systems camera originals live on (Linux, as root):
// an exFAT card through FUSE on a loop device (case-insensitive, keeps Unicode normalization apart,
// numbers each spelling of a name as its own inode), and a bind mount (one folder under two paths).
// Each volume lives in a folder of its own and is torn down by the test's `after` hook, at process
// exit and on SIGINT/SIGTERM/SIGHUP, also when mounting failed halfway: unmounted (lazily when still
// busy), its loop device detached, its folder removed.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Cleanup } from './tmp';

/** Where root's tools live, whatever PATH says. */
const SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

function findTool(name: string): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SBIN]) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

function tool(name: string): string {
  const p = findTool(name);
  if (!p) throw new Error(`${name} is not installed (see exfatSkipReason)`);
  return p;
}

function run(name: string, args: string[]): string {
  try {
    return execFileSync(tool(name), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${name} ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

function notRoot(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform}): no loop devices, FUSE or bind mounts`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not running as root: cannot mount';
  return null;
}

/** Why an exFAT card cannot be mounted here (printed with the skip), or null when it can. */
export function exfatSkipReason(): string | null {
  const root = notRoot();
  if (root) return root;
  if (!fs.existsSync('/dev/fuse')) return 'no /dev/fuse: FUSE is not available (a container without the device?)';
  if (!fs.existsSync('/dev/loop-control')) return 'no /dev/loop-control: no loop devices here';
  const missing = ['mkfs.exfat', 'mount.exfat-fuse', 'losetup', 'umount'].filter((n) => !findTool(n));
  if (missing.length) return `${missing.join(', ')} missing: apt-get install exfat-fuse exfatprogs (as .ci/run does)`;
  return null;
}

/** Why a bind mount cannot be made here, or null when it can. */
export function bindSkipReason(): string | null {
  const root = notRoot();
  if (root) return root;
  const missing = ['mount', 'umount'].filter((n) => !findTool(n));
  return missing.length ? `${missing.join(', ')} missing (util-linux)` : null;
}

/** `t.skip(reason)` and true when `reason` is set: `if (skipped(t, exfatSkipReason())) return;`. */
export function skipped(t: { skip(message?: string): void }, reason: string | null): boolean {
  if (reason === null) return false;
  t.skip(reason);
  return true;
}

// Every volume not yet torn down, so that an exit or a signal tears down what a hook did not reach.
const live = new Set<() => void>();
let hooked = false;

function tearDownAll(): void {
  // Newest first: a bind mount of a card goes before the card.
  for (const f of [...live].reverse()) f();
}

// Per test, the volumes it made, torn down newest first by one after hook (node runs hooks in the
// order they were added).
const byTest = new WeakMap<Cleanup, (() => void)[]>();

function afterTest(t: Cleanup, tearDown: () => void): void {
  let stack = byTest.get(t);
  if (!stack) {
    const own: (() => void)[] = [];
    byTest.set(t, own);
    t.after(() => {
      for (const f of own.reverse()) f();
    });
    stack = own;
  }
  stack.push(tearDown);
}

function hookProcess(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', tearDownAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      tearDownAll();
      // Die of the signal as if nobody had listened.
      process.kill(process.pid, sig);
    });
  }
}

/** Run `steps` once, in order, each even if an earlier one failed; at the hook, at exit or on a signal. */
function register(t: Cleanup, steps: (() => void)[]): () => void {
  hookProcess();
  let done = false;
  const tearDown = (): void => {
    if (done) return;
    done = true;
    live.delete(tearDown);
    for (const step of steps) {
      try {
        step();
      } catch {
        // The next step still runs: a busy mount must not keep the loop device attached.
      }
    }
  };
  live.add(tearDown);
  afterTest(t, tearDown);
  return tearDown;
}

function unmount(dir: string): void {
  try {
    run('umount', [dir]);
  } catch {
    // Still busy (a process that has a file open there): detach it now, the kernel finishes later.
    run('umount', ['-l', dir]);
  }
}

function isMountPoint(dir: string): boolean {
  try {
    return fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[4] === dir);
  } catch {
    return false;
  }
}

function ownFolder(prefix: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export interface ExfatCard {
  /** Where the card is mounted: write the clips here. */
  root: string;
  /** The image file and the loop device it is attached to. */
  image: string;
  device: string;
  /** Tear the card down now (the hook and exit do it otherwise). */
  remove: () => void;
}

/**
 * A fresh exFAT volume (`sizeMiB`, sparse) mounted through FUSE: image file, `losetup -f --show`,
 * `mount.exfat-fuse DEVICE DIR`. `mount -o loop` is not used: exfat-fuse wants a block device.
 */
export function mountExfat(t: Cleanup, opts: { sizeMiB?: number; label?: string } = {}): ExfatCard {
  const base = ownFolder('jobspec-exfat-');
  const image = path.join(base, 'card.img');
  const root = path.join(base, opts.label ?? 'CARD');
  fs.mkdirSync(root);
  fs.closeSync(fs.openSync(image, 'w'));
  fs.truncateSync(image, (opts.sizeMiB ?? 32) * 1024 * 1024);
  let device = '';
  const remove = register(t, [
    () => {
      if (isMountPoint(root)) unmount(root);
    },
    () => {
      if (device) run('losetup', ['-d', device]);
    },
    () => fs.rmSync(base, { recursive: true, force: true }),
  ]);
  run('mkfs.exfat', [image]);
  device = run('losetup', ['-f', '--show', image]);
  run('mount.exfat-fuse', [device, root]);
  return { root, image, device, remove };
}

/**
 * `target` mounted (`mount --bind`) at a fresh folder of its own, which is returned: the same folder
 * under a second path that realpath does not see through.
 */
export function bindMount(t: Cleanup, target: string): string {
  const base = ownFolder('jobspec-bind-');
  const alias = path.join(base, 'alias');
  fs.mkdirSync(alias);
  register(t, [
    () => {
      if (isMountPoint(alias)) unmount(alias);
    },
    () => fs.rmSync(base, { recursive: true, force: true }),
  ]);
  run('mount', ['--bind', target, alias]);
  return alias;
}

/** `target` bind-mounted onto an existing folder `at` (e.g. an output folder, after validation). */
export function bindOnto(t: Cleanup, target: string, at: string): void {
  register(t, [
    () => {
      if (isMountPoint(at)) unmount(at);
    },
  ]);
  run('mount', ['--bind', target, at]);
}

/**
 * Make the kernel forget the dentries and inodes it caches (not file data): what memory pressure does
 * to a card that a long run left alone. On FUSE, a file forgotten this way gets a new inode number
 * when it is next looked up. Null when it was done, else why not.
 */
export function forgetInodes(): string | null {
  try {
    fs.writeFileSync('/proc/sys/vm/drop_caches', '2');
    return null;
  } catch (err) {
    return `cannot write /proc/sys/vm/drop_caches (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
}
