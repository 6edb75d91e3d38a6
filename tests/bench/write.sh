# tests/bench/write.sh -- the write side of `make bench` (issue 4).  Sourced
# by tests/bench/bench.sh, whose helpers it uses (measure, record, do_mount,
# do_unmount, say, S3CLI, BUCKET, NET, RUN, ...); defines functions only.
#
# Data, made once (write_make_data) and uploaded into each net's RGW:
#   WORK/data/w1g.bin   1 GiB of random bytes: the source of write_1g, read
#                       whole before each run so that it is in the page cache
#   bench/big1g.bin     1 GiB of other random bytes: the source of cp_1g
#   bench/rs500/        500 files fNNNN.zip of 60 KiB of random bytes, each
#                       beside its fNNNN.zip.CHECKSUM as `sha256sum` prints
#                       it: an archive folder in small, the source of rsync_500
#
# Scenarios, BENCH_RUNS times on each net of BENCH_WRITE_NETS (default
# local), tool after tool: "aws" (the AWS CLI, BENCH_AWS, Debian's awscli),
# then lakemount and s3fs if BENCH_TOOLS names them (rclone mount uploads
# after close(2) on its own schedule, with nothing that says when it is done:
# not measured here).  lakemount and s3fs get one fresh mount and cache per
# run for the three scenarios.
#   write_1g   dd if=w1g.bin of=MNT/bronze/w-RUN.bin bs=1M conv=fsync
#              aws: aws s3 cp w1g.bin s3://BUCKET/bronze/awscp-RUN.bin
#              (multipart as by default: 8 MiB parts, 10 at a time; the
#              defaults are also written in its config, so that a changed
#              default shows in the diff, not in the numbers)
#   cp_1g      cp MNT/archive/bench/big1g.bin MNT/bronze/cp-RUN.bin, then
#              sync MNT/bronze/cp-RUN.bin (coreutils' sync FILE: fsync(2))
#              aws: aws s3 cp s3://BUCKET/bench/big1g.bin
#              s3://BUCKET/bronze/cp-aws-RUN.bin -- a server-side copy, the floor
#   rsync_500  rsync -a MNT/archive/bench/rs500/ MNT/bronze/rs-RUN/: the 500
#              files and their 500 CHECKSUMs, as a collector job copies an
#              archive folder (the sidecars are also how lakemount knows each
#              file's SHA-256 before reading it); then, for lakemount, until
#              the root's user.lakemount.stats says "journal":0 (no write-back
#              pending), polled every 50 ms; s3fs is done when rsync is
#              aws: aws s3 sync s3://BUCKET/bench/rs500/ s3://BUCKET/bronze/rs-aws-RUN/
# MNT/archive and MNT/bronze are lakemount's two tree entries: the bucket's
# root, read-only with sidecar checksums, and its prefix bronze/, writable.
# s3fs mounts the bucket's root, so there archive/X is X (and its bronze/ is
# made with mkdir first, not timed).
#
# A run counts only if the server has the result once the command returned:
# the object with its size, or every file of the folder with its size and
# nothing else (directory markers aside).  Otherwise it is "fail", with why.
# The bytes sent are measured on the server, not taken from the client: the
# body bytes RGW received, from its ops log (a JSON record per request,
# "bytes_received"), which write_run turns on through RGW's admin socket for
# its duration only (RECV in log_count, bench.sh).  Should that fail, the
# access log's count for the requests other than GET, HEAD and LIST (SENT)
# stands in: it also counts those requests' XML answers, some 240 bytes a
# copy (the report marks such numbers with ~).  aws s3 cp of the 1 GiB file
# checks the method: the report prints what was counted for it.
# Everything written is deleted after each measurement and RGW's garbage
# collector run at once (radosgw-admin gc process): the OSD keeps all data
# in memory.

# shellcheck shell=bash
# shellcheck disable=SC2034  # MEASURE_*, LM_TREE_JSON, DPID, scen: read by bench.sh's
# functions called from here (bash's locals are dynamically scoped)

W_SRC=$WORK/data/w1g.bin
W_BIG=$WORK/data/big1g.bin
W_RS=$WORK/data/rs500
W_RS_MANIFEST=$WORK/data/rs500.manifest
W_RS_N=500 W_RS_KIB=60
W_GIB=$((1 << 30))
W_RS_BYTES=
W_SCENS="write_1g cp_1g rsync_500"
AWS=${BENCH_AWS:-/usr/bin/aws}
AWSC=()
LM_WRITE_TREE='[ { "path": "archive", "source": "bench", "readonly": true, "checksums": "sidecar-sha256" },
	    { "path": "bronze", "source": "bench", "prefix": "bronze/" } ]'

# rsync, then wait until lakemount has nothing left to write back
# (bash -c W_RSYNC_LM bash SRC/ DST/ MNT); says on stderr each new number of
# pending operations, so that a run cut short tells where it stuck
# shellcheck disable=SC2016
W_RSYNC_LM='rsync -a "$1" "$2" || exit
last=
while :; do
	s=$(getfattr --absolute-names --only-values -n user.lakemount.stats "$3") || exit
	case $s in
	*"\"journal\":"*) ;;
	*) echo "user.lakemount.stats has no \"journal\": cannot tell when the files are on the server" >&2
	   exit 3 ;;
	esac
	n=${s#*\"journal\":}
	n=${n# }
	n=${n%%[!0-9]*}
	[ -n "$n" ] || { echo "user.lakemount.stats: \"journal\" is not a number: ${s:0:300}" >&2; exit 3; }
	[ "$n" != 0 ] || exit 0
	[ "$n" = "$last" ] || echo "rsync done, then \"journal\" still $n after ${SECONDS}s" >&2
	last=$n
	sleep 0.05
done'

write_make_data() {
	local t=$(lm_now_ms)
	mkdir -p "$W_RS" "$WORK/aws"
	head -c $W_GIB /dev/urandom >"$W_SRC" && head -c $W_GIB /dev/urandom >"$W_BIG" || return 1
	python3 - "$W_RS" "$W_RS_N" $((W_RS_KIB * 1024)) <<'EOF' || return 1
import hashlib, os, random, sys
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(4)
for i in range(n):
    name = "f%04d.zip" % i
    b = rng.randbytes(size)
    with open(os.path.join(d, name), "wb") as f:
        f.write(b)
    with open(os.path.join(d, name + ".CHECKSUM"), "w") as f:
        f.write("%s  %s\n" % (hashlib.sha256(b).hexdigest(), name))
EOF
	(cd "$W_RS" && find . -type f -printf '%P\t%s\n' | sort) >"$W_RS_MANIFEST" || return 1
	W_RS_BYTES=$(awk -F'\t' '{ s += $2 } END { print s }' "$W_RS_MANIFEST")
	# the AWS CLI's setup: a config of its own, nothing of the caller's
	# (its endpoint goes on the command line: awscli 2.9 reads none from here)
	cat >"$WORK/aws/config" <<-EOF
	[default]
	region = us-east-1
	output = text
	s3 =
	  addressing_style = path
	  multipart_threshold = 8MB
	  multipart_chunksize = 8MB
	  max_concurrent_requests = 10
	EOF
	printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$S3_ACCESS_KEY" "$S3_SECRET_KEY" >"$WORK/aws/credentials"
	chmod 600 "$WORK/aws/credentials"
	say "write data made in $(lm_secs_since "$t") s: 2 x 1 GiB, rs500: $(wc -l <"$W_RS_MANIFEST") files, $W_RS_BYTES bytes"
}

write_upload() {
	local t=$(lm_now_ms)
	"$S3CLI" put "$BUCKET" bench/big1g.bin "$W_BIG" || return 1
	"$S3CLI" put-tree "$BUCKET" "$W_RS" bench/rs500/ || return 1
	w_check_object bench/big1g.bin $W_GIB >&2 && w_check_tree bench/rs500/ >&2 || return 1
	say "write data uploaded in $(lm_secs_since "$t") s"
}

# what the report needs to know (JSON)
write_meta() {
	local v=
	want write || { echo '{}'; return 0; }
	[ -x "$AWS" ] && v=$("$AWS" --version 2>&1 | head -n 1)
	printf '{"bytes": {"write_1g": %s, "cp_1g": %s, "rsync_500": %s}, "rsync_files": %s, "aws": "%s"}' \
		$W_GIB $W_GIB "${W_RS_BYTES:-0}" "$(wc -l <"$W_RS_MANIFEST" 2>/dev/null || echo 0)" "${v//\"/}"
}

# ---------------------------------------------------------------- on the server

w_check_object() {  # KEY SIZE: the object is on the server, with that size
	local got
	got=$("$S3CLI" head "$BUCKET" "$1" 2>&1) ||
		{ echo "s3://$BUCKET/$1 is not on the server once the command returned: $got"; return 1; }
	[ "${got%% *}" = "$2" ] ||
		{ echo "s3://$BUCKET/$1 has ${got%% *} bytes on the server once the command returned, not $2"; return 1; }
}

w_check_tree() {  # PREFIX/: holds the files of rs500 with their sizes, and nothing else
	local d
	d=$("$S3CLI" ls "$BUCKET" "$1" | awk -F'\t' -v n=${#1} '{
		k = substr($1, n + 1); if (k != "" && k !~ /\/$/) print k "\t" $2 }' |
		sort | diff - "$W_RS_MANIFEST") && return 0
	echo "s3://$BUCKET/$1 is not the source once the command returned:" \
		"$(grep -c '^>' <<<"$d") files missing or of another size, $(grep -c '^<' <<<"$d") extra;" \
		"$(grep '^[<>]' <<<"$d" | head -n 2 | tr '\n\t' '  ')"
	return 1
}

# w_delete KEY | PREFIX/: delete it (everything under PREFIX/), then have
# RGW free the space at once.  Not measured.
w_delete() {
	if [ "${1%/}" != "$1" ]; then
		"$S3CLI" ls "$BUCKET" "$1" | cut -f1 |
			xargs -r -d '\n' -P 8 -n 1 "$S3CLI" rm "$BUCKET" >>"$WORK/log/delete.log" 2>&1
	else
		"$S3CLI" rm "$BUCKET" "$1" >>"$WORK/log/delete.log" 2>&1
	fi
	w_gc
}

w_gc() {
	local dir=${RGW_DIRS[${#RGW_DIRS[@]} - 1]} ns=()
	[ -z "$NETNS" ] || ns=(ip netns exec "$NETNS")
	timeout -k 5 120 "${ns[@]}" radosgw-admin -c "$dir/ceph.conf" gc process --include-all \
		>>"$WORK/log/gc.log" 2>&1 || say "bench: RGW garbage collection failed (see $WORK/log/gc.log)"
}

# ---------------------------------------------------------------- runs

w_aws_run() {
	local tool=aws s DPID=
	local MEASURE_TIMEOUT=$WRITE_TIMEOUT
	local -a MEASURE_CHECK
	if [ ! -x "$AWS" ]; then
		for s in $W_SCENS; do
			record "$NET" "$s" aws "$RUN" "" na "" "no '$AWS': install awscli (make deps) or set BENCH_AWS"
		done
		return 0
	fi
	AWSC=(env AWS_CONFIG_FILE="$WORK/aws/config" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws/credentials"
		AWS_PAGER= "$AWS" --endpoint-url "$S3_ENDPOINT")
	cat "$W_SRC" >/dev/null
	MEASURE_CHECK=(w_check_object "bronze/awscp-$RUN.bin" "$W_GIB")
	measure write_1g aws /dev/null - "${AWSC[@]}" s3 cp --only-show-errors "$W_SRC" "s3://$BUCKET/bronze/awscp-$RUN.bin"
	w_delete "bronze/awscp-$RUN.bin"
	MEASURE_CHECK=(w_check_object "bronze/cp-aws-$RUN.bin" "$W_GIB")
	measure cp_1g aws /dev/null - "${AWSC[@]}" s3 cp --only-show-errors \
		"s3://$BUCKET/bench/big1g.bin" "s3://$BUCKET/bronze/cp-aws-$RUN.bin"
	w_delete "bronze/cp-aws-$RUN.bin"
	MEASURE_CHECK=(w_check_tree "bronze/rs-aws-$RUN/")
	measure rsync_500 aws /dev/null - "${AWSC[@]}" s3 sync --only-show-errors \
		"s3://$BUCKET/bench/rs500/" "s3://$BUCKET/bronze/rs-aws-$RUN/"
	w_delete "bronze/rs-aws-$RUN/"
}

# w_tool_run TOOL: the three scenarios on one fresh mount of lakemount or s3fs
w_tool_run() {
	local tool=$1 mnt=$WORK/mnt/$1 cache=$WORK/cache/$1-$NET-$RUN-w arch bronze s scen stats
	local MEASURE_TIMEOUT=$WRITE_TIMEOUT LM_TREE_JSON=$LM_WRITE_TREE
	local -a MEASURE_CHECK
	case $tool in
	lakemount) arch=$mnt/archive bronze=$mnt/bronze ;;
	s3fs) arch=$mnt bronze=$mnt/bronze ;;
	*) return 0 ;;
	esac
	scen=write_1g
	if earlier na; then	# could not mount in an earlier run: the note is there
		for s in $W_SCENS; do record "$NET" "$s" "$tool" "$RUN" "" na "" ""; done
		return 0
	fi
	if ! do_mount "$tool" "$mnt" "$cache"; then
		say "$NET $tool: cannot mount for the writes: $MOUNT_ERR"
		for s in $W_SCENS; do
			record "$NET" "$s" "$tool" "$RUN" "" na "" "cannot mount (writable tree): $MOUNT_ERR"
		done
		rm -rf "$cache" "$cache.json"
		return 1
	fi
	if [ "$tool" = s3fs ]; then
		guarded 30 /dev/null mkdir -p "$bronze"
		[ "$GUARD_RC" = 0 ] || say "bench: s3fs: mkdir $bronze: $(tail -n 1 "$WORK/log/last.err")"
	fi

	cat "$W_SRC" >/dev/null
	MEASURE_CHECK=(w_check_object "bronze/w-$RUN.bin" "$W_GIB")
	measure write_1g "$tool" /dev/null - dd if="$W_SRC" of="$bronze/w-$RUN.bin" bs=1M conv=fsync status=none
	w_delete "bronze/w-$RUN.bin"

	MEASURE_CHECK=(w_check_object "bronze/cp-$RUN.bin" "$W_GIB")
	# shellcheck disable=SC2016
	measure cp_1g "$tool" /dev/null - sh -c 'cp "$1" "$2" && sync "$2"' sh \
		"$arch/bench/big1g.bin" "$bronze/cp-$RUN.bin"
	w_delete "bronze/cp-$RUN.bin"

	MEASURE_CHECK=(w_check_tree "bronze/rs-$RUN/")
	if [ "$tool" = lakemount ]; then
		measure rsync_500 "$tool" /dev/null - bash -c "$W_RSYNC_LM" bash \
			"$arch/bench/rs500/" "$bronze/rs-$RUN/" "$mnt"
	else
		measure rsync_500 "$tool" /dev/null - rsync -a "$arch/bench/rs500/" "$bronze/rs-$RUN/"
	fi
	w_delete "bronze/rs-$RUN/"

	if [ "$tool" = lakemount ]; then	# what it counted itself, as a note
		guarded 10 "$WORK/stats.out" getfattr --absolute-names --only-values -n user.lakemount.stats "$mnt"
		stats=$(tr '\n\t' '  ' <"$WORK/stats.out")
		[ "$GUARD_RC" != 0 ] || [ -z "$stats" ] ||
			record "$NET" stats_after_writes "$tool" "$RUN" "" info "" "$stats"
	fi
	do_unmount "$mnt"
	# s3fs's directory marker: not for lakemount's next run to see
	[ "$tool" != s3fs ] || w_delete bronze/
	[ ! -f "$cache/lakemount.log" ] || cp "$cache/lakemount.log" "$WORK/log/lakemount-$NET-$RUN-write.log"
	rm -rf "$cache" "$cache.json"
}

w_ops_log() {  # true|false: RGW's ops log on or off
	timeout -k 5 30 ceph --admin-daemon "$RGW_ASOK" config set rgw_enable_ops_log "$1" \
		>>"$WORK/log/opslog.log" 2>&1
}

# write_run: one run of every write scenario, every tool
write_run() {
	local tool
	if w_ops_log true; then
		OPS_ON=1
	else
		say "bench: cannot turn RGW's ops log on (see $WORK/log/opslog.log): bytes sent from the access log"
	fi
	w_aws_run
	for tool in $TOOLS; do
		case $tool in lakemount | s3fs) w_tool_run "$tool" ;; esac
	done
	if [ -n "$OPS_ON" ]; then
		OPS_ON=
		w_ops_log false || say "bench: cannot turn RGW's ops log off (see $WORK/log/opslog.log)"
	fi
}
