// Where proxies go (issue "3 of 7", item 4): a Proxy folder beside each source (Resolve's
// convention) and a mirror of the card's folder tree under output_directory, end to end through the
// command, with every trust rule holding: folders made only when a clip runs, nothing outside the
// chosen folders, collisions refused (case included, on a real exFAT card), never a source.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { RunResult } from '../../src/core';
import { runCli, shown, toolArgs } from './helpers/cli';
import { placeMedia } from './helpers/media';
import { writeSpec } from './helpers/spec';
import { tempDir } from './helpers/tmp';
import { sha256, snapshot } from './helpers/tree';
import { exfatSkipReason, mountExfat, skipped } from './helpers/volumes';

function spec(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    job_id: 'layout',
    output_directory: 'reports',
    codec: 'h264',
    container: 'mp4',
    resolution: 'half',
    naming_template: '{source_name}',
    ...fields,
  };
}

async function card(root: string, clips: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const [i, rel] of clips.entries()) out.push(await placeMedia(path.join(root, rel), i % 2 ? 'clip-b' : 'clip'));
  return out;
}

function result(r: { stdout: string }): RunResult {
  return JSON.parse(r.stdout) as RunResult;
}

describe('layout "beside-source": a Proxy folder beside each source, as Resolve lays them out', () => {
  test('each clip gets its proxy in <its folder>/Proxy/ under its own name; the report stays in output_directory', async (t) => {
    const dir = await tempDir(t, 'jobspec-layout-');
    const sources = await card(dir, ['card/A001/CLIP/A001C003.mov', 'card/A001/CLIP/A001C004.mov', 'card/B002/CLIP/B002C001.mov']);
    await fsp.mkdir(path.join(dir, 'reports'));
    const hashes = await Promise.all(sources.map((s) => sha256(s)));
    const file = await writeSpec(dir, spec({ sources: sources.map((s) => path.relative(dir, s)), layout: 'beside-source' }));
    const r = await runCli(['execute', file, '--json', ...toolArgs()], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, shown(r));
    assert.deepEqual(
      result(r).clips.map((c) => path.relative(dir, c.output)),
      ['card/A001/CLIP/Proxy/A001C003.mp4', 'card/A001/CLIP/Proxy/A001C004.mp4', 'card/B002/CLIP/Proxy/B002C001.mp4'],
    );
    for (const c of result(r).clips) assert.ok(fs.statSync(c.output).size > 0);
    assert.equal(path.dirname(result(r).report_path ?? ''), path.join(dir, 'reports'));
    for (const [i, s] of sources.entries()) assert.equal(await sha256(s), hashes[i], 'a source is only ever read');
  });

  test('a Proxy that is a symbolic link is refused: proxies never leave the chosen folders', async (t) => {
    const dir = await tempDir(t, 'jobspec-layout-');
    const [src] = await card(dir, ['card/A001/A001C003.mov']);
    await fsp.mkdir(path.join(dir, 'elsewhere'));
    await fsp.symlink(path.join(dir, 'elsewhere'), path.join(dir, 'card', 'A001', 'Proxy'));
    await fsp.mkdir(path.join(dir, 'reports'));
    const file = await writeSpec(dir, spec({ sources: [path.relative(dir, src)], layout: 'beside-source' }));
    const r = await runCli(['execute', file, '--json', ...toolArgs()], { timeoutMs: 60_000 });
    assert.equal(r.code, 2, shown(r));
    assert.match(result(r).clips[0].message ?? '', /Proxy is a symbolic link; proxies are only written into real folders/);
    assert.deepEqual(await fsp.readdir(path.join(dir, 'elsewhere')), [], 'nothing written through the link');
  });

  test('a read-only folder (a card mounted read-only) is refused at validation, naming the source', async (t) => {
    if (skipped(t, exfatSkipReason())) return;
    const c = mountExfat(t);
    await card(c.root, ['A001/A001C003.mov']);
    const { execFileSync } = await import('node:child_process');
    execFileSync('mount', ['-o', 'remount,ro', c.root]);
    const dir = await tempDir(t, 'jobspec-layout-');
    await fsp.mkdir(path.join(dir, 'reports'));
    const file = await writeSpec(dir, spec({ sources: [path.join(c.root, 'A001/A001C003.mov')], layout: 'beside-source' }));
    const r = await runCli(['validate', file, '--json'], { timeoutMs: 60_000 });
    assert.equal(r.code, 1, shown(r));
    assert.match(r.stdout, /"code": "proxy-folder-not-writable"/);
    assert.match(r.stdout, /read-only file system/);
  });
});

describe('layout "mirror": the card\'s folder tree recreated under output_directory', () => {
  test('nested card folders are mirrored from the deepest folder that holds every source', async (t) => {
    const dir = await tempDir(t, 'jobspec-layout-');
    const sources = await card(dir, ['card/A001/CLIP/A001C003.mov', 'card/A001/CLIP/A001C004.mov', 'card/B002/CLIP/B002C001.mov']);
    await fsp.mkdir(path.join(dir, 'proxies'));
    const file = await writeSpec(
      dir,
      spec({
        sources: sources.map((s) => path.relative(dir, s)),
        layout: 'mirror',
        output_directory: 'proxies',
        naming_template: '{source_name}_proxy',
      }),
    );
    const r = await runCli(['execute', file, '--json', ...toolArgs()], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, shown(r));
    assert.deepEqual(
      result(r).clips.map((c) => path.relative(path.join(dir, 'proxies'), c.output)),
      ['A001/CLIP/A001C003_proxy.mp4', 'A001/CLIP/A001C004_proxy.mp4', 'B002/CLIP/B002C001_proxy.mp4'],
    );
  });

  test('layout_root sets where the mirror starts; a source outside it is refused by name', async (t) => {
    const dir = await tempDir(t, 'jobspec-layout-');
    const sources = await card(dir, ['card/A001/CLIP/A001C003.mov', 'other/X.mov']);
    await fsp.mkdir(path.join(dir, 'proxies'));
    const file = await writeSpec(
      dir,
      spec({ sources: sources.map((s) => path.relative(dir, s)), layout: 'mirror', layout_root: 'card', output_directory: 'proxies' }),
    );
    const r = await runCli(['validate', file, '--json']);
    assert.equal(r.code, 1, shown(r));
    assert.match(r.stdout, /sources\[1\] \\"other\/X\.mov\\" is not inside layout_root .*card/);
  });

  test('folders are made only when a clip runs: after a failure, later clips leave no folder, and the failed clip takes its own away', async (t) => {
    const dir = await tempDir(t, 'jobspec-layout-');
    await placeMedia(path.join(dir, 'card/A001/A001C001.mov'), 'clip');
    await placeMedia(path.join(dir, 'card/B002/B002C001.mov'), 'corrupt');
    await placeMedia(path.join(dir, 'card/C003/C003C001.mov'), 'clip');
    await fsp.mkdir(path.join(dir, 'proxies'));
    const before = snapshot(path.join(dir, 'proxies'));
    const file = await writeSpec(
      dir,
      spec({
        sources: ['card/A001/A001C001.mov', 'card/B002/B002C001.mov', 'card/C003/C003C001.mov'],
        layout: 'mirror',
        output_directory: 'proxies',
      }),
    );
    const v = await runCli(['validate', file]);
    const d = await runCli(['dry-run', file, ...toolArgs()]);
    assert.equal(v.code, 0, shown(v));
    assert.deepEqual(snapshot(path.join(dir, 'proxies')), before, 'validate and dry-run make no folder');
    assert.ok(d.code === 0 || d.code === 2, shown(d));
    const r = await runCli(['execute', file, '--json', ...toolArgs()], { timeoutMs: 120_000 });
    assert.equal(r.code, 2, shown(r));
    assert.deepEqual(
      result(r).clips.map((c) => c.status),
      ['COMPLETED', 'FAILED', 'NOT_RUN'],
    );
    const made = (await fsp.readdir(path.join(dir, 'proxies'))).filter((n) => !n.endsWith('.report.json')).sort();
    assert.deepEqual(made, ['A001'], 'only the folder of the clip that completed');
  });
});

describe('layouts on a case-insensitive volume (exFAT through FUSE)', () => {
  test('mirror: A001/ and a001/ on the source disk would be one folder on the card, so their same-named clips collide', async (t) => {
    if (skipped(t, exfatSkipReason())) return;
    const c = mountExfat(t);
    const dir = await tempDir(t, 'jobspec-layout-');
    const sources = await card(dir, ['src/A001/C001.mov', 'src/a001/C001.mov']);
    const file = await writeSpec(
      dir,
      spec({ sources: sources.map((s) => path.relative(dir, s)), layout: 'mirror', output_directory: c.root }),
    );
    const r = await runCli(['validate', file, '--json']);
    assert.equal(r.code, 1, shown(r));
    assert.match(r.stdout, /"code": "output-collision"/);
    assert.match(r.stdout, /sources\[1\] \\"src\/a001\/C001\.mov\\" and sources\[0\] \\"src\/A001\/C001\.mov\\"/);
    assert.deepEqual(await fsp.readdir(c.root), [], 'nothing was made on the card');
  });

  test('beside-source on the card: the Proxy folder is made there, the sources are untouched, and a re-run finds the folder in any case', async (t) => {
    if (skipped(t, exfatSkipReason())) return;
    const c = mountExfat(t);
    const sources = await card(c.root, ['DCIM/A001C003.MOV', 'DCIM/A001C004.MOV']);
    const hashes = await Promise.all(sources.map((s) => sha256(s)));
    const dir = await tempDir(t, 'jobspec-layout-');
    await fsp.mkdir(path.join(dir, 'reports'));
    const file = await writeSpec(dir, spec({ sources, layout: 'beside-source', container: 'mov', codec: 'prores_proxy' }));
    const r = await runCli(['execute', file, '--json', ...toolArgs()], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, shown(r));
    assert.deepEqual(await fsp.readdir(path.join(c.root, 'DCIM')), ['A001C003.MOV', 'A001C004.MOV', 'Proxy']);
    assert.deepEqual((await fsp.readdir(path.join(c.root, 'DCIM', 'Proxy'))).sort(), ['A001C003.mov', 'A001C004.mov']);
    for (const [i, s] of sources.entries()) assert.equal(await sha256(s), hashes[i]);
    // The same proxies named with another case: the card says the folder and the files are there already.
    const again = await writeSpec(
      dir,
      spec({ sources, layout: 'beside-source', proxy_folder: 'PROXY', container: 'mov', codec: 'prores_proxy' }),
      'again.jobspec.json',
    );
    const r2 = await runCli(['execute', again, '--json', ...toolArgs()], { timeoutMs: 120_000 });
    assert.equal(r2.code, 2, shown(r2));
    assert.match(result(r2).clips[0].message ?? '', /Output already exists: .*PROXY\/A001C003\.mov; overwrite is "never"/);
  });
});
