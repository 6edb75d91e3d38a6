#!/usr/bin/env bash
test_description='bad input: names, in the layers and in the archive

One bucket on Ceph RGW, mounted with the archive (data/, read-only) and the
layers bronze/ and silver/.  Names written through the mount must land
under exactly that key (checked with s3cli head and ls), and keys put with
s3cli must show under exactly that name (checked byte for byte with
os.listdir on bytes): spaces, tabs, newlines, backslashes, %, +, ?, #, &,
UTF-8, 255-byte names.  What POSIX cannot show or S3 cannot hold is
refused or left out as lakemount(8), NAMES, says: 256-byte names and keys
over 1,024 bytes (ENAMETOOLONG), invalid UTF-8 (EILSEQ), a key that is
both a file and a prefix (the file wins), directory markers (with and
without content), and keys with empty, "." or ".." components (never
shown, never followed).'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/mount-lib.sh"

TEST_TIMEOUT=90

rgw_start

# Names that must round-trip, both ways (set here: bodies hold no quotes).
NAMES=("sp ace" $'tab\there' $'new\nline' 'back\slash' 'per%cent' '%2F' 'plus+sign'
	'q?uery#frag&x=y' '~tilde*star' 'ünïcødé-日本語' '€ euro' 'a;b,c=d@e' '(paren)[br]{ce}'
	"$(printf 'x%.0s' $(seq 255))" "$(printf 'é%.0s' $(seq 127))x")
BAD_UTF8=$'bad\xffname' BAD_UTF8_2=$'half\xc3' CTRL_1=$'ctrl\x01' CTRL_1F=$'esc\x1b[0m'
export BAD_UTF8 BAD_UTF8_2 CTRL_1 CTRL_1F
export NAMES_FILE=$TEST_TMP/names
printf '%s\0' "${NAMES[@]}" >"$NAMES_FILE"

# listing_has DIR: every name of NAMES_FILE is in os.listdir(DIR), as bytes,
# and nothing else but the names given after DIR
listing_has() {
	python3 - "$@" <<-'PY'
	import os, sys
	want = [n.encode() for n in open(os.environ["NAMES_FILE"], "rb").read().decode().split("\0") if n]
	got = os.listdir(sys.argv[1].encode())
	extra = [a.encode() for a in sys.argv[2:]]
	missing = [n for n in want if n not in got]
	unexpected = [g for g in got if g not in want and g not in extra]
	print(len(got), "names listed;", len(missing), "missing:", missing[:5], "unexpected:", unexpected[:5])
	sys.exit(1 if missing or unexpected else 0)
	PY
}

# errno_is TEXT FILE: the message in FILE (of one failed command) ends in
# ": TEXT"; prints that end only (the names are long)
errno_is() {
	echo "-> ${3:-}$(sed "s/.*: //" "$2")"
	test "$(sed "s/.*: //" "$2")" = "$1"
}

test_expect_success FUSE 'setup: a bucket, mounted with the archive and the layers' '
	test_bucket b && s3cli mb "$b" &&
	echo "$b" >"$TEST_TMP/bucket" &&
	lm_config_layers "$TEST_TMP/lm.json" "$b" &&
	lm_mount "$TEST_TMP/lm.json" "$TEST_TMP/mnt"
'
bucket=$(cat "$TEST_TMP/bucket" 2>/dev/null)
M=$TEST_TMP/mnt

test_expect_success FUSE 'names written through the mount land under exactly that key' '
	mkdir "$M/bronze/names" &&
	while IFS= read -r -d "" n; do
		printf "%s" "$n" >"$M/bronze/names/$n" || { echo "cannot create: $n"; return 1; }
	done <"$NAMES_FILE" &&
	timeout 60 sync "$M"/bronze/names/* &&
	listing_has "$M/bronze/names" &&
	count=0 &&
	while IFS= read -r -d "" n; do
		s3cli get "$bucket" "bronze/names/$n" >got &&
		printf "%s" "$n" >want && cmp want got || { echo "not in S3 as such: $n"; return 1; }
		count=$((count + 1))
	done <"$NAMES_FILE" &&
	echo "$count keys checked with s3cli get" &&
	s3cli ls "$bucket" bronze/names/ >ls.out &&
	grep -c "" ls.out && grep -qF "bronze/names/plus+sign	" ls.out &&
	grep -qF "bronze/names/per%cent	" ls.out && grep -qF "bronze/names/sp ace	" ls.out
'

test_expect_success FUSE 'keys put with s3cli show under exactly their name, with their bytes' '
	mkdir -p src/data/names &&
	while IFS= read -r -d "" n; do
		printf "%s" "$n" >"src/data/names/$n" || return 1
	done <"$NAMES_FILE" &&
	s3cli put-tree "$bucket" src &&
	listing_has "$M/archive/binance/names" &&
	while IFS= read -r -d "" n; do
		printf "%s" "$n" >want &&
		timeout 30 cat "$M/archive/binance/names/$n" >got && cmp want got || return 1
	done <"$NAMES_FILE"
'

test_expect_success FUSE 'random names (any UTF-8 but /): written, listed, in S3 under the same bytes' '
	n=$(lm_stress 40 1500) && seed=$RANDOM && echo "$n names, seed $seed" &&
	mkdir "$M/bronze/random" &&
	python3 - "$M/bronze/random" "$n" "$seed" "$bucket" <<-PY
	import os, random, subprocess, sys
	d, n, seed, bucket = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
	rnd = random.Random(seed)
	pools = [range(0x20, 0x7f), [9, 10, 13, 0x7f], range(0xa0, 0x800), range(0x800, 0xd800),
	         range(0xe000, 0xfffe), range(0x10000, 0x10ffff)]
	names = set()
	while len(names) < n:
	    name = "".join(chr(rnd.choice(rnd.choice(pools))) for _ in range(rnd.randint(1, 80)))
	    b = name.replace("/", "_").encode()[:255]
	    name = b.decode("utf-8", "ignore")
	    if name and name not in (".", ".."):
	        names.add(name)
	for name in names:
	    fd = os.open(os.path.join(d, name).encode(), os.O_WRONLY | os.O_CREAT, 0o644)
	    os.write(fd, name.encode())
	    os.fsync(fd)
	    os.close(fd)
	got = set(x.decode() for x in os.listdir(d.encode()))
	assert got == names, (len(got), len(names), sorted(got ^ names)[:3])
	keys = subprocess.run(["s3cli", "ls", bucket, "bronze/random/"], capture_output=True,
	                      check=True).stdout
	for name in names:
	    body = subprocess.run(["s3cli", "get", bucket, "bronze/random/" + name],
	                          capture_output=True, check=True).stdout
	    assert body == name.encode(), repr(name)
	print(len(names), "names round-tripped;", len(keys), "bytes of s3cli ls")
	open("random.names", "wb").write(b"".join(n.encode() + b"\\0" for n in names))
	PY
	lm_config_layers "$PWD/other.json" "$bucket" &&
	test_when_finished "lm_reap $PWD/other.json $PWD/other" &&
	lm_mount "$PWD/other.json" "$PWD/other" &&
	NAMES_FILE=$PWD/random.names listing_has "$PWD/other/bronze/random" &&
	lm_umount "$PWD/other"
'

test_expect_success FUSE 'the same names renamed into another layer keep their bytes' '
	mkdir "$M/silver/names" &&
	while IFS= read -r -d "" n; do
		mv "$M/bronze/names/$n" "$M/silver/names/$n" || return 1
	done <"$NAMES_FILE" &&
	listing_has "$M/silver/names" &&
	ls -A "$M/bronze/names" >left && cat -A left && test ! -s left &&
	lm_wait_drained "$M" &&
	s3cli ls "$bucket" bronze/names/ >left && cut -f1 left &&
	test "$(cut -f1 left)" = bronze/names/ &&
	s3cli get "$bucket" "silver/names/$(printf "new\nline")" >got && printf "new\nline" >want && cmp want got
'

test_expect_success FUSE 'a 256-byte name: ENAMETOOLONG, in a layer and in the archive' '
	n256=$(printf "y%.0s" $(seq 256)) &&
	! touch "$M/bronze/$n256" 2>err && errno_is "File name too long" err &&
	! mkdir "$M/bronze/$n256" 2>err && errno_is "File name too long" err &&
	! stat "$M/archive/binance/$n256" 2>err && errno_is "File name too long" err &&
	! stat "$M/bronze/$n256" 2>err && errno_is "File name too long" err &&
	s3cli ls "$bucket" bronze/ >ls.out && ! grep -q yyyyyyyy ls.out
'

test_expect_success FUSE 'a key over 1,024 bytes (deep paths of long names): ENAMETOOLONG, never EIO' '
	d=$M/bronze/deep && mkdir "$d" &&
	c=$(printf "z%.0s" $(seq 250)) &&
	mkdir -p "$d/$c/$c/$c/$c" &&
	key=bronze/deep/$c/$c/$c/$c/ && echo "key of ${#key} bytes made" &&
	! mkdir "$d/$c/$c/$c/$c/$c" 2>err && errno_is "File name too long" err &&
	! touch "$d/$c/$c/$c/$c/$c" 2>err && errno_is "File name too long" err &&
	! stat "$d/$c/$c/$c/$c/$c" 2>err && errno_is "File name too long" err &&
	! stat "$M/archive/binance/$c/$c/$c/$c/$c/$c" 2>err &&
	errno_is "No such file or directory" err &&
	short=$(printf "w%.0s" $(seq 1 $((1024 - ${#key})))) &&
	echo x >"$d/$c/$c/$c/$c/$short" && sync "$d/$c/$c/$c/$c/$short" &&
	echo "the longest key, written: $((${#key} + ${#short})) bytes" &&
	s3cli head "$bucket" "$key$short" &&
	! touch "$d/$c/$c/$c/$c/${short}w" 2>err && errno_is "File name too long" err &&
	echo y >"$d/r" &&
	! mv "$d/r" "$d/$c/$c/$c/$c/${short}w" 2>err && errno_is "File name too long" err &&
	test -f "$d/r"
'

test_expect_success FUSE 'a name that is not UTF-8, or has a control character XML cannot carry: EILSEQ, nothing in S3' '
	for n in "$BAD_UTF8" "$BAD_UTF8_2" "$CTRL_1" "$CTRL_1F"; do
		! touch "$M/bronze/$n" 2>err && errno_is "Invalid or incomplete multibyte or wide character" err &&
		! mkdir "$M/bronze/$n" 2>err && errno_is "Invalid or incomplete multibyte or wide character" err &&
		! stat "$M/archive/binance/$n" 2>err && errno_is "Invalid or incomplete multibyte or wide character" err || return 1
	done &&
	echo x >"$M/bronze/good" &&
	! mv "$M/bronze/good" "$M/bronze/$BAD_UTF8" 2>err && errno_is "Invalid or incomplete multibyte or wide character" err &&
	test -f "$M/bronze/good" && rm "$M/bronze/good" && lm_wait_drained "$M" &&
	s3cli ls "$bucket" bronze/ >ls.out && ! grep -q -e bad -e half -e good ls.out
'

test_expect_success FUSE 'a key with a control character (0x01) put by another tool: its directory fails with EIO at once, others list' '
	echo x >x && s3cli put "$bucket" "data/ctl/x${CTRL_1}y" x && s3cli put "$bucket" data/ctl2/fine x &&
	start=$(date +%s%3N) &&
	! timeout 60 ls "$M/archive/binance/ctl" 2>err && errno_is "Input/output error" err &&
	echo "failed after $(($(date +%s%3N) - start)) ms" &&
	test "$(ls "$M/archive/binance/ctl2")" = fine &&
	s3cli rm "$bucket" "data/ctl/x${CTRL_1}y"
'

test_expect_success FUSE 'a key that is both a file and a prefix (a and a/b): the file wins, in both trees' '
	echo "the file a" >a && echo "the file a/b" >ab &&
	s3cli put "$bucket" data/both/a a && s3cli put "$bucket" data/both/a/b ab &&
	s3cli put "$bucket" bronze/both/a a && s3cli put "$bucket" bronze/both/a/b ab &&
	for d in archive/binance/both bronze/both; do
		test "$(ls "$M/$d")" = a && test -f "$M/$d/a" &&
		cat "$M/$d/a" >got && test_cmp a got &&
		! stat "$M/$d/a/b" 2>err && errno_is "Not a directory" err || return 1
	done &&
	! mkdir "$M/bronze/both/a" 2>err && errno_is "File exists" err &&
	s3cli get "$bucket" bronze/both/a/b >got && test_cmp ab got
'

test_expect_success FUSE 'the file a and the prefix a/ on two listing pages: still one a, a file' '
	mkdir -p src3/data/paged && (cd src3/data/paged && touch $(seq -f "%04g" 0 998)) &&
	echo "the file a" >src3/data/paged/a &&
	s3cli put-tree "$bucket" src3 && s3cli put "$bucket" data/paged/a/b ab &&
	ls "$M/archive/binance/paged" >names && tail -2 names &&
	test "$(wc -l <names)" = 1000 && test "$(grep -c "^a\$" names)" = 1 &&
	test -f "$M/archive/binance/paged/a" &&
	ls "$M/archive/binance/paged" >again && test_cmp names again
'

test_expect_success FUSE 'keys ending in / are directories: markers, one with content, one above a file' '
	: >empty && echo "bytes in a marker" >full &&
	s3cli put "$bucket" data/markers/empty/ empty &&
	s3cli put "$bucket" data/markers/full/ full &&
	s3cli put "$bucket" data/markers/nested/x/ empty &&
	s3cli put "$bucket" data/markers/nested/x/f a &&
	A=$M/archive/binance/markers &&
	ls -la "$A" "$A/full" &&
	test "$(ls "$A" | tr "\n" " ")" = "empty full nested " &&
	test -d "$A/empty" && test -d "$A/full" && test -d "$A/nested/x" &&
	test -z "$(ls -A "$A/empty")" && test -z "$(ls -A "$A/full")" &&
	test "$(ls "$A/nested/x")" = f &&
	mkdir "$M/bronze/made" && lm_wait_drained "$M" &&
	s3cli head "$bucket" bronze/made/ && rmdir "$M/bronze/made" && lm_wait_drained "$M" &&
	! s3cli head "$bucket" bronze/made/ 2>/dev/null
'

test_expect_success FUSE 'keys with empty, . or .. components are left out, never followed' '
	for k in "a//b" "./c" "../up" "x/../../../../tmp/lm-escape-$$" "y/./z" "ok"; do
		s3cli put "$bucket" "data/dots/$k" a || return 1
	done &&
	s3cli ls "$bucket" data/dots/ | cut -f1 &&
	test "$(s3cli ls "$bucket" data/dots/ | wc -l)" = 6 &&
	D=$M/archive/binance/dots &&
	python3 -c "import os, sys; print(sorted(os.listdir(sys.argv[1])))" "$D" >got &&
	cat got && echo "[$(printf "\"%s\", " a ok x y)]" | sed "s/, \]/]/" | tr "\"" "\047" >want &&
	test_cmp want got &&
	test -z "$(ls -A "$D/a")" && test -z "$(ls -A "$D/x")" &&
	test "$(ls -A "$D/y")" = "" &&
	cat "$D/ok" >got && test_cmp a got &&
	find "$M/archive/binance/dots" | sort &&
	test ! -e /tmp/lm-escape-$$ && test ! -e "$D/../up" && test ! -e "$M/archive/up"
'

test_expect_success FUSE 'a key with a component over 255 bytes is left out of the archive listing' '
	long=$(printf "L%.0s" $(seq 300)) &&
	s3cli put "$bucket" "data/longname/$long" a && s3cli put "$bucket" data/longname/short a &&
	test "$(ls "$M/archive/binance/longname")" = short &&
	! stat "$M/archive/binance/longname/$long" 2>err && errno_is "File name too long" err
'

test_done
