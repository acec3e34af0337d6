// The tool check (ffmpeg -encoders, ffprobe -version, the child guard) is remembered on disk, keyed by
// both executables' path, size, time and inode: a command run again with the same ffmpeg starts no
// process for it, and one with a replaced or upgraded ffmpeg checks again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { runCli, shown } from './helpers/cli';
import { REAL_FFPROBE, standIn } from './helpers/executables';
import { placeMedia } from './helpers/media';
import { baseSpec, writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';

test('the second run with the same ffmpeg skips the tool check; a changed ffmpeg is checked again; a cache can be turned off', async (t) => {
  const dir = await tempDir(t, 'jobspec-tools-cache-');
  await placeMedia(path.join(dir, 'media', 'clip.mov'), 'clip');
  await fsp.mkdir(path.join(dir, 'out'));
  const spec = await writeSpec(dir, baseSpec());
  // A copy of the recording stand-in that this test alone may touch.
  const ffmpeg = path.join(dir, 'bin', 'ffmpeg');
  await fsp.mkdir(path.dirname(ffmpeg));
  await fsp.copyFile(standIn('stand-in-ffmpeg-record-argv.sh'), ffmpeg);
  await fsp.chmod(ffmpeg, 0o755);
  const cache = path.join(dir, 'cache');
  const argv = path.join(dir, 'argv');
  const checks = async (env: Record<string, string> = {}): Promise<number> => {
    await fsp.rm(argv, { recursive: true, force: true });
    await fsp.mkdir(argv);
    const r = await runCli(['dry-run', spec, '--ffmpeg', ffmpeg, '--ffprobe', REAL_FFPROBE], {
      env: { STANDIN_ARGV_DIR: argv, JOBSPEC_CACHE_DIR: cache, ...env },
    });
    assert.equal(r.code, 0, shown(r));
    let n = 0;
    for (const f of await fsp.readdir(argv)) if ((await fsp.readFile(path.join(argv, f), 'utf8')).split('\0').includes('-encoders')) n++;
    return n;
  };
  assert.equal(await checks(), 1, 'the first run checks ffmpeg');
  const saved = JSON.parse(await fsp.readFile(path.join(cache, 'tools.json'), 'utf8')) as { key: string; encoders: string[] }[];
  assert.equal(saved.length, 1);
  assert.ok(saved[0].key.startsWith(`${ffmpeg}|`) && saved[0].encoders.includes('prores_ks'), JSON.stringify(saved[0]).slice(0, 200));
  assert.equal(await checks(), 0, 'the second run remembers it');
  // The same path, upgraded (another size and time): checked again.
  await fsp.appendFile(ffmpeg, '# upgraded\n');
  assert.equal(await checks(), 1, 'a changed ffmpeg is checked again');
  assert.equal(await checks(), 0);
  assert.equal(await checks({ JOBSPEC_TOOL_CACHE: '0' }), 1, 'JOBSPEC_TOOL_CACHE=0 always checks');
  // A damaged cache file is no reason to fail: the tools are checked and the file written anew.
  await fsp.writeFile(path.join(cache, 'tools.json'), '{not json');
  assert.equal(await checks(), 1);
  assert.equal(await checks(), 0);
});
