// Bundles the integration suite (TypeScript) into one CommonJS file inside the extension folder,
// where VS Code's test runner can load it. `vscode` and `mocha` stay external: the first comes
// from the extension host, the second from the project's node_modules.
import { build } from 'esbuild';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TESTS_ENTRY = path.join(ROOT, 'out/test/integration/index.js');

export async function buildTests() {
  await build({
    entryPoints: [path.join(ROOT, 'test/integration/suite/index.ts')],
    outfile: TESTS_ENTRY,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
    // As scripts/build.mjs: jsonc-parser's UMD build hides its requires from the bundler.
    mainFields: ['module', 'main'],
  });
  return TESTS_ENTRY;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildTests();
}
