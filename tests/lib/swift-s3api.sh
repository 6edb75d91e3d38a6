#!/usr/bin/env bash
# swift-s3api.sh -- one-node OpenStack Swift (Debian 12 packages) with the
# s3api middleware + tempauth, as a REAL SigV2/SigV4-verifying S3 endpoint for
# client conformance tests.
#
# Credits: adapted for lakemount's test rig from the reference script
# shared/s3servers/swift-s3api.sh of the lakemount project.  Changes: it never
# installs anything (`make deps` does); every server carries
# LAKEMOUNT_TEST_SERVER=DIR in its environment, so `stop` also finds servers
# whose pid file was never written (start interrupted); memcached runs in a
# session of its own like the Swift servers; `stop` kills at once (the data is
# thrown away anyway) and unmounts the tmpfs it mounted on DIR/node, so the
# data in it is gone after a stop; /etc/swift/swift.conf is edited under a
# lock and replaced atomically (two suites may start at once).
#
# Usage:
#   swift-s3api.sh start  [DIR] [PORT]   configure, start, wait until ready
#   swift-s3api.sh stop   [DIR]          stop the servers started from DIR, umount DIR/node if we mounted it
#   swift-s3api.sh status [DIR]          show PIDs / do one signed S3 request
#   swift-s3api.sh env    [DIR]          print export lines for awscli/SDKs (eval "$(...)")
#   swift-s3api.sh wipe   [DIR]          stop, umount DIR/node if we mounted it, delete our files
# Defaults: DIR=${TMPDIR:-/tmp}/swift-s3  PORT=8080.  Backend ports default to PORT+1..PORT+3
# (override with ACCOUNT_PORT / CONTAINER_PORT / OBJECT_PORT).
# Other env knobs: WORKERS (default 1), LOG_LEVEL (INFO), READY_TIMEOUT (60),
#   WIPE_DATA=1 (start from an empty store),
#   MEMCACHED=auto|1|0 (auto: run a private memcached on MEMCACHED_PORT=PORT+4 if
#   the binary is installed; 1: require it; 0: never).  Swift works
#   without memcached (tempauth only needs the cache *middleware*), but small
#   requests are ~2x faster with it (account/container info is cached).
#   CHUNK_SIZE (65536 = Swift default): proxy/object-server I/O chunk size.
#   NODE_FS=auto|disk|tmpfs: Swift keeps each object's metadata (user + system)
#   in user.* xattrs.  ext4 only fits ~3.5 KB of xattrs per file, so S3-legal
#   metadata (2 KB of x-amz-meta-*, or many small keys) can fail with ENOSPC ->
#   507 -> 503 SlowDown.  auto (default): if DIR/node cannot hold 64 KiB of
#   xattrs and we are root, mount a tmpfs (kernel >= 6.6 has tmpfs user xattrs)
#   on DIR/node (size TMPFS_SIZE, default 4g; data then lives in RAM and is lost
#   by `stop`, `wipe` or a reboot).  disk: never mount.  tmpfs: always.
#
# S3 credentials (tempauth):  access key "test:tester"  secret "testing"
#                             (a second user: "test2:tester2" / "testing2")
#   region us-east-1, path-style addressing, endpoint http://127.0.0.1:PORT
#   NOTE: the access key contains a colon -- that is how tempauth names users.
#
# Everything lives under DIR (configs+rings in DIR/etc, data in DIR/node/d1,
# logs in DIR/log, pids in DIR/run).  The one thing Swift cannot relocate is
# /etc/swift/swift.conf (hash-path prefix/suffix + storage policies; its path is
# hard-coded in swift.common.utils).  The Debian package ships a valid one; we
# create it only if missing, and add (once, marked) S3-sized metadata limits to
# its [swift-constraints] section.  That edit is the one thing left behind.
set -euo pipefail

CMD=${1:-start}
DIR=$(realpath -m -- "${2:-${TMPDIR:-/tmp}/swift-s3}")
PORT=${3:-8080}
[ "$CMD" != start ] || mkdir -p "$DIR"
MARK="LAKEMOUNT_TEST_SERVER=$DIR"   # in the environment of every server we start
ACCOUNT_PORT=${ACCOUNT_PORT:-$((PORT + 1))}
CONTAINER_PORT=${CONTAINER_PORT:-$((PORT + 2))}
OBJECT_PORT=${OBJECT_PORT:-$((PORT + 3))}
MEMCACHED_PORT=${MEMCACHED_PORT:-$((PORT + 4))}
MEMCACHED=${MEMCACHED:-auto}
CHUNK_SIZE=${CHUNK_SIZE:-65536}
NODE_FS=${NODE_FS:-auto}
WORKERS=${WORKERS:-1}
LOG_LEVEL=${LOG_LEVEL:-INFO}
READY_TIMEOUT=${READY_TIMEOUT:-60}
RUN_USER=$(id -un)
SERVERS="account container object proxy"
PY=/usr/bin/python3

# alive PID: running and not a zombie (in containers whose PID 1 does not reap
# orphans, a stopped server can linger as a zombie, which kill -0 still "sees")
alive() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
log() { printf '[swift-s3] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --------------------------------------------------------------------------
# SigV4 probe (stdlib only): prints the HTTP status of a signed GET / (ListBuckets)
# usage: s3probe PORT ACCESS SECRET
# --------------------------------------------------------------------------
s3probe() {
  "$PY" - "$@" <<'EOF'
import sys, hmac, hashlib, datetime, http.client
port, ak, sk = int(sys.argv[1]), sys.argv[2], sys.argv[3]
region, host = 'us-east-1', '127.0.0.1:%d' % port
now = datetime.datetime.now(datetime.timezone.utc)
amzdate, day = now.strftime('%Y%m%dT%H%M%SZ'), now.strftime('%Y%m%d')
ph = hashlib.sha256(b'').hexdigest()
canon = '\n'.join(['GET', '/', '', 'host:' + host, 'x-amz-content-sha256:' + ph,
                   'x-amz-date:' + amzdate, '', 'host;x-amz-content-sha256;x-amz-date', ph])
scope = '%s/%s/s3/aws4_request' % (day, region)
sts = '\n'.join(['AWS4-HMAC-SHA256', amzdate, scope, hashlib.sha256(canon.encode()).hexdigest()])
k = ('AWS4' + sk).encode()
for m in (day, region, 's3', 'aws4_request'):
    k = hmac.new(k, m.encode(), hashlib.sha256).digest()
sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
auth = ('AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=host;x-amz-content-sha256;x-amz-date, '
        'Signature=%s' % (ak, scope, sig))
try:
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
    c.request('GET', '/', headers={'Host': host, 'x-amz-date': amzdate,
                                   'x-amz-content-sha256': ph, 'Authorization': auth})
    r = c.getresponse(); r.read(); print(r.status)
except Exception:
    print(0)
EOF
}

port_busy() { # true if something listens on 127.0.0.1:$1 (or 0.0.0.0)
  "$PY" -c 'import socket,sys
s=socket.socket(); s.settimeout(0.3)
sys.exit(0 if s.connect_ex(("127.0.0.1",int(sys.argv[1])))==0 else 1)' "$1"
}

# --------------------------------------------------------------------------
stop_servers() {
  local any=0 s pidf pid i
  for s in proxy object container account memcached; do
    pidf="$DIR/run/$s.pid"
    [ -f "$pidf" ] || continue
    pid=$(cat "$pidf")
    # only touch the PID if it is still (or a zombie of) the process we started
    if grep -qE '^[0-9]+ \((swift-|memcached)' "/proc/$pid/stat" 2>/dev/null; then
      any=1
      log "stopping $s (pid $pid)"
      # The data is thrown away (tmpfs) or never reused by the test rig: no
      # need for SIGTERM, which costs ~0.5 s per server.  Swift servers call
      # setsid(), so their forked workers are in process group $pid.
      kill -KILL "$pid" 2>/dev/null || true
      [ "$s" = memcached ] || kill -KILL -- "-$pid" 2>/dev/null || true
      for i in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
    fi
    rm -f "$pidf"
  done
  sweep
  [ $any = 1 ] || log "nothing running for $DIR"
  umount_node
}

# Kill whatever still carries our mark (a server started before its pid file was written).
sweep() {
  "$PY" - "$MARK" "$$" <<'EOF'
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

umount_node() {  # unmount the tmpfs that prepare_node_fs mounted (its data goes with it)
  [ -f "$DIR/run/node-tmpfs" ] || return 0
  if mountpoint -q "$DIR/node"; then
    umount "$DIR/node" 2>/dev/null || umount -l "$DIR/node" || die "cannot umount $DIR/node"
    log "unmounted the tmpfs on $DIR/node"
  fi
  rm -f "$DIR/run/node-tmpfs"
}

# --------------------------------------------------------------------------
check_binaries() {  # installed by `make deps` (tests/lib/deps.sh), never from here
  local b missing=
  for b in swift-proxy-server swift-account-server swift-container-server \
           swift-object-server "$PY" $([ "$MEMCACHED" = 1 ] && echo memcached); do
    command -v "$b" >/dev/null 2>&1 || missing="$missing $b"
  done
  [ -z "$missing" ] || die "missing programs:$missing; install them with 'make deps' (tests/lib/deps.sh)"
}

ensure_swift_conf() {
  # /etc/swift/swift.conf is hard-coded in Swift (swift.common.utils); it must
  # hold [swift-hash] and a storage policy 0.  The Debian package ships one.
  # Swift's default metadata limits (256-byte values, 128-byte names, 90 keys)
  # are below S3's (2 KB of user metadata in total); a 257-byte x-amz-meta value
  # even yields a 500 InternalError from s3api.  Raise them (idempotently,
  # under a lock, replacing the file atomically: servers may be reading it).
  if [ ! -f /etc/swift/swift.conf ] || ! grep -q '^# start-swift-s3: S3 metadata limits' /etc/swift/swift.conf; then
    { mkdir -p /etc/swift && [ -w /etc/swift ]; } 2>/dev/null || {
      [ -f /etc/swift/swift.conf ] || die "/etc/swift/swift.conf missing and /etc/swift not writable"
      log "WARNING: cannot raise metadata limits in /etc/swift/swift.conf (not writable)"
      return 0
    }
  fi
  "$PY" - /etc/swift/swift.conf <<'EOF2' || die "cannot write /etc/swift/swift.conf"
import configparser, fcntl, os, re, sys
p = sys.argv[1]
MARK = '# start-swift-s3: S3 metadata limits'
lock = open(os.path.join(os.path.dirname(p), '.swift-s3.lock'), 'a')
fcntl.flock(lock, fcntl.LOCK_EX)          # another suite may be doing the same
old = open(p).read() if os.path.exists(p) else ''
text = old
if not re.search(r'^swift_hash_path_suffix *= *[^ ]', text, re.M):
    text = ('[swift-hash]\nswift_hash_path_suffix = changeme\nswift_hash_path_prefix = changeme\n\n'
            '[storage-policy:0]\nname = Policy-0\ndefault = yes\n\n[swift-constraints]\n')
if MARK not in text:
    cp = configparser.ConfigParser(); cp.read_string(text)
    have = set(cp.options('swift-constraints')) if cp.has_section('swift-constraints') else set()
    want = [('max_meta_name_length', 2048), ('max_meta_value_length', 2048),
            ('max_meta_count', 1024), ('max_meta_overall_size', 4096)]
    add = [MARK + '\n'] + ['%s = %d\n' % kv for kv in want if kv[0] not in have]  # never duplicate a key
    lines = text.splitlines(True)
    for i, l in enumerate(lines):
        if l.strip() == '[swift-constraints]':
            lines[i + 1:i + 1] = add
            break
    else:
        lines += ['\n[swift-constraints]\n'] + add
    text = ''.join(lines)
if text != old:
    tmp = '%s.tmp.%d' % (p, os.getpid())
    with open(tmp, 'w') as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, p)
EOF2
}

xattr_capacity() { # prints how many bytes of Swift-style xattrs a file in $1 can hold (cap 64 KiB)
  "$PY" - "$1" <<'EOF2'
import os, sys
p = os.path.join(sys.argv[1], '.xattr_probe')
open(p, 'w').close()
n = 0
try:
    for i in range(258):                       # Swift writes 254-byte chunks
        os.setxattr(p, 'user.swift.metadata%s' % (i or ''), b'x' * 254)
        n += 254
except OSError:
    pass
finally:
    os.unlink(p)
print(n)
EOF2
}

prepare_node_fs() {
  local node=$DIR/node cap
  mkdir -p "$node"
  if ! mountpoint -q "$node"; then
    cap=$(xattr_capacity "$node")
    case $NODE_FS in
      tmpfs) want_tmpfs=1 ;;
      disk)  want_tmpfs=0 ;;
      *)     if [ "$cap" -ge 65000 ]; then want_tmpfs=0
             elif [ "$(id -u)" = 0 ]; then want_tmpfs=1
             else want_tmpfs=0; fi ;;
    esac
    if [ $want_tmpfs = 1 ]; then
      log "$(df -T "$node" | awk 'NR==2{print $2}') under $node holds only $cap bytes of xattrs/file; mounting tmpfs there"
      [ -n "$(ls -A "$node" 2>/dev/null)" ] && log "WARNING: hiding existing data in $node under the tmpfs"
      mkdir -p "$DIR/run"
      mount -t tmpfs -o "size=${TMPFS_SIZE:-4g},mode=0755" swift-s3-node "$node" \
        || die "cannot mount tmpfs on $node (use NODE_FS=disk)"
      : > "$DIR/run/node-tmpfs"
    fi
  fi
  mkdir -p "$node/d1"
  cap=$(xattr_capacity "$node/d1")
  [ "$cap" -gt 0 ] || die "filesystem under $node does not support user xattrs (Swift needs them)"
  [ "$cap" -ge 65000 ] || log "WARNING: only $cap bytes of xattrs per file under $node; objects with large/many x-amz-meta-* will fail (503)"
}

write_configs() {
  local etc=$DIR/etc
  mkdir -p "$etc" "$DIR/node/d1" "$DIR/run" "$DIR/log" "$DIR/cache"

  common() { cat <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
workers = $WORKERS
user = $RUN_USER
swift_dir = $etc
devices = $DIR/node
mount_check = false
recon_cache_path = $DIR/cache
log_level = $LOG_LEVEL
log_name = $1
EOF
  }
  # ---------------- account ----------------
  { common swift-account; cat <<EOF
bind_port = $ACCOUNT_PORT

[pipeline:main]
pipeline = healthcheck account-server

[app:account-server]
use = egg:swift#account

[filter:healthcheck]
use = egg:swift#healthcheck

[account-replicator]
[account-auditor]
[account-reaper]
EOF
  } > "$etc/account-server.conf"

  # ---------------- container ----------------
  { common swift-container; cat <<EOF
bind_port = $CONTAINER_PORT

[pipeline:main]
pipeline = healthcheck container-server

[app:container-server]
use = egg:swift#container

[filter:healthcheck]
use = egg:swift#healthcheck

[container-replicator]
[container-updater]
[container-auditor]
[container-sync]
[container-sharder]
EOF
  } > "$etc/container-server.conf"

  # ---------------- object ----------------
  { common swift-object; cat <<EOF
bind_port = $OBJECT_PORT

[pipeline:main]
pipeline = healthcheck object-server

[app:object-server]
use = egg:swift#object
# wait (much) longer than the default 1s for the synchronous container-listing
# update, so a listing right after a PUT/DELETE reflects it
container_update_timeout = 10
network_chunk_size = $CHUNK_SIZE
disk_chunk_size = $CHUNK_SIZE

[filter:healthcheck]
use = egg:swift#healthcheck

[object-replicator]
[object-reconstructor]
[object-updater]
[object-auditor]
[object-relinker]
EOF
  } > "$etc/object-server.conf"

  # ---------------- proxy ----------------
  { common swift-proxy; cat <<EOF
bind_port = $PORT

[pipeline:main]
# s3api must sit before the auth middleware (tempauth); slo is required for
# multipart upload, copy for CopyObject/UploadPartCopy, versioned_writes for
# bucket versioning.
# (no healthcheck here: it would swallow the S3 path /healthcheck, i.e. a bucket
# of that name)
pipeline = catch_errors gatekeeper proxy-logging cache listing_formats s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
# One node only: never "error-limit" it (by default a single 507/timeout makes
# the proxy skip the node for 60 s, i.e. every request gets 503 SlowDown).
error_suppression_interval = 0
conn_timeout = 3
node_timeout = 30
# 64 KiB = Swift default; 1 MiB measured no faster on this box
object_chunk_size = $CHUNK_SIZE
client_chunk_size = $CHUNK_SIZE

[filter:s3api]
use = egg:swift#s3api
location = us-east-1
s3_acl = false
dns_compliant_bucket_names = true
allow_multipart_uploads = true
# S3 allows 10000 parts; Swift's default here is 1000
max_upload_part_num = 10000
max_bucket_listing = 1000
max_multi_delete_objects = 1000
# S3 default minimum part size (all parts but the last)
min_segment_size = 5242880
allowable_clock_skew = 900

[filter:tempauth]
use = egg:swift#tempauth
# S3 access key = "<account>:<user>", secret = the key below
user_admin_admin = admin .admin .reseller_admin
user_test_tester = testing .admin
user_test2_tester2 = testing2 .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MEMCACHED_PORT
$([ "$USE_MEMCACHED" = 1 ] || printf '%s\n' \
  '# no memcached running: the client error-limits the refused server; hush it' \
  'set log_level = CRITICAL')

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
# S3 allows up to 10000 parts per multipart upload
max_manifest_segments = 10000
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_versioned_writes = true
allow_object_versioning = true
[filter:symlink]
use = egg:swift#symlink
EOF
  } > "$etc/proxy-server.conf"
}

build_rings() {
  # Same result as swift-ring-builder create 8 1 1 / add / rebalance, but in
  # one Python process (~0.3 s instead of ~4 s for 9 CLI calls).  Rings are
  # rebuilt on every start so a changed port is picked up; with one device and
  # one replica the partition->device mapping is always identical.
  "$PY" - "$DIR/etc" "$ACCOUNT_PORT" "$CONTAINER_PORT" "$OBJECT_PORT" <<'EOF2' || die "ring build failed"
import os, sys
from swift.common.ring import RingBuilder
etc = sys.argv[1]
for name, port in zip(('account', 'container', 'object'), map(int, sys.argv[2:5])):
    b = RingBuilder(8, 1, 1)          # part_power 8, 1 replica, min_part_hours 1
    b.add_dev({'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': port,
               'replication_ip': '127.0.0.1', 'replication_port': port,
               'device': 'd1', 'weight': 100, 'meta': ''})
    b.rebalance()
    b.validate()
    b.get_ring().save(os.path.join(etc, name + '.ring.gz'))
    b.save(os.path.join(etc, name + '.builder'))
EOF2
}

check_ports() {
  local p
  for p in "$PORT" "$ACCOUNT_PORT" "$CONTAINER_PORT" "$OBJECT_PORT" \
           $([ "$USE_MEMCACHED" = 1 ] && echo "$MEMCACHED_PORT"); do
    port_busy "$p" && die "port $p on 127.0.0.1 already in use"
  done
  return 0
}

start_servers() {
  local s conf
  if [ "$USE_MEMCACHED" = 1 ]; then
    # -U 0: no UDP; -u only matters (and is required) when running as root
    env "$MARK" setsid memcached -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m 64 -c 1024 \
      $([ "$(id -u)" = 0 ] && echo "-u nobody") >>"$DIR/log/memcached.log" 2>&1 </dev/null &
    echo $! > "$DIR/run/memcached.pid"
  fi
  for s in $SERVERS; do
    conf=$DIR/etc/$s-server.conf
    # -v: also log to the console (= our log file); without it Swift only logs
    # to syslog (/dev/log or UDP 514).
    env "$MARK" nohup "swift-$s-server" "$conf" -v >>"$DIR/log/$s.log" 2>&1 </dev/null &
    echo $! > "$DIR/run/$s.pid"
  done
}

wait_ready() {
  local t0=$1 st deadline=$((SECONDS + READY_TIMEOUT)) s
  while :; do
    for s in $SERVERS $([ "$USE_MEMCACHED" = 1 ] && echo memcached); do
      alive "$(cat "$DIR/run/$s.pid")" || {
        tail -n 30 "$DIR/log/$s.log" >&2; stop_servers; die "$s died during startup (log: $DIR/log/$s.log)"; }
    done
    st=$(s3probe "$PORT" test:tester testing)
    [ "$st" = 200 ] && break
    [ $SECONDS -ge $deadline ] && { stop_servers; die "not ready after ${READY_TIMEOUT}s (last status $st)"; }
    sleep 0.2
  done
  st=$(s3probe "$PORT" test:tester wrong-secret)
  [ "$st" = 403 ] || log "WARNING: request with a wrong secret got HTTP $st (expected 403)"
  log "ready: http://127.0.0.1:$PORT  (access key test:tester, secret testing, region us-east-1) in $(( $(date +%s%N) / 1000000 - t0 )) ms"
}

case $CMD in
  start)
    T0=$(( $(date +%s%N) / 1000000 ))
    [ -f "$DIR/run/proxy.pid" ] && alive "$(cat "$DIR/run/proxy.pid")" \
      && die "already running from $DIR (pid $(cat "$DIR/run/proxy.pid")); stop it first"
    trap 'log "interrupted"; stop_servers; exit 130' INT TERM HUP
    check_binaries
    case $MEMCACHED in
      0) USE_MEMCACHED=0 ;;
      *) if command -v memcached >/dev/null; then USE_MEMCACHED=1
         else USE_MEMCACHED=0; [ "$MEMCACHED" = 1 ] && die "memcached not installed"; fi ;;
    esac
    check_ports
    ensure_swift_conf
    [ "${WIPE_DATA:-0}" = 1 ] && rm -rf "${DIR:?}/node/"*
    prepare_node_fs
    write_configs
    build_rings
    start_servers
    wait_ready "$T0"
    trap - INT TERM HUP
    ;;
  stop)   stop_servers ;;
  wipe)   [ -e "$DIR" ] || { stop_servers; exit 0; }
          [ -f "$DIR/etc/proxy-server.conf" ] || [ -z "$(ls -A "$DIR")" ] \
            || die "$DIR does not look like a swift-s3api.sh directory; not wiping"
          stop_servers
          if mountpoint -q "$DIR/node"; then umount "$DIR/node" || die "cannot umount $DIR/node"; fi
          rm -rf --one-file-system "${DIR:?}/etc" "$DIR/node" "$DIR/run" "$DIR/log" "$DIR/cache"
          rmdir "$DIR" 2>/dev/null || true ;;
  env)
    p=$(sed -n 's/^bind_port = //p' "$DIR/etc/proxy-server.conf" 2>/dev/null | head -1 || true)
    cat <<EOF
export AWS_ACCESS_KEY_ID='test:tester' AWS_SECRET_ACCESS_KEY='testing' AWS_DEFAULT_REGION='us-east-1'
export AWS_ENDPOINT_URL='http://127.0.0.1:${p:-$PORT}' S3_ENDPOINT='http://127.0.0.1:${p:-$PORT}'
export S3_ACCESS_KEY='test:tester' S3_SECRET_KEY='testing' S3_REGION='us-east-1'
EOF
    ;;
  status)
    for s in $SERVERS memcached; do
      if [ -f "$DIR/run/$s.pid" ] && alive "$(cat "$DIR/run/$s.pid")"; then
        echo "$s: running (pid $(cat "$DIR/run/$s.pid"))"
      else
        echo "$s: stopped"
      fi
    done
    p=$(sed -n 's/^bind_port = //p' "$DIR/etc/proxy-server.conf" 2>/dev/null | head -1 || true)
    [ -n "$p" ] && echo "signed ListBuckets on port $p -> HTTP $(s3probe "$p" test:tester testing)"
    ;;
  *) echo "usage: $0 {start|stop|status|env|wipe} [DIR] [PORT]" >&2; exit 2 ;;
esac
