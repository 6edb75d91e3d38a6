#!/usr/bin/env bash
test_description='kill -9 at random moments of a mixed workload, against a reference model

A workload (tests/lib/workload.py) creates, overwrites, appends, renames
files and small directories, copies with cp and deletes in bronze/wl,
keeping a model of what the mount acknowledged.  The daemon is killed with
SIGKILL at a random moment, the mount is cleared and mounted again on the
same cache dir (the journal replays), and the workload goes on from its
model, first checking that the op in flight left one of the states it may
leave and that the whole directory equals the model.  Ten rounds in a row;
then the journal drains to empty and the bucket equals the model.'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start
ROUNDS=$(lm_stress 10 40)
TEST_TIMEOUT=$((120 + ROUNDS * 25))

# kill9 CONFIG MNT: the daemon dies at once; the mount point is cleared
kill9() {
	local pid
	pid=$(lm_daemon_pid "$1") || return 1
	kill -KILL "$pid" &&
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done &&
	fusermount3 -u -z "$2" 2>/dev/null
	! kill -0 "$pid" 2>/dev/null
}

# journal_rows CACHEDIR: the ops the journal database still holds
journal_rows() {
	python3 -c 'import sqlite3,sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from ops").fetchone()[0])' "$1/journal.db"
}

wl() { timeout 300 python3 "$TEST_DIRECTORY/lib/workload.py" "$@"; }

test_expect_success FUSE "$ROUNDS kills of a mixed workload, remounted each time: the journal drains and the bucket equals the model" '
	test_bucket bucket &&
	s3cli mb "$bucket" &&
	lm_config_layers "$TEST_TMP/k.json" "$bucket" &&
	lm_mount "$TEST_TMP/k.json" "$TEST_TMP/k" &&
	test_when_finished "lm_reap \"$TEST_TMP/k.json\" \"$TEST_TMP/k\"" &&
	mkdir "$TEST_TMP/k/bronze/wl" &&
	seed=${LM_SEED:-$$} &&
	echo "seed $seed (LM_SEED=$seed repeats the ops, not the kill times)" &&
	for r in $(seq 1 $ROUNDS); do
		rm -f dead &&
		{ wl run --dir "$TEST_TMP/k/bronze/wl" --model model.json \
			--seed $((seed * 1000 + r)) --duration 60 --dead-flag dead \
			--bucket "$bucket" --prefix bronze/wl/ >wl.out 2>&1 &
		  wpid=$!
		} &&
		delay=$(( (RANDOM % 2500) + 500 )) &&
		sleep "$(printf "%d.%03d" $((delay / 1000)) $((delay % 1000)))" &&
		touch dead &&
		kill9 "$TEST_TMP/k.json" "$TEST_TMP/k" &&
		{ wait $wpid || { cat wl.out; exit 1; }; } &&
		echo "round $r, killed after ${delay} ms: $(grep -v "^workload: in flight" wl.out | tr "\n" " ")" &&
		{ grep "^workload: in flight" wl.out || :; } &&
		lm_mount "$TEST_TMP/k.json" "$TEST_TMP/k" || exit 1
	done &&
	wl run --dir "$TEST_TMP/k/bronze/wl" --model model.json --seed $((seed * 1000)) --duration 3 &&
	wl stats --model model.json &&
	lm_wait_drained "$TEST_TMP/k" &&
	test "$(journal_rows "$TEST_TMP/k.json.cache")" = 0 &&
	wl check --model model.json --bucket "$bucket" --prefix bronze/wl/ &&
	lm_umount "$TEST_TMP/k" &&
	test "$(journal_rows "$TEST_TMP/k.json.cache")" = 0
'

test_done
