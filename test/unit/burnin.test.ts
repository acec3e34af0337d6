// Burn-ins (issue "5 of 7", item 2), on real output. Text from the JobSpec and from file names reaches
// ffmpeg as data: the drawtext escapes are proved against drawtext reading the same text literally
// (expansion=none), and filter-graph values against arbitrary file names; the running timecode is
// proved frame by frame against drawtext's own timecode (drop-frame included); a burn-in changes the
// pixels of its corner and nowhere else, and survives names with quotes, colons, % and backslashes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import type { RunResult } from '../../src/core';
import { runCli, shown } from './helpers/cli';
import { core } from './helpers/core';
import { REAL_FFMPEG } from './helpers/executables';
import { ffmpeg, lavfi } from './helpers/media';
import { changedPixels, frameLuma } from './helpers/pixels';
import { runOneClip } from './helpers/run';
import { writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';

const run = promisify(execFile);
const { filterValue, filterWith } = core.filtergraph;
const { drawtextLiteral, timecodeExpansion, findSystemFont } = core.burnin;

async function font(): Promise<string> {
  const f = await findSystemFont();
  assert.ok(f, 'these tests need a system font (apt-get install fonts-dejavu-core)');
  return f;
}

/** md5 of every frame ffmpeg renders with `vf` over a black lavfi clip. */
async function render(vf: string, frames: number, rate = '25'): Promise<string[]> {
  const stdout = await ffmpeg([
    ...lavfi(`color=c=black:s=320x48:r=${rate}`),
    '-frames:v',
    String(frames),
    '-vf',
    vf,
    '-f',
    'framemd5',
    '-',
  ]);
  return stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').pop()?.trim() ?? '');
}

const drawtext = (fontFile: string, extra: [string, string | number][]): string =>
  filterWith('drawtext', [['fontfile', fontFile], ['fontsize', 16], ['fontcolor', 'white'], ['x', 4], ['y', 4], ...extra]);

describe('text reaches ffmpeg as data', () => {
  test('literal text escaped for drawtext renders exactly as drawtext reads it unexpanded (property, real ffmpeg)', async (t) => {
    const dir = await tempDir(t, 'jobspec-burnin-escape-');
    const fontFile = await font();
    const chars = ['%', '\\', '{', '}', ':', "'", '"', '[', ']', ',', ';', '=', '$', 'a', 'Z', '0', ' ', 'é', '→', '%{', '\\%', '%%'];
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: 14 }), async (parts) => {
        const text = parts.join('');
        const escaped = path.join(dir, `e${n}.txt`);
        const literal = path.join(dir, `l${n++}.txt`);
        await fsp.writeFile(escaped, drawtextLiteral(text));
        await fsp.writeFile(literal, text);
        const ours = await render(
          drawtext(fontFile, [
            ['textfile', escaped],
            ['expansion', 'normal'],
          ]),
          1,
        );
        const reference = await render(
          drawtext(fontFile, [
            ['textfile', literal],
            ['expansion', 'none'],
          ]),
          1,
        );
        assert.deepEqual(ours, reference, `text ${JSON.stringify(text)}`);
      }),
      { numRuns: 30 },
    );
  });

  test('any file name passes the filter graph as a path, never as syntax (property, real ffmpeg)', async (t) => {
    const dir = await tempDir(t, 'jobspec-burnin-paths-');
    const fontFile = await font();
    const plain = path.join(dir, 'plain.txt');
    await fsp.writeFile(plain, 'X');
    const [reference] = await render(drawtext(fontFile, [['textfile', plain]]), 1);
    const chars = ["'", ':', ',', ';', '[', ']', '\\', '=', '%', ' ', '"', '$', '`', '(', ')', 'a', '1', 'é', "\\'", "''"];
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: 10 }), async (parts) => {
        const sub = path.join(dir, `d${n++}${parts.join('')}`);
        await fsp.mkdir(sub);
        const file = path.join(sub, `${parts.join('')}.txt`);
        await fsp.writeFile(file, 'X');
        const [frame] = await render(drawtext(fontFile, [['textfile', file]]), 1);
        assert.equal(frame, reference, `path ${JSON.stringify(file)} (as ${filterValue(file)})`);
      }),
      { numRuns: 25 },
    );
  });
});

/** A timecode burned in from `start`: `fps` for our expansion, `rate` for drawtext's own and the clip. */
interface TimecodeCase {
  start: string;
  rate: string;
  frames: number;
}

/** Our running timecode (the expansion the runner writes to a text file), rendered frame by frame. */
async function ourTimecode(dir: string, fontFile: string, c: TimecodeCase & { fps: number }): Promise<string[]> {
  const tc = timecodeExpansion({ timecode: c.start, fps: c.fps });
  assert.ok('text' in tc, JSON.stringify(tc));
  const file = path.join(dir, 'tc.txt');
  await fsp.writeFile(file, tc.text);
  return render(
    drawtext(fontFile, [
      ['textfile', file],
      ['expansion', 'normal'],
    ]),
    c.frames,
    c.rate,
  );
}

/** drawtext's own timecode, rendered frame by frame: the reference. */
function drawtextTimecode(fontFile: string, c: TimecodeCase): Promise<string[]> {
  return render(
    drawtext(fontFile, [
      ['text', ''],
      ['timecode', c.start],
      ['timecode_rate', c.rate],
    ]),
    c.frames,
    c.rate,
  );
}

describe('the running timecode', () => {
  test('wraps at 24 hours, as a timecode does (23:59:59:23 is followed by 00:00:00:00; drawtext’s own shows 24:00:00:00)', async (t) => {
    const dir = await tempDir(t, 'jobspec-burnin-tc24-');
    const fontFile = await font();
    const ours = await ourTimecode(dir, fontFile, { start: '23:59:59:23', fps: 24, rate: '24', frames: 3 });
    const before = await drawtextTimecode(fontFile, { start: '23:59:59:23', rate: '24', frames: 1 });
    const after = await drawtextTimecode(fontFile, { start: '00:00:00:00', rate: '24', frames: 2 });
    assert.deepEqual(ours, [...before, ...after]);
  });

  const cases: (TimecodeCase & { fps: number })[] = [
    { start: '01:00:00:00', rate: '25', fps: 25, frames: 30 },
    { start: '00:00:59;28', rate: '30000/1001', fps: 30000 / 1001, frames: 6 },
    { start: '00:09:59;28', rate: '30000/1001', fps: 30000 / 1001, frames: 6 },
    { start: '00:00:59;56', rate: '60000/1001', fps: 60000 / 1001, frames: 8 },
    { start: '10:00:00:00', rate: '30000/1001', fps: 30000 / 1001, frames: 35 },
  ];
  for (const c of cases) {
    test(`from ${c.start} at ${c.rate} fps: frame by frame what drawtext's own timecode shows`, async (t) => {
      const dir = await tempDir(t, 'jobspec-burnin-tc-');
      const fontFile = await font();
      const ours = await ourTimecode(dir, fontFile, c);
      const native = await drawtextTimecode(fontFile, c);
      assert.equal(ours.length, c.frames);
      assert.deepEqual(ours, native);
    });
  }
});

/** A flat grey clip: compression leaves every untouched pixel exactly as it was. */
async function greyClip(file: string, seconds = 0.2): Promise<string> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await ffmpeg([
    ...lavfi(`color=c=0x606060:s=320x240:r=25:d=${seconds}`),
    '-c:v',
    'libx264',
    '-qp',
    '0',
    '-pix_fmt',
    'yuv420p',
    '-timecode',
    '01:00:00:00',
    file,
  ]);
  return file;
}

/** A ProRes Proxy of `source` at its own size (named "proxy"), with `extra` fields; it must complete. */
async function proxy(dir: string, source: string, label: string, extra: Record<string, unknown>): Promise<RunResult> {
  const result = await runOneClip(dir, source, label, extra, { naming_template: 'proxy' });
  assert.equal(result.clips[0].status, 'COMPLETED', result.clips[0].message);
  return result;
}

describe('a burn-in on a proxy', () => {
  test('changes the pixels of its corner and nowhere else (top left, then bottom right)', async (t) => {
    const dir = await tempDir(t, 'jobspec-burnin-corner-');
    const src = await greyClip(path.join(dir, 'media', 'A001C001.mov'));
    const plain = await frameLuma((await proxy(dir, src, 'plain', {})).clips[0].output, 3);
    for (const [position, inCorner] of [
      ['top_left', (x: number, y: number) => x < 160 && y < 60],
      ['bottom_right', (x: number, y: number) => x >= 160 && y >= 180],
    ] as const) {
      const burned = await frameLuma(
        (await proxy(dir, src, position, { burn_in: { [position]: '{source_name} {timecode}' } })).clips[0].output,
        3,
      );
      const changed = changedPixels(plain, burned);
      assert.ok(changed.length > 200, `${position}: ${changed.length} pixels changed; the text and its box should change hundreds`);
      const outside = changed.filter((p) => !inCorner(p.x, p.y));
      assert.deepEqual(outside.slice(0, 5), [], `${position}: ${outside.length} pixels changed outside its corner`);
    }
  });

  test('survives a name with quotes, colons, %, backslashes and brackets: it shows exactly as drawtext draws it literally', async (t) => {
    const dir = await tempDir(t, 'jobspec-burnin-names-');
    const name = `it's: 100% \\ "odd" [x], y; z=%{pts}`;
    const src = await greyClip(path.join(dir, 'media', `${name}.mov`));
    const literal = `TC: %pts 50% \\n 'q' [a]; b, c=d`;
    const result = await proxy(dir, src, 'names', { burn_in: { top_left: '{source_name}', bottom_left: literal } });
    // The reference: the run's own ffmpeg command, each text file replaced by the raw text read with expansion=none.
    const args = [...result.clips[0].ffmpeg_args];
    const vf = args.indexOf('-vf') + 1;
    const texts: Record<string, string> = { top_left: name, bottom_left: literal };
    let replaced = 0;
    args[vf] = args[vf]
      .replace(/textfile=\\'([^\\']*burnin-(\w+)\.txt)\\'/g, (_m, _file: string, position: string) => {
        const raw = path.join(dir, `raw-${position}.txt`);
        replaced++;
        fs.writeFileSync(raw, texts[position]);
        return `textfile=${filterValue(raw)}`;
      })
      .split(`expansion=${filterValue('normal')}`)
      .join(`expansion=${filterValue('none')}`);
    assert.equal(replaced, 2, args[vf]);
    const reference = path.join(dir, 'reference.mov');
    args[args.length - 1] = `file:${reference}`;
    await run(REAL_FFMPEG, args, { maxBuffer: 64 * 1024 * 1024 });
    const ours = await frameLuma(result.clips[0].output, 3);
    const theirs = await frameLuma(reference, 3);
    const plain = await frameLuma((await proxy(dir, src, 'plain', {})).clips[0].output, 3);
    assert.ok(changedPixels(plain, ours).length > 200, 'the text is there');
    assert.deepEqual(changedPixels(ours, theirs, 1).length, 0, 'and it is the name and the text exactly');
  });

  test('its problems are named before anything runs: an unknown token, no text, a missing font file, no font on the system', async (t) => {
    const dir = await tempDir(t, 'jobspec-burnin-problems-');
    await greyClip(path.join(dir, 'media', 'c.mov'), 0.08);
    await fsp.mkdir(path.join(dir, 'out'));
    const base = { sources: ['media/c.mov'], output_directory: 'out', preset: 'proxy_h264_low', naming_template: '{source_name}' };
    const cases: { burn_in: Record<string, unknown>; env?: Record<string, string>; message: RegExp; pointer: string }[] = [
      {
        burn_in: { top_left: '{reel}' },
        message: /burn_in\.top_left uses an unknown token "\{reel\}"; known tokens: .*\{timecode\} \{frame\}/,
        pointer: '/burn_in/top_left',
      },
      { burn_in: { font_size: 0.05 }, message: /burn_in places no text: give at least one of top_left/, pointer: '/burn_in' },
      {
        burn_in: { top_left: 'x', font: 'fonts/missing.ttf' },
        message: /burn_in\.font .*missing\.ttf is not a font file that exists/,
        pointer: '/burn_in/font',
      },
    ];
    const empty = path.join(dir, 'nofonts');
    await fsp.mkdir(path.join(empty, 'cache'), { recursive: true });
    await fsp.writeFile(
      path.join(empty, 'fonts.conf'),
      `<?xml version="1.0"?>\n<fontconfig><dir>${empty}</dir><cachedir>${empty}/cache</cachedir></fontconfig>\n`,
    );
    cases.push({
      burn_in: { bottom_right: '{timecode}' },
      env: { JOBSPEC_FONT_DIRS: empty, FONTCONFIG_FILE: path.join(empty, 'fonts.conf') },
      message: /burn_in needs a font, and none was found on this system .*apt-get install fonts-dejavu-core.*burn_in\.font/,
      pointer: '/burn_in',
    });
    for (const c of cases) {
      const file = await writeSpec(dir, { ...base, burn_in: c.burn_in });
      const r = await runCli(['execute', file], { env: c.env });
      assert.equal(r.code, 1, shown(r));
      assert.match(r.stderr, c.message);
      assert.ok(r.stderr.includes(`(${c.pointer})`), shown(r));
      assert.deepEqual(await fsp.readdir(path.join(dir, 'out')), []);
    }
  });

  test('the dry run shows each clip’s burn-in text with its name filled in', async (t) => {
    const dir = await tempDir(t, 'jobspec-burnin-dry-');
    await greyClip(path.join(dir, 'media', 'A002C007.mov'), 0.08);
    await fsp.mkdir(path.join(dir, 'out'));
    const file = await writeSpec(dir, {
      sources: ['media/A002C007.mov'],
      output_directory: 'out',
      preset: 'proxy_h264_low',
      naming_template: '{source_name}',
      burn_in: { top_left: '{source_name} · {job_id}', bottom_right: '{timecode}' },
      job_id: 'day2',
    });
    const r = await runCli(['dry-run', file]);
    assert.equal(r.code, 0, shown(r));
    assert.match(
      r.stdout,
      /Dailies: preset proxy_h264_low; burn-in top_left "A002C007 · day2", bottom_right "<timecode from 01:00:00:00>"/,
    );
  });
});
