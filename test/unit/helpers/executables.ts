// The executables tests run: the real ffmpeg and ffprobe from PATH, found once, and the stand-ins
// in test/fixtures/ that play a misbehaving ffmpeg.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES } from './paths';

function which(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // next
    }
  }
  throw new Error(`${name} is not on PATH; these tests need the real ffmpeg and ffprobe`);
}

export const REAL_FFMPEG = which('ffmpeg');
export const REAL_FFPROBE = which('ffprobe');

/** A stand-in executable from test/fixtures/, checked to exist and be executable. */
export function standIn(name: string): string {
  const p = path.join(FIXTURES, name);
  fs.accessSync(p, fs.constants.X_OK);
  return p;
}
