#!/usr/bin/env bash
test_description='collectors write into the layers with ordinary tools

A miniature archive and writable layers bronze/ and silver/ of the same
bucket on Ceph RGW.  What is written must reach S3 (checked with our own S3
client, not through the mount), with its metadata, and bytes that already
live in S3 must move server-side.'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start
TEST_TIMEOUT=240

# s3sum KEY: sha256 of the object as S3 has it
s3sum() {
	s3cli get "$bucket" "$1" >"$TEST_TMP/s3sum.tmp" &&
	sha256sum <"$TEST_TMP/s3sum.tmp" | cut -d" " -f1
}

test_expect_success FUSE 'setup: an archive bucket, mounted with layers' '
	lm_archive_bucket bucket &&
	echo "$bucket" >"$TEST_TMP/bucket" &&
	lm_config_layers "$TEST_TMP/lm.json" "$bucket" &&
	lm_mount "$TEST_TMP/lm.json" "$TEST_TMP/mnt"
'
bucket=$(cat "$TEST_TMP/bucket" 2>/dev/null)
M=$TEST_TMP/mnt
B=$M/bronze
A=$M/archive/binance

test_expect_success FUSE 'a file written and closed is in S3, with sha256, mode, uid, gid, mtime' '
	printf "hello, lake\n" >"$B/hello.txt" &&
	chmod 000 "$B/hello.txt" && test "$(stat -c %a "$B/hello.txt")" = 0 &&
	chmod 640 "$B/hello.txt" &&
	test "$(cat "$B/hello.txt")" = "hello, lake" &&
	lm_wait_drained "$M" &&
	test "$(s3sum bronze/hello.txt)" = "$(printf "hello, lake\n" | sha256sum | cut -d" " -f1)" &&
	s3cli meta "$bucket" bronze/hello.txt >meta &&
	grep "^sha256=$(printf "hello, lake\n" | sha256sum | cut -d" " -f1)$" meta &&
	grep "^mode=$((0100640))$" meta &&
	grep "^uid=$(id -u)$" meta && grep "^gid=$(id -g)$" meta &&
	grep "^mtime=[0-9]*$" meta &&
	test "$(stat -c %a "$B/hello.txt")" = 640
'

test_expect_success FUSE 'fsync returns once the object is in S3 (checked before close)' '
	S3CLI=$(command -v s3cli) BUCKET=$bucket OUT=$TEST_TMP/head.out python3 -c "
import os, sys, subprocess
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fd, b\"x\" * 3000000)
os.fsync(fd)
out = subprocess.run([os.environ[\"S3CLI\"], \"head\", os.environ[\"BUCKET\"], \"bronze/synced.bin\"],
                     capture_output=True, text=True).stdout
os.close(fd)
sys.exit(0 if out.split()[0] == \"3000000\" else 1)
" "$B/synced.bin"
'

test_expect_success FUSE 'append, truncate, O_TRUNC and a write in the middle' '
	printf "0123456789" >"$B/edit.txt" &&
	printf "abc" >>"$B/edit.txt" &&
	printf "XY" | dd of="$B/edit.txt" bs=1 seek=4 conv=notrunc 2>/dev/null &&
	test "$(cat "$B/edit.txt")" = "0123XY6789abc" &&
	truncate -s 6 "$B/edit.txt" &&
	test "$(cat "$B/edit.txt")" = "0123XY" &&
	lm_wait_drained "$M" &&
	s3cli get "$bucket" bronze/edit.txt >got && test "$(cat got)" = "0123XY" &&
	printf "new" >"$B/edit.txt" &&
	lm_wait_drained "$M" &&
	s3cli get "$bucket" bronze/edit.txt >got && test "$(cat got)" = "new"
'

test_expect_success FUSE 'an object written elsewhere is changed in place through the mount' '
	printf "from elsewhere\n" >src.txt &&
	s3cli put "$bucket" bronze/other/elsewhere.txt src.txt &&
	ls "$B/other" >/dev/null &&
	printf "and more\n" >>"$B/other/elsewhere.txt" &&
	lm_wait_drained "$M" &&
	s3cli get "$bucket" bronze/other/elsewhere.txt >got &&
	printf "from elsewhere\nand more\n" >want && test_cmp want got
'

test_expect_success FUSE 'mkdir writes a marker; rmdir refuses a non-empty directory' '
	mkdir "$B/d" &&
	lm_wait_drained "$M" &&
	s3cli head "$bucket" bronze/d/ &&
	echo x >"$B/d/f" &&
	! rmdir "$B/d" 2>err && grep "not empty" err &&
	rm "$B/d/f" && rmdir "$B/d" &&
	lm_wait_drained "$M" &&
	! s3cli head "$bucket" bronze/d/ 2>/dev/null &&
	! s3cli head "$bucket" bronze/d/f 2>/dev/null &&
	! test -e "$B/d"
'

test_expect_success FUSE 'rename of a file and of a directory of 200 files' '
	echo one >"$B/r1" && mv "$B/r1" "$B/r2" && test "$(cat "$B/r2")" = one &&
	mkdir "$B/many" &&
	for i in $(seq 1 200); do echo "file $i" >"$B/many/f$i"; done &&
	lm_wait_drained "$M" &&
	mv "$B/many" "$B/moved" &&
	test "$(cat "$B/moved/f17")" = "file 17" &&
	lm_wait_drained "$M" &&
	s3cli ls "$bucket" bronze/moved/ | wc -l >n && test "$(cat n)" = 201 &&
	! s3cli ls "$bucket" bronze/many/ | grep . &&
	s3cli ls "$bucket" bronze/ | grep -x "bronze/r2.*" &&
	! s3cli ls "$bucket" bronze/ | grep "^bronze/r1	" &&
	test "$(ls "$B/moved" | wc -l)" = 200
'

test_expect_success FUSE 'chmod and touch of a clean object move no data' '
	lm_wait_drained "$M" &&
	up=$(lm_stat "$M" writes.bytes_up) &&
	chmod 600 "$B/r2" && touch -d "2020-01-02 03:04:05 UTC" "$B/r2" &&
	lm_wait_drained "$M" &&
	test "$(lm_stat "$M" writes.bytes_up)" = "$up" &&
	s3cli meta "$bucket" bronze/r2 >meta &&
	grep "^mode=$((0100600))$" meta &&
	grep "^mtime=$(date -d "2020-01-02 03:04:05 UTC" +%s)$" meta &&
	test "$(s3cli get "$bucket" bronze/r2 >got && cat got)" = one
'

test_expect_success FUSE 'the archive stays read-only' '
	f=$(ls "$A/spot/daily/klines/ETHUSDT/1h/"*.zip | head -1) &&
	! touch "$A/x" 2>err && grep -i "read-only" err &&
	! mkdir "$A/d" 2>err && grep -i "read-only" err &&
	! rm "$f" 2>err && grep -i "read-only" err &&
	! mv "$f" "$A/y" 2>err &&
	! chmod 600 "$f" 2>err && grep -i "read-only" err &&
	! sh -c "echo >>\"\$1\"" sh "$f" 2>err && grep -i "read-only" err
'

test_expect_success FUSE 'cp of an archive zip is a server-side copy, readable at once' '
	f=$(cd "$A" && ls spot/monthly/klines/BTCUSDT/1m/*.zip | head -1) &&
	lm_wait_drained "$M" &&
	up=$(lm_stat "$M" writes.bytes_up) &&
	cp "$A/$f" "$B/copied.zip" &&
	cmp "$A/$f" "$B/copied.zip" &&
	sync "$B/copied.zip" &&
	test "$(s3sum bronze/copied.zip)" = "$(sha256sum <"$A/$f" | cut -d" " -f1)" &&
	test "$(lm_stat "$M" writes.bytes_up)" = "$up" &&
	test "$(lm_stat "$M" writes.server_copies)" -ge 1
'

# A copy waiting to land that cp reads from gets bytes of its own; the
# landing must still settle it, or it served those bytes and hid the
# object's later changes for as long as the mount lived.
test_expect_success FUSE 'a cp of a copy not yet landed: once landed, a change made elsewhere shows' '
	lm_config_layers "$TEST_TMP/c.json" "$bucket" ", \"upload_delay\": 5" &&
	sed -i "s|\"prefix\": \"bronze/\" }|\"prefix\": \"bronze/\", \"ttl\": 0 }|" "$TEST_TMP/c.json" &&
	grep -q "\"ttl\": 0" "$TEST_TMP/c.json" &&
	echo one >one && s3cli put "$bucket" bronze/cc/a one &&
	lm_mount "$TEST_TMP/c.json" "$TEST_TMP/c" &&
	test_when_finished "lm_reap \"$TEST_TMP/c.json\" \"$TEST_TMP/c\"" &&
	C=$TEST_TMP/c/bronze/cc &&
	cp "$C/a" "$C/b" &&
	cp "$C/b" "$C/c" &&
	test "$(s3cli ls "$bucket" bronze/cc/ | wc -l)" = 1 &&
	lm_wait_drained "$TEST_TMP/c" &&
	test "$(lm_stat "$TEST_TMP/c" writes.server_copies)" -ge 1 &&
	test "$(cat "$C/b" "$C/c")" = "$(printf "one\none")" &&
	echo "two, elsewhere" >two && s3cli put "$bucket" bronze/cc/b two &&
	ls -l "$C" &&
	test "$(cat "$C/b")" = "two, elsewhere"
'

test_expect_success FUSE 'cp of a 256 MiB archive object sends under 1 MiB to the server' '
	head -c $((256 << 20)) /dev/urandom >big &&
	s3cli put "$bucket" data/big256.bin big &&
	export LM_PROXY_COUNT=$TEST_TMP/relayed &&
	lm_proxy_start ep &&
	test_when_finished lm_proxy_stop &&
	LM_ENDPOINT=$ep lm_config_layers "$TEST_TMP/p.json" "$bucket" &&
	lm_mount "$TEST_TMP/p.json" "$TEST_TMP/p" &&
	test_when_finished "lm_reap \"$TEST_TMP/p.json\" \"$TEST_TMP/p\"" &&
	ls -l "$TEST_TMP/p/archive/binance/big256.bin" "$TEST_TMP/p/bronze" >/dev/null &&
	read -r up0 down0 <"$LM_PROXY_COUNT" &&
	cp "$TEST_TMP/p/archive/binance/big256.bin" "$TEST_TMP/p/bronze/big256.bin" &&
	sync "$TEST_TMP/p/bronze/big256.bin" &&
	read -r up1 down1 <"$LM_PROXY_COUNT" &&
	echo "sent to the server: $((up1 - up0)) bytes, received $((down1 - down0))" &&
	test $((up1 - up0)) -lt $((1 << 20)) &&
	test "$(s3cli head "$bucket" bronze/big256.bin | cut -d" " -f1)" = $((256 << 20)) &&
	s3cli get "$bucket" bronze/big256.bin | cmp - big &&
	s3cli rm "$bucket" bronze/big256.bin && s3cli rm "$bucket" data/big256.bin
'

test_expect_success FUSE 'cp across endpoints is streamed by the daemon' '
	lm_proxy_start ep &&
	test_when_finished lm_proxy_stop &&
	cat >"$TEST_TMP/x.json" <<-JSON &&
	{ "cache": { "dir": "$TEST_TMP/x.json.cache", "max_size": "1GiB" },
	  "sources": {
	    "far": { "endpoint": "$ep", "bucket": "$bucket", "prefix": "data/", "path_style": true },
	    "near": { "endpoint": "$S3_ENDPOINT", "bucket": "$bucket", "path_style": true }
	  },
	  "tree": [
	    { "path": "archive", "source": "far", "readonly": true },
	    { "path": "bronze", "source": "near", "prefix": "bronze/" } ] }
	JSON
	lm_mount "$TEST_TMP/x.json" "$TEST_TMP/x" &&
	test_when_finished "lm_reap \"$TEST_TMP/x.json\" \"$TEST_TMP/x\"" &&
	f=$(cd "$TEST_TMP/x/archive" && ls spot/monthly/klines/BTCUSDT/1m/*.zip | head -1) &&
	cp "$TEST_TMP/x/archive/$f" "$TEST_TMP/x/bronze/far.zip" &&
	sync "$TEST_TMP/x/bronze/far.zip" &&
	s3cli get "$bucket" bronze/far.zip | cmp - "$TEST_TMP/x/archive/$f" &&
	test "$(lm_stat "$TEST_TMP/x" writes.server_copies)" = 0 &&
	test "$(lm_stat "$TEST_TMP/x" writes.bytes_up)" = "$(stat -c %s "$TEST_TMP/x/archive/$f")"
'

test_expect_success FUSE 'rsync -a of an archive folder into bronze uploads no data' '
	src=spot/daily/klines/ETHUSDT/1h &&
	cat "$A/$src"/* >/dev/null &&
	lm_wait_drained "$M" &&
	up=$(lm_stat "$M" writes.bytes_up) &&
	mkdir -p "$B/rs" &&
	rsync -a "$A/$src/" "$B/rs/" &&
	lm_wait_drained "$M" &&
	diff -r "$A/$src" "$B/rs" &&
	test "$(s3cli ls "$bucket" bronze/rs/ | grep -v "/	" | wc -l)" = "$(ls "$A/$src" | wc -l)" &&
	up2=$(lm_stat "$M" writes.bytes_up) &&
	echo "bytes uploaded: $((up2 - up)) (the CHECKSUM files are small and new)" &&
	sums=$(cat "$A/$src"/*.CHECKSUM | wc -c) &&
	test $((up2 - up)) -le "$sums"
'

test_expect_success FUSE 'another mount of the bucket sees what this one wrote' '
	lm_wait_drained "$M" &&
	lm_config_layers "$TEST_TMP/other.json" "$bucket" &&
	lm_mount "$TEST_TMP/other.json" "$TEST_TMP/other" &&
	test "$(cat "$TEST_TMP/other/bronze/hello.txt")" = "hello, lake" &&
	test "$(cat "$TEST_TMP/other/bronze/moved/f200")" = "file 200" &&
	cmp "$B/copied.zip" "$TEST_TMP/other/bronze/copied.zip" &&
	lm_umount "$TEST_TMP/other"
'

test_expect_success FUSE 'fsx: 10,000 random operations on a layer file match a local copy' '
	fsx -q -n 10000 -S 4242 -l 512K -o 64K -c 5 "$B/fsx.bin" "$TEST_TMP/fsx.ref" &&
	lm_wait_drained "$M" &&
	s3cli get "$bucket" bronze/fsx.bin >got &&
	cmp got "$TEST_TMP/fsx.ref"
'

test_expect_success FUSE 'unmount waits until the journal is empty' '
	for i in $(seq 1 20); do head -c 100000 /dev/urandom >"$B/last$i"; done &&
	sha256sum "$B"/last* | sed "s|$B/||" | sort >want &&
	lm_umount "$M" &&
	for i in $(seq 1 20); do
		echo "$(s3sum bronze/last$i)  last$i"
	done | sort >got &&
	test_cmp want got
'

test_done
