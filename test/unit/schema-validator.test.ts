// The validator compiled from the schema at build time must be the one the schema gives now: a
// schema edit without `npm run build` (or `node scripts/gen-validator.mjs`) fails here.
// The file is build output (gitignored); `npm run build` and `npm run typecheck` write it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './helpers/paths';

test('src/core/jobspec-validator.generated.ts matches schemas/jobspec.schema.json', async () => {
  const gen = (await import(path.join(ROOT, 'scripts', 'gen-validator.mjs'))) as { generate: () => string; TARGET: string };
  const onDisk = fs.readFileSync(gen.TARGET, 'utf8');
  assert.ok(
    onDisk === gen.generate(),
    'the generated validator is stale: run `node scripts/gen-validator.mjs` (or `npm run build`) ; it is generated, not committed',
  );
});
