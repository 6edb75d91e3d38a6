#!/usr/bin/env bash
# tests/bench/bench.sh BUILD -- `make bench`: lakemount beside the raw
# transfer, s3fs and rclone mount, on the same data in the same Ceph RGW.
# A benchmark, not a test: it prints one table of medians (stdout) and
# writes BUILD/bench.json.  Needs root (drop_caches, the WAN namespace).
#
# For each network -- "local" (RGW on 127.0.0.1) and "wan" (RGW in a
# network namespace, 20 ms round trip) -- it starts an RGW, uploads
#   bench/big.bin        a 256 MiB random object
#   bench/files/fNNNN    1,000 random files of 60 KiB
#   data/...             a miniature Binance archive (tools/lakemount-mkarchive)
#                        whose spot/daily/klines/BTCUSDT/1m holds 6,000 keys
# and measures, BENCH_RUNS times, each tool in turn:
#   read_cold   cat of big.bin on a fresh mount with an empty cache, page
#               cache dropped; read_warm  the same again on that mount
#   tail_cold   tail -c 100 of big.bin, fresh mount, empty cache
#   ls_cold / ls_warm   ls -l of the 6,000-key folder, fresh mount / again
#   ls_remount  ls -l after unmounting and mounting again on the same cache,
#               page cache dropped, then `ls` paged in again (by a listing
#               of a local directory): the mount's files are cold, ls is not
#   files_cold  cat of the 1,000 files (one after the other, as a glob does)
#   rss         VmHWM of the daemon after all of that on one mount (the
#               table shows the largest of the runs)
# Every cold measurement -- of the mounts and of the raw transfer alike --
# begins with the page cache dropped.  RGW runs on this machine, so that
# cools the server as well (its code, the OSD's files): the first requests
# after a drop are slower, and a raw transfer measured without one would
# meet a warmer server than the mounts do.  Every measurement, of every
# tool and of the raw transfer, waits first for the CPUs to be idle
# (settle, at most 5 s).
# After the tail, lakemount's root xattr user.lakemount.stats (its request
# counters) is read and printed as a note; for every tool the table also
# shows the requests RGW's access log saw (LIST, HEAD, GET and bytes), and
# for the cold read the CPU time the server's processes and the client (the
# tool's daemon and the command) used while it ran: with RGW on this
# machine, what the client spends is taken from the server's two cores.
# The write side (write_1g, cp_1g, rsync_500, beside `aws s3 cp` and s3fs)
# is in tests/bench/write.sh, which says what it measures and how.
# The peers: s3fs with use_cache=<fresh dir>, rclone mount with
# --vfs-cache-mode full and a fresh --cache-dir, otherwise their defaults.
# beside the raw transfer (curl of a presigned URL; 8 curls of 32 MiB ranges
# at once; s3cli ls of the prefix; one curl fetching the 1,000 files in turn)
# and the page cache (the same file/folder read locally, warm).
#
# The WAN: the kernel here has no netem qdisc, so the host reaches the
# namespace through tests/bench/delayline.c, a pair of TUN devices (MTU
# BENCH_WAN_MTU, 9000) with a program between them that holds every packet
# BENCH_WAN_DELAY ms in each direction.  Only its /30 (BENCH_WAN_NET.1 and
# .2) and 127.0.0.1 are ever addressed.  Why 9000: at MTU 65000 (used
# until 2026-12-06) TCP over the line was erratic without losing a packet
# (nstat: no retransmission): a fresh curl of 5 MiB took 0.28-1.35 s, one
# of the whole 256 MiB 2.2-10.9 s (bench runs: 2.57 s, 7.95 s); at 9000,
# 0.19 s and 1.84-1.88 s.  At 1500 the program itself caps the line near
# 120 MB/s on two cores; at 9000, 8 curls at once move 256 MiB in 0.75 s.
# Each device queues up to 20,000 packets (txqueuelen) so that a burst
# waits instead of being dropped; the bench says if any was dropped.
#
# Free page reporting: on a VM whose balloon hands the pages the guest
# frees back to the host (virtio-balloon free page reporting, as on this
# project's machines: Firecracker, page_reporting_order 9), the next touch
# of such a page costs a fault in the host per 4 KiB.  Every cold
# measurement begins with the page cache dropped and the CPUs settled, by
# when the freed memory has gone to the host: a dd of 256 MiB into a local
# file then took 0.34-0.46 s of kernel time, against 0.04-0.06 s with
# reporting off (2026-12-07).  A mount that keeps what it reads or writes
# -- a cache file, a staging file: lakemount's, s3fs's, rclone's -- paid
# that for every byte, and the yardsticks never did: curl -o /dev/null
# keeps nothing, and aws s3 cp reads a file already in the page cache.
# That part of the gap was the host's, not the tools' (the README has
# what it did to lakemount's write: 8.43 s against 4.82 s).  So the bench
# holds reporting off while it runs (page_reporting_order above the
# largest order of a free block), restores it on exit, and says so;
# BENCH_PAGE_REPORTING=keep measures the machine as it is.
#
# Environment:
#   BENCH_RUNS (3)          runs of each scenario (medians are reported)
#   BENCH_NETS (local wan)  which networks
#   BENCH_TOOLS (lakemount s3fs rclone)
#   BENCH_SCENARIOS (read write)  which side: the read scenarios above, the
#                           write ones of tests/bench/write.sh, or both
#   BENCH_WRITE_NETS (local)  the networks (of BENCH_NETS) the write side runs on
#   BENCH_WRITE_TIMEOUT (5 x BENCH_TIMEOUT)  the same as BENCH_TIMEOUT, for
#                           one write measurement (1 GiB, or rsync of 1,000 files)
#   BENCH_AWS (/usr/bin/aws)  the AWS CLI the write side compares with
#   BENCH_TIMEOUT (60)      seconds one measurement may take; one that takes
#                           longer is reported as ">60" and not run again
#   BENCH_ONCE (20)         a measurement that took longer than this many
#                           seconds is not repeated (long runs vary little;
#                           the table marks such medians of one run with *)
#   BENCH_LM_TREE ('')      the tree path of the bucket in lakemount's config
#                           ('' = the root of the mount, as for the peers)
#   BENCH_WAN_DELAY (10)    one-way delay, ms
#   BENCH_WAN_MTU (9000)    MTU of the delay line's devices (see above)
#   BENCH_WAN_NET (10.213.57)  the /30 of the WAN link: host .1, server .2
#   BENCH_JSON (BUILD/bench.json)
#   BENCH_S3FS_OPTS, BENCH_RCLONE_OPTS   extra mount options for the peers
#   BENCH_PAGE_REPORTING (off)  off: hold free page reporting off during
#                           the run (above); keep: leave it as it is
#   KEEP_TMP=1              keep the scratch directory
# Cleans up (unmounts, daemons, RGWs, the namespace) on every exit, ^C too.
set -uo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
. "$SRC/tests/lib/rig.sh"
lm_become_subreaper "$0" "$@"

BUILD=$(cd "${1:-build}" 2>/dev/null && pwd -P) || { echo "bench: no build directory '${1:-build}': run make first" >&2; exit 2; }
RUNS=${BENCH_RUNS:-3}
NETS=${BENCH_NETS:-local wan}
TOOLS=${BENCH_TOOLS:-lakemount s3fs rclone}
TIMEOUT=${BENCH_TIMEOUT:-60}
ONCE=${BENCH_ONCE:-20}
WAN_DELAY=${BENCH_WAN_DELAY:-10}
WAN_MTU=${BENCH_WAN_MTU:-9000}
WAN_NET=${BENCH_WAN_NET:-10.213.57}
JSON=${BENCH_JSON:-$BUILD/bench.json}
BIG_MIB=256 NFILES=1000 FILE_KIB=60 DAYS=3000
BUCKET=lm-bench
DIR6000=data/spot/daily/klines/BTCUSDT/1m
S3CLI=$BUILD/tests/s3cli
# where lakemount shows the bucket, inside its mount (the peers: at the root)
LM_TREE=${BENCH_LM_TREE-}
SCENARIOS=${BENCH_SCENARIOS:-read write}
PAGE_REPORTING=${BENCH_PAGE_REPORTING:-off}
case $PAGE_REPORTING in off | keep) ;; *) echo "bench: BENCH_PAGE_REPORTING: unknown '$PAGE_REPORTING' (off, keep)" >&2; exit 2 ;; esac
WRITE_NETS=${BENCH_WRITE_NETS:-local}
for s in $SCENARIOS; do
	case $s in read | write) ;; *) echo "bench: BENCH_SCENARIOS: unknown '$s' (read, write)" >&2; exit 2 ;; esac
done
want() { case " $SCENARIOS " in *" $1 "*) return 0 ;; esac; return 1; }
case $RUNS in '' | *[!0-9]* | 0) echo "bench: BENCH_RUNS must be a positive integer" >&2; exit 2 ;; esac
case $TIMEOUT in '' | *[!0-9]* | 0) echo "bench: BENCH_TIMEOUT must be a positive integer" >&2; exit 2 ;; esac
case $ONCE in '' | *[!0-9]*) echo "bench: BENCH_ONCE must be a number of seconds" >&2; exit 2 ;; esac
WRITE_TIMEOUT=${BENCH_WRITE_TIMEOUT:-$((TIMEOUT * 5))}
case $WRITE_TIMEOUT in '' | *[!0-9]* | 0) echo "bench: BENCH_WRITE_TIMEOUT must be a positive integer" >&2; exit 2 ;; esac

# Nothing of the caller's AWS or proxy setup leaks in (rclone refuses to
# start on an AWS_CA_BUNDLE it cannot use with plain http, for one).
unset AWS_CA_BUNDLE AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL \
	http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null
export S3_ACCESS_KEY=test S3_SECRET_KEY=testsecret S3_REGION=us-east-1
export LC_ALL=C

T0=$(lm_now_ms)
say() { printf '[%4ds] %s\n' $(( ($(lm_now_ms) - T0) / 1000 )) "$*" >&2; }
die() { say "bench: $*"; exit 1; }

# ---------------------------------------------------------------- prerequisites
[ -x "$S3CLI" ] || die "no '$S3CLI': run make first"
ROOT=; [ "$(id -u)" = 0 ] && ROOT=1
for b in curl python3 timeout getfattr fusermount3 cc ip; do
	command -v "$b" >/dev/null 2>&1 || die "'$b' is missing: run make deps"
done
if [ -z "$ROOT" ]; then
	say "not root: no WAN, and the page cache cannot be dropped (cold runs are not cold)"
	NETS=${NETS//wan/}
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lm-bench.XXXXXX") || exit 1
export LM_PORTS_FILE=$WORK/ports
RESULTS=$WORK/results.tsv
: >"$RESULTS"
mkdir -p "$WORK/mnt" "$WORK/cache" "$WORK/log" "$WORK/bin"
# a copy of the binaries under test, so that a rebuild during the run
# does not mix two versions in one table
LAKEMOUNT=
if [ -x "$BUILD/lakemount" ]; then
	cp "$BUILD/lakemount" "$WORK/bin/lakemount" && LAKEMOUNT=$WORK/bin/lakemount
fi
cp "$S3CLI" "$WORK/bin/s3cli" && S3CLI=$WORK/bin/s3cli
RGW_DIRS=() NETNS= DELAYLINE_PID= DAEMONS=() CMD_PID= DPID= OPS_ON= OPS_LOG= RGW_ASOK=
SERVER_DIR=/nonexistent CLK_TCK=$(getconf CLK_TCK)
REPORTING_KNOB=/sys/module/page_reporting/parameters/page_reporting_order REPORTING_WAS=
REPORTING_INFO="free page reporting: not offered by this kernel"

# ---------------------------------------------------------------- cleanup
cleanup() {
	local rc=$? mp d pid
	trap '' INT TERM HUP
	cd / || :
	if [ -n "$CMD_PID" ]; then	# a measured command (timeout(1) forwards the TERM)
		kill -TERM "$CMD_PID" 2>/dev/null
		[ -z "$DPID" ] || kill_daemon "$DPID"
	fi
	while read -r mp; do
		[ -n "$mp" ] && mount_cleanup "$mp"
	done < <(lm_mounts_under "$WORK")
	for pid in "${DAEMONS[@]}"; do
		kill_daemon "$pid"
	done
	for d in "${RGW_DIRS[@]}"; do
		bash "$SRC/tests/bench/rgw.sh" wipe "$d" >>"$WORK/log/rgw-stop.log" 2>&1
	done
	if [ -n "$DELAYLINE_PID" ]; then
		lm_kill_group "$DELAYLINE_PID" 5
	fi
	[ -z "$NETNS" ] || ip netns del "$NETNS" 2>/dev/null
	[ -z "$REPORTING_WAS" ] || echo "$REPORTING_WAS" >"$REPORTING_KNOB" ||
		echo "bench: could not set $REPORTING_KNOB back to $REPORTING_WAS" >&2
	if [ -n "$(lm_mounts_under "$WORK")" ]; then
		echo "bench: still mounted under $WORK" >&2
	elif [ -n "${KEEP_TMP:-}" ]; then
		echo "bench: scratch files kept in $WORK" >&2
	elif [ $rc != 0 ]; then
		rm -rf --one-file-system "$WORK/data" "$WORK/archive" "$WORK/cache"
		echo "bench: logs and results kept in $WORK" >&2
	else
		rm -rf --one-file-system "$WORK"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# kill_daemon PID: a daemon we started (s3fs, rclone, lakemount), if it is
# still that program.
kill_daemon() {
	local pid=$1 comm i
	comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 0
	case $comm in s3fs | rclone | lakemount) ;; *) return 0 ;; esac
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null && return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
}

drop_caches() {
	[ -n "$ROOT" ] || return 0
	sync
	echo 3 >/proc/sys/vm/drop_caches
	# The harness's own programs back in memory (guarded runs every
	# measured command under timeout, beside a watchdog's sleep): paging
	# them in took 2-4 ms of each cold measurement, the same for every
	# tool and the raw transfer, and no part of what any of them costs.
	timeout 5 true
	sleep 0
}

# ---------------------------------------------------------------- free page reporting
# Held off for the run (the comment at the top says why): an order above
# the largest in /proc/buddyinfo.  Mainline refuses an order above its
# MAX_PAGE_ORDER; then reporting stays as it was, and the table says so.
reporting_off() {
	local was top
	[ -r "$REPORTING_KNOB" ] || return 0
	was=$(cat "$REPORTING_KNOB") || return 0
	top=$(awk '{ if (NF - 5 > m) m = NF - 5 } END { print m + 0 }' /proc/buddyinfo)
	[ "$was" -le "$top" ] || { REPORTING_INFO="free page reporting: off (page_reporting_order $was)"; return 0; }
	REPORTING_INFO="free page reporting: on (page_reporting_order $was)"
	# a virtio balloon offers it by feature bit 5 (VIRTIO_BALLOON_F_REPORTING)
	cut -c6 /sys/bus/virtio/drivers/virtio_balloon/virtio*/features 2>/dev/null | grep -q 1 ||
		REPORTING_INFO="free page reporting: no virtio balloon offers it (page_reporting_order $was)"
	[ "$PAGE_REPORTING" = off ] || { REPORTING_INFO="$REPORTING_INFO, kept (BENCH_PAGE_REPORTING=keep)"; return 0; }
	[ -n "$ROOT" ] || { REPORTING_INFO="$REPORTING_INFO, kept (not root)"; return 0; }
	if echo $((top + 1)) >"$REPORTING_KNOB" 2>/dev/null; then
		REPORTING_WAS=$was
		REPORTING_INFO="free page reporting: held off for the run (page_reporting_order $was -> $((top + 1)), restored after)"
	else
		REPORTING_INFO="$REPORTING_INFO, kept: the kernel refused order $((top + 1))"
	fi
}

# ---------------------------------------------------------------- data
make_data() {
	local t=$(lm_now_ms)
	if want write; then
		write_make_data || die "cannot make the data of the write scenarios"
	fi
	want read || return 0
	mkdir -p "$WORK/data/files"
	head -c $((BIG_MIB << 20)) /dev/urandom >"$WORK/data/big.bin" || die "cannot write $WORK/data/big.bin"
	python3 - "$WORK/data/files" "$NFILES" $((FILE_KIB * 1024)) <<'EOF' || die "cannot write the small files"
import os, random, sys
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(1)
for i in range(n):
    with open(os.path.join(d, "f%04d" % i), "wb") as f:
        f.write(rng.randbytes(size))
EOF
	python3 "$SRC/tools/lakemount-mkarchive" --out "$WORK/archive" --big-folder "$DAYS" \
		>"$WORK/log/mkarchive.log" 2>&1 || { cat "$WORK/log/mkarchive.log" >&2; die "lakemount-mkarchive failed"; }
	say "data made in $(lm_secs_since "$t") s: big.bin $BIG_MIB MiB, $NFILES x $FILE_KIB KiB, $(tail -n1 "$WORK/log/mkarchive.log")"
}

upload() {  # into the RGW at S3_ENDPOINT
	local t=$(lm_now_ms) n
	"$S3CLI" mb "$BUCKET" || return 1
	if [ -n "$NET_WRITE" ]; then
		write_upload || return 1
	fi
	[ -n "$NET_READ" ] || return 0
	"$S3CLI" put "$BUCKET" bench/big.bin "$WORK/data/big.bin" || return 1
	"$S3CLI" put-tree "$BUCKET" "$WORK/data/files" bench/files/ || return 1
	"$S3CLI" put-tree "$BUCKET" "$WORK/archive" || return 1
	n=$("$S3CLI" ls "$BUCKET" "$DIR6000/" | wc -l)
	[ "$n" = $((2 * DAYS)) ] || { say "bench: $DIR6000 holds $n keys, not $((2 * DAYS))"; return 1; }
	say "uploaded in $(lm_secs_since "$t") s"
}

# ---------------------------------------------------------------- RGW request counts

# The RGW access log ("beast: ... "GET /bucket/key HTTP/1.1" 200 BYTES ...")
# tells what each tool asked for.  log_mark before, log_count MARK after.
# BYTES is what beast counts for the request: the body bytes it received
# plus those it sent (headers not counted), so for the requests other than
# GET, HEAD and LIST (PUT, UploadPart, POST, COPY, DELETE) the bytes the
# client sent plus their answers' XML, a few hundred bytes each:
# SENT=requests/bytes.
# When OPS_ON is set (the write side turns RGW's ops log on), RGW's ops log
# OPS_LOG, a JSON record per request, gives the bytes received alone:
# RECV=requests/bytes, with RGW's name of each op counted in OPS=op:n,...
# (put_obj is a PUT or an UploadPart, UploadPartCopy too).  RGW's perf
# counter put_b would not do: it counts an UploadPartCopy's bytes, which the
# client never sent.
log_mark() {
	local o=-
	[ -z "${OPS_ON:-}" ] || o=$(stat -c %s "$OPS_LOG" 2>/dev/null || echo 0)
	printf '%s:%s\n' "$(stat -c %s "$RGW_LOG" 2>/dev/null || echo 0)" "$o"
}
log_count() {
	local s0=${1%%:*} o0=${1#*:} a b i
	# the logs are written by threads of their own: wait until they are still
	a=$(log_mark)
	for i in 1 2 3 4 5 6 7 8 9 10; do
		sleep 0.05
		b=$(log_mark)
		[ "$a" = "$b" ] && break
		a=$b
	done
	tail -c +$((s0 + 1)) "$RGW_LOG" 2>/dev/null | awk -v bucket="/$BUCKET" '
	/ beast: / && match($0, /"[A-Z]+ [^ "]+ HTTP\/[0-9.]+" [0-9]+ [0-9]+/) {
		split(substr($0, RSTART + 1, RLENGTH - 1), f, /[ "]+/)
		m = f[1]; p = f[2]; q = index(p, "?"); if (q) p = substr(p, 1, q - 1)
		if (m == "GET" && (p == bucket || p == bucket "/")) m = "LIST"
		if (m != "GET" && m != "HEAD" && m != "LIST") m = "OTHER"
		n[m]++; by[m] += f[5]
	}
	END { printf "GET=%d/%d HEAD=%d LIST=%d/%d OTHER=%d SENT=%d/%d", n["GET"], by["GET"], n["HEAD"],
		n["LIST"], by["LIST"], n["OTHER"], n["OTHER"], by["OTHER"] }'
	[ "$o0" != - ] && [ -n "${OPS_ON:-}" ] || return 0
	# (records follow each other, not always one a line)
	tail -c +$((o0 + 1)) "$OPS_LOG" 2>/dev/null | python3 -c '
import json, sys
data, dec, i, ops, w, total = sys.stdin.read(), json.JSONDecoder(), 0, {}, 0, 0
while (j := data.find("{", i)) >= 0:
    try:
        d, i = dec.raw_decode(data, j)
    except ValueError:
        i = j + 1
        continue
    op = str(d.get("operation", "?"))
    ops[op] = ops.get(op, 0) + 1
    total += int(d.get("bytes_received") or 0)
    if op not in ("get_obj", "list_bucket", "list_buckets") and not op.startswith(("stat_", "get_")):
        w += 1
print(" RECV=%d/%d OPS=%s" % (w, total, ",".join("%s:%d" % kv for kv in ops.items())), end="")'
}

# ---------------------------------------------------------------- measuring

# guarded SECS OUT CMD...: runs CMD under timeout(1), stdout to OUT, stderr
# to WORK/log/last.err, and waits for it with `wait`, which a signal
# interrupts (^C is handled at once, not when CMD ends).  A command can
# outlive its timeout when it sleeps in the kernel on a mount whose daemon
# does not answer; 10 s after the time is up, the watchdog then kills that
# daemon (DPID), which fails every request pending on the mount.  Sets
# GUARD_RC to CMD's exit status (124 or 137: timed out).
guarded() {
	local secs=$1 out=$2 wd=
	shift 2
	timeout -k 5 "$secs" "$@" >"$out" 2>"$WORK/log/last.err" &
	CMD_PID=$!
	if [ -n "$DPID" ]; then
		watchdog $((secs + 10)) "$CMD_PID" "$DPID" &
		wd=$!
	fi
	wait "$CMD_PID"
	GUARD_RC=$?
	CMD_PID=
	if [ -n "$wd" ]; then
		kill -TERM "$wd" 2>/dev/null
		wait "$wd" 2>/dev/null
	fi
}

watchdog() {  # SECS PID DAEMON_PID
	local s
	trap 'kill $s 2>/dev/null; exit 0' TERM
	sleep "$1" &
	s=$!
	wait "$s"
	kill -0 "$2" 2>/dev/null || exit 0
	say "bench: a command on the mount is stuck ${1}s after it began; killing its daemon $3"
	kill -KILL "$3" 2>/dev/null
}

record() {  # NET SCEN TOOL RUN VALUE STATUS REQS EXTRA
	local IFS=$'\t'
	printf '%s\n' "$*" >>"$RESULTS"
}

# earlier STATUS [MIN]: whether an earlier run of this NET, scenario and
# tool ended with STATUS (and took more than MIN seconds).
earlier() {
	awk -F'\t' -v n="$NET" -v s="$scen" -v t="$tool" -v st="$1" -v min="${2:-}" '
		$1 == n && $2 == s && $3 == t && $6 == st && (min == "" || $5 + 0 > min) { f = 1 }
		END { exit !f }' "$RESULTS"
}

# measure SCEN TOOL OUT LINES CMD...: runs CMD (stdout to OUT) with a time
# limit and records its wall time.  LINES ("-": any) is how many lines OUT
# must have, else the run counts as failed.  A scenario that once timed out
# is not run again (recorded as "skip"), nor one that once took over ONCE
# seconds (not recorded).  Returns 0 if CMD ran and succeeded (or was not
# repeated), 2 if it timed out (now or before), else 1.
# MEASURE_TIMEOUT (default TIMEOUT) is the time limit; MEASURE_CHECK, an
# array, a command that must succeed after CMD did, else the run failed
# (the write side checks there what arrived on the server).
# Until the CPUs are idle: at most 10% busy (iowait counts as busy) over
# 0.1 s, for at most 5 s.  What a tool or the server leaves running after
# its turn (an unmounted peer's uploads, RGW's and the OSD's own work,
# writeback) would otherwise land in whichever measurement comes next.
settle() {
	local i a b
	for ((i = 0; i < 50; i++)); do
		a=($(awk '/^cpu / { print $2 + $3 + $4 + $6 + $7 + $8 + $9, $5 }' /proc/stat))
		sleep 0.1
		b=($(awk '/^cpu / { print $2 + $3 + $4 + $6 + $7 + $8 + $9, $5 }' /proc/stat))
		[ $(((b[0] - a[0]) * 10)) -le $((b[0] - a[0] + b[1] - a[1])) ] && return 0
	done
	say "bench: the CPUs were still busy after 5 s; measuring anyway"
}

# cpu_ms PID...: the CPU time (user and system) the processes have used so
# far, in ms; a process that is gone counts nothing.
cpu_ms() {
	local p a t=0
	for p in "$@"; do
		a=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null) && t=$((t + a))
	done
	echo $((t * 1000 / CLK_TCK))
}

# times_ms FILE: the CPU time of the shell's reaped children in FILE (the
# output of `times`, taken in this shell: a $(times) would be a subshell's).
times_ms() {
	awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] }
		printf "%d\n", t * 1000 }' "$1"
}

measure() {
	local scen=$1 tool=$2 out=$3 want=$4 s0 t1 t2 rc secs reqs status=ok n
	local srv c0 c1 d0=0 d1=0
	local limit=${MEASURE_TIMEOUT:-$TIMEOUT}
	shift 4
	if earlier timeout || earlier skip; then
		record "$NET" "$scen" "$tool" "$RUN" "" skip "" ""
		return 2
	fi
	if [ "$ONCE" != 0 ] && earlier ok "$ONCE"; then
		say "$NET $tool run $RUN: $scen not repeated (took over $ONCE s before)"
		return 0
	fi
	settle
	s0=$(log_mark)
	# CPU used meanwhile: the server's processes, the tool's daemon, and
	# the command (reaped by this shell, with what it ran: curl, cat)
	srv=$(pgrep -f -- "$SERVER_DIR/ceph.conf" | tr '\n' ' ')
	# shellcheck disable=SC2086
	c0=$(cpu_ms $srv)
	[ -z "$DPID" ] || d0=$(cpu_ms "$DPID")
	times >"$WORK/times.0"
	t1=$EPOCHREALTIME
	guarded "$limit" "$out" "$@"
	t2=$EPOCHREALTIME
	times >"$WORK/times.1"
	# shellcheck disable=SC2086
	c1=$(cpu_ms $srv)
	[ -z "$DPID" ] || d1=$(cpu_ms "$DPID")
	rc=$GUARD_RC
	secs=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.6f", b - a }')
	reqs="$(log_count "$s0") CPUS=$((c1 - c0))"
	reqs="$reqs CPUC=$((d1 - d0 + $(times_ms "$WORK/times.1") - $(times_ms "$WORK/times.0")))"
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		status=timeout secs=
	elif [ $rc != 0 ]; then
		status=fail secs=
	elif [ "$want" != - ] && n=$(wc -l <"$out") && [ "$n" != "$want" ]; then
		status=fail secs=
		echo "printed $n lines, not $want" >>"$WORK/log/last.err"
	fi
	if [ $status = ok ] && [ -n "${MEASURE_CHECK+set}" ] && [ ${#MEASURE_CHECK[@]} -gt 0 ] &&
		! "${MEASURE_CHECK[@]}" >>"$WORK/log/last.err" 2>&1; then
		status=fail secs= rc="0, then ${MEASURE_CHECK[0]}"
	fi
	if [ $status = ok ]; then
		record "$NET" "$scen" "$tool" "$RUN" "$secs" ok "$reqs" ""
		say "$NET $tool run $RUN: $scen ${secs%???} s  [$reqs]"
	else
		record "$NET" "$scen" "$tool" "$RUN" "" "$status" "$reqs" \
			"$scen: exit $rc: $(tail -n 2 "$WORK/log/last.err" | tr '\n\t' '  ')"
		say "$NET $tool run $RUN: $scen $status (exit $rc) $(tail -n 1 "$WORK/log/last.err")"
		[ $status = timeout ] && return 2
		return 1
	fi
}

# ---------------------------------------------------------------- mounting

# mount_TOOL MNT CACHE: mount the bucket at MNT with cache directory CACHE;
# sets DPID (the daemon's pid).  Failure: non-zero, the reason in MOUNT_ERR.
find_daemon() {  # MNT: the pid of the s3fs/rclone/lakemount serving MNT
	local p c
	for p in /proc/[0-9]*; do
		read -r c 2>/dev/null <"$p/comm" || continue
		case $c in s3fs | rclone | lakemount) ;; *) continue ;; esac
		tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qxF -- "$1" && { echo "${p#/proc/}"; return 0; }
	done
	return 1
}

wait_mounted() {  # MNT
	local i
	for i in $(seq 1 100); do
		lm_is_mounted "$1" && return 0
		sleep 0.1
	done
	return 1
}

mount_lakemount() {
	local mnt=$1 cache=$2 cfg=$2.json tree=${LM_TREE_JSON:-}
	[ -n "$LAKEMOUNT" ] || { MOUNT_ERR="no $BUILD/lakemount"; return 1; }
	# the tree: LM_TREE_JSON (the write side's), else the bucket read-only at LM_TREE
	[ -n "$tree" ] || tree="[ { \"path\": \"$LM_TREE\", \"source\": \"bench\", \"readonly\": true } ]"
	cat >"$cfg" <<-EOF
	{
	  "cache": { "dir": "$cache", "max_size": "4GiB" },
	  "sources": {
	    "bench": { "endpoint": "$S3_ENDPOINT", "region": "us-east-1",
	               "bucket": "$BUCKET", "path_style": true }
	  },
	  "tree": $tree
	}
	EOF
	mkdir -p "$cache"
	AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY \
		timeout -k 5 60 "$LAKEMOUNT" "$cfg" "$mnt" >"$WORK/log/mount.out" 2>&1 </dev/null
}

mount_s3fs() {
	local mnt=$1 cache=$2
	command -v s3fs >/dev/null || { MOUNT_ERR="s3fs is not installed (make deps)"; return 1; }
	printf '%s:%s\n' "$S3_ACCESS_KEY" "$S3_SECRET_KEY" >"$WORK/s3fs.passwd"
	chmod 600 "$WORK/s3fs.passwd"
	mkdir -p "$cache"
	# shellcheck disable=SC2086
	timeout -k 5 60 s3fs "$BUCKET" "$mnt" -o "url=$S3_ENDPOINT,use_path_request_style" \
		-o "passwd_file=$WORK/s3fs.passwd,use_cache=$cache" ${BENCH_S3FS_OPTS:-} \
		>"$WORK/log/mount.out" 2>&1 </dev/null
}

mount_rclone() {
	local mnt=$1 cache=$2
	command -v rclone >/dev/null || { MOUNT_ERR="rclone is not installed (make deps)"; return 1; }
	: >"$WORK/rclone.conf"
	mkdir -p "$cache"
	# shellcheck disable=SC2086
	RCLONE_CONFIG=$WORK/rclone.conf RCLONE_CONFIG_LMB_TYPE=s3 RCLONE_CONFIG_LMB_PROVIDER=Ceph \
	RCLONE_CONFIG_LMB_ENDPOINT=$S3_ENDPOINT RCLONE_CONFIG_LMB_REGION=us-east-1 \
	RCLONE_CONFIG_LMB_ACCESS_KEY_ID=$S3_ACCESS_KEY RCLONE_CONFIG_LMB_SECRET_ACCESS_KEY=$S3_SECRET_KEY \
		timeout -k 5 60 rclone mount "lmb:$BUCKET" "$mnt" --vfs-cache-mode full \
		--cache-dir "$cache" --daemon --log-file "$WORK/log/rclone.log" ${BENCH_RCLONE_OPTS:-} \
		>"$WORK/log/mount.out" 2>&1 </dev/null
}

# do_mount TOOL MNT CACHE
do_mount() {
	local tool=$1 mnt=$2 cache=$3
	MOUNT_ERR= DPID=
	mkdir -p "$mnt"
	if ! "mount_$tool" "$mnt" "$cache" || ! wait_mounted "$mnt"; then
		[ -n "$MOUNT_ERR" ] || MOUNT_ERR=$(grep -v '^[[:space:]]*$' "$WORK/log/mount.out" | head -n 2 | tr '\n\t' '  ')
		[ -n "$MOUNT_ERR" ] || MOUNT_ERR="did not mount"
		mount_cleanup "$mnt"
		return 1
	fi
	DPID=$(find_daemon "$mnt") || DPID=
	[ -z "$DPID" ] || DAEMONS+=("$DPID")
	return 0
}

do_unmount() {  # MNT: and wait for the daemon to exit
	local mnt=$1 i
	mount_cleanup "$mnt" || say "bench: cannot unmount $mnt"
	if [ -n "$DPID" ]; then
		for i in $(seq 1 200); do
			kill -0 "$DPID" 2>/dev/null || break
			grep -q '^State:[[:space:]]*Z' "/proc/$DPID/status" 2>/dev/null && break
			sleep 0.05
		done
		kill_daemon "$DPID"
	fi
	DPID=
}

# ---------------------------------------------------------------- one run of one tool

# tool_run TOOL: every scenario once, on three mounts.
tool_run() {
	local tool=$1 mnt=$WORK/mnt/$1 ca=$WORK/cache/$1-$NET-$RUN-a cb=$WORK/cache/$1-$NET-$RUN-b
	local rss stats s lines=$((2 * DAYS + 1)) top=$WORK/mnt/$1
	[ "$tool" != lakemount ] || top=$mnt${LM_TREE:+/$LM_TREE}
	if grep -q "^$NET		$tool	" "$RESULTS"; then
		return 0	# not usable here (recorded as na)
	fi
	# mount 1: ls cold and warm, read cold and warm, the files
	if ! do_mount "$tool" "$mnt" "$ca"; then
		say "$NET $tool: cannot mount: $MOUNT_ERR"
		record "$NET" "" "$tool" "$RUN" "" na "" "cannot mount: $MOUNT_ERR"
		for s in read_cold read_warm tail_cold ls_cold ls_warm ls_remount files_cold rss; do
			record "$NET" "$s" "$tool" "$RUN" "" na "" "cannot mount: $MOUNT_ERR"
		done
		return 1
	fi
	drop_caches
	measure ls_cold "$tool" "$WORK/ls.out" $lines ls -l "$top/$DIR6000"
	if [ $? = 2 ]; then
		# the cold listing was cut short, so the warm one would still be cold
		record "$NET" ls_warm "$tool" "$RUN" "" notrun "" "ls -l warm not measured: the cold one took over $TIMEOUT s"
	else
		measure ls_warm "$tool" "$WORK/ls.out" $lines ls -l "$top/$DIR6000"
	fi
	drop_caches
	measure read_cold "$tool" /dev/null - cat "$top/bench/big.bin"
	measure read_warm "$tool" /dev/null - cat "$top/bench/big.bin"
	if [ "$RUN" = 1 ]; then
		guarded "$TIMEOUT" /dev/null cmp "$top/bench/big.bin" "$WORK/data/big.bin"
		if [ $GUARD_RC != 0 ]; then
			say "bench: $tool: big.bin read through the mount is not the original: $(head -c 200 "$WORK/log/last.err")"
			record "$NET" verify "$tool" "$RUN" "" fail "" "big.bin through the mount: cmp exit $GUARD_RC: $(head -n 1 "$WORK/log/last.err")"
		fi
	fi
	drop_caches
	measure files_cold "$tool" /dev/null - sh -c 'cat "$1"/* >/dev/null' sh "$top/bench/files"
	rss=
	[ -n "$DPID" ] && rss=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$DPID/status" 2>/dev/null)
	if [ -n "$rss" ]; then
		record "$NET" rss "$tool" "$RUN" "$rss" ok "" ""
		say "$NET $tool run $RUN: peak RSS $rss MiB"
	fi
	do_unmount "$mnt"

	# mount 2: the same cache again
	if do_mount "$tool" "$mnt" "$ca"; then
		# The mount's files cold (lakemount's index), but `ls` itself
		# back in memory: paging in ls and its libraries after the drop
		# takes ~20 ms here, the same for every tool and no part of what
		# a remount costs (a remount empties no page cache).
		drop_caches
		ls -l "$WORK/data" >/dev/null
		measure ls_remount "$tool" "$WORK/ls.out" $lines ls -l "$top/$DIR6000"
		do_unmount "$mnt"
	else
		record "$NET" ls_remount "$tool" "$RUN" "" fail "" "cannot mount again: $MOUNT_ERR"
	fi

	# mount 3: tail of a cold file
	if do_mount "$tool" "$mnt" "$cb"; then
		drop_caches
		measure tail_cold "$tool" "$WORK/tail.out" - tail -c 100 "$top/bench/big.bin"
		# the daemon's own count of what it did for that tail (if it keeps one)
		guarded 10 "$WORK/stats.out" getfattr --only-values -n user.lakemount.stats "$mnt"
		stats=$(tr '\n\t' '  ' <"$WORK/stats.out")
		[ $GUARD_RC != 0 ] || [ -z "$stats" ] || record "$NET" stats_after_tail "$tool" "$RUN" "" info "" "$stats"
		do_unmount "$mnt"
	else
		record "$NET" tail_cold "$tool" "$RUN" "" fail "" "cannot mount again: $MOUNT_ERR"
	fi
	rm -rf "$ca" "$cb" "$ca.json" "$cb.json"
}

# raw_run: the transfer without a filesystem, and the page cache.
raw_run() {
	local part=$(((BIG_MIB << 20) / 8))
	# Each cold measurement, of every tool, begins with the page cache
	# dropped: on this one machine that cools the server too (RGW's and
	# the OSD's code and files), and the raw transfer must meet it as cold
	# as the mounts do.
	drop_caches
	measure read_cold raw /dev/null - curl -sSf -o /dev/null "$BIG_URL"
	# 8 ranges at once (curl's own -r, one process each)
	drop_caches
	measure read_cold raw8 /dev/null - bash -c '
		url=$1 part=$2 pids=
		for i in 0 1 2 3 4 5 6 7; do
			curl -sSf -o /dev/null -r $((i * part))-$((i * part + part - 1)) "$url" & pids="$pids $!"
		done
		rc=0; for p in $pids; do wait $p || rc=1; done; exit $rc' bash "$BIG_URL" "$part"
	drop_caches
	measure tail_cold raw "$WORK/tail.out" - curl -sSf -r -100 "$BIG_URL"
	drop_caches
	measure ls_cold raw "$WORK/ls.out" $((2 * DAYS)) "$S3CLI" ls "$BUCKET" "$DIR6000/"
	drop_caches
	measure files_cold raw /dev/null - curl -sSf -K "$WORK/files-$NET.curl"
	# the page cache: the same bytes, local and warm
	cat "$WORK/data/big.bin" >/dev/null
	measure read_warm local /dev/null - cat "$WORK/data/big.bin"
	ls -l "$WORK/archive/$DIR6000" >/dev/null
	measure ls_warm local "$WORK/ls.out" $((2 * DAYS + 1)) ls -l "$WORK/archive/$DIR6000"
	cat "$WORK/data/files"/* >/dev/null
	measure files_cold local /dev/null - sh -c 'cat "$1"/* >/dev/null' sh "$WORK/data/files"
}

presign_all() {  # the URLs of this network's endpoint (a curl config for the files)
	local t=$(lm_now_ms)
	BIG_URL=$("$S3CLI" presign "$BUCKET" bench/big.bin) || return 1
	(cd "$WORK/data/files" && ls) | xargs -P 8 -n 50 sh -c '
		s3cli=$1 bucket=$2; shift 2
		for f; do
			u=$("$s3cli" presign "$bucket" "bench/files/$f") || exit 255
			printf "%s\turl = \"%s\"\n" "$f" "$u"
		done' sh "$S3CLI" "$BUCKET" | sort | cut -f2- |
		sed 'a output = "/dev/null"' >"$WORK/files-$NET.curl" || return 1
	[ "$(grep -c '^url = ' "$WORK/files-$NET.curl")" = "$NFILES" ] || return 1
	say "presigned $((NFILES + 1)) URLs in $(lm_secs_since "$t") s"
}

# ---------------------------------------------------------------- main

. "$SRC/tests/bench/nets.sh"

. "$SRC/tests/bench/write.sh"

say "bench: $RUNS runs, nets: $NETS, tools: $TOOLS, scenarios: $SCENARIOS (write on: $WRITE_NETS), limit ${TIMEOUT}s a measurement (writes ${WRITE_TIMEOUT}s); scratch $WORK"
for NET in $NETS; do
	case $NET in local | wan) ;; *) die "unknown net '$NET' (local, wan)" ;; esac
done
reporting_off
say "$REPORTING_INFO"
make_data
NETS_INFO=
for NET in $NETS; do
	NET_READ= NET_WRITE=
	want read && NET_READ=1
	want write && case " $WRITE_NETS " in *" $NET "*) NET_WRITE=1 ;; esac
	if [ -z "$NET_READ$NET_WRITE" ]; then
		say "---- $NET: nothing to run (BENCH_SCENARIOS=$SCENARIOS, BENCH_WRITE_NETS=$WRITE_NETS)"
		continue
	fi
	say "---- $NET: starting RGW"
	"net_$NET" || die "$NET: cannot set up the network and RGW (logs in $WORK/log)"
	say "$NET_DESC"
	NETS_INFO="$NETS_INFO$NET	$NET_DESC
"
	upload || die "$NET: upload failed"
	[ -z "$NET_READ" ] || presign_all || die "$NET: presign failed"
	for RUN in $(seq 1 "$RUNS"); do
		if [ -n "$NET_READ" ]; then
			raw_run
			for tool in $TOOLS; do
				tool_run "$tool"
			done
		fi
		[ -z "$NET_WRITE" ] || write_run
	done
	net_down
done

# ---------------------------------------------------------------- report
lmver=$(git -C "$SRC" describe --always --dirty 2>/dev/null || echo unknown)
[ -z "$LAKEMOUNT" ] || lmver="$lmver, binary sha256 $(sha256sum "$LAKEMOUNT" | cut -c1-12)"
python3 - "$WORK/meta.json" <<EOF
import json, os, sys
nets = [l.split('\t', 1) for l in """$NETS_INFO""".splitlines() if l]
json.dump({
  "runs": $RUNS, "timeout_s": $TIMEOUT, "once_s": $ONCE, "big_mib": $BIG_MIB, "files": $NFILES,
  "file_kib": $FILE_KIB, "dir_keys": $((2 * DAYS)), "nets": [n for n, _ in nets],
  "nets_info": [{"name": n, "desc": d} for n, d in nets],
  "wan_delay_ms_each_way": $WAN_DELAY, "cpus": os.cpu_count(),
  "kernel": os.uname().release, "lakemount": "$lmver", "page_reporting": "$REPORTING_INFO",
  "s3fs": """$(s3fs --version 2>/dev/null | head -n1)""",
  "rclone": """$(rclone version 2>/dev/null | head -n1)""",
  "curl": """$(curl --version | head -n1)""",
  "tools": "$TOOLS".split(),
  "scenarios": "$SCENARIOS".split(), "write_nets": "$WRITE_NETS".split(),
  "write_timeout_s": $WRITE_TIMEOUT,
  "write": json.loads("""$(write_meta)"""),
}, open(sys.argv[1], "w"), indent=1)
EOF
mkdir -p "$(dirname "$JSON")"
python3 "$SRC/tests/bench/report.py" "$RESULTS" "$WORK/meta.json" "$JSON" || exit 1
cp "$RESULTS" "${JSON%.json}.tsv" 2>/dev/null
say "done in $(lm_secs_since "$T0") s; $JSON"
