#!/usr/bin/env bash
# ceph-rgw.sh — throw-away one-node Ceph cluster (1 mon + 1 in-RAM "memstore" OSD, no mgr)
# plus radosgw, all on 127.0.0.1: a real S3 endpoint that verifies AWS SigV4.
# Debian 12 (bookworm) packages, Ceph 16.2.x (Pacific).
#
# Credits: adapted for lakemount's test rig from the reference script
# shared/s3servers/ceph-rgw.sh of the lakemount project.  Changes: it never
# installs anything (`make deps` does), the OSD port range is the caller's
# (OSD_PORT_MIN/MAX) so two clusters can run side by side, every daemon
# carries LAKEMOUNT_TEST_SERVER=DIR in its environment so that `stop` also
# finds daemons whose pid file was never written (start interrupted), `wipe`
# and `env` commands, and an interrupted `start` stops what it started.
#
# usage:
#   ceph-rgw.sh start  [DIR] [RGW_PORT] [MON_PORT]   # defaults: ${TMPDIR:-/tmp}/ceph-rgw 7480 40000
#   ceph-rgw.sh stop   [DIR]
#   ceph-rgw.sh wipe   [DIR]          # stop, then delete DIR
#   ceph-rgw.sh status [DIR]
#   ceph-rgw.sh env    [DIR]          # export lines for S3 clients: eval "$(ceph-rgw.sh env DIR)"
# "start" wipes DIR, creates a fresh cluster, returns once S3 answers and the user exists
# (exit 0), or exits non-zero with the log tail and everything it started stopped again.
# Two clusters at once need different DIRs, RGW_PORTs, MON_PORTs and OSD port ranges.
# Endpoint: http://127.0.0.1:RGW_PORT, path-style (virtual-host style works as
# BUCKET.localhost:RGW_PORT), any region name, access key "test", secret "testsecret".
#
# env:
#   S3_ACCESS_KEY (test)  S3_SECRET_KEY (testsecret)   the S3 user that is created
#   CEPH_WITH_MGR=1      also start a ceph-mgr (S3 does not need it; +~300 MiB RSS).
#                        Without it, mgr-served commands (e.g. `ceph osd df`) hang: wrap
#                        any such call in `timeout`.
#   OSD_PORT_MIN/MAX     port range OSD/mgr bind in (6800/6899); daemons pick free ones.
#                        One OSD binds 4 ports (msgr2 only): 16 leave room to spare.
#   MEMSTORE_BYTES (8G)  capacity the in-RAM OSD reports; nothing is preallocated, but
#                        writes fail (OSD full) past ~95% of it
set -euo pipefail

CMD=${1:-start}
DIR=$(realpath -m -- "${2:-${TMPDIR:-/tmp}/ceph-rgw}")
RGW_PORT=${3:-7480}
MON_PORT=${4:-40000}
ACCESS_KEY=${S3_ACCESS_KEY:-test}
SECRET_KEY=${S3_SECRET_KEY:-testsecret}
OSD_PORT_MIN=${OSD_PORT_MIN:-6800}
OSD_PORT_MAX=${OSD_PORT_MAX:-6899}
MEMSTORE_BYTES=${MEMSTORE_BYTES:-8G}
CONF="$DIR/ceph.conf"
DAEMONS="client.rgw.a mgr.x osd.0 mon.a"     # stop order
MARK="LAKEMOUNT_TEST_SERVER=$DIR"            # in the environment of every daemon we start

T0=$(date +%s%N)
log() { local ms=$(( ($(date +%s%N) - T0) / 1000000 )); printf '[%3d.%03ds] %s\n' $((ms/1000)) $((ms%1000)) "$*" >&2; }

alive() {  # running and not a zombie (daemons are reparented to PID 1, which may reap late)
  kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

stop_cluster() {
  local d=$1 pid n pids=
  [ -d "$d/run" ] || { sweep; return 0; }
  # All data is in RAM (memstore) and is wiped by the next start: nothing to flush, so
  # SIGKILL. (SIGTERM costs ~9 s in radosgw, and the memstore OSD would first dump its
  # whole RAM contents to disk.)
  for n in $DAEMONS; do
    [ -f "$d/run/$n.pid" ] || continue
    pid=$(cat "$d/run/$n.pid" 2>/dev/null || true); rm -f "$d/run/$n.pid"
    [ -n "$pid" ] && alive "$pid" || continue
    # pid files can go stale: only kill it if it still is one of our ceph daemons
    case "$(cat "/proc/$pid/comm" 2>/dev/null)" in ceph-mon|ceph-osd|ceph-mgr|radosgw) ;; *) continue ;; esac
    kill -KILL "$pid" 2>/dev/null || true
    pids="$pids $pid"
  done
  for pid in $pids; do
    for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.05; done
  done
  sweep
}

# Kill whatever still carries our mark (a daemon forked before its pid file was written).
sweep() {
  python3 - "$MARK" "$$" <<'EOF'
import os, signal, sys, time
mark, me = sys.argv[1].encode(), int(sys.argv[2])
def marked():
    for p in os.listdir('/proc'):
        if not p.isdigit() or int(p) == me:
            continue
        try:
            if mark in open('/proc/%s/environ' % p, 'rb').read().split(b'\0'):
                yield int(p)
        except OSError:
            pass
def alive(p):
    try:
        return open('/proc/%d/stat' % p).read().rsplit(')', 1)[1].split()[0] not in 'ZX'
    except OSError:
        return False
pids = list(marked())
for p in pids:
    try: os.kill(p, signal.SIGKILL)
    except OSError: pass
for _ in range(100):
    if not any(alive(p) for p in pids): break
    time.sleep(0.05)
EOF
}

case "$CMD" in
  stop)   stop_cluster "$DIR"; echo "stopped"; exit 0 ;;
  wipe)   stop_cluster "$DIR"
          if [ -e "$DIR" ] && [ ! -f "$DIR/ceph.conf" ] && [ -n "$(ls -A "$DIR")" ]; then
            echo "ceph-rgw.sh: $DIR does not look like a ceph-rgw.sh directory; not wiping" >&2; exit 1
          fi
          rm -rf --one-file-system "$DIR"; echo "wiped"; exit 0 ;;
  env)    p=$(sed -n 's/^rgw frontends = beast endpoint=[^:]*:\([0-9]*\).*/\1/p' "$CONF" 2>/dev/null)
          [ -n "$p" ] || { echo "ceph-rgw.sh: no cluster in $DIR" >&2; exit 1; }
          echo "export S3_ENDPOINT=http://127.0.0.1:$p S3_ACCESS_KEY='$ACCESS_KEY' S3_SECRET_KEY='$SECRET_KEY' S3_REGION=us-east-1"
          exit 0 ;;
  status) rc=1
          for n in $DAEMONS; do
            f="$DIR/run/$n.pid"; [ -f "$f" ] || continue
            p=$(cat "$f"); if alive "$p"; then echo "$n pid $p running"; rc=0; else echo "$n dead"; fi
          done; exit $rc ;;
  start)  ;;
  *) echo "usage: $0 start|stop|wipe|status|env [DIR] [RGW_PORT] [MON_PORT]" >&2; exit 2 ;;
esac

# ---------------------------------------------------------------- binaries
# (installed by `make deps`, i.e. tests/lib/deps.sh; never from here)
need="ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool curl python3"
[ -n "${CEPH_WITH_MGR:-}" ] && need="$need ceph-mgr"
missing=; for b in $need; do command -v "$b" >/dev/null 2>&1 || missing="$missing $b"; done
if [ -n "$missing" ]; then
  echo "ceph-rgw.sh: missing programs:$missing; install them with 'make deps' (tests/lib/deps.sh)" >&2
  exit 1
fi

# ---------------------------------------------------------------- fresh dir
stop_cluster "$DIR"
rm -rf "$DIR"
mkdir -p "$DIR"/{run,log,crash,mon.a,osd.0,mgr.x,rgw.a}
T0=$(date +%s%N)

fail() {
  echo "ceph-rgw.sh: $*" >&2
  for f in "$DIR"/log/*.log; do [ -s "$f" ] && { echo "--- tail $f" >&2; tail -n 15 "$f" >&2; }; done
  stop_cluster "$DIR"
  exit 1
}
trap 'fail "command failed (line $LINENO)"' ERR
trap 'trap - ERR; echo "ceph-rgw.sh: interrupted" >&2; stop_cluster "$DIR"; exit 130' INT TERM HUP

FSID=$(cat /proc/sys/kernel/random/uuid)
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)

cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
# msgr2 only: one mon port; every Pacific client speaks it
ms bind msgr1 = false
ms bind msgr2 = true
ms bind port min = $OSD_PORT_MIN
ms bind port max = $OSD_PORT_MAX
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
log to stderr = false
err to stderr = true
crash dir = $DIR/crash
# one OSD, no redundancy
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
# radosgw makes 6-7 pools: default pg_num 32 each would exceed mon_max_pg_per_osd (250)
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
mon data avail warn = 2
mon data avail crit = 1
# commit maps at once: the default paxos propose interval (1 s) makes each of radosgw's
# pool creations cost 1-2 s (startup 12.8 s instead of 1.3 s)
paxos propose interval = 0.01
paxos min wait = 0.001

[mon]
mon data = $DIR/mon.\$id
mon cluster log file = $DIR/log/cluster.log

[osd]
osd data = $DIR/osd.\$id
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
# precaution: fixed CRUSH weight instead of one derived from the store's reported size
osd crush initial weight = 1
# fewer threads on a 2-core machine
osd op num shards = 2
osd op num threads per shard = 2

[mgr]
mgr data = $DIR/mgr.\$id

[client.rgw.a]
rgw data = $DIR/rgw.a
# tcp_nodelay: without it every answer with a body waits ~40 ms for the
# client's delayed ACK (Nagle), which is what real S3 never does
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw thread pool size = 64
rgw enable usage log = false
rgw dns name = localhost
# deleted/overwritten data is garbage-collected after 2 h by default; in RAM that adds up
rgw gc obj min wait = 30
rgw gc processor period = 30
EOF

# ---------------------------------------------------------------- keys (all in one keyring;
# ceph-mon --mkfs imports every entity in it into the auth database)
K="$DIR/keyring"
ceph-authtool --create-keyring "$K" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$K" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
ceph-authtool "$K" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap mgr 'allow profile osd' --cap osd 'allow *' >/dev/null
ceph-authtool "$K" --gen-key -n mgr.x --cap mon 'allow profile mgr' --cap osd 'allow *' --cap mds 'allow *' >/dev/null
ceph-authtool "$K" --gen-key -n client.rgw.a --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
chmod 600 "$K"

# ---------------------------------------------------------------- mon
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
ceph-mon -c "$CONF" -i a --mkfs --monmap "$DIR/monmap" --keyring "$K" 2>>"$DIR/log/mkfs.log"
env "$MARK" ceph-mon -c "$CONF" -i a          # daemonizes; pid in $DIR/run/mon.a.pid
C="ceph -c $CONF --connect-timeout 10"
ok=; for _ in $(seq 1 100); do $C mon stat >/dev/null 2>&1 && { ok=1; break; }; sleep 0.1; done
[ -n "$ok" ] || fail "mon did not come up on 127.0.0.1:$MON_PORT"
log "mon up"

# ---------------------------------------------------------------- osd (memstore: data in RAM)
$C osd new "$OSD_UUID" 0 >/dev/null
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" 2>>"$DIR/log/mkfs.log"
env "$MARK" ceph-osd -c "$CONF" -i 0 2>>"$DIR/log/osd.0.stderr"
ok=; for _ in $(seq 1 300); do $C osd dump 2>/dev/null | grep -q '^osd\.0 up' && { ok=1; break; }; sleep 0.1; done
[ -n "$ok" ] || fail "osd.0 did not come up"
log "osd up"

# ---------------------------------------------------------------- mgr (optional)
if [ -n "${CEPH_WITH_MGR:-}" ]; then
  env "$MARK" ceph-mgr -c "$CONF" -i x
  log "mgr started"
fi

# ---------------------------------------------------------------- rgw
env "$MARK" radosgw -c "$CONF" -n client.rgw.a    # creates its pools, then listens
code=; deadline=$((SECONDS + ${RGW_START_TIMEOUT:-60}))
while [ $SECONDS -lt $deadline ]; do
  code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RGW_PORT/" || true)
  [ "$code" = 200 ] && break
  grep -q 'failed initializing frontend' "$DIR/log/client.rgw.a.log" 2>/dev/null &&
    fail "radosgw could not listen on 127.0.0.1:$RGW_PORT (port in use?)"
  p=$(cat "$DIR/run/client.rgw.a.pid" 2>/dev/null || true)
  [ -n "$p" ] && ! alive "$p" && fail "radosgw exited"
  sleep 0.1
done
[ "$code" = 200 ] || fail "radosgw not answering on 127.0.0.1:$RGW_PORT (http $code)"
log "rgw answering on 127.0.0.1:$RGW_PORT"

radosgw-admin -c "$CONF" user create --uid test --display-name test \
    --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" >"$DIR/user.json" 2>>"$DIR/log/radosgw-admin.log"
trap - ERR INT TERM HUP
log "READY  endpoint=http://127.0.0.1:$RGW_PORT  access=$ACCESS_KEY  secret=$SECRET_KEY  (any region)"
echo "stop with: $0 stop $DIR" >&2
