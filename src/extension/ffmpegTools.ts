// Finding ffmpeg for the extension: the core finds and verifies it (setting, then environment,
// then PATH); this turns a failure into a message with buttons to the setting and the log.
import type * as vscode from 'vscode';
import { EnvironmentError, findTools, type Tools } from '../core';
import type { JobSpecLog } from './log';
import { notify } from './notify';
import { openSetting, readSettings } from './settings';

export async function toolsOrExplain(scope: vscode.Uri, log: JobSpecLog): Promise<Tools | undefined> {
  const s = readSettings(scope);
  const opts: { ffmpegPath?: string; ffprobePath?: string } = {};
  if (s.ffmpegPath) opts.ffmpegPath = s.ffmpegPath;
  if (s.ffprobePath) opts.ffprobePath = s.ffprobePath;
  try {
    return await findTools(opts);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.error(message);
    const tool = err instanceof EnvironmentError && err.tool === 'ffprobe' ? 'ffprobe' : 'ffmpeg';
    notify(
      'error',
      `JobSpec cannot run: ${message}`,
      { title: `Set ${tool} Path`, run: () => openSetting(`jobspec.${tool}Path`) },
      { title: 'Show Log', run: () => log.show() },
    );
    return undefined;
  }
}
