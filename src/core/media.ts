// What an editing system checks when it relinks a proxy to its source, read the same way from both:
// frame rate and count, the picture as displayed (rotation and pixel aspect applied), field order,
// colour tags, each audio stream's channels, layout and rate, timecode and reel name. The source's
// facts come from its one probe (and ffmpeg's own count of the frames it read); the proxy's from the
// verification probe. Reports carry both side by side.

export interface AudioFacts {
  codec: string;
  channels: number;
  /** ffprobe's name, e.g. "stereo", "5.1(side)", "mono"; null when the file does not say. */
  layout: string | null;
  sample_rate: number;
}

export interface ColorFacts {
  primaries: string | null;
  transfer: string | null;
  matrix: string | null;
  range: string | null;
}

export interface MediaFacts {
  /** Stored frame size. */
  width: number;
  height: number;
  /** Sample (pixel) aspect ratio, "1:1" when square or unknown. */
  sar: string;
  /** Display rotation in degrees as ffprobe reports it (0, 90, 180 or 270): 90 and 270 turn the picture on its side. */
  rotation: number;
  /** The picture as displayed: pixel aspect applied, then rotation. */
  display_width: number;
  display_height: number;
  /** display_width / display_height, to 4 decimals. */
  display_aspect: number;
  /** As a fraction ("24000/1001"); null when unknown. */
  frame_rate: string | null;
  fps: number | null;
  /** Video frames: counted in the proxy; read by ffmpeg from the source (before that, the header's count). Null when not known. */
  frames: number | null;
  /** The video stream's own duration in seconds (not the longest stream's). */
  duration: number | null;
  /** progressive, tt, bb, tb, bt; null when unknown. */
  field_order: string | null;
  color: ColorFacts;
  audio: AudioFacts[];
  timecode: string | null;
  reel: string | null;
}

/** The fields ffprobe's JSON gives per stream that the facts are read from. */
export interface ProbeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  pix_fmt?: string;
  field_order?: string;
  color_range?: string;
  color_space?: string;
  color_transfer?: string;
  color_primaries?: string;
  duration?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  sample_rate?: string;
  channels?: number;
  channel_layout?: string;
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
  disposition?: { attached_pic?: number };
}

export interface ProbeFormat {
  duration?: string;
  tags?: Record<string, string>;
}

export function fractionToNumber(f: string | undefined | null): number | null {
  if (!f) return null;
  const [n, d] = f.split(/[/:]/).map(Number);
  if (!Number.isFinite(n) || !d || !Number.isFinite(d) || n <= 0) return null;
  return n / d;
}

/** The picture stream: the first video stream that is not cover art. */
export function pictureStream(streams: ProbeStream[]): ProbeStream | undefined {
  return streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic && (s.width ?? 0) > 0);
}

function rotationOf(s: ProbeStream): number {
  // The display matrix's angle as ffprobe reports it (an older file's "rotate" tag means the same).
  const raw = s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation ?? Number(s.tags?.rotate ?? 0);
  if (!Number.isFinite(raw)) return 0;
  return (((Math.round(raw / 90) * 90) % 360) + 360) % 360;
}

function tag(tags: Record<string, string> | undefined, name: string): string | undefined {
  if (!tags) return undefined;
  // Matroska stores its tags upper-case (TIMECODE), mov and mxf lower-case.
  return tags[name] ?? tags[name.toUpperCase()];
}

/** "01:02:03.5" → 3723.5; undefined for anything else. */
function hmsSeconds(v: string | undefined): number | undefined {
  const m = v ? /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(v) : null;
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

const known = (v: string | undefined): string | null => (v && v !== 'unknown' && v !== 'unspecified' ? v : null);

/** The relink facts of a file from ffprobe's streams and format. `frames` only when packets were counted. */
export function mediaFacts(streams: ProbeStream[], format: ProbeFormat | undefined): MediaFacts | null {
  const v = pictureStream(streams);
  if (!v) return null;
  const width = v.width ?? 0;
  const height = v.height ?? 0;
  const sarRaw = v.sample_aspect_ratio && !v.sample_aspect_ratio.startsWith('0:') ? v.sample_aspect_ratio : '1:1';
  const sar = fractionToNumber(sarRaw) ?? 1;
  const rotation = rotationOf(v);
  const shownW = Math.round(width * sar);
  const [dw, dh] = rotation % 180 === 0 ? [shownW, height] : [height, shownW];
  const avg = fractionToNumber(v.avg_frame_rate) ? v.avg_frame_rate : undefined;
  const rate = avg ?? (fractionToNumber(v.r_frame_rate) ? v.r_frame_rate : undefined) ?? null;
  // Counted by demuxing when asked for (-count_packets); else what the header says, if it says.
  const counted = Number(v.nb_read_packets ?? v.nb_frames ?? NaN);
  // Matroska and WebM state each track's duration as a DURATION tag ("00:00:02.000000000"), not in the header.
  const duration = Number(v.duration ?? hmsSeconds(tag(v.tags, 'duration')) ?? NaN);
  const timecode = tag(format?.tags, 'timecode') ?? streams.map((s) => tag(s.tags, 'timecode')).find((t) => typeof t === 'string') ?? null;
  const reel = tag(format?.tags, 'reel_name') ?? streams.map((s) => tag(s.tags, 'reel_name')).find((t) => typeof t === 'string') ?? null;
  return {
    width,
    height,
    sar: sarRaw,
    rotation,
    display_width: dw,
    display_height: dh,
    display_aspect: dh > 0 ? Math.round((dw / dh) * 10000) / 10000 : 0,
    frame_rate: rate,
    fps: fractionToNumber(rate),
    frames: Number.isFinite(counted) ? counted : null,
    duration: Number.isFinite(duration) && duration > 0 ? duration : null,
    field_order: known(v.field_order),
    color: {
      primaries: known(v.color_primaries),
      transfer: known(v.color_transfer),
      matrix: known(v.color_space),
      range: known(v.color_range),
    },
    audio: streams
      .filter((s) => s.codec_type === 'audio')
      .map((s) => ({
        codec: s.codec_name ?? 'unknown',
        channels: s.channels ?? 0,
        layout: known(s.channel_layout),
        sample_rate: Number(s.sample_rate ?? 0),
      })),
    timecode,
    reel,
  };
}

export function isInterlaced(fieldOrder: string | null): boolean {
  return fieldOrder === 'tt' || fieldOrder === 'bb' || fieldOrder === 'tb' || fieldOrder === 'bt';
}

/** One line for an audio stream: "2 ch stereo 48000 Hz". */
export function describeAudio(a: Pick<AudioFacts, 'channels' | 'layout' | 'sample_rate'>): string {
  return `${a.channels} ch${a.layout ? ` ${a.layout}` : ''} ${a.sample_rate} Hz`;
}
