#!/usr/bin/env bash
# The farm test (test/farm/slurm.test.ts) on a one-node Slurm cluster that lives only as long as
# this script: brought up by scripts/slurm-local.sh in a temporary folder, and brought down (each
# daemon stopped by its pid, the folder removed) by a trap, also when a step fails or the run is
# interrupted. Called by `npm test` (scripts/test.mjs) and `npm run test:farm`.
#
# Skipped, saying why, only where Slurm cannot run: its packages are not installed (a developer's
# machine) or this is not root (slurmd starts jobs as their user). With JOBSPEC_FARM_REQUIRED=1
# (set by .ci/run, which installs Slurm) a skip is a failure instead.
set -euo pipefail
cd "$(dirname "$0")/../.."

skip() {
  if [[ ${JOBSPEC_FARM_REQUIRED:-} == 1 ]]; then
    echo "farm: cannot run: $1 (JOBSPEC_FARM_REQUIRED=1, so this fails instead of skipping)" >&2
    exit 1
  fi
  echo "farm: SKIPPED: $1"
  exit 0
}

missing=()
for tool in munged slurmctld slurmd sbatch scontrol scancel squeue sinfo; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
((${#missing[@]} == 0)) || skip "Slurm is not installed (no ${missing[*]}). Install it as .ci/run does: apt-get install --no-install-recommends slurmctld slurmd slurm-client munge"
[[ $(id -u) == 0 ]] || skip "not root: slurmd must run as root to start jobs"

start=$(date +%s%N)
cluster=$(mktemp -d "${TMPDIR:-/tmp}/jobspec-slurm-XXXXXX")
tests=""
cleanup() {
  local rc=$?
  # Interrupted while the tests run: stop them first (by pid), then the cluster.
  if [[ -n $tests ]] && kill -0 "$tests" 2>/dev/null; then
    kill -TERM "$tests" 2>/dev/null || true
    wait "$tests" 2>/dev/null || true
  fi
  bash scripts/slurm-local.sh down "$cluster" || rc=1
  echo "farm: $(((($(date +%s%N) - start) / 1000000))) ms with the cluster up and down (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

eval "$(bash scripts/slurm-local.sh up "$cluster")"
echo "farm: Slurm cluster up in $cluster ($(sinfo -h -o '%n %t %c CPUs'))"
# One process runs the test file (node's test runner, in-process), in the background so that a
# signal to this script is handled at once rather than when the tests end. Extra arguments go to
# the test runner, e.g. --test-name-pattern=scancel.
node --import tsx --test-reporter=spec "$@" test/farm/slurm.test.ts &
tests=$!
wait "$tests"
