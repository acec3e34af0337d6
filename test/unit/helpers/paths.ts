// Where the repository and the test material in it are.
import * as path from 'node:path';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
/** Stand-in executables (test/fixtures/stand-in-*.sh). */
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
/** The bad-input corpus (test/corpus/README.md). */
export const CORPUS = path.join(ROOT, 'test', 'corpus');
