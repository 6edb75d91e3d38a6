#!/usr/bin/env bash
test_description='the endpoint goes away and comes back while the lakehouse is mounted

An HTTP relay (tests/lib/faultproxy.py) stands between lakemount and Ceph RGW,
so the test can take the endpoint away, hang it, and bring it back.'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start
TEST_TIMEOUT=180

cached_is() {  # FILE BYTES: user.lakemount.cached of FILE is BYTES
	test "$(getfattr --absolute-names --only-values -n user.lakemount.cached "$1")" = "$2"
}

test_expect_success FUSE 'offline: listed folders and cached data stay readable, the rest fails in time' '
	lm_archive_bucket bucket --big-folder 50 &&
	lm_proxy_start LM_ENDPOINT &&
	test_when_finished "lm_proxy_stop" &&
	port=${LM_ENDPOINT##*:} &&
	lm_config "$PWD/lm.json" "$bucket" "" ", \"io_timeout\": 4" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	M=$PWD/mnt/archive/binance &&
	d=$M/spot/daily/klines/ETHUSDT/1h &&
	ls -l "$d" >listed &&
	cached=$(ls "$d"/*.zip | tail -1) &&
	cat "$cached" >cached.bytes &&
	# (not that zip'"'"'s own sidecar: checking the zip caches it)
	uncached=$(ls "$d"/*.zip.CHECKSUM | head -1) &&
	test "$uncached" != "$cached.CHECKSUM" &&

	lm_proxy_stop &&
	ls -l "$d" >listed-offline &&
	test_cmp listed listed-offline &&
	cat "$cached" | cmp - cached.bytes &&
	start=$(date +%s) &&
	! cat "$uncached" >/dev/null 2>err &&
	end=$(date +%s) &&
	cat err && grep "Input/output error" err &&
	echo "failed after $((end - start)) s" &&
	test $((end - start)) -le 10 &&

	lm_proxy_start LM_ENDPOINT "$port" &&
	cat "$uncached" >back &&
	grep -q "  " back &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'a slow endpoint: tail -c of a cold file is answered before its block has come, and the block comes' '
	mkdir slow && cd slow &&
	test_bucket b && s3cli mb "$b" &&
	put_random "$b" data/test/big.bin $((16 << 20)) &&
	lm_proxy_start LM_ENDPOINT &&
	test_when_finished "lm_proxy_stop" &&
	lm_config "$PWD/lm.json" "$b" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	f=$PWD/mnt/archive/binance/test/big.bin &&
	test "$(stat -c %s "$f")" = $((16 << 20)) &&
	gets=$(lm_stat mnt requests.get) &&
	# 128 KiB/s: the 1 MiB block holding the last bytes takes 8 s
	echo rate=131072 >"$TEST_TMP/proxy.ctl" &&
	tail -c 100 "$f" >tail.out &&
	cached=$(getfattr --absolute-names --only-values -n user.lakemount.cached "$f") &&
	echo "right after tail: $cached bytes cached, $(($(lm_stat mnt requests.get) - gets)) GETs ended" &&
	tail -c 100 big.bin | cmp - tail.out &&
	test "$cached" = 0 &&
	wait_until 30 cached_is "$f" $((1 << 20)) &&
	: >"$TEST_TMP/proxy.ctl" &&
	lm_settled mnt &&
	gets=$(lm_stat mnt requests.get) &&
	tail -c 300000 "$f" | cmp - <(tail -c 300000 big.bin) &&
	test "$(lm_stat mnt requests.get)" = "$gets" &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'a hung endpoint leaves no process stuck' '
	lm_archive_bucket bucket --big-folder 50 &&
	lm_proxy_start LM_ENDPOINT &&
	test_when_finished "lm_proxy_stop" &&
	lm_config "$PWD/lm.json" "$bucket" "" ", \"io_timeout\": 4" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	M=$PWD/mnt/archive/binance &&
	ls "$M/spot/daily/klines/ETHUSDT/1h" >/dev/null &&
	lm_proxy_hang &&
	start=$(date +%s) &&
	pids= &&
	for f in $(ls "$M/spot/daily/klines/ETHUSDT/1h/"*); do
		(cat "$f" >/dev/null 2>&1; echo $? >>rcs) &
		pids="$pids $!"
	done &&
	wait $pids &&
	end=$(date +%s) &&
	echo "readers ended after $((end - start)) s: $(tr "\n" " " <rcs)" &&
	test $((end - start)) -le 15 &&
	! grep -qx 0 rcs &&
	test $(wc -l <rcs) = 4 &&	# two zips and their CHECKSUMs
	lm_proxy_hang &&
	cat "$(ls "$M/spot/daily/klines/ETHUSDT/1h/"*.zip | head -1)" >/dev/null &&
	lm_umount "$PWD/mnt"
'

test_done
