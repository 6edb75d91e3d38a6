#!/usr/bin/env bash
test_description='the test rig: RGW and Swift verify SigV4; the harness reports and cleans up'

. "$(dirname "$0")/lib/test-lib.sh"

# This script checks the rig with curl on purpose, independently of our own
# S3 code: curl (>= 7.75) signs requests with AWS SigV4 itself.
#
# s3 METHOD PATH [FILE]: a signed request; the response body goes to the file
# "response", the HTTP status to stdout.  FILE is uploaded as the body.
#
# - Credentials go in the URL's userinfo, percent-encoded, not in --user:
#   Swift's access key "test:tester" contains a colon, and --user KEY:SECRET
#   splits at the first colon (user "test", password "tester:testing"), so
#   the request would be signed for access key "test".  curl percent-decodes
#   the userinfo of a URL, so http://test%3Atester:testing@HOST/ signs as
#   access key "test:tester" with secret "testing".
# - curl 7.88 does not send x-amz-content-sha256, which both servers require
#   with SigV4 (RGW answers 403 SignatureDoesNotMatch, Swift 400
#   InvalidRequest).  We send it with the payload's real SHA-256, and curl
#   then signs that header and uses its value as the payload hash.
# - Uploads use -T (a plain PUT); --data would add a Content-Type.
s3() {
	local hash url
	hash=$(sha256sum <"${3:-/dev/null}") && hash=${hash%% *} &&
	url=$(python3 -c '
import sys, urllib.parse as u
ep, key, secret, path = sys.argv[1:]
scheme, rest = ep.split("://", 1)
print("%s://%s:%s@%s%s" % (scheme, u.quote(key, safe=""), u.quote(secret, safe=""), rest, path))
' "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY" "$2") &&
	curl -sS -X "$1" ${3:+-T "$3"} -o response -w '%{http_code}' \
		--aws-sigv4 "aws:amz:$S3_REGION:s3" -H "x-amz-content-sha256: $hash" "$url"
}

for server in rgw swift; do
	${server}_start

	test_expect_success "$server: a signed request lists the buckets" '
		test "$(s3 GET /)" = 200 &&
		grep -q "<ListAllMyBucketsResult" response
	'

	test_expect_success "$server: a user creates a bucket, stores a file, reads it back and lists it" '
		test_bucket b &&
		test "$(s3 PUT "/$b")" = 200 &&
		test_when_finished "s3 DELETE /$b" &&
		printf "hello, lakemount\n" >expect &&
		test "$(s3 PUT "/$b/dir/hello.txt" expect)" = 200 &&
		test_when_finished "s3 DELETE /$b/dir/hello.txt" &&
		test "$(s3 GET "/$b/dir/hello.txt")" = 200 &&
		cmp expect response &&
		test "$(s3 GET "/$b?list-type=2")" = 200 &&
		grep -q "<Key>dir/hello.txt</Key>" response
	'

	test_expect_success "$server: a wrong secret is refused with 403 SignatureDoesNotMatch" '
		test "$(S3_SECRET_KEY=not-the-secret s3 GET /)" = 403 &&
		grep -q "<Code>SignatureDoesNotMatch</Code>" response
	'
done

test_expect_success "rgw and swift buckets are cleaned up by test_when_finished" '
	for server in rgw swift; do
		${server}_start >/dev/null &&
		test "$(s3 GET /)" = 200 &&
		! grep -q "<Name>lm-$TEST_NAME-$$-" response || return 1
	done
'

# The harness itself, on a small script of its own (no servers needed).
cat >"$TEST_TMP/t9999-harness.sh" <<EOF
#!/usr/bin/env bash
test_description='harness self-test'
. "$TEST_DIRECTORY/lib/test-lib.sh"
test_expect_success 'passes' 'echo not shown'
test_expect_success 'fails' '
	test_when_finished "echo first >>\$TRASH_DIRECTORY/../cleanups" &&
	test_when_finished "echo second >>\$TRASH_DIRECTORY/../cleanups" &&
	echo shown && echo shown-from-stderr >&2 && false
'
TEST_TIMEOUT=1
test_expect_success 'hangs' '
	test_when_finished "echo hung >>\$TRASH_DIRECTORY/../cleanups" &&
	sleep 61.$$ & sleep 61.$$
'
test_lazy_prereq NEVER 'false'
test_expect_success NEVER 'needs NEVER' 'true'
test_done
EOF

test_expect_success 'the harness reports, times out and cleans up cases' '
	(unset LM_RESULTS_FILE CI TEST_VERBOSE TEST_TIMEOUT
	 LM_TMPDIR=$TRASH_DIRECTORY KEEP_TMP=1 bash "$TEST_TMP/t9999-harness.sh" >out 2>&1
	 echo $? >status) &&
	cat out &&
	test "$(cat status)" = 1 &&
	grep -qx "ok 1 - passes" out &&
	grep -qx "not ok 2 - fails" out &&
	grep -qx "# | shown" out &&
	grep -qx "# | shown-from-stderr" out &&
	! grep -q "not shown" out &&
	grep -qx "not ok 3 - hangs # timed out after 1 s" out &&
	grep -qx "ok 4 - needs NEVER # SKIP missing prerequisite NEVER" out &&
	grep -qx "# passed 1, failed 2, skipped 1" out &&
	printf "second\nfirst\nhung\n" >expect &&
	cmp expect lm-t9999-harness.*/cleanups &&
	! pgrep -fx "sleep 61.$$"
'

test_expect_success 'CI=true turns a missing prerequisite into a failure' '
	(unset LM_RESULTS_FILE TEST_VERBOSE TEST_TIMEOUT
	 CI=true LM_TMPDIR=$TRASH_DIRECTORY bash "$TEST_TMP/t9999-harness.sh" >out 2>&1
	 echo $? >status) &&
	cat out &&
	test "$(cat status)" = 1 &&
	grep -q "^not ok 4 - needs NEVER # missing prerequisite NEVER" out
'

test_done
