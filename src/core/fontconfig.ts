// Asking fontconfig for a font file, in a module of its own: the burn-in check (part of validation)
// loads it only when it looks a font up, so validation never loads the process-starting code itself.
import { loadExeca } from './spawn';

/** The file fontconfig matches for `pattern`, or null (no fc-match, no match, no answer in 10 s). */
export async function fcMatchFile(pattern: string): Promise<string | null> {
  const { execa } = await loadExeca();
  const r = await execa('fc-match', ['--format=%{file}', pattern], { reject: false, timeout: 10_000, stdin: 'ignore' }).catch(() => null);
  return r && r.exitCode === 0 ? String(r.stdout).trim() || null : null;
}
