/*
 * The life of one S3 call: sign, send, read the answer, retry or finish.
 *
 *   start --> attempt --> transport --> http_done --+--> complete
 *               ^                                   |
 *               +---- back-off (retryable, attempts |
 *                     left, deadline not reached) --+
 *
 * Retry rules: 5xx, 429, SlowDown, RequestTimeout, a body the server found
 * damaged (XAmzContentSHA256Mismatch, BadDigest), resets and timeouts are
 * retried; other 4xx never.  The back-off doubles from retry_base_ms (100 ms)
 * up to 5 s with
 * full jitter (a random wait in [d/2, d]), so that many clients failing
 * together do not come back together.  An attempt never runs past the
 * call's deadline: its curl timeout is what is left of it.
 */
#include "s3_op.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sigv4.h"
#include "uri.h"

#define RESP_CAP (8u << 20)
#define BACKOFF_MAX_MS 5000

void s3_op_init(struct s3_op *op, struct s3_client *c, const char *method,
		const char *key)
{
	memset(op, 0, sizeof(*op));
	op->c = c;
	op->method = method;
	op->key = key;
	strbuf_init(&op->query, 0);
	strbuf_init(&op->resp, RESP_CAP);
	strbuf_init(&op->url, 0);
	strbuf_init(&op->http.errbody, 0);
}

void s3_op_release(struct s3_op *op)
{
	size_t i;

	for (i = 0; i < op->nhdr; i++) {
		free(op->hname[i]);
		free(op->hvalue[i]);
	}
	op->nhdr = 0;
	strbuf_release(&op->query);
	strbuf_release(&op->resp);
	strbuf_release(&op->url);
	http_req_release(&op->http);
	curl_slist_free_all(op->slist);
	op->slist = NULL;
	s3_object_info_release(&op->info);
}

void s3_object_info_release(struct s3_object_info *info)
{
	size_t i;

	for (i = 0; i < info->nmeta; i++) {
		free(info->meta[i].name);
		free(info->meta[i].value);
	}
	memset(info, 0, sizeof(*info));
}

const char *s3_object_meta(const struct s3_object_info *info, const char *name)
{
	size_t i;

	for (i = 0; i < info->nmeta; i++)
		if (!strcmp(info->meta[i].name, name))
			return info->meta[i].value;
	return NULL;
}

int s3_op_queries(struct s3_op *op, const struct uri_param *params, size_t n)
{
	strbuf_reset(&op->query);
	return uri_query(&op->query, params, n);
}

int s3_op_header(struct s3_op *op, const char *name, const char *fmt, ...)
{
	struct strbuf v = STRBUF_INIT;
	va_list ap;
	size_t i;
	char *n;
	int rc;

	va_start(ap, fmt);
	rc = strbuf_vaddf(&v, fmt, ap);
	va_end(ap);
	if (rc)
		goto fail;
	for (i = 0; i < op->nhdr; i++) {
		if (!strcasecmp(op->hname[i], name)) {
			free(op->hvalue[i]);
			op->hvalue[i] = strbuf_detach(&v);
			return op->hvalue[i] ? 0 : -1;
		}
	}
	if (op->nhdr == S3_OP_MAXHDR || !(n = strdup(name)))
		goto fail;
	op->hname[op->nhdr] = n;
	op->hvalue[op->nhdr] = strbuf_detach(&v);
	if (!op->hvalue[op->nhdr]) {
		free(n);
		goto fail;
	}
	op->nhdr++;
	return 0;
fail:
	strbuf_release(&v);
	return -1;
}

void s3_op_body(struct s3_op *op, const void *data, size_t len)
{
	op->body = data;
	op->body_len = len;
	op->payload_hash[0] = '\0';
}

void s3_op_fail(struct s3_op *op, enum s3_status st, const char *msg)
{
	op->err.status = st;
	snprintf(op->err.message, sizeof(op->err.message), "%s", msg);
}

void s3_etag_copy(char out[S3_ETAG_MAX], const char *etag)
{
	size_t n = strlen(etag);

	if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"') {
		etag++;
		n -= 2;
	}
	if (n >= S3_ETAG_MAX)
		n = S3_ETAG_MAX - 1;
	memcpy(out, etag, n);
	out[n] = '\0';
}

/* ---- building one attempt ---- */

static int op_url(struct s3_op *op, struct strbuf *host, struct strbuf *path)
{
	const char *bucket = op->bucket ? op->bucket : op->c->bucket;

	if (op->c->path_style || !*bucket) {
		if (strbuf_adds(host, op->c->hostport) || strbuf_add(path, "/", 1) ||
		    uri_encode(path, bucket, strlen(bucket), 0))
			return -1;
		if (op->key && (strbuf_add(path, "/", 1) ||
				uri_encode(path, op->key, strlen(op->key), 1)))
			return -1;
	} else {
		if (strbuf_addf(host, "%s.%s", bucket, op->c->hostport) ||
		    strbuf_add(path, "/", 1))
			return -1;
		if (op->key && uri_encode(path, op->key, strlen(op->key), 1))
			return -1;
	}
	strbuf_reset(&op->url);
	if (strbuf_addf(&op->url, "%s://%s%s", op->c->scheme, strbuf_str(host),
			strbuf_str(path)))
		return -1;
	if (op->query.len && strbuf_addf(&op->url, "?%s", strbuf_str(&op->query)))
		return -1;
	return 0;
}

static int slist_addf(struct curl_slist **l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int slist_addf(struct curl_slist **l, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	struct curl_slist *n;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	n = rc ? NULL : curl_slist_append(*l, strbuf_str(&sb));
	strbuf_release(&sb);
	if (!n)
		return -1;
	*l = n;
	return 0;
}

/* Sign and fill the headers of this attempt. */
static int op_headers(struct s3_op *op, const char *host, const char *path)
{
	struct sigv4_header h[S3_OP_MAXHDR + 4];
	struct s3_client *c = op->c;
	struct strbuf auth = STRBUF_INIT;
	char date[17];
	size_t n = 0, i;
	int rc = -1, has_ctype = 0;

	curl_slist_free_all(op->slist);
	op->slist = NULL;
	if (!op->payload_hash[0]) {
		if (op->unsigned_payload)
			snprintf(op->payload_hash, sizeof(op->payload_hash), "%s",
				 SIGV4_UNSIGNED_PAYLOAD);
		else
			sigv4_sha256_hex(op->body ? op->body : "", op->body_len,
					 op->payload_hash);
	}
	sigv4_amz_date(time(NULL), date);
	h[n++] = (struct sigv4_header){ "host", host };
	if (!c->anonymous) {
		h[n++] = (struct sigv4_header){ "x-amz-date", date };
		h[n++] = (struct sigv4_header){ "x-amz-content-sha256", op->payload_hash };
		if (c->creds.session_token)
			h[n++] = (struct sigv4_header){ "x-amz-security-token",
							c->creds.session_token };
	}
	for (i = 0; i < op->nhdr; i++) {
		h[n++] = (struct sigv4_header){ op->hname[i], op->hvalue[i] };
		if (!strcasecmp(op->hname[i], "content-type"))
			has_ctype = 1;
	}
	for (i = 0; i < n; i++)
		if (slist_addf(&op->slist, "%s: %s", h[i].name, h[i].value))
			goto out;
	/* No "Expect: 100-continue" round trip, and no form content type
	 * for POST bodies that curl would otherwise add unsigned. */
	if (slist_addf(&op->slist, "Expect:") ||
	    (!has_ctype && slist_addf(&op->slist, "Content-Type:")))
		goto out;
	if (!c->anonymous) {
		struct sigv4_key key = { c->creds.access_key, c->creds.secret_key,
					 c->region, "s3" };
		struct sigv4_request rq = { op->method, path, strbuf_str(&op->query),
					    h, n, op->payload_hash };

		if (sigv4_authorization(&auth, &key, date, &rq) ||
		    slist_addf(&op->slist, "Authorization: %s", strbuf_str(&auth)))
			goto out;
	}
	rc = 0;
out:
	strbuf_release(&auth);
	return rc;
}

static void op_http_done(struct http_req *req);
static int op_on_body(void *arg, const char *data, size_t len);
static void op_on_header(void *arg, const char *name, const char *value);

/* Send one attempt after delay_ms.  Returns 0, 1 when the op turned out to
 * need no more attempts (success), or -1 with op->err set. */
static int op_send(struct s3_op *op, long delay_ms)
{
	struct strbuf host = STRBUF_INIT, path = STRBUF_INIT;
	uint64_t now = http_now_ms();
	long left = (long)(op->deadline - now) - delay_ms;
	int rc = -1;

	if (left <= 0) {
		s3_op_fail(op, S3_ERR_TIMEOUT, "deadline reached");
		goto out;
	}
	if (op->before_attempt) {
		rc = op->before_attempt(op);
		if (rc) {
			if (rc == 1)
				s3_error_clear(&op->err);
			goto out;
		}
		rc = -1;
	}
	op->attempt++;
	s3_object_info_release(&op->info);
	op->resp_length = op->resp_range_len = 0;
	strbuf_reset(&op->resp);
	if (op_url(op, &host, &path) || op_headers(op, strbuf_str(&host), strbuf_str(&path))) {
		s3_op_fail(op, S3_ERR_NOMEM, "cannot build request");
		goto out;
	}
	http_req_reset(&op->http);
	op->http.method = op->method;
	op->http.url = strbuf_str(&op->url);
	op->http.headers = op->slist;
	op->http.body = op->body;
	op->http.body_len = op->body_len;
	op->http.on_body = op_on_body;
	op->http.on_header = op_on_header;
	op->http.arg = op;
	op->http.connect_timeout_ms = op->c->connect_timeout_ms;
	op->http.stall_ms = op->c->stall_ms > 0 ? op->c->stall_ms + op->extra_stall_ms : 0;
	op->http.timeout_ms = left;
	op->http.tls_verify = op->c->tls_verify;
	op->http.ca_file = op->c->ca_file;
	op->http.done = op_http_done;
	s3_error_clear(&op->err);
	op->err.attempts = op->attempt;
	op->attempt_in = op->bytes_in;
	clock_gettime(CLOCK_MONOTONIC, &op->attempt_t0);
	op->attempt_t0.tv_sec += delay_ms / 1000;
	op->attempt_t0.tv_nsec += (delay_ms % 1000) * 1000000;
	if (transport_submit(op->c->t, &op->http, delay_ms)) {
		s3_op_fail(op, S3_ERR_CANCELLED, "client is shutting down");
		goto out;
	}
	rc = 0;
out:
	strbuf_release(&host);
	strbuf_release(&path);
	return rc;
}

int s3_op_start(struct s3_op *op)
{
	s3_error_clear(&op->err);
	op->attempt = 0;
	op->deadline = http_now_ms() + (uint64_t)op->c->deadline_ms +
		       (uint64_t)op->extra_deadline_ms;
	switch (op_send(op, 0)) {
	case 0:
		return 0;
	case 1:
		op->complete(op);
		return 0;
	default:
		return -1;
	}
}

/* ---- taking the answer ---- */

static int op_on_body(void *arg, const char *data, size_t len)
{
	struct s3_op *op = arg;

	op->bytes_in += len;
	if (op->on_body)
		return op->on_body(op, data, len);
	if (strbuf_add(&op->resp, data, len)) {
		s3_op_fail(op, S3_ERR_PROTOCOL, "response body too large");
		op->noretry = 1;
		return -1;
	}
	return 0;
}

static void info_meta(struct s3_object_info *info, const char *name, const char *value)
{
	struct s3_meta *m;
	char *n, *v;
	size_t i;

	if (info->nmeta == S3_MAX_META)
		return;
	n = strdup(name);
	v = strdup(value);
	if (!n || !v) {
		free(n);
		free(v);
		return;
	}
	for (i = 0; n[i]; i++)
		n[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] + 32 : n[i]);
	m = &info->meta[info->nmeta++];
	m->name = n;
	m->value = v;
}

static void op_on_header(void *arg, const char *name, const char *value)
{
	struct s3_op *op = arg;
	struct s3_object_info *info = &op->info;
	const char *slash;

	if (op->http.status < 200 || op->http.status >= 300)
		return;
	if (!strcasecmp(name, "etag")) {
		s3_etag_copy(info->etag, value);
	} else if (!strcasecmp(name, "content-length")) {
		op->resp_length = strtoull(value, NULL, 10);
		if (!info->size)
			info->size = op->resp_length;
	} else if (!strcasecmp(name, "content-range")) {
		/* "bytes 0-9/443": the object's size is after the slash. */
		unsigned long long a, b;

		slash = strrchr(value, '/');
		if (slash && slash[1] != '*')
			info->size = strtoull(slash + 1, NULL, 10);
		if (sscanf(value, "bytes %llu-%llu", &a, &b) == 2 && b >= a)
			op->resp_range_len = b - a + 1;
	} else if (!strcasecmp(name, "last-modified")) {
		s3_parse_time(value, &info->mtime);
	} else if (!strcasecmp(name, "content-type")) {
		snprintf(info->content_type, sizeof(info->content_type), "%s", value);
	} else if (!strncasecmp(name, "x-amz-meta-", 11)) {
		info_meta(info, name + 11, value);
	}
}

static enum s3_status status_of_curl(int code, int *noretry)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return S3_ERR_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return S3_ERR_TIMEOUT;
	case CURLE_ABORTED_BY_CALLBACK:
		*noretry = 1;
		return S3_ERR_CANCELLED;
	case CURLE_OUT_OF_MEMORY:
		*noretry = 1;
		return S3_ERR_NOMEM;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_URL_MALFORMAT:
		/* A certificate or URL does not fix itself on retry. */
		*noretry = 1;
		return S3_ERR_CONNECT;
	case CURLE_UNSUPPORTED_PROTOCOL:
		/* Our URLs are http or https (the config says so), so this is
		 * "Received HTTP/0.9": garbage where an answer should start,
		 * e.g. the rest of a body that a wrong Content-Length left on
		 * a kept-alive connection.  A new connection may do. */
		return S3_ERR_NETWORK;
	default:
		return S3_ERR_NETWORK;
	}
}

/* Judge the finished attempt into op->err.  Returns 0 on success. */
static int op_judge(struct s3_op *op)
{
	struct http_req *h = &op->http;

	if (h->curl_code == CURLE_WRITE_ERROR && op->err.status != S3_OK)
		return -1;	/* our body handler refused; err is set */
	if (h->curl_code != CURLE_OK) {
		op->err.status = status_of_curl(h->curl_code, &op->noretry);
		op->err.http_status = 0;
		op->err.code[0] = '\0';
		snprintf(op->err.message, sizeof(op->err.message), "%s",
			 h->errmsg[0] ? h->errmsg : curl_easy_strerror((CURLcode)h->curl_code));
		return -1;
	}
	if (h->status >= 200 && h->status < 300) {
		if (op->on_success && op->on_success(op))
			return -1;
		s3_error_clear(&op->err);
		return 0;
	}
	{
		struct s3_error parsed;

		s3_error_clear(&parsed);
		xml_parse_error(strbuf_str(&h->errbody), h->errbody.len, &parsed);
		s3_error_from_http(&op->err, h->status, parsed.code, parsed.message);
	}
	return -1;
}

static long op_backoff(struct s3_op *op)
{
	long d = op->c->retry_base_ms;
	unsigned i, r;

	for (i = 1; i < op->attempt && d < BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > BACKOFF_MAX_MS)
		d = BACKOFF_MAX_MS;
	pthread_mutex_lock(&op->c->rng_lock);
	r = (unsigned)rand_r(&op->c->rng);
	pthread_mutex_unlock(&op->c->rng_lock);
	return d / 2 + (long)(r % (unsigned)(d / 2 + 1));
}

const char *const s3_op_names[] = {
	"GetObject", "HeadObject", "ListObjectsV2", "ListObjects", "PutObject",
	"CopyObject", "DeleteObject", "DeleteObjects", "CreateMultipartUpload",
	"UploadPart", "UploadPartCopy", "CompleteMultipartUpload",
	"AbortMultipartUpload", "HeadBucket", "CreateBucket", "DeleteBucket", NULL,
};

static int op_has_query(const struct s3_op *op, const char *name)
{
	const char *q = strbuf_str(&op->query), *p;
	size_t n = strlen(name);

	for (p = q; (p = strstr(p, name)); p += n)
		if ((p == q || p[-1] == '&') && (p[n] == '=' || p[n] == '&' || !p[n]))
			return 1;
	return 0;
}

static int op_has_header(const struct s3_op *op, const char *name)
{
	size_t i;

	for (i = 0; i < op->nhdr; i++)
		if (!strcasecmp(op->hname[i], name))
			return 1;
	return 0;
}

/* The S3 operation an op is, from its method, key, query and headers. */
static const char *op_name(const struct s3_op *op)
{
	const char *m = op->method;

	if (!strcmp(m, "GET"))
		return op->key ? "GetObject" : op_has_query(op, "list-type") ? "ListObjectsV2"
									  : "ListObjects";
	if (!strcmp(m, "HEAD"))
		return op->key ? "HeadObject" : "HeadBucket";
	if (!strcmp(m, "PUT")) {
		if (!op->key)
			return "CreateBucket";
		if (op_has_query(op, "partNumber"))
			return op_has_header(op, "x-amz-copy-source") ? "UploadPartCopy"
								       : "UploadPart";
		return op_has_header(op, "x-amz-copy-source") ? "CopyObject" : "PutObject";
	}
	if (!strcmp(m, "POST"))
		return op_has_query(op, "delete") ? "DeleteObjects"
		       : op_has_query(op, "uploads") ? "CreateMultipartUpload"
						     : "CompleteMultipartUpload";
	if (op_has_query(op, "uploadId"))
		return "AbortMultipartUpload";
	return op->key ? "DeleteObject" : "DeleteBucket";
}

/* Tell the client's observer how this attempt ended. */
static void op_observe(struct s3_op *op, int final)
{
	struct s3_request_event ev;
	struct timespec now;

	if (!op->c->observe)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	memset(&ev, 0, sizeof(ev));
	ev.op = op_name(op);
	ev.method = op->method;
	ev.bucket = op->bucket ? op->bucket : op->c->bucket;
	ev.key = op->key;
	ev.http_status = op->err.status == S3_OK ? op->http.status : op->err.http_status;
	ev.status = op->err.status;
	ev.error = op->err.status == S3_OK ? "" : op->err.code[0] ? op->err.code : op->err.message;
	ev.attempt = op->attempt;
	ev.final = final;
	ev.seconds = (double)(now.tv_sec - op->attempt_t0.tv_sec) +
		     (double)(now.tv_nsec - op->attempt_t0.tv_nsec) / 1e9;
	if (ev.seconds < 0)
		ev.seconds = 0;
	ev.bytes_down = op->bytes_in - op->attempt_in;
	ev.bytes_up = op->body_len;
	ev.bytes_copied = op->err.status == S3_OK ? op->copy_bytes : 0;
	op->c->observe(op->c->observe_arg, &ev);
}

static void op_http_done(struct http_req *req)
{
	struct s3_op *op = (struct s3_op *)((char *)req - offsetof(struct s3_op, http));
	unsigned attempts = op->attempt;
	long delay = 0;
	int again = 0;

	if (op_judge(op) != 0) {
		op->err.attempts = attempts;
		if (!op->noretry && s3_status_retryable(op->err.status) &&
		    attempts < op->c->max_attempts) {
			delay = op_backoff(op);
			again = http_now_ms() + (uint64_t)delay < op->deadline;
		}
	}
	op_observe(op, !again);
	if (again && op_send(op, delay) == 0)
		return;	/* else an error or nothing left to do: finish now */
	op->err.attempts = op->attempt;
	op->complete(op);
}

/* ---- waiting ---- */

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
};

static void waiter_complete(struct s3_op *op)
{
	struct waiter *w = op->arg;

	pthread_mutex_lock(&w->lock);
	w->done = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

int s3_op_run(struct s3_op *op, struct s3_error *err)
{
	struct waiter w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	int rc = -1;

	op->complete = waiter_complete;
	op->arg = &w;
	if (s3_op_start(op))
		goto out;
	pthread_mutex_lock(&w.lock);
	while (!w.done)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	rc = op->err.status == S3_OK ? 0 : -1;
out:
	if (err)
		*err = op->err;
	pthread_mutex_destroy(&w.lock);
	pthread_cond_destroy(&w.cond);
	return rc;
}

/* ---- groups of parallel ops ---- */

void s3_group_init(struct s3_group *g)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
}

void s3_group_release(struct s3_group *g)
{
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->cond);
}

int s3_group_start(struct s3_group *g, struct s3_op *op)
{
	pthread_mutex_lock(&g->lock);
	g->running++;
	pthread_mutex_unlock(&g->lock);
	if (s3_op_start(op) == 0)
		return 0;
	/* It never ran: its completion will not come, so finish it here. */
	op->complete(op);
	return -1;
}

static void group_record(struct s3_group *g, const struct s3_error *e)
{
	if (e->status != S3_OK && !g->failed) {
		g->failed = 1;
		g->err = *e;
	}
}

void s3_group_done(struct s3_group *g, const struct s3_error *e)
{
	pthread_mutex_lock(&g->lock);
	group_record(g, e);
	g->running--;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

void s3_group_fail(struct s3_group *g, const struct s3_error *e)
{
	pthread_mutex_lock(&g->lock);
	group_record(g, e);
	pthread_mutex_unlock(&g->lock);
}

int s3_group_wait(struct s3_group *g, unsigned max)
{
	int failed;

	pthread_mutex_lock(&g->lock);
	while (g->running > max)
		pthread_cond_wait(&g->cond, &g->lock);
	failed = g->failed;
	pthread_mutex_unlock(&g->lock);
	return failed ? -1 : 0;
}
