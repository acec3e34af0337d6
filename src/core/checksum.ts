// Source fingerprints (`source_checksum`): each source's bytes are hashed while its proxy is made,
// through the very file handle the runner holds from before its probe to the end of its encode (see
// HeldSource in run.ts), so the digest is of the file ffmpeg read, and the source-changed check that
// follows the encode covers it too: a digest is only ever reported for a clip whose source did not
// change meanwhile. The read runs beside ffmpeg's own and mostly finds the bytes in the page cache.
// xxh64 comes from xxhash-wasm (a maintained WebAssembly build of the reference xxHash, MIT, no
// native build step); md5 and sha256 from node's crypto.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import xxhash from 'xxhash-wasm';
import type { ChecksumAlgorithm, SourceChecksum } from './types';

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['xxh64', 'md5', 'sha256'];

interface Hasher {
  update(chunk: Uint8Array): void;
  digest(): string;
}

let xxhashApi: ReturnType<typeof xxhash> | undefined;

async function hasher(algorithm: ChecksumAlgorithm): Promise<Hasher> {
  if (algorithm === 'xxh64') {
    xxhashApi ??= xxhash();
    const h = (await xxhashApi).create64();
    return {
      update: (chunk) => void h.update(chunk),
      // The canonical form xxhsum prints: 16 hex digits, big-endian.
      digest: () => h.digest().toString(16).padStart(16, '0'),
    };
  }
  const h = createHash(algorithm);
  return { update: (chunk) => void h.update(chunk), digest: () => h.digest('hex') };
}

const CHUNK = 4 * 1024 * 1024;

/**
 * Hash the first `size` bytes of an open file by position (the handle's own offset is left alone).
 * Throws when the file ends early (it shrank) or `signal` aborts.
 */
export async function hashOpenFile(
  handle: FileHandle,
  size: number,
  algorithm: ChecksumAlgorithm,
  signal?: AbortSignal,
): Promise<SourceChecksum> {
  const h = await hasher(algorithm);
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, size)));
  let at = 0;
  while (at < size) {
    if (signal?.aborted) throw new Error('cancelled');
    const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - at), at);
    if (bytesRead === 0) throw new Error(`the file ended after ${at} of ${size} bytes`);
    h.update(buf.subarray(0, bytesRead));
    at += bytesRead;
  }
  return { algorithm, value: h.digest(), bytes: size };
}

/** Hash bytes in memory (tests, and small files). */
export async function hashBytes(bytes: Uint8Array, algorithm: ChecksumAlgorithm): Promise<string> {
  const h = await hasher(algorithm);
  h.update(bytes);
  return h.digest();
}
