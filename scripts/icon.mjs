// Renders media/icon.svg to media/icon.png (128x128, the Marketplace's size) with the Chromium that
// the integration tests drive (see test/integration/host.mjs). Run after changing the SVG:
// node scripts/icon.mjs. The PNG is committed; packaging does not need a browser.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlaywright } from '../test/integration/host.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const svg = await fs.readFile(path.join(ROOT, 'media/icon.svg'), 'utf8');
const { chromium } = loadPlaywright();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.screenshot({ path: path.join(ROOT, 'media/icon.png'), omitBackground: true, clip: { x: 0, y: 0, width: 128, height: 128 } });
  console.log('media/icon.png');
} finally {
  await browser.close();
}
