#!/usr/bin/env bash
test_description='lakemount from fstab: mount(8), mount.fuse3, umount, make install

mount -t fuse.lakemount and an fstab line (mount -T FILE) go through
/sbin/mount.fuse3, which runs `lakemount SOURCE MOUNTPOINT -o OPTIONS`
through /bin/sh without PATH: the shell searches its default path, which
starts with /usr/local/sbin.  Each case runs in a mount namespace of its own
where /usr/local/sbin holds only a `lakemount` link to this build (so an
installed lakemount is never used, nothing is left on the host, and the
mounts are seen only inside); the daemons are stopped by pid if a case
fails.'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start

test_lazy_prereq MOUNT_HELPER '
	test -x /sbin/mount.fuse3 && command -v unshare && command -v findmnt &&
	unshare --mount --propagation private true
'

# in_ns CMD ARGS...: run CMD (a command or an exported function) in a
# private mount namespace where mount.fuse3 finds this build as `lakemount`,
# with a utab (libmount's record of options such as _netdev) of its own.
in_ns() {
	unshare --mount --propagation private bash -c '
		mount -t tmpfs -o size=1m,mode=0755 lm-bin /usr/local/sbin &&
		ln -s "$LM_BUILD/lakemount" /usr/local/sbin/lakemount &&
		mkdir -p /run/mount &&
		mount -t tmpfs -o size=1m,mode=0755 lm-utab /run/mount || exit 125
		"$@"' in_ns "$@"
}

# stop_daemon CONFIG: for test_when_finished: the daemons serving CONFIG
# (in whatever namespace) get SIGTERM, which unmounts; after 60 s, SIGKILL.
stop_daemon() {
	local pid
	for pid in $(pgrep -f "^lakemount $1 "); do kill -TERM "$pid"; done
	for _ in $(seq 1 600); do
		pgrep -f "^lakemount $1 " >/dev/null || return 0
		sleep 0.1
	done
	for pid in $(pgrep -f "^lakemount $1 "); do
		echo "lakemount $pid ($1) still running: killed" >&2
		kill -KILL "$pid"
	done
	return 1
}

# gone CONFIG: wait (10 s at most) until no daemon serves CONFIG
gone() {
	for _ in $(seq 1 100); do
		pgrep -f "^lakemount $1 " >/dev/null || return 0
		sleep 0.1
	done
	echo "lakemount for $1 still running" >&2
	return 1
}

# mount_list_umount MOUNT-ARGS... -- MNT: inside a namespace: mount with
# MOUNT-ARGS, record the mount (mnt.info) and the daily klines (days), try
# a write into the layer (write.err), and unmount.
mount_list_umount() {
	local args=() mnt
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	mnt=$2
	mount "${args[@]}" || return 1
	findmnt -n -o FSTYPE,OPTIONS "$mnt" >mnt.info &&
	ls "$mnt/archive/binance/spot/daily/klines/BTCUSDT/1h" >days &&
	{ touch "$mnt/bronze/new.csv" 2>write.err || :; } &&
	umount "$mnt" &&
	! mountpoint -q "$mnt"
}

# refused MOUNT-ARGS... -- MNT: mount must fail, with nothing mounted.
refused() {
	local args=() mnt
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	mnt=$2
	! mount "${args[@]}" 2>err && ! mountpoint -q "$mnt"
}
export -f mount_list_umount refused

test_expect_success FUSE,ROOT,MOUNT_HELPER 'setup: a bucket with a few days of klines and a layer' '
	test_bucket b && s3cli mb "$b" &&
	mkdir -p src/data/spot/daily/klines/BTCUSDT/1h src/bronze &&
	for d in 01 02 03; do
		echo "1735689600000,93576.00,94509.42,93489.03,94401.14" \
			>src/data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2025-01-$d.csv || return 1
	done &&
	echo old >src/bronze/old.csv &&
	s3cli put-tree "$b" src &&
	echo "$b" >"$TEST_TMP/bucket"
'
bucket=$(cat "$TEST_TMP/bucket" 2>/dev/null)

test_expect_success FUSE,ROOT,MOUNT_HELPER 'mount -t fuse.lakemount CONFIG MNT -o _netdev,allow_other lists the tree' '
	mkdir typed && cd typed &&
	lm_config_layers "$PWD/lm.json" "$bucket" && mkdir mnt &&
	test_when_finished "stop_daemon $PWD/lm.json" &&
	lm_env_creds &&
	in_ns mount_list_umount -t fuse.lakemount -o _netdev,allow_other,nofail,noatime \
		"$PWD/lm.json" "$PWD/mnt" -- "$PWD/mnt" &&
	gone "$PWD/lm.json" &&
	cat mnt.info days &&
	test $(wc -l <days) = 3 &&
	grep "^fuse.lakemount " mnt.info &&
	grep -w allow_other mnt.info && grep -w default_permissions mnt.info &&
	grep -w nosuid mnt.info && grep -w nodev mnt.info &&
	test ! -s write.err &&
	s3cli head "$bucket" bronze/new.csv &&
	test "$(python3 -c "import json,sys; print(json.loads(sys.stdin.readline())[\"msg\"])" \
		<lm.json.cache/lakemount.log)" = "mounted on $PWD/mnt"
'

test_expect_success FUSE,ROOT,MOUNT_HELPER 'an fstab line (mount -T FILE MNT): generic options accepted, ro honoured' '
	mkdir fstab && cd fstab &&
	lm_config_layers "$PWD/lm.json" "$bucket" && mkdir mnt &&
	test_when_finished "stop_daemon $PWD/lm.json" &&
	lm_env_creds &&
	echo "# a comment" >fstab &&
	echo "$PWD/lm.json $PWD/mnt fuse.lakemount ro,_netdev,allow_other,nofail,noatime,nodev,nosuid,noexec,x-systemd.automount,x-systemd.mount-timeout=30,comment=lake,log_level=debug 0 0" >>fstab &&
	in_ns mount_list_umount -T "$PWD/fstab" "$PWD/mnt" -- "$PWD/mnt" &&
	gone "$PWD/lm.json" &&
	cat mnt.info days write.err &&
	test $(wc -l <days) = 3 &&
	grep "^fuse.lakemount ro," mnt.info && grep -w noexec mnt.info &&
	grep "Read-only file system" write.err &&
	grep -q "\"level\":\"debug\"" lm.json.cache/lakemount.log
'

test_expect_success FUSE,ROOT,MOUNT_HELPER 'an unknown option is refused by name; so is sync' '
	mkdir bad && cd bad &&
	lm_config "$PWD/lm.json" "$bucket" && mkdir mnt &&
	test_when_finished "stop_daemon $PWD/lm.json" &&
	lm_env_creds &&
	in_ns refused -t fuse.lakemount -o allow_other,colour=red "$PWD/lm.json" "$PWD/mnt" \
		-- "$PWD/mnt" &&
	cat err &&
	grep "lakemount: unknown mount option .colour=red." err &&
	in_ns refused -t fuse.lakemount -o sync "$PWD/lm.json" "$PWD/mnt" -- "$PWD/mnt" &&
	cat err &&
	grep "lakemount: -o sync: not supported" err &&
	! pgrep -f "^lakemount $PWD/lm.json "
'

test_expect_success FUSE,ROOT,MOUNT_HELPER 'a wrong secret: mount fails with the reason' '
	mkdir secret && cd secret &&
	lm_config "$PWD/lm.json" "$bucket" && mkdir mnt &&
	test_when_finished "stop_daemon $PWD/lm.json" &&
	lm_env_creds &&
	AWS_SECRET_ACCESS_KEY=wrong-secret in_ns refused -t fuse.lakemount \
		"$PWD/lm.json" "$PWD/mnt" -- "$PWD/mnt" &&
	cat err &&
	grep SignatureDoesNotMatch err && ! grep wrong-secret err
'

test_expect_success 'make install puts the programs in bin and the pages in man1, man5, man8' '
	make -s -C "$SRC_ROOT" BUILD="$LM_BUILD" -o "$LM_BUILD/lakemount" \
		-o "$LM_BUILD/lakemount-ctl" install DESTDIR="$PWD/root" PREFIX=/usr/local &&
	(cd root && find . -type f | sort) >installed &&
	cat installed &&
	grep -x ./usr/local/bin/lakemount installed &&
	grep -x ./usr/local/bin/lakemount-ctl installed &&
	grep -x ./usr/local/share/man/man8/lakemount.8 installed &&
	grep -x ./usr/local/share/man/man5/lakemount.json.5 installed &&
	grep -x ./usr/local/share/man/man1/lakemount-ctl.1 installed &&
	test $(wc -l <installed) = 5 &&
	test -x root/usr/local/bin/lakemount
'

test_lazy_prereq SYSTEMD_ANALYZE 'command -v systemd-analyze'

# systemd-analyze verify exits 0 even for unknown keys: its messages are
# what counts.  ExecStart must name an executable: the units get this build.
test_expect_success SYSTEMD_ANALYZE 'the systemd units in contrib/ pass systemd-analyze verify' '
	mkdir units bin && ln -s "$LM_BUILD/lakemount" bin/lakemount &&
	cp "$SRC_ROOT/contrib/mnt-lake.mount" units/ &&
	cp "$SRC_ROOT/contrib/lakemount@.service" units/lakemount@lake.service &&
	sed -i "s|/usr/local/bin/lakemount|$PWD/bin/lakemount|" units/* &&
	grep -q "^ExecStart=$PWD/bin/lakemount " units/lakemount@lake.service &&
	{ SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
		"$PWD/units/lakemount@lake.service" "$PWD/units/mnt-lake.mount" 2>verify.err;
	  cat verify.err; } &&
	test ! -s verify.err
'

test_done
