#!/usr/bin/env bash
test_description='kill -9 at random moments of a mixed workload, against a reference model

A workload (tests/lib/workload.py) creates, overwrites, appends, renames
files and small directories, copies with cp and deletes in bronze/wl,
keeping a model of what the mount acknowledged.  The daemon is killed with
SIGKILL at a random moment, the mount is cleared and mounted again on the
same cache dir (the journal replays), and the workload goes on from its
model, first checking that the op in flight left one of the states it may
leave and that the whole directory equals the model; then the journal
drains to empty and the bucket equals the model.  Ten kills of writes,
appends, overwrites, deletes and mkdir/rmdir, and four of the whole mix
with renames, directory renames and cp (40 of each under make stress).
Between them: a removed file whose DELETE waits is not listed again.'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start
ROUNDS=$(lm_stress 10 40)
MIX_ROUNDS=$(lm_stress 4 40)
TEST_TIMEOUT=$((120 + ROUNDS * 25))

# journal_rows CACHEDIR: the ops the journal database still holds
journal_rows() {
	python3 -c 'import sqlite3,sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from ops").fetchone()[0])' "$1/journal.db"
}

# stale_rows CACHEDIR: index rows under bronze/wl/ that the drained
# journal should have settled: files without an ETag, rows still pinned
stale_rows() {
	python3 -c 'import sqlite3,sys
db = sqlite3.connect(sys.argv[1])
for r in db.execute("select key, etag, seen from entries where key like ? and"
                    " ((kind = 0 and etag = ?) or seen = 9223372036854775807)",
                    ("bronze/wl/%", "")):
    print("%s etag \"%s\"%s" % (r[0], r[1], " pinned" if r[2] == 9223372036854775807 else ""))' "$1/index.db"
}

wl() { timeout 300 python3 "$TEST_DIRECTORY/lib/workload.py" "$@"; }

# kill_rounds NAME N [OPS]: N kills during the workload (only the op
# kinds OPS, comma-separated, when given), a remount after each; then the
# journal drains to empty and the bucket equals the model.  NAME names the
# case's own bucket, config, cache, mount point and model.
kill_rounds() {
	local ops=${3:+--ops $3} k="$TEST_TMP/$1" model=$1.model.json
	test_bucket bucket &&
	s3cli mb "$bucket" &&
	lm_config_layers "$k.json" "$bucket" &&
	lm_mount "$k.json" "$k" &&
	test_when_finished "lm_reap \"$k.json\" \"$k\"" &&
	mkdir "$k/bronze/wl" &&
	seed=${LM_SEED:-$$} &&
	echo "seed $seed (LM_SEED=$seed repeats the ops, not the kill times)" &&
	for r in $(seq 1 "$2"); do
		rm -f dead &&
		{ wl run --dir "$k/bronze/wl" --model $model \
			--seed $((seed * 1000 + r)) --duration 60 --dead-flag dead $ops \
			--bucket "$bucket" --prefix bronze/wl/ >wl.out 2>&1 &
		  wpid=$!
		} &&
		delay=$(( (RANDOM % 2500) + 500 )) &&
		sleep "$(printf "%d.%03d" $((delay / 1000)) $((delay % 1000)))" &&
		touch dead &&
		lm_kill9 "$k.json" "$k" &&
		{ wait $wpid || { cat wl.out; exit 1; }; } &&
		echo "round $r, killed after ${delay} ms: $(grep -v "^workload: in flight" wl.out | tr "\n" " ")" &&
		{ grep "^workload: in flight" wl.out || :; } &&
		lm_mount "$k.json" "$k" || exit 1
	done &&
	wl run --dir "$k/bronze/wl" --model $model --seed $((seed * 1000)) --duration 3 $ops &&
	wl stats --model $model &&
	lm_wait_drained "$k" &&
	test "$(journal_rows "$k.json.cache")" = 0 &&
	wl check --model $model --bucket "$bucket" --prefix bronze/wl/ &&
	lm_umount "$k" &&
	test "$(journal_rows "$k.json.cache")" = 0 &&
	stale_rows "$k.json.cache" >stale.out &&
	echo "index rows left unsettled: $(wc -l <stale.out)" &&
	{ test ! -s stale.out || { head -20 stale.out; false; }; }
}

test_expect_success FUSE "$ROUNDS kills while files are written, appended to, overwritten and deleted: the bucket equals the model" '
	kill_rounds k "$ROUNDS" create,overwrite,append,delete,mkdir,rmdir
'

# A DELETE waits (here: the upload delay) while S3 still has the object:
# listings past the TTL (0 here) and lookups must not bring the file back.
test_expect_success FUSE "a removed file whose DELETE waits is neither listed again nor found" '
	test_bucket bucket &&
	s3cli mb "$bucket" &&
	echo kept >kept && echo gone >gone &&
	s3cli put "$bucket" bronze/g/kept kept &&
	s3cli put "$bucket" bronze/g/gone gone &&
	lm_config_layers "$TEST_TMP/g.json" "$bucket" ", \"upload_delay\": 30" &&
	sed -i "s|\"prefix\": \"bronze/\" }|\"prefix\": \"bronze/\", \"ttl\": 0 }|" "$TEST_TMP/g.json" &&
	grep -q "\"ttl\": 0" "$TEST_TMP/g.json" &&
	lm_mount "$TEST_TMP/g.json" "$TEST_TMP/g" &&
	test_when_finished "lm_reap \"$TEST_TMP/g.json\" \"$TEST_TMP/g\"" &&
	test "$(timeout 30 ls "$TEST_TMP/g/bronze/g" | tr "\n" " ")" = "gone kept " &&
	timeout 30 rm "$TEST_TMP/g/bronze/g/gone" &&
	for i in 1 2 3; do
		timeout 30 ls "$TEST_TMP/g/bronze/g" >ls.out &&
		echo "listing $i: $(tr "\n" " " <ls.out)" &&
		test "$(cat ls.out)" = kept &&
		! timeout 30 stat "$TEST_TMP/g/bronze/g/gone" >/dev/null 2>&1 &&
		sleep 1 || exit 1
	done &&
	s3cli head "$bucket" bronze/g/gone >/dev/null &&
	echo "S3 still has it: the DELETE waits" &&
	lm_umount "$TEST_TMP/g" &&
	! s3cli head "$bucket" bronze/g/gone 2>/dev/null &&
	s3cli head "$bucket" bronze/g/kept >/dev/null
'

test_expect_success FUSE "$MIX_ROUNDS kills of the whole mix, renames and cp included: the bucket equals the model" '
	kill_rounds m "$MIX_ROUNDS"
'

test_done
