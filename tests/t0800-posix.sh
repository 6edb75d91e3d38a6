#!/usr/bin/env bash
test_description='POSIX conformance of the layer paths

fsx (tests/bin/fsx.c) runs random reads, writes, appends, truncates, mmap
reads and close+reopen on layer files and checks every byte against a local
reference: a file that straddles the 1 MiB cache blocks, a small one, and
one that lives across a remount (read back from the cache, then from S3
once evicted, then written on).  Then tests/lib/posix.py, a table of
pjdfstest-style cases (errno values and semantics of open, creat, unlink,
rename, mkdir, rmdir, truncate, chmod, chown, utimensat, link, symlink,
mknod, xattrs, stat, readdir), runs on a layer directory and on a tmpfs: the
tmpfs must give Linux outcomes, lakemount the same except for the documented
differences (man lakemount(8), POSIX BEHAVIOUR).  Part of it runs as nobody
(permission checks, the mount has allow_other), part on the read-only
archive (EROFS for every change).'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start
TEST_TIMEOUT=$(lm_stress 300 1800)
NOPS=${NOPS:-$(lm_stress 20000 100000)}
POSIX=$TEST_DIRECTORY/lib/posix.py

# posix_mount CONFIG MNT: lm_mount with allow_other (the cases run as nobody
# need it; default_permissions is always on)
posix_mount() {
	mkdir -p "$2" && lm_env_creds && lakemount "$1" "$2" -o allow_other &&
	mount_register "$2" && mountpoint -q "$2"
}

# s3_is BUCKET KEY FILE: the object equals FILE
s3_is() {
	s3cli get "$1" "$2" >"$TEST_TMP/s3_is.tmp" && cmp "$TEST_TMP/s3_is.tmp" "$3"
}

# direct_cmp FILE REF: FILE read with O_DIRECT (past the kernel's page
# cache: every byte comes from the daemon, its block cache or S3) equals REF
direct_cmp() {
	timeout 120 dd if="$1" iflag=direct bs=1M status=none | cmp - "$2"
}

# as_nobody DIR ARGS...: posix.py ARGS as nobody, from inside DIR (nobody
# could not reach it by path: the scratch dir is 0700); the script comes on
# stdin for the same reason
as_nobody() {
	(cd "$1" && shift && timeout 300 setpriv --reuid=65534 --regid=65534 --clear-groups \
		/usr/bin/python3 - "$@" <"$POSIX")
}

test_expect_success FUSE 'setup: an archive bucket, mounted with layers and allow_other' '
	lm_archive_bucket bucket &&
	echo "$bucket" >"$TEST_TMP/bucket" &&
	lm_config_layers "$TEST_TMP/lm.json" "$bucket" &&
	posix_mount "$TEST_TMP/lm.json" "$TEST_TMP/mnt"
'
bucket=$(cat "$TEST_TMP/bucket" 2>/dev/null)
M=$TEST_TMP/mnt
B=$M/bronze
CFG=$TEST_TMP/lm.json

# fsx_run NAME FSX-OPTIONS...: $NOPS fsx ops (with mmap reads) on
# bronze/NAME against a local reference; then S3 holds the reference
fsx_run() {
	local name=$1 start
	shift
	start=$(date +%s) &&
	timeout $((TEST_TIMEOUT - 30)) fsx -q -n "$NOPS" -m "$@" \
		"$B/$name" "$TEST_TMP/$name.ref" &&
	echo "fsx: $NOPS ops in $(($(date +%s) - start)) s" &&
	lm_wait_drained "$M" &&
	s3_is "$bucket" "bronze/$name" "$TEST_TMP/$name.ref"
}

test_expect_success FUSE "fsx: $NOPS ops on a file up to 2.5 MiB across cache blocks, reopen, truncate, mmap" '
	fsx_run fsx-big.bin -S 8001 -l 2560K -o 256K -c 5
'

test_expect_success FUSE "fsx: $NOPS ops on a small file (under 60 KiB), small ops, more reopens" '
	fsx_run fsx-small.bin -S 8002 -l 60K -o 4K -c 10
'

test_expect_success FUSE 'fsx across a remount: the file reads back from the cache, from S3, and takes more ops' '
	n=$((NOPS / 8)) &&
	timeout 600 fsx -q -n "$n" -S 8003 -l 3M -o 512K -c 2 -m \
		"$B/fsx-remount.bin" "$TEST_TMP/fsx-remount.ref" &&
	lm_wait_drained "$M" &&
	lm_umount "$M" &&
	posix_mount "$CFG" "$M" &&
	size=$(stat -c %s "$TEST_TMP/fsx-remount.ref") &&
	bs=$(stat -c %o "$B/fsx-remount.bin") &&
	echo "block size $bs: the file spans $(((size + bs - 1) / bs)) blocks" &&
	test "$size" -gt "$bs" &&
	test "$(stat -c %s "$B/fsx-remount.bin")" = "$size" &&
	get0=$(lm_stat "$M" requests.get) &&
	direct_cmp "$B/fsx-remount.bin" "$TEST_TMP/fsx-remount.ref" &&
	get1=$(lm_stat "$M" requests.get) &&
	direct_cmp "$B/fsx-remount.bin" "$TEST_TMP/fsx-remount.ref" &&
	get2=$(lm_stat "$M" requests.get) &&
	echo "after the remount: $size bytes; GETs for the first read $((get1 - get0)), for the second $((get2 - get1))" &&
	test "$get2" = "$get1" &&
	lakemount-ctl evict "$M" bronze/fsx-remount.bin &&
	test "$(getfattr --absolute-names --only-values -n user.lakemount.cached "$B/fsx-remount.bin")" = 0 &&
	direct_cmp "$B/fsx-remount.bin" "$TEST_TMP/fsx-remount.ref" &&
	get3=$(lm_stat "$M" requests.get) &&
	echo "after evict: GETs $((get3 - get2))" &&
	test "$get3" -gt "$get2" &&
	timeout 600 fsx -k -q -n "$n" -S 8004 -l 3M -o 512K -c 2 -m \
		"$B/fsx-remount.bin" "$TEST_TMP/fsx-remount.ref" &&
	lm_wait_drained "$M" &&
	s3_is "$bucket" bronze/fsx-remount.bin "$TEST_TMP/fsx-remount.ref"
'

test_expect_success 'fsx -k refuses a file that does not match its reference' '
	printf abc >k.bin && printf abd >k.ref &&
	! fsx -k -q -n 10 k.bin k.ref 2>err &&
	cat err && grep "MISMATCH" err
'

test_lazy_prereq TMPFS '[ "$(id -u)" = 0 ] && command -v setpriv'

test_expect_success TMPFS 'setup: a tmpfs to compare with' '
	mkdir -p "$TEST_TMP/tmpfs" &&
	mount -t tmpfs -o mode=0755 posix-ref "$TEST_TMP/tmpfs" &&
	mount_register "$TEST_TMP/tmpfs"
'
T=$TEST_TMP/tmpfs

test_expect_success TMPFS 'posix.py on a tmpfs gives the Linux outcome of every case' '
	mkdir "$T/main" &&
	python3 "$POSIX" --fs linux main "$T/main" >out
	rc=$? && cat out && test $rc = 0 && tail -1 out | grep " 0 failed"
'

test_expect_success FUSE,TMPFS 'posix.py on a layer directory: Linux outcomes but for the documented differences' '
	mkdir "$B/posix" &&
	timeout 600 python3 "$POSIX" --fs lakemount main "$B/posix" >out
	rc=$? && cat out && test $rc = 0 &&
	echo "documented differences:" && grep "(lakemount: " out | cut -d: -f1
'

test_expect_success FUSE,TMPFS 'permissions as nobody: the same on the mount (allow_other) and on tmpfs' '
	mkdir "$T/user" "$B/posix-user" &&
	python3 "$POSIX" user-setup "$T/user" &&
	python3 "$POSIX" user-setup "$B/posix-user" &&
	{ as_nobody "$T/user" --fs linux user . >tmpfs.out || { cat tmpfs.out; false; }; } &&
	as_nobody "$B/posix-user" --fs lakemount user . >lm.out
	rc=$? && cat lm.out && test $rc = 0 &&
	sed "s/ on .*//" lm.out >a && sed "s/ on .*//" tmpfs.out >b && test_cmp b a
'

test_expect_success FUSE,TMPFS 'chmod, chown and utimensat are kept across a remount (and a tmpfs remount)' '
	mkdir "$T/persist" "$B/posix-persist" &&
	python3 "$POSIX" persist-set "$T/persist" &&
	mount -o remount "$T" &&
	python3 "$POSIX" persist-check "$T/persist" &&
	timeout 120 python3 "$POSIX" --fs lakemount persist-set "$B/posix-persist" &&
	lm_wait_drained "$M" &&
	lm_umount "$M" &&
	posix_mount "$CFG" "$M" &&
	timeout 120 python3 "$POSIX" --fs lakemount persist-check "$B/posix-persist" &&
	s3cli meta "$bucket" bronze/posix-persist/persist-file >meta &&
	grep "^mode=$((0100640))$" meta && grep "^uid=1234$" meta && grep "^mtime=1234567890$" meta
'

test_expect_success FUSE,TMPFS 'every change in the read-only archive is EROFS, as on a read-only tmpfs' '
	mkdir -p "$T/ro/dir/sub" && echo x >"$T/ro/dir/file" &&
	mount -o remount,ro "$T" &&
	test_when_finished "mount -o remount,rw \"$T\"" &&
	{ python3 "$POSIX" --fs linux readonly "$T/ro" >tmpfs.out || { cat tmpfs.out; false; }; } &&
	timeout 120 python3 "$POSIX" --fs lakemount readonly "$M/archive/binance" >lm.out
	rc=$? && cat lm.out && test $rc = 0 &&
	sed "s/ on .*//" lm.out >a && sed "s/ on .*//" tmpfs.out >b && test_cmp b a
'

test_expect_success FUSE 'a file unlinked while open keeps its bytes for its fd and never reaches S3' '
	timeout 60 python3 -c "
import os, sys
p = sys.argv[1]
fd = os.open(p, os.O_CREAT | os.O_RDWR, 0o644)
os.write(fd, b\"before\")
os.unlink(p)
os.write(fd, b\" after\")
got = os.pread(fd, 100, 0)
st = os.fstat(fd)
print(\"read back:\", got, \"st_nlink\", st.st_nlink, \"st_size\", st.st_size)
os.close(fd)
sys.exit(0 if got == b\"before after\" and st.st_nlink == 0 and st.st_size == 12 else 1)
" "$B/gone.txt" &&
	lm_wait_drained "$M" &&
	! s3cli head "$bucket" bronze/gone.txt &&
	! test -e "$B/gone.txt"
'

test_expect_success FUSE 'the layer directories drain and unmount cleanly' '
	lm_wait_drained "$M" &&
	lm_umount "$M"
'

test_done
