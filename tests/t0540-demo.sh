#!/usr/bin/env bash
test_description='make demo: a local RGW, the archive mounted, a tour; twice in a row, then demo-stop

tools/demo.sh runs as `make demo` runs it, but without `make deps` and
`make` (make test has done both: LM_DEMO_SKIP_DEPS, LM_DEMO_SKIP_BUILD), in
a directory of its own (LM_DEMO_DIR) and on ports from free_port.  It
starts its own Ceph RGW; every case that starts a demo stops it again unless
it got to its end, and the last case stops it, so that nothing stays
mounted or running whatever fails.'
. "$(dirname "$0")/lib/test-lib.sh"

TEST_TIMEOUT=300
DEMO=$SRC_ROOT/tools/demo.sh
LM_DEMO_DIR=$TEST_TMP/demo
LM_DEMO_SKIP_DEPS=1 LM_DEMO_SKIP_BUILD=1
LM_DEMO_RGW_PORT=$(free_port) && LM_DEMO_MON_PORT=$(free_port) &&
	LM_DEMO_OSD_PORT=$(free_port 16) || lm_bail "no free ports"
export LM_DEMO_DIR LM_DEMO_SKIP_DEPS LM_DEMO_SKIP_BUILD
export LM_DEMO_RGW_PORT LM_DEMO_MON_PORT LM_DEMO_OSD_PORT
MNT=$LM_DEMO_DIR/lake
ETH=spot/daily/klines/ETHUSDT

# stop_unless_passed NAME: a case's cleanup: stop the demo unless the case
# got to its end (and wrote $TEST_TMP/NAME.passed).
stop_unless_passed() {
	[ -e "$TEST_TMP/$1.passed" ] && return 0
	echo "# the case failed: stopping the demo"
	bash "$DEMO" stop
}

# leftovers: what of the demo still runs: lakemount processes of its
# config, processes carrying the RGW's mark (tests/lib/ceph-rgw.sh), mounts
# under its directory.  Prints them; true when there are none.
leftovers() {
	python3 - "$LM_DEMO_DIR" <<-'EOF'
	import os, sys
	top = sys.argv[1]
	mark = ('LAKEMOUNT_TEST_SERVER=%s/rgw' % top).encode()
	bad = 0
	for p in os.listdir('/proc'):
	    if not p.isdigit():
	        continue
	    try:
	        argv = open('/proc/%s/cmdline' % p, 'rb').read().split(b'\0')
	        env = open('/proc/%s/environ' % p, 'rb').read().split(b'\0')
	        state = open('/proc/%s/stat' % p).read().rsplit(')', 1)[1].split()[0]
	    except OSError:
	        continue
	    if state in 'ZX':
	        continue
	    if mark in env or (os.path.basename(argv[0]) == b'lakemount' and
	                       any(top.encode() in a for a in argv)):
	        print('still running: %s %s' % (p, b' '.join(argv).decode(errors='replace')))
	        bad = 1
	for l in open('/proc/self/mountinfo'):
	    mp = l.split()[4]
	    if mp == top or mp.startswith(top + '/'):
	        print('still mounted: ' + mp)
	        bad = 1
	sys.exit(bad)
	EOF
}

# the_tour_passed OUT: the transcript of a demo shows every step worked.
the_tour_passed() {
	local out=$1
	grep -q "^source 'binance': ok" "$out" &&
	grep -q "^source 'lake': ok" "$out" &&
	sed -n '/^\$ ls .*\/lake$/,/^$/p' "$out" | sed '1d;/^$/d' >top &&
	printf '%s\n' archive bronze gold silver >want && test_cmp want top &&
	grep -qx '6000' "$out" &&
	grep -qx 'BTCUSDT-1m-2025-01-01.zip: OK' "$out" &&
	grep -qx 'user.lakemount.checksum="ok"' "$out" &&
	sed -n '/^\$ unzip -p /,/more lines\]$/p' "$out" | sed '1d;$d' >rows &&
	test "$(wc -l <rows)" = 3 &&
	test "$(awk -F, '{ print NF }' rows | sort -u)" = 12 &&
	grep -q '^==> 16 files copied by cp -r: 16 server-side copies, 0 bytes uploaded$' "$out" &&
	grep -q "^Stop it with:  .*make demo-stop" "$out" &&
	! grep -q 'FAILED' "$out"
}

# the_copy_is_in_s3: bronze/ of the demo's lakehouse bucket holds the
# ETHUSDT klines, as big as the archive's, checked with s3cli (not the mount).
the_copy_is_in_s3() {
	(
		. "$LM_DEMO_DIR/env" &&
		s3cli ls binance-archive "data/$ETH/" | cut -f1,2 | sed "s|^data/$ETH/||" >want &&
		s3cli ls lakehouse "bronze/binance/$ETH/" | cut -f1,2 | sed "s|^bronze/binance/$ETH/||" |
			awk -F "\t" "\$1 ~ /[^\/]\$/" >got &&
		test "$(wc -l <want)" = 16 &&
		test_cmp want got
	)
}

test_expect_success FUSE 'make demo sets up an RGW and a mount and tours it' '
	test_when_finished "stop_unless_passed run1" &&
	bash "$DEMO" >"$TEST_TMP/run1.out" 2>&1
	rc=$?
	cat "$TEST_TMP/run1.out" &&
	test "$rc" = 0 &&
	the_tour_passed "$TEST_TMP/run1.out" &&
	mountpoint -q "$MNT" &&
	test "$(ls "$MNT/archive/binance")" = "$(printf "futures\noption\nspot")" &&
	the_copy_is_in_s3 &&
	cat "$LM_DEMO_DIR/rgw/run/client.rgw.a.pid" >"$TEST_TMP/rgw1.pid" &&
	touch "$TEST_TMP/run1.passed"
'

test_expect_success FUSE 'make demo again stops the first demo and starts a fresh one' '
	test_when_finished "stop_unless_passed run2" &&
	rgw1=$(cat "$TEST_TMP/rgw1.pid") &&
	bash "$DEMO" >"$TEST_TMP/run2.out" 2>&1
	rc=$?
	cat "$TEST_TMP/run2.out" &&
	test "$rc" = 0 &&
	grep -q "^demo: stopping the demo that is already set up in .*/ first" "$TEST_TMP/run2.out" &&
	grep -q "^demo: unmounting " "$TEST_TMP/run2.out" &&
	the_tour_passed "$TEST_TMP/run2.out" &&
	! kill -0 "$rgw1" 2>/dev/null &&
	rgw2=$(cat "$LM_DEMO_DIR/rgw/run/client.rgw.a.pid") &&
	test "$rgw2" != "$rgw1" &&
	grep -q "Ceph RGW at http://127.0.0.1:$LM_DEMO_RGW_PORT" "$TEST_TMP/run2.out" &&
	mountpoint -q "$MNT" &&
	the_copy_is_in_s3 &&
	touch "$TEST_TMP/run2.passed"
'

test_expect_success FUSE 'a step that fails fails the demo loudly (exit 1, the step named)' '
	test_when_finished "stop_unless_passed broken" &&
	mkdir bin &&
	printf "#!/bin/sh\necho \"sha256sum: broken on purpose\" >&2\nexit 1\n" >bin/sha256sum &&
	chmod +x bin/sha256sum &&
	PATH=$PWD/bin:$PATH bash "$DEMO" >out 2>&1
	rc=$?
	cat out &&
	test "$rc" = 1 &&
	grep -q "^sha256sum: broken on purpose" out &&
	grep -q "^demo: FAILED: this step failed (exit status 1): sha256sum -c BTCUSDT-1m-2025-01-01.zip.CHECKSUM" out &&
	grep -q "stop it with: .*make demo-stop" out &&
	! grep -q "^==> " out &&
	touch "$TEST_TMP/broken.passed"
'

test_expect_success FUSE 'make demo-stop: nothing mounted or running, twice' '
	test_when_finished "bash $DEMO stop" &&
	bash "$DEMO" stop >out 2>&1
	rc=$?
	cat out &&
	test "$rc" = 0 &&
	grep -qx "demo: stopped" out &&
	leftovers &&
	! curl -s -m 5 -o /dev/null "http://127.0.0.1:$LM_DEMO_RGW_PORT/" &&
	test ! -e "$LM_DEMO_DIR" &&
	bash "$DEMO" stop >out 2>&1 &&
	cat out &&
	grep -qx "demo: nothing was running" out
'

test_expect_success 'after the script: nothing of the demo left' '
	leftovers
'

test_done
