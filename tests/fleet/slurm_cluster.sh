#!/usr/bin/env bash
# A one-node Slurm cluster on localhost for tests (docs/fleet.md): its own munged, slurmctld and
# slurmd on private sockets and ports, with a generated slurm.conf (proctrack/linuxproc,
# task/none, no cgroups, no accounting), all under one state directory.
# Usage: source tests/fleet/slurm_cluster.sh; cluster_start DIR; ...; cluster_stop
# cluster_start exports SLURM_CONF so sbatch, squeue and scancel talk to this cluster; it fails
# when the node is not idle within 30 s. cluster_stop cancels this cluster's jobs, then kills only
# the daemons cluster_start started (by pid).

cluster_start() {
  local dir=$1 host port
  host=$(hostname -s)
  # Private ports: a real slurmctld on this machine keeps 6817/6818.
  port=$((17000 + RANDOM % 2000))
  CLUSTER_DIR=$dir
  mkdir -p "$dir"/{state,spool,munge,log}
  chmod 0700 "$dir/munge"
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 0400 "$dir/munge/munge.key"
  # --force: the test may run as root and on a tmpfs that munged would otherwise refuse.
  munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munge/munged.seed" || return 1
  local cpus mem_mb user
  cpus=$(nproc)
  mem_mb=$(($(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo) / 1024 / 2))
  user=$(id -un)
  cat >"$dir/slurm.conf" <<EOF
ClusterName=statelabtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
KillWait=2
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -i -f "$SLURM_CONF" || { cluster_logs; return 1; }
  slurmd -f "$SLURM_CONF" || { cluster_logs; return 1; }
  local waited=0
  until sinfo -h -o '%t' 2>/dev/null | grep -qx 'idle'; do
    if ((waited >= 300)); then
      echo "slurm_cluster: the node is not idle after 30 s" >&2
      sinfo >&2 || true
      cluster_logs
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

cluster_logs() {
  local f
  for f in "$CLUSTER_DIR"/log/*.log; do
    echo "--- $f (last lines)" >&2
    tail -n 15 "$f" >&2
  done
}

# Stops the daemons cluster_start started, by the pids they wrote.
cluster_stop() {
  [[ -n "${CLUSTER_DIR:-}" ]] || return 0
  local f pid
  # Jobs of this cluster first: their slurmstepd would outlive slurmd.
  if scancel --full --user="$(id -un)" 2>/dev/null; then
    for _ in $(seq 50); do
      [[ -z "$(squeue -h -o %i 2>/dev/null)" ]] && break
      sleep 0.1
    done
  fi
  for f in slurmd.pid slurmctld.pid munge/munged.pid; do
    pid=$(cat "$CLUSTER_DIR/$f" 2>/dev/null) || continue
    kill "$pid" 2>/dev/null || true
  done
  for f in slurmd.pid slurmctld.pid munge/munged.pid; do
    pid=$(cat "$CLUSTER_DIR/$f" 2>/dev/null) || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  CLUSTER_DIR=""
}
