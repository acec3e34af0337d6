// `npm test`: the core suite under node's test runner, the farm test on a local Slurm cluster
// (test/farm/run.sh; it says so and skips where Slurm is not installed), then the extension suite in
// a real VS Code server. `npm test -- --unit` runs only the first.
import { spawnSync } from 'node:child_process';

const unitOnly = process.argv.includes('--unit');
const steps = [['npm', ['run', '--silent', 'test:unit']]];
if (!unitOnly) steps.push(['bash', ['test/farm/run.sh']], ['node', ['test/integration/run-server.mjs']]);
for (const [cmd, args] of steps) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
