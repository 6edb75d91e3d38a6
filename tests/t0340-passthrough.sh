#!/usr/bin/env bash
test_description='FUSE passthrough: files whole in the block cache are read by the kernel from it

In a read-only tree, a file whose object is whole in the cache (as it is
stored: not LZ4-compressed) is opened for FUSE passthrough: the kernel reads
the cache file itself, with no request to lakemount per read.  Until then
such files are read past the kernel page cache.  The counter
cache.passthrough_opens of user.lakemount.stats tells which opens were
passed through; cache.hits counts the blocks lakemount itself read from the
cache.  Needs a kernel with passthrough (Linux 6.9) and root (CAP_SYS_ADMIN
registers a backing file); without them every case is skipped.'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start

# csv_rows N: N lines of kline-like CSV (LZ4 compresses them).
csv_rows() {
	python3 -c 'import sys
for i in range(int(sys.argv[1])):
    print("%d,4210%d.12,4211%d.55,4209%d.01,42105.%03d,%d.5,%d,0" % (1e12 + i * 60000, i % 9, i % 7, i % 5, i % 1000, i % 300, 1e12 + i * 60000 + 59999))' "$1"
}

# opens MNT: the passthrough opens the mount counted.
opens() { lm_stat "$1" cache.passthrough_opens; }

# page_cache_missing_blocks FILE: how many of FILE's 1 MiB blocks have a
# page not in the page cache (mincore of a mapping, which reads nothing).
# The kernel may drop pages of a file read seconds ago without any memory
# pressure: these machines run a DAMON "pageout" scheme, and 2 MiB of a
# 256 MiB local file read 20 s before were gone.  A re-read of those pages
# is the kernel's choice, not a miss of ours; each such block may cost
# lakemount a read of it and of the next (the kernel's readahead).  A count
# of missing bytes is not enough: five pages missing in five blocks are 20
# KiB, and made five block reads (t0340 failed so).
page_cache_missing_blocks() {
	python3 - "$1" <<-'EOF'
	import ctypes, mmap, os, sys
	libc = ctypes.CDLL(None, use_errno=True)
	libc.mmap.restype = ctypes.c_void_p
	libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
	                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
	libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
	fd = os.open(sys.argv[1], os.O_RDONLY)
	size = os.fstat(fd).st_size
	addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
	if addr is None or addr == ctypes.c_void_p(-1).value:
	    sys.exit("mmap: " + os.strerror(ctypes.get_errno()))
	n = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
	vec = ctypes.create_string_buffer(n)
	if libc.mincore(addr, size, vec):
	    sys.exit("mincore: " + os.strerror(ctypes.get_errno()))
	per = (1 << 20) // mmap.PAGESIZE
	print(len({i // per for i, b in enumerate(vec.raw) if not b & 1}))
	EOF
}

test_expect_success FUSE,ROOT 'setup: random objects and a CSV in a read-only tree' '
	test_bucket b && s3cli mb "$b" && echo "$b" >"$TEST_TMP/bucket" &&
	mkdir -p "$TEST_TMP/src" && cd "$TEST_TMP/src" &&
	put_random "$b" data/test/big.bin $((24 << 20)) &&
	put_random "$b" data/test/other.bin $((24 << 20)) &&
	put_random "$b" data/test/small.bin 70000 &&
	csv_rows 60000 >klines.csv && s3cli put "$b" data/test/klines.csv klines.csv
'
b=$(cat "$TEST_TMP/bucket" 2>/dev/null)
S=$TEST_TMP/src

# Is passthrough there at all?  (A kernel before 6.9 or no CAP_SYS_ADMIN:
# the mount works without it, and these cases have nothing to check.)
test_expect_success FUSE,ROOT 'probe: the kernel takes passthrough' '
	mkdir probe && cd probe &&
	lm_config "$PWD/lm.json" "$b" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	cat mnt/archive/binance/test/small.bin >/dev/null &&
	cat mnt/archive/binance/test/small.bin >/dev/null &&
	if test "$(opens mnt)" = 1; then touch "$TEST_TMP/have-pt"; else
		echo "no passthrough here: $(grep -o "no [A-Z ]*passthrough[^\"]*" lm.json.cache/lakemount.log)"
	fi &&
	lm_umount "$PWD/mnt"
'
test_lazy_prereq PASSTHROUGH 'test -e "$TEST_TMP/have-pt"'

test_expect_success PASSTHROUGH 'a file read whole is read again from the cache file: same bytes, no request, no read through lakemount' '
	mkdir again && cd again &&
	lm_config "$PWD/lm.json" "$b" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	f=mnt/archive/binance/test/big.bin &&
	cmp "$f" "$S/big.bin" &&
	test "$(opens mnt)" = 0 &&
	lm_settled mnt &&
	gets=$(lm_stat mnt requests.get) && hits=$(lm_stat mnt cache.hits) &&
	cmp "$f" "$S/big.bin" &&
	python3 -c "import mmap, sys
f = open(sys.argv[1], \"rb\")
m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
sys.exit(m[:] != open(sys.argv[2], \"rb\").read())" "$f" "$S/big.bin" &&
	echo "passthrough opens $(opens mnt), GETs $gets -> $(lm_stat mnt requests.get), block reads $hits -> $(lm_stat mnt cache.hits)" &&
	test "$(opens mnt)" = 2 &&
	test "$(lm_stat mnt requests.get)" = "$gets" &&
	test "$(lm_stat mnt cache.hits)" = "$hits" &&
	lm_umount "$PWD/mnt"
'

test_expect_success PASSTHROUGH 'a file stored LZ4-compressed is read through lakemount, never passed through' '
	mkdir csv && cd csv &&
	lm_config "$PWD/lm.json" "$b" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	f=mnt/archive/binance/test/klines.csv &&
	cmp "$f" "$S/klines.csv" && cmp "$f" "$S/klines.csv" &&
	test "$(opens mnt)" = 0 &&
	test "$(lm_stat mnt cache.stored_bytes)" -lt "$(lm_stat mnt cache.raw_bytes)" &&
	lm_umount "$PWD/mnt"
'

test_expect_success PASSTHROUGH 'after a remount, a cached file is passed through with no request at all' '
	mkdir remount && cd remount &&
	lm_config "$PWD/lm.json" "$b" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	cmp mnt/archive/binance/test/big.bin "$S/big.bin" &&
	lm_umount "$PWD/mnt" &&
	grep -q "clean$" lm.json.cache/blocks/meta &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	sync && echo 3 >/proc/sys/vm/drop_caches &&
	cmp mnt/archive/binance/test/big.bin "$S/big.bin" &&
	test "$(opens mnt)" = 1 &&
	test "$(lm_requests mnt)" = 0 &&
	lm_umount "$PWD/mnt"
'

# held.py FILE WANT [CMD...]: opens FILE, runs CMD (if any) while it holds
# it open, then reads FILE through that descriptor and through a new one:
# prints "held=same|differs new=same|differs" against WANT and NEW (argv
# after --new, if given).
cat >"$TEST_TMP/held.py" <<'EOF'
import subprocess, sys
path, want = sys.argv[1], open(sys.argv[2], 'rb').read()
rest = sys.argv[3:]
new = None
if '--new' in rest:
    i = rest.index('--new')
    new = open(rest[i + 1], 'rb').read()
    rest = rest[:i] + rest[i + 2:]
f = open(path, 'rb')
if rest:
    subprocess.run(rest, check=True)
held = f.read()
h = open(path, 'rb')
f.close()			# the new handle closes last
g = h.read()
h.close()
print('held=%s new=%s' % ('same' if held == want else 'differs',
                          'same' if g == (new if new is not None else want) else 'differs'))
EOF

test_expect_success PASSTHROUGH 'the blocks the kernel reads from are never evicted, and an evict leaves an open file right' '
	mkdir evict && cd evict &&
	LM_CACHE_MAX=32MiB lm_config "$PWD/lm.json" "$b" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	t=$PWD/mnt/archive/binance/test &&
	cmp "$t/big.bin" "$S/big.bin" &&
	python3 "$TEST_TMP/held.py" "$t/big.bin" "$S/big.bin" cmp "$t/other.bin" "$S/other.bin" >seen &&
	echo "24 MiB more read under a 32 MiB cap: $(cat seen), evicted $(lm_stat mnt cache.evicted)" &&
	test "$(cat seen)" = "held=same new=same" &&
	python3 "$TEST_TMP/held.py" "$t/big.bin" "$S/big.bin" sh -c \
		"lakemount-ctl evict $PWD/mnt archive/binance/test/big.bin >evict.out" >seen &&
	echo "lakemount-ctl evict while open: $(cat seen); $(tail -1 evict.out)" &&
	test "$(cat seen)" = "held=same new=same" &&
	grep -q "^evicted 1 file, 24.0 MiB dropped" evict.out &&
	lm_umount "$PWD/mnt"
'

test_expect_success PASSTHROUGH 'an object replaced while passed through: the open file keeps the old bytes, a new open gets the new, and the old version is evictable after' '
	mkdir replaced && cd replaced &&
	LM_CACHE_MAX=40MiB lm_config "$PWD/lm.json" "$b" ", \"ttl\": 1" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	s3cli put "$b" data/test/swap.bin "$S/big.bin" &&
	f=$PWD/mnt/archive/binance/test/swap.bin &&
	cmp "$f" "$S/big.bin" &&
	python3 "$TEST_TMP/held.py" "$f" "$S/big.bin" --new "$S/other.bin" sh -c "
		s3cli put $b data/test/swap.bin $S/other.bin && sleep 2 &&
		ls -l $PWD/mnt/archive/binance/test >/dev/null" >seen &&
	echo "after the replacement: $(cat seen)" &&
	test "$(cat seen)" = "held=same new=same" &&
	cmp "$f" "$S/other.bin" &&
	c=$PWD/mnt/archive/binance/test/big.bin &&
	cmp "$c" "$S/big.bin" && lm_settled mnt && gets=$(lm_stat mnt requests.get) &&
	cmp "$c" "$S/big.bin" &&
	echo "24 MiB more under a 40 MiB cap: GETs for its second read $(($(lm_stat mnt requests.get) - gets))" &&
	test "$(lm_stat mnt requests.get)" = "$gets" &&
	lm_umount "$PWD/mnt"
'

test_expect_success PASSTHROUGH '-o nopassthrough: a second read is served by the kernel page cache, as without passthrough' '
	mkdir off && cd off &&
	lm_config "$PWD/lm.json" "$b" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	mkdir -p mnt && lm_env_creds &&
	lakemount -o nopassthrough "$PWD/lm.json" "$PWD/mnt" && mount_register "$PWD/mnt" &&
	cmp mnt/archive/binance/test/big.bin "$S/big.bin" &&
	lm_settled mnt &&
	hits=$(lm_stat mnt cache.hits) && gets=$(lm_stat mnt requests.get) &&
	out=$(page_cache_missing_blocks mnt/archive/binance/test/big.bin) &&
	cmp mnt/archive/binance/test/big.bin "$S/big.bin" &&
	echo "passthrough opens $(opens mnt), GETs $gets -> $(lm_stat mnt requests.get), block reads $hits -> $(lm_stat mnt cache.hits), blocks with a page out of the page cache before the second read: $out" &&
	test "$(opens mnt)" = 0 &&
	test $(($(lm_stat mnt cache.hits) - hits)) -le $((2 * out)) &&
	test "$(lm_stat mnt requests.get)" = "$gets" &&
	lm_umount "$PWD/mnt"
'

test_done
