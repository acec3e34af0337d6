// Pixels of real output, read back with ffmpeg: a frame as RGB (converted with a stated colour
// matrix, never ffmpeg's guess) or as luma, and LUT files made to order.
import { execFile } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import { promisify } from 'node:util';
import { REAL_FFPROBE } from './executables';
import { ffmpegBytes } from './media';

const run = promisify(execFile);

export interface Frame {
  width: number;
  height: number;
  /** rgb24 (3 bytes a pixel) or gray (1), row after row. */
  data: Buffer;
  channels: number;
}

async function size(file: string): Promise<{ width: number; height: number }> {
  const { stdout } = await run(REAL_FFPROBE, [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height',
    '-of',
    'csv=p=0',
    `file:${file}`,
  ]);
  const [width, height] = stdout.trim().split(',').map(Number);
  return { width, height };
}

/** Frame `n` of `file` through the filters `vf`, read as raw pixels of `channels` bytes each. */
async function rawFrame(file: string, n: number, vf: string, channels: number): Promise<Frame> {
  const { width, height } = await size(file);
  const data = await ffmpegBytes(['-i', `file:${file}`, '-vf', `select=eq(n\\,${n}),${vf}`, '-frames:v', '1', '-f', 'rawvideo', '-']);
  if (data.length !== width * height * channels) throw new Error(`${file} has no frame ${n} (${data.length} bytes read)`);
  return { width, height, data, channels };
}

/** Frame `n` of a file's picture as rgb24, converted from YUV with `matrix` and `range` (as a viewer set to them would). */
export function frameRgb(file: string, opts: { n?: number; matrix?: string; range?: 'tv' | 'pc' } = {}): Promise<Frame> {
  const scale = `scale=in_color_matrix=${opts.matrix ?? 'bt709'}:in_range=${opts.range ?? 'tv'}:flags=accurate_rnd+full_chroma_int`;
  return rawFrame(file, opts.n ?? 0, `${scale},format=rgb24`, 3);
}

/** Frame `n` as 8-bit luma: the Y plane as the file holds it, no conversion. */
export function frameLuma(file: string, n = 0): Promise<Frame> {
  return rawFrame(file, n, 'extractplanes=y,format=gray', 1);
}

/** The mean of each channel over a rectangle (default: the middle half of the frame). */
export function meanOf(f: Frame, box?: { x: number; y: number; w: number; h: number }): number[] {
  const b = box ?? { x: Math.floor(f.width / 4), y: Math.floor(f.height / 4), w: Math.floor(f.width / 2), h: Math.floor(f.height / 2) };
  const sums = new Array<number>(f.channels).fill(0);
  for (let y = b.y; y < b.y + b.h; y++)
    for (let x = b.x; x < b.x + b.w; x++) for (let c = 0; c < f.channels; c++) sums[c] += f.data[(y * f.width + x) * f.channels + c];
  return sums.map((s) => s / (b.w * b.h));
}

/** Pixels (x, y) where two frames of one size differ by more than `threshold` in any channel. */
export function changedPixels(a: Frame, b: Frame, threshold = 8): { x: number; y: number }[] {
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) throw new Error('frames of different shapes');
  const out: { x: number; y: number }[] = [];
  for (let y = 0; y < a.height; y++)
    for (let x = 0; x < a.width; x++)
      for (let c = 0; c < a.channels; c++) {
        const i = (y * a.width + x) * a.channels + c;
        if (Math.abs(a.data[i] - b.data[i]) > threshold) {
          out.push({ x, y });
          break;
        }
      }
  return out;
}

/** A 3D .cube of `size` points per axis whose entry for (r, g, b) in 0..1 is `fn(r, g, b)` (red varies fastest). */
export async function writeCube(
  file: string,
  size: number,
  fn: (r: number, g: number, b: number) => [number, number, number],
  header: string[] = [],
): Promise<string> {
  const lines = [...header, `LUT_3D_SIZE ${size}`];
  for (let b = 0; b < size; b++)
    for (let g = 0; g < size; g++)
      for (let r = 0; r < size; r++)
        lines.push(
          fn(r / (size - 1), g / (size - 1), b / (size - 1))
            .map((v) => v.toFixed(6))
            .join(' '),
        );
  await fsp.writeFile(file, lines.join('\n') + '\n');
  return file;
}

/** A 17-point .3dl (12-bit values, the only kind ffmpeg reads) for `fn` over 0..1; blue varies fastest. */
export async function write3dl(file: string, fn: (r: number, g: number, b: number) => [number, number, number]): Promise<string> {
  const n = 17;
  const mesh = Array.from({ length: n }, (_, i) => Math.round((i * 1023) / (n - 1)));
  const lines = [mesh.join(' ')];
  for (let r = 0; r < n; r++)
    for (let g = 0; g < n; g++)
      for (let b = 0; b < n; b++)
        lines.push(
          fn(r / (n - 1), g / (n - 1), b / (n - 1))
            .map((v) => String(Math.round(Math.min(1, Math.max(0, v)) * 4095)))
            .join(' '),
        );
  await fsp.writeFile(file, lines.join('\n') + '\n');
  return file;
}
