// The origin project's JobSpecs (`"jobspec_version": "2.1"`, Venkmine/Proxx backend/job_spec.py) read
// as a dialect: its 19 fields, `null` where it writes nulls, codec names in any case and `dnxhr`,
// containers and resolutions in any case. What that project does only through DaVinci Resolve
// (`resolve_preset`, its `*_resolve` profiles, a Resolve edition, a LUT from its registry) is refused
// by field name; a `proxy_profile` that disagrees with `codec` or `container` is refused naming both.
// A file that passes becomes this tool's format (translate), is then checked by every rule of it, and
// `jobspec convert` writes that translation out.
import { BUILTIN_PRESETS, didYouMean } from './presets';
import type { Problem } from './types';

export const ORIGIN_VERSION = '2.1';

/** Fields both formats have, with the same meaning. */
export const SHARED_FIELDS = [
  'jobspec_version',
  'job_id',
  'sources',
  'output_directory',
  'codec',
  'container',
  'resolution',
  'fps_mode',
  'fps_explicit',
  'naming_template',
  'created_at',
] as const;

/** The origin's KNOWN_FIELDS (backend/job_spec.py): the only fields a 2.1 file may hold. */
export const ORIGIN_FIELDS = [
  ...SHARED_FIELDS,
  'resolved_tokens',
  'resolve_preset',
  'proxy_profile',
  'requires_resolve_edition',
  'lut_id',
  'lut_applied',
  'lut_engine',
  'execution_requested',
] as const;

/** Fields of the origin's runs or queue, which say nothing about the proxy to make: accepted and left out. */
export const ORIGIN_INFORMATIONAL = ['resolved_tokens', 'lut_applied', 'lut_engine', 'execution_requested'] as const;

interface OriginProfile {
  engine: 'ffmpeg' | 'resolve';
  codec: string;
  container: string;
  /** The origin's resolution policy, as this tool's resolution. */
  resolution: 'same' | 'half' | 'quarter';
}

/** The origin's profiles (backend/v2/proxy_profiles.py). The ffmpeg ones are this tool's built-in presets of the same names. */
export const ORIGIN_PROFILES: Readonly<Record<string, OriginProfile>> = {
  proxy_h264_low: { engine: 'ffmpeg', codec: 'h264', container: 'mp4', resolution: 'half' },
  proxy_prores_proxy: { engine: 'ffmpeg', codec: 'prores_proxy', container: 'mov', resolution: 'same' },
  proxy_prores_lt: { engine: 'ffmpeg', codec: 'prores_lt', container: 'mov', resolution: 'same' },
  proxy_dnxhr_lb: { engine: 'ffmpeg', codec: 'dnxhr', container: 'mxf', resolution: 'same' },
  proxy_h264_quarter: { engine: 'ffmpeg', codec: 'h264', container: 'mp4', resolution: 'quarter' },
  proxy_prores_proxy_resolve: { engine: 'resolve', codec: 'prores_proxy', container: 'mov', resolution: 'same' },
  proxy_prores_lt_resolve: { engine: 'resolve', codec: 'prores_lt', container: 'mov', resolution: 'same' },
  proxy_prores_hq_resolve: { engine: 'resolve', codec: 'prores_hq', container: 'mov', resolution: 'same' },
  proxy_dnxhr_lb_resolve: { engine: 'resolve', codec: 'dnxhr', container: 'mxf', resolution: 'same' },
  proxy_dnxhr_sq_resolve: { engine: 'resolve', codec: 'dnxhr', container: 'mxf', resolution: 'same' },
};

export function isOriginJobSpec(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>).jobspec_version === ORIGIN_VERSION;
}

/** The origin's codec name as this tool's (`dnxhr` is DNxHR LB, as its ffmpeg engine makes it). */
export function originCodec(codec: string): string {
  const c = codec.toLowerCase();
  return c === 'dnxhr' ? 'dnxhr_lb' : c;
}

function sameCodec(a: string, b: string): boolean {
  const norm = (c: string): string => (originCodec(c) === 'hevc' ? 'h265' : originCodec(c));
  return norm(a) === norm(b);
}

const normContainer = (c: string): string => c.toLowerCase().replace(/^\./, '');

function problem(pointer: string, code: string, message: string, severity: Problem['severity'] = 'error'): Problem {
  return { pointer, code, message, severity, kind: 'meaning' };
}

const RESOLVE_EQUIVALENT: Readonly<Record<string, string>> = {
  proxy_prores_proxy_resolve: 'proxy_prores_proxy',
  proxy_prores_lt_resolve: 'proxy_prores_lt',
  proxy_dnxhr_lb_resolve: 'proxy_dnxhr_lb',
};

export interface OriginCheck {
  problems: Problem[];
  /** The same job in this tool's format (fields of the wrong type are left out: the schema has named them). */
  translated: Record<string, unknown>;
  /** What was left out, field by field, and why (the converter says so). */
  dropped: { field: string; why: string }[];
}

/** Check what only this dialect knows, and translate the file to this tool's format. */
export function checkOrigin(obj: Record<string, unknown>): OriginCheck {
  const problems: Problem[] = [];
  const dropped: OriginCheck['dropped'] = [];
  const str = (k: string): string | undefined => (typeof obj[k] === 'string' ? obj[k] : undefined);

  const resolvePreset = obj.resolve_preset;
  if (typeof resolvePreset === 'string')
    problems.push(
      problem(
        '/resolve_preset',
        'origin-needs-resolve',
        `resolve_preset ${JSON.stringify(resolvePreset)} asks for a DaVinci Resolve render preset, and this tool makes proxies with ffmpeg and does not drive Resolve. Remove resolve_preset (with "proxy_profile" set to an ffmpeg profile such as "proxy_prores_proxy"), or render this job in Resolve.`,
      ),
    );
  const edition = obj.requires_resolve_edition;
  if (edition === 'free' || edition === 'studio')
    problems.push(
      problem(
        '/requires_resolve_edition',
        'origin-needs-resolve',
        `requires_resolve_edition "${edition}" says this job needs DaVinci Resolve ${edition === 'studio' ? 'Studio' : '(free)'}, which this tool does not drive. Set it to "either" for a job ffmpeg can make.`,
      ),
    );
  const lutId = obj.lut_id;
  if (typeof lutId === 'string')
    problems.push(
      problem(
        '/lut_id',
        'origin-lut-registry',
        `lut_id ${JSON.stringify(lutId)} names a LUT in the origin project's LUT registry, which this tool cannot read. Set lut_id to null here, or convert the file (jobspec convert) and set "lut" to the .cube or .3dl file.`,
      ),
    );

  const profileName = str('proxy_profile');
  let preset: string | undefined;
  if (profileName !== undefined) {
    const profile = ORIGIN_PROFILES[profileName];
    if (!profile) {
      const ffmpegProfiles = Object.keys(ORIGIN_PROFILES).filter((k) => ORIGIN_PROFILES[k].engine === 'ffmpeg');
      problems.push(
        problem(
          '/proxy_profile',
          'origin-unknown-profile',
          `Unknown proxy_profile ${JSON.stringify(profileName.slice(0, 80))}.${didYouMean(profileName, Object.keys(ORIGIN_PROFILES))} The origin project's ffmpeg profiles are: ${ffmpegProfiles.join(', ')}.`,
        ),
      );
    } else if (profile.engine === 'resolve') {
      const instead = RESOLVE_EQUIVALENT[profileName];
      problems.push(
        problem(
          '/proxy_profile',
          'origin-needs-resolve',
          `proxy_profile "${profileName}" renders through DaVinci Resolve (one of the origin project's Resolve profiles, for RAW sources), which this tool does not drive.${instead ? ` For an ffmpeg proxy of a non-RAW source use "${instead}".` : ''}`,
        ),
      );
    } else {
      preset = profileName;
      const codec = str('codec');
      const container = str('container');
      if (codec !== undefined && !sameCodec(codec, profile.codec))
        problems.push(
          problem(
            '/codec',
            'origin-profile-mismatch',
            `proxy_profile "${profileName}" makes ${profile.codec} in ${profile.container}, but codec is ${JSON.stringify(codec)}: the two disagree. Make codec "${profile.codec}", or choose the profile for ${codec}.`,
          ),
        );
      if (container !== undefined && normContainer(container) !== profile.container)
        problems.push(
          problem(
            '/container',
            'origin-profile-mismatch',
            `proxy_profile "${profileName}" makes ${profile.codec} in ${profile.container}, but container is ${JSON.stringify(container)}: the two disagree. Make container "${profile.container}", or choose a profile for ${normContainer(container)}.`,
          ),
        );
      const resolution = str('resolution')?.toLowerCase();
      if (resolution !== undefined && resolution !== profile.resolution)
        problems.push(
          problem(
            '/resolution',
            'origin-profile-resolution',
            `proxy_profile "${profileName}" is at ${profile.resolution === 'same' ? 'the source size' : `${profile.resolution} size`}, but resolution is ${JSON.stringify(resolution)}; resolution is used.`,
            'warning',
          ),
        );
    }
  }
  if (typeof obj.fps_explicit === 'number' && obj.fps_mode !== 'explicit')
    problems.push(
      problem(
        '/fps_explicit',
        'origin-fps-ignored',
        `fps_explicit ${obj.fps_explicit} is ignored because fps_mode is not "explicit" (the origin project ignores it too); each proxy keeps its source's frame rate.`,
        'warning',
      ),
    );

  // The same job in this tool's format. Values of the wrong type are left out: the schema has named them.
  const translated: Record<string, unknown> = { jobspec_version: '1' };
  for (const k of ['job_id', 'output_directory', 'naming_template', 'fps_mode', 'created_at']) {
    if (typeof obj[k] === 'string') translated[k] = obj[k];
  }
  if (Array.isArray(obj.sources)) translated.sources = obj.sources;
  if (preset) translated.preset = preset;
  const codec = str('codec');
  if (codec !== undefined) translated.codec = originCodec(codec);
  const container = str('container');
  if (container !== undefined) translated.container = normContainer(container);
  const resolution = str('resolution');
  if (resolution !== undefined) translated.resolution = resolution.toLowerCase();
  if (typeof obj.fps_explicit === 'number' && obj.fps_mode === 'explicit') translated.fps_explicit = obj.fps_explicit;
  else if (typeof obj.fps_explicit === 'number')
    dropped.push({ field: 'fps_explicit', why: 'fps_mode is not "explicit", so it was never applied' });

  for (const k of ORIGIN_INFORMATIONAL) {
    if (obj[k] !== undefined)
      dropped.push({
        field: k,
        why:
          k === 'execution_requested'
            ? "the origin project's queue flag; running the file is the request here"
            : "written by the origin project's runs; it does not describe the proxy",
      });
  }
  for (const k of ['resolve_preset', 'lut_id', 'proxy_profile'] as const) {
    if (obj[k] === null) dropped.push({ field: k, why: 'null' });
  }
  if (obj.requires_resolve_edition === 'either' || obj.requires_resolve_edition === null)
    dropped.push({
      field: 'requires_resolve_edition',
      why: `${JSON.stringify(obj.requires_resolve_edition)}: no Resolve edition is needed`,
    });
  if (obj.fps_explicit === null) dropped.push({ field: 'fps_explicit', why: 'null' });
  return { problems, translated, dropped };
}

/** Built-in preset names that are origin profiles too (all of them): a unit test keeps the two tables in step. */
export const ORIGIN_PRESET_NAMES = BUILTIN_PRESETS.map((p) => p.name).filter((n) => ORIGIN_PROFILES[n]?.engine === 'ffmpeg');
