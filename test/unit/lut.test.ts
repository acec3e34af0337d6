// Viewing LUTs (issue "5 of 7", item 1), on real output: a LUT that inverts colour turns a known
// pixel into its inverse; an identity LUT leaves colours as they were, which holds only when the RGB
// conversion before the LUT uses the source's own matrix; .cube (3D and 1D) and .3dl alike. A LUT
// ffmpeg would refuse or misread is refused before anything runs, with the line that is wrong, and
// what is checked agrees with what ffmpeg 5.1 itself accepts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { RunResult } from '../../src/core';
import { runCli, shown } from './helpers/cli';
import { core } from './helpers/core';
import { ffmpeg, lavfi, tools } from './helpers/media';
import { frameRgb, meanOf, write3dl, writeCube } from './helpers/pixels';
import { loadValid, runOneClip } from './helpers/run';
import { writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { snapshot } from './helpers/tree';

/** A flat-coloured clip: every pixel the same, so compression cannot blur what is measured. */
async function flatClip(file: string, colour: string, size: string, tagged: boolean): Promise<string> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tags = tagged ? ['-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709', '-color_range', 'tv'] : [];
  await ffmpeg([
    ...lavfi(`color=c=${colour}:s=${size}:r=25:d=0.2`),
    '-vf',
    tagged ? 'scale=out_color_matrix=bt709:out_range=tv,format=yuv420p' : 'format=yuv420p',
    '-c:v',
    'libx264',
    '-qp',
    '0',
    ...tags,
    file,
  ]);
  return file;
}

/** A ProRes Proxy of `source` at its own size, with `extra` fields; it must complete. */
async function proxyWith(dir: string, source: string, label: string, extra: Record<string, unknown>): Promise<RunResult> {
  const result = await runOneClip(dir, source, label, extra);
  assert.equal(result.clips[0].status, 'COMPLETED', result.clips[0].message);
  return result;
}

const close = (got: number[], want: number[], tolerance: number, what: string): void =>
  assert.ok(
    got.every((v, i) => Math.abs(v - want[i]) <= tolerance),
    `${what}: got ${got.map((v) => v.toFixed(1)).join(' ')}, want ${want.map((v) => v.toFixed(1)).join(' ')} (±${tolerance})`,
  );

const invert = (r: number, g: number, b: number): [number, number, number] => [1 - r, 1 - g, 1 - b];

describe('a LUT changes the picture as it says', () => {
  test('an inverting .cube turns a known colour into its inverse, and the report records the LUT and its sha256', async (t) => {
    const dir = await tempDir(t, 'jobspec-lut-');
    const src = await flatClip(path.join(dir, 'media', 'A001C001.mov'), '0x3366CC', '320x240', true);
    await fsp.mkdir(path.join(dir, 'luts'));
    const cube = await writeCube(path.join(dir, 'luts', 'invert.cube'), 17, invert, ['TITLE "invert"']);
    const plain = await proxyWith(dir, src, 'plain', {});
    const inverted = await proxyWith(dir, src, 'invert', { lut: 'luts/invert.cube' });
    const before = meanOf(await frameRgb(plain.clips[0].output));
    const after = meanOf(await frameRgb(inverted.clips[0].output));
    const source = meanOf(await frameRgb(src));
    close(before, source, 3, 'the proxy without a LUT keeps the colour');
    close(
      after,
      source.map((v) => 255 - v),
      4,
      'the inverting LUT turns it into its inverse',
    );
    const sha = createHash('sha256')
      .update(await fsp.readFile(cube))
      .digest('hex');
    assert.deepEqual(inverted.lut, { path: cube, sha256: sha });
    const report = JSON.parse(await fsp.readFile(inverted.report_path ?? '', 'utf8')) as RunResult;
    assert.deepEqual(report.lut, { path: cube, sha256: sha }, 'the report file records the LUT');
    assert.deepEqual(
      (await fsp.readdir(path.dirname(inverted.clips[0].output))).filter((n) => n.startsWith('.')),
      [],
      'the run’s copy of the LUT is gone',
    );
  });

  test('an identity LUT keeps the colours: the RGB conversion before it uses the source’s matrix (BT.709 on an untagged HD clip)', async (t) => {
    const dir = await tempDir(t, 'jobspec-lut-matrix-');
    // Saturated, untagged, 1280x720: the runner takes BT.709 for it; ffmpeg's own conversion would take BT.601.
    const src = await flatClip(path.join(dir, 'media', 'hd.mov'), '0xD02050', '1280x720', false);
    await writeCube(path.join(dir, 'identity.cube'), 2, (r, g, b) => [r, g, b]);
    const plain = await proxyWith(dir, src, 'plain', {});
    const identity = await proxyWith(dir, src, 'identity', { lut: 'identity.cube' });
    const a = meanOf(await frameRgb(plain.clips[0].output));
    const b = meanOf(await frameRgb(identity.clips[0].output));
    close(b, a, 2, 'the identity LUT changes nothing');
  });

  test('a 1D .cube (through lut1d) and a 17-point .3dl invert the colour too', async (t) => {
    const dir = await tempDir(t, 'jobspec-lut-kinds-');
    const src = await flatClip(path.join(dir, 'media', 'c.mov'), '0x3366CC', '320x240', true);
    await fsp.writeFile(path.join(dir, 'invert1d.cube'), 'TITLE "1D invert"\nLUT_1D_SIZE 2\n1 1 1\n0 0 0\n');
    await write3dl(path.join(dir, 'invert.3dl'), invert);
    const source = meanOf(await frameRgb(src));
    for (const lut of ['invert1d.cube', 'invert.3dl']) {
      const result = await proxyWith(dir, src, lut.replace('.', '-'), { lut });
      close(
        meanOf(await frameRgb(result.clips[0].output)),
        source.map((v) => 255 - v),
        5,
        lut,
      );
      assert.ok(result.clips[0].ffmpeg_args.join(' ').includes(lut.endsWith('.3dl') ? 'lut3d=' : 'lut1d='), lut);
    }
  });
});

test('validate --json and the dry run show the LUT: its kind, size and sha256', async (t) => {
  const dir = await tempDir(t, 'jobspec-lut-show-');
  await flatClip(path.join(dir, 'media', 'c.mov'), '0x808080', '64x64', true);
  const cube = await writeCube(path.join(dir, 'look.cube'), 5, (r, g, b) => [r, g, b]);
  await fsp.mkdir(path.join(dir, 'out'));
  const file = await writeSpec(dir, {
    sources: ['media/c.mov'],
    output_directory: 'out',
    preset: 'proxy_h264_low',
    naming_template: '{source_name}',
    lut: 'look.cube',
  });
  const sha = createHash('sha256')
    .update(await fsp.readFile(cube))
    .digest('hex');
  const v = await runCli(['validate', file, '--json']);
  assert.equal(v.code, 0, shown(v));
  assert.deepEqual((JSON.parse(v.stdout) as { spec: { lut: unknown } }).spec.lut, {
    format: 'cube',
    kind: '3d',
    size: 5,
    path: cube,
    sha256: sha,
  });
  const d = await runCli(['dry-run', file]);
  assert.ok(
    d.stdout.includes(`Dailies: preset proxy_h264_low; LUT ${cube} (3D, 5 points per axis, sha256 ${sha.slice(0, 16)}…)`),
    shown(d),
  );
  assert.match(d.stdout, /lut3d=file=.*look\.cube/);
});

describe('a LUT ffmpeg would refuse or misread is refused before anything runs, naming its line', () => {
  const valid = async (file: string): Promise<void> => {
    await writeCube(file, 2, (r, g, b) => [r, g, b]);
  };
  const cases: { name: string; file: string; make: (file: string) => Promise<unknown>; message: RegExp }[] = [
    {
      name: 'a truncated table',
      file: 'short.cube',
      make: async (f) => {
        await valid(f);
        const lines = (await fsp.readFile(f, 'utf8')).trimEnd().split('\n');
        await fsp.writeFile(f, lines.slice(0, -2).join('\n') + '\n');
      },
      message: /short\.cube:7: the table ends after 6 data lines, but LUT_3D_SIZE 2 needs 8/,
    },
    {
      name: 'a data line with two numbers',
      file: 'two.cube',
      make: async (f) => {
        await valid(f);
        const lines = (await fsp.readFile(f, 'utf8')).split('\n');
        lines[4] = '0.5 0.5';
        await fsp.writeFile(f, lines.join('\n'));
      },
      message: /two\.cube:5: expected three numbers \(red green blue\), found "0\.5 0\.5"/,
    },
    {
      name: 'a size beyond ffmpeg’s 256',
      file: 'huge.cube',
      make: (f) => fsp.writeFile(f, 'TITLE "x"\nLUT_3D_SIZE 300\n0 0 0\n'),
      message: /huge\.cube:2: LUT_3D_SIZE 300 is outside what ffmpeg accepts \(2 to 256\)/,
    },
    {
      name: 'a domain before the size (ffmpeg ignores it there)',
      file: 'domain.cube',
      make: (f) => writeCube(f, 2, (r, g, b) => [r, g, b], ['DOMAIN_MAX 2 2 2']),
      message: /domain\.cube:1: DOMAIN_MAX comes before the LUT's size line, and ffmpeg ignores it there/,
    },
    {
      name: 'a 1D shaper before a 3D table',
      file: 'shaper.cube',
      make: (f) => writeCube(f, 2, (r, g, b) => [r, g, b], ['LUT_1D_SIZE 2', '0 0 0', '1 1 1']),
      message: /shaper\.cube:4: this file has both LUT_1D_SIZE and LUT_3D_SIZE/,
    },
    {
      name: 'nan in a data line',
      file: 'nan.cube',
      make: async (f) => {
        await valid(f);
        await fsp.writeFile(f, (await fsp.readFile(f, 'utf8')).replace('1.000000 1.000000 1.000000', 'nan 1 1'));
      },
      message: /nan\.cube:9: unknown keyword "nan"/,
    },
    {
      name: 'a .3dl that is not 17-point',
      file: 'mesh33.3dl',
      make: (f) => fsp.writeFile(f, Array.from({ length: 33 }, (_, i) => i * 32).join(' ') + '\n0 0 0\n'),
      message: /mesh33\.3dl:1: the input mesh has 33 points; ffmpeg reads only 17-point \.3dl files/,
    },
    {
      name: 'a missing file',
      file: 'nowhere.cube',
      make: () => Promise.resolve(),
      message: /the LUT file .*nowhere\.cube does not exist/,
    },
  ];
  for (const c of cases) {
    test(c.name, async (t) => {
      const dir = await tempDir(t, 'jobspec-lut-bad-');
      await fsp.mkdir(path.join(dir, 'out'));
      await fsp.mkdir(path.join(dir, 'media'));
      await flatClip(path.join(dir, 'media', 'clip.mov'), '0x808080', '64x64', true);
      await c.make(path.join(dir, c.file));
      const file = await writeSpec(dir, {
        sources: ['media/clip.mov'],
        output_directory: 'out',
        codec: 'h264',
        container: 'mp4',
        resolution: 'same',
        naming_template: '{source_name}',
        lut: c.file,
      });
      const before = snapshot(dir);
      const r = await runCli(['execute', file]);
      assert.equal(r.code, 1, shown(r));
      assert.match(r.stderr, c.message);
      assert.match(r.stderr, /\(\/lut\) \[lut-invalid\]/);
      assert.deepEqual([...snapshot(dir).keys()], [...before.keys()], 'nothing was written');
    });
  }

  test('the checks agree with ffmpeg 5.1 itself: what is accepted, ffmpeg reads; what ffmpeg refuses, is refused', async (t) => {
    const dir = await tempDir(t, 'jobspec-lut-agree-');
    const id = (r: number, g: number, b: number): [number, number, number] => [r, g, b];
    const files: Record<string, () => Promise<unknown>> = {
      'ok-2.cube': () => writeCube(path.join(dir, 'ok-2.cube'), 2, id),
      'ok-33.cube': () => writeCube(path.join(dir, 'ok-33.cube'), 33, id, ['TITLE "t"']),
      'ok.3dl': () => write3dl(path.join(dir, 'ok.3dl'), id),
      'ok-1d.cube': () => fsp.writeFile(path.join(dir, 'ok-1d.cube'), 'LUT_1D_SIZE 3\n0 0 0\n0.5 0.5 0.5\n1 1 1\n'),
      'bad-size-1.cube': () => fsp.writeFile(path.join(dir, 'bad-size-1.cube'), 'LUT_3D_SIZE 1\n0 0 0\n'),
      'bad-size-257.cube': () => fsp.writeFile(path.join(dir, 'bad-size-257.cube'), 'LUT_3D_SIZE 257\n0 0 0\n'),
      'bad-short.cube': () => fsp.writeFile(path.join(dir, 'bad-short.cube'), 'LUT_3D_SIZE 2\n0 0 0\n1 1 1\n'),
      'bad-tab-domain.cube': () =>
        writeCube(path.join(dir, 'bad-tab-domain.cube'), 2, id, []).then(async () => {
          const p = path.join(dir, 'bad-tab-domain.cube');
          const lines = (await fsp.readFile(p, 'utf8')).split('\n');
          lines.splice(1, 0, 'DOMAIN_MAX\t2 2 2');
          await fsp.writeFile(p, lines.join('\n'));
        }),
      'bad-no-size.cube': () => fsp.writeFile(path.join(dir, 'bad-no-size.cube'), 'TITLE "x"\n0 0 0\n'),
      'bad-short.3dl': () =>
        fsp.writeFile(path.join(dir, 'bad-short.3dl'), Array.from({ length: 17 }, (_, i) => i * 64).join(' ') + '\n0 0 0\n'),
    };
    for (const [name, make] of Object.entries(files)) {
      await make();
      const file = path.join(dir, name);
      const ours = await core.lut.checkLutFile(file);
      const oneD = ours.ok && ours.info.kind === '1d';
      const ff = await ffmpeg([
        ...lavfi('color=s=16x16:d=0.04'),
        '-vf',
        `${oneD || name.includes('1d') ? 'lut1d' : 'lut3d'}=file=${file}`,
        '-f',
        'null',
        '-',
      ]).then(
        () => true,
        () => false,
      );
      assert.equal(
        ours.ok,
        ff,
        `${name}: ours ${ours.ok ? 'accepts' : `refuses (${ours.ok ? '' : ours.error})`}, ffmpeg ${ff ? 'accepts' : 'refuses'}`,
      );
      assert.equal(ours.ok, name.startsWith('ok'), name);
    }
  });

  test('a LUT that is damaged after validation, before the run, stops the run before any clip (exit 4), and nothing is left', async (t) => {
    const dir = await tempDir(t, 'jobspec-lut-changed-');
    const src = await flatClip(path.join(dir, 'media', 'c.mov'), '0x808080', '64x64', true);
    const cube = await writeCube(path.join(dir, 'l.cube'), 2, invert);
    await fsp.mkdir(path.join(dir, 'out'));
    const file = await writeSpec(dir, {
      sources: [src],
      output_directory: 'out',
      codec: 'h264',
      container: 'mp4',
      resolution: 'same',
      naming_template: '{source_name}',
      lut: 'l.cube',
    });
    const spec = await loadValid(file);
    await fsp.writeFile(cube, 'LUT_3D_SIZE 2\n0 0 0\n');
    await assert.rejects(core.runJob(spec, { tools: await tools(), jobspecFile: file }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'lut-unreadable');
      assert.match(e.message, /changed since it was checked.*l\.cube:2: the table ends after 1 data line/);
      return true;
    });
    assert.deepEqual(await fsp.readdir(path.join(dir, 'out')), []);
  });
});
