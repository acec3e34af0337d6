// What ffmpeg says on stderr (run with `-loglevel level+verbose`): its diagnostics, by level, and the
// final statistics it prints for every stream, which tell how many frames it read from the source and
// wrote to the proxy without anything reading either file again.

export type FfLevel = 'quiet' | 'panic' | 'fatal' | 'error' | 'warning' | 'info' | 'verbose' | 'debug' | 'trace';

const LEVELS: readonly FfLevel[] = ['quiet', 'panic', 'fatal', 'error', 'warning', 'info', 'verbose', 'debug', 'trace'];

export interface StreamStats {
  /** Input streams: packets demuxed, frames decoded. */
  packetsRead?: number;
  framesDecoded?: number;
  /** Output streams: frames encoded, packets muxed. */
  framesEncoded?: number;
  packetsMuxed?: number;
}

export interface FfStats {
  /** `#file:stream` → counts, e.g. "0:0". */
  inputs: Map<string, StreamStats>;
  outputs: Map<string, StreamStats>;
  /** Output stream → the input stream it was made from ("0:0" → "0:0"), from "Stream mapping". */
  mapping: Map<string, string>;
}

/** One stderr line's level (`[error] …` or `[mux @ 0x…] [error] …`); lines without a tag are info. */
export function levelOf(line: string): FfLevel {
  const m = /^(?:\[[^\]]*@ 0x[0-9a-f]+\] )?\[(quiet|panic|fatal|error|warning|info|verbose|debug|trace)\]/.exec(line);
  return (m?.[1] as FfLevel | undefined) ?? 'info';
}

/** The line without its level tag, keeping the component (`[matroska @ 0x…] Error …`). */
export function withoutLevel(line: string): string {
  return line.replace(/\[(quiet|panic|fatal|error|warning|info|verbose|debug|trace)\] /, '');
}

export function atLeast(level: FfLevel, threshold: FfLevel): boolean {
  return LEVELS.indexOf(level) <= LEVELS.indexOf(threshold);
}

/** Collects ffmpeg's stderr line by line: the warnings and errors a person may need, and the final statistics. */
export class FfmpegLog {
  private partial = '';
  private readonly notable: { level: FfLevel; text: string; raw: string }[] = [];
  readonly stats: FfStats = { inputs: new Map(), outputs: new Map(), mapping: new Map() };
  private inMapping = false;

  constructor(private readonly keep = 200) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n|\r/);
    this.partial = parts.pop() ?? '';
    for (const l of parts) this.line(l);
  }

  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
  }

  private line(raw: string): void {
    if (!raw.trim()) return;
    const level = levelOf(raw);
    const text = withoutLevel(raw);
    if (atLeast(level, 'warning')) {
      this.notable.push({ level, text, raw });
      if (this.notable.length > this.keep) this.notable.shift();
      return;
    }
    if (/^\s*Stream mapping:/.test(text)) {
      this.inMapping = true;
      return;
    }
    if (this.inMapping) {
      const m = /^\s+Stream #(\d+:\d+)\S* -> #(\d+:\d+)/.exec(text);
      if (m) {
        this.stats.mapping.set(m[2], m[1]);
        return;
      }
      this.inMapping = false;
    }
    const s = /^\s+(Input|Output) stream #(\d+:\d+) \(\w+\): (.*)$/.exec(text);
    if (!s) return;
    const counts: StreamStats = {};
    const num = (re: RegExp): number | undefined => {
      const m = re.exec(s[3]);
      return m ? Number(m[1]) : undefined;
    };
    if (s[1] === 'Input') {
      counts.packetsRead = num(/(\d+) packets read/);
      counts.framesDecoded = num(/(\d+) frames decoded/);
      this.stats.inputs.set(s[2], counts);
    } else {
      counts.framesEncoded = num(/(\d+) frames encoded/);
      counts.packetsMuxed = num(/(\d+) packets muxed/);
      this.stats.outputs.set(s[2], counts);
    }
  }

  /** The last `n` warnings and errors, as ffmpeg printed them. */
  tail(n: number): string[] {
    return this.notable.slice(-n).map((l) => l.raw);
  }

  /** Errors and fatal messages only, in order, without their level tags. */
  errors(): string[] {
    return this.notable.filter((l) => l.level !== 'warning').map((l) => l.text);
  }
}

/** The video stream's counts: what ffmpeg read of the source's picture and wrote to the proxy's (output stream 0:0). */
export function videoCounts(stats: FfStats): { read?: StreamStats; written?: StreamStats } {
  const written = stats.outputs.get('0:0');
  const from = stats.mapping.get('0:0');
  return { read: from ? stats.inputs.get(from) : undefined, written };
}

/**
 * Messages that mean the proxy was not completely written, although ffmpeg may still exit 0 (seen
 * with the webm and matroska muxers on a full disk): a failed trailer, close, flush or write.
 */
const WRITE_FAILURE = [
  /Error writing trailer/i,
  /Error closing file/i,
  /Error (while )?flushing/i,
  /av_interleaved_write_frame\(\)/i,
  /Error muxing a packet/i,
  /Error submitting a packet to the muxer/i,
  /No space left on device/i,
  /Disk quota exceeded/i,
  /File too large/i,
  /Input\/output error/i,
];

/** The first stderr line that says the output was not completely written, if any. */
export function writeFailure(lines: string[]): string | undefined {
  return lines.find((l) => WRITE_FAILURE.some((re) => re.test(l)));
}

/**
 * ffmpeg's generic lines: they say that something failed, never what. The line that names the cause
 * ("Could not find tag for codec …", "Specified sample rate … not supported") comes before them.
 */
const GENERIC = [
  /Error initializing output stream/i,
  /Error while opening encoder/i,
  /maybe incorrect parameters/i,
  /Could not write header for output file/i,
  /Conversion failed!?$/i,
  /Error opening output files?/i,
  /Nothing was written into output file/i,
  /Terminating thread with return code/i,
  /Error while filtering/i,
  /^Exiting normally/i,
];

/** The error line that best names why ffmpeg failed: the first specific cause, before any generic summary. */
export function headlineCause(errors: string[]): string | undefined {
  return errors.find((l) => !GENERIC.some((re) => re.test(l))) ?? errors[errors.length - 1];
}
