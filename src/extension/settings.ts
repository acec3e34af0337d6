// The extension's settings, read in one place with their defaults.
import * as vscode from 'vscode';

export type SaveBeforeRun = 'always' | 'prompt';
export type RunQueueMode = 'queue' | 'parallel';

export interface Settings {
  ffmpegPath: string;
  ffprobePath: string;
  saveBeforeRun: SaveBeforeRun;
  stallTimeoutSeconds: number;
  revealOutputOnSuccess: boolean;
  validateOnType: boolean;
  maxRunsShown: number;
  watchMaxWorkers: number;
  runQueue: RunQueueMode;
}

export function readSettings(scope?: vscode.Uri): Settings {
  const c = vscode.workspace.getConfiguration('jobspec', scope);
  return {
    // In Restricted Mode VS Code itself ignores workspace values of these two
    // (capabilities.untrustedWorkspaces.restrictedConfigurations).
    ffmpegPath: c.get<string>('ffmpegPath', '').trim(),
    ffprobePath: c.get<string>('ffprobePath', '').trim(),
    saveBeforeRun: c.get<SaveBeforeRun>('saveBeforeRun', 'always'),
    stallTimeoutSeconds: c.get<number>('stallTimeoutSeconds', 120),
    revealOutputOnSuccess: c.get<boolean>('revealOutputOnSuccess', false),
    validateOnType: c.get<boolean>('validateOnType', true),
    maxRunsShown: c.get<number>('maxRunsShown', 20),
    // The schema bounds it, but settings.json is hand-edited too.
    watchMaxWorkers: Math.min(16, Math.max(1, Math.floor(c.get<number>('watchMaxWorkers', 1)) || 1)),
    runQueue: c.get<RunQueueMode>('runQueue', 'queue') === 'parallel' ? 'parallel' : 'queue',
  };
}
