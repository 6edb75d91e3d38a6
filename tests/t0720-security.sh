#!/usr/bin/env bash
test_description='security: the cache is private, keys cannot escape it, secrets stay hidden, other users are kept out

One bucket on Ceph RGW, mounted with the archive (data/) and the layers.
Every file the daemon keeps in its cache directory is 0600 and every
directory 0700, whatever the umask; keys with ../ components (put with
s3cli) make nothing appear outside the cache; the secret key is nowhere
in the daemon'\''s command line, in --check output, the control socket'\''s
answers, the metrics or the extended attributes; another user cannot even
stat a mount without allow_other, and with it the kernel checks modes
(default_permissions).  (t0500 shows the control socket refusing another
user; t0510 that the log holds no secret; t0700 that TLS certificates are
verified by default.)'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

TEST_TIMEOUT=90

rgw_start

test_expect_success FUSE 'setup: a bucket with an archive file and keys with ../ in them' '
	test_bucket b && s3cli mb "$b" &&
	echo "$b" >"$TEST_TMP/bucket" &&
	head -c 3000000 /dev/urandom >big && s3cli put "$b" data/f/big.bin big &&
	echo tiny >tiny && s3cli put "$b" data/f/tiny.csv tiny &&
	for k in "data/../../etc/lm-escape-$$" "data/a/../../../../tmp/lm-escape-$$" \
		"data/f/../../../../../../tmp/lm-escape2-$$" "bronze/../../../tmp/lm-escape3-$$" \
		"data/f/..%2f..%2ftmp%2flm-escape4-$$"; do
		s3cli put "$b" "$k" tiny || return 1
	done &&
	s3cli ls "$b" | cut -f1
'
bucket=$(cat "$TEST_TMP/bucket" 2>/dev/null)
export bucket

# no_escape: nothing named lm-escape* anywhere a key could have pointed to
no_escape() {
	local found
	found=$(find /tmp /etc /var/cache "$TEST_TMP" -xdev -name "lm-escape*" 2>/dev/null | grep -v "/rgw/")
	echo "files named lm-escape*: ${found:-none}"
	test -z "$found"
}

test_expect_success FUSE 'with umask 000: cache directories 0700, every file in them 0600' '
	mkdir perm && cd perm &&
	lm_config_layers "$PWD/lm.json" "$bucket" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	mkdir mnt && mount_register "$PWD/mnt" && lm_env_creds &&
	(umask 000 && lakemount "$PWD/lm.json" "$PWD/mnt") &&
	cat mnt/archive/binance/f/big.bin | cmp - ../big &&
	echo "staged" >mnt/bronze/new.csv && sync mnt/bronze/new.csv &&
	echo "open for writing" >mnt/bronze/open.csv &&
	timeout 60 lakemount-ctl pin "$PWD/mnt" archive/binance/f/tiny.csv &&
	C=$PWD/lm.json.cache &&
	find "$C" -printf "%m %y %P\n" | sort -k3 >modes &&
	cat modes &&
	echo "$(wc -l <modes) entries, of which $(grep -c " d " modes) directories" &&
	test -S "$C/control.sock" && test -s "$C/lakemount.log" && test -s "$C/pins" &&
	ls "$C/blocks" >/dev/null && test -f "$C/index.db" && test -f "$C/journal.db" &&
	! grep -v -e "^700 d" -e "^600 [fs]" modes &&
	lm_umount "$PWD/mnt" &&
	find "$C" -printf "%m %y %P\n" | sort -k3 >modes2 &&
	! grep -v -e "^700 d" -e "^600 [fs]" modes2
'

test_expect_success FUSE 'a cache directory made 0755 beforehand is made 0700' '
	mkdir loose && cd loose &&
	lm_config_layers "$PWD/lm.json" "$bucket" &&
	mkdir -m 755 lm.json.cache &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	test "$(stat -c %a lm.json.cache)" = 700 &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'keys with ../ components: never shown, nothing written outside the cache' '
	mkdir dots && cd dots &&
	lm_config_layers "$PWD/lm.json" "$bucket" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	find mnt -printf "%y %P\n" | sort >tree && cat tree &&
	! grep -E "(^|/| )\\.\\.(/|$)|lm-escape-|lm-escape[235]-" tree &&
	grep -qF "f archive/binance/f/..%2f..%2ftmp%2flm-escape4-$$" tree &&
	for f in mnt/archive/binance/f/*; do
		cat "$f" >/dev/null || { echo "cannot read $f"; return 1; }
	done &&
	timeout 60 lakemount-ctl prefetch "$PWD/mnt" archive/binance >pf.out && cat pf.out &&
	for cmd in prefetch pin evict verify; do
		! timeout 60 lakemount-ctl $cmd "$PWD/mnt" "archive/binance/a/../../../../tmp/lm-escape-$$" 2>err &&
		cat err && grep -q "leads out of the mount" err || return 1
	done &&
	! timeout 60 lakemount-ctl sync "$PWD/mnt" archive/binance/f "bronze/../../../tmp/lm-escape5-$$" 2>err &&
	cat err && grep -q "leads out of the mount" err &&
	! find lm.json.cache -iname "*escape*" | grep . &&
	no_escape &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'the secret key is in no command line, --check output, ctl answer, metric or xattr' '
	mkdir secret && cd secret &&
	lm_config_layers "$PWD/lm.json" "$bucket" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	mkdir mnt && mount_register "$PWD/mnt" && lm_env_creds &&
	lakemount -o metrics_file=$PWD/metrics.prom,log_level=debug "$PWD/lm.json" "$PWD/mnt" &&
	pid=$(lm_daemon_pid "$PWD/lm.json") &&
	tr "\\0" " " </proc/$pid/cmdline >cmdline && cat cmdline && echo &&
	cat /proc/$pid/comm &&
	ls mnt/archive/binance/f >/dev/null && cat mnt/archive/binance/f/tiny.csv >/dev/null &&
	echo x >mnt/bronze/s.csv && sync mnt/bronze/s.csv &&
	lakemount-ctl status "$PWD/mnt" >status &&
	lakemount-ctl --json status "$PWD/mnt" >>status &&
	lakemount-ctl stats --prometheus "$PWD/mnt" >>status &&
	getfattr -d -m - mnt mnt/archive/binance/f/tiny.csv mnt/bronze/s.csv >xattrs 2>&1 &&
	cat xattrs && timeout 30 sh -c "until test -s metrics.prom; do sleep 0.2; done" &&
	lakemount --check "$PWD/lm.json" >check 2>&1 &&
	wrong=wrong-$S3_SECRET_KEY-wrong &&
	{ AWS_SECRET_ACCESS_KEY=$wrong lakemount --check "$PWD/lm.json" >>check 2>&1; test $? = 1; } &&
	lm_config_layers "$PWD/lm2.json" "$bucket" && mkdir mnt2 && mount_register "$PWD/mnt2" &&
	{ AWS_SECRET_ACCESS_KEY=$wrong lakemount "$PWD/lm2.json" "$PWD/mnt2" >>check 2>&1; test $? = 1; } &&
	{ AWS_SECRET_ACCESS_KEY=$wrong lakemount -f -o log_level=debug "$PWD/lm2.json" "$PWD/mnt2" >>check 2>&1; test $? = 1; } &&
	cat check &&
	grep -c "" cmdline status xattrs check metrics.prom lm.json.cache/lakemount.log &&
	! grep -F -e "$S3_SECRET_KEY" -e Signature= -e X-Amz-Credential cmdline status xattrs check \
		metrics.prom lm.json.cache/lakemount.log &&
	test "$(stat -c %a /proc/$pid/environ)" = 400 &&
	! runuser -u nobody -- cat /proc/$pid/environ >/dev/null 2>&1 &&
	lm_umount "$PWD/mnt"
'

# A mount point other users can reach: TEST_TMP is 0700 (mktemp -d).
pub_dir() {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/lm-t0720-pub.XXXXXX") && chmod 755 "$d" && echo "$d"
}

test_expect_success FUSE,ROOT 'allow_other is off by default: another user cannot even stat the mount' '
	P=$(pub_dir) && test_when_finished "rmdir $P/mnt $P" &&
	lm_config_layers "$PWD/lm-private.json" "$bucket" &&
	test_when_finished "lm_reap $PWD/lm-private.json $P/mnt" &&
	lm_mount "$PWD/lm-private.json" "$P/mnt" &&
	grep " $P/mnt " /proc/mounts &&
	! grep " $P/mnt .*allow_other" /proc/mounts &&
	ls "$P/mnt" >/dev/null &&
	! runuser -u nobody -- stat "$P/mnt" >out 2>&1 && cat out && grep "Permission denied" out &&
	! runuser -u nobody -- ls "$P/mnt/archive" >out 2>&1 && grep "Permission denied" out &&
	runuser -u nobody -- stat -c "%n %a" "$P" &&
	lm_umount "$P/mnt"
'

test_expect_success FUSE,ROOT 'with allow_other, default_permissions is on: a 0600 file of root is unreadable for nobody' '
	P=$(pub_dir) && test_when_finished "rmdir $P/mnt $P" &&
	lm_config_layers "$PWD/lm-other.json" "$bucket" &&
	test_when_finished "lm_reap $PWD/lm-other.json $P/mnt" &&
	mkdir "$P/mnt" && mount_register "$P/mnt" && lm_env_creds &&
	lakemount -o allow_other "$PWD/lm-other.json" "$P/mnt" &&
	grep " $P/mnt " /proc/mounts &&
	grep " $P/mnt .*default_permissions.*allow_other" /proc/mounts &&
	grep " $P/mnt .*nosuid,nodev" /proc/mounts &&
	runuser -u nobody -- stat -c "%n %a %U" "$P/mnt" &&
	echo "for root only" >"$P/mnt/bronze/private.csv" && chmod 600 "$P/mnt/bronze/private.csv" &&
	echo "for all" >"$P/mnt/bronze/public.csv" && chmod 644 "$P/mnt/bronze/public.csv" &&
	stat -c "%n %a %U" "$P/mnt/bronze/private.csv" "$P/mnt/bronze/public.csv" &&
	! runuser -u nobody -- cat "$P/mnt/bronze/private.csv" >out 2>&1 && cat out &&
	grep "Permission denied" out &&
	runuser -u nobody -- cat "$P/mnt/bronze/public.csv" &&
	! runuser -u nobody -- sh -c "echo x >$P/mnt/bronze/public.csv" 2>out && cat out &&
	grep "Permission denied" out &&
	! runuser -u nobody -- touch "$P/mnt/bronze/by-nobody" 2>out && cat out &&
	grep "Permission denied" out &&
	runuser -u nobody -- cat "$P/mnt/archive/binance/f/tiny.csv" &&
	lm_umount "$P/mnt"
'

test_done
