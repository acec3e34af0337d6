// execa, the one way this project starts a process, loaded the first time one is to be started: a
// command that only validates never pays for loading it (about a sixth of its start-up).
import type * as Execa from 'execa';

let loaded: typeof Execa | undefined;

/** Loads execa (once); every path that starts processes awaits this first (findTools does). */
export async function loadExeca(): Promise<typeof Execa> {
  loaded ??= await import('execa');
  return loaded;
}

/** execa itself, for code that runs after loadExeca() has resolved (a guarded child of found tools). */
export function execaLoaded(): typeof Execa.execa {
  if (!loaded) throw new Error('internal error: a process was started before execa was loaded (loadExeca)');
  return loaded.execa;
}
