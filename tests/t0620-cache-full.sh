#!/usr/bin/env bash
test_description='the cache disk fills up

The cache dir sits on a 48 MiB tmpfs, and the cache cap (1 GiB) is far
above it: what runs out is the disk, not the cap.  Writers get ENOSPC, said
as such; what was acknowledged before still lands; readers of archive files
are served the right bytes while the disk is full; the index and journal
(SQLite, on the same disk) survive SQLITE_FULL; no block file is ever kept
half written, and a remount serves only good blocks; once space frees
(a file deleted, the tmpfs grown) writes work again.  t0410 covers the
cache cap filling with dirty data; this is the disk itself.'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start
TEST_TIMEOUT=300
NREAD=$(lm_stress 10 24)

# s3sum KEY: sha256 of the object as S3 has it
s3sum() {
	s3cli get "$bucket" "$1" >"$TEST_TMP/s3sum.tmp" &&
	sha256sum <"$TEST_TMP/s3sum.tmp" | cut -d" " -f1
}

# uncache FILE: drop FILE from the page cache, so that its next read is
# served by lakemount, not by the kernel
uncache() {
	dd if="$1" iflag=nocache count=0 status=none
}

# read_across FILE LOCAL: with readahead off, 128 KiB reads that straddle
# the first and the last block boundary (1 MiB blocks) get the bytes of
# LOCAL, all of them
read_across() {
	timeout 120 python3 - "$1" "$2" <<-\EOF
	import os, sys
	bs, n = 1 << 20, 131072
	ref = open(sys.argv[2], "rb").read()
	fd = os.open(sys.argv[1], os.O_RDONLY)
	os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
	os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
	for off in sorted({bs - 16384, (len(ref) - 1) // bs * bs - 16384}):
	    got = os.pread(fd, n, off)
	    if got != ref[off:off + n]:
	        print(sys.argv[1], "read of", n, "at", off, "got", len(got), "bytes,",
	              "want", len(ref[off:off + n]), "(or other bytes)")
	        sys.exit(1)
	EOF
}

# read_all [-r]: read every rd/ file through the mount, each checked
# against S3, in the ways readers read: sha256sum on stdin (32 KiB reads:
# the kernel readahead then asks for ranges that straddle blocks), 128 KiB
# reads across block boundaries, and cat (128 KiB reads, which stay inside
# blocks).  A short answer to a read across two blocks once passed for the
# end of the file: sha256sum saw 1 MiB of each file while cat was exact.
# Each way starts with the file out of the page cache.  -r: the last
# first (what the cache holds, before the reads of the others evict it)
read_all() {
	for i in $(if [ "${1:-}" = -r ]; then seq $NREAD -1 1; else seq 1 $NREAD; fi); do
		f=$M/archive/binance/rd/f$i &&
		want=$(cat "$TEST_TMP/rd.sum.$i") &&
		uncache "$f" &&
		got=$(timeout 120 sha256sum <"$f" | cut -d" " -f1) &&
		test "$got" = "$want" || {
			echo "archive/binance/rd/f$i: sha256sum on stdin got $got, S3 has $want; size $(stat -c %s "$f")"
			return 1
		}
		read_across "$f" "$TRASH_DIRECTORY/rd/rd/f$i" &&
		uncache "$f" || return 1
		timeout 120 cat "$f" >"$TEST_TMP/read.$i" &&
		got=$(sha256sum <"$TEST_TMP/read.$i" | cut -d" " -f1) &&
		test "$got" = "$want" || {
			echo "archive/binance/rd/f$i: cat got $got, S3 has $want"
			cmp "$TEST_TMP/read.$i" "$TRASH_DIRECTORY/rd/rd/f$i"
			return 1
		}
	done
}

# no_torn_blocks: every block a map records is whole in its data file:
# its bytes are there (no hole in them) and an LZ4 block is as long as
# recorded (the format is at the top of cache/blocks_file.c)
no_torn_blocks() {
	python3 - "$C/blocks" <<-\EOF
	import os, struct, sys
	bs = int(open(os.path.join(sys.argv[1], "meta")).read().split()[3])
	bad = n = 0
	for dp, _, fns in os.walk(sys.argv[1]):
	    for fn in fns:
	        if not fn.endswith(".map"):
	            continue
	        m = open(os.path.join(dp, fn), "rb").read()
	        fd = os.open(os.path.join(dp, fn[:-4] + ".data"), os.O_RDONLY)
	        size = os.fstat(fd).st_size
	        for no in range(len(m) // 16):
	            r = m[no * 16:no * 16 + 16]
	            if r == bytes(16):
	                continue
	            n += 1
	            raw, plen = struct.unpack("<II", r[4:12])
	            off = no * bs
	            # SEEK_DATA from the block's start must land on it, and
	            # SEEK_HOLE must not come before its end
	            ok = r[:2] == b"L3" and r[2] in (1, 2) and off + plen <= size
	            ok = ok and os.lseek(fd, off, os.SEEK_DATA) == off
	            ok = ok and os.lseek(fd, off, os.SEEK_HOLE) >= off + plen
	            if not ok:
	                print("torn block:", fn, no, raw, plen); bad += 1
	        os.close(fd)
	print("blocks:", n, "bad:", bad)
	sys.exit(1 if bad else 0)
	EOF
}

test_expect_success FUSE,ROOT 'setup: random files in the archive, the cache dir on a 48 MiB tmpfs' '
	test_bucket bucket &&
	s3cli mb "$bucket" &&
	echo "$bucket" >"$TEST_TMP/bucket" &&
	mkdir -p rd/rd &&
	for i in $(seq 1 $NREAD); do
		head -c $(( (i % 4 + 2) * 1048576 + i * 4099 )) /dev/urandom >rd/rd/f$i || exit 1
		sha256sum <rd/rd/f$i | cut -d" " -f1 >"$TEST_TMP/rd.sum.$i"
	done &&
	s3cli put-tree "$bucket" rd data/ &&
	mkdir "$TEST_TMP/disk" &&
	mount -t tmpfs -o size=48m,mode=0700 lmcachefull "$TEST_TMP/disk" &&
	mount_register "$TEST_TMP/disk"
'
bucket=$(cat "$TEST_TMP/bucket" 2>/dev/null)
CFG=$TEST_TMP/disk/lm.json
C=$CFG.cache
M=$TEST_TMP/mnt
B=$M/bronze
# The tmpfs is used by every case: mount_register unmounts it when the
# script ends, whatever happens.  Each case mounts lakemount on it anew.
mount_lm() {
	lm_mount "$CFG" "$M" &&
	test_when_finished "lm_reap \"$CFG\" \"$M\""
}

test_expect_success FUSE,ROOT 'a writer filling the disk gets ENOSPC; what was closed before lands' '
	lm_config_layers "$CFG" "$bucket" &&
	mount_lm &&
	mkdir "$B/full" &&
	for i in 1 2 3 4 5; do
		head -c $((i * 100000)) /dev/urandom >"$B/full/ack$i" || exit 1
	done &&
	(cd "$B/full" && sha256sum ack*) >ack.sum &&
	test "$(ls "$M/archive/binance/rd" | wc -l)" = $NREAD &&
	! timeout 120 dd if=/dev/urandom of="$B/full/big.bin" bs=1M count=100 2>dd.err &&
	cat dd.err &&
	grep "No space left on device" dd.err &&
	df -k "$TEST_TMP/disk" | tail -1 &&
	avail=$(df -k --output=avail "$TEST_TMP/disk" | tail -1) &&
	echo "free on the cache disk: $avail KiB" &&
	test "$avail" -lt 8192 &&
	! timeout 60 dd if=/dev/urandom of="$B/full/more.txt" bs=1M count=2 2>more.err &&
	cat more.err && grep "No space left on device" more.err &&
	echo "reads while the disk is full:" &&
	read_all &&
	ls "$M/archive/binance/rd" | wc -l &&
	lm_wait_drained "$M" &&
	for i in 1 2 3 4 5; do
		echo "$(s3sum bronze/full/ack$i)  ack$i" || exit 1
	done >s3.sum &&
	test_cmp ack.sum s3.sum
'

test_expect_success FUSE,ROOT 'space freed: writes work again and land; the index and journal are intact' '
	mount_lm &&
	rm -f "$B/full/big.bin" "$B/full/more.txt" &&
	avail=$(df -k --output=avail "$TEST_TMP/disk" | tail -1) &&
	echo "free after rm: $avail KiB" &&
	head -c 8000000 /dev/urandom >after.bin &&
	cp after.bin "$B/full/after.bin" &&
	echo "written after" >"$B/full/after.txt" &&
	lm_wait_drained "$M" &&
	test "$(s3sum bronze/full/after.bin)" = "$(sha256sum <after.bin | cut -d" " -f1)" &&
	test "$(s3cli get "$bucket" bronze/full/after.txt)" = "written after" &&
	read_all &&
	test "$(sqlite3 "$C/index.db" "pragma quick_check")" = ok &&
	test "$(sqlite3 "$C/journal.db" "pragma quick_check")" = ok
'

test_expect_success FUSE,ROOT 'the disk full to its last 300 KiB: reads that cannot cache get the right bytes, no block is torn' '
	mount_lm &&
	fill=$(($(df -k --output=avail "$TEST_TMP/disk" | tail -1) - 300)) &&
	{ head -c $((fill * 1024)) /dev/zero >"$TEST_TMP/disk/filler" 2>/dev/null || :; } &&
	df -k "$TEST_TMP/disk" | tail -1 &&
	echo 3 >/proc/sys/vm/drop_caches &&
	read_all &&
	echo "cache: $(lm_stat "$M" cache.stored_bytes) bytes stored" &&
	no_torn_blocks &&
	rm -f "$TEST_TMP/disk/filler"
'

test_expect_success FUSE,ROOT 'not a byte free: SQLite is full, creates say ENOSPC, the index survives' '
	mount_lm &&
	{ head -c 100M /dev/zero >"$TEST_TMP/disk/filler" 2>/dev/null || :; } &&
	df -k "$TEST_TMP/disk" | tail -1 &&
	test "$(df -k --output=avail "$TEST_TMP/disk" | tail -1)" -lt 64 &&
	made=0 &&
	for i in $(seq 1 50); do
		timeout 60 touch "$B/full/t$i" 2>touch.err && made=$((made + 1)) || break
	done &&
	echo "creates that fitted before SQLite was full: $made" &&
	cat touch.err &&
	grep "No space left on device" touch.err &&
	read_all &&
	rm -f "$TEST_TMP/disk/filler" &&
	timeout 60 touch "$B/full/after-full" &&
	lm_wait_drained "$M" &&
	s3cli head "$bucket" bronze/full/after-full &&
	test "$(sqlite3 "$C/index.db" "pragma quick_check")" = ok &&
	test "$(sqlite3 "$C/journal.db" "pragma quick_check")" = ok
'

test_expect_success FUSE,ROOT 'a remount serves only good blocks; a grown tmpfs takes writes again' '
	no_torn_blocks &&
	fill=$(($(df -k --output=avail "$TEST_TMP/disk" | tail -1) - 200)) &&
	{ head -c $((fill * 1024)) /dev/zero >"$TEST_TMP/disk/filler" 2>/dev/null || :; } &&
	mount_lm &&
	read_all -r &&
	hits=$(lm_stat "$M" cache.hits) && pt=$(lm_stat "$M" cache.passthrough_opens) &&
	echo "after the remount, block cache hits: $hits, opens passed through to the cache: $pt" &&
	test $((hits + pt)) -gt 0 &&
	mount -o remount,size=96m "$TEST_TMP/disk" &&
	head -c 8000000 /dev/urandom >grow.bin &&
	timeout 120 cp grow.bin "$B/full/grow.bin" &&
	lm_wait_drained "$M" &&
	test "$(s3sum bronze/full/grow.bin)" = "$(sha256sum <grow.bin | cut -d" " -f1)"
'

test_done
