#!/usr/bin/env bash
test_description='faults between lakemount and S3: errors, resets, a hung endpoint, bad bodies

An HTTP relay that fails chosen requests (tests/lib/faultproxy.py, started
with lm_proxy_start) stands between lakemount and Ceph RGW.  Every read must
return the right bytes or a clean EIO in time, every write must land, no
bad body may be cached, and nothing may hang.'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start
TEST_TIMEOUT=$(lm_stress 200 600)

# fault WORDS...: the control words of the proxy (mode=, percent=, kinds=,
# methods=, match=, seed=; see tests/lib/faultproxy.py), taken at its next
# request
fault() {
	echo "$*" >"$TEST_TMP/proxy.ctl.tmp" && mv "$TEST_TMP/proxy.ctl.tmp" "$TEST_TMP/proxy.ctl"
}

# fault_stat KEY: a counter of the proxy: requests, faulted, hung,
# faults.KIND, methods.METHOD (0 when it never counted)
fault_stat() {
	python3 -c 'import json,sys
try: v=json.load(open(sys.argv[1]))
except (OSError, ValueError): v={}
for k in sys.argv[2].split("."): v=v.get(k, 0) if isinstance(v, dict) else 0
print(v)' "$TEST_TMP/proxy.stats" "$1"
}

# fault_report: one line of the counters, for the log
fault_report() {
	python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
print("proxy: %d requests (%s), %d faulted (%s), %d hung" % (v["requests"],
      " ".join("%s %d" % kv for kv in sorted(v["methods"].items())), v["faulted"],
      " ".join("%s %d" % kv for kv in sorted(v["faults"].items())), v["hung"]))' "$TEST_TMP/proxy.stats"
}

# proxied CONFIG-FN [EXTRA...]: a proxy in front of RGW (its URL in ep) and
# a mount at ./mnt of "$bucket" through it, configured by CONFIG-FN
# (lm_config or lm_config_layers, given EXTRA); both go when the case ends.
# It passes everything at first, whatever a case that failed left in the
# control file.
proxied() {
	local fn=$1
	shift
	fault mode=pass &&
	lm_proxy_start ep &&
	test_when_finished "lm_proxy_stop" &&
	LM_ENDPOINT=$ep "$fn" "$PWD/lm.json" "$bucket" "$@" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt"
}

# expected_sums LIST: "SHA256  PATH" of the archive (and big/) files named
# in LIST (paths under archive/binance/), from the bytes put in the bucket
expected_sums() {
	local list
	list=$(realpath "$1") &&
	(cd "$TEST_TMP/$bucket.src/data" && xargs -a "$list" -d "\n" sha256sum)
}

# uncache DIR SUMS: drop the kernel page cache of the files of SUMS
uncache() {
	python3 -c 'import os,sys
for line in open(sys.argv[2]):
    fd = os.open(os.path.join(sys.argv[1], line.split(None, 1)[1].rstrip("\n")), os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)' "$1" "$2"
}

# reader MNT SUMS UNTIL OUT: until epoch second UNTIL, evict (from the
# block cache and the page cache, so that the bytes come from S3 again)
# then read each file of SUMS (sha256sum lines, paths under MNT/archive/binance),
# appending "ok BYTES PATH", "BAD PATH" or "ERR RC PATH" lines to OUT
reader() {
	local a=$1/archive/binance want path sum
	while [ "$(date +%s)" -lt "$3" ]; do
		timeout 60 lakemount-ctl evict "$1" $(sed "s|^[^ ]*  |$a/|" "$2") >/dev/null 2>&1
		uncache "$a" "$2"
		while read -r want path; do
			sum=$(timeout 60 cat "$a/$path" | sha256sum; exit "${PIPESTATUS[0]}")
			rc=$?
			if [ $rc != 0 ]; then echo "ERR $rc $path"
			elif [ "${sum%% *}" = "$want" ]; then echo "ok $(stat -c %s "$a/$path") $path"
			else echo "BAD $path"; fi
			[ "$(date +%s)" -lt "$3" ] || break
		done <"$2" >>"$4"
	done
}

# writer MNT N UNTIL: until epoch second UNTIL, write, rename, copy and
# delete files under MNT/bronze/wN, keeping what S3 must end up with in
# ./want/wN; a failed command is appended to ./errors
writer() {
	local m=$1/bronze/storm/w$2 w=want/storm/w$2 i=0 rc zip
	mkdir -p "$w" && timeout 30 mkdir "$m" || { echo "mkdir $m" >>errors; return; }
	while [ "$(date +%s)" -lt "$3" ]; do
		i=$((i + 1))
		head -c $(( (RANDOM * 97 + i) % (1 << 19) )) /dev/urandom >"$w/f$i"
		timeout 30 cp "$w/f$i" "$m/f$i" || echo "cp f$i $?" >>errors
		if [ $((i % 3)) = 0 ]; then
			timeout 30 mv "$m/f$i" "$m/r$i" && mv "$w/f$i" "$w/r$i" || echo "mv f$i" >>errors
		fi
		if [ $((i % 5)) = 0 ] && [ -e "$w/f$((i - 1))" ]; then
			timeout 60 cp "$m/f$((i - 1))" "$m/c$i" && cp "$w/f$((i - 1))" "$w/c$i" ||
				echo "cp c$i" >>errors
		fi
		if [ $((i % 7)) = 0 ]; then
			zip=$(sed -n "$((i % 40 + 1))p" zips)
			timeout 60 cp "$1/archive/binance/$zip" "$m/z$i" &&
				cp "$TEST_TMP/$bucket.src/data/$zip" "$w/z$i" || echo "cp z$i" >>errors
		fi
		if [ $((i % 4)) = 0 ] && [ -e "$w/f$((i - 2))" ]; then
			timeout 30 rm "$m/f$((i - 2))" && rm "$w/f$((i - 2))" || echo "rm f$((i - 2))" >>errors
		fi
	done
}

# check_bronze SUB: every file of ./want/SUB is in S3 under bronze/SUB with
# its bytes, and nothing else is; prints the bytes compared
check_bronze() {
	local f n=0 bytes=0
	(cd want && find "$1" -type f | sed "s|^|bronze/|" | sort) >want.keys &&
	s3cli ls "$bucket" "bronze/$1" | cut -f1 | grep -v "/$" | sort >got.keys &&
	test_cmp want.keys got.keys || return 1
	for f in $(cat want.keys); do
		s3cli get "$bucket" "$f" >got.bin &&
		cmp got.bin "want/${f#bronze/}" || { echo "$f differs"; return 1; }
		n=$((n + 1)) bytes=$((bytes + $(stat -c %s got.bin)))
	done
	echo "S3 holds all $n files written ($bytes bytes compared)"
}

# proc_states PID...: the state letters of the PIDs still alive
proc_states() {
	local p
	for p in "$@"; do
		sed -n "s/^[0-9]* (.*) \(.\) .*/\1/p" "/proc/$p/stat" 2>/dev/null
	done | tr -d "\n"
}

test_expect_success FUSE 'setup: an archive and three big objects behind a fault proxy' '
	lm_archive_bucket bucket --big-folder 20 &&
	echo "$bucket" >"$TEST_TMP/bucket" &&
	mkdir -p "$TEST_TMP/$bucket.src/data/big" &&
	for n in 1 3 7; do
		head -c $((n << 20)) /dev/urandom >"$TEST_TMP/$bucket.src/data/big/b$n.bin" &&
		s3cli put "$bucket" data/big/b$n.bin "$TEST_TMP/$bucket.src/data/big/b$n.bin" || exit 1
	done &&
	(cd "$TEST_TMP/$bucket.src/data" && find . -name "*.zip*" | sed "s|^\./||" | sort) >"$TEST_TMP/archive.list" &&
	test $(wc -l <"$TEST_TMP/archive.list") -ge 400
'
bucket=$(cat "$TEST_TMP/bucket" 2>/dev/null)

test_expect_success FUSE '30% of requests fail (500, 503, SlowDown, resets): reads right, writes land' '
	mkdir storm && cd storm &&
	proxied lm_config_layers &&
	M=$PWD/mnt &&
	ls "$M/bronze" "$M/archive/binance" >/dev/null &&
	mkdir "$M/bronze/storm" &&
	grep "\.zip$" "$TEST_TMP/archive.list" | head -40 >zips &&
	shuf -n 60 --random-source="$TEST_TMP/archive.list" "$TEST_TMP/archive.list" >pick &&
	(cd "$TEST_TMP/$bucket.src/data" && ls big/*) >>pick &&
	expected_sums pick >sums &&
	for k in 0 1 2 3; do awk "NR % 4 == $k" sums >sums.$k; done &&
	secs=$(lm_stress 30 300) &&
	fault mode=faults percent=30 kinds=500,503,slowdown,reset,reset-mid seed=600 &&
	start=$(date +%s) && until=$((start + secs)) &&
	pids= &&
	for k in 0 1 2 3; do reader "$M" sums.$k $until reads.$k & pids="$pids $!"; done &&
	for k in 1 2; do writer "$M" $k $until & pids="$pids $!"; done &&
	wait $pids &&
	end=$(date +%s) &&
	echo "readers and writers ended $((end - until)) s after the deadline" &&
	test $((end - until)) -le 60 &&
	lm_wait_drained "$M" &&
	drained=$(date +%s) &&
	echo "journal drained $((drained - end)) s later, still under faults" &&
	fault_report &&
	fault mode=pass &&
	cat reads.* >reads &&
	echo "reads: $(grep -c ^ok reads) right ($(awk "/^ok/ {s += \$2} END {print s}" reads) bytes), $(grep -c ^BAD reads) wrong, $(grep -c ^ERR reads) failed" &&
	echo "lakemount: $(lm_requests "$M") requests, $(lm_stat "$M" requests.retries) retries, $(lm_stat "$M" requests.failures) failures, $(lm_stat "$M" requests.get) GETs" &&
	! grep -v ^ok reads &&
	test $(grep -c ^ok reads) -ge 50 &&
	{ test ! -e errors || { cat errors; false; }; } &&
	for k in 500 503 slowdown reset reset-mid; do
		test $(fault_stat faults.$k) -gt 0 || { echo "no $k injected"; exit 1; }
	done &&
	test $(lm_stat "$M" requests.retries) -gt 0 &&
	check_bronze storm/ &&
	lm_umount "$M"
'

# A reader waiting for a page that a FUSE request is filling sleeps in
# the kernel killably (TASK_KILLABLE, which ps shows as D); the promise is
# that such a sleep ends: with the EIO after io_timeout, or at once with
# kill -9.  A process that stays in D would show in the last check.
test_expect_success FUSE 'a hung endpoint: EIO in time, killable readers and fsyncs, writes queue, ls works' '
	mkdir hang && cd hang &&
	proxied lm_config_layers ", \"io_timeout\": 5" &&
	M=$PWD/mnt && A=$M/archive/binance/spot/daily/klines/BTCUSDT/1m &&
	ls -l "$A" >listed && ls -l "$M/bronze" >listed.bronze &&
	ls "$A"/*.zip | head -7 >cold &&
	mkdir -p want/hang "$M/bronze/hang" &&
	fault mode=hang &&
	start=$(date +%s) &&
	pids= && k=0 &&
	for f in $(head -6 cold) "$M/archive/binance/big/b7.bin"; do
		k=$((k + 1))
		(timeout 60 cat "$f" >/dev/null 2>err.$k; echo $? >>rcs) &
		pids="$pids $!"
	done &&
	for f in $(tail -1 cold); do cat "$f" >/dev/null 2>&1 & victim=$!; done &&
	sleep 2 &&
	states=$(proc_states $(pgrep -f "^cat $M/")) &&
	echo "readers waiting after 2 s, states: $states" &&
	test ${#states} = 8 &&
	kill -KILL $victim &&
	sleep 1 &&
	! kill -0 $victim 2>/dev/null &&
	echo "a waiting reader killed with SIGKILL is gone within 1 s" &&
	timeout 10 ls -l "$A" >listed.hung &&
	test_cmp listed listed.hung &&
	timeout 10 ls -l "$M/bronze" >/dev/null &&
	for i in 1 2 3 4 5; do
		head -c $((i << 18)) /dev/urandom >want/hang/h$i &&
		timeout 10 cp want/hang/h$i "$M/bronze/hang/h$i" || exit 1
	done &&
	timeout 10 mv "$M/bronze/hang/h5" "$M/bronze/hang/h5.moved" && mv want/hang/h5 want/hang/h5.moved &&
	echo "ls -l, 5 writes and a rename done during the hang" &&
	wait $pids &&
	end=$(date +%s) &&
	echo "7 readers of uncached data ended after $((end - start)) s (io_timeout 5): exit codes $(sort rcs | uniq -c | tr -s " \n" " ")" &&
	cat err.* &&
	test $((end - start)) -le 9 &&
	test $(cat err.* | grep -c "Input/output error") = 7 &&
	left=$(proc_states $(pgrep -f "^cat $M/")) &&
	test -z "$left" &&
	test "$(lm_stat "$M" journal)" -ge 5 &&
	! s3cli head "$bucket" bronze/hang/h1 2>/dev/null &&
	echo "hung requests at the proxy: $(fault_stat hung), journal: $(lm_stat "$M" journal)" &&
	test $(fault_stat hung) -ge 7 &&
	t0=$(date +%s) &&
	{ timeout 60 sync "$M/bronze/hang/h1" 2>sync.err; rc=$?; } &&
	t1=$(date +%s) && cat sync.err &&
	echo "fsync during the hang: exit code $rc after $((t1 - t0)) s (io_timeout 5)" &&
	test $rc = 1 && grep -q "Input/output error" sync.err &&
	test $((t1 - t0)) -le 12 &&
	{ sync "$M/bronze/hang/h2" & sp=$!; } &&
	sleep 1 && kill -0 $sp &&
	kill -TERM $sp && sleep 1 &&
	! kill -0 $sp 2>/dev/null &&
	echo "a fsync waiting for the endpoint ends at a signal (SIGTERM) within 1 s" &&
	fault mode=pass &&
	back=$(date +%s) &&
	lm_wait_drained "$M" &&
	echo "drained $(( $(date +%s) - back )) s after the endpoint came back" &&
	check_bronze hang/ &&
	timeout 30 cmp "$M/archive/binance/big/b7.bin" "$TEST_TMP/$bucket.src/data/big/b7.bin" &&
	lm_umount "$M"
'

test_expect_success FUSE,ROOT 'truncated bodies and wrong Content-Length: retried, right, never cached' '
	mkdir badbody && cd badbody &&
	proxied lm_config_layers &&
	M=$PWD/mnt &&
	ls "$M/archive/binance" >/dev/null &&
	(shuf -n 24 --random-source="$TEST_TMP/archive.list" "$TEST_TMP/archive.list"; cd "$TEST_TMP/$bucket.src/data" && ls big/*) >pick &&
	expected_sums pick >sums &&
	fault mode=faults percent=30 kinds=truncate,badlen,reset-mid seed=601 &&
	n=0 &&
	while read -r want path; do
		sum=$(set -o pipefail; timeout 60 cat "$M/archive/binance/$path" | sha256sum) ||
			{ echo "read failed: $path"; exit 1; }
		test "${sum%% *}" = "$want" || { echo "wrong bytes: $path"; exit 1; }
		n=$((n + 1))
	done <sums &&
	fault_report &&
	for k in truncate badlen-short badlen-long; do
		test $(fault_stat faults.$k) -gt 0 || { echo "no $k injected"; exit 1; }
	done &&
	fault mode=pass &&
	echo "$n files read right through bad bodies; lakemount retried $(lm_stat "$M" requests.retries) times" &&
	sync && echo 3 >/proc/sys/vm/drop_caches &&
	gets=$(fault_stat methods.GET) &&
	while read -r want path; do
		sum=$(set -o pipefail; timeout 60 cat "$M/archive/binance/$path" | sha256sum) ||
			{ echo "read from the cache failed: $path"; exit 1; }
		test "${sum%% *}" = "$want" || { echo "wrong bytes from the cache: $path"; exit 1; }
	done <sums &&
	echo "re-read from the cache: $(( $(fault_stat methods.GET) - gets )) GETs" &&
	test $(fault_stat methods.GET) = $gets &&
	! grep -i "checksum mismatch\|does not match" lm.json.cache/lakemount.log &&
	lm_umount "$M"
'

# An upload's body is signed by its SHA-256, which the server checks: a
# byte changed on the way gets the request refused (XAmzContentSHA256Mismatch)
# and sent again, alone: a damaged part costs that part, not the upload.
test_expect_success FUSE 'bodies damaged on the way: refused by S3, each sent again, S3 holds the right bytes' '
	mkdir flip && cd flip &&
	proxied lm_config_layers &&
	M=$PWD/mnt &&
	mkdir -p want/flip "$M/bronze/flip" &&
	head -c $((20 << 20)) /dev/urandom >want/flip/big.bin &&
	for i in 1 2 3 4 5 6; do head -c $((i * 70000)) /dev/urandom >want/flip/s$i.bin || exit 1; done &&
	fault mode=faults percent=30 kinds=flip methods=PUT seed=602 &&
	timeout 120 cp want/flip/* "$M/bronze/flip/" &&
	(cd "$M/bronze/flip" && timeout 120 sync *) &&
	fault_report &&
	fault mode=pass &&
	flips=$(fault_stat faults.flip) retries=$(lm_stat "$M" requests.retries) &&
	echo "$flips bodies damaged; lakemount retried $retries requests, $(lm_stat "$M" requests.post) POSTs" &&
	test $flips -gt 0 &&
	test $retries -ge $flips &&
	test $(lm_stat "$M" requests.post) -le 2 &&
	check_bronze flip/ &&
	lm_umount "$M"
'

test_expect_success FUSE,ROOT 'an object replaced while cached: later opens see the new one, never a mix' '
	mkdir replaced && cd replaced &&
	head -c $((5 << 20)) /dev/urandom >A && head -c $((5 << 20)) /dev/urandom >B &&
	s3cli put "$bucket" data/replace/x.bin A &&
	proxied lm_config ", \"ttl\": 2" &&
	f=$PWD/mnt/archive/binance/replace/x.bin &&
	timeout 30 cmp "$f" A &&
	gets=$(fault_stat methods.GET) &&
	sync && echo 3 >/proc/sys/vm/drop_caches &&
	timeout 30 cmp "$f" A &&
	test $(fault_stat methods.GET) = $gets &&
	s3cli put "$bucket" data/replace/x.bin B &&
	start=$(date +%s) && seen= &&
	while [ $(( $(date +%s) - start )) -lt 30 ]; do
		ls "${f%/*}" >/dev/null &&
		timeout 30 cat "$f" >got &&
		if cmp -s got A; then seen="${seen}A"
		elif cmp -s got B; then seen="${seen}B"
		else seen="${seen}X"; fi
		case $seen in *BBB) break ;; esac
		sleep 0.5
	done &&
	echo "opens after the replacement: $seen ($(( $(date +%s) - start )) s)" &&
	! echo "$seen" | grep -q "X\|BA" &&
	echo "$seen" | grep -q B$ &&
	lm_umount "$PWD/mnt"
'

test_done
