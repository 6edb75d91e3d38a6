#!/usr/bin/env bash
test_description='the endpoint goes away and comes back while the lakehouse is mounted

An HTTP relay (tests/lib/faultproxy.py) stands between lakemount and Ceph RGW,
so the test can take the endpoint away, hang it, and bring it back.'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start
TEST_TIMEOUT=180

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
	uncached=$(ls "$d"/*.zip.CHECKSUM | tail -1) &&

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
