#!/usr/bin/env bash
test_description='bad input: configs that are wrong, and sources that cannot be reached

First, configs that are wrong in every way lakemount(8) promises to name
(syntax, unknown keys, types, missing or overlapping fields, sizes, not a
file at all): each must give exit status 2 and one line that names the
file, the field (with its line) and what is expected, and nothing may be
mounted.  No server is needed for those.  Then, with a Ceph RGW: an
unknown access key, an unknown bucket, an endpoint that does not resolve
or does not answer,
and an https endpoint (a TLS relay with a self-signed certificate made by
openssl here) whose certificate is not trusted or names another host: a
clear message, exit 1, nothing mounted, no daemon left.  The CA file
option (ca_file) makes the same relay work.
(t0200 covers --check with a wrong secret, a missing bucket, nothing
listening and an unknown key; t0330 the same at mount time.)'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

TEST_TIMEOUT=60

# A config that is right but for what the case changes: source "s", tree
# bronze/ at line 6.  good_config FILE [SOURCE-EXTRA] [TREE-JSON] [TOP-EXTRA]
# (LM_MAX: the JSON of cache.max_size)
good_config() {
	local max=${LM_MAX:-'"1GiB"'} tree=${3:-'[ { "path": "bronze", "source": "s", "prefix": "bronze/" } ]'}
	cat >"$1" <<-JSON
	{
	  "cache": { "dir": "$PWD/$1.cache", "max_size": $max } ${4:-},
	  "sources": {
	    "s": { "endpoint": "${LM_ENDPOINT:-http://127.0.0.1:9}", "bucket": "${LM_BUCKET:-b}", "path_style": true ${2:-} }
	  },
	  "tree": $tree
	}
	JSON
}

# refused STATUS CONFIG PATTERN...: `lakemount CONFIG mnt` fails with
# STATUS and exactly one line on stderr, that names CONFIG and matches
# every PATTERN (grep -E); nothing on stdout, nothing mounted, no daemon.
refused() {
	local want=$1 cfg=$2 rc p
	shift 2
	mkdir -p mnt && mount_register "$PWD/mnt" || return 1
	timeout 30 lakemount "$cfg" "$PWD/mnt" >out 2>err
	rc=$?
	echo "exit status $rc; stderr:" && cat err
	test "$rc" = "$want" || { echo "expected exit status $want"; return 1; }
	test "$(wc -l <err)" = 1 || { echo "expected one line"; return 1; }
	# (a config error names the file; a source error names the source)
	if [ "$want" = 2 ]; then
		grep -qF "'$cfg'" err || { echo "the file is not named"; return 1; }
	else
		grep -q "^lakemount: source .s.: " err || { echo "the source is not named"; return 1; }
	fi
	for p in "$@"; do
		grep -qE -- "$p" err || { echo "no match for: $p"; return 1; }
	done
	test ! -s out && ! mountpoint -q mnt && ! lm_daemon_pid "$cfg" >/dev/null
}

test_expect_success 'malformed JSON: an unterminated object' '
	good_config lm.json && sed -i "\$d" lm.json &&
	refused 2 "$PWD/lm.json" "line 7: invalid JSON: .}. expected near end of file"
'

test_expect_success 'malformed JSON: a trailing comma, in an array and in an object' '
	good_config lm.json "" "[ { \"path\": \"bronze\", \"source\": \"s\" }, ]" &&
	refused 2 "$PWD/lm.json" "line 6: invalid JSON: .* near .\]." "no trailing commas" &&
	good_config lm.json ", \"region\": \"r\"," &&
	refused 2 "$PWD/lm.json" "line 4: invalid JSON: .* near .\}." "no trailing commas"
'

test_expect_success 'a key given twice, a file over 1 MiB, a NUL byte, bytes that are not UTF-8' '
	good_config lm.json ", \"bucket\": \"c\"" &&
	refused 2 "$PWD/lm.json" "line 4: invalid JSON: duplicate object key near .\"bucket\"." &&
	head -c 1100000 /dev/zero | tr "\0" " " >big.json &&
	refused 2 "$PWD/big.json" "it is over 1 MiB" &&
	good_config lm.json && printf "\0" >>lm.json &&
	refused 2 "$PWD/lm.json" "it holds a NUL byte, so it is not JSON" &&
	good_config lm.json ", \"region\": \"$(printf "\377")\"" &&
	refused 2 "$PWD/lm.json" "line 4: invalid JSON: unable to decode byte 0xff"
'

test_expect_success 'a byte order mark before the JSON is ignored' '
	good_config lm.json && printf "\357\273\277" >bom.json && cat lm.json >>bom.json &&
	{ AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y timeout 30 lakemount --check bom.json >out 2>err; rc=$?; } &&
	cat out err && test $rc = 1 && grep -q "cannot connect" out
'

test_expect_success 'an unknown key at the top level, and nested in a source and a tree entry' '
	good_config lm.json "" "" ", \"chache\": {}" &&
	refused 2 "$PWD/lm.json" "line 2: \"chache\" is not a known key \(expected one of: cache, io_timeout, sources, tree, upload_delay\)" &&
	good_config lm.json ", \"bukket\": \"x\"" &&
	refused 2 "$PWD/lm.json" "line 4: \"sources.s.bukket\" is not a known key \(expected one of: endpoint, .*bucket" &&
	good_config lm.json "" "[ { \"path\": \"a\", \"source\": \"s\" },
	  { \"path\": \"b\", \"source\": \"s\", \"read_only\": true } ]" &&
	refused 2 "$PWD/lm.json" "line 7: \"tree\[1\].read_only\" is not a known key \(expected one of: path, source, prefix, readonly"
'

test_expect_success 'a key and a value holding a newline or a tab (JSON escapes): still one line' '
	good_config lm.json ", \"end\\npoint\": \"x\"" &&
	refused 2 "$PWD/lm.json" "\"sources.s.end.x0apoint\" is not a known key" &&
	good_config lm.json ", \"region\": \"eu\\twest\"" "" ", \"chache\\n\": 1" &&
	refused 2 "$PWD/lm.json" "chache.x0a"
'

test_expect_success 'wrong types: a string for a number, a number for a string, an object for an array' '
	good_config lm.json ", \"max_connections\": \"16\"" &&
	refused 2 "$PWD/lm.json" "line 4: \"sources.s.max_connections\" must be an integer from 1 to 1024" &&
	good_config lm.json "" "" ", \"io_timeout\": \"30\"" &&
	refused 2 "$PWD/lm.json" "line 2: \"io_timeout\" must be an integer from 1 to 3600" &&
	good_config lm.json ", \"region\": 1" &&
	refused 2 "$PWD/lm.json" "line 4: \"sources.s.region\" must be a string" &&
	good_config lm.json "" "{ \"path\": \"bronze\", \"source\": \"s\" }" &&
	refused 2 "$PWD/lm.json" "line 6: \"tree\" must be a non-empty array" &&
	good_config lm.json "" "[ { \"path\": \"bronze\", \"source\": \"s\", \"readonly\": \"yes\" } ]" &&
	refused 2 "$PWD/lm.json" "line 6: \"tree\[0\].readonly\" must be true or false" &&
	good_config lm.json "" "[ { \"path\": \"bronze\", \"source\": \"s\", \"ttl\": 1.5 } ]" &&
	refused 2 "$PWD/lm.json" "line 6: \"tree\[0\].ttl\" must be an integer from 0 to 31536000"
'

test_expect_success 'a source without a bucket, and a tree entry naming no source' '
	cat >lm.json <<-JSON &&
	{
	  "sources": {
	    "s": { "endpoint": "http://127.0.0.1:9",
	           "path_style": true }
	  },
	  "tree": [ { "path": "bronze", "source": "s" } ]
	}
	JSON
	refused 2 "$PWD/lm.json" "line 3: \"sources.s.bucket\" is required" &&
	good_config lm.json "" "[ { \"path\": \"bronze\", \"source\": \"lake\" } ]" &&
	refused 2 "$PWD/lm.json" "line 6: \"tree\[0\].source\" names no source .lake. \(sources are: s\)"
'

test_expect_success 'tree paths that overlap: nested, repeated, archive and archive/binance' '
	good_config lm.json "" "[ { \"path\": \"bronze\", \"source\": \"s\" },
	  { \"path\": \"bronze/x\", \"source\": \"s\" } ]" &&
	refused 2 "$PWD/lm.json" "line 7: \"tree\[1\].path\" .bronze/x. overlaps .bronze. of tree\[0\]: mount paths must not repeat or nest" &&
	good_config lm.json "" "[ { \"path\": \"bronze\", \"source\": \"s\" },
	  { \"path\": \"/bronze/\", \"source\": \"s\" } ]" &&
	refused 2 "$PWD/lm.json" "line 7: \"tree\[1\].path\" .bronze. overlaps .bronze. of tree\[0\]" &&
	good_config lm.json "" "[ { \"path\": \"archive/binance\", \"source\": \"s\" },
	  { \"path\": \"archive\", \"source\": \"s\" } ]" &&
	refused 2 "$PWD/lm.json" "line 7: \"tree\[1\].path\" .archive. overlaps .archive/binance. of tree\[0\]" &&
	good_config lm.json "" "[ { \"path\": \"bronze/../x\", \"source\": \"s\" } ]" &&
	refused 2 "$PWD/lm.json" "line 6: \"tree\[0\].path\" must not have empty, .\.. or .\.\.. components"
'

# Sizes: "20 GB" (a space before the unit) is accepted, as lakemount.json(5)
# says; these are not.
for size in '-1' '0' '"0"' '"-1"' '"1.5x"' '"20 gigs"' '1.5' '"1e3"' '" 20GiB"' \
	'"9223372036854775808"' '"8388608TiB"' '"18446744073709551615"'; do
test_expect_success "cache.max_size $size is refused" '
	LM_MAX=$size good_config lm.json && grep max_size lm.json &&
	refused 2 "$PWD/lm.json" "line 2: \"cache.max_size\" must be a size such as \"20GiB\" or a number of bytes, from 1 byte to 8 EiB"
'
done

test_expect_success 'cache.max_size past 2^63 as a JSON number: out of range, the field named' '
	LM_MAX=99999999999999999999 good_config lm.json &&
	refused 2 "$PWD/lm.json" "line 2: \"cache.max_size\" is a number out of range"
'

test_expect_success 'sizes that are accepted: "20 GB", "20GB", "1.5GiB", "8388607TiB" (--check gets past the config)' '
	for s in "20 GB" 20GB 1.5GiB 8388607TiB; do
		LM_MAX="\"$s\"" good_config lm.json &&
		{ AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y timeout 30 lakemount --check lm.json >out 2>err; rc=$?; } &&
		echo "$s: exit status $rc: $(cat out err)" &&
		test $rc = 1 && grep -q "cannot connect" out || return 1
	done
'

test_expect_success 'an empty file, a directory, a missing file: exit 2, what is expected' '
	: >empty.json &&
	refused 2 "$PWD/empty.json" "the file is empty: expected a JSON object" &&
	mkdir dir.json &&
	refused 2 "$PWD/dir.json" "it is a directory; expected a JSON file" &&
	refused 2 "$PWD/none.json" "No such file or directory" &&
	printf "[]" >array.json &&
	refused 2 "$PWD/array.json" "line 1: the top level must be an object"
'

test_expect_success 'a cache directory inside the mount point: exit 2, nothing mounted' '
	mkdir -p mnt &&
	cat >lm.json <<-JSON &&
	{ "cache": { "dir": "$PWD/mnt/.cache" },
	  "sources": { "s": { "endpoint": "http://127.0.0.1:9", "bucket": "b" } },
	  "tree": [ { "path": "bronze", "source": "s" } ] }
	JSON
	refused 2 "$PWD/lm.json" "the cache directory .$PWD/mnt/.cache. lies inside the mount point .$PWD/mnt.: expected one outside it" &&
	test ! -e mnt/.cache &&
	ln -s mnt link && sed -i "s|$PWD/mnt/.cache|$PWD/link|" lm.json &&
	refused 2 "$PWD/lm.json" "the cache directory .$PWD/link. lies inside the mount point"
'

test_expect_success 'ca_file that cannot be read, or is relative: the field named' '
	good_config lm.json ", \"ca_file\": \"$PWD/no-ca.pem\"" &&
	refused 2 "$PWD/lm.json" "line 4: \"sources.s.ca_file\" names a file that cannot be read \(No such file or directory\): expected a PEM file" &&
	good_config lm.json ", \"ca_file\": \"ca.pem\"" &&
	refused 2 "$PWD/lm.json" "line 4: \"sources.s.ca_file\" must be an absolute path"
'

# (about 30 ms a config; make stress runs 2,000)
TEST_TIMEOUT=$(lm_stress 60 600)
test_expect_success 'fuzzed configs: never a crash, a config error is always one line naming the file' '
	n=$(lm_stress 150 2000) && seed=$RANDOM && echo "$n configs, seed $seed" &&
	LM_ENDPOINT=http://127.0.0.1:9 good_config base.json ", \"region\": \"r\", \"max_connections\": 4" \
		"[ { \"path\": \"archive/binance\", \"source\": \"s\", \"readonly\": true, \"ttl\": 5 },
		   { \"path\": \"bronze\", \"source\": \"s\", \"prefix\": \"bronze/\" } ]" \
		", \"io_timeout\": 5" &&
	python3 - "$n" "$seed" <<-PY
	import random, subprocess, sys
	n, seed = int(sys.argv[1]), int(sys.argv[2])
	rnd = random.Random(seed)
	base = open("base.json", "rb").read()
	alphabet = b"{}[],:\"\\ 0123456789.-eEtrufalsn/xq\n\t\xc3\xa9\xff"
	counts = {}
	for i in range(n):
	    t = bytearray(base)
	    for _ in range(rnd.randint(1, 4)):
	        op, at = rnd.randrange(3), rnd.randrange(len(t))
	        if op == 0:
	            del t[at]
	        elif op == 1:
	            t.insert(at, rnd.choice(alphabet))
	        else:
	            j = rnd.randrange(len(t)); t[at:at] = t[j:j + rnd.randint(1, 12)]
	    open("fuzz.json", "wb").write(t)
	    env = {"PATH": __import__("os").environ["PATH"], "AWS_ACCESS_KEY_ID": "x",
	           "AWS_SECRET_ACCESS_KEY": "y", "HOME": "/nonexistent"}
	    r = subprocess.run(["lakemount", "--check", "fuzz.json"], capture_output=True, env=env, timeout=30)
	    counts[r.returncode] = counts.get(r.returncode, 0) + 1
	    err = r.stderr.decode("utf-8", "replace")
	    bad = r.returncode not in (1, 2) or (r.returncode == 2 and (
	        err.count("\n") != 1 or "fuzz.json" not in err or r.stdout))
	    if bad:
	        open("fuzz-failed-%d.json" % i, "wb").write(t)
	        print("config", i, "exit", r.returncode, "stderr:", err, "stdout:", r.stdout)
	        sys.exit(1)
	print("exit statuses:", counts)
	PY
'
TEST_TIMEOUT=60

# ---------------------------------------------------------------- sources
rgw_start

test_expect_success FUSE 'setup: a bucket with one object under bronze/' '
	test_bucket b && s3cli mb "$b" &&
	echo "hello over tls" >hello && s3cli put "$b" bronze/hello.txt hello &&
	echo "$b" >"$TEST_TMP/bucket"
'
bucket=$(cat "$TEST_TMP/bucket" 2>/dev/null)

test_expect_success FUSE 'an access key the server does not know: exit 1, InvalidAccessKeyId, no secret shown' '
	LM_ENDPOINT=$S3_ENDPOINT LM_BUCKET=$bucket good_config lm.json &&
	lm_env_creds &&
	AWS_ACCESS_KEY_ID=AKIDNOSUCHKEY AWS_SECRET_ACCESS_KEY=not-the-secret-123 \
		refused 1 "$PWD/lm.json" "InvalidAccessKeyId: the server does not know the access key of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment" &&
	! grep -e not-the-secret-123 -e "$S3_SECRET_KEY" err
'

test_expect_success FUSE 'a bucket that does not exist: exit 1 at mount time, the bucket named' '
	LM_ENDPOINT=$S3_ENDPOINT LM_BUCKET=no-such-bucket-$$ good_config lm.json &&
	lm_env_creds &&
	refused 1 "$PWD/lm.json" "NoSuchBucket: bucket .no-such-bucket-$$. does not exist at $S3_ENDPOINT"
'

test_expect_success FUSE 'an endpoint whose name does not resolve: exit 1 within 10 s' '
	LM_ENDPOINT=http://no-such-host.invalid:7480 LM_BUCKET=$bucket good_config lm.json &&
	lm_env_creds &&
	start=$(date +%s%3N) &&
	refused 1 "$PWD/lm.json" "cannot connect to http://no-such-host.invalid:7480 \(.*resolve" &&
	ms=$(($(date +%s%3N) - start)) && echo "failed after $ms ms" &&
	test $ms -le 10000
'

test_expect_success FUSE 'an endpoint that accepts connections but never answers: exit 1 within 10 s' '
	lm_proxy_start ep && test_when_finished "lm_proxy_stop" && lm_proxy_hang &&
	LM_ENDPOINT=$ep LM_BUCKET=$bucket good_config lm.json &&
	lm_env_creds &&
	start=$(date +%s%3N) &&
	refused 1 "$PWD/lm.json" "no answer from $ep in time" &&
	ms=$(($(date +%s%3N) - start)) && echo "failed after $ms ms" &&
	test $ms -le 10000
'

# An https relay in front of RGW: $TEST_TMP/tls/{ca,other}.pem are
# self-signed certificates for 127.0.0.1 and for another host.
tls_start() {  # VAR CERT: start a relay with CERT, VAR gets its https URL
	local port
	port=$(free_port) || return 1
	setsid python3 "$TEST_DIRECTORY/lib/tlsrelay.py" "$port" "${S3_ENDPOINT##*:}" \
		"$TEST_TMP/tls/$2.pem" "$TEST_TMP/tls/$2.key" >"$TEST_TMP/tls/$2.out" 2>&1 </dev/null &
	echo $! >"$TEST_TMP/tls/$2.pid"
	for _ in $(seq 1 100); do
		grep -q ready "$TEST_TMP/tls/$2.out" && break
		sleep 0.05
	done
	grep -q ready "$TEST_TMP/tls/$2.out" && eval "$1=https://127.0.0.1:$port"
}
tls_stop() { kill "$(cat "$TEST_TMP/tls/$1.pid")" 2>/dev/null; return 0; }

test_expect_success FUSE 'setup: self-signed certificates made with openssl' '
	mkdir -p "$TEST_TMP/tls" && cd "$TEST_TMP/tls" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1" -keyout ca.key -out ca.pem 2>/dev/null &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=s3.example.com" \
		-addext "subjectAltName=DNS:s3.example.com" -keyout other.key -out other.pem 2>/dev/null &&
	openssl x509 -in ca.pem -noout -subject -ext subjectAltName
'

test_expect_success FUSE 'TLS verification is on by default: a self-signed certificate is refused' '
	tls_start ep ca && test_when_finished "tls_stop ca" &&
	LM_ENDPOINT=$ep LM_BUCKET=$bucket good_config lm.json &&
	lm_env_creds &&
	refused 1 "$PWD/lm.json" "the TLS certificate of $ep is not trusted \(.*self.signed" "ca_file" &&
	LM_ENDPOINT=$ep LM_BUCKET=$bucket good_config check.json &&
	{ timeout 30 lakemount --check check.json >out 2>err; rc=$?; } &&
	cat out err && test $rc = 1 && grep -q "not trusted" out
'

test_expect_success FUSE 'with ca_file naming that certificate, the same relay mounts and reads' '
	tls_start ep ca && test_when_finished "tls_stop ca" &&
	LM_ENDPOINT=$ep LM_BUCKET=$bucket good_config lm.json ", \"ca_file\": \"$TEST_TMP/tls/ca.pem\"" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" &&
	echo "hello over tls" >want &&
	timeout 30 cat mnt/bronze/hello.txt >got && test_cmp want got &&
	echo "written over tls" >mnt/bronze/new.txt &&
	timeout 60 sync mnt/bronze/new.txt &&
	s3cli get "$bucket" bronze/new.txt >back && echo "written over tls" >want2 && test_cmp want2 back &&
	lm_umount "$PWD/mnt"
'

test_expect_success FUSE 'a certificate for another host name is refused, even with its CA trusted' '
	tls_start ep other && test_when_finished "tls_stop other" &&
	LM_ENDPOINT=$ep LM_BUCKET=$bucket good_config lm.json ", \"ca_file\": \"$TEST_TMP/tls/other.pem\"" &&
	lm_env_creds &&
	refused 1 "$PWD/lm.json" "the TLS certificate of $ep is not trusted \(.*(127.0.0.1|match)"
'

test_expect_success FUSE 'tls_verify false: mounts over the untrusted certificate, with a warning' '
	tls_start ep other && test_when_finished "tls_stop other" &&
	LM_ENDPOINT=$ep LM_BUCKET=$bucket good_config lm.json ", \"tls_verify\": false" &&
	test_when_finished "lm_reap $PWD/lm.json $PWD/mnt" &&
	lm_mount "$PWD/lm.json" "$PWD/mnt" 2>err &&
	cat err && grep "TLS certificates are not verified" err &&
	timeout 30 cat mnt/bronze/hello.txt &&
	lm_umount "$PWD/mnt"
'

test_done
