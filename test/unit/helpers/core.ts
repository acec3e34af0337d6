// The engine (src/core) for tests, bundled by esbuild the way scripts/build.mjs bundles the shipped
// command, then required.
//
// Why not `import … from '../../src/core'`: under `node --import tsx`, tsx turns every ESM file that
// is require()d into CommonJS, and so resolves execa's own imports with CommonJS conditions.
// execa 9 imports `unicorn-magic`, whose package.json exports only an "import" condition, so that
// fails with ERR_PACKAGE_PATH_NOT_EXPORTED before a single test runs. A bundle resolves every
// import with esbuild's conditions instead, exactly as dist/cli.js does. Types still come from the
// TypeScript sources, so tests type-check against the real API.
import { buildSync } from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as Index from '../../../src/core';
import type * as Burnin from '../../../src/core/burnin';
import type * as Checksum from '../../../src/core/checksum';
import type * as Filtergraph from '../../../src/core/filtergraph';
import type * as Lut from '../../../src/core/lut';
import type * as Mediawatch from '../../../src/core/mediawatch';
import type * as Origin from '../../../src/core/origin';
import type * as Presets from '../../../src/core/presets';
import type * as Ffmpeg from '../../../src/core/ffmpeg';
import type * as Formats from '../../../src/core/formats';
import type * as Identity from '../../../src/core/identity';
import type * as Jobspec from '../../../src/core/jobspec';
import type * as Naming from '../../../src/core/naming';
import type * as Progress from '../../../src/core/progress';
import type * as Report from '../../../src/core/report';
import type * as Temp from '../../../src/core/temp';
import { ROOT } from './paths';

export type Core = typeof Index & {
  burnin: typeof Burnin;
  checksum: typeof Checksum;
  filtergraph: typeof Filtergraph;
  lut: typeof Lut;
  mediawatch: typeof Mediawatch;
  origin: typeof Origin;
  presets: typeof Presets;
  ffmpeg: typeof Ffmpeg;
  formats: typeof Formats;
  identity: typeof Identity;
  jobspec: typeof Jobspec;
  naming: typeof Naming;
  progress: typeof Progress;
  report: typeof Report;
  temp: typeof Temp;
};

function load(): Core {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobspec-core-bundle-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const outfile = path.join(dir, 'core.cjs');
  buildSync({
    stdin: {
      contents: [
        "export * from './src/core/index';",
        "export * as burnin from './src/core/burnin';",
        "export * as checksum from './src/core/checksum';",
        "export * as filtergraph from './src/core/filtergraph';",
        "export * as lut from './src/core/lut';",
        "export * as mediawatch from './src/core/mediawatch';",
        "export * as origin from './src/core/origin';",
        "export * as presets from './src/core/presets';",
        "export * as ffmpeg from './src/core/ffmpeg';",
        "export * as formats from './src/core/formats';",
        "export * as identity from './src/core/identity';",
        "export * as jobspec from './src/core/jobspec';",
        "export * as naming from './src/core/naming';",
        "export * as progress from './src/core/progress';",
        "export * as report from './src/core/report';",
        "export * as temp from './src/core/temp';",
      ].join('\n'),
      resolveDir: ROOT,
      sourcefile: 'test-core-entry.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    logLevel: 'warning',
    mainFields: ['module', 'main'],
    outfile,
  });
  process.setSourceMapsEnabled(true);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(outfile) as Core;
}

export const core: Core = load();
