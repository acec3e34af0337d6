// A source's probe result as a value, for tests of the argument builder that need no file.
import type { SourceInfo } from '../../../src/core';

/** A 1080p25 H.264 clip with one stereo PCM track and a timecode, changed by `over`. */
export function sourceInfo(over: Partial<SourceInfo> = {}): SourceInfo {
  const base: SourceInfo = {
    width: 1920,
    height: 1080,
    sar: '1:1',
    rotation: 0,
    display_width: 1920,
    display_height: 1080,
    display_aspect: 1.7778,
    frame_rate: '25/1',
    fps: 25,
    frames: null,
    duration: 1,
    field_order: 'progressive',
    color: { primaries: null, transfer: null, matrix: null, range: null },
    audio: [{ codec: 'pcm_s16le', channels: 2, layout: 'stereo', sample_rate: 48000 }],
    timecode: '01:00:00:00',
    reel: null,
    pixFmt: 'yuv420p',
    hasAlpha: false,
    durationSeconds: 1,
    audioCodecs: ['pcm_s16le'],
  };
  const info = { ...base, ...over };
  if (over.width !== undefined && over.display_width === undefined) info.display_width = over.width;
  if (over.height !== undefined && over.display_height === undefined) info.display_height = over.height;
  if (over.audio && !over.audioCodecs) info.audioCodecs = over.audio.map((a) => a.codec);
  return info;
}
