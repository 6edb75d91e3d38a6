#!/usr/bin/env bash
# tests/run.sh -- runs lakemount's tests and ends with one line "N passed, N failed".
#
#   tests/run.sh [-v] [--unit-only | --no-unit] BUILD [tests/tNNNN-name.sh ...]
#
# 1. Every unit-test program BUILD/tests/t_* (each "ok"/"not ok" line is a case).
# 2. Unless --unit-only: one Ceph RGW and one Swift s3api for the whole suite,
#    started side by side on free ports under a temporary directory, then each
#    tests/t[0-9]*.sh (or the scripts named), one after the other.  Scripts
#    find the servers in LM_RGW_ENDPOINT / LM_SWIFT_ENDPOINT (see
#    tests/lib/test-lib.sh) and make their own buckets.
# The servers are stopped and the temporary directory removed whatever
# happens (^C and SIGTERM included); it is kept, with the servers' logs, when
# something failed.  Exit status 0 iff nothing failed.
#
# Environment: TEST_SCRIPT_TIMEOUT (600 s per script), TEST_UNIT_TIMEOUT
# (300 s per unit program), TEST_TIMEOUT (120 s per case, read by
# test-lib.sh), TEST_VERBOSE=1 (same as -v), CI=true (no skipping), KEEP_TMP=1.

. "$(dirname "$0")/lib/rig.sh"
lm_become_subreaper "$0" "$@"

usage() { echo "usage: $0 [-v] [--unit-only | --no-unit] BUILD [tests/tNNNN-name.sh ...]" >&2; exit 2; }
unit=1 scripts=1
while [ $# -gt 0 ]; do
	case $1 in
	-v | --verbose) export TEST_VERBOSE=1 ;;
	--unit-only) scripts= ;;
	--no-unit) unit= ;;
	-h | --help) usage ;;
	-*) echo "run.sh: unknown option '$1'" >&2; usage ;;
	*) break ;;
	esac
	shift
done
[ $# -ge 1 ] || usage
LM_BUILD=$(realpath -m -- "$1")
shift
TESTS_DIR=$(cd "$(dirname "$0")" && pwd -P)
if [ $# -gt 0 ]; then
	list=("$@")
else
	list=("$TESTS_DIR"/t[0-9]*.sh)
	[ -e "${list[0]}" ] || list=()
fi
[ -n "$scripts" ] || list=()
SCRIPT_TIMEOUT=${TEST_SCRIPT_TIMEOUT:-600}
UNIT_TIMEOUT=${TEST_UNIT_TIMEOUT:-300}

LM_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/lm-suite.XXXXXX") || exit 1
LM_PORTS_FILE=$LM_TMPDIR/ports
export LM_BUILD LM_TMPDIR LM_PORTS_FILE

npass=0 nfail=0 nskip=0
cur_pid=        # the unit program or script running now (a process group)
starters=       # process groups still starting a server
rgw_dir= swift_dir=
finished=
T_SUITE=$(lm_now_ms)

# ---------------------------------------------------------------- the end

stop_servers() {
	local t0 d
	[ -n "$rgw_dir$swift_dir" ] || return 0
	t0=$(lm_now_ms)
	if [ "$nfail" != 0 ] || [ -n "${KEEP_TMP:-}" ]; then   # keep their logs
		for d in $rgw_dir $swift_dir; do
			[ -d "$d/log" ] && cp -r "$d/log" "$d-logs" 2>/dev/null
		done
	fi
	[ -z "$rgw_dir" ] || lm_rgw_down "$rgw_dir"
	[ -z "$swift_dir" ] || lm_swift_down "$swift_dir"
	rgw_dir= swift_dir=
	echo "# servers stopped in $(lm_secs_since "$t0") s"
}

# finish [STATUS]: stop everything, remove what is ours, print the summary.
finish() {
	local rc=${1:-0} g mp
	[ -z "$finished" ] || return 0
	finished=1
	trap '' INT TERM HUP
	lm_kill_watchers
	if [ -n "$cur_pid" ]; then          # let it clean up after itself first
		lm_kill_group "$cur_pid" 30
		cur_pid=
	fi
	for g in $starters; do lm_kill_group "$g" 10; done
	starters=
	stop_servers
	while read -r mp; do
		[ -n "$mp" ] && mount_cleanup "$mp"
	done < <(lm_mounts_under "$LM_TMPDIR")
	if [ -n "$(lm_mounts_under "$LM_TMPDIR")" ]; then
		echo "# still mounted under $LM_TMPDIR, not removed"
	elif [ "$nfail" = 0 ] && [ -z "${KEEP_TMP:-}" ]; then
		rm -rf --one-file-system "$LM_TMPDIR"
	else
		echo "# logs and scratch files kept in $LM_TMPDIR"
	fi
	echo "# total $(lm_secs_since "$T_SUITE") s"
	echo "$npass passed, $nfail failed$([ "$nskip" = 0 ] || echo ", $nskip skipped")"
	[ "$nfail" = 0 ] || [ "$rc" != 0 ] || rc=1
	exit "$rc"
}

on_signal() {  # NAME STATUS
	echo "# run.sh: got SIG$1; stopping"
	nfail=$((nfail + 1))
	finish "$2"
}
trap 'finish $?' EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP

# ---------------------------------------------------------------- unit tests

run_unit() {  # PROGRAM
	local out=$LM_TMPDIR/unit.out t0 rc p f s extra=
	t0=$(lm_now_ms)
	echo "# --- ${1#"$PWD"/}"
	lm_spawn "$1" >"$out" 2>&1
	cur_pid=$lm_spawned
	lm_wait_timeout "$cur_pid" "$UNIT_TIMEOUT" 5
	rc=$?
	cur_pid=
	cat "$out"
	s=$(grep -cE '^ok [0-9]+.*# *SKIP' "$out")
	p=$(( $(grep -cE '^ok [0-9]+' "$out") - s ))
	f=$(grep -cE '^not ok [0-9]+' "$out")
	if [ -n "$lm_timed_out" ]; then
		echo "not ok - ${1##*/} timed out after $UNIT_TIMEOUT s"; f=$((f + 1))
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "not ok - ${1##*/} exited with status $rc"; f=$((f + 1))
	fi
	npass=$((npass + p)) nfail=$((nfail + f)) nskip=$((nskip + s))
	[ "$s" = 0 ] || extra=", $s skipped"
	echo "# ${1##*/}: $p passed, $f failed$extra in $(lm_secs_since "$t0") s"
}

if [ -n "$unit" ]; then
	for prog in "$LM_BUILD"/tests/t_*; do
		[ -f "$prog" ] && [ -x "$prog" ] || continue
		run_unit "$prog"
	done
fi

# ---------------------------------------------------------------- servers

start_servers() {
	local t0 rgw swift rc
	t0=$(lm_now_ms)
	rgw_dir=$LM_TMPDIR/rgw swift_dir=$LM_TMPDIR/swift
	lm_spawn lm_rgw_up "$rgw_dir" >"$rgw_dir.out" 2>&1
	rgw=$lm_spawned
	lm_spawn lm_swift_up "$swift_dir" >"$swift_dir.out" 2>&1
	swift=$lm_spawned
	starters="$rgw $swift"
	lm_wait_timeout "$rgw" 180 10
	rc=$?
	if [ "$rc" = 0 ]; then
		. "$rgw_dir.env"
		echo "# Ceph RGW at $LM_RGW_ENDPOINT"
	else
		echo "not ok - start Ceph RGW${lm_timed_out:+ # timed out}"
		cat "$rgw_dir.out"
		nfail=$((nfail + 1))
		export LM_RGW_FAILED=1
	fi
	lm_wait_timeout "$swift" 180 10
	rc=$?
	if [ "$rc" = 0 ]; then
		. "$swift_dir.env"
		echo "# Swift s3api at $LM_SWIFT_ENDPOINT"
	else
		echo "not ok - start Swift s3api${lm_timed_out:+ # timed out}"
		cat "$swift_dir.out"
		nfail=$((nfail + 1))
		export LM_SWIFT_FAILED=1
	fi
	starters=
	echo "# servers started in $(lm_secs_since "$t0") s"
}

# ---------------------------------------------------------------- scripts

run_script() {  # SCRIPT
	local results t0 rc p f s extra= name
	name=${1#"$PWD"/}
	results=$LM_TMPDIR/results.$(basename "$1")
	: >"$results"
	t0=$(lm_now_ms)
	echo "# --- $name"
	lm_spawn env LM_RESULTS_FILE="$results" bash "$1"
	cur_pid=$lm_spawned
	lm_wait_timeout "$cur_pid" "$SCRIPT_TIMEOUT" 30
	rc=$?
	lm_kill_group "$cur_pid" 10     # whatever it left in its process group
	cur_pid=
	p=$(grep -cx 'ok' "$results")
	f=$(grep -cx 'not ok' "$results")
	s=$(grep -cx 'skip' "$results")
	if [ -n "$lm_timed_out" ]; then
		echo "not ok - $name timed out after $SCRIPT_TIMEOUT s"; f=$((f + 1))
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "not ok - $name exited with status $rc"; f=$((f + 1))
	elif ! grep -qx "done" "$results" && [ "$f" = 0 ]; then
		echo "not ok - $name ended without test_done"; f=$((f + 1))
	fi
	npass=$((npass + p)) nfail=$((nfail + f)) nskip=$((nskip + s))
	[ "$s" = 0 ] || extra=", $s skipped"
	echo "# $name: $p passed, $f failed$extra in $(lm_secs_since "$t0") s"
}

if [ ${#list[@]} -gt 0 ]; then
	start_servers
	for t in "${list[@]}"; do
		if [ ! -f "$t" ]; then
			echo "not ok - $t: no such test script"; nfail=$((nfail + 1))
			continue
		fi
		run_script "$(realpath -- "$t")"
	done
fi

finish 0
