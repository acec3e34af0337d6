// `npm start`: build, make three sample clips, and run examples/sample.jobspec.json headless.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSampleClips } from './sample-media.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
try {
  execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
} catch {
  console.error('ffmpeg is not on PATH. Install it first (Debian/Ubuntu: sudo apt-get install ffmpeg).');
  process.exit(4);
}
execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
console.log('Generating sample clips in .sample/media …');
makeSampleClips('.sample/media', ['clip_a.mov', 'clip_b.mov', 'clip_c.mov']);
// Proxies from an earlier `npm start` would make this run refuse to overwrite them (overwrite: "never").
fs.rmSync('.sample/proxies', { recursive: true, force: true });
fs.mkdirSync('.sample/proxies', { recursive: true });
console.log('$ jobspec execute examples/sample.jobspec.json');
const run = spawnSync(process.execPath, ['dist/cli.js', 'execute', 'examples/sample.jobspec.json'], { stdio: 'inherit' });
process.exit(run.status ?? 1);
