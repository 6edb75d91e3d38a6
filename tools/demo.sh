#!/usr/bin/env bash
# tools/demo.sh -- `make demo` and `make demo-stop`.
#
#   tools/demo.sh [start]   install what is missing (make deps), build (make),
#                           start a local Ceph RGW, fill it with a miniature
#                           Binance archive, mount it with lakemount at
#                           demo/lake and take a short tour of it
#   tools/demo.sh stop      unmount demo/lake, stop the RGW, remove what the
#                           demo made; succeeds when nothing is running
#
# Running `make demo` while a demo runs first stops that one (as
# `make demo-stop` does), then starts a fresh one: the RGW keeps its data in
# RAM, so there is nothing worth reusing.
#
# Everything lives in one directory (default <repo>/demo):
#   rgw/, rgw.log      the Ceph RGW (tests/lib/ceph-rgw.sh; data in RAM)
#   archive-src/       the archive as files (tools/lakemount-mkarchive)
#   lakemount.json     the configuration: archive/binance (bucket
#                      binance-archive, keys data/..., read-only, sidecar
#                      checksums) and bronze/ silver/ gold/ (bucket lakehouse)
#   credentials        the RGW's keys, as profile lakemount-demo
#   env                export lines for s3cli, aws and a remount
#   cache/             lakemount's cache; its log is cache/lakemount.log
#   lake/              the mount point
#
# Environment:
#   LM_DEMO_DIR          the directory (default <repo>/demo)
#   LM_DEMO_SKIP_DEPS=1  do not run `make deps` (the tests: they run after it)
#   LM_DEMO_SKIP_BUILD=1 do not run `make`
#   LM_BUILD             the build directory (default <repo>/build)
#   LM_DEMO_RGW_PORT, LM_DEMO_MON_PORT, LM_DEMO_OSD_PORT (first of 16)
#                        ports on 127.0.0.1; unset: 27480, 27479 and
#                        27500-27515, or free ones when those are taken
#   LM_DEMO_DAYS         days in spot/daily/klines/BTCUSDT/1m (default 3000,
#                        i.e. 6,000 keys in that folder)
# Exit status: 0 when every step worked; 1 (with the failing step named)
# otherwise.  A failed demo is left as it is for a look: `make demo-stop`.
set -Eeu -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
DIR=$(realpath -m -- "${LM_DEMO_DIR:-$ROOT/demo}")
BUILD=$(realpath -m -- "${LM_BUILD:-$ROOT/build}")
MNT=$DIR/lake
CONF=$DIR/lakemount.json
RGW_DIR=$DIR/rgw
ARCHIVE_BUCKET=binance-archive
LAKE_BUCKET=lakehouse
PROFILE=lakemount-demo
DAYS=${LM_DEMO_DAYS:-3000}
STOP="make demo-stop"   # what stops this demo
[ "$DIR" = "$ROOT/demo" ] || STOP="LM_DEMO_DIR=$(printf %q "$DIR") make demo-stop"

say() { printf 'demo: %s\n' "$*"; }
die() {
	printf '\ndemo: FAILED: %s\n' "$*" >&2
	if [ -n "${started:-}" ]; then
		printf 'demo: logs: %s, %s; stop it with: %s\n' \
			"$(rel "$DIR")/rgw.log" "$(rel "$DIR")/cache/lakemount.log" "$STOP" >&2
	fi
	exit 1
}
trap 'die "command failed (tools/demo.sh line $LINENO)"' ERR

# rel PATH: PATH relative to the repository when it is inside it.
rel() {
	case $1 in
	"$ROOT"/*) printf '%s' "${1#"$ROOT"/}" ;;
	*) printf '%s' "$1" ;;
	esac
}
# q PATH: rel, quoted for the shell (what the tour shows is what it runs)
q() { printf '%q' "$(rel "$1")"; }

is_mounted() {  # DIR (absolute)
	local e=$1
	e=${e//\\/\\134}; e=${e// /\\040}; e=${e//$'\t'/\\011}; e=${e//$'\n'/\\012}
	awk -v m="$e" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo
}

# daemon_pids: the lakemount processes of this demo: those with a file open
# in its cache directory, or whose arguments name its config by its full path
# (the tour mounts with relative paths, and the daemon runs in /).
daemon_pids() {
	python3 - "$CONF" "$DIR/cache/" <<-'EOF'
	import os, sys
	conf, cache = sys.argv[1].encode(), sys.argv[2]
	def uses_cache(p):
	    try:
	        fds = os.listdir('/proc/%s/fd' % p)
	    except OSError:
	        return False
	    for fd in fds:
	        try:
	            if os.readlink('/proc/%s/fd/%s' % (p, fd)).startswith(cache):
	                return True
	        except OSError:
	            pass
	    return False
	for p in os.listdir('/proc'):
	    if not p.isdigit() or int(p) == os.getpid():
	        continue
	    try:
	        argv = open('/proc/%s/cmdline' % p, 'rb').read().split(b'\0')
	        state = open('/proc/%s/stat' % p).read().rsplit(')', 1)[1].split()[0]
	    except OSError:
	        continue
	    if state in 'ZX' or os.path.basename(argv[0]) != b'lakemount':
	        continue
	    if conf in argv or uses_cache(p):
	        print(p)
	EOF
}

# ---------------------------------------------------------------- stop

do_stop() {
	local was='' i pid out wait=600
	if is_mounted "$MNT"; then
		was=1
		say "unmounting $(rel "$MNT")"
		for i in 1 2 3 4 5 6 7 8 9 10; do
			fusermount3 -u "$MNT" 2>/dev/null || :
			is_mounted "$MNT" || break
			sleep 0.5
		done
		if is_mounted "$MNT"; then
			say "$(rel "$MNT") is busy: detaching it (fusermount3 -u -z)"
			fusermount3 -u -z "$MNT" || umount -l "$MNT" || :
			# its daemon lives on until the last user leaves: it gets 5 s
			wait=50
		fi
		if is_mounted "$MNT"; then
			echo "demo: cannot unmount $MNT" >&2
			return 1
		fi
	fi
	# the daemon uploads what is left of its journal before it exits
	for i in $(seq 1 "$wait"); do
		[ -n "$(daemon_pids)" ] || break
		was=1
		[ "$i" = 10 ] && say "waiting for lakemount to exit"
		sleep 0.1
	done
	for pid in $(daemon_pids); do
		say "lakemount $pid still running after $((wait / 10)) s: killed"
		kill -KILL "$pid" 2>/dev/null || :
	done
	if [ -e "$RGW_DIR" ] || [ -e "$DIR/rgw.log" ]; then
		was=1
		say "stopping the Ceph RGW"
	fi
	# (also finds the RGW's daemons by their mark when RGW_DIR is gone)
	if ! out=$(bash "$ROOT/tests/lib/ceph-rgw.sh" wipe "$RGW_DIR" 2>&1); then
		printf '%s\n' "$out" >&2
		return 1
	fi
	# only what the demo made, so that a mistaken LM_DEMO_DIR loses nothing
	if [ -d "$DIR" ]; then
		rm -rf --one-file-system "$DIR/archive-src" "$DIR/cache" "$DIR/tour"
		rm -f "$CONF" "$DIR/credentials" "$DIR/env" "$DIR/rgw.log"
		[ ! -d "$MNT" ] || rmdir "$MNT" 2>/dev/null || :
		rmdir "$DIR" 2>/dev/null || :
	fi
	if [ -n "$was" ]; then say "stopped"; else say "nothing was running"; fi
}

# ---------------------------------------------------------------- ports

# bindable PORT [COUNT]: PORT..PORT+COUNT-1 are free on 127.0.0.1.
bindable() {
	python3 - "$1" "${2:-1}" <<-'EOF'
	import socket, sys
	base, n = int(sys.argv[1]), int(sys.argv[2])
	for p in range(base, base + n):
	    s = socket.socket()
	    try:
	        s.bind(('127.0.0.1', p))
	    except OSError:
	        sys.exit(1)
	    finally:
	        s.close()
	EOF
}

taken=" "   # ports already given to this demo
# pick_port VAR DEFAULT [COUNT]: VAR = DEFAULT when DEFAULT..+COUNT-1 are
# free, else the first of COUNT free ones (below the kernel's ephemeral
# range, so that no outgoing connection takes one before the RGW binds it).
pick_port() {
	local var=$1 p=$2 n=${3:-1} i try
	for ((try = 0; try < 200; try++)); do
		if [ "$try" -gt 0 ] || [ "$p" = 0 ]; then p=$((20000 + RANDOM % 12000)); fi
		for ((i = p; i < p + n; i++)); do
			case $taken in *" $i "*) continue 2 ;; esac
		done
		if bindable "$p" "$n"; then
			for ((i = p; i < p + n; i++)); do taken="$taken$i "; done
			printf -v "$var" %s "$p"
			return 0
		fi
	done
	echo "demo: no free port found" >&2
	return 1
}

# ---------------------------------------------------------------- the tour

# step MAXLINES 'COMMAND': shows "$ COMMAND", runs it here (eval), shows at
# most MAXLINES lines of its output (0: all) and fails the demo if it fails.
step() {
	local max=$1 cmd=$2 out=$DIR/tour/out rc n
	printf '\n$ %s\n' "$cmd"
	set +e
	trap - ERR
	eval "$cmd" >"$out" 2>&1 </dev/null
	rc=$?
	trap 'die "command failed (tools/demo.sh line $LINENO)"' ERR
	set -e
	n=$(wc -l <"$out")
	if [ "$max" -gt 0 ] && [ "$n" -gt "$max" ]; then
		head -n "$max" "$out" | cut -c1-300
		echo "  [... $((n - max)) more lines]"
	else
		cut -c1-300 "$out"
	fi
	[ "$rc" = 0 ] || die "this step failed (exit status $rc): $cmd"
}

# note LINE...: a comment between the steps
note() {
	echo
	printf '# %s\n' "$@"
}

stat_of() {  # PATH in user.lakemount.stats, e.g. writes.server_copies
	getfattr --only-values -n user.lakemount.stats "$MNT" 2>/dev/null |
		python3 -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."): v = v[k]
print(v)' "$1"
}

tour() {
	local D B L M day=BTCUSDT-1m-2025-01-01 copied n copies up
	D=$(q "$DIR") B=$(q "$BUILD") L=$(q "$MNT")
	M=$L/archive/binance
	mkdir -p "$DIR/tour"

	cat <<-EOF

	================================================================ the tour
	A miniature Binance public archive is in the bucket '$ARCHIVE_BUCKET' (keys
	data/...) of a Ceph RGW on $S3_ENDPOINT; the lakehouse's layers are the
	bucket '$LAKE_BUCKET'.  lakemount shows both as one tree:
	EOF
	step 0 "$B/lakemount --check $D/lakemount.json"
	note "credentials: profile $PROFILE of AWS_SHARED_CREDENTIALS_FILE=$AWS_SHARED_CREDENTIALS_FILE"
	step 0 "$B/lakemount $D/lakemount.json $L"
	step 0 "ls $L"
	step 0 "ls $L/archive/binance"
	step 0 "ls $M/futures/um/daily"

	note "one folder of the real archive holds over 6,000 keys: listed page by page, once"
	step 10 "ls -l $M/spot/daily/klines/BTCUSDT/1m"
	step 0 "ls $M/spot/daily/klines/BTCUSDT/1m | wc -l"

	note "every zip has a sha256sum-style CHECKSUM beside it"
	step 0 "cd $M/spot/daily/klines/BTCUSDT/1m"
	step 0 "cat $day.zip.CHECKSUM"
	step 0 "sha256sum -c $day.zip.CHECKSUM"
	grep -qx "$day.zip: OK" "$DIR/tour/out" || die "sha256sum -c did not say OK"
	step 3 "unzip -p $day.zip"
	step 0 "getfattr -d -m user.lakemount $day.zip"
	step 0 "cd -"

	note "a symbol's klines (4 intervals, 2 days) copied into bronze/: CopyObject on the" \
		"server, no bytes through this machine"
	step 0 "mkdir -p $L/bronze/binance/spot/daily/klines"
	step 0 "cp -r $M/spot/daily/klines/ETHUSDT $L/bronze/binance/spot/daily/klines/"
	step 0 "ls -l $L/bronze/binance/spot/daily/klines/ETHUSDT/1h"
	note "sync FILE returns once the object is in S3"
	step 0 "sync $L/bronze/binance/spot/daily/klines/ETHUSDT/*/*"
	note "what the bucket holds now (S3_* as in $D/env)"
	step 0 "$B/tests/s3cli ls $LAKE_BUCKET bronze/"
	copied=$(find "$MNT/archive/binance/spot/daily/klines/ETHUSDT" -type f | wc -l)
	n=$(grep -c $'^bronze/binance/spot/daily/klines/ETHUSDT/[^\t]*[^/\t]\t' "$DIR/tour/out" || :)
	[ "$n" = "$copied" ] || die "$copied files copied, but $n of them in the bucket"

	note "the daemon's counters"
	if "$BUILD/lakemount-ctl" stats "$MNT" >/dev/null 2>&1; then
		step 0 "$B/lakemount-ctl stats $L"
	else
		note "(lakemount-ctl stats does not work in this build: the same counters are in an xattr)"
		step 0 "getfattr -n user.lakemount.stats --only-values $L | python3 -m json.tool"
	fi
	copies=$(stat_of writes.server_copies) up=$(stat_of writes.bytes_up)
	echo
	echo "==> $copied files copied by cp -r: $copies server-side copies, $up bytes uploaded"
	[ "$copies" -ge "$copied" ] || die "cp -r made only $copies server-side copies of $copied files"
	rm -rf "$DIR/tour"
}

# ---------------------------------------------------------------- start

do_start() {
	local t0 rgw mon osd try D B

	t0=$SECONDS
	if is_mounted "$MNT" || [ -n "$(daemon_pids)" ] || [ -e "$RGW_DIR" ] || [ -e "$CONF" ]; then
		say "stopping the demo that is already set up in $(rel "$DIR")/ first"
		do_stop || die "could not stop the previous demo"
	fi

	if [ -z "${LM_DEMO_SKIP_DEPS:-}" ]; then
		say "make deps"
		make --no-print-directory -C "$ROOT" deps || die "make deps failed"
	fi
	if [ -z "${LM_DEMO_SKIP_BUILD:-}" ]; then
		say "make"
		make --no-print-directory -C "$ROOT" -j"$(nproc)" BUILD="$BUILD" ||
			die "the build failed"
	fi
	local b
	for b in lakemount tests/s3cli; do
		[ -x "$BUILD/$b" ] || die "$(rel "$BUILD")/$b is missing: build first (make)"
	done
	for b in fusermount3 getfattr unzip sha256sum python3 radosgw; do
		command -v "$b" >/dev/null || die "$b is not installed: make deps"
	done
	[ -c /dev/fuse ] || die "/dev/fuse is missing: FUSE is not available here"

	mkdir -p "$DIR" "$MNT"

	# ---- the RGW
	for try in 1 2; do
		if [ "$try" = 1 ]; then
			rgw=${LM_DEMO_RGW_PORT:-} mon=${LM_DEMO_MON_PORT:-} osd=${LM_DEMO_OSD_PORT:-}
			[ -n "$rgw" ] || pick_port rgw 27480
			[ -n "$mon" ] || pick_port mon 27479
			[ -n "$osd" ] || pick_port osd 27500 16
		else   # another program took a port meanwhile: free ones this time
			pick_port rgw 0 && pick_port mon 0 && pick_port osd 0 16
		fi
		say "starting a Ceph RGW on 127.0.0.1:$rgw ($(rel "$RGW_DIR"), data in RAM)"
		if OSD_PORT_MIN=$osd OSD_PORT_MAX=$((osd + 15)) \
			bash "$ROOT/tests/lib/ceph-rgw.sh" start "$RGW_DIR" "$rgw" "$mon" >"$DIR/rgw.log" 2>&1
		then
			break
		fi
		if [ "$try" = 2 ] || ! grep -qiE 'in use|could not listen|did not come up' "$DIR/rgw.log" ||
			[ -n "${LM_DEMO_RGW_PORT:-}${LM_DEMO_MON_PORT:-}${LM_DEMO_OSD_PORT:-}" ]; then
			tail -n 20 "$DIR/rgw.log" >&2
			die "the Ceph RGW did not start (log: $(rel "$DIR")/rgw.log)"
		fi
	done
	started=1   # from now on a failure leaves something to stop
	export S3_ENDPOINT=http://127.0.0.1:$rgw S3_ACCESS_KEY=test S3_SECRET_KEY=testsecret
	export S3_REGION=us-east-1
	cat >"$DIR/credentials" <<-EOF
	[$PROFILE]
	aws_access_key_id = $S3_ACCESS_KEY
	aws_secret_access_key = $S3_SECRET_KEY
	EOF
	chmod 600 "$DIR/credentials"
	cat >"$DIR/env" <<-EOF
	# . $(rel "$DIR")/env -- the demo's S3 for build/tests/s3cli, aws and lakemount
	export S3_ENDPOINT=$S3_ENDPOINT S3_ACCESS_KEY=$S3_ACCESS_KEY S3_SECRET_KEY=$S3_SECRET_KEY S3_REGION=$S3_REGION
	export AWS_SHARED_CREDENTIALS_FILE=$(printf %q "$DIR/credentials") AWS_PROFILE=$PROFILE
	export AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_REGION=$S3_REGION
	EOF
	export AWS_SHARED_CREDENTIALS_FILE=$DIR/credentials

	# ---- the buckets
	say "making a miniature Binance archive (tools/lakemount-mkarchive --big-folder $DAYS)"
	python3 "$ROOT/tools/lakemount-mkarchive" --out "$DIR/archive-src" --big-folder "$DAYS" --force |
		tail -n 1 | sed 's/^/demo:   /'
	say "uploading it to s3://$ARCHIVE_BUCKET/data/ (s3cli put-tree)"
	"$BUILD/tests/s3cli" mb "$ARCHIVE_BUCKET" || die "cannot create bucket $ARCHIVE_BUCKET"
	"$BUILD/tests/s3cli" put-tree "$ARCHIVE_BUCKET" "$DIR/archive-src" ||
		die "cannot upload the archive"
	"$BUILD/tests/s3cli" mb "$LAKE_BUCKET" || die "cannot create bucket $LAKE_BUCKET"

	# ---- the configuration (see man/lakemount.json.5)
	cat >"$CONF" <<-EOF
	{
	  "cache":   { "dir": "$DIR/cache", "max_size": "1GiB" },
	  "sources": {
	    "binance": { "endpoint": "$S3_ENDPOINT", "region": "$S3_REGION",
	                 "bucket": "$ARCHIVE_BUCKET", "prefix": "data/",
	                 "profile": "$PROFILE", "path_style": true },
	    "lake":    { "endpoint": "$S3_ENDPOINT", "region": "$S3_REGION",
	                 "bucket": "$LAKE_BUCKET", "profile": "$PROFILE", "path_style": true }
	  },
	  "tree": [
	    { "path": "archive/binance", "source": "binance", "readonly": true,
	      "checksums": "sidecar-sha256" },
	    { "path": "bronze", "source": "lake", "prefix": "bronze/" },
	    { "path": "silver", "source": "lake", "prefix": "silver/" },
	    { "path": "gold",   "source": "lake", "prefix": "gold/" }
	  ]
	}
	EOF
	say "ready in $((SECONDS - t0)) s; configuration: $(rel "$CONF")"

	tour

	D=$(q "$DIR") B=$(q "$BUILD")
	cat <<-EOF

	================================================================ done
	The demo is running (set up and toured in $((SECONDS - t0)) s):
	  mount     $D/lake      (lakemount's log: $D/cache/lakemount.log)
	  config    $D/lakemount.json
	  S3        Ceph RGW at $S3_ENDPOINT, access key $S3_ACCESS_KEY, secret $S3_SECRET_KEY;
	            buckets $ARCHIVE_BUCKET (data/...) and $LAKE_BUCKET (bronze/ silver/ gold/)
	Try:
	  find $D/lake/archive/binance/futures -name '*.zip' | head
	  rsync -a $D/lake/archive/binance/spot/daily/klines/ETHUSDT/ $D/lake/silver/eth/
	  echo 'hello' > $D/lake/gold/hello.txt
	  . $D/env && $B/tests/s3cli ls $LAKE_BUCKET
	  fusermount3 -u $D/lake          # and to mount it again:
	  . $D/env && $B/lakemount $D/lakemount.json $D/lake
	Stop it with:  $STOP     (\`make demo\` again starts a fresh one)
	EOF
}

case ${1:-start} in
start) do_start ;;
stop) trap - ERR; do_stop ;;
*) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
