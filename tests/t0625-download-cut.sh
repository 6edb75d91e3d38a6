#!/usr/bin/env bash
test_description='a file opened for writing is downloaded right when its GET lies about its length

Appending to an object that lives only in S3 downloads it whole into its
staging file first (fs/writer.c, writer_download).  A relay that lies
about the length of that GET (a Content-Length half of the body, or 1000
bytes more) must cost a retry, never an EIO: the GET asks for the known
size as a range, so a short answer is one the backend sees and resumes.
Before, a short Content-Length on a plain 200 ended the GET "successfully"
short, and the append failed with EIO.'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

rgw_start
TEST_TIMEOUT=300
NOBJ=$(lm_stress 20 60)

# proxy_ctl WORDS: the fault proxy control file (tests/lib/faultproxy.py)
proxy_ctl() {
	echo "$*" >"$TEST_TMP/proxy.ctl.tmp" && mv "$TEST_TMP/proxy.ctl.tmp" "$TEST_TMP/proxy.ctl"
}

# proxy_count KEY: a counter of the proxy (faults.badlen-short, methods.GET)
proxy_count() {
	python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v.get(k, 0) if isinstance(v, dict) else 0
print(v)' "$TEST_TMP/proxy.stats" "$1"
}

test_expect_success FUSE,ROOT 'appends to objects whose download lengths lie: all land, none fails' '
	test_bucket bucket &&
	s3cli mb "$bucket" &&
	: >o0 &&
	head -c 3000000 /dev/urandom >o1 &&
	for i in $(seq 2 $NOBJ); do
		head -c $((100000 + i * 7001)) /dev/urandom >o$i || exit 1
	done &&
	for i in $(seq 0 $NOBJ); do
		s3cli put "$bucket" bronze/dl/o$i o$i || exit 1
	done &&
	lm_proxy_start ep &&
	test_when_finished "lm_proxy_stop" &&
	LM_ENDPOINT=$ep lm_config_layers "$PWD/lm.json" "$bucket" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	test_when_finished "lm_reap \"$PWD/lm.json\" \"$PWD/mnt\"" &&
	test "$(ls mnt/bronze/dl | wc -l)" = $((NOBJ + 1)) &&
	proxy_ctl mode=faults percent=50 kinds=badlen methods=GET match=bronze/dl seed=625 &&
	failed=0 && t0=$(date +%s) &&
	for i in $(seq 0 $NOBJ); do
		echo "appended $i" >>o$i &&
		timeout 120 sh -c "echo appended $i >>mnt/bronze/dl/o$i" 2>err || {
			failed=$((failed + 1))
			echo "append to o$i: $(cat err)"
		}
	done &&
	proxy_ctl mode=pass &&
	echo "cut bodies: $(proxy_count faults.badlen-short) short Content-Length, $(proxy_count faults.badlen-long) long, in $(proxy_count methods.GET) GETs; retries $(lm_stat mnt requests.retries)" &&
	echo "appends that failed: $failed of $((NOBJ + 1)), in $(( $(date +%s) - t0 )) s" &&
	test $failed = 0 &&
	test "$(proxy_count faults.badlen-short)" -gt 0 &&
	lm_wait_drained mnt &&
	for i in $(seq 0 $NOBJ); do
		s3cli get "$bucket" bronze/dl/o$i >got &&
		cmp got o$i || { echo "bronze/dl/o$i is not the object plus its line"; exit 1; }
	done
'

test_done
