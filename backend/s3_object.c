/*
 * Object calls: HEAD, GET (ranged, resumable), PUT, DELETE, DeleteObjects,
 * and ListObjects.
 */
#include "s3_op.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"

static void info_move(struct s3_object_info *dst, struct s3_object_info *src)
{
	if (dst) {
		s3_object_info_release(dst);
		*dst = *src;
	} else {
		s3_object_info_release(src);
	}
	memset(src, 0, sizeof(*src));
}

int s3_head(struct s3_client *c, const char *key, struct s3_object_info *info,
	    struct s3_error *err)
{
	struct s3_op op;
	int rc;

	s3_op_init(&op, c, "HEAD", key);
	rc = s3_op_run(&op, err);
	if (!rc)
		info_move(info, &op.info);
	s3_op_release(&op);
	return rc;
}

/* ---- GET ---- */

struct get_ctx {
	const struct s3_get_params *p;
	uint64_t delivered;		/* bytes handed over so far, all attempts */
	uint64_t attempt_start;		/* delivered when this attempt began */
	uint64_t expect;		/* bytes the whole read yields, once known */
	char pinned[S3_ETAG_MAX];	/* ETag the resumed attempts must match */
};

static int get_before(struct s3_op *op)
{
	struct get_ctx *g = op->ctx;
	const struct s3_get_params *p = g->p;
	uint64_t start = p->off + g->delivered;
	const char *match = p->if_match ? p->if_match : (g->pinned[0] ? g->pinned : NULL);
	int rc = 0;

	/* A retry after every byte arrived (the answer was lost at its very
	 * end) has nothing left to ask for: asking would get a 416. */
	if (g->expect && g->delivered >= g->expect)
		return 1;
	g->attempt_start = g->delivered;
	if (p->len)
		rc = s3_op_header(op, "Range", "bytes=%" PRIu64 "-%" PRIu64, start,
				  p->off + p->len - 1);
	else if (start)
		rc = s3_op_header(op, "Range", "bytes=%" PRIu64 "-", start);
	if (!rc && match)
		rc = s3_op_header(op, "If-Match", "\"%s\"", match);
	if (rc)
		s3_op_fail(op, S3_ERR_NOMEM, "cannot build request");
	return rc;
}

static int get_body(struct s3_op *op, const char *data, size_t len)
{
	struct get_ctx *g = op->ctx;
	const struct s3_get_params *p = g->p;

	if (!g->pinned[0] && op->info.etag[0])
		memcpy(g->pinned, op->info.etag, sizeof(g->pinned));
	if (!g->expect && op->info.size > p->off) {
		uint64_t rest = op->info.size - p->off;

		g->expect = p->len && p->len < rest ? p->len : rest;
	}
	if (g->delivered == g->attempt_start && op->resp_length && op->resp_range_len &&
	    op->resp_length != op->resp_range_len) {
		/* The answer contradicts itself: stop reading it now, so that
		 * curl closes the connection rather than reuse one whose
		 * stream may hold the rest of this body; the retry resumes. */
		s3_op_fail(op, S3_ERR_NETWORK, "Content-Length disagrees with Content-Range");
		return -1;
	}
	if (g->delivered == g->attempt_start && op->http.status != 206 &&
	    p->off + g->delivered > 0) {
		/* The server ignored our Range: these are the wrong bytes. */
		s3_op_fail(op, S3_ERR_PROTOCOL, "server ignored the Range header");
		op->noretry = 1;
		return -1;
	}
	if (p->buf) {
		if (len > p->cap - g->delivered) {
			s3_op_fail(op, S3_ERR_INVALID, "object larger than the buffer");
			op->noretry = 1;
			return -1;
		}
		memcpy((char *)p->buf + g->delivered, data, len);
	} else if (p->sink && p->sink(p->sink_arg, data, len)) {
		s3_op_fail(op, S3_ERR_INVALID, "reader refused the data");
		op->noretry = 1;
		return -1;
	}
	g->delivered += len;
	return 0;
}

/* A 2xx whose body ended early without curl noticing: a Content-Length
 * that says less than the Content-Range (a proxy or server that lies, or
 * a body cut where the length was never sent).  The object's size is in
 * Content-Range ("bytes a-b/SIZE"): a ranged read must have brought all of
 * its range, clamped to that size.  A short one is a network error, so it
 * is retried, and the retry resumes where the bytes stopped. */
static int get_success(struct s3_op *op)
{
	struct get_ctx *g = op->ctx;
	const struct s3_get_params *p = g->p;
	uint64_t want;
	char msg[96];

	if (op->http.status != 206 || op->info.size <= p->off)
		return 0;	/* no range, or nothing in it to check */
	want = op->info.size - p->off;
	if (p->len && p->len < want)
		want = p->len;
	if (!g->expect)
		g->expect = want;
	if (g->delivered >= want)
		return 0;
	snprintf(msg, sizeof(msg), "short body: %" PRIu64 " of %" PRIu64 " bytes",
		 g->delivered - g->attempt_start, want - g->attempt_start);
	s3_op_fail(op, S3_ERR_NETWORK, msg);
	return -1;
}

int s3_get(struct s3_client *c, const struct s3_get_params *p, size_t *got,
	   struct s3_object_info *info, struct s3_error *err)
{
	struct get_ctx g = { p, 0, 0, 0, "" };
	struct s3_op op;
	int rc;

	s3_op_init(&op, c, "GET", p->key);
	op.ctx = &g;
	op.before_attempt = get_before;
	op.on_body = get_body;
	op.on_success = get_success;
	/* A big read gets a second per MiB on top of the deadline. */
	op.extra_deadline_ms = (long)((p->len ? p->len : p->cap) >> 20) * 1000;
	rc = s3_op_run(&op, err);
	if (rc && err->status == S3_ERR_RANGE && !p->len && g.delivered &&
	    g.attempt_start == g.delivered) {
		/* A read to the end, resumed after a cut: the server says
		 * nothing is left past what came (the Content-Length of the
		 * first answer said more than the object holds).  If-Match
		 * pinned the version, so those bytes are all of it. */
		s3_error_clear(err);
		err->attempts = op.attempt;
		s3_object_info_release(&op.info);
		op.info.size = p->off + g.delivered;
		memcpy(op.info.etag, g.pinned, sizeof(op.info.etag));
		rc = 0;
	}
	if (got)
		*got = (size_t)g.delivered;
	if (!rc)
		info_move(info, &op.info);
	s3_op_release(&op);
	return rc;
}

/* ---- PUT ---- */

/* Content-Type and x-amz-meta-* of an upload or a copy. */
int s3_op_put_headers(struct s3_op *op, const char *content_type,
		      const struct s3_meta *meta, size_t nmeta)
{
	size_t i;

	if (content_type && s3_op_header(op, "Content-Type", "%s", content_type))
		return -1;
	for (i = 0; i < nmeta; i++) {
		char name[192];

		snprintf(name, sizeof(name), "x-amz-meta-%s", meta[i].name);
		if (s3_op_header(op, name, "%s", meta[i].value))
			return -1;
	}
	return 0;
}

int s3_put(struct s3_client *c, const char *key, const void *data, size_t len,
	   const struct s3_put_opts *o, char etag[S3_ETAG_MAX], struct s3_error *err)
{
	struct s3_op op;
	int rc = -1;

	s3_op_init(&op, c, "PUT", key);
	s3_op_body(&op, data, len);
	op.extra_deadline_ms = (long)(len >> 20) * 1000;
	if (o && s3_op_put_headers(&op, o->content_type, o->meta, o->nmeta)) {
		s3_error_set(err, S3_ERR_NOMEM, "");
		goto out;
	}
	rc = s3_op_run(&op, err);
	if (!rc && etag)
		memcpy(etag, op.info.etag, S3_ETAG_MAX);
out:
	s3_op_release(&op);
	return rc;
}

/* ---- DELETE ---- */

int s3_delete(struct s3_client *c, const char *key, struct s3_error *err)
{
	struct s3_op op;
	int rc;

	s3_op_init(&op, c, "DELETE", key);
	rc = s3_op_run(&op, err);
	s3_op_release(&op);
	return rc;
}

struct delete_ctx {
	xml_delete_err_fn fn;
	void *arg;
	unsigned refused;
	struct s3_error *err;
};

static void delete_refused(void *arg, const char *key, const char *code, const char *message)
{
	struct delete_ctx *d = arg;

	if (!d->refused++) {
		s3_error_from_http(d->err, 200, code, message);
		if (d->err->status == S3_ERR_CLIENT && !strcmp(code, "AccessDenied"))
			d->err->status = S3_ERR_ACCESS;
	}
	if (d->fn)
		d->fn(d->arg, key, code, message);
}

static int delete_batch(struct s3_client *c, const char *const *keys, size_t n,
			struct delete_ctx *d, struct s3_error *err)
{
	static const struct uri_param q[] = { { "delete", NULL } };
	struct strbuf body = STRBUF_INIT;
	struct s3_op op;
	char md5[25];
	size_t i;
	int rc = -1;

	s3_op_init(&op, c, "POST", NULL);
	/* The server deletes every key before it answers: like a big body, a
	 * big batch gets more time (Swift s3api needs over 10 s for 1,000
	 * keys on a busy machine). */
	op.extra_deadline_ms = (long)n * 30;
	/* ... and it says nothing while it works: without the same
	 * allowance for silence, the stall limit (10 s) cut every attempt
	 * short and the call failed with "timed out" after all of them. */
	op.extra_stall_ms = op.extra_deadline_ms;
	s3_error_set(err, S3_ERR_NOMEM, "");
	if (strbuf_adds(&body, "<Delete><Quiet>true</Quiet>"))
		goto out;
	for (i = 0; i < n; i++)
		if (strbuf_adds(&body, "<Object><Key>") || xml_escape(&body, keys[i]) ||
		    strbuf_adds(&body, "</Key></Object>"))
			goto out;
	if (strbuf_adds(&body, "</Delete>"))
		goto out;
	sigv4_md5_base64(body.buf, body.len, md5);
	if (s3_op_queries(&op, q, 1) || s3_op_header(&op, "Content-MD5", "%s", md5) ||
	    s3_op_header(&op, "Content-Type", "application/xml"))
		goto out;
	s3_op_body(&op, body.buf, body.len);
	if (s3_op_run(&op, err))
		goto out;
	if (xml_parse_delete_result(strbuf_str(&op.resp), op.resp.len, delete_refused, d) < 0) {
		s3_error_set(err, S3_ERR_PROTOCOL, "malformed DeleteResult");
		goto out;
	}
	rc = 0;
out:
	strbuf_release(&body);
	s3_op_release(&op);
	return rc;
}

int s3_delete_many(struct s3_client *c, const char *const *keys, size_t n,
		   xml_delete_err_fn fn, void *arg, struct s3_error *err)
{
	struct s3_error refused;
	struct delete_ctx d = { fn, arg, 0, &refused };
	size_t i, chunk;

	s3_error_clear(err);
	s3_error_clear(&refused);
	for (i = 0; i < n; i += chunk) {
		chunk = n - i < 1000 ? n - i : 1000;
		if (delete_batch(c, keys + i, chunk, &d, err))
			return -1;
	}
	if (d.refused) {
		*err = refused;
		return -1;
	}
	return 0;
}

/* ---- LIST ---- */

/* A page cut short under a Content-Length that said so (a lying proxy)
 * arrives as a 200: without its closing tag it is retried like a reset,
 * not refused as malformed. */
static int list_complete(struct s3_op *op)
{
	static const char end[] = "</ListBucketResult>";
	const char *b = strbuf_str(&op->resp);
	size_t n = op->resp.len;

	while (n && (b[n - 1] == '\n' || b[n - 1] == '\r' || b[n - 1] == ' ' || b[n - 1] == '\t'))
		n--;
	if (n >= sizeof(end) - 1 && !memcmp(b + n - (sizeof(end) - 1), end, sizeof(end) - 1))
		return 0;
	s3_op_fail(op, S3_ERR_NETWORK, "listing cut short");
	return -1;
}

int s3_list(struct s3_client *c, const struct s3_list_params *p, s3_list_fn fn,
	    void *arg, struct xml_list_result *res, struct s3_error *err)
{
	struct uri_param q[6];
	struct xml_list *xl = NULL;
	struct s3_op op;
	char maxkeys[16];
	size_t n = 0;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	s3_op_init(&op, c, "GET", NULL);
	if (!c->list_v1)
		q[n++] = (struct uri_param){ "list-type", "2" };
	if (p->prefix && *p->prefix)
		q[n++] = (struct uri_param){ "prefix", p->prefix };
	if (p->delimiter)
		q[n++] = (struct uri_param){ "delimiter", p->delimiter };
	if (p->max_keys) {
		snprintf(maxkeys, sizeof(maxkeys), "%u", p->max_keys);
		q[n++] = (struct uri_param){ "max-keys", maxkeys };
	}
	if (c->list_v1) {
		const char *marker = p->token ? p->token : p->start_after;

		if (marker)
			q[n++] = (struct uri_param){ "marker", marker };
	} else {
		if (p->token)
			q[n++] = (struct uri_param){ "continuation-token", p->token };
		if (p->start_after)
			q[n++] = (struct uri_param){ "start-after", p->start_after };
	}
	if (s3_op_queries(&op, q, n)) {
		s3_error_set(err, S3_ERR_NOMEM, "");
		goto out;
	}
	op.on_success = list_complete;
	if (s3_op_run(&op, err))
		goto out;
	/* The page is parsed only once it arrived whole, so that a retried
	 * attempt never shows fn an entry twice. */
	xl = xml_list_new(fn, arg);
	if (!xl) {
		s3_error_set(err, S3_ERR_NOMEM, "");
		goto out;
	}
	if (xml_list_feed(xl, strbuf_str(&op.resp), op.resp.len, 1)) {
		s3_error_set(err, S3_ERR_PROTOCOL, "listing: ");
		strncat(err->message, xml_list_error(xl),
			sizeof(err->message) - strlen(err->message) - 1);
		goto out;
	}
	xml_list_result(xl, res);
	rc = 0;
out:
	xml_list_free(xl);
	s3_op_release(&op);
	return rc;
}
