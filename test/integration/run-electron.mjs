#!/usr/bin/env node
// The same suite through @vscode/test-electron, for a desktop with a network (it downloads VS Code).
// On the offline CI machines use run-server.mjs instead. Usage: node test/integration/run-electron.mjs
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runTests } from '@vscode/test-electron';
import { buildTests, ROOT } from './build.mjs';

const FIXTURE = path.join(ROOT, 'test/integration/fixtures/workspace');

async function main() {
  const b = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (b.status !== 0) throw new Error('building the extension failed');
  const extensionTestsPath = await buildTests();
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'jobspec-it-electron-'));
  const workspace = path.join(base, 'workspace');
  await fsp.cp(FIXTURE, workspace, { recursive: true });
  try {
    await runTests({
      version: process.env.VSCODE_VERSION || '1.100.3',
      extensionDevelopmentPath: ROOT,
      extensionTestsPath,
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--user-data-dir',
        path.join(base, 'user-data'),
        '--extensions-dir',
        path.join(base, 'extensions'),
      ],
    });
  } finally {
    await fsp.rm(base, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
