#!/usr/bin/env bash
# A single-node Slurm (and its munge) in a folder of its own, for tests of the cluster recipes:
#   scripts/slurm_local.sh start DIR   prints "export SLURM_CONF=DIR/slurm.conf" when it is up
#   scripts/slurm_local.sh stop DIR
# Needs Debian's slurmctld, slurmd, slurm-client and munge (scripts/setup.sh --test). Ports
# are picked free; nothing under /etc is touched.
set -euo pipefail
action=$1 dir=$(realpath -m "$2")
case "$action" in
  start)
    mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
    chmod 700 "$dir/munge"
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$dir/munge/munge.key"
    munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
      --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
      --seed-file="$dir/munge/munged.seed"
    free_port() {  # a port nothing answers on
      local port
      while port=$(shuf -i 20000-60000 -n 1) && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2> /dev/null; do :; done
      echo "$port"
    }
    cat > "$dir/slurm.conf" <<CONF
ClusterName=b2btest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
NodeName=b2bnode NodeAddr=127.0.0.1 NodeHostname=$(hostname -s) CPUs=$(nproc) RealMemory=4000 State=UNKNOWN
PartitionName=b2b Nodes=b2bnode Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$dir/slurm.conf"
    slurmctld -f "$SLURM_CONF"
    slurmd -f "$SLURM_CONF" -N b2bnode
    for _ in $(seq 100); do
      if sinfo -h -o %t 2>/dev/null | grep -qE '^idle'; then
        echo "export SLURM_CONF=$SLURM_CONF"
        exit 0
      fi
      sleep 0.2
    done
    echo "slurm_local: the node did not come up (see $dir/*.log)" >&2
    exit 1
    ;;
  stop)
    for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
      [[ -f "$pidfile" ]] && kill "$(cat "$pidfile")" 2> /dev/null || true
    done
    ;;
  *)
    echo "usage: scripts/slurm_local.sh start|stop DIR" >&2
    exit 2
    ;;
esac
