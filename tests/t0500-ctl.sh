#!/usr/bin/env bash
test_description='an operator steers a running mount with lakemount-ctl

A miniature archive (one corrupted zip) and the writable layer bronze/ of
the same bucket on Ceph RGW.  What lakemount-ctl reports is checked against
S3 itself (our own client) and against the daemon'"'"'s request counters:
a prefetched folder is read without a GET, a sync is only CopyObjects, a
flush returns once the objects are in S3.'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start
TEST_TIMEOUT=240

# jpy FILE EXPR: the Python expression EXPR over the JSON document in FILE
# (as v), printed (JSON for containers and booleans).
jpy() {
	python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
r = eval(sys.argv[2])
print(json.dumps(r) if isinstance(r, (dict, list, bool)) or r is None else r)' "$1" "$2"
}

# ctl_ops MNT: "OP COUNT" lines, every outcome summed, from stats --json.
ctl_ops() {
	lakemount-ctl stats --json "$1" >"$TEST_TMP/ops.json" &&
	jpy "$TEST_TMP/ops.json" '"\n".join("%s %d" % (k, sum(c.values()))
		for k, c in sorted(v["stats"]["requests"].items())) or "none 0"'
}

# ops_delta BEFORE AFTER: "OP N" for every operation made in between.
ops_delta() {
	python3 -c 'import sys
def load(p):
    return {l.split()[0]: int(l.split()[1]) for l in open(p) if l.strip()}
a, b = load(sys.argv[1]), load(sys.argv[2])
for k in sorted(b):
    if b[k] != a.get(k, 0):
        print(k, b[k] - a.get(k, 0))' "$1" "$2"
}

# op_count DELTA-FILE OP: how many OP in an ops_delta output (0 if none).
op_count() {
	awk -v op="$2" '$1 == op { n = $2 } END { print n + 0 }' "$1"
}

cached() { getfattr --only-values -n user.lakemount.cached "$1"; }
# cached_is FILE BYTES: blocks reach the store after the read that fetched
# them returns (fs/fetch.c), so a check right after cat waits for them
cached_is() { test "$(cached "$1")" = "$2"; }

# expect_code CODE CMD...: CMD exits with status CODE.
expect_code() {
	local want=$1 rc
	shift
	"$@"
	rc=$?
	[ "$rc" = "$want" ] && return 0
	echo "exit status $rc, not $want: $*" >&2
	return 1
}

test_expect_success FUSE 'setup: an archive bucket, mounted with layers' '
	lm_archive_bucket bucket --big-folder 0 --corrupt &&
	echo "$bucket" >"$TEST_TMP/bucket" &&
	lm_config_layers "$TEST_TMP/lm.json" "$bucket" &&
	lm_mount "$TEST_TMP/lm.json" "$TEST_TMP/mnt"
'
bucket=$(cat "$TEST_TMP/bucket" 2>/dev/null)
M=$TEST_TMP/mnt
A=archive/binance
SRC=$TEST_TMP/$bucket.src/data

test_expect_success FUSE 'status --json shows the source and the cache cap; status names the mount' '
	lakemount-ctl status --json "$M" >st.json &&
	test "$(jpy st.json "v[\"ok\"]")" = true &&
	test "$(jpy st.json "[s[\"name\"] for s in v[\"status\"][\"sources\"]]")" = "[\"s\"]" &&
	test "$(jpy st.json "v[\"status\"][\"sources\"][0][\"bucket\"]")" = "$bucket" &&
	test "$(jpy st.json "v[\"status\"][\"cache\"][\"max_bytes\"]")" = $((1 << 30)) &&
	test "$(jpy st.json "v[\"status\"][\"mountpoint\"]")" = "$M" &&
	lakemount-ctl --json status "$M" >st2.json && jpy st2.json "v[\"status\"][\"pid\"]" &&
	lakemount-ctl status "$M" >st.txt &&
	cat st.txt &&
	grep "^lakemount at $M, pid [0-9]*, up " st.txt &&
	grep "^  s  .*bucket .$bucket." st.txt &&
	grep "^cache: .* of 1.0 GiB used (.*%)" st.txt &&
	grep "^writes: 0 dirty files, 0 changes in the journal, 0 uploads in flight" st.txt &&
	grep "^last error: " st.txt
'

# failures: the source's failures in status, then requests.failures in the stats
failures() {
	lakemount-ctl status --json "$M" >fl.json &&
	echo "$(jpy fl.json "v[\"status\"][\"sources\"][0][\"failures\"]") $(lm_stat "$M" requests.failures)"
}

test_expect_success FUSE 'failures: a lookup of an absent name is none, a read of a deleted object one' '
	f0=$(failures) && h0=$(lm_stat "$M" requests.head) &&
	! stat "$M/$A/option/daily/no-such-name.zip" &&
	! stat "$M/$A/option/no-such-dir/x.zip" &&
	h1=$(lm_stat "$M" requests.head) && echo "HEAD $h0 -> $h1, failures $f0" &&
	test "$h1" -ge $((h0 + 2)) &&
	test "$(failures)" = "$f0" &&
	echo gone >gone.csv && s3cli put "$bucket" data/spot/gone/x.csv gone.csv &&
	ls -l "$M/$A/spot/gone" &&
	s3cli rm "$bucket" data/spot/gone/x.csv &&
	! cat "$M/$A/spot/gone/x.csv" &&
	set -- $f0 && f1=$(failures) && echo "failures $f0 -> $f1" &&
	test "$f1" = "$(($1 + 1)) $(($2 + 1))"
'

test_expect_success FUSE 'stats shows requests by operation, bytes, cache and latency' '
	ls -R "$M/$A/spot/monthly" >/dev/null &&
	lakemount-ctl stats "$M" >stats.txt &&
	cat stats.txt &&
	grep "^requests .* ok .*client error" stats.txt &&
	grep "^  ListObjectsV2  *[1-9][0-9]* " stats.txt &&
	grep "^bytes: .* down, .* up, .* copied server-side$" stats.txt &&
	grep "^cache: [0-9]* hits, [0-9]* misses" stats.txt &&
	grep "^passthrough: [0-9]* opens read by the kernel" stats.txt &&
	grep "^latency  *count  *mean  *p50  *p99$" stats.txt &&
	grep "^  ListObjectsV2  *[1-9][0-9]*  *[0-9.]*[mu]*s " stats.txt &&
	lakemount-ctl stats --json "$M" >stats.json &&
	test "$(jpy stats.json "v[\"stats\"][\"latency\"][\"ListObjectsV2\"][\"count\"] > 0")" = true
'

test_expect_success FUSE 'prefetch of a folder warms the cache: reading it all makes no GET' '
	F=$A/spot/monthly/klines/BTCUSDT/1m &&
	n=$(find "$M/$F" -type f | wc -l) && test "$n" -ge 4 &&
	lakemount-ctl prefetch "$M" "$F" >out &&
	cat out &&
	test "$(grep -c "^$F/[^ ]*  [0-9]*  ok$" out)" = "$n" &&
	tail -1 out | grep "^prefetched $n files, .*, 0 failed$" &&
	for f in "$M/$F"/*; do
		test "$(cached "$f")" = "$(stat -c %s "$f")" || { echo "not cached: $f"; exit 1; }
	done &&
	echo 3 >/proc/sys/vm/drop_caches &&
	ctl_ops "$M" >before &&
	cat "$M/$F"/* >all &&
	ctl_ops "$M" >after &&
	ops_delta before after >delta && cat delta &&
	test "$(op_count delta GetObject)" = 0 &&
	cat "$SRC/spot/monthly/klines/BTCUSDT/1m"/* | cmp - all
'

test_expect_success FUSE 'prefetch --jobs 1 of single files, given absolute, relative, with --json' '
	F=$A/spot/monthly/klines/BTCUSDT/1m &&
	f1=$(cd "$M/$F" && ls | sed -n 1p) && f2=$(cd "$M/$F" && ls | sed -n 2p) &&
	lakemount-ctl --json prefetch "$M" --jobs 1 "$M/$F/$f1" "./$F/../1m/$f2" >out.json &&
	cat out.json &&
	test "$(wc -l <out.json)" = 3 &&
	head -2 out.json >files.json &&
	python3 -c "import json, sys
rows = [json.loads(l) for l in open(\"files.json\")]
assert [r[\"path\"] for r in rows] == [sys.argv[1], sys.argv[2]], rows
assert all(r[\"ok\"] is True and r[\"bytes\"] > 0 for r in rows), rows
s = json.loads(open(\"out.json\").readlines()[-1])[\"summary\"]
assert s[\"files\"] == 2 and s[\"failed\"] == 0 and s[\"ok\"] == 2, s
" "$F/$f1" "$F/$f2"
'

test_expect_success FUSE 'sync of an archive folder into bronze: CopyObjects only, same bytes' '
	F=spot/daily/klines/ETHUSDT/1h &&
	n=$(ls "$M/$A/$F" | wc -l) &&
	lm_wait_drained "$M" &&
	ctl_ops "$M" >before &&
	lakemount-ctl sync "$M" "$A/$F" bronze/sync/eth-1h >out &&
	ctl_ops "$M" >after &&
	cat out && ops_delta before after >delta && cat delta &&
	tail -1 out | grep -x "copied $n (.*, server-side $n, streamed 0), skipped 0, failed 0" &&
	test "$(grep -c "^$A/$F/[^ ]* -> bronze/sync/eth-1h/[^ ]*  [0-9]*  copied (server-side)$" out)" = "$n" &&
	test "$(op_count delta CopyObject)" = "$n" &&
	! grep -v -e "^CopyObject " -e "^HeadObject " -e "^ListObjectsV2 " delta &&
	s3cli ls "$bucket" bronze/sync/eth-1h/ >keys &&
	test "$(wc -l <keys)" = "$n" &&
	for f in $(ls "$SRC/$F"); do
		s3cli get "$bucket" "bronze/sync/eth-1h/$f" | cmp - "$SRC/$F/$f" || exit 1
	done &&
	ls "$M/bronze/sync/eth-1h" >listed && ls "$SRC/$F" >want && test_cmp want listed
'

test_expect_success FUSE 'a second sync copies nothing' '
	F=spot/daily/klines/ETHUSDT/1h &&
	n=$(ls "$M/$A/$F" | wc -l) &&
	ctl_ops "$M" >before &&
	lakemount-ctl sync "$M" "$M/$A/$F" "$M/bronze/sync/eth-1h/" >out &&
	ctl_ops "$M" >after &&
	ops_delta before after >delta && cat delta &&
	tail -1 out | grep -x "copied 0 (0 B, server-side 0, streamed 0), skipped $n, failed 0" &&
	test "$(op_count delta CopyObject)" = 0 &&
	! grep -v -e "^HeadObject " -e "^ListObjectsV2 " delta
'

test_expect_success FUSE 'sync --dry-run copies nothing' '
	F=spot/daily/klines/ETHUSDT/1h &&
	n=$(ls "$M/$A/$F" | wc -l) &&
	ctl_ops "$M" >before &&
	lakemount-ctl sync --dry-run "$M" "$A/$F" bronze/dry >out &&
	cat out &&
	tail -1 out | grep -x "would copy $n (.*), skipped 0, failed 0" &&
	test "$(grep -c "  would copy$" out)" = "$n" &&
	lakemount-ctl sync --json --dry-run "$M" "$A/$F" bronze/sync/eth-1h >out.json &&
	tail -1 out.json >sum.json &&
	test "$(jpy sum.json "(v[\"summary\"][\"would_copy\"], v[\"summary\"][\"skipped\"])")" = "(0, $n)" &&
	ctl_ops "$M" >after &&
	ops_delta before after >delta && cat delta &&
	test "$(op_count delta CopyObject)" = 0 &&
	! grep -v -e "^HeadObject " -e "^ListObjectsV2 " delta &&
	test -z "$(s3cli ls "$bucket" bronze/dry/)" &&
	! test -e "$M/bronze/dry"
'

test_expect_success FUSE 'flush returns once what was written is in S3' '
	mkdir -p "$M/bronze/flush" &&
	for i in 1 2 3 4 5; do head -c $((100000 * i)) /dev/urandom >"$M/bronze/flush/f$i"; done &&
	head -c $((20 << 20)) /dev/urandom >"$M/bronze/flush/big" &&
	(cd "$M/bronze/flush" && sha256sum f1 f2 f3 f4 f5 big) >want &&
	lakemount-ctl flush "$M" >out &&
	cat out && grep "^flushed" out &&
	for f in f1 f2 f3 f4 f5 big; do
		echo "$(s3cli get "$bucket" "bronze/flush/$f" | sha256sum | cut -d" " -f1)  $f"
	done >got &&
	test_cmp want got &&
	lakemount-ctl flush --json --timeout 5 "$M" >out.json &&
	test "$(jpy out.json "v[\"ok\"]")" = true
'

test_expect_success FUSE 'flush --timeout gives up with the daemon'"'"'s reason while S3 is away' '
	lm_proxy_start ep &&
	test_when_finished lm_proxy_stop &&
	LM_ENDPOINT=$ep lm_config_layers "$TEST_TMP/p.json" "$bucket" &&
	lm_mount "$TEST_TMP/p.json" "$TEST_TMP/p" &&
	test_when_finished "lm_reap \"$TEST_TMP/p.json\" \"$TEST_TMP/p\"" &&
	port=${ep##*:} &&
	ls "$TEST_TMP/p/bronze" >/dev/null &&
	lm_proxy_stop &&
	echo "written offline" >"$TEST_TMP/p/bronze/offline.txt" &&
	! lakemount-ctl flush --timeout 2 "$TEST_TMP/p" >out 2>err &&
	cat err &&
	grep "^lakemount-ctl: flush: .*pending" err &&
	! s3cli head "$bucket" bronze/offline.txt 2>/dev/null &&
	lm_proxy_start ep "$port" &&
	lakemount-ctl flush --timeout 120 "$TEST_TMP/p" &&
	test "$(s3cli get "$bucket" bronze/offline.txt)" = "written offline"
'

test_expect_success FUSE 'stats --prometheus is valid Prometheus text' '
	lakemount-ctl stats --prometheus "$M" >metrics.prom &&
	python3 "$TEST_DIRECTORY/lib/promcheck.py" metrics.prom \
		--require lakemount_s3_requests_total \
		--require lakemount_s3_request_duration_seconds \
		--require lakemount_cache_max_bytes &&
	grep "^lakemount_s3_requests_total{op=\"CopyObject\",outcome=\"ok\"} [1-9]" metrics.prom &&
	grep "^lakemount_cache_max_bytes $((1 << 30))$" metrics.prom
'

test_expect_success FUSE 'the daemon writes a Prometheus textfile with -o metrics_file=' '
	lm_config_layers "$TEST_TMP/mf.json" "$bucket" &&
	mkdir -p "$TEST_TMP/mf" &&
	lm_env_creds &&
	lakemount "$TEST_TMP/mf.json" "$TEST_TMP/mf" -o "metrics_file=$TEST_TMP/lm.prom" &&
	mount_register "$TEST_TMP/mf" &&
	test_when_finished "lm_reap \"$TEST_TMP/mf.json\" \"$TEST_TMP/mf\"" &&
	cat "$TEST_TMP/mf/$A/spot/daily/klines/ETHUSDT/1h/"*.CHECKSUM >/dev/null &&
	lm_umount "$TEST_TMP/mf" &&
	python3 "$TEST_DIRECTORY/lib/promcheck.py" "$TEST_TMP/lm.prom" \
		--require lakemount_s3_requests_total &&
	grep "^lakemount_s3_requests_total{op=\"GetObject\",outcome=\"ok\"} [1-9]" "$TEST_TMP/lm.prom"
'

test_expect_success FUSE 'evict drops a file'"'"'s bytes; pin keeps them until unpin' '
	F=$A/spot/monthly/klines/ETHUSDT/1h &&
	f=$F/$(cd "$M/$F" && ls *.zip | head -1) &&
	size=$(stat -c %s "$M/$f") &&
	cat "$M/$f" >/dev/null &&
	wait_until 10 cached_is "$M/$f" "$size" &&
	lakemount-ctl evict "$M" "$f" >out && cat out &&
	grep -x "$f  $size  ok" out &&
	test "$(cached "$M/$f")" = 0 &&
	lakemount-ctl pin "$M" "$f" >out && cat out &&
	grep -x "$f  $size  ok" out &&
	c=$(cached "$M/$f") && echo "cached after pin: $c" && test "$c" = "$size" &&
	test "$(lakemount-ctl status --json "$M" >st.json && jpy st.json "v[\"status\"][\"cache\"][\"pinned_files\"]")" = 1 &&
	! lakemount-ctl evict "$M" "$f" >out 2>&1 && cat out &&
	grep "$f  $size  error: .*pinned" out &&
	tail -1 out | grep -x "evicted 0 files, 0 B dropped from the cache, 1 failed" &&
	test "$(cached "$M/$f")" = "$size" &&
	# the pin holds across a remount
	lm_umount "$M" && lm_mount "$TEST_TMP/lm.json" "$M" &&
	test "$(lakemount-ctl status --json "$M" >st.json && jpy st.json "v[\"status\"][\"cache\"][\"pinned_files\"]")" = 1 &&
	! lakemount-ctl evict "$M" "$f" >out 2>&1 && grep "$f  $size  error: .*pinned" out &&
	lakemount-ctl unpin "$M" "$f" >out && grep -x "$f  $size  ok" out &&
	lakemount-ctl evict "$M" "$F" >out && cat out &&
	tail -1 out | grep "^evicted $(ls "$M/$F" | wc -l) files, .* dropped from the cache, 0 failed$" &&
	for g in "$M/$F"/*; do test "$(cached "$g")" = 0 || exit 1; done
'

test_expect_success FUSE 'verify says ok for a good zip and mismatch for the corrupted one' '
	corrupt=$(sed -n "s/^[a-z-]*mkarchive: corrupt: data\///p" "$TEST_TMP/bucket.mkarchive") &&
	test -n "$corrupt" &&
	dir=${corrupt%/*} &&
	good=$(cd "$M/$A/$dir" && ls *.zip | grep -v -x -F "${corrupt##*/}" | head -1) &&
	{ lakemount-ctl verify "$M" "$A/$dir/$good" >out; rc=$?; cat out; test $rc = 0; } &&
	grep -x "$A/$dir/$good  $(stat -c %s "$M/$A/$dir/$good")  ok" out &&
	{ expect_code 1 lakemount-ctl verify "$M" "$A/$corrupt" >out; rc=$?; cat out; test $rc = 0; } &&
	grep "^$A/$corrupt  [0-9]*  mismatch" out &&
	tail -1 out | grep "^verified 1 file (.*): 0 ok, 1 mismatch, 0 without checksum, 0 failed$" &&
	! lakemount-ctl verify --json "$M" "$A/$dir" >out.json &&
	python3 -c "import json, sys
rows = [json.loads(l) for l in open(\"out.json\")]
by = {r[\"path\"]: r for r in rows[:-1]}
bad = sys.argv[1]
assert by[bad][\"checksum\"] == \"mismatch\", by[bad]
zips = [p for p in by if p.endswith(\".zip\") and p != bad]
assert zips and all(by[p][\"checksum\"] == \"ok\" for p in zips), by
sums = [p for p in by if p.endswith(\".CHECKSUM\")]
assert all(by[p][\"checksum\"] == \"none\" for p in sums), by
s = rows[-1][\"summary\"]
assert s[\"mismatch\"] == 1 and s[\"failed\"] == 0, s
" "$A/$corrupt"
'

test_expect_success FUSE 'on a terminal: one progress line on stderr, no line per file' '
	F=$A/spot/monthly/klines/BTCUSDT/1h &&
	script -qec "lakemount-ctl prefetch \"$M\" \"$F\"" /dev/null >tty.out &&
	tr "\r" "\n" <tty.out | sed "s/\x1b\[K//g" >lines &&
	grep "^\[[#-]*\] [0-9]*/[0-9]* files  .*/s  .* left" lines &&
	grep "^prefetched $(ls "$M/$F" | wc -l) files" lines &&
	! grep "  ok$" lines
'

test_expect_success FUSE 'mistakes are named: not a mount, a path outside it, a wrong option' '
	! lakemount-ctl status "$TEST_TMP" 2>err && cat err &&
	grep -x "lakemount-ctl: .$TEST_TMP. is not a lakemount mount" err &&
	expect_code 2 lakemount-ctl prefetch "$M" /etc/passwd 2>err && cat err &&
	grep "/etc/passwd. is not under the mount" err &&
	expect_code 2 lakemount-ctl prefetch "$M" ../x 2>err &&
	grep "leads out of the mount" err &&
	expect_code 2 lakemount-ctl prefetch --jobs 0 "$M" x 2>err &&
	grep "^usage: " err &&
	expect_code 2 lakemount-ctl frobnicate "$M" 2>err &&
	grep "unknown command .frobnicate." err &&
	expect_code 2 lakemount-ctl 2>err && grep "^usage: " err &&
	lakemount-ctl --help >out && grep "^usage: lakemount-ctl" out &&
	expect_code 1 lakemount-ctl prefetch "$M" "$A/no-such-file" >out &&
	grep "no-such-file  0  error: " out
'

test_expect_success FUSE,ROOT 'the control socket refuses another user' '
	sock=$(getfattr --only-values -n user.lakemount.control "$M") &&
	test "$sock" = "$TEST_TMP/lm.json.cache/control.sock" &&
	test "$(stat -c "%a %u" "$sock")" = "600 $(id -u)" &&
	# nobody runs a copy from a directory it can enter (the build may sit
	# in a 0700 one, as mktemp -d makes them)
	open=$(mktemp -d "${TMPDIR:-/tmp}/lm-t0500-open.XXXXXX") &&
	test_when_finished "rm -rf \"$open\"" &&
	chmod 755 "$open" && cp "$LM_BUILD/lakemount-ctl" "$open/" &&
	! (cd / && runuser -u nobody -- "$open/lakemount-ctl" status "$M") >out 2>err &&
	cat err && grep "permission denied" err &&
	ln "$sock" "$open/s" &&
	! (cd / && runuser -u nobody -- /usr/bin/python3 -c "import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])" "$open/s") 2>err &&
	cat err && grep PermissionError err &&
	chmod 666 "$open/s" &&
	test_when_finished "chmod 600 \"$sock\"" &&
	(cd / && runuser -u nobody -- /usr/bin/python3 -c "import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b\"{\\\"cmd\\\":\\\"status\\\"}\\n\")
data = b\"\"
while not data.endswith(b\"\\n\"):
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.decode())
a = json.loads(data)
assert a[\"ok\"] is False and a[\"errno\"] == 13, a
assert \"status\" not in a, a
" "$open/s") &&
	chmod 600 "$sock"
'

test_done
