/*
 * xml: S3's XML answers, parsed as they stream in (expat).
 *
 * Design notes:
 * 1. The parser is made without namespace processing: S3 puts every element
 *    in a default namespace, and plain names ("Key", not "uri|Key") are what
 *    callers match on.
 * 2. Only leaves (elements without child elements) carry text anyone wants.
 *    Expat may hand one text over in several pieces, within a feed and across
 *    feeds, so it is gathered in one buffer (capped at XML_TEXT_MAX) that is
 *    reset at every tag: a 1-byte feed sees what a whole-page feed sees.
 * 3. A DOCTYPE is refused.  S3 never sends one, and without it there are no
 *    entity declarations to expand.
 * 4. A stream that failed stays failed, and handlers that expat still calls
 *    after XML_StopParser() do nothing.
 * 5. During a leaf or close callback the element is still on the stack, so
 *    xs->depth is 1 for the root; the small-document parsers below use that
 *    to tell <Error> the document from <Error> the DeleteResult entry.
 */
#include "xml.h"

#include <errno.h>
#include <expat.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"

#define XML_TEXT_MAX (64 * 1024)
#define XML_DEPTH_MAX 32

struct xml_stream {
	XML_Parser parser;
	xml_leaf_fn leaf;
	xml_close_fn close;
	void *arg;
	struct strbuf names;	/* open elements' names, each NUL-terminated */
	size_t name_off[XML_DEPTH_MAX];	/* where each one starts in names */
	int depth;		/* open elements */
	int has_child;		/* the innermost open element has children */
	struct strbuf text;	/* its character data so far */
	int failed;
	char err[160];
};

__attribute__((format(printf, 2, 3)))
static void xs_stop(struct xml_stream *xs, const char *fmt, ...)
{
	va_list ap;

	if (xs->failed)
		return;
	xs->failed = 1;
	va_start(ap, fmt);
	vsnprintf(xs->err, sizeof(xs->err), fmt, ap);
	va_end(ap);
	XML_StopParser(xs->parser, XML_FALSE);
}

static void XMLCALL xs_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct xml_stream *xs = ud;
	size_t off = xs->names.len;

	(void)attrs;
	if (xs->failed)
		return;
	if (xs->depth == XML_DEPTH_MAX) {
		xs_stop(xs, "elements nested deeper than %d", XML_DEPTH_MAX);
		return;
	}
	if (strbuf_add(&xs->names, name, strlen(name) + 1)) {
		xs_stop(xs, "element names too long or out of memory");
		return;
	}
	xs->name_off[xs->depth++] = off;
	xs->has_child = 0;
	strbuf_reset(&xs->text);
}

static void XMLCALL xs_end(void *ud, const XML_Char *unused)
{
	struct xml_stream *xs = ud;
	const char *name, *parent;
	int d = xs->depth;

	(void)unused;
	if (xs->failed || d == 0)
		return;
	name = xs->names.buf + xs->name_off[d - 1];
	parent = d > 1 ? xs->names.buf + xs->name_off[d - 2] : "";
	if (!xs->has_child && xs->leaf &&
	    xs->leaf(xs->arg, parent, name, strbuf_str(&xs->text), xs->text.len)) {
		xs_stop(xs, "stopped at <%s>", name);
		return;
	}
	if (xs->close && xs->close(xs->arg, name)) {
		xs_stop(xs, "stopped at </%s>", name);
		return;
	}
	/* Names are only ever appended at the end, so popping is a cut. */
	xs->names.len = xs->name_off[d - 1];
	xs->depth--;
	xs->has_child = 1;	/* the parent now has this child */
	strbuf_reset(&xs->text);
}

static void XMLCALL xs_text(void *ud, const XML_Char *s, int len)
{
	struct xml_stream *xs = ud;

	/* Text around child elements is layout, never a value. */
	if (xs->failed || xs->has_child || xs->depth == 0)
		return;
	if ((size_t)len > XML_TEXT_MAX - xs->text.len) {
		xs_stop(xs, "text of <%s> longer than %d bytes",
			xs->names.buf + xs->name_off[xs->depth - 1], XML_TEXT_MAX);
		return;
	}
	if (strbuf_add(&xs->text, s, (size_t)len))
		xs_stop(xs, "out of memory");
}

static void XMLCALL xs_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	xs_stop(ud, "a DOCTYPE is not accepted");
}

struct xml_stream *xml_stream_new(xml_leaf_fn leaf, xml_close_fn on_close, void *arg)
{
	struct xml_stream *xs = calloc(1, sizeof(*xs));

	if (!xs)
		goto fail;
	xs->parser = XML_ParserCreate(NULL);
	if (!xs->parser)
		goto fail;
	xs->leaf = leaf;
	xs->close = on_close;
	xs->arg = arg;
	strbuf_init(&xs->names, XML_TEXT_MAX);
	strbuf_init(&xs->text, XML_TEXT_MAX);
	XML_SetUserData(xs->parser, xs);
	XML_SetElementHandler(xs->parser, xs_start, xs_end);
	XML_SetCharacterDataHandler(xs->parser, xs_text);
	XML_SetStartDoctypeDeclHandler(xs->parser, xs_doctype);
	return xs;
fail:
	free(xs);
	return NULL;
}

int xml_stream_feed(struct xml_stream *xs, const char *data, size_t len, int final)
{
	if (xs->failed)
		return -1;
	/* XML_Parse takes an int length: hand over huge buffers in slices. */
	for (;;) {
		size_t n = len > INT_MAX ? INT_MAX : len;

		if (XML_Parse(xs->parser, data, (int)n, final && n == len) != XML_STATUS_OK) {
			if (!xs->failed) {
				xs->failed = 1;
				snprintf(xs->err, sizeof(xs->err), "malformed XML at line %llu: %s",
					 (unsigned long long)XML_GetCurrentLineNumber(xs->parser),
					 XML_ErrorString(XML_GetErrorCode(xs->parser)));
			}
			return -1;
		}
		if (n == len)
			return 0;
		data += n;
		len -= n;
	}
}

const char *xml_stream_error(const struct xml_stream *xs)
{
	return xs->err;
}

void xml_stream_free(struct xml_stream *xs)
{
	if (!xs)
		return;
	XML_ParserFree(xs->parser);
	strbuf_release(&xs->names);
	strbuf_release(&xs->text);
	free(xs);
}

/* ---- ListObjects ---- */

struct xml_list {
	struct xml_stream *xs;
	s3_list_fn fn;
	void *arg;
	/* the Contents or CommonPrefixes entry being read */
	struct strbuf key;
	struct strbuf etag;
	uint64_t size;
	time_t mtime;
	int have_key;
	/* the page */
	struct strbuf last;	/* greatest key or prefix so far: v1's fallback marker */
	struct strbuf token;	/* NextContinuationToken */
	struct strbuf marker;	/* NextMarker */
	int truncated;
	int seen_root;
	char *next;		/* chosen at the final feed, moved out by the result */
	unsigned nkeys, nprefixes;
	char err[160];
};

__attribute__((format(printf, 2, 3)))
static int list_fail(struct xml_list *xl, const char *fmt, ...)
{
	va_list ap;

	if (!xl->err[0]) {
		va_start(ap, fmt);
		vsnprintf(xl->err, sizeof(xl->err), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int sb_set(struct strbuf *sb, const char *s, size_t len)
{
	strbuf_reset(sb);
	return strbuf_add(sb, s, len);
}

static int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull would take a sign and leading blanks: S3 sends neither. */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int list_contents_leaf(struct xml_list *xl, const char *name,
			      const char *text, size_t len)
{
	if (!strcmp(name, "Key")) {
		xl->have_key = 1;
		if (sb_set(&xl->key, text, len))
			return list_fail(xl, "out of memory");
	} else if (!strcmp(name, "Size")) {
		if (parse_u64(text, &xl->size))
			return list_fail(xl, "bad <Size> '%.40s'", text);
	} else if (!strcmp(name, "ETag")) {
		if (len >= 2 && text[0] == '"' && text[len - 1] == '"') {
			text++;
			len -= 2;
		}
		if (sb_set(&xl->etag, text, len))
			return list_fail(xl, "out of memory");
	} else if (!strcmp(name, "LastModified")) {
		if (s3_parse_time(text, &xl->mtime))
			return list_fail(xl, "bad <LastModified> '%.40s'", text);
	}
	return 0;
}

static int list_leaf(void *arg, const char *parent, const char *name,
		     const char *text, size_t len)
{
	struct xml_list *xl = arg;
	struct strbuf *dst = NULL;

	if (!strcmp(parent, "Contents"))
		return list_contents_leaf(xl, name, text, len);
	if (!strcmp(parent, "CommonPrefixes") && !strcmp(name, "Prefix")) {
		xl->have_key = 1;
		dst = &xl->key;
	} else if (strcmp(parent, "ListBucketResult")) {
		return 0;
	} else if (!strcmp(name, "IsTruncated")) {
		if (!strcasecmp(text, "true"))
			xl->truncated = 1;
		else if (!strcasecmp(text, "false"))
			xl->truncated = 0;
		else
			return list_fail(xl, "bad <IsTruncated> '%.40s'", text);
	} else if (!strcmp(name, "NextContinuationToken")) {
		dst = &xl->token;
	} else if (!strcmp(name, "NextMarker")) {
		dst = &xl->marker;
	}
	if (dst && sb_set(dst, text, len))
		return list_fail(xl, "out of memory");
	return 0;
}

static int list_close(void *arg, const char *name)
{
	struct xml_list *xl = arg;
	struct s3_list_entry e;
	int is_prefix = !strcmp(name, "CommonPrefixes");
	int rc;

	if (xl->xs->depth == 1 && !strcmp(name, "ListBucketResult"))
		xl->seen_root = 1;
	if (!is_prefix && strcmp(name, "Contents"))
		return 0;
	if (!xl->have_key)
		return list_fail(xl, "<%s> without its key", name);
	e.key = strbuf_str(&xl->key);
	e.is_prefix = is_prefix;
	e.size = is_prefix ? 0 : xl->size;
	e.etag = is_prefix ? "" : strbuf_str(&xl->etag);
	e.mtime = is_prefix ? 0 : xl->mtime;
	/* Keys come sorted, but prefixes interleave with them by their own
	 * order; strcmp orders UTF-8 bytes as S3 does. */
	if (strcmp(e.key, strbuf_str(&xl->last)) > 0 &&
	    sb_set(&xl->last, xl->key.buf, xl->key.len))
		return list_fail(xl, "out of memory");
	if (is_prefix)
		xl->nprefixes++;
	else
		xl->nkeys++;
	rc = xl->fn ? xl->fn(xl->arg, &e) : 0;
	strbuf_reset(&xl->key);
	strbuf_reset(&xl->etag);
	xl->size = 0;
	xl->mtime = 0;
	xl->have_key = 0;
	if (rc)
		return list_fail(xl, "listing stopped by its caller");
	return 0;
}

struct xml_list *xml_list_new(s3_list_fn fn, void *arg)
{
	struct xml_list *xl = calloc(1, sizeof(*xl));

	if (!xl)
		goto fail;
	xl->fn = fn;
	xl->arg = arg;
	xl->xs = xml_stream_new(list_leaf, list_close, xl);
	if (!xl->xs)
		goto fail;
	return xl;
fail:
	free(xl);
	return NULL;
}

int xml_list_feed(struct xml_list *xl, const char *data, size_t len, int final)
{
	struct strbuf *src = NULL;

	if (xl->err[0] || xml_stream_feed(xl->xs, data, len, final))
		return -1;
	if (!final)
		return 0;
	if (!xl->seen_root)
		return list_fail(xl, "not a ListBucketResult document");
	if (!xl->truncated)
		return 0;
	/* v1 sends NextMarker only with a delimiter; without one the next page
	 * starts after the greatest key or prefix of this one. */
	if (xl->token.len)
		src = &xl->token;
	else if (xl->marker.len)
		src = &xl->marker;
	else if (xl->last.len)
		src = &xl->last;
	else
		return list_fail(xl, "truncated listing without a continuation token or marker");
	xl->next = strbuf_detach(src);
	if (!xl->next)
		return list_fail(xl, "out of memory");
	return 0;
}

void xml_list_result(struct xml_list *xl, struct xml_list_result *out)
{
	out->truncated = xl->truncated;
	out->next_token = xl->next;
	out->nkeys = xl->nkeys;
	out->nprefixes = xl->nprefixes;
	xl->next = NULL;
}

const char *xml_list_error(const struct xml_list *xl)
{
	return xl->err[0] ? xl->err : xml_stream_error(xl->xs);
}

void xml_list_free(struct xml_list *xl)
{
	if (!xl)
		return;
	xml_stream_free(xl->xs);
	strbuf_release(&xl->key);
	strbuf_release(&xl->etag);
	strbuf_release(&xl->last);
	strbuf_release(&xl->token);
	strbuf_release(&xl->marker);
	free(xl->next);
	free(xl);
}

/* ---- small documents ---- */

/* Run a whole in-memory document through a stream; ctx_xs is where the
 * callbacks find the stream (for its depth).  Returns 0 or -1. */
static int parse_whole(const char *body, size_t len, xml_leaf_fn leaf,
		       xml_close_fn on_close, void *arg, struct xml_stream **ctx_xs)
{
	struct xml_stream *xs = xml_stream_new(leaf, on_close, arg);
	int rc;

	if (!xs)
		return -1;
	*ctx_xs = xs;
	rc = xml_stream_feed(xs, body, len, 1);
	*ctx_xs = NULL;
	xml_stream_free(xs);
	return rc;
}

struct error_doc {
	struct xml_stream *xs;
	int is_error;
	char code[sizeof(((struct s3_error *)0)->code)];
	char message[sizeof(((struct s3_error *)0)->message)];
};

static int error_leaf(void *arg, const char *parent, const char *name,
		      const char *text, size_t len)
{
	struct error_doc *d = arg;

	(void)len;
	if (d->xs->depth != 2 || strcmp(parent, "Error"))
		return 0;
	if (!strcmp(name, "Code"))
		snprintf(d->code, sizeof(d->code), "%s", text);
	else if (!strcmp(name, "Message"))
		snprintf(d->message, sizeof(d->message), "%s", text);
	return 0;
}

static int error_close(void *arg, const char *name)
{
	struct error_doc *d = arg;

	if (d->xs->depth == 1 && !strcmp(name, "Error"))
		d->is_error = 1;
	return 0;
}

int xml_parse_error(const char *body, size_t len, struct s3_error *e)
{
	struct error_doc d;

	memset(&d, 0, sizeof(d));
	if (parse_whole(body, len, error_leaf, error_close, &d, &d.xs) || !d.is_error)
		return -1;
	memcpy(e->code, d.code, sizeof(e->code));
	memcpy(e->message, d.message, sizeof(e->message));
	return 0;
}

struct find_doc {
	struct xml_stream *xs;
	const char *name;
	char *out;
	size_t outlen;
	int len;		/* -1 until found */
};

static int find_leaf(void *arg, const char *parent, const char *name,
		     const char *text, size_t len)
{
	struct find_doc *d = arg;

	(void)parent;
	if (d->len >= 0 || strcmp(name, d->name))
		return 0;
	if (len >= d->outlen)
		return 1;	/* too long: stop, the call fails */
	memcpy(d->out, text, len + 1);
	d->len = (int)len;
	return 0;
}

int xml_find_text(const char *body, size_t len, const char *name,
		  char *out, size_t outlen)
{
	struct find_doc d = { NULL, name, out, outlen, -1 };

	/* The rest is parsed too: a value from a broken document is no value. */
	if (parse_whole(body, len, find_leaf, NULL, &d, &d.xs))
		return -1;
	return d.len;
}

struct delete_doc {
	struct xml_stream *xs;
	xml_delete_err_fn fn;
	void *arg;
	struct strbuf key;
	char code[64];
	char message[256];
	int ndeleted;
	int is_delete;
};

static int delete_leaf(void *arg, const char *parent, const char *name,
		       const char *text, size_t len)
{
	struct delete_doc *d = arg;

	if (d->xs->depth != 3 || strcmp(parent, "Error"))
		return 0;
	if (!strcmp(name, "Key"))
		return sb_set(&d->key, text, len);
	if (!strcmp(name, "Code"))
		snprintf(d->code, sizeof(d->code), "%s", text);
	else if (!strcmp(name, "Message"))
		snprintf(d->message, sizeof(d->message), "%s", text);
	return 0;
}

static int delete_close(void *arg, const char *name)
{
	struct delete_doc *d = arg;

	if (d->xs->depth == 1 && !strcmp(name, "DeleteResult"))
		d->is_delete = 1;
	if (d->xs->depth != 2)
		return 0;
	if (!strcmp(name, "Deleted")) {
		d->ndeleted++;
	} else if (!strcmp(name, "Error")) {
		if (d->fn)
			d->fn(d->arg, strbuf_str(&d->key), d->code, d->message);
		strbuf_reset(&d->key);
		d->code[0] = '\0';
		d->message[0] = '\0';
	}
	return 0;
}

int xml_parse_delete_result(const char *body, size_t len,
			    xml_delete_err_fn fn, void *arg)
{
	struct delete_doc d;
	int rc = -1;

	memset(&d, 0, sizeof(d));
	d.fn = fn;
	d.arg = arg;
	strbuf_init(&d.key, XML_TEXT_MAX);
	/* An <Error> document instead of a <DeleteResult> counts as malformed:
	 * the whole request failed, and no key was deleted. */
	if (parse_whole(body, len, delete_leaf, delete_close, &d, &d.xs) || !d.is_delete)
		goto fail;
	rc = d.ndeleted;
fail:
	strbuf_release(&d.key);
	return rc;
}

int xml_escape(struct strbuf *out, const char *s)
{
	size_t orig = out->len;
	const char *run = s;

	for (; *s; s++) {
		const char *rep;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		/* A parser folds literal line ends and tabs; references survive. */
		case '\t': rep = "&#9;"; break;
		case '\n': rep = "&#10;"; break;
		case '\r': rep = "&#13;"; break;
		default:
			/* XML 1.0 cannot carry other control characters at all. */
			if ((unsigned char)*s < 0x20)
				goto fail;
			continue;
		}
		if (strbuf_add(out, run, (size_t)(s - run)) || strbuf_adds(out, rep))
			goto fail;
		run = s + 1;
	}
	if (strbuf_adds(out, run))
		goto fail;
	return 0;
fail:
	/* Take back what was appended, so out is as the caller left it. */
	if (out->buf) {
		out->len = orig;
		out->buf[orig] = '\0';
	}
	return -1;
}

/* ---- time ---- */

static int take_num(const char **p, int min_digits, int max_digits, int *out)
{
	int n = 0, v = 0;

	while (n < max_digits && **p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	if (n < min_digits)
		return -1;
	*out = v;
	return 0;
}

static int take(const char **p, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*p, lit, n))
		return -1;
	*p += n;
	return 0;
}

static int take_hms(const char **p, struct tm *tm)
{
	return take_num(p, 2, 2, &tm->tm_hour) || take(p, ":") ||
	       take_num(p, 2, 2, &tm->tm_min) || take(p, ":") ||
	       take_num(p, 2, 2, &tm->tm_sec);
}

/* "2013-09-17T18:07:53.000Z", fraction optional, "Z" or "+hh:mm". */
static int parse_iso(const char *p, struct tm *tm, long *offset)
{
	int sign, hh, mm;

	if (take_num(&p, 4, 4, &tm->tm_year) || take(&p, "-") ||
	    take_num(&p, 2, 2, &tm->tm_mon) || take(&p, "-") ||
	    take_num(&p, 2, 2, &tm->tm_mday) || take(&p, "T") || take_hms(&p, tm))
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (take_num(&p, 2, 2, &hh) || take(&p, ":") || take_num(&p, 2, 2, &mm))
			return -1;
		*offset = sign * (hh * 3600L + mm * 60L);
	} else {
		return -1;
	}
	return *p ? -1 : 0;
}

/* RFC 1123, as in Last-Modified: "Wed, 12 Oct 2009 17:50:00 GMT". */
static int parse_http(const char *p, struct tm *tm)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int i;

	for (i = 0; i < 3; i++, p++)
		if ((*p < 'A' || *p > 'Z') && (*p < 'a' || *p > 'z'))
			return -1;
	if (take(&p, ", ") || take_num(&p, 1, 2, &tm->tm_mday) || take(&p, " "))
		return -1;
	for (i = 0; i < 12; i++)
		if (!strncmp(p, months + 3 * i, 3))
			break;
	if (i == 12)
		return -1;
	tm->tm_mon = i + 1;
	p += 3;
	if (take(&p, " ") || take_num(&p, 4, 4, &tm->tm_year) || take(&p, " ") ||
	    take_hms(&p, tm) || take(&p, " GMT"))
		return -1;
	return *p ? -1 : 0;
}

int s3_parse_time(const char *s, time_t *t)
{
	struct tm tm, check;
	long offset = 0;
	int mday, mon;
	time_t v;

	memset(&tm, 0, sizeof(tm));
	if (*s >= '0' && *s <= '9' ? parse_iso(s, &tm, &offset) : parse_http(s, &tm))
		return -1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return -1;
	mday = tm.tm_mday;
	mon = tm.tm_mon - 1;
	tm.tm_year -= 1900;
	tm.tm_mon = mon;
	v = timegm(&tm);
	/* timegm turns 30 February into 2 March; such a date is no date. */
	if (v == (time_t)-1 || !gmtime_r(&v, &check) ||
	    check.tm_mday != mday || check.tm_mon != mon)
		return -1;
	*t = v - offset;
	return 0;
}
