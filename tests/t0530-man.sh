#!/usr/bin/env bash
test_description='the man pages format without a warning

Every page in man/ goes through man --warnings (groff with its warnings on)
at three widths; anything on stderr fails the case.  The section in .TH
must be the file'\''s suffix (what make install goes by), and no page may
point at a page that does not exist here.'
. "$(dirname "$0")/lib/test-lib.sh"

test_lazy_prereq MAN 'command -v man && command -v groff'

pages=$(cd "$SRC_ROOT/man" && ls)

for page in $pages; do
	test_expect_success MAN "man --warnings -l man/$page prints no warning" '
		for width in 80 60 120; do
			MANWIDTH=$width LC_ALL=C.UTF-8 man --warnings -l "$SRC_ROOT/man/'"$page"'" \
				>out 2>err || { cat err; return 1; }
			test -s out || { echo "nothing formatted at width $width"; return 1; }
			if test -s err; then
				echo "width $width:" && cat err && return 1
			fi
		done
	'
done

test_expect_success MAN 'each page'\''s .TH section is its file suffix' '
	for page in $pages; do
		section=$(sed -n "s/^\.TH [^ ]* \([0-9a-z]*\) .*/\1/p" "$SRC_ROOT/man/$page") &&
		echo "$page: section $section" &&
		test "$section" = "${page##*.}" || return 1
	done
'

test_expect_success MAN 'pages point only at lakemount pages that exist' '
	cat "$SRC_ROOT"/man/* |
	sed -n "s/^\.BR \(lakemount[a-z.\\-]*\) (\([0-9]\)).*/\1.\2/p" | sed "s/\\\\//g" |
	sort -u >refs &&
	cat refs &&
	test -s refs &&
	while read -r ref; do
		test -e "$SRC_ROOT/man/$ref" || { echo "no page $ref"; return 1; }
	done <refs
'

test_done
