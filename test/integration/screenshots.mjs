#!/usr/bin/env node
// Screenshots of the real UI: the packaged .vsix installed into the VS Code server, driven through
// Chromium like a person would (Quick Open, the Command Palette). Writes PNGs to docs/screenshots/.
// Usage: node test/integration/screenshots.mjs [outDir] [--only watch-folders]
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './build.mjs';
import { CODE_SERVER_CLI, ensureHostInstalled, launchBrowser, makeSandbox, startServer, workbenchUrl } from './host.mjs';

const ARGS = process.argv.slice(2);
const ONLY = ARGS.includes('--only') ? ARGS[ARGS.indexOf('--only') + 1] : undefined;
const OUT = path.resolve(ARGS.find((a, i) => !a.startsWith('--') && ARGS[i - 1] !== '--only') ?? path.join(ROOT, 'docs/screenshots'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Type into the Command Palette (F1) or Quick Open (Ctrl+P), as a person would, and accept. */
function workbenchKeys(page) {
  const quickInput = async (key, text, settle) => {
    await page.keyboard.press(key);
    await page.waitForSelector('.quick-input-widget .quick-input-box input', { state: 'visible' });
    await page.keyboard.type(text, { delay: 10 });
    await sleep(settle[0]);
    await page.keyboard.press('Enter');
    await sleep(settle[1]);
  };
  return {
    palette: (title) => quickInput('F1', title, [600, 600]),
    open: (file) => quickInput('Control+P', file, [800, 1500]),
  };
}

function ffmpeg(...args) {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

function clip(file, seconds, size) {
  ffmpeg(
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${size}:rate=25`,
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    String(seconds),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-crf',
    '28',
    '-c:a',
    'pcm_s16le',
    '-shortest',
    file,
  );
}

async function main() {
  ensureHostInstalled();
  // Outside the sandboxes: each session installs the same package.
  const vsixDir = await fs.mkdtemp(path.join(os.tmpdir(), 'jobspec-vsix-'));
  const vsix = path.join(vsixDir, 'jobspec-proxy.vsix');
  const pack = () => {
    // The same flags as `npm run package` (no repository URL yet: see package.json).
    const flags = ['--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links'];
    const r = spawnSync('npx', ['vsce', 'package', ...flags, '--out', vsix], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, npm_config_yes: 'true' },
    });
    if (r.status !== 0) throw new Error('vsce package failed (run `npm run build` first)');
  };
  const want = (name) => !ONLY || ONLY === name;
  try {
    pack();
    if (want('main')) await mainSession(vsix);
    if (want('restricted')) await restrictedMode(vsix);
    if (want('watch-folders')) await watchFolders(vsix);
    if (want('report')) await reportView(vsix);
    if (want('editor')) await editorSession(vsix);
    if (want('history')) await historySession(vsix);
    // The walkthrough shows pictures the sessions above just took (media/walkthrough/): package again.
    if (want('walkthrough')) {
      pack();
      await walkthroughSession(vsix);
    }
  } finally {
    await fs.rm(vsixDir, { recursive: true, force: true });
  }
}

const WALKTHROUGH = path.join(ROOT, 'media/walkthrough');

/** 1-4. The editor, the Problems panel, the Runs view and the log, in one window. */
/** Fixed pseudo-random bytes (xorshift32) named like a clip: ffprobe cannot read them, every time. */
async function corruptClip(file) {
  const bytes = Buffer.alloc(64 * 1024);
  for (let i = 0, x = 0x5eed; i < bytes.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 0xff;
  }
  await fs.writeFile(file, bytes);
}

/** A fresh server sandbox with the packaged extension installed. */
async function sandboxWith(vsix, prefix) {
  const sandbox = await makeSandbox(prefix);
  execFileSync(
    process.execPath,
    [
      CODE_SERVER_CLI,
      '--install-extension',
      vsix,
      '--extensions-dir',
      sandbox.dirs.extensions,
      '--user-data-dir',
      sandbox.dirs['user-data'],
    ],
    { env: sandbox.env, stdio: 'ignore' },
  );
  return sandbox;
}

async function mainSession(vsix) {
  const sandbox = await sandboxWith(vsix, 'jobspec-shots-');

  const ws = (...p) => path.join(sandbox.dirs.workspace, ...p);
  await fs.mkdir(ws('media'), { recursive: true });
  for (const d of ['two', 'failing', 'cancel', 'day']) await fs.mkdir(ws('out', d), { recursive: true });
  clip(ws('media/clip_a.mov'), 1, '320x240');
  clip(ws('media/clip_b.mov'), 1, '320x240');
  for (const name of ['A001_C003', 'A001_C004', 'A001_C005']) clip(ws(`media/${name}.mov`), 5, '1280x720');
  await corruptClip(ws('media/corrupt.mov'));
  await fs.writeFile(
    ws('day.jobspec.json'),
    JSON.stringify(
      {
        jobspec_version: '1',
        job_id: 'day1_camA',
        sources: ['media/A001_C003.mov', 'media/A001_C004.mov', 'media/A001_C005.mov'],
        output_directory: 'out/day',
        codec: 'prores_hq',
        container: 'mov',
        resolution: 'same',
        naming_template: '{source_name}_proxy_{index}',
        fps_mode: 'same-as-source',
        audio: 'auto',
      },
      null,
      2,
    ) + '\n',
  );

  const server = await startServer(sandbox);
  const browser = await launchBrowser(sandbox, { width: 1280, height: 800 });
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(workbenchUrl(server, sandbox.dirs.workspace));
    await page.waitForSelector('.monaco-workbench .part.editor', { timeout: 60_000 });
    await sleep(4000);
    await fs.mkdir(OUT, { recursive: true });
    const shot = async (name, clipRect) => {
      const file = path.join(OUT, `${name}.png`);
      await page.screenshot({ path: file, ...(clipRect ? { clip: clipRect } : {}) });
      console.log(`[shots] ${file}`);
    };
    const { palette, open } = workbenchKeys(page);
    const dismissNotifications = async () => {
      await palette('Notifications: Clear All Notifications');
    };

    // A wider side bar, so the Runs view's descriptions are not cut short.
    await palette('JobSpec: Focus on Runs View');
    for (let i = 0; i < 3; i++) await palette('View: Increase Current View Size');
    await sleep(800);
    await shot('runs-empty'); // the welcome text before any run
    await palette('View: Show Explorer');

    // 1. CodeLens and the editor title's run button on a JobSpec.
    await open('two-clips.jobspec.json');
    await page.waitForSelector('.codelens-decoration', { timeout: 20_000 });
    await sleep(800);
    await shot('codelens');

    // 2. Meaning checks in the Problems panel, at the offending values.
    await open('meaning.jobspec.json');
    await sleep(2500);
    await palette('View: Focus on Problems View');
    await sleep(1500);
    await shot('problems');
    await palette('View: Close Panel');

    // 3. A run mid-way and finished, in the Runs view.
    await open('day.jobspec.json');
    await palette('JobSpec: Focus on Runs View');
    await palette('JobSpec: Execute JobSpec');
    await page.waitForSelector('.monaco-list-row .codicon-sync', { timeout: 30_000 });
    await sleep(2500);
    await shot('runs-mid-run');
    await page.waitForSelector('.monaco-list-row[aria-label*="day"] .codicon-pass-filled, .monaco-list-row .codicon-pass-filled', {
      timeout: 180_000,
    });
    await page.waitForFunction(() => document.querySelectorAll('.monaco-list-row .codicon-sync').length === 0, null, { timeout: 180_000 });
    await sleep(1200);
    await shot('runs-finished');
    await dismissNotifications();

    // 4. A failing run: FAILED then NOT_RUN, the error notification, and the log.
    await open('failing.jobspec.json');
    await palette('JobSpec: Execute JobSpec');
    await page.waitForSelector('.monaco-list-row .codicon-error', { timeout: 60_000 });
    await sleep(1500);
    await shot('runs-failed');
    await dismissNotifications();
    const failedLabel = page.locator('.monaco-list-row:has(.codicon-error) .label-name').last();
    const box = await failedLabel.boundingBox();
    if (box) {
      await page.mouse.move(box.x + 5, box.y + box.height / 2);
      await page.mouse.move(box.x + 15, box.y + box.height / 2, { steps: 5 });
    }
    await page
      .waitForSelector('.monaco-hover, .workbench-hover', { state: 'visible', timeout: 10_000 })
      .catch(() => console.log('[shots] no tooltip appeared'));
    await sleep(800);
    await shot('tooltip-failed');
    await page.mouse.move(900, 300);
    await palette('JobSpec: Show Log');
    await sleep(800);
    await palette('View: Toggle Maximized Panel');
    await sleep(1500);
    await shot('output-channel');
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
    if (process.env.JOBSPEC_SHOTS_KEEP === '1') console.log(`[shots] kept ${sandbox.base}`);
    else await fs.rm(sandbox.base, { recursive: true, force: true }).catch(() => {});
  }
}

/** 5. Restricted Mode: diagnostics still work, running is refused with the reason and a way out. */
async function restrictedMode(vsix) {
  const sandbox = await sandboxWith(vsix, 'jobspec-shots-restricted-');
  const settingsFile = path.join(sandbox.dirs['user-data'], 'User/settings.json');
  const settings = JSON.parse(await fs.readFile(settingsFile, 'utf8'));
  settings['security.workspace.trust.enabled'] = true;
  settings['security.workspace.trust.startupPrompt'] = 'never';
  await fs.writeFile(settingsFile, JSON.stringify(settings, null, 2));
  const server = await startServer(sandbox);
  const browser = await launchBrowser(sandbox, { width: 1280, height: 800 });
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(workbenchUrl(server, sandbox.dirs.workspace));
    await page.waitForSelector('.monaco-workbench .part.editor', { timeout: 60_000 });
    await sleep(4000);
    const { palette, open } = workbenchKeys(page);
    await open('two-clips.jobspec.json');
    await page.waitForSelector('.codelens-decoration', { timeout: 20_000 });
    await palette('JobSpec: Execute JobSpec');
    await page.waitForSelector('.notifications-toasts .notification-toast', { timeout: 10_000 });
    await sleep(800);
    const file = path.join(OUT, 'restricted-mode.png');
    await page.screenshot({ path: file });
    console.log(`[shots] ${file}`);
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
    await fs.rm(sandbox.base, { recursive: true, force: true }).catch(() => {});
  }
}

/** 6. Watch folders: a watched drop folder mid-way, its JobSpecs by state, the watcher's run in the Runs view. */
async function watchFolders(vsix) {
  const sandbox = await sandboxWith(vsix, 'jobspec-shots-watch-');
  const ws = (...p) => path.join(sandbox.dirs.workspace, ...p);
  await fs.mkdir(ws('media'), { recursive: true });
  for (const d of ['day1', 'day2']) await fs.mkdir(ws('out', d), { recursive: true });
  for (const name of ['A001_C001', 'A001_C002', 'B001_C001']) clip(ws(`media/${name}.mov`), 1, '320x240');
  // Long enough that day2_camA is still encoding when the picture is taken.
  for (const name of ['A002_C001', 'A002_C002', 'A002_C003']) clip(ws(`media/${name}.mov`), 20, '1280x720');
  await corruptClip(ws('media/B001_C002.mov'));
  // Relative paths in a dropped JobSpec resolve against the drop folder's pending/.
  const spec = (jobId, sources, out, extra = {}) => ({
    jobspec_version: '1',
    job_id: jobId,
    sources: sources.map((s) => `../../media/${s}.mov`),
    output_directory: `../../out/${out}`,
    codec: 'prores_proxy',
    container: 'mov',
    resolution: 'half',
    naming_template: '{source_name}_proxy',
    ...extra,
  });
  const drop = ws('camera-drop');
  await fs.mkdir(path.join(drop, 'pending'), { recursive: true });
  const jobs = {
    day1_camA: spec('day1_camA', ['A001_C001', 'A001_C002'], 'day1'),
    day1_camB: spec('day1_camB', ['B001_C001', 'B001_C002'], 'day1'),
    day1_sound: { ...spec('day1_sound', ['A001_C001'], 'day1'), resolutoin: 'half' },
    day2_camA: spec('day2_camA', ['A002_C001', 'A002_C002', 'A002_C003'], 'day2', { codec: 'prores_hq', resolution: 'same' }),
    day2_camB: spec('day2_camB', ['A002_C001'], 'day2', { naming_template: '{source_name}_b' }),
    day2_camC: spec('day2_camC', ['A002_C002'], 'day2', { naming_template: '{source_name}_c' }),
  };
  delete jobs.day1_sound.resolution;
  for (const [name, body] of Object.entries(jobs))
    await fs.writeFile(path.join(drop, 'pending', `${name}.jobspec.json`), JSON.stringify(body, null, 2) + '\n');

  // A card dump watched for media too, with a template JobSpec (one without sources).
  await fs.mkdir(ws('card-dump'), { recursive: true });
  await fs.mkdir(ws('out', 'dailies'), { recursive: true });
  const template = {
    job_id: 'dailies',
    output_directory: 'out/dailies',
    preset: 'proxy_h264_quarter',
    naming_template: '{source_name}_proxy',
  };
  await fs.writeFile(ws('dailies.template.jobspec.json'), JSON.stringify(template, null, 2) + '\n');

  const server = await startServer(sandbox);
  const browser = await launchBrowser(sandbox, { width: 1280, height: 800 });
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(workbenchUrl(server, sandbox.dirs.workspace));
    await page.waitForSelector('.monaco-workbench .part.editor', { timeout: 60_000 });
    await sleep(4000);
    const { palette } = workbenchKeys(page);
    await palette('JobSpec: Focus on Watch Folders View');
    for (let i = 0; i < 3; i++) await palette('View: Increase Current View Size');
    // The folder picker of a browser window is VS Code's own: type the path, then accept it.
    await palette('JobSpec: Watch Folder…');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.fill(drop + '/');
    await sleep(800);
    await page.keyboard.press('Enter');
    await sleep(1500);
    // The card dump: its folder, then its template (the only JobSpec without sources, listed first).
    await palette('JobSpec: Watch Folder for Media…');
    await input.fill(ws('card-dump') + '/');
    await sleep(800);
    await page.keyboard.press('Enter');
    await sleep(1500);
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () => [...document.querySelectorAll('.monaco-list-row')].some((r) => /media →/.test(r.textContent ?? '')),
      null,
      {
        timeout: 30_000,
      },
    );
    // Two finished, two failed, one running with progress, two waiting.
    await page.waitForFunction(
      () => [...document.querySelectorAll('.monaco-list-row')].some((r) => /clip [23]\/3/.test(r.textContent ?? '')),
      null,
      { timeout: 180_000 },
    );
    await sleep(1200);
    await page.mouse.move(900, 300);
    await palette('Notifications: Clear All Notifications');
    const file = path.join(OUT, 'watch-folders.png');
    await page.screenshot({ path: file });
    console.log(`[shots] ${file}`);
    // The invalid JobSpec's problems, from its result file.
    const row = page.locator('.monaco-list-row:has-text("day1_sound") .label-name').last();
    const box = await row.boundingBox();
    if (box) {
      await page.mouse.move(box.x + 5, box.y + box.height / 2);
      await page.mouse.move(box.x + 15, box.y + box.height / 2, { steps: 5 });
    }
    await page
      .waitForSelector('.monaco-hover, .workbench-hover', { state: 'visible', timeout: 10_000 })
      .catch(() => console.log('[shots] no tooltip appeared'));
    await sleep(800);
    const tip = path.join(OUT, 'watch-folders-tooltip.png');
    await page.screenshot({ path: tip });
    console.log(`[shots] ${tip}`);
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
    if (process.env.JOBSPEC_SHOTS_KEEP === '1') console.log(`[shots] kept ${sandbox.base}`);
    else await fs.rm(sandbox.base, { recursive: true, force: true }).catch(() => {});
  }
}

/** A window of the packaged extension on a fresh sandbox; `prepare` fills the workspace first. */
async function session(vsix, prefix, prepare, body, { viewport = { width: 1280, height: 800 }, settings = {} } = {}) {
  const sandbox = await sandboxWith(vsix, prefix);
  if (Object.keys(settings).length > 0) {
    const file = path.join(sandbox.dirs['user-data'], 'User/settings.json');
    await fs.writeFile(file, JSON.stringify({ ...JSON.parse(await fs.readFile(file, 'utf8')), ...settings }, null, 2));
  }
  const ws = (...p) => path.join(sandbox.dirs.workspace, ...p);
  await prepare(ws, sandbox);
  let server = await startServer(sandbox);
  const browser = await launchBrowser(sandbox, viewport);
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    const openWindow = async () => {
      await page.goto(workbenchUrl(server, sandbox.dirs.workspace));
      await page.waitForSelector('.monaco-workbench .part.editor', { timeout: 60_000 });
      await sleep(4000);
    };
    await openWindow();
    await fs.mkdir(OUT, { recursive: true });
    const shot = async (name, clipRect) => {
      const file = path.join(OUT, `${name}.png`);
      await page.screenshot({ path: file, ...(clipRect ? { clip: clipRect } : {}) });
      console.log(`[shots] ${file}`);
    };
    const restart = async () => {
      await server.stop();
      server = await startServer(sandbox);
      await openWindow();
    };
    await body({ page, ws, shot, restart, ...workbenchKeys(page) });
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
    if (process.env.JOBSPEC_SHOTS_KEEP === '1') console.log(`[shots] kept ${sandbox.base}`);
    else await fs.rm(sandbox.base, { recursive: true, force: true }).catch(() => {});
  }
}

function writeSpec(file, spec) {
  return fs.writeFile(file, JSON.stringify({ jobspec_version: '1', ...spec }, null, 2) + '\n');
}

/** Wait until no row of the Runs view spins. */
async function runsSettled(page, timeout = 240_000) {
  await page.waitForFunction(() => document.querySelectorAll('.monaco-list-row .codicon-sync').length === 0, null, { timeout });
}

/** 7. The report view: a run with concurrency and a failure, its timeline, poster frames and checks. */
async function reportView(vsix) {
  await session(
    vsix,
    'jobspec-shots-report-',
    async (ws) => {
      await fs.mkdir(ws('media'), { recursive: true });
      await fs.mkdir(ws('proxies'), { recursive: true });
      for (const name of ['A001_C003', 'A001_C004', 'A001_C005']) clip(ws(`media/${name}.mov`), 6, '1280x720');
      await corruptClip(ws('media/A001_C006.mov'));
      await writeSpec(ws('day1.jobspec.json'), {
        job_id: 'day1_camA',
        sources: ['media/A001_C003.mov', 'media/A001_C004.mov', 'media/A001_C005.mov', 'media/A001_C006.mov'],
        output_directory: 'proxies',
        codec: 'prores_proxy',
        container: 'mov',
        resolution: 'half',
        naming_template: '{source_name}_proxy',
        max_concurrent_jobs: 2,
      });
    },
    async ({ page, shot, palette, open }) => {
      await open('day1.jobspec.json');
      await palette('JobSpec: Focus on Runs View');
      await palette('JobSpec: Execute JobSpec');
      await page.waitForSelector('.monaco-list-row .codicon-sync', { timeout: 30_000 });
      await runsSettled(page);
      await sleep(1000);
      await palette('Notifications: Clear All Notifications');
      await palette('JobSpec: Open Report');
      // The webview's page is in an iframe inside an iframe.
      const frame = async () => {
        for (let i = 0; i < 100; i++) {
          for (const f of page.frames()) if (await f.$('#app .clip').catch(() => null)) return f;
          await sleep(200);
        }
        throw new Error('the report view did not render');
      };
      const view = await frame();
      await view.waitForFunction(() => document.querySelectorAll('.frame img').length >= 4, null, { timeout: 60_000 });
      await sleep(800);
      await palette('View: Close Primary Side Bar');
      await sleep(800);
      await shot('report-view');
      // For the walkthrough: the header, the timeline and the first clips.
      await page.screenshot({ path: path.join(WALKTHROUGH, 'report.png'), clip: { x: 48, y: 90, width: 900, height: 560 } });
      await view.evaluate(() => document.querySelector('#clip-3')?.scrollIntoView({ block: 'start' }));
      await sleep(600);
      await shot('report-view-failed-clip');
      // Poster frames in the Runs view's hover.
      await palette('View: Open Primary Side Bar');
      await palette('JobSpec: Focus on Runs View');
      await sleep(800);
      const row = page.locator('.monaco-list-row:has-text("A001_C004.mov") .label-name').first();
      const box = await row.boundingBox();
      if (box) {
        await page.mouse.move(box.x + 5, box.y + box.height / 2);
        await page.mouse.move(box.x + 15, box.y + box.height / 2, { steps: 5 });
      }
      await page
        .waitForSelector('.workbench-hover img, .monaco-hover img', { state: 'visible', timeout: 20_000 })
        .catch(() => console.log('[shots] no pictures in the hover'));
      await sleep(1000);
      await shot('runs-hover-posters');
    },
  );
}

/** Rows of the Runs view whose text matches. */
function runsRow(page, text) {
  return page.locator(`.monaco-list-row:has-text("${text}")`);
}

/** 8. Editing: path completion in sources, and a quick fix on a problem that blocks a run. */
async function editorSession(vsix) {
  await session(
    vsix,
    'jobspec-shots-editor-',
    async (ws) => {
      await fs.mkdir(ws('cards/A002/CLIP'), { recursive: true });
      await fs.mkdir(ws('proxies'), { recursive: true });
      for (const name of ['A002C001', 'A002C002', 'A002C003', 'A002C010', 'A002C011'])
        clip(ws(`cards/A002/CLIP/${name}.mov`), 1, '320x240');
      await writeSpec(ws('day2.jobspec.json'), {
        job_id: 'day2',
        sources: ['cards/A002/CLIP/A002C001.mov', 'cards/A002/CLIP/'],
        output_directory: 'proxies',
        codec: 'prores_proxy',
        container: 'mp4',
        resolutoin: 'half',
        naming_template: '{source_name}_proxy',
        max_concurrent_jobs: 0,
      });
    },
    async ({ page, shot, open, palette }) => {
      // The Explorer's context menu on a card folder.
      await palette('View: Show Explorer');
      const folder = page.locator('.monaco-list-row:has-text("cards")').first();
      await folder.click();
      await page.keyboard.press('ArrowRight');
      await sleep(500);
      const card = page.locator('.monaco-list-row:has-text("A002")').first();
      await card.click({ button: 'right' });
      await page.waitForSelector('.context-view .monaco-menu', { timeout: 10_000 });
      await sleep(800);
      const menu = await page.locator('.context-view .monaco-menu').boundingBox();
      await shot('new-from-clips');
      if (menu)
        await page.screenshot({
          path: path.join(WALKTHROUGH, 'new-from-clips.png'),
          clip: { x: 48, y: 64, width: menu.x + menu.width + 16 - 48, height: menu.y + menu.height + 12 - 64 },
        });
      await page.keyboard.press('Escape');
      await open('day2.jobspec.json');
      await page.waitForSelector('.squiggly-error', { timeout: 30_000 });
      await sleep(1500);
      // Path completion: the cursor after "cards/A002/CLIP/", then Ctrl+Space.
      const line = page.locator('.view-line', { hasText: 'cards/A002/CLIP/"' }).first();
      await line.click();
      await page.keyboard.press('End');
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('Control+Space');
      await page.waitForSelector('.suggest-widget.visible', { timeout: 20_000 });
      await sleep(1200);
      await shot('path-completion');
      await page.keyboard.press('Escape');
      // A quick fix: the container that ProRes does not fit.
      await page.locator('.view-line', { hasText: '"container"' }).first().click();
      await page.keyboard.press('End');
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('Control+.');
      await page.waitForSelector('.action-widget', { timeout: 20_000 });
      await sleep(1000);
      await shot('quick-fix');
      await page.keyboard.press('Escape');
      // The problem's hover, "did you mean" and all.
      const key = page.locator('.view-line span', { hasText: 'resolutoin' }).first();
      const kb = await key.boundingBox();
      if (kb) {
        await page.mouse.move(kb.x + 10, kb.y + kb.height / 2);
        await page.mouse.move(kb.x + 20, kb.y + kb.height / 2, { steps: 4 });
      }
      await page
        .waitForSelector('.monaco-hover-content', { state: 'visible', timeout: 10_000 })
        .catch(() => console.log('[shots] no hover appeared'));
      await sleep(1000);
      await shot('problem-hover');
      await page.mouse.move(900, 600);
      await palette('View: Focus on Problems View');
      await sleep(1500);
      await shot('problems-errors');
    },
  );
}

/** 9. A queued run, a run cut short by a reload, and the history read back from the reports after it. */
async function historySession(vsix) {
  await session(
    vsix,
    'jobspec-shots-history-',
    async (ws) => {
      await fs.mkdir(ws('media'), { recursive: true });
      for (const d of ['day1', 'day2', 'day3']) await fs.mkdir(ws('proxies', d), { recursive: true });
      for (const name of ['A001_C001', 'A001_C002', 'A001_C003']) clip(ws(`media/${name}.mov`), 6, '1920x1080');
      for (const name of ['B001_C001', 'B001_C002']) clip(ws(`media/${name}.mov`), 2, '1280x720');
      const spec = (id, sources, out) => ({
        job_id: id,
        sources: sources.map((n) => `media/${n}.mov`),
        output_directory: `proxies/${out}`,
        codec: 'prores_hq',
        container: 'mov',
        resolution: 'same',
        naming_template: '{source_name}_proxy',
      });
      await writeSpec(ws('day1_camA.jobspec.json'), spec('day1_camA', ['A001_C001', 'A001_C002', 'A001_C003'], 'day1'));
      await writeSpec(ws('day1_camB.jobspec.json'), {
        ...spec('day1_camB', ['B001_C001', 'B001_C002'], 'day2'),
        codec: 'prores_proxy',
        resolution: 'half',
      });
      await writeSpec(ws('day1_sound.jobspec.json'), {
        ...spec('day1_sound', ['B001_C001'], 'day3'),
        codec: 'prores_proxy',
        resolution: 'quarter',
      });
    },
    async ({ page, shot, open, palette }) => {
      await palette('JobSpec: Focus on Runs View');
      for (let i = 0; i < 3; i++) await palette('View: Increase Current View Size');
      // A short run to have history, then a long one with a second queued behind it.
      await open('day1_sound.jobspec.json');
      await palette('JobSpec: Execute JobSpec');
      await runsSettled(page);
      await open('day1_camA.jobspec.json');
      await palette('JobSpec: Execute JobSpec');
      await page.waitForSelector('.monaco-list-row .codicon-sync', { timeout: 30_000 });
      await open('day1_camB.jobspec.json');
      await palette('JobSpec: Execute JobSpec');
      await runsRow(page, 'QUEUED').first().waitFor({ timeout: 30_000 });
      await sleep(2500);
      await palette('Notifications: Clear All Notifications');
      await shot('runs-queued');
      await page.screenshot({ path: path.join(WALKTHROUGH, 'runs.png'), clip: { x: 48, y: 30, width: 560, height: 300 } });
      console.log('[shots] media/walkthrough/runs.png');
      // Let day1_camA finish its first clip, then reload the window while it encodes the second.
      await runsRow(page, 'A001_C001_proxy.mov').first().waitFor({ timeout: 120_000 });
      await sleep(1500);
      await page.reload();
      await page.waitForSelector('.monaco-workbench .part.editor', { timeout: 60_000 });
      await sleep(5000);
      await palette('JobSpec: Focus on Runs View');
      await runsRow(page, 'INTERRUPTED').first().waitFor({ timeout: 30_000 });
      await sleep(1500);
      // The interrupted run's row, hovered: its Resume button shows.
      const row = runsRow(page, 'INTERRUPTED').first();
      const box = await row.boundingBox();
      if (box) await page.mouse.move(box.x + box.width - 60, box.y + box.height / 2);
      await sleep(800);
      await shot('runs-after-reload');
    },
  );
}

/** 10. The walkthrough, and VS Code's own measure of the extension's activation. */
async function walkthroughSession(vsix) {
  await session(
    vsix,
    'jobspec-shots-walkthrough-',
    async (ws) => {
      await fs.mkdir(ws('cards/A001/CLIP'), { recursive: true });
      for (const name of ['A001C001', 'A001C002']) clip(ws(`cards/A001/CLIP/${name}.mov`), 1, '320x240');
      await writeSpec(ws('day1.jobspec.json'), {
        job_id: 'day1',
        sources: ['cards/A001/CLIP/A001C001.mov'],
        output_directory: '.',
        codec: 'prores_proxy',
        container: 'mov',
        resolution: 'half',
        naming_template: '{source_name}_proxy',
      });
    },
    async ({ page, shot, palette }) => {
      await palette('Welcome: Open Walkthrough...');
      await page.keyboard.type('Proxies from camera originals', { delay: 10 });
      await sleep(800);
      await page.keyboard.press('Enter');
      await page.waitForSelector('.gettingStartedContainer', { timeout: 20_000 });
      await sleep(2000);
      // The second step, with its picture.
      await page.locator('.getting-started-step:has-text("Make a JobSpec from your clips")').first().click();
      await sleep(1500);
      await shot('walkthrough');
      // VS Code's own measure of activation: Developer: Show Running Extensions.
      await palette('Developer: Show Running Extensions');
      await page.waitForSelector('.runtime-extensions-editor', { timeout: 20_000 });
      await sleep(1500);
      const text = await page
        .locator('.runtime-extensions-editor .monaco-list-row:has-text("JobSpec")')
        .first()
        .innerText()
        .catch(() => '');
      console.log(`[shots] activation as VS Code measured it: ${text.replace(/\s+/g, ' ')}`);
      await shot('activation');
    },
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
