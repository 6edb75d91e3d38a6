#!/usr/bin/env bash
# tests/bench/rgw.sh -- tests/lib/ceph-rgw.sh as the benchmark needs it:
# radosgw with tcp_nodelay=1 and, when BENCH_RGW_BIND is set, listening on
# that address as well as on 127.0.0.1 (for a cluster inside a network
# namespace, reached from the host over a veth pair); and with its ops log
# going to DIR/log/ops.log, but off: the bench turns it on at run time
# (`ceph --admin-daemon DIR/run/client.rgw.a.asok config set
# rgw_enable_ops_log true`) while it measures writes (tests/bench/write.sh).
#
#   BENCH_RGW_BIND=10.x.y.2 rgw.sh start DIR RGW_PORT MON_PORT
#   rgw.sh stop|wipe DIR
#
# It runs a copy of ceph-rgw.sh, made in DIR.script, whose one "rgw
# frontends" line is rewritten (and followed by the ops log's three);
# everything else is the original.  If that line is not found (ceph-rgw.sh
# changed), it fails rather than benchmark a server with Nagle's algorithm
# on (a 40 ms stall on every response).
set -euo pipefail
LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")/../lib" && pwd -P)
cmd=${1:?usage: rgw.sh start|stop|wipe DIR [RGW_PORT MON_PORT]}
dir=$(realpath -m -- "${2:?usage: rgw.sh start|stop|wipe DIR [RGW_PORT MON_PORT]}")
script=$dir.script
python3 - "$LIB/ceph-rgw.sh" "$script" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
pat = re.compile(r'^rgw frontends = beast endpoint=127\.0\.0\.1:\$RGW_PORT(.*)$', re.M)
m = pat.findall(src)
if len(m) != 1:
    sys.exit("bench/rgw.sh: tests/lib/ceph-rgw.sh has no single line "
             "'rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT...': update tests/bench/rgw.sh")
rest = m[0].replace(' tcp_nodelay=1', '')
line = ('rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT'
        '${BENCH_RGW_BIND:+ endpoint=$BENCH_RGW_BIND:$RGW_PORT}' + rest + ' tcp_nodelay=1')
# the ops log (one JSON record per request, with the body bytes received
# and sent), off until the bench turns it on at run time for its write side
line += ('\nrgw enable ops log = false\nrgw ops log rados = false'
         '\nrgw ops log file path = $DIR/log/ops.log')
open(sys.argv[2], 'w').write(pat.sub(lambda _: line, src))
PY
shift 2
exec bash "$script" "$cmd" "$dir" "$@"
