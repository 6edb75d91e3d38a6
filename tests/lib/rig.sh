# tests/lib/rig.sh -- the parts of the test rig that tests/run.sh and
# tests/lib/test-lib.sh share: free ports, processes with a time limit,
# the two S3 servers, and unmounting.  Sourcing it only defines functions.
#
# Names starting with lm_ are the rig's own; a test script uses the ones
# documented in test-lib.sh.

LM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

# lm_become_subreaper "$0" "$@": re-executes the calling script (same pid)
# as a "child subreaper", so that daemons which detach (ceph, swift, a FUSE
# daemon) are reparented to it rather than to PID 1, and bash reaps them when
# they exit.  Without it they linger as zombies on machines whose PID 1 does
# not reap orphans.  Returns (does nothing) if already done or impossible.
lm_become_subreaper() {
	[ "${LM_SUBREAPER_PID:-}" = "$$" ] && return 0
	command -v python3 >/dev/null 2>&1 || return 0
	[ -f "$1" ] || return 0
	export LM_SUBREAPER_PID=$$
	exec python3 -c '
import ctypes, os, signal, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)   # PR_SET_CHILD_SUBREAPER (kept across exec)
# Python ignores these; an ignored signal stays ignored across exec
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
os.execvp("bash", ["bash"] + sys.argv[1:])' "$@"
}

lm_now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
lm_secs_since() {  # START_MS -> "1.234"
	local ms=$(( $(lm_now_ms) - $1 ))
	printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

# ---------------------------------------------------------------- ports

# free_port [COUNT]: prints a free TCP port on 127.0.0.1 (with COUNT, the
# first of COUNT consecutive free ports).  No port is handed out twice while
# LM_PORTS_FILE names the same file (the runner shares one with every script).
# Ports come from below the kernel's ephemeral range when there is room, so
# no outgoing connection can take one before the server binds it.
free_port() {
	[ -n "${LM_PORTS_FILE:-}" ] || { echo "free_port: LM_PORTS_FILE is not set" >&2; return 1; }
	python3 - "${1:-1}" "$LM_PORTS_FILE" <<'EOF'
import fcntl, random, socket, sys
count, path = int(sys.argv[1]), sys.argv[2]
with open(path, 'a+') as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    f.seek(0)
    used = {int(x) for x in f.read().split()}
    lo, hi = map(int, open('/proc/sys/net/ipv4/ip_local_port_range').read().split())
    if lo - 10000 >= 2000:
        pool = (10000, lo - count)
    elif 65535 - hi >= 2000:
        pool = (hi + 1, 65535 - count + 1)
    else:
        pool = None
    def bindable(p):
        s = socket.socket()
        try:
            s.bind(('127.0.0.1', p))
            return True
        except OSError:
            return False
        finally:
            s.close()
    for _ in range(500):
        if pool:
            base = random.randint(*pool)
        else:
            s = socket.socket(); s.bind(('127.0.0.1', 0)); base = s.getsockname()[1]; s.close()
            if base + count > 65536:
                continue
        ports = range(base, base + count)
        if any(p in used for p in ports) or not all(bindable(p) for p in ports):
            continue
        f.write(''.join('%d\n' % p for p in ports))
        print(base)
        sys.exit(0)
sys.exit('free_port: no free port found')
EOF
}

# ---------------------------------------------------------------- processes

# lm_spawn CMD...: runs CMD in the background in a process group of its own
# (so that it and everything it starts can be killed together); the pid,
# which is also the group id, is left in lm_spawned.  Redirect as needed:
#   lm_spawn my_function arg >out 2>&1
# The child keeps only fds 0-2: while a function's redirection is in effect
# bash holds a copy of the old fd (say a pipe to the caller), and a subshell
# that never execs would keep that pipe open for as long as it lives.
lm_spawn() {
	set -m
	{
		# (no 2>/dev/null on this loop: bash would keep stderr meanwhile
		# in a high fd, close it here, and lose stderr; closing an fd that
		# is not open is silent anyway)
		for lm_fd in /proc/$BASHPID/fd/*; do
			lm_fd=${lm_fd##*/}
			[ "$lm_fd" -gt 2 ] && eval "exec $lm_fd>&-"
		done
		unset lm_fd
		"$@"
	} </dev/null &
	lm_spawned=$!
	set +m
}

# lm_wait_timeout PID SECS [GRACE]: waits for the group leader PID started by
# lm_spawn.  After SECS sends SIGTERM to its group, GRACE seconds later
# (default 30) SIGKILL.  Returns its exit status; sets lm_timed_out to 1 if
# the time ran out, else to "".  The watcher's group is in lm_watchers until
# then: whoever exits from a signal trap meanwhile calls lm_kill_watchers.
lm_wait_timeout() {
	local pid=$1 secs=$2 grace=${3:-30} watcher rc t0 w
	t0=$(lm_now_ms)
	lm_spawn eval 'sleep "$secs"; kill -TERM -- "-$pid"
		sleep "$grace"; kill -KILL -- "-$pid"' >/dev/null 2>&1
	watcher=$lm_spawned
	lm_watchers="${lm_watchers:-} $watcher"
	wait "$pid"
	rc=$?
	kill -KILL -- "-$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
	lm_watchers=$(for w in $lm_watchers; do [ "$w" = "$watcher" ] || printf ' %s' "$w"; done)
	lm_timed_out=
	[ $(( $(lm_now_ms) - t0 )) -lt $(( secs * 1000 )) ] || lm_timed_out=1
	return $rc
}

lm_kill_watchers() {
	local w
	for w in ${lm_watchers:-}; do
		kill -KILL -- "-$w" 2>/dev/null
		wait "$w" 2>/dev/null   # else bash reports "Killed" later
	done
	lm_watchers=
}

# lm_group_gone PGID [SECS]: waits (default 10 s) until no process is left in
# group PGID; true if none is.
lm_group_gone() {
	local i
	for i in $(seq 1 $(( ${2:-10} * 20 ))); do
		kill -0 -- "-$1" 2>/dev/null || return 0
		sleep 0.05
	done
	! kill -0 -- "-$1" 2>/dev/null
}

# lm_kill_group PGID [GRACE]: SIGTERM to the group, SIGKILL after GRACE
# seconds (default 10), and waits until it is empty.
lm_kill_group() {
	kill -TERM -- "-$1" 2>/dev/null || return 0
	if ! lm_group_gone "$1" "${2:-10}"; then
		kill -KILL -- "-$1" 2>/dev/null
		lm_group_gone "$1" 5
	fi
	wait "$1" 2>/dev/null   # reap it if it is our child, quietly
	! kill -0 -- "-$1" 2>/dev/null
}

# ---------------------------------------------------------------- servers
#
# lm_rgw_up DIR / lm_swift_up DIR: start a server whose files all live in DIR
# (wiped first), on ports from free_port.  On success write DIR.env with
# export lines (LM_RGW_* or LM_SWIFT_*) and return 0; on failure print the
# tail of the start log and return 1.  The start log is DIR.log.
# lm_rgw_down DIR / lm_swift_down DIR: stop it and delete DIR (which also
# unmounts Swift's tmpfs); harmless if nothing runs there.

lm_start_failed() {  # NAME LOG: the start script's own messages, then the log's end
	echo "# $1 did not start; from $2:"
	{
		grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$2" | tail -n 30
		echo "--- last lines:"
		tail -n 12 "$2"
	} 2>/dev/null | sed 's/^/#   /'
}

lm_rgw_up() {
	local dir=$1 rgw mon osd try
	for try in 1 2; do
		rgw=$(free_port) && mon=$(free_port) && osd=$(free_port 16) || return 1
		if OSD_PORT_MIN=$osd OSD_PORT_MAX=$((osd + 15)) \
			bash "$LM_LIB_DIR/ceph-rgw.sh" start "$dir" "$rgw" "$mon" >"$dir.log" 2>&1; then
			cat >"$dir.env" <<-EOF
			export LM_RGW_ENDPOINT=http://127.0.0.1:$rgw LM_RGW_DIR=$dir
			export LM_RGW_ACCESS_KEY=test LM_RGW_SECRET_KEY=testsecret
			EOF
			return 0
		fi
		# another program took a port in between: once more with new ones
		grep -qiE 'in use|could not listen|did not come up' "$dir.log" || break
	done
	lm_start_failed "Ceph RGW" "$dir.log"
	return 1
}

lm_rgw_down() {
	[ -e "$1" ] || return 0
	bash "$LM_LIB_DIR/ceph-rgw.sh" wipe "$1" >>"$1.log" 2>&1
}

lm_swift_up() {
	local dir=$1 try p a c o m
	for try in 1 2; do
		p=$(free_port) && a=$(free_port) && c=$(free_port) && o=$(free_port) &&
			m=$(free_port) || return 1
		if ACCOUNT_PORT=$a CONTAINER_PORT=$c OBJECT_PORT=$o MEMCACHED_PORT=$m \
			bash "$LM_LIB_DIR/swift-s3api.sh" start "$dir" "$p" >"$dir.log" 2>&1; then
			cat >"$dir.env" <<-EOF
			export LM_SWIFT_ENDPOINT=http://127.0.0.1:$p LM_SWIFT_DIR=$dir
			export LM_SWIFT_ACCESS_KEY=test:tester LM_SWIFT_SECRET_KEY=testing
			EOF
			return 0
		fi
		grep -qiE 'in use' "$dir.log" || break
		bash "$LM_LIB_DIR/swift-s3api.sh" wipe "$dir" >>"$dir.log" 2>&1
	done
	lm_start_failed "Swift s3api" "$dir.log"
	return 1
}

lm_swift_down() {
	[ -e "$1" ] || return 0
	bash "$LM_LIB_DIR/swift-s3api.sh" wipe "$1" >>"$1.log" 2>&1
}

# ---------------------------------------------------------------- mounts

# lm_abspath PATH: absolute, symlink-free path, without stat()ing PATH itself
# (a dead FUSE mountpoint answers ENOTCONN).
lm_abspath() {
	local p=$1 d b
	case $p in /*) ;; *) p=$PWD/$p ;; esac
	while [ "${p%/}" != "$p" ] && [ "$p" != / ]; do p=${p%/}; done
	d=$(dirname "$p") b=$(basename "$p")
	d=$(cd -P "$d" 2>/dev/null && pwd -P) || d=$(dirname "$p")
	[ "$d" = / ] && d=
	echo "$d/$b"
}

# lm_mounts_under DIR: mountpoints at or below DIR (absolute), deepest first.
lm_mounts_under() {
	python3 - "$1" <<'EOF'
import re, sys
top = sys.argv[1].rstrip('/')
unesc = lambda s: re.sub(r'\\([0-7]{3})', lambda m: chr(int(m.group(1), 8)), s)
mps = [unesc(l.split()[4]) for l in open('/proc/self/mountinfo')]
for mp in sorted({m for m in mps if m == top or m.startswith(top + '/')}, key=len, reverse=True):
    print(mp)
EOF
}

lm_is_mounted() {  # DIR (absolute)
	local e=$1
	e=${e//\\/\\134}; e=${e// /\\040}; e=${e//$'\t'/\\011}; e=${e//$'\n'/\\012}
	awk -v m="$e" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo
}

# mount_cleanup DIR: unmount DIR if it is mounted: `fusermount3 -u`, retried
# for 5 s while busy, then `fusermount3 -uz` (lazy), then `umount -l`.
# True once DIR is no longer a mountpoint.
mount_cleanup() {
	local dir i
	dir=$(lm_abspath "$1")
	lm_is_mounted "$dir" || return 0
	for i in $(seq 1 10); do
		fusermount3 -u "$dir" 2>/dev/null
		lm_is_mounted "$dir" || return 0
		sleep 0.5
	done
	fusermount3 -uz "$dir" 2>/dev/null
	lm_is_mounted "$dir" || return 0
	umount -l "$dir" 2>/dev/null
	lm_is_mounted "$dir" || return 0
	echo "mount_cleanup: cannot unmount '$dir'" >&2
	return 1
}
