// Poster frames: one small JPEG of a clip, taken a quarter of the way in (past slates and black),
// made by the configured ffmpeg with an argument list (never a shell) and kept in the extension's
// storage, keyed by the file's path, size and modification time: a clip copied again gets a new
// one. At most two are made at a time (the machine is encoding). The clip's duration comes along.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileUrl, loadExeca, type Tools } from '../core';

export interface Poster {
  /** The JPEG on disk. */
  file: string;
  /** The clip's duration, when ffprobe could tell. */
  durationSeconds?: number;
}

/** Width of a poster frame in pixels: sharp at the report's card size, small in a hover. */
export const POSTER_WIDTH = 320;
const AT_FRACTION = 0.25;
const TIMEOUT_MS = 30_000;
const PARALLEL = 2;

/** Run a tool with an argument list (never a shell); throws with its last line of stderr. */
async function run(cmd: string, args: string[]): Promise<string> {
  const { execa } = await loadExeca();
  const r = await execa(cmd, args, { reject: false, timeout: TIMEOUT_MS, stdin: 'ignore', windowsHide: true });
  if (r.failed) throw new Error(String(r.stderr).trim().split('\n').pop() || r.shortMessage);
  return String(r.stdout);
}

export class PosterCache {
  private readonly pending = new Map<string, Promise<Poster | undefined>>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    /** The folder the posters are kept in (the webviews may load only from here). */
    readonly dir: string,
    private readonly tools: () => Promise<Tools | undefined>,
  ) {}

  /** The poster of a clip or proxy, made now or earlier; undefined when the file is gone or ffmpeg cannot read it. */
  async poster(file: string): Promise<Poster | undefined> {
    const st = await fs.stat(file).catch(() => undefined);
    if (!st?.isFile() || st.size === 0) return undefined;
    const key = createHash('sha1').update(`${file}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 24);
    let p = this.pending.get(key);
    if (!p) {
      p = this.make(file, key).catch(() => undefined);
      this.pending.set(key, p);
      // Failures are not remembered: a clip that is still being copied gets another try later.
      void p.then((made) => {
        if (!made) this.pending.delete(key);
      });
    }
    return p;
  }

  private async make(file: string, key: string): Promise<Poster | undefined> {
    const jpg = path.join(this.dir, `${key}.jpg`);
    const meta = path.join(this.dir, `${key}.json`);
    const known = await fs.readFile(meta, 'utf8').then(
      (t) => JSON.parse(t) as { durationSeconds?: number },
      () => undefined,
    );
    if (known && (await fs.stat(jpg).catch(() => undefined))) return { file: jpg, ...known };
    await this.slot();
    try {
      const tools = await this.tools();
      if (!tools) return undefined;
      const probe = await run(tools.ffprobe, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', fileUrl(file)]).catch(
        () => undefined,
      );
      const duration = probe ? Number(probe.trim()) : NaN;
      const at = Number.isFinite(duration) && duration > 0 ? Math.max(0, Math.min(duration * AT_FRACTION, duration - 0.05)) : 0;
      await fs.mkdir(this.dir, { recursive: true });
      const tmp = path.join(this.dir, `.${key}.${process.pid}.tmp.jpg`);
      try {
        await run(tools.ffmpeg, [
          '-hide_banner',
          '-loglevel',
          'error',
          '-nostdin',
          '-ss',
          at.toFixed(3),
          '-i',
          fileUrl(file),
          '-frames:v',
          '1',
          '-vf',
          `scale=${POSTER_WIDTH}:-2`,
          '-q:v',
          '5',
          '-f',
          'image2',
          '-y',
          tmp,
        ]);
        await fs.rename(tmp, jpg);
      } finally {
        await fs.rm(tmp, { force: true });
      }
      const facts = Number.isFinite(duration) && duration > 0 ? { durationSeconds: duration } : {};
      await fs.writeFile(meta, JSON.stringify(facts));
      return { file: jpg, ...facts };
    } finally {
      this.release();
    }
  }

  private async slot(): Promise<void> {
    if (this.running < PARALLEL) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  /** A poster as a data: URI, for hovers (which cannot load local files everywhere). */
  async dataUri(file: string): Promise<string | undefined> {
    const p = await this.poster(file);
    if (!p) return undefined;
    const bytes = await fs.readFile(p.file).catch(() => undefined);
    return bytes ? `data:image/jpeg;base64,${bytes.toString('base64')}` : undefined;
  }
}
