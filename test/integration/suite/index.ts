// Mocha entry point for VS Code's test runner (both launchers): run() resolves when every test
// passed and rejects otherwise, which the host turns into its exit code.
import Mocha from 'mocha';
import { format } from 'node:util';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { registerSuite } from './main.test';
import { registerReloadSuite, RELOAD_MARKER } from './reload.test';
import { registerDailiesSuite } from './dailies.test';

/** Lines of the report carry this prefix so the server launcher can tell them from workbench noise. */
export const REPORT_PREFIX = '[it] ';

/**
 * VS Code's JSON language client (it runs in this same extension host) leaves requests it cancelled
 * as rejected promises nobody handles; mocha would blame whichever test is running. Those are let
 * go; any other unhandled rejection still fails the test.
 */
function ignoreCancelledRequests(reason: unknown): void {
  if (reason instanceof Error && reason.name === 'Canceled' && reason.message === 'Canceled') return;
  throw reason;
}

export function run(): Promise<void> {
  process.on('unhandledRejection', ignoreCancelledRequests);
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  // JOBSPEC_IT_GREP=pattern runs only the tests whose full title matches (for working on one).
  if (process.env.JOBSPEC_IT_GREP) mocha.grep(process.env.JOBSPEC_IT_GREP);
  mocha.suite.emit('pre-require', globalThis, 'extension.test', mocha);
  // The server launcher reloads the window after the main pass; the same entry point then runs the pass after the reload.
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (folder && existsSync(path.join(folder, RELOAD_MARKER))) registerReloadSuite();
  else {
    // The main suite ends by leaving a run going for the reload to cut short, so it comes last.
    registerDailiesSuite();
    registerSuite();
  }
  // The spec reporter prints printf-style; the browser side of the server would show the raw
  // arguments, so format here, one console line per report line.
  const original = Mocha.reporters.Base.consoleLog;
  Mocha.reporters.Base.consoleLog = (...args: unknown[]): void => {
    for (const line of format(...args).split('\n')) console.log(REPORT_PREFIX + line);
  };
  return new Promise<void>((resolve, reject) => {
    mocha.run((failures) => {
      Mocha.reporters.Base.consoleLog = original;
      process.off('unhandledRejection', ignoreCancelledRequests);
      if (failures > 0) reject(new Error(`${failures} integration test${failures === 1 ? '' : 's'} failed`));
      else resolve();
    });
  });
}
