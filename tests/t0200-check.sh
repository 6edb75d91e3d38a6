#!/usr/bin/env bash
test_description='lakemount --check: one line per source, and exit 0/1/2'
. "$(dirname "$0")/lib/test-lib.sh"

rgw_start

# A config with one source on the running RGW; credentials from the
# environment unless a profile is named.
write_config() {  # FILE BUCKET [ENDPOINT] [EXTRA-SOURCE-JSON]
	cat >"$1" <<-JSON
	{
	  "cache": { "dir": "$TRASH_DIRECTORY/cache", "max_size": "1GiB" },
	  "sources": {
	    "lake": { "endpoint": "${3:-$S3_ENDPOINT}", "region": "us-east-1",
	              "bucket": "$2", "path_style": true ${4:-} }
	  },
	  "tree": [ { "path": "bronze", "source": "lake", "prefix": "bronze/" } ]
	}
	JSON
}

with_env_creds() {
	AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=${SECRET:-$S3_SECRET_KEY} \
	AWS_SHARED_CREDENTIALS_FILE=/nonexistent "$@"
}

test_expect_success 'a good source is reported ok' '
	test_bucket b && s3cli mb "$b" &&
	write_config lm.json "$b" &&
	with_env_creds lakemount --check lm.json >out &&
	cat out &&
	grep "^source '\''lake'\'': ok ($S3_ENDPOINT, bucket '\''$b'\''" out &&
	test $(wc -l <out) = 1
'

test_expect_success 'a wrong secret from a profile is named, with exit status 1' '
	test_bucket b && s3cli mb "$b" &&
	write_config lm.json "$b" "" ", \"profile\": \"analyst\"" &&
	printf "[analyst]\naws_access_key_id = %s\naws_secret_access_key = wrong-secret\n" \
		"$S3_ACCESS_KEY" >creds &&
	{ AWS_SHARED_CREDENTIALS_FILE=$PWD/creds lakemount --check lm.json >out; rc=$?; } &&
	cat out && test $rc = 1 &&
	grep "^source '\''lake'\'': SignatureDoesNotMatch: the secret key for profile '\''analyst'\''" out &&
	! grep wrong-secret out
'

test_expect_success 'a missing bucket is named' '
	write_config lm.json no-such-bucket-here &&
	{ with_env_creds lakemount --check lm.json >out; rc=$?; } &&
	cat out && test $rc = 1 &&
	grep "NoSuchBucket: bucket '\''no-such-bucket-here'\'' does not exist" out
'

test_expect_success 'an endpoint where nothing listens fails within 10 seconds' '
	port=$(free_port) &&
	write_config lm.json somebucket "http://127.0.0.1:$port" &&
	start=$(date +%s) &&
	{ with_env_creds lakemount --check lm.json >out; rc=$?; } &&
	end=$(date +%s) &&
	cat out && test $rc = 1 &&
	grep "cannot connect to http://127.0.0.1:$port" out &&
	test $((end - start)) -lt 10
'

test_expect_success 'a config error names file, line and field, with exit status 2' '
	test_bucket b &&
	write_config lm.json "$b" "" ", \"bukket\": \"typo\"" &&
	{ with_env_creds lakemount --check lm.json 2>err; rc=$?; } &&
	cat err && test $rc = 2 &&
	grep "lm.json'\'': line 5: .*bukket" err
'

test_expect_success 'missing credentials say how to provide them' '
	test_bucket b && write_config lm.json "$b" &&
	{ env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_PROFILE \
		AWS_SHARED_CREDENTIALS_FILE=$PWD/none HOME=$PWD \
		lakemount --check lm.json >out; rc=$?; } &&
	cat out && test $rc = 1 &&
	grep "AWS_ACCESS_KEY_ID" out
'

test_expect_success 'an s3:// source with -o options is checked too' '
	test_bucket b && s3cli mb "$b" &&
	with_env_creds lakemount --check "s3://$b/bronze" \
		-o "endpoint=$S3_ENDPOINT,path_style,cache_dir=$TRASH_DIRECTORY/c" >out &&
	cat out && grep ": ok (" out
'

swift_start
test_expect_success 'Swift s3api: a source with a colon in its access key is ok' '
	test_bucket b && s3cli mb "$b" &&
	write_config lm.json "$b" &&
	with_env_creds lakemount --check lm.json >out &&
	cat out && grep ": ok (" out
'

test_done
