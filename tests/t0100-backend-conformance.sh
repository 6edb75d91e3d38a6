#!/usr/bin/env bash
test_description='the S3 client against two real servers, with and without injected faults

Each run creates its own buckets and goes through tests/bin/s3conform.c:
listing 2,500 keys with a delimiter in pages of 1000 and 7 (v2, and v1 with
markers), odd and non-ASCII keys, exact ranged GETs, a stale If-Match, a
3-part multipart upload, UploadPartCopy and CopyObject across buckets,
CopyObject REPLACE, DeleteObjects, and a wrong secret.'
. "$(dirname "$0")/lib/test-lib.sh"

TEST_TIMEOUT=${TEST_TIMEOUT_CONFORMANCE:-300}

conform() {  # NAME [FAULTS]
	test_bucket b &&
	LM_FAULTS=${2:-} s3conform "$b" >out 2>&1
	rc=$?
	cat out
	[ $rc = 0 ] && ! grep -q "^not ok" out && [ "$(grep -c "^ok" out)" = 9 ]
}

rgw_start
test_expect_success 'Ceph RGW: every S3 operation behaves' '
	conform rgw
'
test_expect_success 'Ceph RGW: with 30% of requests failing, every operation still succeeds' '
	conform rgw percent=30 &&
	grep "^# faults: [1-9][0-9]* of" out
'

swift_start
test_expect_success 'Swift s3api: every S3 operation behaves' '
	conform swift
'
test_expect_success 'Swift s3api: with 30% of requests failing, every operation still succeeds' '
	conform swift percent=30 &&
	grep "^# faults: [1-9][0-9]* of" out
'

test_done
