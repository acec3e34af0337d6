// Finding ffmpeg for the extension: the core finds and verifies it (setting, then environment,
// then PATH); this turns a failure into a message with a way out, and offers Find ffmpeg and Set
// ffmpeg Path. Set ffmpeg Path picks the file and checks it by running it before saving it: the
// Settings page shows nothing for this machine-level setting in a remote window.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EnvironmentError, findTools, type Tools } from '../core';
import type { JobSpecLog } from './log';
import { notify } from './notify';
import { readSettings } from './settings';

export type Tool = 'ffmpeg' | 'ffprobe';

function configured(scope?: vscode.Uri): { ffmpegPath?: string; ffprobePath?: string } {
  const s = readSettings(scope);
  return { ...(s.ffmpegPath ? { ffmpegPath: s.ffmpegPath } : {}), ...(s.ffprobePath ? { ffprobePath: s.ffprobePath } : {}) };
}

/** The tools runs would use now, or undefined (quietly: for poster frames, which are a nicety). */
export async function configuredTools(): Promise<Tools | undefined> {
  return findTools(configured()).catch(() => undefined);
}

export async function toolsOrExplain(scope: vscode.Uri, log: JobSpecLog): Promise<Tools | undefined> {
  try {
    return await findTools(configured(scope));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.error(message);
    const tool: Tool = err instanceof EnvironmentError && err.tool === 'ffprobe' ? 'ffprobe' : 'ffmpeg';
    notify(
      'error',
      `JobSpec cannot run: ${message}`,
      { title: `Set ${tool} Path…`, run: () => vscode.commands.executeCommand('jobspec.setFfmpegPath', tool) },
      { title: 'Show Log', run: () => log.show() },
    );
    return undefined;
  }
}

export class FfmpegCommands {
  constructor(private readonly log: JobSpecLog) {}

  register(): vscode.Disposable[] {
    return [
      vscode.commands.registerCommand('jobspec.findFfmpeg', () => this.find()),
      vscode.commands.registerCommand('jobspec.setFfmpegPath', (tool?: Tool, file?: string) => this.set(tool ?? 'ffmpeg', file)),
    ];
  }

  /** Which ffmpeg and ffprobe runs would use, checked by running them. */
  async find(): Promise<Tools | undefined> {
    try {
      const tools = await findTools(configured());
      this.log.info(`ffmpeg ${tools.version}: ${tools.ffmpeg}; ffprobe: ${tools.ffprobe}; ${tools.encoders.size} encoders.`);
      void vscode.commands.executeCommand('setContext', 'jobspec.ffmpegFound', true);
      notify('info', `Found ffmpeg ${tools.version} at ${tools.ffmpeg}, and ffprobe at ${tools.ffprobe}. JobSpecs run with these.`, {
        title: 'Use Another…',
        run: () => vscode.commands.executeCommand('jobspec.setFfmpegPath', 'ffmpeg'),
      });
      return tools;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const tool: Tool = err instanceof EnvironmentError && err.tool === 'ffprobe' ? 'ffprobe' : 'ffmpeg';
      this.log.error(message);
      notify('error', message, { title: `Set ${tool} Path…`, run: () => vscode.commands.executeCommand('jobspec.setFfmpegPath', tool) });
      return undefined;
    }
  }

  /**
   * Choose the ffmpeg (or ffprobe) executable, check it runs, and save it for this machine (in a
   * remote window: the remote machine, where runs happen). Resolves with the path saved.
   */
  async set(tool: Tool, file?: string): Promise<string | undefined> {
    if (!file) {
      const now = readSettings()[tool === 'ffmpeg' ? 'ffmpegPath' : 'ffprobePath'];
      const picked = await vscode.window.showOpenDialog({
        title: `Choose the ${tool} executable`,
        openLabel: `Use this ${tool}`,
        canSelectFiles: true,
        canSelectFolders: false,
        canSelectMany: false,
        defaultUri: vscode.Uri.file(now ? path.dirname(now) : process.platform === 'win32' ? 'C:\\' : '/usr/bin'),
      });
      if (!picked?.[0]) return undefined;
      file = picked[0].fsPath;
    }
    const current = configured();
    try {
      const tools = await findTools(tool === 'ffmpeg' ? { ...current, ffmpegPath: file } : { ...current, ffprobePath: file });
      await vscode.workspace.getConfiguration('jobspec').update(`${tool}Path`, file, vscode.ConfigurationTarget.Global);
      this.log.info(`${tool} set to ${file} (ffmpeg ${tools.version}).`);
      void vscode.commands.executeCommand('setContext', 'jobspec.ffmpegFound', true);
      notify('info', `JobSpecs now run with ${tool} ${file} (ffmpeg ${tools.version}).`);
      return file;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error(message);
      notify('error', `${file} was not saved as the ${tool} to use: ${message}`, {
        title: 'Choose Another…',
        run: () => vscode.commands.executeCommand('jobspec.setFfmpegPath', tool),
      });
      return undefined;
    }
  }
}
