// Presets (`preset`): a name for a bundle of proxy settings (codec, container, resolution, audio, and
// optionally a LUT, a burn-in, an encoder, a checksum). Built-ins carry the origin project's profile
// names (Venkmine/Proxx, backend/v2/proxy_profiles.py: the five profiles its ffmpeg engine runs, with
// the codec, container, size and audio each sets there). User presets live in `.jobspec/presets.json`,
// the first found walking up from the JobSpec's folder. A JobSpec's own fields win over its preset's;
// the merged fields are then validated like any JobSpec, so every rule holds whichever side set them.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as jsonc from 'jsonc-parser';

/** The fields a preset may set. */
export const PRESET_FIELDS = ['codec', 'container', 'resolution', 'audio', 'prores_encoder', 'lut', 'burn_in', 'source_checksum'] as const;
export type PresetField = (typeof PRESET_FIELDS)[number];
export type PresetFields = Partial<Record<PresetField, unknown>>;

export interface Preset {
  name: string;
  /** One line: what the preset makes. */
  description: string;
  fields: PresetFields;
  /** Where it is defined: the presets file, or `built-in`. */
  source: string;
}

const builtin = (name: string, description: string, fields: PresetFields): Preset => ({ name, description, fields, source: 'built-in' });

/** The built-in presets, named as the origin project names its ffmpeg proxy profiles, setting what each of those sets. */
export const BUILTIN_PRESETS: readonly Preset[] = [
  builtin('proxy_prores_proxy', 'ProRes 422 Proxy in mov at the source size, audio copied as it is.', {
    codec: 'prores_proxy',
    container: 'mov',
    resolution: 'same',
    audio: 'copy',
  }),
  builtin('proxy_prores_lt', 'ProRes 422 LT in mov at the source size, audio copied as it is.', {
    codec: 'prores_lt',
    container: 'mov',
    resolution: 'same',
    audio: 'copy',
  }),
  builtin('proxy_dnxhr_lb', 'DNxHR LB in mxf at the source size, audio as 24-bit PCM.', {
    codec: 'dnxhr_lb',
    container: 'mxf',
    resolution: 'same',
    audio: 'pcm',
  }),
  builtin('proxy_h264_low', 'H.264 in mp4 at half size, audio as AAC.', {
    codec: 'h264',
    container: 'mp4',
    resolution: 'half',
    audio: 'aac',
  }),
  builtin('proxy_h264_quarter', 'H.264 in mp4 at a quarter size, audio as AAC.', {
    codec: 'h264',
    container: 'mp4',
    resolution: 'quarter',
    audio: 'aac',
  }),
];

/** What a preset sets, in one line: "prores_proxy in mov, same size, audio copy". */
export function describePresetFields(fields: PresetFields): string {
  const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
  const parts: string[] = [];
  if (fields.codec !== undefined)
    parts.push(`${show(fields.codec)}${fields.container !== undefined ? ` in ${show(fields.container)}` : ''}`);
  else if (fields.container !== undefined) parts.push(`container ${show(fields.container)}`);
  if (fields.resolution !== undefined) parts.push(`resolution ${show(fields.resolution)}`);
  if (fields.audio !== undefined) parts.push(`audio ${show(fields.audio)}`);
  if (fields.prores_encoder !== undefined) parts.push(`encoder ${show(fields.prores_encoder)}`);
  if (fields.lut !== undefined) parts.push(`LUT ${show(fields.lut)}`);
  if (fields.burn_in !== undefined) parts.push('burn-in');
  if (fields.source_checksum !== undefined) parts.push(`checksum ${show(fields.source_checksum)}`);
  return parts.join(', ');
}

export const PRESETS_FILE = path.join('.jobspec', 'presets.json');

/** `.jobspec/presets.json` in `dir` or the nearest folder above it, or null. */
export async function findPresetsFile(dir: string): Promise<string | null> {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const candidate = path.join(d, PRESETS_FILE);
    const st = await fs.stat(candidate).catch(() => null);
    if (st?.isFile()) return candidate;
    if (path.dirname(d) === d) return null;
  }
}

export type PresetsLoad =
  { file: string | null; presets: Preset[]; error?: undefined } | { file: string; presets: Preset[]; error: string };

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function nearest(name: string, known: readonly string[]): string | undefined {
  const score = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length][b.length];
  };
  if (name.length > 64) return undefined;
  const best = known.map((k) => ({ k, d: score(name.toLowerCase(), k.toLowerCase()) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= Math.max(2, Math.floor(name.length / 3)) ? best.k : undefined;
}

/** A did-you-mean for a name among `known`, or an empty string. */
export function didYouMean(name: string, known: readonly string[]): string {
  const n = nearest(name, known);
  return n ? ` Did you mean "${n}"?` : '';
}

/**
 * The user presets of the JobSpec in `dir`. Paths inside a preset (`lut`, `burn_in.font`) are made
 * absolute against the folder that holds `.jobspec/`. A presets file that cannot be read or has the
 * wrong shape is an error naming the file and line.
 */
export async function loadUserPresets(dir: string): Promise<PresetsLoad> {
  const file = await findPresetsFile(dir);
  if (!file) return { file: null, presets: [] };
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    return { file, presets: [], error: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  const errors: jsonc.ParseError[] = [];
  const tree = jsonc.parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  if (errors.length || !tree) {
    const at = errors[0]?.offset ?? 0;
    return {
      file,
      presets: [],
      error: `${file}:${lineOf(text, at)}: not valid JSON (${jsonc.printParseErrorCode(errors[0]?.error ?? 0)})`,
    };
  }
  const value = jsonc.getNodeValue(tree) as unknown;
  const presetsNode = jsonc.findNodeAtLocation(tree, ['presets']);
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(value) || !presetsNode || !isObject((value as { presets?: unknown }).presets))
    return { file, presets: [], error: `${file}:1: expected {"presets": {"name": {"codec": …, "container": …, …}}}` };
  const extra = Object.keys(value).filter((k) => k !== 'presets' && k !== '$schema');
  if (extra.length) return { file, presets: [], error: `${file}: unknown top-level field "${extra[0]}"; the file holds "presets" only` };
  const root = path.dirname(path.dirname(file));
  const builtinNames = BUILTIN_PRESETS.map((p) => p.name);
  const presets: Preset[] = [];
  for (const [name, def] of Object.entries((value as { presets: Record<string, unknown> }).presets)) {
    const at = (key?: string): string => {
      const node = jsonc.findNodeAtLocation(tree, key ? ['presets', name, key] : ['presets', name]);
      return `${file}:${lineOf(text, node?.parent?.offset ?? node?.offset ?? 0)}`;
    };
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name))
      return {
        file,
        presets,
        error: `${at()}: preset name ${JSON.stringify(name.slice(0, 80))} may use only letters, digits, ".", "_" and "-" (1 to 64)`,
      };
    if (builtinNames.includes(name))
      return {
        file,
        presets,
        error: `${at()}: "${name}" is a built-in preset; give your preset another name so that it is clear which one a JobSpec means`,
      };
    if (!isObject(def)) return { file, presets, error: `${at()}: preset "${name}" must be an object of fields` };
    const fields: PresetFields = {};
    let description = '';
    for (const [key, v] of Object.entries(def)) {
      if (key === 'description') {
        if (typeof v !== 'string') return { file, presets, error: `${at(key)}: preset "${name}": description must be a string` };
        description = v;
        continue;
      }
      if (!(PRESET_FIELDS as readonly string[]).includes(key))
        return {
          file,
          presets,
          error: `${at(key)}: preset "${name}" has the field "${key.slice(0, 60)}", which a preset cannot set.${didYouMean(key, PRESET_FIELDS)} A preset sets: ${PRESET_FIELDS.join(', ')}, description.`,
        };
      fields[key as PresetField] = v;
    }
    // Paths in a preset mean the same wherever the JobSpec that names it lives.
    if (typeof fields.lut === 'string') fields.lut = path.resolve(root, fields.lut);
    if (isObject(fields.burn_in) && typeof fields.burn_in.font === 'string')
      fields.burn_in = { ...fields.burn_in, font: path.resolve(root, fields.burn_in.font) };
    presets.push({ name, description: description || describePresetFields(fields), fields, source: file });
  }
  return { file, presets };
}
