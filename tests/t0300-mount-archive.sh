#!/usr/bin/env bash
test_description='an analyst mounts a Binance-style archive and reads it with standard tools

A miniature archive (all four markets, daily and monthly, kline and other
types, a non-ASCII symbol, a 6,000-key folder, one corrupted zip) on Ceph
RGW, mounted at archive/binance.'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start
TEST_TIMEOUT=240
BIG=spot/daily/klines/BTCUSDT/1m

checksum_is() {  # FILE STATE: user.lakemount.checksum of FILE is STATE
	test "$(getfattr --only-values -n user.lakemount.checksum "$1")" = "$2"
}

test_expect_success FUSE 'setup: the archive bucket and a mount' '
	lm_archive_bucket bucket --corrupt &&
	echo "$bucket" >"$TEST_TMP/bucket" &&
	head -c $((96 << 20)) /dev/urandom >"$TEST_TMP/big" &&
	s3cli put "$bucket" data/big.bin "$TEST_TMP/big" &&
	echo "data/big.bin	$((96 << 20))" >>"$TEST_TMP/bucket.manifest" &&
	lm_config "$TEST_TMP/lm.json" "$bucket" &&
	lm_mount "$TEST_TMP/lm.json" "$TEST_TMP/mnt"
'
bucket=$(cat "$TEST_TMP/bucket" 2>/dev/null)
M=$TEST_TMP/mnt/archive/binance
manifest=$TEST_TMP/bucket.manifest

test_expect_success FUSE 'the tree of the config is shown, archive/ made up' '
	ls "$TEST_TMP/mnt" >top && echo archive >want && test_cmp want top &&
	ls "$TEST_TMP/mnt/archive" >mid && echo binance >want && test_cmp want mid &&
	test -d "$M/spot/daily/klines" && test -d "$M/futures/um/monthly" &&
	test -d "$M/futures/cm/daily" && test -d "$M/option/daily/BVOLIndex"
'

test_expect_success FUSE 'find of the archive equals its key list' '
	(cd "$M" && find . -type f | sed "s|^\./|data/|") | LC_ALL=C sort >found &&
	cut -f1 "$manifest" | LC_ALL=C sort >want &&
	test_cmp want found &&
	test $(wc -l <found) -gt 6000
'

test_expect_success FUSE 'ls -l sizes and mtimes match S3, without one HEAD per file' '
	heads=$(lm_stat "$TEST_TMP/mnt" requests.head) &&
	(cd "$M/$BIG" && stat -c "%n	%s	%Y" *) | LC_ALL=C sort >got &&
	s3cli ls "$bucket" "data/$BIG/" | sed "s|^data/$BIG/||" | LC_ALL=C sort >want &&
	test_cmp want got &&
	test $(wc -l <got) = 6000 &&
	test "$(lm_stat "$TEST_TMP/mnt" requests.head)" = "$heads"
'

test_expect_success FUSE 'sha256sum -c passes for every zip but the corrupted one' '
	corrupt=$(sed -n "s/^lakemount-mkarchive: corrupt: data\///p" "$TEST_TMP/bucket.mkarchive") &&
	test -n "$corrupt" &&
	(cd "$M" && find . -name "*.CHECKSUM" ! -path "./$BIG/*") >sums &&
	test $(wc -l <sums) -gt 100 &&
	: >failed &&
	while read -r sum; do
		(cd "$M/${sum%/*}" && sha256sum --quiet -c "${sum##*/}") >/dev/null 2>&1 ||
		echo "$sum" >>failed
	done <sums &&
	echo "./$corrupt.CHECKSUM" >want &&
	test_cmp want failed
'

test_expect_success FUSE 'a zip read whole is checked against its CHECKSUM, which a read then takes from the cache' '
	corrupt=$(sed -n "s/^lakemount-mkarchive: corrupt: data\///p" "$TEST_TMP/bucket.mkarchive") &&
	zip=$(cut -f1 "$manifest" | grep "\.zip\$" | grep -v "$corrupt" | LC_ALL=C sort | head -1) &&
	zip=${zip#data/} &&
	lm_config "$TEST_TMP/side.json" "$bucket" &&
	lm_mount "$TEST_TMP/side.json" "$TEST_TMP/side" &&
	test_when_finished "lm_umount $TEST_TMP/side" &&
	f=$TEST_TMP/side/archive/binance/$zip &&
	ls "${f%/*}" >/dev/null &&
	cat "$f" >/dev/null &&
	wait_until 10 checksum_is "$f" ok &&
	lm_settled "$TEST_TMP/side" &&
	gets=$(lm_stat "$TEST_TMP/side" requests.get) &&
	(cd "${f%/*}" && sha256sum --quiet -c "${f##*/}.CHECKSUM") &&
	test "$(lm_stat "$TEST_TMP/side" requests.get)" = "$gets"
'

# slow_sidecar N NAME: mounts the archive at $TEST_TMP/NAME behind a fault
# proxy that holds every GET of a .CHECKSUM for 3 s, lists the folder of
# the Nth good zip of the archive and sets f to that zip in the mount.
slow_sidecar() {
	local corrupt zip
	corrupt=$(sed -n "s/^lakemount-mkarchive: corrupt: data\///p" "$TEST_TMP/bucket.mkarchive") &&
	zip=$(cut -f1 "$manifest" | grep "\.zip\$" | grep -v "$corrupt" | LC_ALL=C sort | sed -n "$1p") &&
	lm_proxy_start ep &&
	test_when_finished lm_proxy_stop &&
	echo "methods=GET match=.CHECKSUM delay=3000" >"$TEST_TMP/proxy.ctl" &&
	LM_ENDPOINT=$ep lm_config "$TEST_TMP/$2.json" "$bucket" &&
	lm_mount "$TEST_TMP/$2.json" "$TEST_TMP/$2" &&
	test_when_finished "lm_umount $TEST_TMP/$2" &&
	f=$TEST_TMP/$2/archive/binance/${zip#data/} &&
	ls "${f%/*}" >/dev/null
}

# sidecar_gets_are N: the proxy held N GETs (those of f's CHECKSUM).
sidecar_gets_are() {
	local n
	n=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1]))[\"matched\"])" "$TEST_TMP/proxy.stats") &&
	echo "GETs of ${f##*/}.CHECKSUM: $n" &&
	test "$n" = "$1"
}

# The check of a zip GETs its CHECKSUM; a read of that CHECKSUM meanwhile
# waits for that GET (a flight of the reader) instead of sending its own.
# The proxy holds GETs of a sidecar for 3 s; the read comes 1 s after the
# zip's, while the check's GET is out (the check starts as soon as the zip's
# last block has landed).
test_expect_success FUSE 'a CHECKSUM read while the check of its zip fetches it is fetched once' '
	slow_sidecar 2 slow &&
	cat "$f" >/dev/null && sleep 1 &&
	cat "$f.CHECKSUM" >sum &&
	wait_until 10 checksum_is "$f" ok &&
	(cd "${f%/*}" && sha256sum --quiet -c "${f##*/}.CHECKSUM") &&
	sidecar_gets_are 1 &&
	grep -q " ${f##*/}\$" sum
'

# The other order: the CHECKSUM is read first and its GET is running (held
# 3 s by the proxy) when the zip is read and checked; the check waits for
# that GET instead of sending its own.
test_expect_success FUSE 'the check of a zip waits for the running GET of its CHECKSUM' '
	slow_sidecar 3 slow2 &&
	{ cat "$f.CHECKSUM" >sum & pid=$!; } && sleep 1 &&
	cat "$f" >/dev/null &&
	wait $pid &&
	wait_until 10 checksum_is "$f" ok &&
	sidecar_gets_are 1 &&
	grep -q " ${f##*/}\$" sum
'

test_expect_success FUSE 'the corrupted zip is caught: xattr, EIO, and a log line naming it' '
	corrupt=$(sed -n "s/^lakemount-mkarchive: corrupt: data\///p" "$TEST_TMP/bucket.mkarchive") &&
	test "$(getfattr --only-values -n user.lakemount.checksum "$M/$corrupt")" = mismatch &&
	! cat "$M/$corrupt" >/dev/null 2>err &&
	grep "Input/output error" err &&
	grep "checksum mismatch: .*$corrupt" "$TEST_TMP/lm.json.cache/lakemount.log" &&
	ok=$(cd "$M" && find . -name "*.zip" ! -path "./$BIG/*" | grep -v -F "$corrupt" | head -1) &&
	test "$(getfattr --only-values -n user.lakemount.checksum "$M/$ok")" = ok
'

test_expect_success FUSE 'unzip -p gives the CSV of a day of klines' '
	f=$(ls "$M/spot/daily/klines/ETHUSDT/1h/"*.zip | tail -1) &&
	unzip -p "$f" >day.csv &&
	test $(wc -l <day.csv) -gt 0 &&
	test "$(head -1 day.csv | awk -F, "{print NF}")" = 12
'

test_expect_success FUSE 'a non-ASCII symbol is listed and read' '
	ls "$M/spot/daily/klines" | grep -x "币安人生USDT" &&
	f=$(find "$M/spot/daily/klines/币安人生USDT" -name "*.zip" | head -1) &&
	(cd "${f%/*}" && sha256sum -c "${f##*/}.CHECKSUM")
'

test_expect_success FUSE 'a second read of a file makes no request' '
	f=$(ls "$M/spot/monthly/klines/BTCUSDT/1m/"*.zip | head -1) &&
	cat "$f" >first &&
	before=$(lm_requests "$TEST_TMP/mnt") &&
	cat "$f" >second &&
	cmp first second &&
	test "$(lm_requests "$TEST_TMP/mnt")" = "$before"
'

test_expect_success FUSE 'a 96 MiB object reads back exactly, cold and warm' '
	cmp "$TEST_TMP/big" "$M/big.bin" &&
	echo 3 >/proc/sys/vm/drop_caches &&
	cmp "$TEST_TMP/big" "$M/big.bin"
'

# Reads of odd sizes at odd offsets cross the 1 MiB cache blocks: the answer
# to each is the whole range (a short one is taken for end of file).
test_expect_success FUSE 'reads of any size at any offset, cold, return the whole range' '
	echo 3 >/proc/sys/vm/drop_caches &&
	python3 - "$TEST_TMP/big" "$M/big.bin" <<-\PY
	import os, random, sys
	ref, f = open(sys.argv[1], "rb"), os.open(sys.argv[2], os.O_RDONLY)
	os.posix_fadvise(f, 0, 0, os.POSIX_FADV_RANDOM)
	size, rnd, n = os.fstat(f).st_size, random.Random(300), 0
	for i in range(400):
	    length = rnd.choice([1, 4095, 4096, 16384, 100000, 131072, 1 << 20, 3 << 20])
	    off = rnd.randrange(0, size) if i % 2 else (rnd.randrange(1, size >> 20) << 20) - rnd.randrange(1, 65536)
	    got = os.pread(f, length, off)
	    ref.seek(off)
	    want = ref.read(length)
	    assert got == want, "pread %d at %d: %d bytes back, %d wanted, equal prefix %s" % (
	        length, off, len(got), len(want), got == want[:len(got)])
	    n += len(got)
	assert os.fstat(f).st_size == size, "the size changed to %d" % os.fstat(f).st_size
	print("400 preads, %d bytes, all whole" % n)
	PY
'

test_expect_success FUSE 'extended attributes: etag, url, cached, checksum' '
	f=$(ls "$M/spot/monthly/klines/BTCUSDT/1m/"*.zip | head -1) &&
	key=data/${f#$M/} &&
	test "$(getfattr --only-values -n user.lakemount.url "$f")" = "s3://$bucket/$key" &&
	etag=$(s3cli head "$bucket" "$key" | cut -d" " -f2) &&
	test "$(getfattr --only-values -n user.lakemount.etag "$f")" = "$etag" &&
	test "$(getfattr --only-values -n user.lakemount.cached "$f")" = "$(stat -c %s "$f")" &&
	getfattr -d -m - "$f" | grep -c "^user.lakemount" >n && test "$(cat n)" = 4 &&
	! getfattr -n security.selinux "$f" 2>err && grep "Operation not supported" err &&
	! getfattr -n user.other "$f" 2>err && grep "No such attribute" err
'

test_expect_success FUSE 'a listing cut short by closedir, then a whole one' '
	lm_config "$TEST_TMP/short.json" "$bucket" &&
	lm_mount "$TEST_TMP/short.json" "$TEST_TMP/short" &&
	ls -f "$TEST_TMP/short/archive/binance/$BIG" | head -3 >three &&
	test $(wc -l <three) = 3 &&
	ls "$TEST_TMP/short/archive/binance/$BIG" >all &&
	test $(wc -l <all) = 6000 &&
	lm_umount "$TEST_TMP/short"
'

test_expect_success FUSE 'a lookup in a directory never listed costs at most two requests' '
	key=$(grep "^data/futures/um/daily/metrics/" "$manifest" | head -1 | cut -f1) &&
	before=$(lm_requests "$TEST_TMP/mnt") &&
	stat "$M/${key#data/}" >/dev/null &&
	after=$(lm_requests "$TEST_TMP/mnt") &&
	echo "$before -> $after" &&
	test $((after - before)) -le 8 &&
	before=$after &&
	stat "$M/futures/um/daily/metrics/nothing-here.zip" 2>/dev/null;
	after=$(lm_requests "$TEST_TMP/mnt") &&
	echo "$before -> $after" &&
	test $((after - before)) -le 2
'

test_expect_success FUSE 'a deep folder costs one round trip for its whole path, not one per level, and its first file none more' '
	top=$(cut -f1 "$manifest" | grep "^data/.*/.*/.*/" | LC_ALL=C sort | head -1 | cut -d/ -f2) &&
	first=$(cut -f1 "$manifest" | grep "^data/$top/" | LC_ALL=C sort | head -1) &&
	dir=${first%/*} && dir=${dir#data/} &&
	levels=$(echo "$dir" | tr / "\n" | wc -l) &&
	echo "first key $first: $levels levels" &&
	test "$levels" -ge 4 &&
	lm_config "$TEST_TMP/deep.json" "$bucket" &&
	lm_mount "$TEST_TMP/deep.json" "$TEST_TMP/deep" &&
	test_when_finished "lm_umount $TEST_TMP/deep" &&
	before=$(lm_requests "$TEST_TMP/deep") &&
	stat "$TEST_TMP/deep/archive/binance/$dir" >/dev/null &&
	after=$(lm_requests "$TEST_TMP/deep") &&
	echo "$((after - before)) requests" &&
	test $((after - before)) -le 2 &&
	size=$(grep "^$first	" "$manifest" | cut -f2) &&
	test "$(stat -c %s "$TEST_TMP/deep/archive/binance/${first#data/}")" = "$size" &&
	test "$(lm_requests "$TEST_TMP/deep")" = "$after" &&
	ls "$TEST_TMP/deep/archive/binance/$dir" >got &&
	grep "^data/$dir/[^/]*\$" "$manifest" | cut -f1 | sed "s|.*/||" | LC_ALL=C sort >want &&
	test_cmp want got
'

test_expect_success FUSE 'after a remount, ls -l of a listed folder makes no request' '
	ls -l "$M/$BIG" >before.txt &&
	lm_umount "$TEST_TMP/mnt" &&
	lm_mount "$TEST_TMP/lm.json" "$TEST_TMP/mnt" &&
	ls -l "$M/$BIG" >after.txt &&
	test_cmp before.txt after.txt &&
	test "$(lm_requests "$TEST_TMP/mnt")" = 0
'

test_expect_success FUSE 'writes to the archive are refused' '
	! touch "$M/new-file" 2>err && grep -i "read-only" err &&
	! rm "$(ls "$M/spot/daily/klines/ETHUSDT/1h/"*.zip | head -1)" 2>err &&
	grep -i -e "read-only" -e "permission" err
'

test_expect_success FUSE 'the cache directory is private' '
	test "$(stat -c %a "$TEST_TMP/lm.json.cache")" = 700 &&
	f=$(find "$TEST_TMP/lm.json.cache/blocks" -type f | head -1) && test -n "$f" &&
	test "$(stat -c %a "$f")" = 600
'

test_expect_success FUSE 'fusermount3 -u unmounts and the daemon exits' '
	lm_umount "$TEST_TMP/mnt" &&
	! mountpoint -q "$TEST_TMP/mnt"
'

test_done
