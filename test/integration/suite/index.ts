// Mocha entry point for VS Code's test runner (both launchers): run() resolves when every test
// passed and rejects otherwise, which the host turns into its exit code.
import Mocha from 'mocha';
import { format } from 'node:util';
import { registerDailiesSuite } from './dailies.test';
import { registerSuite } from './extension.test';

/** Lines of the report carry this prefix so the server launcher can tell them from workbench noise. */
export const REPORT_PREFIX = '[it] ';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  mocha.suite.emit('pre-require', globalThis, 'extension.test', mocha);
  registerSuite();
  registerDailiesSuite();
  // The spec reporter prints printf-style; the browser side of the server would show the raw
  // arguments, so format here, one console line per report line.
  const original = Mocha.reporters.Base.consoleLog;
  Mocha.reporters.Base.consoleLog = (...args: unknown[]): void => {
    for (const line of format(...args).split('\n')) console.log(REPORT_PREFIX + line);
  };
  return new Promise<void>((resolve, reject) => {
    mocha.run((failures) => {
      Mocha.reporters.Base.consoleLog = original;
      if (failures > 0) reject(new Error(`${failures} integration test${failures === 1 ? '' : 's'} failed`));
      else resolve();
    });
  });
}
