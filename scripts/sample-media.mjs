// Generates short "camera original" clips with ffmpeg's lavfi sources: picture, tone and a start timecode.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Write `names` as `seconds`-long clips into `dir`; existing clips are kept. Returns their paths. */
export function makeSampleClips(dir, names, { seconds = 2, size = '1280x720', rate = 25 } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  return names.map((name, i) => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) {
      execFileSync(
        'ffmpeg',
        [
          '-hide_banner',
          '-loglevel',
          'error',
          '-nostdin',
          '-y',
          '-f',
          'lavfi',
          '-i',
          `testsrc2=size=${size}:rate=${rate}`,
          '-f',
          'lavfi',
          '-i',
          `sine=frequency=${440 + 110 * i}:sample_rate=48000`,
          '-t',
          String(seconds),
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-pix_fmt',
          'yuv420p',
          '-c:a',
          'pcm_s16le',
          '-timecode',
          `0${1 + i}:00:00:00`,
          file,
        ],
        { stdio: 'inherit' },
      );
    }
    return file;
  });
}
