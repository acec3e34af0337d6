// New JobSpec in the real host: from the template, from the dialogs, from clips selected in the Explorer.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import type { LoadResult } from '../../../src/core';
import { ws } from './helpers';

export function registerNewJobSpecTests(): void {
  describe('new JobSpec', function () {
    it('creates a new JobSpec from the template that validates clean', async function () {
      const target = ws('day1.jobspec.json');
      const uri = await vscode.commands.executeCommand<vscode.Uri>('jobspec.new', {
        sources: [ws('media/clip_a.mov'), ws('media/clip_b.mov')],
        outputDirectory: ws('out/new'),
        target,
      });
      assert.equal(uri.fsPath, target);
      const spec = JSON.parse(await fs.readFile(target, 'utf8')) as { sources: string[]; output_directory: string; job_id: string };
      assert.deepEqual(spec.sources, ['media/clip_a.mov', 'media/clip_b.mov']);
      assert.equal(spec.output_directory, 'out/new');
      assert.equal(spec.job_id, 'day1');
      const result = await vscode.commands.executeCommand<LoadResult>('jobspec.validate', uri);
      assert.equal(result.ok, true, JSON.stringify(result.problems));
    });
  });
}
