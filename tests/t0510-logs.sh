#!/usr/bin/env bash
test_description='the daemon'\''s log: JSON lines, levels, files, and no secrets

A small bucket on Ceph RGW: an archive under data/ and a writable layer
bronze/.  Mounted with -o log_level=debug,log_file=FILE, read, written and
unmounted; then every line of FILE must be a JSON object with time, level
and msg, the S3 requests must be there at level debug, and neither the
secret key nor any part of a signature may appear anywhere.'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start

# check_lines FILE: every line a JSON object with "time" (UTC, ms), "level"
# (error|warn|info|debug) and "msg" first; read as strict UTF-8.
check_lines() {
	python3 - "$1" <<-'PY'
	import json, re, sys
	n = 0
	with open(sys.argv[1], encoding="utf-8", errors="strict") as f:
	    for n, line in enumerate(f, 1):
	        o = json.loads(line)
	        assert isinstance(o, dict), (n, line)
	        assert list(o)[:3] == ["time", "level", "msg"], (n, line)
	        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["time"]), (n, line)
	        assert o["level"] in ("error", "warn", "info", "debug"), (n, line)
	        assert isinstance(o["msg"], str) and o["msg"], (n, line)
	assert n > 0, "empty log"
	print(n, "lines, all JSON")
	PY
}

# events FILE MSG [KEY=VALUE...]: how many lines have msg MSG and each of
# the given fields (values compared as strings)
events() {
	python3 - "$@" <<-'PY'
	import json, sys
	path, msg, want = sys.argv[1], sys.argv[2], [a.split("=", 1) for a in sys.argv[3:]]
	n = 0
	for line in open(path, encoding="utf-8"):
	    o = json.loads(line)
	    if o["msg"] == msg and all(str(o.get(k)).lower() == v.lower() for k, v in want):
	        n += 1
	print(n)
	PY
}

# The daemon of MNT, mounted as `lakemount -o ... CONFIG MNT` (options first,
# so that lm_umount finds it by its mount point at the end of the line).
no_secrets() {  # FILE
	! grep -F -e "$S3_SECRET_KEY" -e Signature -e X-Amz-Credential -e Authorization "$1"
}

test_expect_success FUSE 'setup: a bucket with a few days of klines' '
	lm_klines_bucket b &&
	echo "$b" >"$TEST_TMP/bucket"
'
bucket=$(cat "$TEST_TMP/bucket" 2>/dev/null)

test_expect_success FUSE 'log_level=debug,log_file=FILE: reads, a write, an unmount, all in JSON' '
	mkdir debug && cd debug &&
	lm_config_layers "$PWD/lm.json" "$bucket" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	mkdir mnt && mount_register "$PWD/mnt" &&
	lm_env_creds &&
	lakemount -o log_level=debug,log_file=lm.log "$PWD/lm.json" "$PWD/mnt" &&
	D=mnt/archive/binance/spot/daily/klines/BTCUSDT/1h &&
	ls -l "$D" >/dev/null &&
	cat "$D"/*.csv >days && test $(wc -l <days) = 3 &&
	{ ls mnt/bronze/caf$(printf "\351")-not-utf8.csv 2>/dev/null || :; } &&
	echo "1735689600000,1,2,3,4" >mnt/bronze/ticks.csv &&
	sync mnt/bronze/ticks.csv &&
	s3cli head "$bucket" bronze/ticks.csv &&
	lm_umount "$PWD/mnt" &&
	test "$(stat -c %a lm.log)" = 600 &&
	check_lines lm.log &&
	test "$(events lm.log "mounted on $PWD/mnt" level=info path=$PWD/mnt)" = 1 &&
	test "$(events lm.log "unmounting $PWD/mnt" level=info)" = 1 &&
	test ! -e lm.json.cache/lakemount.log
'

test_expect_success FUSE 'the log holds no secret, signature or credential' '
	cd debug && no_secrets lm.log
'

test_expect_success FUSE 'every S3 request is a debug event: op, method, bucket, key, status, time, bytes' '
	cd debug &&
	python3 - "$bucket" lm.log <<-'\''PY'\''
	import json, sys
	bucket, path = sys.argv[1], sys.argv[2]
	reqs = [o for o in map(json.loads, open(path, encoding="utf-8"))
	        if o["msg"] == "s3 request"]
	assert reqs, "no request events"
	for o in reqs:
	    assert o["level"] == "debug", o
	    for k in ("op", "method", "bucket", "http_status", "status", "attempt",
	              "final", "duration_ms", "bytes_down", "bytes_up"):
	        assert k in o, (k, o)
	    assert o["bucket"] == bucket, o
	    assert isinstance(o["duration_ms"], (int, float)) and o["duration_ms"] >= 0, o
	ops = {o["op"] for o in reqs}
	print("ops:", sorted(ops))
	for op in ("ListObjectsV2", "GetObject", "PutObject"):
	    assert op in ops, op
	put = [o for o in reqs if o["op"] == "PutObject" and o["key"] == "bronze/ticks.csv"]
	assert put and put[-1]["http_status"] == 200 and put[-1]["bytes_up"] == 22, put
	get = [o for o in reqs if o["op"] == "GetObject" and o["status"] == "ok"]
	assert all(o["bytes_down"] > 0 for o in get), get
	odd = [o for o in reqs if "not-utf8" in (o.get("key") or "")]
	assert not odd or "\\xe9" in odd[0]["key"], odd
	PY
'

test_expect_success FUSE 'log_level=warn leaves out info and debug; a daemon without log_file keeps CACHE/lakemount.log' '
	mkdir warn && cd warn &&
	lm_config_layers "$PWD/lm.json" "$bucket" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	mkdir mnt && mount_register "$PWD/mnt" &&
	lm_env_creds &&
	lakemount -o log_level=warn "$PWD/lm.json" "$PWD/mnt" &&
	ls mnt/archive/binance/spot >/dev/null &&
	lm_umount "$PWD/mnt" &&
	test ! -s lm.json.cache/lakemount.log &&
	lakemount "$PWD/lm.json" "$PWD/mnt" &&
	ls mnt/archive/binance/spot >/dev/null &&
	lm_umount "$PWD/mnt" &&
	check_lines lm.json.cache/lakemount.log &&
	test "$(events lm.json.cache/lakemount.log "mounted on $PWD/mnt")" = 1 &&
	test "$(events lm.json.cache/lakemount.log "s3 request")" = 0 &&
	no_secrets lm.json.cache/lakemount.log
'

test_expect_success FUSE 'SIGHUP reopens the log file (after logrotate moved it)' '
	mkdir hup && cd hup &&
	lm_config_layers "$PWD/lm.json" "$bucket" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	mkdir mnt && mount_register "$PWD/mnt" &&
	lm_env_creds &&
	lakemount -o log_file=$PWD/lm.log,log_level=debug "$PWD/lm.json" "$PWD/mnt" &&
	pid=$(lm_daemon_pid "$PWD/lm.json") &&
	ls mnt/archive/binance/spot >/dev/null &&
	mv lm.log lm.log.1 &&
	kill -HUP "$pid" &&
	ls mnt/archive/binance/spot/daily >/dev/null &&
	test -s lm.log &&
	kill -0 "$pid" && mountpoint -q mnt &&
	lm_umount "$PWD/mnt" &&
	check_lines lm.log.1 && check_lines lm.log &&
	test "$(events lm.log "unmounting $PWD/mnt")" = 1
'

test_expect_success FUSE 'in the foreground the JSON lines go to stderr' '
	mkdir fg && cd fg &&
	lm_config "$PWD/lm.json" "$bucket" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	mkdir mnt && mount_register "$PWD/mnt" &&
	lm_env_creds || return 1
	lakemount -f "$PWD/lm.json" "$PWD/mnt" 2>fg.log &
	pid=$!
	for _ in $(seq 1 100); do mountpoint -q mnt && break; sleep 0.1; done &&
	ls mnt/archive/binance >/dev/null &&
	fusermount3 -u mnt &&
	{ wait $pid; rc=$?; } &&
	test "$rc" = 0 &&
	cat fg.log &&
	check_lines fg.log &&
	test "$(events fg.log "mounted on $PWD/mnt")" = 1
'

test_expect_success FUSE 'a log file that cannot be opened: exit 1, the path named, nothing mounted' '
	mkdir badlog && cd badlog &&
	lm_config "$PWD/lm.json" "$bucket" &&
	mkdir mnt && mount_register "$PWD/mnt" &&
	lm_env_creds &&
	! lakemount -o log_file=/nonexistent/dir/lm.log "$PWD/lm.json" "$PWD/mnt" 2>err &&
	cat err &&
	grep "cannot open log file .*/nonexistent/dir/lm.log" err &&
	! mountpoint -q mnt &&
	! lakemount -o log_level=chatty "$PWD/lm.json" "$PWD/mnt" 2>err &&
	cat err && grep "log_level=.chatty." err
'

test_done
