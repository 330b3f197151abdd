#!/usr/bin/env bash
# From the workplace recipe (shared/slurm/RECIPE.md): a throwaway single-node
# SLURM for tests/test_cluster.py.
# Start a throwaway single-node SLURM cluster as root WITHOUT systemd:
#   munged + slurmctld + slurmd  [+ mariadbd + slurmdbd if WITH_DBD=1]
# All TCP listeners are bound to 127.0.0.1 only (MariaDB: unix socket only).
# Idempotent: daemons whose pid file points to a live process are left alone.
#
# Usage (root):  [WITH_DBD=1] ./start-slurm.sh [BASE_DIR]      (default /tmp/local-slurm)
# Stop:          ./stop-slurm.sh [BASE_DIR] [--purge]
# Clients (sinfo/sbatch/...) find the config via /etc/slurm/slurm.conf (symlink).
#
# WITH_DBD=0 (default): no accounting -> `sacct` fails ("accounting storage is
#   disabled"); snakemake must use `--slurm-status-command squeue`.
# WITH_DBD=1: real slurmdbd + MariaDB -> `sacct` works, plugin defaults work.
set -euo pipefail

BASE=${1:-${LOCAL_SLURM_BASE:-/tmp/local-slurm}}
WITH_DBD=${WITH_DBD:-0}
PARTITION=${SLURM_PARTITION:-debug}
CLUSTER=${SLURM_CLUSTER:-localci}
ETC=$BASE/etc; RUN=$BASE/run; LOG=$BASE/log; STATE=$BASE/state
CONF=$ETC/slurm.conf
export SLURM_CONF=$CONF

[ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
waitfor() { local n=$1; shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done; return 1; }

# ---- 1. packages (only if missing) ------------------------------------------
pkgs="slurmctld slurmd slurm-client munge"
[ "$WITH_DBD" = 1 ] && pkgs="$pkgs slurmdbd mariadb-server"
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing
fi

mkdir -p "$ETC" "$RUN/munge" "$LOG" "$STATE/ctld" "$STATE/d"
chown munge:munge "$RUN/munge"

# ---- 2. munge (runs as user munge; key normally made by the Debian postinst) -
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  mungekey --create --keyfile=/etc/munge/munge.key --force 2>/dev/null \
    || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key
fi
mkdir -p /run/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge; chmod 0755 /run/munge
if ! alive "$RUN/munge/munged.pid"; then
  rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock
  runuser -u munge -- /usr/sbin/munged --pid-file="$RUN/munge/munged.pid" \
    --log-file="$RUN/munge/munged.log"
fi
waitfor 50 munge -n || { echo "munged not answering" >&2; exit 1; }

if [ "$WITH_DBD" = 1 ]; then
  ACCT="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=6819
JobAcctGatherType=jobacct_gather/linux"
else
  ACCT="AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none"
fi

# ---- 3. slurm.conf ------------------------------------------------------------
NODE=$(hostname -s)
# NoInAddrAny makes slurmd/slurmdbd bind to what `hostname` resolves to: must be loopback
if ! getent ahostsv4 "$NODE" | head -1 | grep -q '^127\.'; then
  if [ "${FIX_HOSTS:-0}" = 1 ]; then echo "127.0.0.1 $NODE" >> /etc/hosts
  else echo "ERROR: $NODE does not resolve to 127.x (set FIX_HOSTS=1 to add it to /etc/hosts)" >&2; exit 1; fi
fi
CPUS=$(nproc)
REALMEM=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 * 3 / 4 ))  # < detected
cat > "$CONF.new" <<CONF
ClusterName=$CLUSTER
SlurmctldHost=${NODE}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# bind only to 127.0.0.1 instead of 0.0.0.0
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=500
ReturnToService=2
$ACCT
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG/jobcomp.txt
# finished jobs stay visible to squeue for 300 s (snakemake's squeue mode needs
# MinJobAge >= 3 * --slurm-init-seconds-before-status-checks)
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=${NODE} NodeAddr=127.0.0.1 NodeHostname=${NODE} CPUs=${CPUS} RealMemory=${REALMEM} State=UNKNOWN
PartitionName=${PARTITION} Nodes=${NODE} Default=YES MaxTime=INFINITE State=UP
CONF
# config changed (e.g. WITH_DBD toggled) while daemons run -> restart them
if [ -f "$CONF" ] && ! cmp -s "$CONF" "$CONF.new"; then
  for f in "$RUN/slurmd.pid" "$RUN/slurmctld.pid"; do
    if alive "$f"; then p=$(cat "$f"); kill "$p"; waitfor 50 sh -c "! kill -0 $p 2>/dev/null" || kill -9 "$p"; fi
  done
fi
mv "$CONF.new" "$CONF"
# The snakemake slurm-jobstep plugin strips all SLURM_* vars (incl. SLURM_CONF)
# before its inner `srun`, so the config must be at the compiled-in default path.
mkdir -p /etc/slurm
if [ -e /etc/slurm/slurm.conf ] && [ ! -L /etc/slurm/slurm.conf ]; then
  mv /etc/slurm/slurm.conf "/etc/slurm/slurm.conf.bak.$$"
fi
ln -sfn "$CONF" /etc/slurm/slurm.conf

# ---- 4. optional MariaDB + slurmdbd (after slurm.conf: sacctmgr needs it) ----
MYSOCK=$RUN/mysql/mysqld.sock
if [ "$WITH_DBD" = 1 ]; then
  mkdir -p "$STATE/db" "$RUN/mysql"; chown mysql:mysql "$STATE/db" "$RUN/mysql"
  if [ ! -d "$STATE/db/mysql" ]; then
    mariadb-install-db --user=mysql --datadir="$STATE/db" --skip-test-db \
      --auth-root-authentication-method=socket >"$LOG/mariadb-install.log" 2>&1
  fi
  if ! alive "$RUN/mysql/mysqld.pid"; then
    setsid /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$STATE/db" \
      --socket="$MYSOCK" --pid-file="$RUN/mysql/mysqld.pid" --skip-networking \
      --innodb-buffer-pool-size=128M --log-error="$LOG/mariadb.err" \
      </dev/null >/dev/null 2>&1 &
  fi
  waitfor 100 mariadb --socket="$MYSOCK" -e 'select 1' || { echo "mariadb failed" >&2; exit 1; }
  mariadb --socket="$MYSOCK" -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurmpw';
    CREATE DATABASE IF NOT EXISTS slurm_acct_db; GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"
  cat > "$ETC/slurmdbd.conf" <<DBD
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
# bind to what \`hostname\` resolves to (must be 127.0.0.1) instead of 0.0.0.0
CommunicationParameters=NoInAddrAny
SlurmUser=root
PidFile=$RUN/slurmdbd.pid
LogFile=$LOG/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=slurmpw
StorageLoc=slurm_acct_db
DBD
  chmod 600 "$ETC/slurmdbd.conf"
  if ! alive "$RUN/slurmdbd.pid"; then
    # slurmdbd reads slurmdbd.conf from dirname($SLURM_CONF);
    # MYSQL_UNIX_PORT points libmariadb at our private socket
    MYSQL_UNIX_PORT="$MYSOCK" /usr/sbin/slurmdbd
  fi
  waitfor 50 timeout 5 sacctmgr -n list cluster || { tail "$LOG/slurmdbd.log" >&2; exit 1; }
  timeout 20 sacctmgr -n list cluster format=cluster%40 | grep -qw "$CLUSTER" \
    || timeout 20 sacctmgr -i add cluster "$CLUSTER" >/dev/null
fi

# ---- 5. slurmctld + slurmd (they daemonize and write their pid files) ------------
alive "$RUN/slurmctld.pid" || /usr/sbin/slurmctld -f "$CONF"
waitfor 100 scontrol ping || { tail "$LOG/slurmctld.log" >&2; exit 1; }
alive "$RUN/slurmd.pid" || /usr/sbin/slurmd -f "$CONF" -N "$NODE"

nodestate() { sinfo -h -n "$NODE" -o %T 2>/dev/null; }
isup() { case "$(nodestate)" in idle|mixed|allocated|completing) return 0;; *) return 1;; esac; }
if ! waitfor 100 isup; then
  scontrol update nodename="$NODE" state=resume 2>/dev/null || true
  waitfor 25 isup || { echo "node $NODE is $(nodestate)" >&2; tail "$LOG"/slurm*.log >&2; exit 1; }
fi
echo "slurm up: node $NODE $(nodestate), partition $PARTITION, WITH_DBD=$WITH_DBD, conf $CONF"
