#!/usr/bin/env bash
test_description='the block cache: a cap that holds, no mixed versions, one GET per block

Objects of random bytes on Ceph RGW under data/test/, mounted at
archive/binance/test/.  Each case mounts with its own config (and so its own
cache directory), so that request counts start from zero.'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start

# wait_etag FILE BUCKET KEY: wait (up to 10 s) until the mount has KEY's
# ETag in S3 for FILE.  (The daemon learns of a replacement from a 412, and
# then asks S3 for the new ETag: a new open may come before that.)
wait_etag() {
	local want
	want=$(s3cli head "$2" "$3" | cut -d" " -f2) || return 1
	for _ in $(seq 1 100); do
		test "$(getfattr --only-values -n user.lakemount.etag "$1")" = "$want" &&
		return 0
		sleep 0.1
	done
	echo "$1: ETag still $(getfattr --only-values -n user.lakemount.etag "$1"), S3 has $want"
	return 1
}

# counters MNT: "get bytes_in" now.
counters() {
	echo "$(lm_stat "$1" requests.get) $(lm_stat "$1" requests.bytes_in)"
}

# mount_bucket BUCKET: a config for BUCKET here (lm.json), mounted at ./mnt,
# reaped however the case ends
mount_bucket() {
	lm_config "$PWD/lm.json" "$1" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt"
}

cached() { getfattr --absolute-names --only-values -n user.lakemount.cached "$1"; }
cached_is() { test "$(cached "$1")" = "$2"; }
test_cached_more() { test "$(cached "$1")" -gt "$2"; }
# test_cached_all DIR FROM TO: fFROM..fTO of DIR are whole in the cache
test_cached_all() {
	local i
	for i in $(seq "$2" "$3"); do
		test "$(cached "$1/f$i")" = $((100 << 10)) || return 1
	done
}

test_expect_success FUSE 'reading 2.5 times the cache cap keeps the cache under its cap' '
	mkdir cap && cd cap &&
	test_bucket b && s3cli mb "$b" &&
	for i in 1 2 3 4; do
		put_random "$b" data/test/part-$i.bin $((5 << 20)) || return 1
	done &&
	cap=$((8 << 20)) &&
	LM_CACHE_MAX=8MiB lm_config "$PWD/lm.json" "$b" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	M=$PWD/mnt/archive/binance/test &&
	for i in 1 2 3 4 1; do
		cmp "$M/part-$i.bin" part-$i.bin || return 1
	done &&
	stored=$(lm_stat mnt cache.stored_bytes) &&
	evicted=$(lm_stat mnt cache.evicted) &&
	disk=$(du -s -B1 "$PWD/lm.json.cache/blocks" | cut -f1) &&
	echo "cap $cap, stored $stored, on disk $disk, evicted $evicted blocks" &&
	test "$(lm_stat mnt cache.max_bytes)" = "$cap" &&
	test "$stored" -le "$cap" &&
	test "$disk" -le $((cap + (256 << 10))) &&
	test "$evicted" -gt 0 &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'cat of a cold 48 MiB file finishes, twice in a row' '
	mkdir cold && cd cold &&
	test_bucket b && s3cli mb "$b" &&
	put_random "$b" data/test/trades-1.bin $((48 << 20)) &&
	put_random "$b" data/test/trades-2.bin $((48 << 20)) &&
	mount_bucket "$b" &&
	M=$PWD/mnt/archive/binance/test &&
	timeout 30 cat "$M/trades-1.bin" >got-1 &&
	timeout 30 cat "$M/trades-2.bin" >got-2 &&
	cmp got-1 trades-1.bin &&
	cmp got-2 trades-2.bin &&
	lm_umount "$PWD/mnt"
'

# replace.py PATH OLD NEW BUCKET KEY [keep]: opens PATH, reads its first 4 KiB
# (which must be OLD's), replaces the object in S3 with NEW (python3 runs
# s3cli itself, so nothing is read in between), then reads on from its
# second MiB, from the same handle, a MiB at a time.  (A first read of 4 KiB
# is a first request of 16 KiB: the readahead window opens at 4 MiB, and
# most of the object is still to come when it is replaced.  A first request
# of a whole block, which a first read of a MiB can be, opens it at 64 MiB.)
# It prints one letter per read: O (bytes of OLD, maybe fewer than asked
# for), N (bytes of NEW), E (EIO), X (anything else, explained on stderr).
# With "keep", it then waits (up to 10 s) for the mount to learn the new
# ETag (user.lakemount.etag), reads the whole file through a second handle
# and prints a second line, and reads the first handle again from the start
# and prints a third.
cat >"$TEST_TMP/replace.py" <<'EOF'
import errno, os, subprocess, sys, time
path, old_file, new_file, bucket, key = sys.argv[1:6]
keep = sys.argv[6:] == ['keep']
MiB = 1 << 20
old = open(old_file, 'rb').read()
new = open(new_file, 'rb').read()

def read_on(fd, off):
    seen = ''
    while off < len(old):
        try:
            got = os.pread(fd, MiB, off)
        except OSError as e:
            seen += 'E' if e.errno == errno.EIO else 'X'
            if e.errno != errno.EIO:
                print('at %d: %s' % (off, e), file=sys.stderr)
            off += MiB
            continue
        if not got:
            print('at %d: end of file' % off, file=sys.stderr)
            return seen + 'X'
        if got == old[off:off + len(got)]:
            seen += 'O'
        elif got == new[off:off + len(got)]:
            seen += 'N'
        else:
            seen += 'X'
            pages = ''.join('O' if got[i:i + 4096] == old[off + i:off + i + 4096] else
                            'N' if got[i:i + 4096] == new[off + i:off + i + 4096] else
                            '?' for i in range(0, len(got), 4096))
            print('at %d: %d bytes, 4 KiB pages from %s' % (off, len(got), pages),
                  file=sys.stderr)
        off += len(got)
    return seen

etag = os.getxattr(path, 'user.lakemount.etag')
fd = os.open(path, os.O_RDONLY)
if os.pread(fd, 4096, 0) != old[:4096]:
    sys.exit('the first 4 KiB are not the old version')
subprocess.run(['s3cli', 'put', bucket, key, new_file], check=True)
print(read_on(fd, MiB))
if keep:
    for _ in range(100):
        if os.getxattr(path, 'user.lakemount.etag') != etag:
            break
        time.sleep(0.1)
    else:
        print('the mount still has the old ETag', file=sys.stderr)
    fd2 = os.open(path, os.O_RDONLY)
    print(read_on(fd2, 0))
    print(read_on(fd, 0))
    os.close(fd2)
os.close(fd)
EOF

test_expect_success FUSE 'an object replaced while it is read never yields bytes of both' '
	mkdir replaced && cd replaced &&
	test_bucket b && s3cli mb "$b" &&
	put_random "$b" data/test/day.bin $((48 << 20)) && mv day.bin A &&
	head -c $((48 << 20)) /dev/urandom >B &&
	mount_bucket "$b" &&
	f=$PWD/mnt/archive/binance/test/day.bin &&
	timeout 60 python3 "$TEST_TMP/replace.py" "$f" A B "$b" data/test/day.bin >seen &&
	echo "reads after the replacement: $(cat seen)" &&
	! grep -q "[NX]" seen &&
	grep -q E seen &&
	grep -q "day.bin.* was replaced" lm.json.cache/lakemount.log &&
	wait_etag "$f" "$b" data/test/day.bin &&
	timeout 30 cmp "$f" B &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'a reader that keeps the old version open never gets the new one' '
	mkdir kept-open && cd kept-open &&
	test_bucket b && s3cli mb "$b" &&
	put_random "$b" data/test/day.bin $((48 << 20)) && mv day.bin A &&
	head -c $((48 << 20)) /dev/urandom >B &&
	mount_bucket "$b" &&
	f=$PWD/mnt/archive/binance/test/day.bin &&
	timeout 60 python3 "$TEST_TMP/replace.py" "$f" A B "$b" data/test/day.bin keep >seen &&
	{ read -r old_after; read -r new_open; read -r old_again; } <seen &&
	echo "old handle after the replacement: $old_after" &&
	echo "a new handle:                     $new_open" &&
	echo "the old handle once more:         $old_again" &&
	! echo "$new_open" | grep -q "[OEX]" &&
	! echo "$old_after$old_again" | grep -q "[NX]" &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'a file replaced and then put back reads again' '
	mkdir put-back && cd put-back &&
	test_bucket b && s3cli mb "$b" &&
	put_random "$b" data/test/day.bin $((48 << 20)) && mv day.bin A &&
	head -c $((48 << 20)) /dev/urandom >B &&
	mount_bucket "$b" &&
	f=$PWD/mnt/archive/binance/test/day.bin &&
	timeout 60 python3 "$TEST_TMP/replace.py" "$f" A B "$b" data/test/day.bin >seen &&
	echo "A replaced by B: $(cat seen)" &&
	wait_etag "$f" "$b" data/test/day.bin &&
	timeout 60 python3 "$TEST_TMP/replace.py" "$f" B A "$b" data/test/day.bin >seen &&
	echo "B replaced by A: $(cat seen)" &&
	! grep -q "[NX]" seen &&
	wait_etag "$f" "$b" data/test/day.bin &&
	timeout 30 cmp "$f" A &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'eight readers of one cold file cost the GETs of one' '
	mkdir eight && cd eight &&
	test_bucket b && s3cli mb "$b" &&
	put_random "$b" data/test/one.bin $((2 << 20)) &&
	put_random "$b" data/test/eight.bin $((2 << 20)) &&
	mount_bucket "$b" &&
	M=$PWD/mnt/archive/binance/test &&
	ls -l "$M" >/dev/null &&
	g0=$(lm_stat mnt requests.get) &&
	cat "$M/one.bin" >one.out &&
	g1=$(lm_stat mnt requests.get) &&
	pids= &&
	for i in 1 2 3 4 5 6 7 8; do
		cat "$M/eight.bin" >eight.$i &
		pids="$pids $!"
	done &&
	wait $pids &&
	g8=$(lm_stat mnt requests.get) &&
	echo "one reader: $((g1 - g0)) GETs; eight readers: $((g8 - g1)) GETs" &&
	cmp one.out one.bin &&
	for i in 1 2 3 4 5 6 7 8; do cmp eight.$i eight.bin || return 1; done &&
	test $((g8 - g1)) = $((g1 - g0)) &&
	lm_umount "$PWD/mnt"
'

# A block a sequential reader is part way through is the block it needs
# next.  Before, it could be the one entry the memory cache could drop, and
# each further read of it went to disk.  It takes a reader whose requests
# are smaller than a block (the kernel's are 256 KiB or 1 MiB, by how its
# readahead goes; read256.py asks for 256 KiB with the kernel's readahead
# off) and a memory cache (16 MiB) that blocks held by unfinished GETs
# fill: here those of the folder's next four files, fetched ahead when the
# third file of a run in name order is opened.  The proxy sends them at
# 1 MiB/s, so after 5 s about 20 MiB of them have come and none of their
# GETs (8 MiB each) has ended.  The build before read blocks back from the
# cache 74,548 times in this read of 32 MiB.
cat >"$TEST_TMP/read256.py" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
with open(sys.argv[2], 'wb') as out:
    while True:
        b = os.read(fd, 256 << 10)
        if not b:
            break
        out.write(b)
EOF

test_expect_success FUSE 'a cold file read 256 KiB at a time while the next files come slowly: nothing read back from the cache' '
	mkdir slownext && cd slownext &&
	test_bucket b && s3cli mb "$b" &&
	put_random "$b" data/test/p-1.bin 1000 &&
	put_random "$b" data/test/p-2.bin 1000 &&
	put_random "$b" data/test/p-3.bin $((32 << 20)) &&
	for i in 1 2 3 4; do
		put_random "$b" data/test/s-$i.bin $((8 << 20)) || return 1
	done &&
	lm_proxy_start ep &&
	test_when_finished lm_proxy_stop &&
	echo "methods=GET match=/test/s- rate=1048576" >"$TEST_TMP/proxy.ctl" &&
	LM_ENDPOINT=$ep lm_config "$PWD/lm.json" "$b" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	M=$PWD/mnt/archive/binance/test &&
	ls "$M" >/dev/null &&
	for i in 1 2 3; do
		exec 3<"$M/p-$i.bin" && exec 3<&- || return 1
	done &&
	sleep 5 &&
	timeout 60 python3 "$TEST_TMP/read256.py" "$M/p-3.bin" got &&
	hits=$(lm_stat mnt cache.hits) &&
	echo "blocks read back from the cache: $hits" &&
	cmp got p-3.bin &&
	test "$hits" = 0 &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'after a restart a cached file is read without a request' '
	mkdir restart && cd restart &&
	test_bucket b && s3cli mb "$b" &&
	put_random "$b" data/test/kept.bin $((3 << 20)) &&
	mount_bucket "$b" &&
	f=$PWD/mnt/archive/binance/test/kept.bin &&
	cmp "$f" kept.bin &&
	test "$(lm_stat mnt requests.get)" -gt 0 &&
	lm_umount "$PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	cmp "$f" kept.bin &&
	echo "after the restart: $(lm_stat mnt requests.get) GETs, $(lm_requests mnt) requests" &&
	test "$(lm_stat mnt requests.get)" = 0 &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'tail -c 100 of a 64 MiB file fetches at most two blocks' '
	mkdir tail && cd tail &&
	test_bucket b && s3cli mb "$b" &&
	put_random "$b" data/test/big.bin $((64 << 20)) &&
	mount_bucket "$b" &&
	f=$PWD/mnt/archive/binance/test/big.bin &&
	test "$(stat -c %s "$f")" = $((64 << 20)) &&
	set -- $(counters mnt) && g0=$1 b0=$2 &&
	tail -c 100 "$f" >tail.out &&
	set -- $(counters mnt) && g1=$1 b1=$2 &&
	echo "tail -c 100: $((g1 - g0)) GETs, $((b1 - b0)) bytes in" &&
	tail -c 100 big.bin | cmp - tail.out &&
	test $((g1 - g0)) -le 2 &&
	test $((b1 - b0)) -le $(((2 << 20) + (64 << 10))) &&
	lm_umount "$PWD/mnt"
'

# head closes its file before the 4 MiB fetched ahead of it land (here the
# relay paces answers at 2 MiB/s): those blocks must not keep that much of
# the readahead budget (64 MiB) from later readers.  They did, for the life
# of the mount, before 2026-12-06: after thirteen such heads the next reader
# would get no readahead at all.  (The heads go in reverse name order, which
# starts no fetching ahead across files; the last read asks for half a
# block, so its window opens at 4 MiB, not wide.)
test_expect_success FUSE 'after head -c 100 of thirteen cold files, a read of another still has its next 4 MiB fetched ahead' '
	mkdir head && cd head &&
	test_bucket b && s3cli mb "$b" &&
	for i in $(seq 10 23); do
		put_random "$b" data/test/h$i.bin $((6 << 20)) || return 1
	done &&
	lm_proxy_start LM_ENDPOINT &&
	test_when_finished "lm_proxy_stop" &&
	mount_bucket "$b" &&
	M=$PWD/mnt/archive/binance/test &&
	stat "$M"/h*.bin >/dev/null &&
	echo rate=2097152 >"$TEST_TMP/proxy.ctl" &&
	for i in $(seq 22 -1 10); do
		head -c 100 "$M/h$i.bin" | cmp - <(head -c 100 h$i.bin) || return 1
	done &&
	echo "after the heads: h10.bin $(cached "$M/h10.bin") bytes cached" &&
	wait_until 30 cached_is "$M/h10.bin" $((5 << 20)) &&
	: >"$TEST_TMP/proxy.ctl" &&
	lm_settled mnt &&
	dd if="$M/h23.bin" bs=512K count=1 iflag=direct status=none |
		cmp - <(head -c 512K h23.bin) &&
	wait_until 10 cached_is "$M/h23.bin" $((5 << 20)) &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'unzip -l of a 32 MiB zip reads its directory, not the whole zip' '
	mkdir unzip && cd unzip &&
	test_bucket b && s3cli mb "$b" &&
	python3 -c "
import os, zipfile
with zipfile.ZipFile(\"trades.zip\", \"w\", zipfile.ZIP_STORED) as z:
    for i in range(32):
        z.writestr(\"part-%02d.csv\" % i, os.urandom(1 << 20))
" &&
	size=$(stat -c %s trades.zip) &&
	s3cli put "$b" data/test/trades.zip trades.zip &&
	mount_bucket "$b" &&
	f=$PWD/mnt/archive/binance/test/trades.zip &&
	test "$(stat -c %s "$f")" = "$size" &&
	set -- $(counters mnt) && g0=$1 b0=$2 &&
	(cd mnt/archive/binance/test && unzip -l trades.zip) >got &&
	set -- $(counters mnt) && g1=$1 b1=$2 &&
	echo "unzip -l of $size bytes: $((g1 - g0)) GETs, $((b1 - b0)) bytes in" &&
	unzip -l trades.zip >want &&
	test_cmp want got &&
	test $((g1 - g0)) -le 4 &&
	test $((b1 - b0)) -le $((4 << 20)) &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'files read one after another in name order: the next ones are fetched ahead, and only those' '
	mkdir siblings && cd siblings &&
	test_bucket b && s3cli mb "$b" &&
	for i in $(seq 10 39); do
		put_random "$b" data/test/files/f$i $((100 << 10)) || return 1
	done &&
	mount_bucket "$b" &&
	d=$PWD/mnt/archive/binance/test/files &&
	test "$(ls "$d" | wc -l)" = 30 &&
	# opened out of order: nothing is fetched but what is read
	cat "$d/f30" "$d/f20" "$d/f25" >/dev/null &&
	lm_settled mnt &&
	test "$(cached "$d/f31")" = 0 && test "$(cached "$d/f26")" = 0 &&
	# three in a row: the next eight come without being opened, the ninth not
	cat "$d/f10" "$d/f11" "$d/f12" >/dev/null &&
	wait_until 10 test_cached_all "$d" 13 20 &&
	lm_settled mnt &&
	echo "after f10..f12: f13 $(cached "$d/f13"), f20 $(cached "$d/f20"), f21 $(cached "$d/f21")" &&
	test "$(cached "$d/f21")" = 0 &&
	# reading on: each open keeps eight ahead; f13 and f14 cost no GET
	set -- $(counters mnt) && g0=$1 &&
	cat "$d/f13" "$d/f14" | cmp - <(cat f13 f14) &&
	wait_until 10 test_cached_all "$d" 21 22 &&
	lm_settled mnt &&
	set -- $(counters mnt) && g1=$1 &&
	echo "f13 and f14 read: $((g1 - g0)) GETs (f21 and f22, ahead)" &&
	test $((g1 - g0)) = 2 &&
	test "$(cached "$d/f23")" = 0 &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'a loop over the zips of a folder, a CHECKSUM between each two: the next zips are fetched ahead too' '
	mkdir zips && cd zips &&
	test_bucket b && s3cli mb "$b" &&
	for i in $(seq 10 19); do
		put_random "$b" data/test/z/z$i.zip $((100 << 10)) &&
		sha256sum z$i.zip >z$i.zip.CHECKSUM &&
		s3cli put "$b" data/test/z/z$i.zip.CHECKSUM z$i.zip.CHECKSUM || return 1
	done &&
	mount_bucket "$b" &&
	d=$PWD/mnt/archive/binance/test/z &&
	test "$(ls "$d" | wc -l)" = 20 &&
	cat "$d/z10.zip" "$d/z11.zip" "$d/z12.zip" >/dev/null &&
	wait_until 10 cached_is "$d/z16.zip" $((100 << 10)) &&
	lm_settled mnt &&
	echo "after z10..z12: z13.zip $(cached "$d/z13.zip"), z16.zip $(cached "$d/z16.zip"), z17.zip $(cached "$d/z17.zip")" &&
	test "$(cached "$d/z13.zip")" = $((100 << 10)) &&
	test "$(cached "$d/z17.zip")" = 0 &&
	lm_umount "$PWD/mnt"
'

# unzip -l reads a zip's end (its central directory), so what is fetched
# ahead of each next zip of the loop is its last block, not its first 8
# MiB: the build before fetched 8 MiB of the start of u13..u19 here, 56
# MiB no one read.  Python's zipfile (so pandas) reads the end and then
# the member from the start: the next zip gets both.  Of the start, as
# much as the loop's last file had read: a block for `head -c 1000` (the
# build before fetched 8 MiB), more once the loop reads more.
test_expect_success FUSE 'loops over big zips: the next zips have fetched ahead what the loop reads of them, their ends, as much of their starts as it reads, or both' '
	mkdir unzips && cd unzips &&
	test_bucket b && s3cli mb "$b" &&
	python3 -c "
import os, zipfile
for i in range(10, 20):
    with zipfile.ZipFile(\"u%d.zip\" % i, \"w\", zipfile.ZIP_STORED) as z:
        z.writestr(\"BTCUSDT-trades-2024-%02d.csv\" % (i - 9), os.urandom(12 << 20))
" &&
	for i in $(seq 10 19); do
		s3cli put "$b" data/test/u/u$i.zip u$i.zip || return 1
	done &&
	size=$(stat -c %s u16.zip) && last=$((size - (size - 1) / (1 << 20) * (1 << 20))) &&
	mount_bucket "$b" &&
	d=$PWD/mnt/archive/binance/test/u &&
	test "$(ls "$d" | wc -l)" = 10 &&
	# as pandas would: the first 1,000 bytes of the member of u16..u18
	python3 -c "
import sys, zipfile
for i in (16, 17, 18):
    with zipfile.ZipFile(sys.argv[1] + \"/u%d.zip\" % i) as z:
        with z.open(z.namelist()[0]) as m:
            assert len(m.read(1000)) == 1000
" "$d" &&
	# what the kernel asked of each: the end, and the first block or two
	# (python reads 1 MiB at 0, and the kernel may read one more ahead);
	# the build before fetched the first 8 MiB
	wait_until 10 test_cached_more "$d/u19.zip" $(((1 << 20) + last - 1)) &&
	lm_settled mnt &&
	echo "after zipfile of u16..u18: u19.zip $(cached "$d/u19.zip") bytes cached" &&
	test "$(cached "$d/u19.zip")" -le $(((2 << 20) + last)) &&
	set -- $(counters mnt) && g0=$1 b0=$2 &&
	for i in $(seq 10 19); do
		(cd "$d" && unzip -l u$i.zip) >>got && unzip -l u$i.zip >>want || return 1
	done &&
	test_cmp want got &&
	lm_settled mnt &&
	set -- $(counters mnt) && g1=$1 b1=$2 &&
	echo "unzip -l of ten zips of $size bytes: $((g1 - g0)) GETs, $((b1 - b0)) bytes in; u14.zip: $(cached "$d/u14.zip") bytes cached, its last block $last" &&
	test "$(cached "$d/u14.zip")" = "$last" &&
	test $((b1 - b0)) -le $((64 << 10)) &&
	# as head -1 of CSVs: a block of the start of each, not the 8 MiB part
	head -c 1000 "$d/u10.zip" "$d/u11.zip" "$d/u12.zip" >/dev/null &&
	wait_until 10 cached_is "$d/u13.zip" $(((1 << 20) + last)) &&
	lm_settled mnt &&
	echo "after head -c 1000 of u10..u12: u13.zip $(cached "$d/u13.zip") bytes cached" &&
	cached_is "$d/u13.zip" $(((1 << 20) + last)) &&
	# a loop that reads more of each gets the rest of what it reads (and
	# what the kernel reads ahead of it, at most 1 MiB here)
	head -c 3000000 "$d/u10.zip" "$d/u11.zip" "$d/u12.zip" >/dev/null &&
	wait_until 10 test_cached_more "$d/u13.zip" $(((3 << 20) + last - 1)) &&
	lm_settled mnt &&
	echo "after head -c 3000000 of u10..u12: u13.zip $(cached "$d/u13.zip") bytes cached" &&
	test "$(cached "$d/u13.zip")" -le $(((4 << 20) + last)) &&
	lm_umount "$PWD/mnt"
'

test_done
