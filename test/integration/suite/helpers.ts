// Shared by the integration suites: the workspace (a fresh copy of fixtures/workspace), tiny clips
// made with the real ffmpeg, waiting, and reading the extension's state through its test API.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { JobSpecApi, TreeItemSnapshot } from '../../../src/extension/testApi';

const run = promisify(execFile);
export const EXTENSION_ID = 'jobspec.jobspec-proxy';

export function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test window must have the fixture workspace open');
  return folder.uri.fsPath;
}

export const ws = (...p: string[]): string => path.join(workspaceDir(), ...p);
export const uriOf = (...p: string[]): vscode.Uri => vscode.Uri.file(ws(...p));

export async function ffmpeg(...args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

/** A small clip with picture and sound: `-f lavfi testsrc` + `sine`. */
export async function makeClip(
  file: string,
  seconds: number,
  size = '320x240',
  codec: string[] = ['-c:v', 'mpeg4', '-q:v', '5'],
): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await ffmpeg(
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=${size}:rate=25`,
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    String(seconds),
    ...codec,
    '-c:a',
    'pcm_s16le',
    '-shortest',
    file,
  );
}

/**
 * Bytes that look random but are the same every run (xorshift32, fixed seed): truly random bytes
 * are now and then taken for some raw format by ffprobe, which would make the failure test flaky.
 */
export function noise(length: number, seed = 0x5eed): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

export function diagnosticsFrom(uri: vscode.Uri, source: string): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === source);
}

export function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

/** The range of the first occurrence of `needle` in the document. */
export function rangeOf(doc: vscode.TextDocument, needle: string): vscode.Range {
  const at = doc.getText().indexOf(needle);
  assert.ok(at >= 0, `${needle} is in ${doc.fileName}`);
  return new vscode.Range(doc.positionAt(at), doc.positionAt(at + needle.length));
}

let apiInstance: JobSpecApi | undefined;

export async function activateExtension(): Promise<JobSpecApi> {
  const ext = vscode.extensions.getExtension<JobSpecApi | undefined>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed in the test window`);
  const api = await ext.activate();
  assert.ok(api, 'the test API is returned under the integration tests');
  apiInstance = api;
  return api;
}

export function api(): JobSpecApi {
  assert.ok(apiInstance, 'the extension was activated by the suite');
  return apiInstance;
}

export function runRow(name: string): TreeItemSnapshot {
  const row = api()
    .tree()
    .find((r) => r.label === name);
  assert.ok(
    row,
    `the Runs view shows a run of ${name}: ${JSON.stringify(
      api()
        .tree()
        .map((r) => [r.label, r.description]),
    )}`,
  );
  return row;
}

export function clipRows(runName: string): TreeItemSnapshot[] {
  return runRow(runName).children;
}

/** Wait until a run of the JobSpec named `name` is encoding its clip at `clip` (0-based). */
export function untilEncoding(name: string, clip = 0): Promise<unknown> {
  return until(
    `clip ${clip + 1} of ${name} to be encoding`,
    () =>
      api()
        .runs()
        .find((r) => r.name === name && r.phase === 'running' && r.clips[clip]?.status === 'RUNNING'),
    60_000,
  );
}

/** Wait for the throttled tree refresh (250 ms) to land. */
export const settle = (): Promise<void> => sleep(400);

/** Lines a run printed to the log, without its prefix. */
export function runLines(name: string): string[] {
  const prefix = `${name} › `;
  return api()
    .logLines()
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length));
}

/**
 * A quick pick a command is about to open, announced by a line in the log: call before starting the
 * command, then `answer(n)` picks the n-th item (0-based) once the question was asked.
 */
export function expectQuestion(logNeedle: RegExp): { answer(index: number): Promise<void> } {
  const count = (): number =>
    api()
      .logLines()
      .filter((l) => logNeedle.test(l)).length;
  const before = count();
  return {
    async answer(index: number): Promise<void> {
      await until(`the question ${logNeedle}`, () => count() > before);
      await sleep(400);
      for (let i = 0; i < index; i++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    },
  };
}

export async function removeAll(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
}

/**
 * The quick fixes at a range, as the light bulb asks for them. VS Code cancels the request when the
 * set of code action providers changes meanwhile (the JSON language client registers its own as
 * documents open); the light bulb then simply asks again, and so does this.
 */
export async function quickFixesAt(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        uri,
        range,
        vscode.CodeActionKind.QuickFix.value,
      );
    } catch (err) {
      if (!(err instanceof Error && err.name === 'Canceled') || attempt === 5) throw err;
      await sleep(300);
    }
  }
}

/** Run a task and wait for it (and, for a compound, its whole chain) to end. */
export async function runTask(task: vscode.Task): Promise<void> {
  const ended = new Promise<void>((resolve) => {
    const sub = vscode.tasks.onDidEndTask((e) => {
      if (e.execution.task.name === task.name) {
        sub.dispose();
        resolve();
      }
    });
  });
  await vscode.tasks.executeTask(task);
  await ended;
}

export async function taskNamed(name: string, type?: string): Promise<vscode.Task> {
  return until(
    `the task "${name}"`,
    async () => (await vscode.tasks.fetchTasks(type ? { type } : undefined)).find((t) => t.name === name),
    20_000,
  );
}
