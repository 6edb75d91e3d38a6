#!/usr/bin/env bash
test_description='nothing acknowledged is lost: kill -9, remount, replay

kill -9 of the daemon while files are written and while a directory is
renamed; the next mount of the same cache dir replays the journal.  Also
writes while the endpoint is down, and a cache full of dirty data.'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start
TEST_TIMEOUT=240

# offline NAME IO_TIMEOUT: mount NAME.json (layers of $bucket) at
# $TEST_TMP/NAME through a proxy to RGW, list bronze/, then cut the proxy:
# the endpoint is gone.  $ep is the proxy's URL (lm_proxy_start "$ep2"
# with its port brings it back).  Both go when the case ends.
offline() {
	lm_proxy_start ep &&
	test_when_finished lm_proxy_stop &&
	LM_ENDPOINT=$ep lm_config_layers "$TEST_TMP/$1.json" "$bucket" \
		", \"io_timeout\": $2" &&
	lm_mount "$TEST_TMP/$1.json" "$TEST_TMP/$1" &&
	test_when_finished "lm_reap \"$TEST_TMP/$1.json\" \"$TEST_TMP/$1\"" &&
	ls "$TEST_TMP/$1/bronze" >/dev/null &&
	lm_proxy_stop
}

test_expect_success FUSE 'setup: a bucket with an archive, mounted with layers' '
	lm_archive_bucket bucket &&
	echo "$bucket" >"$TEST_TMP/bucket"
'
bucket=$(cat "$TEST_TMP/bucket" 2>/dev/null)

test_expect_success FUSE 'kill -9 while 100 files are written; the remount uploads all 100' '
	lm_config_layers "$TEST_TMP/a.json" "$bucket" &&
	lm_mount "$TEST_TMP/a.json" "$TEST_TMP/a" &&
	test_when_finished "lm_reap \"$TEST_TMP/a.json\" \"$TEST_TMP/a\"" &&
	mkdir "$TEST_TMP/a/bronze/k9" &&
	mkdir src &&
	for i in $(seq 1 100); do head -c $((1000 * i)) /dev/urandom >src/f$i; done &&
	(cd src && sha256sum f*) | sort >want &&
	for i in $(seq 1 100); do cp src/f$i "$TEST_TMP/a/bronze/k9/f$i" || exit 1; done &&
	lm_kill9 "$TEST_TMP/a.json" "$TEST_TMP/a" &&
	lm_mount "$TEST_TMP/a.json" "$TEST_TMP/a" &&
	lm_wait_drained "$TEST_TMP/a" &&
	for i in $(seq 1 100); do
		s3cli get "$bucket" bronze/k9/f$i >got.bin || exit 1
		echo "$(sha256sum <got.bin | cut -d" " -f1)  f$i"
	done | sort >got &&
	test_cmp want got &&
	(cd "$TEST_TMP/a/bronze/k9" && sha256sum f*) | sort >through &&
	test_cmp want through
'

test_expect_success FUSE 'a directory rename of 200 files survives a kill -9 halfway' '
	lm_config_layers "$TEST_TMP/b.json" "$bucket" &&
	lm_mount "$TEST_TMP/b.json" "$TEST_TMP/b" &&
	test_when_finished "lm_reap \"$TEST_TMP/b.json\" \"$TEST_TMP/b\"" &&
	mkdir "$TEST_TMP/b/silver/big" &&
	for i in $(seq 1 200); do echo "row $i" >"$TEST_TMP/b/silver/big/r$i" || exit 1; done &&
	lm_wait_drained "$TEST_TMP/b" &&
	(mv "$TEST_TMP/b/silver/big" "$TEST_TMP/b/silver/renamed" 2>/dev/null &) &&
	for _ in $(seq 1 200); do
		n=$(s3cli ls "$bucket" silver/renamed/ | wc -l)
		[ "$n" -ge 20 ] && break
		sleep 0.02
	done &&
	echo "copies landed before the kill: $n" &&
	lm_kill9 "$TEST_TMP/b.json" "$TEST_TMP/b" &&
	lm_mount "$TEST_TMP/b.json" "$TEST_TMP/b" &&
	lm_wait_drained "$TEST_TMP/b" &&
	test "$(s3cli ls "$bucket" silver/renamed/ | wc -l)" = 201 &&
	test "$(s3cli ls "$bucket" silver/big/ | wc -l)" = 0 &&
	test "$(s3cli get "$bucket" silver/renamed/r123)" = "row 123"
'

test_expect_success FUSE 'with the endpoint down, writes go to the cache and drain when it is back' '
	offline c 4 &&
	echo "written offline" >"$TEST_TMP/c/bronze/offline.txt" &&
	test "$(cat "$TEST_TMP/c/bronze/offline.txt")" = "written offline" &&
	sleep 2 &&
	test "$(lm_stat "$TEST_TMP/c" journal)" -ge 1 &&
	! s3cli head "$bucket" bronze/offline.txt 2>/dev/null &&
	port=${ep##*:} &&
	lm_proxy_start ep2 "$port" &&
	lm_wait_drained "$TEST_TMP/c" &&
	test "$(s3cli get "$bucket" bronze/offline.txt)" = "written offline"
'

test_expect_success FUSE 'unmount with the endpoint down keeps the journal for the next mount' '
	offline d 3 &&
	echo "kept" >"$TEST_TMP/d/bronze/kept.txt" &&
	lm_umount "$TEST_TMP/d" &&
	grep "stay in the journal for the next mount" "$TEST_TMP/d.json.cache/lakemount.log" &&
	port=${ep##*:} &&
	lm_proxy_start ep2 "$port" &&
	lm_mount "$TEST_TMP/d.json" "$TEST_TMP/d" &&
	lm_wait_drained "$TEST_TMP/d" &&
	test "$(s3cli get "$bucket" bronze/kept.txt)" = "kept"
'

test_expect_success FUSE 'a cache full of dirty data: ENOSPC, not silence' '
	LM_CACHE_MAX=8MiB offline e 3 &&
	! dd if=/dev/zero of="$TEST_TMP/e/bronze/full.bin" bs=1M count=16 2>err &&
	grep "No space left on device" err
'

test_done
