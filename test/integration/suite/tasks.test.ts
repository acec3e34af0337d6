// The jobspec task type in the real host: tasks offered per JobSpec, problems through the $jobspec
// problem matcher, runs chained in tasks.json (a failing task stops the chain), and the key that
// runs the JobSpec in the active editor.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import type { RunState } from '../../../src/extension/runs';
import { api, EXTENSION_ID, rangeOf, runTask, settle, taskNamed, until, uriOf, ws } from './helpers';

export function registerTaskTests(): void {
  describe('tasks', function () {
    it('offers Execute and Validate tasks for each JobSpec; a validate task puts its problems in the Problems panel', async function () {
      this.timeout(60_000);
      const tasks = await vscode.tasks.fetchTasks({ type: 'jobspec' });
      const names = tasks.map((t) => t.name);
      for (const n of ['execute two-clips.jobspec.json', 'validate two-clips.jobspec.json', 'validate schema-errors.jobspec.json'])
        assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
      const execute = tasks.find((t) => t.name === 'execute two-clips.jobspec.json');
      assert.equal(execute?.group?.id, vscode.TaskGroup.Build.id);

      // With the log in view, as it often is: the task's problems do not depend on its terminal being drawn.
      await vscode.commands.executeCommand('jobspec.showLog');
      const uri = uriOf('schema-errors.jobspec.json');
      await runTask(await taskNamed('validate schema-errors.jobspec.json', 'jobspec'));
      const fromTask = await until("the task's problems", () => {
        const d = vscode.languages.getDiagnostics(uri).filter((x) => x.source === 'JobSpec task');
        return d.length >= 3 ? d : undefined;
      });
      const doc = await vscode.workspace.openTextDocument(uri);
      const codec = fromTask.find((d) => /prores_ultra/.test(d.message));
      assert.ok(codec, fromTask.map((d) => d.message).join('\n'));
      assert.deepEqual(codec.range, rangeOf(doc, '"prores_ultra"'));
      assert.equal(codec.severity, vscode.DiagnosticSeverity.Error);
    });

    it('chains runs in tasks.json: a sequence runs each JobSpec in turn, and a failing task stops the chain', async function () {
      this.timeout(120_000);
      await fs.writeFile(
        ws('.vscode/tasks.json'),
        JSON.stringify(
          {
            version: '2.0.0',
            tasks: [
              { label: 'proxies queued', type: 'jobspec', file: 'queued.jobspec.json', problemMatcher: ['$jobspec'] },
              { label: 'proxies resume', type: 'jobspec', file: 'resume.jobspec.json', problemMatcher: ['$jobspec'] },
              {
                label: 'check broken',
                type: 'jobspec',
                file: 'schema-errors.jobspec.json',
                command: 'validate',
                problemMatcher: ['$jobspec'],
              },
              { label: 'the day', dependsOrder: 'sequence', dependsOn: ['proxies queued', 'proxies resume'] },
              { label: 'broken first', dependsOrder: 'sequence', dependsOn: ['check broken', 'proxies queued'] },
            ],
          },
          null,
          2,
        ),
      );
      // resume.jobspec.json has all its proxies: with overwrite "never" its run fails at clip 1, as the command's would.
      const since = Date.now();
      const newRun = (name: string, after: number): RunState | undefined =>
        api()
          .runs()
          .find((x) => x.name === name && x.phase === 'finished' && x.startedAt >= after);
      await runTask(await taskNamed('the day'));
      const [q, r] = await until(
        'both runs of the chain',
        () => {
          const both = [newRun('queued', since), newRun('resume', since)];
          return both[0] && both[1] ? both : undefined;
        },
        60_000,
      );
      assert.ok(q?.phase === 'finished' && r?.phase === 'finished');
      assert.equal(q.status, 'COMPLETED');
      assert.equal(r.status, 'FAILED');
      assert.ok(r.startedAt >= q.finishedAt, 'in sequence');
      // The failed clip of that run is a problem at its entry in sources.
      const resumeUri = uriOf('resume.jobspec.json');
      const clipProblem = await until('the failed clip as a problem', () =>
        vscode.languages
          .getDiagnostics(resumeUri)
          .find((d) => d.source === 'JobSpec task' && /clip 1 \(clip_a\.mov\) failed: Output already exists/.test(d.message)),
      );
      const doc = await vscode.workspace.openTextDocument(resumeUri);
      assert.equal(clipProblem.range.start.line, rangeOf(doc, '"media/clip_a.mov"').start.line);

      const before = Date.now();
      await runTask(await taskNamed('broken first'));
      await settle();
      assert.equal(newRun('queued', before), undefined, 'the run after a failed validation did not start');
    });

    it('binds Ctrl+F5 to Execute in a JobSpec editor', function () {
      const pkg = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
        contributes: { keybindings: { command: string; key: string; when: string }[] };
      };
      const binding = pkg.contributes.keybindings.find((k) => k.command === 'jobspec.execute');
      assert.equal(binding?.key, 'ctrl+f5');
      assert.match(binding?.when ?? '', /editorTextFocus && resourceFilename =~ /);
    });
  });
}
