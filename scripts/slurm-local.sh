#!/usr/bin/env bash
# A one-node Slurm cluster on localhost, for trying examples/slurm/ and for the farm test: munged,
# slurmctld and slurmd from Debian's packages (slurmctld slurmd slurm-client munge), without systemd
# or cgroups, with every file they use in one folder, on two free ports. It installs nothing.
#
#   scripts/slurm-local.sh up [DIR]    start the cluster in DIR (a new temporary folder by default);
#                                      prints `export SLURM_CONF=…` for the Slurm commands to use it
#   scripts/slurm-local.sh down DIR    cancel its jobs, stop its daemons (each by its recorded pid),
#                                      remove DIR
#
# Use it with a trap, so the daemons go also when a step fails:
#   dir=$(mktemp -d); trap 'scripts/slurm-local.sh down "$dir"' EXIT
#   eval "$(scripts/slurm-local.sh up "$dir")"
#
# Runs as root (slurmd starts jobs as their submitting user). Another cluster on this machine (the
# system's, or another test's) is not touched: this one has its own munge key and socket, ports,
# state and pid files, and only processes whose command line names DIR are ever signalled.
set -euo pipefail

MARKER=.jobspec-slurm-local

die() {
  echo "slurm-local: $*" >&2
  exit 1
}

# The daemons' recorded pids, one "name pid" a line, in the order they started.
pids_file() { echo "$1/pids"; }

# Whether pid $1 is a live process whose command line names folder $2 (pids are reused; a daemon of
# another cluster is never ours).
ours() {
  local pid=$1 dir=$2 cmd
  [[ -r /proc/$pid/cmdline ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"$dir"* ]] || return 1
  # A zombie is gone for our purposes.
  [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]
}

# Stop one daemon: SIGTERM, then SIGKILL if it is still there after 10 s.
stop_pid() {
  local name=$1 pid=$2 dir=$3 i
  if ! ours "$pid" "$dir"; then
    echo "slurm-local: $name (pid $pid) had already stopped" >&2
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    ours "$pid" "$dir" || return 0
    sleep 0.1
  done
  echo "slurm-local: $name (pid $pid) did not stop on SIGTERM within 10 s; sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

down() {
  local dir=${1:?usage: slurm-local.sh down DIR}
  [[ -d $dir ]] || return 0
  dir=$(cd "$dir" && pwd -P)
  # Only a folder this script made (or filled) is stopped and removed.
  [[ -e $dir/$MARKER ]] || die "$dir was not set up by slurm-local.sh up (no $MARKER in it); not touching it."
  local pf
  pf=$(pids_file "$dir")
  # Jobs first, while slurmctld and slurmd still run, so that no job step outlives the cluster.
  if [[ -f $dir/slurm.conf ]] && grep -q '^slurmctld ' "$pf" 2>/dev/null; then
    local jobs i
    jobs=$(SLURM_CONF=$dir/slurm.conf timeout 5 squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ') || jobs=""
    if [[ -n ${jobs// /} ]]; then
      # shellcheck disable=SC2086 # one job id per word
      SLURM_CONF=$dir/slurm.conf timeout 5 scancel $jobs 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do
        [[ -z $(SLURM_CONF=$dir/slurm.conf timeout 5 squeue -h -o %A 2>/dev/null) ]] && break
        sleep 0.1
      done
    fi
  fi
  # Then the daemons, the last started first: slurmd, slurmctld, munged.
  if [[ -f $pf ]]; then
    local name pid
    while read -r name pid; do
      [[ $pid =~ ^[0-9]+$ ]] && stop_pid "$name" "$pid" "$dir"
    done < <(tac "$pf")
  fi
  rm -rf -- "$dir"
}

# Two distinct free TCP ports, as the kernel hands them out.
free_ports() {
  node -e '
    const net = require("net");
    const a = net.createServer(), b = net.createServer();
    a.listen(0, () => b.listen(0, () => {
      console.log(a.address().port, b.address().port);
      a.close(); b.close();
    }));'
}

# Wait up to $2 tenths of a second for file $1 to hold a pid.
wait_pidfile() {
  local file=$1 tries=$2 i
  for ((i = 0; i < tries; i++)); do
    [[ -s $file ]] && grep -qE '^[0-9]+' "$file" && return 0
    sleep 0.1
  done
  return 1
}

show_logs() {
  local dir=$1 f
  for f in "$dir"/log/*.log; do
    [[ -f $f ]] || continue
    echo "--- $f (last 20 lines) ---" >&2
    tail -n 20 "$f" >&2
  done
}

up() {
  local dir=${1:-}
  [[ $(id -u) == 0 ]] || die "needs root (slurmd starts jobs as their submitting user)."
  local tool
  for tool in munged slurmctld slurmd sinfo sbatch squeue scancel scontrol node; do
    command -v "$tool" >/dev/null || die "$tool is not installed: apt-get install --no-install-recommends slurmctld slurmd slurm-client munge"
  done
  if [[ -z $dir ]]; then dir=$(mktemp -d "${TMPDIR:-/tmp}/jobspec-slurm-XXXXXX"); fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  [[ -z $(ls -A "$dir") ]] || die "$dir is not empty; give an empty or new folder."
  touch "$dir/$MARKER"
  # Whatever fails from here on, nothing started is left running.
  trap 'rc=$?; if ((rc != 0)); then show_logs "$dir"; down "$dir"; fi' EXIT

  mkdir -p "$dir/munge" "$dir/run" "$dir/log" "$dir/ctld" "$dir/d"
  # munged refuses a socket folder others cannot search (0700).
  chmod 0755 "$dir" "$dir/munge"
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1 count=128 status=none
  chmod 0400 "$dir/munge/munge.key"

  local node ctld_port d_port cpus
  node=$(hostname -s)
  read -r ctld_port d_port < <(free_ports)
  cpus=$(nproc)
  cat >"$dir/slurm.conf" <<EOF
# Written by scripts/slurm-local.sh for a one-node cluster in $dir.
ClusterName=jobspec-local
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/d
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Start a submitted job at once, not up to 3 s later (a busy cluster batches its submissions).
SchedulerParameters=batch_sched_delay=0
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
PlugStackConfig=$dir/plugstack.conf
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  : >"$dir/plugstack.conf"
  local pf
  pf=$(pids_file "$dir")
  : >"$pf"

  munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" --pid-file="$dir/run/munged.pid" \
    --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" </dev/null >/dev/null 2>&1 ||
    die "munged did not start (see $dir/log/munged.log)"
  wait_pidfile "$dir/run/munged.pid" 50 || die "munged wrote no pid file"
  echo "munged $(head -n1 "$dir/run/munged.pid")" >>"$pf"

  export SLURM_CONF=$dir/slurm.conf
  slurmctld -f "$dir/slurm.conf" </dev/null >/dev/null 2>&1 || die "slurmctld did not start"
  wait_pidfile "$dir/run/slurmctld.pid" 100 || die "slurmctld wrote no pid file"
  echo "slurmctld $(head -n1 "$dir/run/slurmctld.pid")" >>"$pf"

  slurmd -f "$dir/slurm.conf" -N "$node" </dev/null >/dev/null 2>&1 || die "slurmd did not start"
  wait_pidfile "$dir/run/slurmd.pid" 100 || die "slurmd wrote no pid file"
  echo "slurmd $(head -n1 "$dir/run/slurmd.pid")" >>"$pf"

  local i state=""
  for ((i = 0; i < 300; i++)); do
    state=$(timeout 5 sinfo -h -n "$node" -o %t 2>/dev/null || true)
    [[ $state == idle ]] && break
    sleep 0.1
  done
  [[ $state == idle ]] || die "node $node is not idle after 30 s (sinfo says '${state:-nothing}')"
  trap - EXIT
  echo "export SLURM_CONF=$dir/slurm.conf SLURM_LOCAL_DIR=$dir"
}

case ${1:-} in
  up) up "${2:-}" ;;
  down) down "${2:-}" ;;
  *) die "usage: slurm-local.sh up [DIR] | down DIR" ;;
esac
