// Presets (issue "5 of 7", item 3): each built-in produces what it names (read back from real proxies);
// the schema the editor completes from lists exactly the built-ins and what each sets; they carry the
// origin project's profile names with that project's settings; JobSpec fields override a preset's;
// user presets come from .jobspec/presets.json above the JobSpec; every problem names where it is.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { JobSpec } from '../../src/core';
import { runCli, shown } from './helpers/cli';
import { core } from './helpers/core';
import { makeClip, probe, videoStream, audioStreams } from './helpers/media';
import { ROOT } from './helpers/paths';
import { writeCube } from './helpers/pixels';
import { runResult } from './helpers/scene';
import { writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';

interface PresetSchema {
  anyOf: { enum?: string[]; enumDescriptions?: string[]; markdownEnumDescriptions?: string[] }[];
}
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'jobspec.schema.json'), 'utf8')) as {
  properties: { preset: PresetSchema };
};
const { BUILTIN_PRESETS, describePresetFields } = core.presets;

describe('the built-in presets', () => {
  test('the schema completes exactly the built-ins, each described by what it sets', () => {
    const branch = schema.properties.preset.anyOf.find((a) => a.enum);
    assert.deepEqual(
      branch?.enum,
      BUILTIN_PRESETS.map((p) => p.name),
    );
    BUILTIN_PRESETS.forEach((p, i) => {
      assert.equal(branch?.enumDescriptions?.[i], `${describePresetFields(p.fields)}. ${p.description}`, p.name);
      for (const [field, value] of Object.entries(p.fields)) {
        assert.ok(
          branch?.markdownEnumDescriptions?.[i].includes(`\`${field}\` **${String(value)}**`),
          `${p.name}: markdown names ${field} ${String(value)}`,
        );
      }
    });
  });

  test('they are the origin project’s ffmpeg profiles, by name and by what each sets', () => {
    const profiles = core.origin.ORIGIN_PROFILES;
    const ffmpegProfiles = Object.keys(profiles).filter((k) => profiles[k].engine === 'ffmpeg');
    assert.deepEqual(BUILTIN_PRESETS.map((p) => p.name).sort(), ffmpegProfiles.sort());
    for (const p of BUILTIN_PRESETS) {
      const o = profiles[p.name];
      assert.equal(core.origin.originCodec(o.codec), p.fields.codec, p.name);
      assert.equal(o.container, p.fields.container, p.name);
      assert.equal(o.resolution, p.fields.resolution, p.name);
    }
  });

  const expectations: Record<string, { format: RegExp; codec: string; profile?: RegExp; size: [number, number]; audio: string }> = {
    proxy_prores_proxy: { format: /mov/, codec: 'prores', profile: /proxy/i, size: [640, 360], audio: 'pcm_s16le' },
    proxy_prores_lt: { format: /mov/, codec: 'prores', profile: /lt/i, size: [640, 360], audio: 'pcm_s16le' },
    proxy_dnxhr_lb: { format: /mxf/, codec: 'dnxhd', profile: /dnxhr lb/i, size: [640, 360], audio: 'pcm_s24le' },
    proxy_h264_low: { format: /mp4/, codec: 'h264', size: [320, 180], audio: 'aac' },
    proxy_h264_quarter: { format: /mp4/, codec: 'h264', size: [160, 90], audio: 'aac' },
  };
  test('each produces what it names (codec, profile, container, size, audio), read back from the proxy', async (t) => {
    const dir = await tempDir(t, 'jobspec-presets-run-');
    await makeClip(path.join(dir, 'media'), 'A001C001.mov', { size: '640x360', seconds: 0.4 });
    for (const p of BUILTIN_PRESETS) {
      const want = expectations[p.name];
      assert.ok(want, `an expectation for ${p.name}`);
      const out = path.join(dir, `out-${p.name}`);
      await fsp.mkdir(out);
      const file = await writeSpec(
        dir,
        { sources: ['media/A001C001.mov'], output_directory: out, preset: p.name, naming_template: '{source_name}' },
        `${p.name}.jobspec.json`,
      );
      const r = await runCli(['execute', file, '--json']);
      assert.equal(r.code, 0, shown(r));
      const result = runResult(r);
      assert.equal(result.preset, p.name);
      const read = await probe(result.clips[0].output);
      const v = videoStream(read);
      assert.match(read.format.format_name, want.format, p.name);
      assert.equal(v.codec_name, want.codec, p.name);
      if (want.profile) assert.match(v.profile ?? '', want.profile, p.name);
      assert.deepEqual([v.width, v.height], want.size, p.name);
      assert.deepEqual(
        audioStreams(read).map((a) => a.codec_name),
        [want.audio],
        p.name,
      );
    }
  });
});

async function project(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await tempDir(t, 'jobspec-presets-');
  await makeClip(path.join(dir, 'day1', 'media'), 'A001C001.mov', { size: '640x360', seconds: 0.2 });
  await fsp.mkdir(path.join(dir, 'day1', 'out'), { recursive: true });
  return dir;
}

const spec = (over: Record<string, unknown>): Record<string, unknown> => ({
  sources: ['media/A001C001.mov'],
  output_directory: 'out',
  naming_template: '{source_name}',
  ...over,
});

async function validated(file: string): Promise<{ code: number | null; spec?: JobSpec; stderr: string; stdout: string }> {
  const r = await runCli(['validate', file, '--json']);
  const body = JSON.parse(r.stdout) as { spec?: JobSpec };
  return { code: r.code, spec: body.spec, stderr: r.stderr, stdout: r.stdout };
}

describe('a preset in a JobSpec', () => {
  test('codec, container and resolution may be left to it, and a field in the JobSpec overrides it', async (t) => {
    const dir = await project(t);
    const v = await validated(await writeSpec(path.join(dir, 'day1'), spec({ preset: 'proxy_h264_low', resolution: 'quarter' })));
    assert.equal(v.code, 0, v.stdout);
    assert.equal(v.spec?.codec, 'h264');
    assert.equal(v.spec?.container, 'mp4');
    assert.equal(v.spec?.audio, 'aac');
    assert.equal(v.spec?.resolution, 'quarter', 'the JobSpec’s resolution wins');
    assert.equal(v.spec?.preset, 'proxy_h264_low');
    const none = await runCli(['validate', await writeSpec(path.join(dir, 'day1'), spec({}), 'none.jobspec.json')]);
    assert.equal(none.code, 1);
    assert.match(
      none.stderr,
      /Missing required field "codec"\..*\n.*Missing required field "container"\..*\n.*Missing required field "resolution"/,
    );
  });

  test('every rule holds on the merged fields: a container the preset’s codec cannot go in is refused, saying the preset set it', async (t) => {
    const dir = await project(t);
    const r = await runCli(['validate', await writeSpec(path.join(dir, 'day1'), spec({ preset: 'proxy_prores_proxy', container: 'mp4' }))]);
    assert.equal(r.code, 1, shown(r));
    assert.match(
      r.stderr,
      /ProRes codecs are written to mov only\. Allowed containers: mov\. Got "mp4"\. \(preset "proxy_prores_proxy" sets codec, resolution, audio\.\) \(\/container\)/,
    );
  });

  test('an unknown name is refused with a did-you-mean and the names there are', async (t) => {
    const dir = await project(t);
    const r = await runCli(['validate', await writeSpec(path.join(dir, 'day1'), spec({ preset: 'proxy_prores_proxi' }))]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /Unknown preset "proxy_prores_proxi"\. Did you mean "proxy_prores_proxy"\? Built-in presets: proxy_prores_proxy, .*; no \.jobspec\/presets\.json was found in .* or a folder above it\. \(\/preset\) \[preset-unknown\]/,
    );
  });

  test('a user preset from .jobspec/presets.json above the JobSpec, with its LUT and burn-in, relative to the project folder', async (t) => {
    const dir = await project(t);
    await fsp.mkdir(path.join(dir, '.jobspec'));
    await fsp.mkdir(path.join(dir, 'luts'));
    await writeCube(path.join(dir, 'luts', 'show.cube'), 2, (r, g, b) => [r, g, b]);
    await fsp.writeFile(
      path.join(dir, '.jobspec', 'presets.json'),
      JSON.stringify(
        {
          presets: {
            a_cam_dailies: {
              description: 'A camera dailies',
              codec: 'h264',
              container: 'mov',
              resolution: 'half',
              audio: 'aac',
              lut: 'luts/show.cube',
              burn_in: { top_left: '{source_name}', bottom_right: '{timecode}' },
              source_checksum: 'md5',
            },
          },
        },
        null,
        2,
      ),
    );
    const file = await writeSpec(path.join(dir, 'day1'), spec({ preset: 'a_cam_dailies' }));
    const v = await validated(file);
    assert.equal(v.code, 0, v.stdout);
    assert.equal(v.spec?.lut?.path, path.join(dir, 'luts', 'show.cube'));
    assert.deepEqual(v.spec?.burn_in?.texts, { top_left: '{source_name}', bottom_right: '{timecode}' });
    assert.equal(v.spec?.source_checksum, 'md5');
    const r = await runCli(['execute', file, '--json']);
    assert.equal(r.code, 0, shown(r));
    const result = runResult(r);
    assert.equal(result.lut?.path, path.join(dir, 'luts', 'show.cube'));
    assert.equal(result.clips[0].source_checksum?.algorithm, 'md5');
    assert.ok(result.clips[0].ffmpeg_args.join(' ').includes('drawtext='));
  });

  test('a user preset’s bad value is reported at /preset, naming the preset and its file; a bad presets file by its line', async (t) => {
    const dir = await project(t);
    await fsp.mkdir(path.join(dir, '.jobspec'));
    const presets = path.join(dir, '.jobspec', 'presets.json');
    await fsp.writeFile(
      presets,
      JSON.stringify({ presets: { wrong: { codec: 'prores_ultra', container: 'mov', resolution: 'half' } } }, null, 2),
    );
    const file = await writeSpec(path.join(dir, 'day1'), spec({ preset: 'wrong' }));
    const r = await runCli(['validate', file]);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(`preset "wrong" (from ${presets}) sets codec, and codec "prores_ultra" is not allowed.`), shown(r));
    assert.match(r.stderr, /\(\/preset\) \[enum\]/);
    await fsp.writeFile(presets, JSON.stringify({ presets: { typo: { codex: 'h264' } } }, null, 2));
    const typo = await runCli(['validate', await writeSpec(path.join(dir, 'day1'), spec({ preset: 'typo' }))]);
    assert.match(
      typo.stderr,
      new RegExp(
        `${presets.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: preset "typo" has the field "codex", which a preset cannot set\\. Did you mean "codec"\\?`,
      ),
    );
    await fsp.writeFile(presets, JSON.stringify({ presets: { proxy_h264_low: { codec: 'h264' } } }, null, 2));
    const clash = await runCli(['validate', await writeSpec(path.join(dir, 'day1'), spec({ preset: 'nope' }))]);
    assert.match(clash.stderr, /"proxy_h264_low" is a built-in preset; give your preset another name/);
  });
});
