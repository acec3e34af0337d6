// Viewing LUTs (`lut`): a .cube or .3dl file checked before anything runs, against what ffmpeg 5.1's
// lut3d and lut1d filters actually read, so that a LUT ffmpeg would refuse, or worse read differently
// from what the file says, is refused here with the line that is wrong. What ffmpeg does, and so what
// is checked (libavfilter/vf_lut3d.c, vf_lut1d.c; each point confirmed against ffmpeg 5.1):
// - .cube: it looks for LUT_3D_SIZE (lut3d) or LUT_1D_SIZE (lut1d) at the start of a line and ignores
//   every line before it, DOMAIN_MIN/DOMAIN_MAX included; after it, it reads DOMAIN_ lines and
//   skips TITLE, blank and # lines between data lines, and fails on anything else. Of the domain it
//   uses only 1 / (max - min), clipped to at most 1: a DOMAIN_MIN other than 0 or a DOMAIN_MAX below
//   1 would be applied wrongly. A 1D shaper before a 3D table is ignored. Sizes: 2..256 (3D),
//   2..65536 (1D). Lines are read into a 512-byte buffer.
// - .3dl: always 17 points per axis with 12-bit output values (it divides by 4096); the first line
//   that is not blank or a comment (the input mesh) is skipped.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { LutInfo } from './types';

/** ffmpeg's lut3d limit (MAX_LEVEL). */
export const LUT3D_MAX_SIZE = 256;
/** ffmpeg's lut1d limit (MAX_1D_LEVEL). */
export const LUT1D_MAX_SIZE = 65536;
/** ffmpeg reads .cube and .3dl lines into a buffer of this many bytes, newline and NUL included. */
const MAX_LINE_BYTES = 512;
/** The only .3dl ffmpeg reads: 17 points per axis, values over 4096. */
const THREEDL_SIZE = 17;
const THREEDL_MAX_VALUE = 4095;

export type LutResult = { ok: true; info: LutInfo; warnings: string[] } | { ok: false; error: string };

/** A number as a .cube data line writes it (no nan, no inf: ffmpeg would read those as numbers). */
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const INTEGER = /^[-+]?\d+$/;

function isSkip(line: string): boolean {
  const t = line.trimStart();
  return t === '' || t.startsWith('#');
}

function fields(line: string): string[] {
  return line.trim().split(/\s+/).filter(Boolean);
}

function numbers(parts: string[]): number[] | null {
  if (!parts.every((p) => NUMBER.test(p))) return null;
  const v = parts.map(Number);
  return v.every(Number.isFinite) ? v : null;
}

function splitLines(text: string): string[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Check the text of a .cube file; `where(n)` names line n (1-based) in messages. */
export function checkCube(text: string, where: (line: number) => string): { info: Omit<LutInfo, 'path' | 'sha256'> } | { error: string } {
  const lines = splitLines(text);
  let kind: '3d' | '1d' | null = null;
  let size = 0;
  let sizeLine = 0;
  let data = 0;
  const min = [0, 0, 0];
  const max = [1, 1, 1];
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i];
    if (Buffer.byteLength(line, 'utf8') + 2 > MAX_LINE_BYTES)
      return {
        error: `${where(n)}: the line is longer than ffmpeg reads (${MAX_LINE_BYTES - 2} bytes); the file is damaged or not a .cube LUT.`,
      };
    if (isSkip(line)) continue;
    const parts = fields(line);
    const word = parts[0];
    if (/^[A-Za-z_]/.test(word)) {
      if (line !== line.trimStart())
        return { error: `${where(n)}: "${word}" must start the line (ffmpeg reads keywords only at the start of a line).` };
      switch (word) {
        case 'TITLE':
          continue;
        case 'LUT_3D_SIZE':
        case 'LUT_1D_SIZE': {
          const is3d = word === 'LUT_3D_SIZE';
          if (kind !== null)
            return {
              error:
                kind === (is3d ? '3d' : '1d')
                  ? `${where(n)}: a second ${word}; the size was already given on line ${sizeLine}.`
                  : `${where(n)}: this file has both LUT_1D_SIZE and LUT_3D_SIZE (a 1D shaper and a 3D table); ffmpeg's lut3d ignores the shaper and would apply the 3D table to the wrong values. Export the LUT as a 3D-only .cube.`,
            };
          if (parts.length !== 2 || !INTEGER.test(parts[1]))
            return { error: `${where(n)}: ${word} takes one whole number (the points per axis), e.g. "${word} 33".` };
          size = Number(parts[1]);
          const limit = is3d ? LUT3D_MAX_SIZE : LUT1D_MAX_SIZE;
          if (size < 2 || size > limit) return { error: `${where(n)}: ${word} ${size} is outside what ffmpeg accepts (2 to ${limit}).` };
          kind = is3d ? '3d' : '1d';
          sizeLine = n;
          continue;
        }
        case 'DOMAIN_MIN':
        case 'DOMAIN_MAX': {
          const values = numbers(parts.slice(1));
          if (!values || values.length !== 3) return { error: `${where(n)}: ${word} takes three numbers (red, green, blue).` };
          if (!line.startsWith(`${word} `))
            return { error: `${where(n)}: ${word} must be followed by a space; ffmpeg does not read it otherwise.` };
          const isMin = word === 'DOMAIN_MIN';
          const isDefault = values.every((v) => v === (isMin ? 0 : 1));
          if (kind === null && !isDefault)
            return {
              error: `${where(n)}: ${word} comes before the LUT's size line, and ffmpeg ignores it there: the LUT would be applied to the domain 0..1 instead. Move the DOMAIN_ lines after LUT_3D_SIZE/LUT_1D_SIZE.`,
            };
          if (isMin && !isDefault)
            return {
              error: `${where(n)}: DOMAIN_MIN ${values.join(' ')}: ffmpeg applies a LUT from 0 only and would apply this one wrongly. Use a LUT whose DOMAIN_MIN is 0 0 0.`,
            };
          if (!isMin && values.some((v) => v < 1))
            return {
              error: `${where(n)}: DOMAIN_MAX ${values.join(' ')}: ffmpeg cannot apply a domain that ends below 1 (it would apply this LUT wrongly). Use a LUT whose DOMAIN_MAX is 1 or more.`,
            };
          (isMin ? min : max).splice(0, 3, ...values);
          continue;
        }
        case 'LUT_3D_INPUT_RANGE':
        case 'LUT_1D_INPUT_RANGE': {
          const values = numbers(parts.slice(1));
          if (!values || values.length !== 2) return { error: `${where(n)}: ${word} takes two numbers (minimum and maximum).` };
          if (kind !== null)
            return {
              error: `${where(n)}: ${word} after the size line makes ffmpeg fail to read the LUT. Move it before LUT_3D_SIZE/LUT_1D_SIZE (where ffmpeg skips it) or remove it.`,
            };
          if (values[0] !== 0 || values[1] !== 1)
            return {
              error: `${where(n)}: ${word} ${values.join(' ')}: ffmpeg ignores an input range and would apply this LUT to 0..1. Use a LUT made for the range 0..1.`,
            };
          continue;
        }
        default:
          return {
            error: `${where(n)}: unknown keyword "${word.slice(0, 40)}". A .cube holds TITLE, LUT_3D_SIZE or LUT_1D_SIZE, DOMAIN_MIN, DOMAIN_MAX and lines of three numbers.`,
          };
      }
    }
    const values = numbers(parts);
    if (!values || values.length !== 3)
      return { error: `${where(n)}: expected three numbers (red green blue), found ${JSON.stringify(line.trim().slice(0, 60))}.` };
    if (kind === null)
      return {
        error: `${where(n)}: a data line before LUT_3D_SIZE or LUT_1D_SIZE; ffmpeg skips it, so the table would be shifted. Put the size line first.`,
      };
    data++;
    const want = kind === '3d' ? size ** 3 : size;
    if (data > want)
      return {
        error: `${where(n)}: one data line too many: ${kind === '3d' ? `LUT_3D_SIZE ${size} makes ${want} lines (${size}³)` : `LUT_1D_SIZE ${size} makes ${want} lines`}, and this is line ${data}. The size line or the table is wrong.`,
      };
  }
  if (kind === null) return { error: `${where(1)}: no LUT_3D_SIZE or LUT_1D_SIZE line: this is not a .cube LUT ffmpeg can read.` };
  const want = kind === '3d' ? size ** 3 : size;
  if (data < want)
    return {
      error: `${where(lines.length)}: the table ends after ${data} data line${data === 1 ? '' : 's'}, but ${kind === '3d' ? `LUT_3D_SIZE ${size} needs ${want} (${size}³)` : `LUT_1D_SIZE ${size} needs ${want}`}: the file is truncated or its size line is wrong.`,
    };
  return { info: { format: 'cube', kind, size } };
}

/** Check the text of a .3dl file: the one shape ffmpeg reads (17 points, 12-bit values). */
export function check3dl(
  text: string,
  where: (line: number) => string,
): { info: Omit<LutInfo, 'path' | 'sha256'>; warnings: string[] } | { error: string } {
  const lines = splitLines(text);
  let meshLine = 0;
  let data = 0;
  let highest = 0;
  const want = THREEDL_SIZE ** 3;
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i];
    if (Buffer.byteLength(line, 'utf8') + 2 > MAX_LINE_BYTES)
      return {
        error: `${where(n)}: the line is longer than ffmpeg reads (${MAX_LINE_BYTES - 2} bytes); the file is damaged or not a .3dl LUT.`,
      };
    if (isSkip(line)) continue;
    const parts = fields(line);
    if (meshLine === 0) {
      meshLine = n;
      if (!parts.every((p) => INTEGER.test(p)))
        return {
          error: `${where(n)}: expected the input mesh (17 whole numbers such as "0 64 128 … 1023"), found ${JSON.stringify(line.trim().slice(0, 60))}. ffmpeg reads only plain 17-point .3dl files (no 3DMESH/Mesh header).`,
        };
      if (parts.length !== THREEDL_SIZE)
        return {
          error: `${where(n)}: the input mesh has ${parts.length} points; ffmpeg reads only 17-point .3dl files. Export the LUT as a 17-point .3dl or as a .cube.`,
        };
      const mesh = parts.map(Number);
      if (mesh[0] !== 0 || mesh.some((v, k) => k > 0 && v <= mesh[k - 1]))
        return { error: `${where(n)}: the input mesh must start at 0 and rise at every step; this file's does not.` };
      continue;
    }
    if (parts.length !== 3 || !parts.every((p) => INTEGER.test(p)))
      return { error: `${where(n)}: expected three whole numbers (red green blue), found ${JSON.stringify(line.trim().slice(0, 60))}.` };
    const values = parts.map(Number);
    const bad = values.find((v) => v < 0 || v > THREEDL_MAX_VALUE);
    if (bad !== undefined)
      return {
        error: `${where(n)}: ${bad} is outside 0..${THREEDL_MAX_VALUE}; ffmpeg reads .3dl values as 12-bit. Export the LUT with 12-bit output, or as a .cube.`,
      };
    highest = Math.max(highest, ...values);
    data++;
    if (data > want) return { error: `${where(n)}: one data line too many: a 17-point .3dl has ${want} lines (17³) after its input mesh.` };
  }
  if (meshLine === 0) return { error: `${where(1)}: the file is empty: a .3dl holds an input mesh and 17³ lines of values.` };
  if (data < want)
    return {
      error: `${where(lines.length)}: the table ends after ${data} data line${data === 1 ? '' : 's'}, but a 17-point .3dl needs ${want} (17³): the file is truncated.`,
    };
  const warnings =
    highest <= 1023
      ? [
          `no value in the .3dl is above 1023: if it was written with 10-bit output values, ffmpeg (which reads them as 12-bit) will make the picture about four times darker. Check the proxy, or export the LUT as a .cube.`,
        ]
      : [];
  return { info: { format: '3dl', kind: '3d', size: THREEDL_SIZE }, warnings };
}

const cache = new Map<string, Promise<LutResult>>();

/**
 * Check a LUT file: it exists, it is a .cube or .3dl, and ffmpeg reads it as the file says. Results
 * are kept per file identity (path, size, time, inode), so an editor checking as you type reads a
 * large LUT once.
 */
export async function checkLutFile(file: string): Promise<LutResult> {
  let st;
  try {
    st = await fs.stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      ok: false,
      error: code === 'ENOENT' ? `the LUT file ${file} does not exist` : `the LUT file ${file} cannot be read (${code ?? 'error'})`,
    };
  }
  if (!st.isFile()) return { ok: false, error: `${file} is not a file; lut names a .cube or .3dl file` };
  const key = `${file}\0${st.size}\0${st.mtimeMs}\0${st.ino}`;
  let p = cache.get(key);
  if (!p) {
    p = readAndCheck(file);
    cache.set(key, p);
    if (cache.size > 32) cache.delete(cache.keys().next().value as string);
  }
  return p;
}

async function readAndCheck(file: string): Promise<LutResult> {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.cube' && ext !== '.3dl')
    return { ok: false, error: `${file} is not a .cube or .3dl file (ffmpeg tells a LUT's format by its extension)` };
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    return { ok: false, error: `the LUT file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (bytes.length > 1024 * 1024 * 1024) return { ok: false, error: `${file} is larger than any LUT ffmpeg reads` };
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const where = (n: number): string => `${file}:${n}`;
  const text = bytes.toString('latin1');
  const checked: { info: Omit<LutInfo, 'path' | 'sha256'>; warnings?: string[] } | { error: string } =
    ext === '.cube' ? checkCube(text, where) : check3dl(text, where);
  if ('error' in checked) return { ok: false, error: checked.error };
  return { ok: true, info: { ...checked.info, path: file, sha256 }, warnings: checked.warnings ?? [] };
}

/** sha256 of a file's bytes, hex. */
export async function sha256File(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');
}
