// Verify a finished proxy before calling it COMPLETED: codec and profile, frame size, duration, audio, timecode.
import { audioPlan, fileUrl, type SourceInfo } from './ffmpeg';
import { runGuarded } from './guard';
import type { Tools } from './tools';
import type { Codec, JobSpec, VerificationCheck } from './types';

interface OutStream {
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  duration?: string;
  avg_frame_rate?: string;
  nb_read_packets?: string;
  tags?: Record<string, string>;
}

const EXPECTED_CODEC: Record<Codec, string> = {
  prores_proxy: 'prores',
  prores_lt: 'prores',
  prores_standard: 'prores',
  prores_hq: 'prores',
  prores_4444: 'prores',
  dnxhr_lb: 'dnxhd',
  dnxhr_sq: 'dnxhd',
  dnxhr_hq: 'dnxhd',
  dnxhd: 'dnxhd',
  h264: 'h264',
  h265: 'hevc',
  vp9: 'vp9',
  av1: 'av1',
};

/** ffprobe's profile names, lower-cased, for the codecs whose profile is the point of the choice. */
const EXPECTED_PROFILE: Partial<Record<Codec, string[]>> = {
  prores_proxy: ['proxy'],
  prores_lt: ['lt'],
  prores_standard: ['standard'],
  prores_hq: ['hq'],
  prores_4444: ['4444'],
  dnxhr_lb: ['dnxhr lb'],
  dnxhr_sq: ['dnxhr sq'],
  dnxhr_hq: ['dnxhr hq'],
  dnxhd: ['dnxhd'],
};

export interface Expectation {
  width: number;
  height: number;
  /** Output frame rate, for the one-frame duration tolerance. */
  fps: number | null;
  /** Video frames ffmpeg reports it wrote: the proxy must hold every one of them. */
  frames: number;
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
  'stream=codec_type,codec_name,profile,width,height,duration,avg_frame_rate,nb_read_packets:stream_tags=timecode:format=duration:format_tags=timecode',
];

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
): Promise<VerificationCheck[]> {
  const run = await runGuarded(tools.guard, tools.ffprobe, VERIFY_PROBE_ARGS.concat(fileUrl(output)), {
    reject: false,
    stdin: 'ignore',
    timeout: 120_000,
  });
  const checks: VerificationCheck[] = [];
  let json: { streams?: OutStream[]; format?: { duration?: string; tags?: Record<string, string> } } = {};
  try {
    json = JSON.parse(String(run.stdout) || '{}') as typeof json;
  } catch {
    json = {};
  }
  if (run.exitCode !== 0 || !json.streams) {
    return [
      {
        name: 'readable',
        ok: false,
        expected: 'ffprobe reads the proxy',
        actual: String(run.stderr).trim().split('\n').pop() ?? `exit ${run.exitCode}`,
      },
    ];
  }
  const video = json.streams.find((s) => s.codec_type === 'video');
  checks.push({ name: 'video stream', ok: !!video, expected: 'present', actual: video ? 'present' : 'missing' });
  if (!video) return checks;

  const codec = EXPECTED_CODEC[spec.codec];
  checks.push({ name: 'codec', ok: video.codec_name === codec, expected: codec, actual: video.codec_name ?? 'unknown' });
  const profiles = EXPECTED_PROFILE[spec.codec];
  if (profiles) {
    const actual = (video.profile ?? '').toLowerCase();
    checks.push({
      name: 'profile',
      ok: profiles.some((p) => actual === p || actual.startsWith(p)),
      expected: profiles.join(' or '),
      actual: video.profile ?? 'unknown',
    });
  }
  checks.push({
    name: 'frame size',
    ok: video.width === want.width && video.height === want.height,
    expected: `${want.width}x${want.height}`,
    actual: `${video.width}x${video.height}`,
  });

  const frames = Number(video.nb_read_packets ?? NaN);
  checks.push({
    name: 'frame count',
    ok: frames === want.frames,
    expected: `${want.frames} (as ffmpeg wrote them)`,
    actual: Number.isFinite(frames) ? String(frames) : 'unreadable',
  });

  const outDuration = Number(json.format?.duration ?? video.duration ?? NaN);
  if (ESTIMATED.test(String(run.stderr))) {
    checks.push({
      name: 'duration',
      ok: false,
      expected: 'a duration in the file',
      actual: `unreadable (the file states none; ffprobe estimated ${Number.isFinite(outDuration) ? `${outDuration.toFixed(3)}s` : 'one'} from its bitrate)`,
    });
  } else if (!Number.isFinite(outDuration) || outDuration <= 0) {
    checks.push({ name: 'duration', ok: false, expected: 'a duration in the file', actual: 'unreadable' });
  } else if (source.durationSeconds) {
    // One frame of the output, plus one of the source, as both ends round to frames.
    const frame = (want.fps ? 1 / want.fps : 0.05) + (source.fps ? 1 / source.fps : 0);
    const diff = Math.abs(outDuration - source.durationSeconds);
    checks.push({
      name: 'duration',
      ok: diff <= frame + 0.001,
      expected: `${source.durationSeconds.toFixed(3)}s ±${frame.toFixed(3)}s`,
      actual: `${outDuration.toFixed(3)}s`,
    });
  }

  const wantsAudio = audioPlan(spec, source.audioCodecs) !== null;
  const audioCount = json.streams.filter((s) => s.codec_type === 'audio').length;
  checks.push({
    name: 'audio',
    ok: wantsAudio ? audioCount === source.audioCodecs.length : audioCount === 0,
    expected: wantsAudio ? `${source.audioCodecs.length} stream(s)` : 'none',
    actual: `${audioCount} stream(s)`,
  });

  if (source.timecode && spec.container !== 'webm') {
    // Matroska stores its tags upper-case (TIMECODE), mov and mxf lower-case.
    const tcOf = (tags?: Record<string, string>): string | undefined => tags?.timecode ?? tags?.TIMECODE;
    const tc = tcOf(json.format?.tags) ?? json.streams.map((s) => tcOf(s.tags)).find((t) => typeof t === 'string');
    checks.push({ name: 'timecode', ok: tc === source.timecode, expected: source.timecode, actual: tc ?? 'none' });
  }
  return checks;
}
