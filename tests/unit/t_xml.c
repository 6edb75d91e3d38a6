/*
 * t_xml: the S3 XML parsers, on documents shaped like those AWS and Ceph RGW
 * send, fed whole and in pieces small enough to split every text.
 */
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xml.h"

#define NKEYS 1000

/* ---- a generated ListObjectsV2 page ---- */

struct want {
	char *key[NKEYS];
	uint64_t size[NKEYS];
	char etag[NKEYS][40];
	time_t mtime[NKEYS];
};

static void want_key(int i, char *buf, size_t len)
{
	/* Every so often a key that needs escaping or is not ASCII. */
	switch (i % 100) {
	case 10:
		snprintf(buf, len, "data/k%04d a&b <c> \"q\" 'a'.zip", i);
		break;
	case 20:
		snprintf(buf, len, "data/k%04d-币安人生USDT-1m.zip", i);
		break;
	case 30:
		snprintf(buf, len, "data/k%04d &amp; literal.zip", i);
		break;
	default:
		snprintf(buf, len, "data/k%04d.zip", i);
	}
}

static char *make_v2_page(struct want *w)
{
	struct strbuf sb = STRBUF_INIT;
	char key[128];
	int i;

	strbuf_adds(&sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		    "<Name>data.binance.vision</Name><Prefix>data/</Prefix>"
		    "<KeyCount>1000</KeyCount><MaxKeys>1000</MaxKeys>"
		    "<IsTruncated>true</IsTruncated>");
	for (i = 0; i < NKEYS; i++) {
		want_key(i, key, sizeof(key));
		w->key[i] = strdup(key);
		w->size[i] = (uint64_t)i * 4099 + (i == 7 ? 5000000000ULL : 0);
		snprintf(w->etag[i], sizeof(w->etag[i]), "%032x", (unsigned)i * 2654435761u);
		/* 2009-10-12T17:50:30Z plus i minutes */
		w->mtime[i] = 1255369830 + 60 * i;
		strbuf_adds(&sb, "\n  <Contents><Key>");
		xml_escape(&sb, key);
		strbuf_addf(&sb, "</Key><LastModified>2009-10-%02dT%02d:%02d:30.000Z</LastModified>",
			    12 + (17 * 60 + 50 + i) / 1440, (17 + (50 + i) / 60) % 24,
			    (50 + i) % 60);
		/* Both ways servers quote ETags. */
		if (i % 2)
			strbuf_addf(&sb, "<ETag>&quot;%s&quot;</ETag>", w->etag[i]);
		else
			strbuf_addf(&sb, "<ETag>\"%s\"</ETag>", w->etag[i]);
		strbuf_addf(&sb, "<Size>%llu</Size><Owner><ID>x</ID></Owner>"
			    "<StorageClass>STANDARD</StorageClass></Contents>",
			    (unsigned long long)w->size[i]);
	}
	strbuf_adds(&sb, "\n<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="
		    "</NextContinuationToken></ListBucketResult>\n");
	return strbuf_detach(&sb);
}

struct seen {
	struct want *w;
	int n;
	int bad;
	int stop_at;		/* stop when n reaches it; 0 never */
};

static int check_entry(void *arg, const struct s3_list_entry *e)
{
	struct seen *s = arg;
	struct want *w = s->w;
	int i = s->n++;

	if (s->stop_at && s->n == s->stop_at)
		return 1;
	if (i >= NKEYS || e->is_prefix || strcmp(e->key, w->key[i]) ||
	    e->size != w->size[i] || strcmp(e->etag, w->etag[i]) || e->mtime != w->mtime[i]) {
		if (!s->bad++)
			printf("# entry %d: key '%s' size %llu etag '%s' mtime %lld\n", i, e->key,
			       (unsigned long long)e->size, e->etag, (long long)e->mtime);
	}
	return 0;
}

static void feed_chunked(size_t chunk, const char *doc, struct want *w)
{
	struct seen s = { w, 0, 0, 0 };
	struct xml_list *xl = xml_list_new(check_entry, &s);
	struct xml_list_result r;
	size_t len = strlen(doc), off;
	int rc = 0;

	UNIT_CHECK(xl != NULL);
	for (off = 0; off < len && !rc; off += chunk)
		rc = xml_list_feed(xl, doc + off, len - off < chunk ? len - off : chunk, 0);
	UNIT_CHECK_INT(rc, 0);
	UNIT_CHECK_INT(xml_list_feed(xl, NULL, 0, 1), 0);
	xml_list_result(xl, &r);
	UNIT_CHECK_INT(s.n, NKEYS);
	UNIT_CHECK_INT(s.bad, 0);
	UNIT_CHECK_INT(r.nkeys, NKEYS);
	UNIT_CHECK_INT(r.nprefixes, 0);
	UNIT_CHECK_INT(r.truncated, 1);
	UNIT_CHECK_STR(r.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	free(r.next_token);
	xml_list_free(xl);
}

static void test_v2_page(void)
{
	static struct want w;
	static const size_t chunks[] = { 1, 7, 4096, 1 << 24 };
	char *doc = make_v2_page(&w);
	size_t i;

	unit_case("v2 page of 1,000 keys, whole and in chunks of 1, 7, 4096 bytes");
	UNIT_CHECK(doc != NULL);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
		feed_chunked(chunks[i], doc, &w);

	unit_case("a callback that says stop fails the feed");
	{
		struct seen s = { &w, 0, 0, 3 };
		struct xml_list *xl = xml_list_new(check_entry, &s);

		UNIT_CHECK_INT(xml_list_feed(xl, doc, strlen(doc), 1), -1);
		UNIT_CHECK_INT(s.n, 3);
		UNIT_CHECK_STR(xml_list_error(xl), "listing stopped by its caller");
		/* and stays failed */
		UNIT_CHECK_INT(xml_list_feed(xl, "", 0, 1), -1);
		xml_list_free(xl);
	}
	free(doc);
	for (i = 0; i < NKEYS; i++)
		free(w.key[i]);
}

/* ---- small pages, collected ---- */

struct collect {
	struct strbuf out;	/* "K:key size etag mtime|" or "P:prefix|" */
};

static int collect_entry(void *arg, const struct s3_list_entry *e)
{
	struct collect *c = arg;

	if (e->is_prefix)
		return strbuf_addf(&c->out, "P:%s|", e->key);
	return strbuf_addf(&c->out, "K:%s %llu %s %lld|", e->key,
			   (unsigned long long)e->size, e->etag, (long long)e->mtime);
}

/* Parse doc whole; returns the feed's result and fills out and r. */
static int list_doc(const char *doc, struct collect *c, struct xml_list_result *r)
{
	struct xml_list *xl = xml_list_new(collect_entry, c);
	int rc;

	strbuf_init(&c->out, 0);
	memset(r, 0, sizeof(*r));
	rc = xml_list_feed(xl, doc, strlen(doc), 1);
	if (!rc)
		xml_list_result(xl, r);
	else
		strbuf_addf(&c->out, "error: %s", xml_list_error(xl));
	xml_list_free(xl);
	return rc;
}

#define LBR "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"

static void test_prefixes(void)
{
	struct collect c;
	struct xml_list_result r;

	unit_case("v2 with delimiter: CommonPrefixes, not truncated");
	UNIT_CHECK_INT(list_doc(LBR "<Name>b</Name><Prefix>data/spot/</Prefix>"
				"<Delimiter>/</Delimiter><KeyCount>3</KeyCount>"
				"<IsTruncated>false</IsTruncated>"
				"<Contents><Key>data/spot/README</Key><Size>12</Size>"
				"<ETag>\"e1\"</ETag><LastModified>1970-01-01T00:01:00Z</LastModified>"
				"</Contents>"
				"<CommonPrefixes><Prefix>data/spot/daily/</Prefix></CommonPrefixes>"
				"<CommonPrefixes>\n  <Prefix>data/spot/币安人生USDT/</Prefix>\n"
				"</CommonPrefixes></ListBucketResult>", &c, &r), 0);
	UNIT_CHECK_STR(strbuf_str(&c.out), "K:data/spot/README 12 e1 60|"
		       "P:data/spot/daily/|P:data/spot/币安人生USDT/|");
	UNIT_CHECK_INT(r.truncated, 0);
	UNIT_CHECK(r.next_token == NULL);
	UNIT_CHECK_INT(r.nkeys, 1);
	UNIT_CHECK_INT(r.nprefixes, 2);
	strbuf_release(&c.out);

	unit_case("empty listing");
	UNIT_CHECK_INT(list_doc(LBR "<Name>b</Name><KeyCount>0</KeyCount>"
				"<IsTruncated>false</IsTruncated></ListBucketResult>", &c, &r), 0);
	UNIT_CHECK_STR(strbuf_str(&c.out), "");
	UNIT_CHECK_INT(r.nkeys + r.nprefixes, 0);
	UNIT_CHECK(r.next_token == NULL);
	strbuf_release(&c.out);
}

static void test_v1(void)
{
	struct collect c;
	struct xml_list_result r;

	unit_case("v1 truncated with NextMarker");
	UNIT_CHECK_INT(list_doc(LBR "<Name>b</Name><Prefix></Prefix><Marker></Marker>"
				"<NextMarker>b/</NextMarker><MaxKeys>2</MaxKeys>"
				"<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
				"<Contents><Key>a</Key><Size>1</Size><ETag>\"x\"</ETag>"
				"<LastModified>2009-10-12T17:50:30.000Z</LastModified></Contents>"
				"<CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes>"
				"</ListBucketResult>", &c, &r), 0);
	UNIT_CHECK_INT(r.truncated, 1);
	UNIT_CHECK_STR(r.next_token, "b/");
	free(r.next_token);
	strbuf_release(&c.out);

	unit_case("v1 truncated without NextMarker: a prefix sorts last");
	UNIT_CHECK_INT(list_doc(LBR "<Name>b</Name><Marker></Marker><MaxKeys>3</MaxKeys>"
				"<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
				"<Contents><Key>a.zip</Key><Size>1</Size></Contents>"
				"<Contents><Key>c.zip</Key><Size>2</Size></Contents>"
				"<CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes>"
				"<CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes>"
				"</ListBucketResult>", &c, &r), 0);
	UNIT_CHECK_STR(r.next_token, "d/");
	free(r.next_token);
	strbuf_release(&c.out);

	unit_case("v1 truncated without NextMarker: a key sorts last");
	UNIT_CHECK_INT(list_doc(LBR "<Name>b</Name><Marker>a</Marker><MaxKeys>3</MaxKeys>"
				"<IsTruncated>true</IsTruncated>"
				"<Contents><Key>b.zip</Key><Size>1</Size></Contents>"
				"<Contents><Key>e.zip</Key><Size>2</Size></Contents>"
				"<CommonPrefixes><Prefix>c/</Prefix></CommonPrefixes>"
				"</ListBucketResult>", &c, &r), 0);
	UNIT_CHECK_STR(r.next_token, "e.zip");
	free(r.next_token);
	strbuf_release(&c.out);

	unit_case("v1 not truncated: no next marker even with keys");
	UNIT_CHECK_INT(list_doc(LBR "<Name>b</Name><IsTruncated>false</IsTruncated>"
				"<Contents><Key>z</Key><Size>0</Size><ETag></ETag></Contents>"
				"</ListBucketResult>", &c, &r), 0);
	UNIT_CHECK_INT(r.truncated, 0);
	UNIT_CHECK(r.next_token == NULL);
	UNIT_CHECK_STR(strbuf_str(&c.out), "K:z 0  0|");
	strbuf_release(&c.out);

	unit_case("truncated with nothing to go on fails");
	UNIT_CHECK_INT(list_doc(LBR "<IsTruncated>true</IsTruncated></ListBucketResult>",
				&c, &r), -1);
	strbuf_release(&c.out);
}

static void test_list_malformed(void)
{
	static const char *const bad[] = {
		LBR "<Contents><Key>a</Key></Content></ListBucketResult>",
		LBR "<Contents><Key>a</Key>",				/* cut short */
		LBR "<Contents><Key>a &bogus; b</Key></Contents></ListBucketResult>",
		"",
		"not xml at all",
		"<Error><Code>AccessDenied</Code></Error>",		/* not a listing */
		LBR "<Contents><Size>1</Size></Contents></ListBucketResult>",	/* no Key */
		LBR "<Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>",
		LBR "<Contents><Key>a</Key><Size>12x</Size></Contents></ListBucketResult>",
		LBR "<Contents><Key>a</Key><LastModified>yesterday</LastModified>"
		    "</Contents></ListBucketResult>",
		LBR "<IsTruncated>maybe</IsTruncated></ListBucketResult>",
		"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]>"
		"<ListBucketResult><Contents><Key>&a;</Key></Contents></ListBucketResult>",
	};
	struct collect c;
	struct xml_list_result r;
	struct xml_list *xl;
	struct strbuf big = STRBUF_INIT;
	size_t i;

	unit_case("malformed or wrong documents fail with a message");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = list_doc(bad[i], &c, &r);

		if (rc != -1 || strlen(strbuf_str(&c.out)) <= strlen("error: "))
			unit_fail(__FILE__, __LINE__, "document %zu: rc %d, '%s'", i, rc,
				  strbuf_str(&c.out));
		strbuf_release(&c.out);
	}

	unit_case("text over 64 KiB is refused, 64 KiB passes");
	strbuf_adds(&big, LBR "<Contents><Key>");
	for (i = 0; i < 64 * 1024; i++)
		strbuf_add(&big, "k", 1);
	strbuf_adds(&big, "</Key></Contents><IsTruncated>false</IsTruncated></ListBucketResult>");
	UNIT_CHECK_INT(list_doc(big.buf, &c, &r), 0);
	UNIT_CHECK_INT(r.nkeys, 1);
	strbuf_release(&c.out);
	strbuf_reset(&big);
	strbuf_adds(&big, LBR "<Contents><Key>");
	for (i = 0; i < 64 * 1024 + 1; i++)
		strbuf_add(&big, "k", 1);
	strbuf_adds(&big, "</Key></Contents></ListBucketResult>");
	xl = xml_list_new(NULL, NULL);
	UNIT_CHECK_INT(xml_list_feed(xl, big.buf, big.len, 1), -1);
	UNIT_CHECK(strstr(xml_list_error(xl), "longer than") != NULL);
	xml_list_free(xl);
	strbuf_release(&big);
}

/* ---- small documents ---- */

static void test_error_docs(void)
{
	static const char aws[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<Error><Code>NoSuchKey</Code><Message>The resource you requested does not "
		"exist &amp; never did</Message><Resource>/mybucket/myfoto.jpg</Resource>"
		"<RequestId>4442587FB7D0A2F9</RequestId></Error>";
	static const char rgw_empty[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchBucket</Code>"
		"<Message></Message><BucketName>lakehouse</BucketName>"
		"<RequestId>tx00000a</RequestId><HostId>5f2b-default</HostId></Error>";
	static const char rgw_selfclosed[] =
		"<Error><Code>AccessDenied</Code><Message/><RequestId>tx1</RequestId></Error>";
	static const char no_message[] = "<Error><Code>SlowDown</Code></Error>";
	static const char delete_doc[] =
		"<DeleteResult><Error><Code>X</Code></Error></DeleteResult>";
	struct s3_error e;

	unit_case("Error document from AWS");
	s3_error_clear(&e);
	UNIT_CHECK_INT(xml_parse_error(aws, strlen(aws), &e), 0);
	UNIT_CHECK_STR(e.code, "NoSuchKey");
	UNIT_CHECK_STR(e.message, "The resource you requested does not exist & never did");

	unit_case("Error documents from Ceph RGW: empty and self-closed Message");
	UNIT_CHECK_INT(xml_parse_error(rgw_empty, strlen(rgw_empty), &e), 0);
	UNIT_CHECK_STR(e.code, "NoSuchBucket");
	UNIT_CHECK_STR(e.message, "");
	UNIT_CHECK_INT(xml_parse_error(rgw_selfclosed, strlen(rgw_selfclosed), &e), 0);
	UNIT_CHECK_STR(e.code, "AccessDenied");
	UNIT_CHECK_STR(e.message, "");
	UNIT_CHECK_INT(xml_parse_error(no_message, strlen(no_message), &e), 0);
	UNIT_CHECK_STR(e.code, "SlowDown");
	UNIT_CHECK_STR(e.message, "");

	unit_case("not an Error document: -1 and e untouched");
	snprintf(e.code, sizeof(e.code), "keep");
	UNIT_CHECK_INT(xml_parse_error("", 0, &e), -1);
	UNIT_CHECK_INT(xml_parse_error("<html>502</html>", 16, &e), -1);
	UNIT_CHECK_INT(xml_parse_error("<Error><Code>X</Code>", 21, &e), -1);
	UNIT_CHECK_INT(xml_parse_error(delete_doc, strlen(delete_doc), &e), -1);
	UNIT_CHECK_STR(e.code, "keep");
}

struct del_errs {
	struct strbuf out;
};

static void del_err(void *arg, const char *key, const char *code, const char *message)
{
	struct del_errs *d = arg;

	strbuf_addf(&d->out, "%s:%s:%s|", key, code, message);
}

static void test_delete_result(void)
{
	static const char doc[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
		"  <Deleted><Key>bronze/a.csv</Key></Deleted>\n"
		"  <Error><Key>bronze/b &amp; c.csv</Key><Code>AccessDenied</Code>"
		"<Message>Access Denied</Message></Error>\n"
		"  <Deleted><Key>bronze/币安人生USDT.csv</Key><VersionId>v</VersionId></Deleted>\n"
		"  <Error><Key>bronze/d.csv</Key><Code>InternalError</Code><Message/></Error>\n"
		"  <Deleted><Key>bronze/e.csv</Key><DeleteMarker>true</DeleteMarker></Deleted>\n"
		"</DeleteResult>\n";
	struct del_errs d;

	unit_case("DeleteResult with Deleted and Error entries");
	strbuf_init(&d.out, 0);
	UNIT_CHECK_INT(xml_parse_delete_result(doc, strlen(doc), del_err, &d), 3);
	UNIT_CHECK_STR(strbuf_str(&d.out), "bronze/b & c.csv:AccessDenied:Access Denied|"
		       "bronze/d.csv:InternalError:|");
	UNIT_CHECK_INT(xml_parse_delete_result("<DeleteResult/>", 15, NULL, NULL), 0);
	UNIT_CHECK_INT(xml_parse_delete_result(doc, strlen(doc) - 5, NULL, NULL), -1);
	UNIT_CHECK_INT(xml_parse_delete_result("<Error><Code>A</Code></Error>", 29,
					       NULL, NULL), -1);
	strbuf_release(&d.out);
}

static void test_find_text(void)
{
	static const char aws[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Location>http://b.s3.amazonaws.com/k</Location><Bucket>b</Bucket><Key>k</Key>"
		"<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>"
		"</CompleteMultipartUploadResult>";
	static const char rgw[] =
		"<CompleteMultipartUploadResult><Location>l</Location><Bucket>b</Bucket>"
		"<Key>k</Key><ETag></ETag></CompleteMultipartUploadResult>";
	static const char upload[] =
		"<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
		"<UploadId>2~iCw_lDY8VoLXZ4qd</UploadId></InitiateMultipartUploadResult>";
	char out[64];

	unit_case("find text: quoted ETag, empty ETag from RGW, UploadId");
	UNIT_CHECK_INT(xml_find_text(aws, strlen(aws), "ETag", out, sizeof(out)), 36);
	UNIT_CHECK_STR(out, "\"3858f62230ac3c915f300c664312c11f-9\"");
	out[0] = 'x';
	UNIT_CHECK_INT(xml_find_text(rgw, strlen(rgw), "ETag", out, sizeof(out)), 0);
	UNIT_CHECK_STR(out, "");
	UNIT_CHECK_INT(xml_find_text(upload, strlen(upload), "UploadId", out, sizeof(out)), 18);
	UNIT_CHECK_STR(out, "2~iCw_lDY8VoLXZ4qd");

	unit_case("find text: absent, too long, malformed");
	UNIT_CHECK_INT(xml_find_text(rgw, strlen(rgw), "UploadId", out, sizeof(out)), -1);
	UNIT_CHECK_INT(xml_find_text(upload, strlen(upload), "UploadId", out, 18), -1);
	UNIT_CHECK_INT(xml_find_text(upload, strlen(upload), "UploadId", out, 19), 18);
	UNIT_CHECK_INT(xml_find_text(upload, strlen(upload) - 1, "UploadId", out, 64), -1);
}

static void test_escape(void)
{
	struct strbuf sb = STRBUF_INIT;

	unit_case("escaping for request bodies");
	UNIT_CHECK_INT(xml_escape(&sb, "a&b<c>d\"e'f 币安人生USDT"), 0);
	UNIT_CHECK_STR(strbuf_str(&sb), "a&amp;b&lt;c&gt;d&quot;e&apos;f 币安人生USDT");
	strbuf_reset(&sb);
	UNIT_CHECK_INT(xml_escape(&sb, ""), 0);
	UNIT_CHECK_STR(strbuf_str(&sb), "");
	UNIT_CHECK_INT(xml_escape(&sb, "line\nbreak\ttab\r"), 0);
	UNIT_CHECK_STR(strbuf_str(&sb), "line&#10;break&#9;tab&#13;");

	unit_case("escaping refuses what XML 1.0 cannot carry, leaving out as it was");
	strbuf_reset(&sb);
	strbuf_adds(&sb, "<Key>");
	UNIT_CHECK_INT(xml_escape(&sb, "a&b\001c"), -1);
	UNIT_CHECK_STR(strbuf_str(&sb), "<Key>");

	unit_case("escape then parse gives the key back");
	{
		static const char key[] = "x/ &amp; <tag> \"q\" 'a'\n币安人生USDT";
		char out[128];

		strbuf_reset(&sb);
		strbuf_adds(&sb, "<Key>");
		xml_escape(&sb, key);
		strbuf_adds(&sb, "</Key>");
		UNIT_CHECK_INT(xml_find_text(sb.buf, sb.len, "Key", out, sizeof(out)),
			       (int)strlen(key));
		UNIT_CHECK_STR(out, key);
	}
	strbuf_release(&sb);
}

static void test_time(void)
{
	static const char *const bad[] = {
		"", "2009-10-12", "2009-10-12T17:50:30", "2009-10-12 17:50:30Z",
		"2009-13-12T17:50:30Z", "2009-02-30T00:00:00Z", "2009-10-12T24:00:00Z",
		"2009-10-12T17:50:30.Z", "2009-10-12T17:50:30.000Zjunk", "09-10-12T17:50:30Z",
		"Wed, 12 Oct 2009 17:50:00", "Wed, 12 Foo 2009 17:50:00 GMT",
		"Wed 12 Oct 2009 17:50:00 GMT", "Wed, 12 Oct 2009 17:50:00 GMT+1",
	};
	time_t t;
	size_t i;

	unit_case("ISO 8601 times as S3 writes them");
	UNIT_CHECK_INT(s3_parse_time("2009-10-12T17:50:30.000Z", &t), 0);
	UNIT_CHECK_INT(t, 1255369830);
	UNIT_CHECK_INT(s3_parse_time("2009-10-12T17:50:30Z", &t), 0);
	UNIT_CHECK_INT(t, 1255369830);
	UNIT_CHECK_INT(s3_parse_time("1970-01-01T00:00:00.123456Z", &t), 0);
	UNIT_CHECK_INT(t, 0);
	UNIT_CHECK_INT(s3_parse_time("2024-02-29T23:59:59.999Z", &t), 0);
	UNIT_CHECK_INT(t, 1709251199);
	UNIT_CHECK_INT(s3_parse_time("2009-10-12T19:50:30+02:00", &t), 0);
	UNIT_CHECK_INT(t, 1255369830);

	unit_case("HTTP dates as in Last-Modified");
	UNIT_CHECK_INT(s3_parse_time("Wed, 12 Oct 2009 17:50:00 GMT", &t), 0);
	UNIT_CHECK_INT(t, 1255369800);
	UNIT_CHECK_INT(s3_parse_time("Thu, 1 Jan 1970 00:00:01 GMT", &t), 0);
	UNIT_CHECK_INT(t, 1);

	unit_case("bad times are refused");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 42;
		if (s3_parse_time(bad[i], &t) != -1 || t != 42)
			unit_fail(__FILE__, __LINE__, "'%s' was accepted", bad[i]);
	}
}

/* What an Error's code and HTTP status make of a request: its status, and
 * whether the S3 client sends it again. */
static void test_error_status(void)
{
	static const struct {
		long http;
		const char *code;
		enum s3_status st;
		int retry;
	} cases[] = {
		{ 400, "XAmzContentSHA256Mismatch", S3_ERR_NETWORK, 1 },
		{ 400, "BadDigest", S3_ERR_NETWORK, 1 },
		{ 400, "RequestTimeout", S3_ERR_TIMEOUT, 1 },
		{ 503, "SlowDown", S3_ERR_THROTTLED, 1 },
		{ 500, "InternalError", S3_ERR_SERVER, 1 },
		{ 403, "SignatureDoesNotMatch", S3_ERR_AUTH, 0 },
		{ 403, "AccessDenied", S3_ERR_ACCESS, 0 },
		{ 404, "NoSuchKey", S3_ERR_NOT_FOUND, 0 },
		{ 400, "InvalidArgument", S3_ERR_CLIENT, 0 },
	};
	struct s3_error e;
	size_t i;

	unit_case("error codes: a damaged body is retried, a refused request is not");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s3_error_clear(&e);
		s3_error_from_http(&e, cases[i].http, cases[i].code, "");
		UNIT_CHECK_INT(e.status, cases[i].st);
		UNIT_CHECK_INT(s3_status_retryable(e.status), cases[i].retry);
	}
}

int main(void)
{
	test_v2_page();
	test_prefixes();
	test_v1();
	test_list_malformed();
	test_error_docs();
	test_error_status();
	test_delete_result();
	test_find_text();
	test_escape();
	test_time();
	return unit_done();
}
