// Burn-ins (`burn_in`): text in the picture at named positions, from the naming tokens plus the
// running source timecode and the frame number, in a legible default style (white on a half-opaque
// box, sized from the proxy's frame height, inside a safe margin).
//
// How text reaches ffmpeg: each position's text is written to a small file beside the temporary proxy
// and drawtext reads it with `textfile=`, so nothing the JobSpec or a file name holds is ever parsed as
// filter-graph syntax (only the file's path is, and it is quoted and escaped: filtergraph.ts). In the
// file, drawtext still expands `%{…}` and reads `\` as an escape; literal text is escaped for exactly
// that (`\` → `\\`, `%` → `\%`: ffmpeg 5.1 has no `%%`), and the running timecode and frame number are
// the only expansions written. Unit tests prove both against ffmpeg itself.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { filterWith } from './filtergraph';
import { TOKENS as NAMING_TOKENS, tokenValue, type NamingContext } from './naming';
import type { BurnInPosition, BurnInSpec } from './types';

export const BURN_IN_POSITIONS: readonly BurnInPosition[] = [
  'top_left',
  'top_center',
  'top_right',
  'bottom_left',
  'bottom_center',
  'bottom_right',
];
export const BURN_IN_TOKENS = [...NAMING_TOKENS, 'timecode', 'frame'] as const;
export type BurnInToken = (typeof BURN_IN_TOKENS)[number];

/** Text height as a fraction of the frame height: about 43 px at 1080, 22 px on a half-size 1080 proxy. */
export const DEFAULT_FONT_SIZE = 0.04;
export const DEFAULT_BOX_OPACITY = 0.5;
/** Smallest text drawn, in pixels, whatever the frame: below this no font stays readable. */
const MIN_FONT_PX = 10;
/** The safe margin: 5 % of the frame on each side (action safe). */
const SAFE_MARGIN = 0.05;

export type BurnInPart = { kind: 'text'; text: string } | { kind: 'token'; token: BurnInToken };

/** Split a burn-in text into literal parts and tokens; errors name the token and what is known. */
export function parseBurnIn(text: string): { parts: BurnInPart[]; errors: string[] } {
  const parts: BurnInPart[] = [];
  const errors: string[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{', i);
    if (open === -1) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, open);
    const close = text.indexOf('}', open + 1);
    if (close === -1) {
      errors.push(`has an unclosed token at character ${open + 1}: close it with "}", e.g. {timecode}`);
      literal += text.slice(open);
      break;
    }
    const name = text.slice(open + 1, close);
    if ((BURN_IN_TOKENS as readonly string[]).includes(name)) {
      if (literal) parts.push({ kind: 'text', text: literal });
      literal = '';
      parts.push({ kind: 'token', token: name as BurnInToken });
    } else {
      errors.push(`uses an unknown token "{${name.slice(0, 40)}}"; known tokens: ${BURN_IN_TOKENS.map((t) => `{${t}}`).join(' ')}`);
      literal += text.slice(open, close + 1);
    }
    i = close + 1;
  }
  if (literal) parts.push({ kind: 'text', text: literal });
  return { parts, errors };
}

/** Literal text for drawtext's expansion: its two escapes, and no control characters (they would break lines). */
export function drawtextLiteral(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/[\\%]/g, (c) => `\\${c}`);
}

export interface TimecodeStart {
  /** The source's start timecode ("01:00:00:00", "00:59:59;28"), or null: counted from 00:00:00:00. */
  timecode: string | null;
  /** The proxy's frame rate. */
  fps: number;
}

/**
 * drawtext expansion text for the running timecode: the start timecode as a frame count plus the
 * frame number `n`, split into hours, minutes, seconds and frames at the nominal rate, with the
 * SMPTE drop-frame count at 29.97 and 59.94 when the start timecode is drop-frame (";").
 */
export function timecodeExpansion(start: TimecodeStart): { text: string } | { error: string } {
  const rate = Math.round(start.fps);
  if (!(rate >= 1)) return { error: `a running timecode needs a frame rate, and this clip's is ${start.fps}` };
  const tc = start.timecode ?? '00:00:00:00';
  const m = /^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$/.exec(tc);
  if (!m) return { error: `the source's timecode ${JSON.stringify(tc)} is not HH:MM:SS:FF` };
  const [hh, mm, ss, ff] = [m[1], m[2], m[3], m[5]].map(Number);
  const dropFrame = m[4] === ';' || m[4] === ',';
  const ntsc = Math.abs(start.fps - 30000 / 1001) < 0.01 || Math.abs(start.fps - 60000 / 1001) < 0.01;
  if (dropFrame && !ntsc) return { error: `the drop-frame timecode ${tc} does not exist at ${start.fps} fps` };
  if (ff >= rate) return { error: `the timecode ${tc} has frame ${ff}, which does not exist at ${rate} fps` };
  const minutes = hh * 60 + mm;
  const drop = dropFrame ? Math.round(rate / 15) : 0; // 2 at 30, 4 at 60
  const start0 = (minutes * 60 + ss) * rate + ff - drop * (minutes - Math.floor(minutes / 10));
  const f = `(${start0}+n)`;
  let shown = f;
  if (dropFrame) {
    const tenMinutes = rate * 600 - drop * 9;
    const minute = rate * 60 - drop;
    shown = `(${f}+${drop * 9}*floor(${f}/${tenMinutes})+${drop}*max(0,floor((mod(${f},${tenMinutes})-${drop})/${minute})))`;
  }
  const width = rate > 100 ? 3 : 2;
  const field = (expr: string, w = 2): string => `%{eif:${expr}:d:${w}}`;
  const text = [
    field(`mod(floor(${shown}/${rate * 3600}),24)`),
    ':',
    field(`mod(floor(${shown}/${rate * 60}),60)`),
    ':',
    field(`mod(floor(${shown}/${rate}),60)`),
    dropFrame ? ';' : ':',
    field(`mod(${shown},${rate})`, width),
  ].join('');
  return { text };
}

/** The text file's content for one position and one clip, or why it cannot be made. */
export function burnInFileText(template: string, naming: NamingContext, start: TimecodeStart | null): { text: string } | { error: string } {
  const { parts, errors } = parseBurnIn(template);
  if (errors.length) return { error: errors[0] };
  let out = '';
  for (const p of parts) {
    if (p.kind === 'text') out += drawtextLiteral(p.text);
    else if (p.token === 'frame') out += '%{frame_num}';
    else if (p.token === 'timecode') {
      if (!start) return { error: 'a running timecode needs the clip’s frame rate, and ffprobe reports none' };
      const tc = timecodeExpansion(start);
      if ('error' in tc) return tc;
      out += tc.text;
    } else out += drawtextLiteral(tokenValue(p.token, naming));
  }
  return { text: out };
}

/** A burn-in text as a person reads it before the run: names filled in, the running values described. */
export function burnInPreview(template: string, naming: NamingContext, timecode: string | null): string {
  return parseBurnIn(template)
    .parts.map((p) =>
      p.kind === 'text'
        ? p.text
        : p.token === 'timecode'
          ? `<timecode from ${timecode ?? '00:00:00:00'}>`
          : p.token === 'frame'
            ? '<frame number>'
            : tokenValue(p.token, naming),
    )
    .join('');
}

/** Whether a burn-in uses the running timecode (it then needs a known frame rate). */
export function usesTimecode(spec: BurnInSpec): boolean {
  return Object.values(spec.texts).some((t) => t !== undefined && /\{timecode\}/.test(t));
}

/** The drawtext filters for a proxy of `width`x`height`, one per position, reading the given text files. */
export function drawtextFilters(
  spec: BurnInSpec,
  files: { position: BurnInPosition; file: string }[],
  width: number,
  height: number,
): string[] {
  const size = Math.max(MIN_FONT_PX, Math.round(height * spec.font_size));
  const border = Math.max(2, Math.round(size * 0.25));
  const mx = Math.round(width * SAFE_MARGIN) + border;
  const my = Math.round(height * SAFE_MARGIN) + border;
  return files.map(({ position, file }) => {
    const [v, h] = position.split('_') as ['top' | 'bottom', 'left' | 'center' | 'right'];
    const x = h === 'left' ? String(mx) : h === 'center' ? '(w-text_w)/2' : `w-text_w-${mx}`;
    // Line height, not the text's own: a line keeps its place whatever glyphs it holds.
    const y = v === 'top' ? String(my) : `h-line_h-${my}`;
    const options: [string, string | number][] = [
      ['fontfile', spec.font_file],
      ['textfile', file],
      ['expansion', 'normal'],
      ['fontcolor', 'white'],
      ['fontsize', size],
      ['x', x],
      ['y', y],
    ];
    if (spec.box_opacity > 0)
      options.push(['box', 1], ['boxcolor', `black@${Math.round(spec.box_opacity * 1000) / 1000}`], ['boxborderw', border]);
    return filterWith('drawtext', options);
  });
}

// ---------------------------------------------------------------------------------------------
// The font: the JobSpec's, else one from the system.

/** Fonts tried first, in order: DejaVu Sans (Debian's fonts-dejavu-core), then common sans faces. */
const PREFERRED = ['DejaVuSans.ttf', 'LiberationSans-Regular.ttf', 'NotoSans-Regular.ttf', 'Arial.ttf', 'arial.ttf', 'Helvetica.ttc'];

/** The usual font folders; JOBSPEC_FONT_DIRS (path-separated) replaces them. */
export function fontFolders(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.JOBSPEC_FONT_DIRS !== undefined) return env.JOBSPEC_FONT_DIRS.split(path.delimiter).filter(Boolean);
  const home = os.homedir();
  return [
    '/usr/share/fonts',
    '/usr/local/share/fonts',
    path.join(home, '.local', 'share', 'fonts'),
    path.join(home, '.fonts'),
    '/System/Library/Fonts',
    '/Library/Fonts',
    path.join(process.env.WINDIR ?? 'C:\\Windows', 'Fonts'),
  ];
}

async function isFontFile(p: string): Promise<boolean> {
  if (!/\.(ttf|otf|ttc)$/i.test(p)) return false;
  const st = await fs.stat(p).catch(() => null);
  return !!st?.isFile() && st.size > 0;
}

async function fcMatch(): Promise<string | null> {
  const { fcMatchFile } = await import('./fontconfig');
  return fcMatchFile('DejaVu Sans:style=Book');
}

async function searchFolders(folders: string[]): Promise<string | null> {
  const found = new Map<string, string>();
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 5) return;
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p, depth + 1);
      else if (PREFERRED.includes(e.name) && !found.has(e.name)) found.set(e.name, p);
    }
  };
  for (const f of folders) await walk(f, 0);
  for (const name of PREFERRED) {
    const p = found.get(name);
    if (p && (await isFontFile(p))) return p;
  }
  return null;
}

let systemFont: Promise<string | null> | undefined;

/**
 * A system font for burn-ins: fontconfig's match for DejaVu Sans when fc-match is there (it honours
 * the system's configuration), else DejaVu Sans or another common sans face in the usual folders.
 * Looked up once per process.
 */
export function findSystemFont(): Promise<string | null> {
  systemFont ??= (async () => {
    const viaFontconfig = await fcMatch();
    if (viaFontconfig && (await isFontFile(viaFontconfig))) return viaFontconfig;
    return searchFolders(fontFolders());
  })();
  return systemFont;
}

export const NO_FONT_MESSAGE =
  'burn_in needs a font, and none was found on this system (fc-match found none, nor did a search of the usual font folders for DejaVu Sans, Liberation Sans, Noto Sans or Arial). Install one (Debian/Ubuntu: apt-get install fonts-dejavu-core), or set burn_in.font to a .ttf or .otf file.';
