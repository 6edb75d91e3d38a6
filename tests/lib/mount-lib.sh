# tests/lib/mount-lib.sh -- helpers for scripts that mount lakemount, sourced
# after test-lib.sh.
#
#   lm_archive_bucket VAR [mkarchive options]
#                         make a bucket holding a miniature Binance archive
#                         under data/ (tools/lakemount-mkarchive); its manifest is
#                         $TEST_TMP/VAR.manifest ("KEY<TAB>SIZE" lines)
#   lm_klines_bucket VAR  a bucket with three one-line kline CSVs
#   lm_config FILE BUCKET [TREE-JSON-EXTRA] [TOP-JSON-EXTRA]
#                         a config with source "s" on S3_ENDPOINT and BUCKET,
#                         mounted at archive/binance (prefix data/, read-only,
#                         sidecar checksums); the cache dir is FILE.cache
#   lm_config_layers FILE BUCKET [TOP-JSON-EXTRA]
#                         the same archive plus writable layers bronze/ and
#                         silver/ (keys bronze/..., silver/...)
#   lm_mount CONFIG MNT   mount (returns once ready); unmounted at exit
#   lm_umount MNT         unmount and wait for the daemon to be gone
#   lm_stat MNT PATH      print a number from user.lakemount.stats, e.g.
#                         "requests.get" or "cache.stored_bytes"
#   lm_requests MNT       all requests so far (list+head+get+...)
#   lm_wait_drained MNT   wait until the write-back journal is empty
#   lm_kill9 CONFIG MNT   kill -9 the daemon and clear its dead mount
#   lm_settled MNT        wait until MNT's GET and block-read counts hold still

lm_env_creds() {
	export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
	export AWS_SHARED_CREDENTIALS_FILE=/nonexistent
}

lm_archive_bucket() {
	local var=$1 lm_bkt dir
	shift
	test_bucket lm_bkt || return 1
	dir=$TEST_TMP/$lm_bkt.src
	python3 "$SRC_ROOT/tools/lakemount-mkarchive" --out "$dir" --manifest "$TEST_TMP/$var.manifest" "$@" \
		2>"$TEST_TMP/$var.mkarchive" || { cat "$TEST_TMP/$var.mkarchive"; return 1; }
	s3cli mb "$lm_bkt" && s3cli put-tree "$lm_bkt" "$dir" || return 1
	eval "$var=\$lm_bkt"
}

# lm_klines_bucket VAR: a bucket (name in VAR) holding three days of BTCUSDT
# 1h klines as one-line CSVs under data/spot/daily/klines/BTCUSDT/1h/
lm_klines_bucket() {
	local lm_bkt d dir
	test_bucket lm_bkt && s3cli mb "$lm_bkt" || return 1
	dir=$TEST_TMP/$lm_bkt.src/data/spot/daily/klines/BTCUSDT/1h
	mkdir -p "$dir" || return 1
	for d in 01 02 03; do
		echo "1735689600000,93576.00,94509.42,93489.03,94401.14" \
			>"$dir/BTCUSDT-1h-2025-01-$d.csv" || return 1
	done
	s3cli put-tree "$lm_bkt" "$TEST_TMP/$lm_bkt.src" || return 1
	eval "$1=\$lm_bkt"
}

lm_config() {  # FILE BUCKET [TREE-EXTRA] [TOP-EXTRA]
	cat >"$1" <<-JSON
	{
	  "cache": { "dir": "$1.cache", "max_size": "${LM_CACHE_MAX:-1GiB}" } ${4:-},
	  "sources": {
	    "s": { "endpoint": "${LM_ENDPOINT:-$S3_ENDPOINT}", "bucket": "$2",
	           "prefix": "data/", "path_style": true }
	  },
	  "tree": [
	    { "path": "archive/binance", "source": "s", "readonly": true,
	      "checksums": "sidecar-sha256" ${3:-} }
	  ]
	}
	JSON
}

# lm_config_layers FILE BUCKET [TOP-EXTRA]: the archive (keys under data/,
# read-only, sidecar checksums) at archive/binance and the layers bronze/
# and silver/ (keys under bronze/, silver/) of the same bucket, writable.
lm_config_layers() {
	cat >"$1" <<-JSON
	{
	  "cache": { "dir": "$1.cache", "max_size": "${LM_CACHE_MAX:-1GiB}" } ${3:-},
	  "sources": {
	    "s": { "endpoint": "${LM_ENDPOINT:-$S3_ENDPOINT}", "bucket": "$2", "path_style": true }
	  },
	  "tree": [
	    { "path": "archive/binance", "source": "s", "prefix": "data/", "readonly": true,
	      "checksums": "sidecar-sha256" },
	    { "path": "bronze", "source": "s", "prefix": "bronze/" },
	    { "path": "silver", "source": "s", "prefix": "silver/" }
	  ]
	}
	JSON
}

# put_random BUCKET KEY SIZE: upload SIZE random bytes as KEY; they stay in
# ./<basename of KEY> for comparing.
put_random() {
	head -c "$3" /dev/urandom >"${2##*/}" &&
	s3cli put "$1" "$2" "${2##*/}"
}

lm_mount() {  # CONFIG MNT
	mkdir -p "$2" &&
	lm_env_creds &&
	lakemount "$1" "$2" &&
	mount_register "$2" &&
	mountpoint -q "$2"
}

lm_umount() {  # MNT
	local i
	fusermount3 -u "$1" || return 1
	# the daemon uploads what is left, and writes its cache to disk,
	# before it exits (at most until the endpoint takes nothing for
	# io_timeout seconds); options may follow the mount point
	for i in $(seq 1 1200); do
		pgrep -f "lakemount .* $1( |\$)" >/dev/null || return 0
		sleep 0.05
	done
	echo "lakemount for $1 still running after unmount" >&2
	return 1
}

lm_wait_drained() {  # MNT: until its journal is empty (at most 90 s)
	for _ in $(seq 1 900); do
		[ "$(lm_stat "$1" journal)" = 0 ] && return 0
		sleep 0.1
	done
	echo "journal still holds $(lm_stat "$1" journal) changes" >&2
	return 1
}

lm_stat() {  # MNT PATH
	getfattr --only-values -n user.lakemount.stats "$1" 2>/dev/null |
	python3 -c 'import json,sys
v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[k]
print(v)' "$2"
}

# wait_until SECS CMD...: run CMD every 0.1 s until it succeeds; false if it
# did not within SECS.
wait_until() {
	local n=$(($1 * 10))
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

# lm_settled MNT: wait (at most 10 s) until MNT's GET and block-read counts
# hold still for 0.5 s.  A GET is counted when its request ends, a moment
# after the bytes it fetched went to the reader (fs/fetch.c): a count taken
# right after a read may be one short.
lm_settled() {
	local a b n=20
	b="$(lm_stat "$1" requests.get) $(lm_stat "$1" cache.hits)"
	while [ $n -gt 0 ]; do
		a=$b
		sleep 0.5
		b="$(lm_stat "$1" requests.get) $(lm_stat "$1" cache.hits)"
		[ "$a" = "$b" ] && return 0
		n=$((n - 1))
	done
	return 1
}

# lm_forgets MNT FEW: the kernel forgets every inode (drop_caches), and the
# daemon at MNT must then hold fewer than FEW within 10 s (a lookup count
# it gave the kernel and never got back keeps one).  Root only.
lm_inodes_below() { test "$(lm_stat "$1" inodes)" -lt "$2"; }
lm_forgets() {
	sync && echo 2 >/proc/sys/vm/drop_caches &&
	wait_until 10 lm_inodes_below "$1" "$2" &&
	echo "after drop_caches: $(lm_stat "$1" inodes) inodes"
}

# lm_wait_pids FILE: waits for every background worker whose pid is listed
# in FILE (children of this shell); prints a line for each that failed and
# sets fails to how many did.
lm_wait_pids() {
	local p
	fails=0
	for p in $(cat "$1"); do
		wait "$p" || { echo "worker $p: exit status $?"; fails=$((fails + 1)); }
	done
}

lm_requests() {  # MNT
	getfattr --only-values -n user.lakemount.stats "$1" 2>/dev/null |
	python3 -c 'import json,sys
r=json.load(sys.stdin)["requests"]
print(sum(r[k] for k in ("list","head","get","put","post","delete")))'
}

# A faultproxy.py (an HTTP relay that can fail chosen requests) in front of
# S3_ENDPOINT's port, for failure tests, in its own session (so that it
# outlives the case that started it only as long as the case wants: stop it
# with lm_proxy_stop, e.g. from test_when_finished).  Its control file is
# $TEST_TMP/proxy.ctl, its counters $TEST_TMP/proxy.stats (see the header of
# tests/lib/faultproxy.py).
#   lm_proxy_start VAR [PORT]  start; VAR gets its endpoint URL
#   lm_proxy_stop              the endpoint is gone (connections refused)
#   lm_proxy_hang              toggle: connections hang without an answer
lm_proxy_start() {
	local port=${2:-} target=${S3_ENDPOINT##*:}
	[ -n "$port" ] || port=$(free_port) || return 1
	rm -f "$TEST_TMP/proxy.out" "$TEST_TMP/proxy.stats"
	LM_PROXY_CTL=$TEST_TMP/proxy.ctl LM_PROXY_STATS=$TEST_TMP/proxy.stats \
	setsid python3 "$SRC_ROOT/tests/lib/faultproxy.py" "$port" "$target" \
		>"$TEST_TMP/proxy.out" 2>&1 </dev/null &
	echo $! >"$TEST_TMP/proxy.pid"
	for _ in $(seq 1 100); do
		grep -q ready "$TEST_TMP/proxy.out" 2>/dev/null && break
		sleep 0.05
	done
	grep -q ready "$TEST_TMP/proxy.out" || return 1
	eval "$1=http://127.0.0.1:$port"
}

lm_proxy_stop() {
	local pid
	pid=$(cat "$TEST_TMP/proxy.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	rm -f "$TEST_TMP/proxy.pid"
}

lm_proxy_hang() { kill -USR1 "$(cat "$TEST_TMP/proxy.pid")"; }

# Finding the daemon (its command line is "lakemount [OPTIONS] CONFIG MNT"):
#   lm_daemon_pid CONFIG  print the pid of the lakemount serving CONFIG;
#                         false when there is none
#   lm_reap CONFIG MNT    for test_when_finished: unmount MNT, then give the
#                         daemon 60 s to exit (it drains its journal, or gives
#                         up after io_timeout); one still there is killed
#                         with SIGKILL, so that it does not outlive the
#                         script, and the case fails
# lm_kill9 CONFIG MNT: kill -9 the daemon; return once it is gone and the
# dead mount is cleared (fusermount3 -u -z)
lm_kill9() {
	local pid
	pid=$(lm_daemon_pid "$1") || return 1
	kill -KILL "$pid" &&
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done &&
	fusermount3 -u -z "$2" 2>/dev/null
	! kill -0 "$pid" 2>/dev/null
}

lm_daemon_pid() {
	pgrep -f "^lakemount (.* )?$1 " | head -1 | grep .
}

lm_reap() {  # CONFIG MNT
	local pid
	mount_cleanup "$2"
	for _ in $(seq 1 600); do
		lm_daemon_pid "$1" >/dev/null || return 0
		sleep 0.1
	done
	for pid in $(pgrep -f "^lakemount (.* )?$1 "); do
		echo "lakemount $pid ($1) still running after the unmount: killed" >&2
		kill -KILL "$pid"
	done
	return 1
}
