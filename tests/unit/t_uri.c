/*
 * t_uri: S3's percent-encoding of keys and the canonical query string.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "uri.h"

static const char *enc(struct strbuf *sb, const char *s, int keep_slash)
{
	strbuf_reset(sb);
	if (uri_encode(sb, s, strlen(s), keep_slash))
		return NULL;
	return strbuf_str(sb);
}

static const char *query(struct strbuf *sb, const struct uri_param *p, size_t n)
{
	strbuf_reset(sb);
	if (uri_query(sb, p, n))
		return NULL;
	return strbuf_str(sb);
}

static void test_encode(void)
{
	struct strbuf sb = STRBUF_INIT;

	unit_case("unreserved characters pass, '~' included");
	UNIT_CHECK_STR(enc(&sb, "AZaz09-._~", 0), "AZaz09-._~");

	unit_case("space, '+', '%', '=', '$' become upper-case %XX");
	UNIT_CHECK_STR(enc(&sb, "a b", 0), "a%20b");
	UNIT_CHECK_STR(enc(&sb, "a+b", 0), "a%2Bb");
	UNIT_CHECK_STR(enc(&sb, "100%", 0), "100%25");
	UNIT_CHECK_STR(enc(&sb, "k=v", 0), "k%3Dv");
	UNIT_CHECK_STR(enc(&sb, "test$file.text", 1), "test%24file.text");
	UNIT_CHECK_STR(enc(&sb, "*'()!@#&?:;,[]", 0),
		       "%2A%27%28%29%21%40%23%26%3F%3A%3B%2C%5B%5D");

	unit_case("'/' kept in a path, encoded in a query value");
	UNIT_CHECK_STR(enc(&sb, "/dir/sub dir/f", 1), "/dir/sub%20dir/f");
	UNIT_CHECK_STR(enc(&sb, "/dir/sub dir/f", 0), "%2Fdir%2Fsub%20dir%2Ff");

	unit_case("UTF-8 key is encoded byte by byte");
	UNIT_CHECK_STR(enc(&sb, "币安人生USDT", 1),
		       "%E5%B8%81%E5%AE%89%E4%BA%BA%E7%94%9FUSDT");
	UNIT_CHECK_STR(enc(&sb, "caf\xc3\xa9", 1), "caf%C3%A9");

	unit_case("empty string encodes to empty");
	UNIT_CHECK_STR(enc(&sb, "", 0), "");

	unit_case("encoding appends to what is in the buffer");
	strbuf_reset(&sb);
	UNIT_CHECK(!strbuf_adds(&sb, "/bucket/"));
	UNIT_CHECK(!uri_encode(&sb, "a b", 3, 1));
	UNIT_CHECK_STR(strbuf_str(&sb), "/bucket/a%20b");

	unit_case("a key longer than the encoder's chunk is whole");
	{
		char key[1000];
		size_t i;

		for (i = 0; i < sizeof(key); i++)
			key[i] = i % 2 ? ' ' : 'x';
		strbuf_reset(&sb);
		UNIT_CHECK(!uri_encode(&sb, key, sizeof(key), 0));
		UNIT_CHECK_INT(sb.len, 500 + 500 * 3);
		UNIT_CHECK(!memcmp(sb.buf, "x%20x%20", 8));
		UNIT_CHECK(!memcmp(sb.buf + sb.len - 4, "x%20", 4));
	}

	unit_case("a full buffer fails and is left as it was");
	{
		struct strbuf small;

		strbuf_init(&small, 8);
		UNIT_CHECK(!strbuf_adds(&small, "ab"));
		UNIT_CHECK_INT(uri_encode(&small, "   ", 3, 0), -1);
		UNIT_CHECK_STR(strbuf_str(&small), "ab");
		strbuf_release(&small);
	}
	strbuf_release(&sb);
}

static void test_decode(void)
{
	struct strbuf sb = STRBUF_INIT;

	unit_case("decode: escapes in either case, '+' stays '+'");
	UNIT_CHECK(!uri_decode(&sb, "a%20b%2bc+d%7E", 14));
	UNIT_CHECK_STR(strbuf_str(&sb), "a b+c+d~");

	unit_case("decode: malformed escapes fail and change nothing");
	strbuf_reset(&sb);
	UNIT_CHECK(!strbuf_adds(&sb, "keep"));
	UNIT_CHECK_INT(uri_decode(&sb, "a%2", 3), -1);
	UNIT_CHECK_INT(uri_decode(&sb, "a%", 2), -1);
	UNIT_CHECK_INT(uri_decode(&sb, "%zz", 3), -1);
	UNIT_CHECK_INT(uri_decode(&sb, "%4g", 3), -1);
	UNIT_CHECK_STR(strbuf_str(&sb), "keep");
	UNIT_CHECK_INT(sb.len, 4);

	unit_case("decode: UTF-8 escapes give the original bytes");
	strbuf_reset(&sb);
	UNIT_CHECK(!uri_decode(&sb, "%E5%B8%81%E5%AE%89%E4%BA%BA%E7%94%9FUSDT",
			       40));
	UNIT_CHECK_STR(strbuf_str(&sb), "币安人生USDT");
	strbuf_release(&sb);
}

/* Encode then decode must give back the very bytes, for every byte value
 * and for keys made of the troublesome ones. */
static int round_trips(const char *s, size_t len, int keep_slash)
{
	struct strbuf e = STRBUF_INIT, d = STRBUF_INIT;
	size_t i;
	int ok = 0;

	if (uri_encode(&e, s, len, keep_slash) ||
	    uri_decode(&d, strbuf_str(&e), e.len))
		goto out;
	/* The encoding itself holds only unreserved bytes, '%' and '/'. */
	for (i = 0; i < e.len; i++) {
		char c = e.buf[i];

		if (!(strchr("-._~%", c) || (c >= '0' && c <= '9') ||
		      (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (keep_slash && c == '/')) || c == '\0')
			goto out;
	}
	ok = d.len == len && (!len || !memcmp(d.buf, s, len));
out:
	strbuf_release(&e);
	strbuf_release(&d);
	return ok;
}

static void test_round_trip(void)
{
	static const char *const keys[] = {
		"plain", "a b", "a+b", "100%", "50%25", "~user", "k=v&x=y",
		"dir/sub/file", "/leading", "trailing/", "//double//",
		"币安人生USDT", "emoji \xf0\x9f\x98\x80", "tab\there",
		"new\nline", "quote\"'`", "#hash?query", "\x7f\x80\xff",
	};
	char all[256];
	size_t i;
	unsigned seed = 12345;
	int bad = 0;

	unit_case("round trip: all 256 byte values in one key");
	for (i = 0; i < 256; i++)
		all[i] = (char)i;
	UNIT_CHECK(round_trips(all, sizeof(all), 0));
	UNIT_CHECK(round_trips(all, sizeof(all), 1));

	unit_case("round trip: each byte value alone");
	for (i = 0; i < 256; i++)
		bad += !round_trips(&all[i], 1, 0) + !round_trips(&all[i], 1, 1);
	UNIT_CHECK_INT(bad, 0);

	unit_case("round trip: keys with spaces, '+', '%', '~', '=', UTF-8");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!round_trips(keys[i], strlen(keys[i]), 1) ||
		    !round_trips(keys[i], strlen(keys[i]), 0))
			unit_fail(__FILE__, __LINE__, "no round trip: '%s'",
				  keys[i]);
	}

	unit_case("round trip: random byte strings");
	bad = 0;
	for (i = 0; i < 500; i++) {
		char buf[64];
		size_t j, len = i % sizeof(buf);

		for (j = 0; j < len; j++) {
			seed = seed * 1103515245 + 12345;
			buf[j] = (char)(seed >> 16);
		}
		bad += !round_trips(buf, len, (int)(i & 1));
	}
	UNIT_CHECK_INT(bad, 0);
}

static void test_query(void)
{
	struct strbuf sb = STRBUF_INIT;

	unit_case("query: sorted by name, values encoded");
	{
		struct uri_param p[] = {
			{ "prefix", "J" }, { "max-keys", "2" },
		};
		UNIT_CHECK_STR(query(&sb, p, 2), "max-keys=2&prefix=J");
	}

	unit_case("query: bare sub-resource becomes 'name='");
	{
		struct uri_param p[] = { { "uploads", NULL } };
		struct uri_param q[] = { { "lifecycle", NULL } };

		UNIT_CHECK_STR(query(&sb, p, 1), "uploads=");
		UNIT_CHECK_STR(query(&sb, q, 1), "lifecycle=");
	}

	unit_case("query: '/' and space encoded in values, '~' kept");
	{
		struct uri_param p[] = {
			{ "prefix", "dir/sub dir/~x" }, { "delimiter", "/" },
			{ "list-type", "2" },
		};
		UNIT_CHECK_STR(query(&sb, p, 3),
			       "delimiter=%2F&list-type=2&prefix=dir%2Fsub%20dir%2F~x");
	}

	unit_case("query: sorted by encoded name, then by value");
	{
		/* Upper case sorts before lower case (byte order); equal
		 * names sort by value; name "a" before "a-b" although '='
		 * sorts after '-'. */
		struct uri_param p[] = {
			{ "b", "2" }, { "a-b", "x" }, { "a", "z" }, { "a", "y" },
			{ "X-Amz-Date", "d" }, { "a", NULL },
		};
		UNIT_CHECK_STR(query(&sb, p, 6),
			       "X-Amz-Date=d&a=&a=y&a=z&a-b=x&b=2");
	}

	unit_case("query: names encoded before sorting");
	{
		/* Raw, 0xC3 sorts after 'a'; encoded, its '%' sorts before. */
		struct uri_param p[] = { { "aa", "1" }, { "a\xc3\xa9", "2" } };

		UNIT_CHECK_STR(query(&sb, p, 2), "a%C3%A9=2&aa=1");
	}

	unit_case("query: UTF-8 and '+' in values");
	{
		struct uri_param p[] = {
			{ "prefix", "币安人生USDT" }, { "marker", "a+b=c" },
		};
		UNIT_CHECK_STR(query(&sb, p, 2),
			       "marker=a%2Bb%3Dc&prefix=%E5%B8%81%E5%AE%89"
			       "%E4%BA%BA%E7%94%9FUSDT");
	}

	strbuf_release(&sb);
}

static void test_query_edges(void)
{
	struct strbuf sb = STRBUF_INIT;

	unit_case("query: no parameters gives the empty string");
	UNIT_CHECK_STR(query(&sb, NULL, 0), "");

	unit_case("query: appends, and on failure leaves the buffer alone");
	{
		struct strbuf small;
		struct uri_param p[] = { { "partNumber", "1" },
					 { "uploadId", "abcdefghijklmnop" } };

		strbuf_init(&small, 24);
		UNIT_CHECK(!strbuf_adds(&small, "?"));
		UNIT_CHECK_INT(uri_query(&small, p, 2), -1);
		UNIT_CHECK_STR(strbuf_str(&small), "?");
		UNIT_CHECK_INT(uri_query(&small, p, 1), 0);
		UNIT_CHECK_STR(strbuf_str(&small), "?partNumber=1");
		strbuf_release(&small);
	}
	strbuf_release(&sb);
}

int main(void)
{
	test_encode();
	test_decode();
	test_round_trip();
	test_query();
	test_query_edges();
	return unit_done();
}
