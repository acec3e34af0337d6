// Shared by run-server.mjs and screenshots.mjs: a real VS Code server (from npm code-server) in a
// throw-away home, driven by Debian's Chromium through playwright-core. See
// shared/docs/real-vscode-testing.md for why it is done this way.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './build.mjs';

export const CACHE = path.join(ROOT, '.vscode-test');
export const SERVER_MAIN = path.join(CACHE, 'node_modules/code-server/lib/vscode/out/server-main.js');
export const CODE_SERVER_CLI = path.join(CACHE, 'node_modules/code-server/out/node/entry.js');
export const FIXTURE = path.join(ROOT, 'test/integration/fixtures/workspace');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export function ensureHostInstalled() {
  if (fs.existsSync(SERVER_MAIN) && fs.existsSync(path.join(CACHE, 'node_modules/playwright-core'))) return;
  console.log('[host] code-server is not in .vscode-test/ yet: running test/integration/install-host.sh');
  const r = spawnSync('bash', [path.join(ROOT, 'test/integration/install-host.sh')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`install-host.sh failed with exit code ${r.status}`);
}

export function loadPlaywright() {
  const require = createRequire(path.join(CACHE, 'package.json'));
  return require('playwright-core');
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Fresh folders for one session: home, temp, XDG dirs, server data, Chromium profile, workspace. */
export async function makeSandbox(prefix) {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  const dirs = {};
  for (const name of ['home', 'tmp', 'config', 'data', 'cache', 'runtime', 'server-data', 'user-data', 'extensions', 'profile']) {
    dirs[name] = path.join(base, name);
    await fsp.mkdir(dirs[name], { recursive: true, mode: 0o700 });
  }
  dirs.workspace = path.join(base, 'workspace');
  await fsp.cp(FIXTURE, dirs.workspace, { recursive: true });
  await fsp.mkdir(path.join(dirs['user-data'], 'User'), { recursive: true });
  const settings = {
    'workbench.startupEditor': 'none',
    'telemetry.telemetryLevel': 'off',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'security.workspace.trust.enabled': false,
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'update.mode': 'none',
    'chat.commandCenter.enabled': false,
  };
  await fsp.writeFile(path.join(dirs['user-data'], 'User/settings.json'), JSON.stringify(settings, null, 2));
  const env = {
    ...process.env,
    HOME: dirs.home,
    TMPDIR: dirs.tmp,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    XDG_RUNTIME_DIR: dirs.runtime,
  };
  delete env.VSCODE_IPC_HOOK_CLI;
  delete env.ELECTRON_RUN_AS_NODE;
  return { base, dirs, env };
}

/** Start the bare VS Code server in its own process group; stop() ends the whole group. */
export async function startServer(sandbox, { extraArgs = [] } = {}) {
  const port = await freePort();
  const logFile = path.join(sandbox.base, 'server.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      SERVER_MAIN,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--without-connection-token',
      '--accept-server-license-terms',
      '--enable-smoke-test-driver',
      '--disable-telemetry',
      '--server-data-dir',
      sandbox.dirs['server-data'],
      '--user-data-dir',
      sandbox.dirs['user-data'],
      '--extensions-dir',
      sandbox.dirs.extensions,
      ...extraArgs,
    ],
    { env: sandbox.env, detached: true, stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);
  let exited = false;
  child.once('exit', () => (exited = true));
  const stop = async () => {
    if (exited) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const end = Date.now() + 5000;
    while (!exited && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    // The file watcher and extension host are in the same group: make sure none survive.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`the VS Code server exited early; see ${logFile}:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
    try {
      const res = await fetch(url + '/');
      if (res.ok || res.status === 302) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) {
      await stop();
      throw new Error(`the VS Code server did not answer on ${url} within 60 s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { port, url, child, stop, logFile };
}

export async function launchBrowser(sandbox, viewport = { width: 1400, height: 900 }) {
  const { chromium } = loadPlaywright();
  const context = await chromium.launchPersistentContext(sandbox.dirs.profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    env: sandbox.env,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return context;
}

export function workbenchUrl(server, folder, payload) {
  const q = new URLSearchParams({ folder });
  if (payload) q.set('payload', JSON.stringify(payload));
  return `${server.url}/?${q.toString()}`;
}
