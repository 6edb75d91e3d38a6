#!/usr/bin/env bash
test_description='a big folder listed in several streams at once: every name once

A folder whose names count up (as the archive'\''s dates do) is listed in
several streams of pages at once, each starting after a name guessed from
the first page (fs/listing.c).  Whatever the guesses, ls must show every
key and prefix S3 holds, once, as a single stream of pages would.'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start

# names_in BUCKET PREFIX: the names directly under PREFIX (of keys, and of
# the prefixes deeper keys make), sorted, each once (a key and a prefix of
# one name show as the file: lakemount(8), NAMES)
names_in() {
	s3cli ls "$1" "$2" | cut -f1 | sed "s|^$2||; s|/.*||" | LC_ALL=C sort -u
}

# lists MNT: the LIST requests the mount sent
lists() { lm_stat "$1" requests.list; }

test_expect_success FUSE 'setup: a folder of 2,500 counted names with a file and a prefix of one name at a guess, and one of 2,500 names that do not count' '
	test_bucket b && s3cli mb "$b" && echo "$b" >"$TEST_TMP/bucket" &&
	mkdir -p src/data/counted src/data/named &&
	python3 -c "
import os, random
for i in range(2500):
    open(\"src/data/counted/k%04d\" % i, \"w\").write(str(i))
# the first page ends at k0999: streams start after k1874, k2749, ...
# (7/8 of the 999 it spanned on: fs/listing.c)
os.makedirs(\"src/data/counted/k1874.d\")
open(\"src/data/counted/k1874.d/x\", \"w\").write(\"x\")
rng = random.Random(7)
for i in range(2500):
    n = \"\".join(rng.choice(\"ABCDEFGHJKLMNPQRSTUVWXYZ\") for _ in range(8))
    open(\"src/data/named/%s-%d\" % (n, i), \"w\").write(n)
" &&
	s3cli put-tree "$b" src &&
	echo y >y && s3cli put "$b" data/counted/k2400/y y &&
	# the file k1874 ends a stream and the prefix k1874/ begins the next:
	# the file wins wherever the pages come from
	s3cli put "$b" data/counted/k1874/x y &&
	names_in "$b" data/counted/ >counted.s3 && names_in "$b" data/named/ >named.s3 &&
	wc -l counted.s3 named.s3
'
b=$(cat "$TEST_TMP/bucket" 2>/dev/null)

test_expect_success FUSE 'a folder of counted names: listed in streams, every name once, and again after a remount' '
	mkdir counted && cd counted &&
	lm_config "$PWD/lm.json" "$b" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	d=mnt/archive/binance/counted &&
	test -d "$d" && before=$(lists mnt) &&
	ls -f "$d" | grep -v "^\.\.\?$" | LC_ALL=C sort >got &&
	echo "$(wc -l <got) names with $(($(lists mnt) - before)) LISTs (one stream: 3)" &&
	test_cmp "$TRASH_DIRECTORY/counted.s3" got &&
	test "$(($(lists mnt) - before))" -gt 3 &&
	test -f "$d/k1874" && test -d "$d/k1874.d" && test -f "$d/k2400" &&
	lm_umount "$PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	ls -f "$d" | grep -v "^\.\.\?$" | LC_ALL=C sort >again &&
	test_cmp "$TRASH_DIRECTORY/counted.s3" again &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'a folder of names that do not count: one stream, every name once' '
	mkdir named && cd named &&
	lm_config "$PWD/lm.json" "$b" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	test -d mnt/archive/binance/named && before=$(lists mnt) &&
	ls -f mnt/archive/binance/named | grep -v "^\.\.\?$" | LC_ALL=C sort >got &&
	echo "$(wc -l <got) names with $(($(lists mnt) - before)) LISTs" &&
	test_cmp "$TRASH_DIRECTORY/named.s3" got &&
	test "$(($(lists mnt) - before))" = 3 &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'a listing cut short by closedir leaves the folder to be listed whole next time' '
	mkdir cut && cd cut &&
	lm_config "$PWD/lm.json" "$b" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	d=mnt/archive/binance/counted &&
	python3 -c "import os, sys
it = os.scandir(sys.argv[1]); next(it); it.close()" "$d" &&
	ls -f "$d" | grep -v "^\.\.\?$" | LC_ALL=C sort >got &&
	test_cmp "$TRASH_DIRECTORY/counted.s3" got &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'a file "a", 1,201 names between it and the prefix "a/" (a.0000, ...), and the prefix: "a" is the file, in the first listing, after a relisting and after a remount' '
	mkdir dup && cd dup &&
	mkdir -p src/data/dup && echo file >src/data/dup/a &&
	(cd src/data/dup && for i in $(seq -w 0 1200); do echo $i >a.$i; done) &&
	s3cli put-tree "$b" src && echo under >u && s3cli put "$b" data/dup/a/b u &&
	s3cli ls "$b" data/dup/ | cut -f1 | tail -n 1 >last && echo data/dup/a/b >want &&
	test_cmp want last &&
	lm_config "$PWD/lm.json" "$b" ", \"ttl\": 1" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	d=mnt/archive/binance/dup &&
	test "$(ls -f "$d" | grep -c "^a\$")" = 1 &&
	test -f "$d/a" && test "$(cat "$d/a")" = file &&
	# the ttl runs out: the next open relists in the background
	sleep 1.5 && before=$(lm_stat mnt requests.list) &&
	ls -f "$d" >/dev/null &&
	relisted() { test "$(lm_stat mnt requests.list)" -ge $((before + 2)); } &&
	wait_until 10 relisted &&
	lm_umount "$PWD/mnt" && lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	test "$(ls -f "$d" | grep -c "^a\$")" = 1 &&
	test -f "$d/a" && test "$(cat "$d/a")" = file &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE,ROOT 'a listing from the index, in slices, closed part-way or read whole: the kernel gets every entry once, and forgets them all' '
	mkdir slices && cd slices &&
	lm_config "$PWD/lm.json" "$b" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	d=mnt/archive/binance/counted &&
	ls -f "$d" >/dev/null &&
	lm_umount "$PWD/mnt" && lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	# (a slice of 64 KiB holds about 350 entries: these stop before the
	# first, which opendir built ahead, inside it, inside the third and
	# the seventh, where a slice ahead was built)
	python3 -c "import os, sys
for n in (0, 1, 800, 2300):
    it = os.scandir(sys.argv[1])
    for _ in range(n):
        next(it).stat()
    it.close()" "$d" &&
	ls -l "$d" | awk "NR > 1 { print \$NF }" | LC_ALL=C sort >got &&
	test_cmp "$TRASH_DIRECTORY/counted.s3" got &&
	inodes=$(lm_stat mnt inodes) && echo "$inodes inodes" &&
	test "$inodes" -ge 2500 &&
	lm_forgets mnt 20 &&
	lm_umount "$PWD/mnt"
'

test_done
