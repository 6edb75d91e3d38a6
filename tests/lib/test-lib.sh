# tests/lib/test-lib.sh -- sourced by every tests/tNNNN-name.sh, in the
# manner of git's t/test-lib.sh.  A script looks like:
#
#	#!/usr/bin/env bash
#	test_description='what this script covers'
#	. "$(dirname "$0")/lib/test-lib.sh"
#
#	rgw_start                      # S3_* now point at a Ceph RGW
#	test_expect_success 'a user lists an empty bucket' '
#		test_bucket b &&
#		lakemount-ctl mb "$b" &&
#		test_when_finished "lakemount-ctl rb $b" &&
#		...
#	'
#	test_done
#
# Each body is a && chain (no `set -e`), run in a subshell in its own
# process group, from the scratch directory "$TRASH_DIRECTORY", with stdin
# from /dev/null and a time limit (TEST_TIMEOUT seconds, default 120).
#
# Run a script alone (`bash tests/t0000-rig.sh [-v] [-i] [-x]`) or through
# tests/run.sh, which shares one RGW and one Swift with every script.
#   -v, TEST_VERBOSE=1   show every body's output as it runs (else: failures only)
#   -i                   stop at the first failing case
#   -x                   trace the bodies (set -x)
# Environment: TEST_TIMEOUT (120; may also be set between two cases),
#   CI (true: a missing prerequisite fails),
#   LM_BUILD (build dir, default <repo>/build; it and LM_BUILD/tests are put
#   first on PATH), KEEP_TMP=1 (keep the scratch dir even when all passed).
#
# What a script gets:
#   test_expect_success [PREREQ] 'what a user does' 'body'
#   test_when_finished 'cmd'    in a body: run cmd after this case, pass or
#                               fail (last registered runs first); a failing
#                               cmd fails the case.  Double-quote to expand
#                               variables now: if the case times out, cmds not
#                               yet run are run from the script's top level,
#                               where a body's variables are unknown.
#   test_skip 'what' 'why'      count a case as skipped (failed when CI=true)
#   test_skip_all 'why'         skip the rest of the script (fails when CI=true)
#   test_set_prereq NAME, test_have_prereq NAME[,NAME] (!NAME negates),
#   test_lazy_prereq NAME 'script'.  Built in: FUSE, ROOT.
#   test_cmp EXPECTED ACTUAL    compare two files, showing a diff when they differ
#   test_done                   "# passed N, failed N"; exit 1 if any failed
#   free_port [COUNT]           a free 127.0.0.1 port (first of COUNT in a row)
#   lm_stress SHORT LONG        LONG under `make stress` (LM_STRESS=1), else
#                               SHORT: the reliability scripts run for seconds
#                               in `make test` and for minutes in `make stress`
#   rgw_start / swift_start     select a server (start one unless the runner
#                               shares one) and export S3_ENDPOINT,
#                               S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION,
#                               S3_SERVER (rgw|swift), S3_PATH_STYLE_ONLY (0|1).
#                               Call at the top level, before the cases; call
#                               again to switch.  RGW: test/testsecret, also
#                               virtual-host style as BUCKET.localhost:PORT (a
#                               name the client must resolve itself);
#                               Swift: test:tester/testing, path style only.
#   rgw_stop / swift_stop       stop the server this script started (if any)
#   test_bucket VAR             set VAR to a bucket name unique in this run
#                               (without VAR: print it)
#   mount_cleanup DIR           unmount DIR (fusermount3 -u, -uz, umount -l)
#   mount_register DIR          unmount DIR when the script ends, whatever happens
# On exit (normal, failure, ^C, SIGTERM, timeout) the script kills a running
# body, runs its pending cleanups, unmounts what it registered and whatever is
# mounted under its scratch dir, and stops the servers it started.

. "$(dirname "${BASH_SOURCE[0]}")/rig.sh"
lm_become_subreaper "$0" "$@"

TEST_DIRECTORY=$(cd "$LM_LIB_DIR/.." && pwd -P)
SRC_ROOT=$(cd "$TEST_DIRECTORY/.." && pwd -P)
TEST_NAME=$(basename "$0" .sh)
LM_BUILD=${LM_BUILD:-$SRC_ROOT/build}
PATH=$LM_BUILD:$LM_BUILD/tests:$PATH
export LM_BUILD PATH TEST_DIRECTORY SRC_ROOT

TEST_TIMEOUT=${TEST_TIMEOUT:-120}
lm_verbose=${TEST_VERBOSE:-}
lm_immediate=
lm_trace=
while [ $# -gt 0 ]; do
	case $1 in
	-v | --verbose) lm_verbose=1 ;;
	-i | --immediate) lm_immediate=1 ;;
	-x | --trace) lm_trace=1 ;;
	-h | --help) echo "$TEST_NAME: ${test_description:-}"
		echo "usage: $0 [-v] [-i] [-x]"; exit 0 ;;
	*) echo "$TEST_NAME: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
[ "$lm_verbose" = 0 ] && lm_verbose=
case ${CI:-} in '' | 0 | false | no) lm_ci= ;; *) lm_ci=1 ;; esac

# Scratch space: TEST_TMP/trash is where bodies run; TEST_TMP/.lm the rig's.
TEST_TMP=$(mktemp -d "${LM_TMPDIR:-${TMPDIR:-/tmp}}/lm-$TEST_NAME.XXXXXX") || exit 1
TEST_TMP=$(cd "$TEST_TMP" && pwd -P)
TRASH_DIRECTORY=$TEST_TMP/trash
LM_STATE=$TEST_TMP/.lm
mkdir -p "$TRASH_DIRECTORY" "$LM_STATE/cleanup"
export TEST_TMP TRASH_DIRECTORY
export LM_PORTS_FILE=${LM_PORTS_FILE:-$LM_STATE/ports}
: >"$LM_STATE/mounts"
echo 0 >"$LM_STATE/buckets"
cd "$TRASH_DIRECTORY" || exit 1

lm_ntest=0 lm_npass=0 lm_nfail=0 lm_nskip=0
lm_body_pid=
lm_own_rgw= lm_own_swift=

lm_result() {  # ok|not ok|skip -- for tests/run.sh
	[ -n "${LM_RESULTS_FILE:-}" ] && echo "$1" >>"$LM_RESULTS_FILE"
	return 0
}

lm_bug() { echo "$TEST_NAME: bug in the test script: $*" >&2; exit 1; }

# ---------------------------------------------------------------- prerequisites

test_set_prereq() { lm_prereq_ok="${lm_prereq_ok:-} $1 "; }

test_lazy_prereq() { eval "lm_lazy_$1=\$2"; }

test_have_prereq() {  # NAME[,NAME...]; sets lm_missing_prereq
	local p neg script ok IFS=,
	for p in $1; do
		neg=
		case $p in !*) neg=1 p=${p#!} ;; esac
		case ${lm_prereq_ok:-} in *" $p "*) ok=1 ;; *)
			case ${lm_prereq_no:-} in *" $p "*) ok= ;; *)
				script=lm_lazy_$p
				[ -n "${!script+set}" ] || lm_bug "unknown prerequisite '$p'"
				if (IFS=$' \t\n'; cd "$TRASH_DIRECTORY" && eval "${!script}") >/dev/null 2>&1 </dev/null
				then ok=1; lm_prereq_ok="${lm_prereq_ok:-} $p "
				else ok=; lm_prereq_no="${lm_prereq_no:-} $p "; fi ;;
			esac ;;
		esac
		if [ -n "$neg" ]; then [ -z "$ok" ] && ok=1 || ok=; fi
		[ -n "$ok" ] || { lm_missing_prereq=${neg:+!}$p; return 1; }
	done
	return 0
}

test_lazy_prereq ROOT '[ "$(id -u)" = 0 ]'
test_lazy_prereq FUSE '
	[ -c /dev/fuse ] && command -v fusermount3 &&
	{ [ "$(id -u)" = 0 ] || [ -u "$(command -v fusermount3)" ]; }
'

# ---------------------------------------------------------------- cases

lm_say_output() {  # FILE: the tail of a case's output, as TAP comments
	local n
	[ -s "$1" ] || return 0
	n=$(wc -l <"$1")
	if [ "$n" -gt 200 ]; then
		echo "# ... (first $((n - 200)) of $n lines left out; all in $1)"
	fi
	tail -n 200 "$1" | sed 's/^/# | /'
}

test_skip() {  # WHAT WHY
	lm_ntest=$((lm_ntest + 1))
	if [ -n "$lm_ci" ]; then
		echo "not ok $lm_ntest - $1 # $2 (CI=true: no skipping)"
		lm_nfail=$((lm_nfail + 1)); lm_result "not ok"
	else
		echo "ok $lm_ntest - $1 # SKIP $2"
		lm_nskip=$((lm_nskip + 1)); lm_result skip
	fi
}

test_skip_all() {  # WHY
	if [ -n "$lm_ci" ]; then
		lm_ntest=$((lm_ntest + 1))
		echo "not ok $lm_ntest - $TEST_NAME # $1 (CI=true: no skipping)"
		lm_nfail=$((lm_nfail + 1)); lm_result "not ok"
	else
		echo "# skipping the rest of $TEST_NAME: $1"
		lm_skipped_all=1
	fi
	test_done
}

# lm_bail WHY: a failure that ends the script (a server would not start).
lm_bail() {
	lm_ntest=$((lm_ntest + 1))
	echo "not ok $lm_ntest - $1"
	lm_nfail=$((lm_nfail + 1)); lm_result "not ok"
	test_done
}

# test_cmp EXPECTED ACTUAL: like git's, shows the difference when they differ.
test_cmp() { diff -u "$1" "$2"; }

lm_stress() { if [ -n "${LM_STRESS:-}" ]; then echo "$2"; else echo "$1"; fi; }

test_when_finished() {
	[ -n "${LM_CLEANUP_DIR:-}" ] || lm_bug "test_when_finished outside a test body"
	lm_cleanup_n=$(( ${lm_cleanup_n:-0} + 1 ))
	printf '%s' "$*" >"$LM_CLEANUP_DIR/$(printf %04d "$lm_cleanup_n")"
}

# lm_run_cleanups DIR: runs (and removes) the cleanups in DIR, last first;
# false if one failed.
lm_run_cleanups() {
	local files i cmd ok=0
	files=("$1"/[0-9]*)
	for ((i = ${#files[@]} - 1; i >= 0; i--)); do
		[ -f "${files[i]}" ] || continue
		cmd=$(cat "${files[i]}") && rm -f "${files[i]}"
		eval "$cmd" || { echo "# cleanup failed: $cmd" >&2; ok=1; }
	done
	return $ok
}

lm_body() {  # BODY -- runs in the case's subshell
	trap 'lm_body_exit' EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	cd "$TRASH_DIRECTORY" || exit 1
	[ -z "$lm_trace" ] || set -x
	eval "$1"
}

lm_body_exit() {
	local rc=$?
	{ set +x; } 2>/dev/null
	if ! lm_run_cleanups "$LM_CLEANUP_DIR"; then
		[ $rc = 0 ] && rc=1
	fi
	exit $rc
}

lm_run_pending_cleanups() {  # DIR OUT: after a body was killed, the cleanups it did not run
	local lm_pending=$1
	[ -n "$(ls -A "$1" 2>/dev/null)" ] || return 0
	echo "# running the cleanups the case could not run" >>"$2"
	lm_spawn eval 'cd "$TRASH_DIRECTORY" && lm_run_cleanups "$lm_pending"' >>"$2" 2>&1
	lm_body_pid=$lm_spawned
	lm_wait_timeout "$lm_body_pid" 60 5
	lm_body_pid=
}

test_expect_success() {
	local prereq= out rc t0 why
	[ $# = 3 ] && { prereq=$1; shift; }
	[ $# = 2 ] || lm_bug "test_expect_success needs 2 or 3 arguments, got $#"
	if [ -n "$prereq" ] && ! test_have_prereq "$prereq"; then
		test_skip "$1" "missing prerequisite $lm_missing_prereq"
		return 0
	fi
	lm_ntest=$((lm_ntest + 1))
	out=$LM_STATE/out.$lm_ntest
	LM_CLEANUP_DIR=$LM_STATE/cleanup/$lm_ntest
	mkdir -p "$LM_CLEANUP_DIR"
	t0=$(lm_now_ms)
	[ -z "$lm_verbose" ] || echo "# --- $lm_ntest - $1"
	if [ -n "$lm_verbose" ]; then
		lm_spawn lm_body "$2" 2>&1
	else
		lm_spawn lm_body "$2" >"$out" 2>&1
	fi
	lm_body_pid=$lm_spawned
	lm_wait_timeout "$lm_body_pid" "$TEST_TIMEOUT" 30
	rc=$?
	why=
	[ -z "$lm_timed_out" ] || why="timed out after $TEST_TIMEOUT s"
	lm_kill_group "$lm_body_pid" 5   # anything the body left running in the background
	lm_body_pid=
	[ -z "$lm_verbose" ] || out=/dev/stdout
	lm_run_pending_cleanups "$LM_CLEANUP_DIR" "$out"
	unset LM_CLEANUP_DIR
	if [ $rc = 0 ] && [ -z "$why" ]; then
		echo "ok $lm_ntest - $1"
		lm_npass=$((lm_npass + 1)); lm_result ok
	else
		echo "not ok $lm_ntest - $1${why:+ # $why}"
		lm_nfail=$((lm_nfail + 1)); lm_result "not ok"
		printf '%s\n' "$2" | sed '/^[[:space:]]*$/d; s/^/#	/'
		echo "# exit status $rc after $(lm_secs_since "$t0") s"
		[ -n "$lm_verbose" ] || lm_say_output "$out"
		[ -z "$lm_immediate" ] || test_done
	fi
	[ -z "$lm_verbose" ] || echo "# ($(lm_secs_since "$t0") s)"
	return 0
}

test_done() {
	local extra=
	[ "$lm_nskip" = 0 ] || extra=", skipped $lm_nskip"
	echo "1..$lm_ntest${lm_skipped_all:+ # SKIP}"
	echo "# passed $lm_npass, failed $lm_nfail$extra"
	lm_result "done"
	[ "$lm_nfail" = 0 ] && exit 0
	exit 1
}

# ---------------------------------------------------------------- helpers for bodies

# test_bucket [VAR]: lm-<script>-<pid>-<n>, at most 63 characters, lowercase.
test_bucket() {
	local n name tag
	n=$(( $(cat "$LM_STATE/buckets") + 1 ))
	echo "$n" >"$LM_STATE/buckets"
	tag=$(printf '%s' "$TEST_NAME" | tr 'A-Z_.' 'a-z--' | tr -cd 'a-z0-9-')
	name=lm-$tag
	name=${name:0:$((63 - ${#$} - ${#n} - 2))}
	name=${name%-}-$$-$n
	if [ $# -gt 0 ]; then
		printf -v "$1" %s "$name"
	else
		echo "$name"
	fi
}

mount_register() {
	lm_abspath "$1" >>"$LM_STATE/mounts"
}

# ---------------------------------------------------------------- servers

lm_select() {  # SERVER ENDPOINT KEY SECRET
	export S3_SERVER=$1 S3_ENDPOINT=$2 S3_ACCESS_KEY=$3 S3_SECRET_KEY=$4 S3_REGION=us-east-1
	case $1 in swift) S3_PATH_STYLE_ONLY=1 ;; *) S3_PATH_STYLE_ONLY=0 ;; esac
	export S3_PATH_STYLE_ONLY
}

# lm_server_start KIND LABEL: the runner's server of KIND (rgw or swift),
# else one of this script's own.  Calling it again (say after the other
# kind's) only selects it again.
lm_server_start() {
	local kind=$1 label=$2 K=${1^^} t0 ep ak sk
	ep=LM_${K}_ENDPOINT ak=LM_${K}_ACCESS_KEY sk=LM_${K}_SECRET_KEY
	if [ -z "${!ep:-}" ]; then
		local failed=LM_${K}_FAILED
		[ -z "${!failed:-}" ] ||
			lm_bail "start $label # the runner's did not start"
		[ "$BASHPID" = "$$" ] || lm_bug "${kind}_start must first be called at the top level, not in a body or \$(...)"
		t0=$(lm_now_ms)
		eval "lm_own_$kind=\$TEST_TMP/$kind"   # from now on the exit trap stops it
		"lm_${kind}_up" "$TEST_TMP/$kind" || lm_bail "start $label"
		. "$TEST_TMP/$kind.env"
		echo "# started $label at ${!ep} in $(lm_secs_since "$t0") s"
	fi
	lm_select "$kind" "${!ep}" "${!ak}" "${!sk}"
}

# rgw_start: Ceph RGW.  swift_start: OpenStack Swift with s3api (path-style only).
rgw_start() { lm_server_start rgw "Ceph RGW"; }
swift_start() { lm_server_start swift "Swift s3api"; }

rgw_stop() {
	[ -n "$lm_own_rgw" ] || return 0
	lm_rgw_down "$lm_own_rgw"
	unset LM_RGW_ENDPOINT
	lm_own_rgw=
}

swift_stop() {
	[ -n "$lm_own_swift" ] || return 0
	lm_swift_down "$lm_own_swift"
	unset LM_SWIFT_ENDPOINT
	lm_own_swift=
}

# ---------------------------------------------------------------- the end

lm_on_exit() {
	local rc=$? mp
	trap '' INT TERM HUP
	lm_kill_watchers
	if [ -n "$lm_body_pid" ]; then
		lm_kill_group "$lm_body_pid" 10
		lm_body_pid=
		[ -z "${LM_CLEANUP_DIR:-}" ] || lm_run_pending_cleanups "$LM_CLEANUP_DIR" /dev/stdout
	fi
	cd / || :
	while read -r mp; do
		[ -n "$mp" ] && mount_cleanup "$mp"
	done < <(tac "$LM_STATE/mounts" 2>/dev/null; lm_mounts_under "$TEST_TMP")
	rgw_stop
	swift_stop
	if [ -n "$(lm_mounts_under "$TEST_TMP")" ]; then
		echo "# still mounted under $TEST_TMP: $(lm_mounts_under "$TEST_TMP" | tr '\n' ' ')"
	elif [ $rc = 0 ] && [ -z "${KEEP_TMP:-}" ]; then
		rm -rf --one-file-system "$TEST_TMP"
	else
		echo "# scratch files kept in $TEST_TMP"
	fi
	exit $rc
}

lm_on_signal() {  # NAME STATUS
	echo "# $TEST_NAME: got SIG$1, cleaning up"
	exit "$2"   # the runner counts this as a failure (the exit status)
}

trap lm_on_exit EXIT
trap 'lm_on_signal INT 130' INT
trap 'lm_on_signal TERM 143' TERM
trap 'lm_on_signal HUP 129' HUP

# test_description='...' before sourcing this file (as in git), or
# test_description '...' after it.
test_description() { echo "# $TEST_NAME: $*"; }
[ -z "${test_description:-}" ] || echo "# $TEST_NAME: $test_description"
