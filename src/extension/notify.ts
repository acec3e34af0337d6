// Messages with buttons that never block the command that raised them: a run, or a test,
// does not wait for a person to dismiss a notification.
import * as vscode from 'vscode';

export interface Action {
  title: string;
  run: () => unknown;
}

export type Severity = 'info' | 'warning' | 'error';

export function notify(severity: Severity, message: string, ...actions: Action[]): void {
  const titles = actions.map((a) => a.title);
  const shown =
    severity === 'error'
      ? vscode.window.showErrorMessage(message, ...titles)
      : severity === 'warning'
        ? vscode.window.showWarningMessage(message, ...titles)
        : vscode.window.showInformationMessage(message, ...titles);
  void shown.then((choice) => actions.find((a) => a.title === choice)?.run());
}
