// Writes that survive a crash or a power cut: data is flushed to the disk before a file is linked or
// renamed into place, and the folder is flushed after, so a name never points at data that is not there.
import * as fs from 'node:fs/promises';

/** Create `file` (it must not exist: a planted file or link is refused), write `data` and flush it. */
export async function writeFileDurably(file: string, data: string | Buffer): Promise<void> {
  const handle = await fs.open(file, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Append to `file` (created if missing) and flush: the line is on disk when this resolves. */
export async function appendDurably(file: string, data: string): Promise<void> {
  const handle = await fs.open(file, 'a');
  try {
    await handle.appendFile(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Flush a file that was written by another process (ffmpeg's proxy) before it is linked into place. */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Flush a folder, so that a link or rename in it is on disk. Some file systems (FUSE, some shares)
 * cannot flush a folder; there the data itself was already flushed and this is best effort.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // EINVAL, EISDIR, EACCES on volumes that do not support it.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
