// Verify a finished proxy before calling it COMPLETED, the way editing systems check a proxy before
// they relink it: the codec and profile asked for, every frame ffmpeg wrote, and then each relink
// rule as a named check against the source: frame rate, frame count, the picture as displayed, field
// order, colour tags, each audio stream's channels, layout and rate, timecode, reel name, and the
// video's duration. What the source's side needs comes from its one probe and ffmpeg's statistics:
// the source is never read again.
import { fileUrl, type SourceInfo } from './ffmpeg';
import { audioPlan, codecDef, containerDef } from './formats';
import { runGuarded } from './guard';
import { describeAudio, isInterlaced, mediaFacts, type AudioFacts, type MediaFacts, type ProbeFormat, type ProbeStream } from './media';
import type { Tools } from './tools';
import type { JobSpec, VerificationCheck } from './types';

export interface Expectation {
  width: number;
  height: number;
  /** Output frame rate, for the one-frame duration tolerance. */
  fps: number | null;
  /** Video frames ffmpeg reports it wrote: the proxy must hold every one of them. */
  frames: number;
  /** Video frames ffmpeg read from the source (same-as-source: the proxy must have as many); null when conformed or unknown. */
  sourceFrames: number | null;
}

/** One audio stream of the proxy as the JobSpec's `audio` policy makes it, and why it differs from the source's, if it does. */
export interface PlannedAudio extends AudioFacts {
  change?: string;
}

/** Each source audio stream as the proxy will carry it (empty: no audio in the proxy). */
export function plannedAudio(spec: Pick<JobSpec, 'audio' | 'container'>, source: AudioFacts[]): PlannedAudio[] {
  const plan = audioPlan(
    spec,
    source.map((a) => a.codec),
  );
  if (!plan) return [];
  return source.map((a) => {
    const out: PlannedAudio = { ...a, codec: plan.codec === 'copy' ? a.codec : plan.codec };
    if (plan.args.includes('-ar')) {
      const rate = Number(plan.args[plan.args.indexOf('-ar') + 1]);
      if (rate !== a.sample_rate) {
        out.sample_rate = rate;
        out.change = `resampled from ${a.sample_rate} Hz to ${rate} Hz: ${spec.container} holds ${rate / 1000} kHz PCM only`;
      }
    } else if (plan.codec === 'libopus' && a.sample_rate !== 48000) {
      out.sample_rate = 48000;
      out.change = `resampled from ${a.sample_rate} Hz to 48000 Hz: Opus (audio "auto" in webm) runs at 48 kHz`;
    }
    return out;
  });
}

/** What the proxy of a clip will be, as the source's facts and the JobSpec make it (the dry run shows this). */
export function expectedProxy(
  spec: JobSpec,
  info: SourceInfo,
  size: { width: number; height: number },
): MediaFacts & { audio: PlannedAudio[] } {
  const conform = spec.fps_mode === 'explicit' && spec.fps_explicit ? spec.fps_explicit : null;
  const container = containerDef(spec.container);
  return {
    width: size.width,
    height: size.height,
    sar: '1:1',
    rotation: 0,
    display_width: size.width,
    display_height: size.height,
    display_aspect: Math.round((size.width / size.height) * 10000) / 10000,
    frame_rate: conform === null ? info.frame_rate : String(conform),
    fps: conform ?? info.fps,
    frames: conform === null ? info.frames : null,
    duration: info.duration,
    field_order: isInterlaced(info.field_order) ? info.field_order : 'progressive',
    color: { ...info.color },
    audio: plannedAudio(spec, info.audio),
    timecode: container.timecode ? info.timecode : null,
    reel: container.reel ? info.reel : null,
  };
}

/**
 * Every container the runner writes (mov, mp4, mxf, mkv, webm) states codec, profile, frame size,
 * duration and timecode in its header, so ffprobe need not read into the picture to find them: a
 * tiny probe size keeps this per-clip probe cheap. The frames are counted by demuxing alone
 * (`-count_packets`, no decoding): a proxy cut short by a full disk holds fewer than ffmpeg wrote.
 * Warnings are asked for because one of them says that the duration was not read from the file
 * but estimated from its size and bitrate (see ESTIMATED).
 */
const VERIFY_PROBE_ARGS = [
  '-v',
  'warning',
  '-probesize',
  '32',
  '-analyzeduration',
  '0',
  '-count_packets',
  '-print_format',
  'json',
  '-show_entries',
  [
    'stream=codec_type,codec_name,profile,width,height,sample_aspect_ratio,duration,avg_frame_rate,r_frame_rate,nb_read_packets,field_order',
    'color_range,color_space,color_transfer,color_primaries,channels,channel_layout,sample_rate',
  ].join(',') + ':stream_tags=timecode,reel_name,rotate,DURATION:stream_side_data=rotation:format=duration:format_tags=timecode,reel_name',
];

export interface Verification {
  checks: VerificationCheck[];
  /** The proxy's relink facts as read back; null when it could not be read. */
  proxy: MediaFacts | null;
}

function close(a: number, b: number, relative: number): boolean {
  return Math.abs(a - b) <= Math.abs(b) * relative;
}

/**
 * ffprobe's warning when a file states no duration (a muxer that could not go back to write it: an
 * unseekable output, a write that failed): the duration it prints is then a guess from the file's
 * size and its streams' bitrates, not something the proxy holds.
 */
const ESTIMATED = /Estimating duration from bitrate/i;

export async function verifyOutput(
  tools: Tools,
  spec: JobSpec,
  source: SourceInfo,
  output: string,
  want: Expectation,
): Promise<Verification> {
  const run = await runGuarded(tools.guard, tools.ffprobe, VERIFY_PROBE_ARGS.concat(fileUrl(output)), {
    reject: false,
    stdin: 'ignore',
    timeout: 120_000,
  });
  let json: { streams?: ProbeStream[]; format?: ProbeFormat } = {};
  try {
    json = JSON.parse(String(run.stdout) || '{}') as typeof json;
  } catch {
    json = {};
  }
  if (run.exitCode !== 0 || !json.streams) {
    const why = String(run.stderr).trim().split('\n').pop() || `exit ${run.exitCode}`;
    return { checks: [{ name: 'readable', ok: false, expected: 'ffprobe reads the proxy', actual: why }], proxy: null };
  }
  const checks: VerificationCheck[] = [];
  const check = (name: string, ok: boolean, expected: string, actual: string, note?: string): void => {
    checks.push({ name, ok, expected, actual, ...(note ? { note } : {}) });
  };
  const video = json.streams.find((s) => s.codec_type === 'video');
  const proxy = mediaFacts(json.streams, json.format);
  check('video stream', !!video && !!proxy, 'present', video ? 'present' : 'missing');
  if (!video || !proxy) return { checks, proxy };

  const expected = codecDef(spec.codec).verify;
  check('codec', video.codec_name === expected.codecName, expected.codecName, video.codec_name ?? 'unknown');
  if (expected.profiles) {
    const actual = (video.profile ?? '').toLowerCase();
    const ok = expected.profiles.some((p) => actual === p || actual.startsWith(p));
    check('profile', ok, expected.profiles.join(' or '), video.profile ?? 'unknown');
  }
  check(
    'frame size',
    proxy.width === want.width && proxy.height === want.height,
    `${want.width}x${want.height}`,
    `${proxy.width}x${proxy.height}`,
  );
  // The picture as displayed, against the source's as displayed (rotation and pixel aspect applied):
  // a portrait clip squeezed into a landscape frame fails here whatever size the runner computed.
  const evenRounding = 2.5 / Math.min(want.width, want.height);
  check(
    'display aspect',
    close(proxy.display_aspect, source.display_aspect, Math.max(0.005, evenRounding)) && proxy.sar === '1:1',
    `${source.display_aspect} (${source.display_width}x${source.display_height} as displayed), square pixels`,
    `${proxy.display_aspect} (${proxy.display_width}x${proxy.display_height}, pixel aspect ${proxy.sar})`,
  );

  check(
    'frame count',
    proxy.frames === want.frames,
    `${want.frames} (as ffmpeg wrote them)`,
    proxy.frames === null ? 'unreadable' : String(proxy.frames),
  );
  if (want.sourceFrames !== null) {
    check('source frames', proxy.frames === want.sourceFrames, `${want.sourceFrames} (the source's)`, String(proxy.frames));
  }
  if (want.fps !== null) {
    // avg_frame_rate of a variable-rate proxy may round differently: 0.1 % is far below one frame in a thousand.
    check('frame rate', proxy.fps !== null && close(proxy.fps, want.fps, 0.001), want.fps.toFixed(3), proxy.fps?.toFixed(3) ?? 'unknown');
  }
  const sourceInterlaced = isInterlaced(source.field_order);
  const fieldOk = sourceInterlaced ? proxy.field_order === source.field_order : !isInterlaced(proxy.field_order);
  check('field order', fieldOk, sourceInterlaced ? String(source.field_order) : 'progressive', proxy.field_order ?? 'unknown');
  for (const key of ['primaries', 'transfer', 'matrix', 'range'] as const) {
    const s = source.color[key];
    if (s) check(`colour ${key}`, proxy.color[key] === s, s, proxy.color[key] ?? 'untagged');
  }

  // Durations compare video with video: audio that runs longer than the picture (phone clips) or a
  // longer second video stream must not fail a good proxy.
  // The file must state a duration (the video's own, or at least the whole file's): one that ffprobe
  // has to guess means the muxer never finished writing it.
  const outDuration = proxy.duration;
  const formatDuration = Number(json.format?.duration ?? NaN);
  if (ESTIMATED.test(String(run.stderr))) {
    check(
      'duration',
      false,
      'a duration in the file',
      `unreadable (the file states none; ffprobe estimated ${Number.isFinite(formatDuration) ? `${formatDuration.toFixed(3)}s` : 'one'} from its bitrate)`,
    );
  } else if (outDuration === null && !(Number.isFinite(formatDuration) && formatDuration > 0)) {
    check('duration', false, 'a duration in the file', 'unreadable');
  } else if (outDuration !== null && source.duration) {
    // One frame of the output, plus one of the source, as both ends round to frames.
    const frame = (want.fps ? 1 / want.fps : 0.05) + (source.fps ? 1 / source.fps : 0);
    check(
      'duration',
      Math.abs(outDuration - source.duration) <= frame + 0.001,
      `${source.duration.toFixed(3)}s ±${frame.toFixed(3)}s (video)`,
      `${outDuration.toFixed(3)}s`,
    );
  }

  const planned = plannedAudio(spec, source.audio);
  check('audio streams', proxy.audio.length === planned.length, `${planned.length}`, `${proxy.audio.length}`);
  planned.forEach((p, i) => {
    const got = proxy.audio[i];
    if (!got) return;
    // mxf and Matroska PCM store no layout: a layout is compared only where both files state one.
    const layoutOk = p.layout === null || got.layout === null || got.layout === p.layout;
    check(
      `audio ${i + 1}`,
      got.channels === p.channels && layoutOk && got.sample_rate === p.sample_rate,
      describeAudio(p),
      describeAudio(got),
      p.change,
    );
  });

  const container = containerDef(spec.container);
  if (source.timecode && container.timecode)
    check('timecode', proxy.timecode === source.timecode, source.timecode, proxy.timecode ?? 'none');
  if (source.reel && container.reel) check('reel', proxy.reel === source.reel, source.reel, proxy.reel ?? 'none');
  return { checks, proxy };
}
