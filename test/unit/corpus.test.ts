// Issue #5, bad input: every case in test/corpus/cases/ (one case per file) run through the built
// headless command (`node dist/cli.js execute FILE`), checking the exit code, a message that names
// the field or file, and what was written: nothing at all for a JobSpec that is refused; only a
// report when a clip fails; the proxies (and a report) when a strange but legal name must work.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCases, runCase } from './helpers/corpus';
import { tempDir } from './helpers/tmp';

const cases = loadCases();

describe('bad-input corpus (test/corpus/cases)', { concurrency: 2 }, () => {
  test('the corpus has a case for every bad input the issue names', () => {
    assert.ok(cases.length >= 60, `only ${cases.length} cases`);
  });
  for (const { name, c } of cases) {
    test(`${name}: ${c.description}`, async (t) => {
      const dir = await tempDir(t, `jobspec-corpus-${name.slice(0, 20)}-`);
      await runCase(t, dir, c);
    });
  }
});
