#!/usr/bin/env node
// Runs the integration suite inside a real VS Code (the server from npm code-server, opened in
// headless Chromium). Exit code 0 when every test passed. Usage: node test/integration/run-server.mjs
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildTests, ROOT } from './build.mjs';
import { ensureHostInstalled, launchBrowser, makeSandbox, startServer, workbenchUrl } from './host.mjs';

const TIMEOUT_MS = Number(process.env.JOBSPEC_IT_TIMEOUT_MS || 8 * 60_000);
const KEEP = process.env.JOBSPEC_IT_KEEP === '1';

async function main() {
  const t0 = Date.now();
  ensureHostInstalled();
  if (process.env.JOBSPEC_IT_SKIP_BUILD !== '1') {
    const b = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('building the extension failed');
  }
  const testsEntry = await buildTests();

  const sandbox = await makeSandbox('jobspec-it-');
  let server;
  let browser;
  let timer;
  try {
    server = await startServer(sandbox);
    console.log(`[host] VS Code server on ${server.url}, workspace ${sandbox.dirs.workspace}`);
    browser = await launchBrowser(sandbox);
    const page = browser.pages()[0] ?? (await browser.newPage());
    const exitCode = new Promise((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code) => resolve(Number(code)));
    });
    // The extension host's console (mocha's reporter included) arrives here.
    // The extension host's console arrives here; the suite marks its report lines with "[it] ".
    const verbose = process.env.JOBSPEC_IT_VERBOSE === '1';
    const counts = { passing: 0, failing: 0, pending: 0 };
    await page.exposeFunction('codeAutomationLog', (level, message) => {
      const text = String(message);
      const at = text.indexOf('[it] ');
      if (at >= 0) {
        const line = text.slice(at + 5).replace(/ \(at .*\)$/, '');
        const m = /^\s*(\d+) (passing|failing|pending)\b/.exec(line);
        if (m) counts[m[2]] = Number(m[1]);
        console.log(line);
      } else if (verbose || (level === 'error' && /jobspec/i.test(text))) console.log(`[workbench:${level}] ${text}`);
    });
    const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
    await page.goto(
      workbenchUrl(server, sandbox.dirs.workspace, [
        ['extensionDevelopmentPath', remote(ROOT)],
        ['extensionTestsPath', remote(testsEntry)],
      ]),
    );
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => {
        console.error(`[host] the suite did not finish within ${TIMEOUT_MS / 1000} s`);
        resolve(124);
      }, TIMEOUT_MS);
    });
    const code = await Promise.race([exitCode, timeout]);
    console.log(`[host] suite finished with exit code ${code} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // The plain closing line CI reads; a suite that never reported counts as failed.
    if (counts.passing + counts.failing === 0 && code === 0) return 1;
    console.log(`integration: ${counts.passing} passed, ${counts.failing} failed${counts.pending ? `, ${counts.pending} skipped` : ''}`);
    return code;
  } finally {
    clearTimeout(timer);
    await browser?.close().catch(() => {});
    await server?.stop();
    if (KEEP) console.log(`[host] kept ${sandbox.base}`);
    else await fsp.rm(sandbox.base, { recursive: true, force: true }).catch(() => {});
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
