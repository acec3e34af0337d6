// Fresh temp folders for tests, and when they go.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

/** What a test context offers for cleanup (node:test's TestContext, or a stand-in). */
export interface Cleanup {
  after(fn: () => unknown): void;
}

const created = new Set<string>();
process.once('exit', () => {
  if (process.env.JOBSPEC_KEEP_TEST_TMP) return;
  for (const d of created) {
    try {
      fs.rmSync(d, { recursive: true, force: true });
    } catch {
      // Still a mount point, say: leave it rather than fail the exit.
    }
  }
});

/**
 * A fresh, empty folder under the system temp dir (its real path). Removed by `t.after` when a test
 * context is given, and in any case when the test process exits (set JOBSPEC_KEEP_TEST_TMP=1 to
 * keep them for a post-mortem).
 */
export async function tempDir(t?: Cleanup, prefix = 'jobspec-unit-'): Promise<string> {
  const dir = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), prefix)));
  created.add(dir);
  t?.after(async () => {
    if (process.env.JOBSPEC_KEEP_TEST_TMP) return;
    // A tmpfs mounted inside may still be busy here (its own hook unmounts it); then the exit handler retries.
    if (
      await fsp.rm(dir, { recursive: true, force: true }).then(
        () => true,
        () => false,
      )
    )
      created.delete(dir);
  });
  return dir;
}
