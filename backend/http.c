/*
 * The curl multi engine.
 *
 * Design notes
 *  1. One thread (engine_main) owns the CURLM handle and every easy handle
 *     in it; no other thread ever touches them.  Connection reuse, the
 *     per-host connection cap and the DNS cache all live in that multi handle.
 *  2. Other threads hand requests over through `queue` (sorted by due time)
 *     and wake the thread with curl_multi_wakeup().  A delayed request (a
 *     retry after back-off) waits in the queue until it is due, so back-off
 *     never blocks a thread.
 *  3. req->done is called on the engine thread, with no lock held, exactly
 *     once per accepted submit.  It may submit again (a retry).
 *
 * Locks: engine->lock guards queue and stopping.  Nothing else is shared.
 */
#include "http.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ERRBODY_CAP (16 * 1024)

struct http_engine {
	struct transport t;		/* first: the transport is the engine */
	pthread_mutex_t lock;
	struct http_req *queue;		/* guarded by lock; sorted by due_ms */
	int stopping;			/* guarded by lock */
	CURLM *multi;			/* engine thread only (after start) */
	pthread_t thread;
	struct http_req *active;	/* engine thread only: in the multi */
};

uint64_t http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void http_req_reset(struct http_req *req)
{
	req->curl_code = CURLE_OK;
	req->status = 0;
	req->errmsg[0] = '\0';
	req->body_off = 0;
	strbuf_reset(&req->errbody);
}

void http_req_release(struct http_req *req)
{
	strbuf_release(&req->errbody);
}

static size_t on_write(char *data, size_t size, size_t n, void *userp)
{
	struct http_req *req = userp;
	size_t len = size * n;

	if (req->status >= 200 && req->status < 300) {
		if (req->on_body && req->on_body(req->arg, data, len))
			return 0;	/* CURLE_WRITE_ERROR */
		return len;
	}
	/* Error bodies are small; past the cap the rest is dropped, not fatal. */
	if (req->errbody.len < ERRBODY_CAP)
		strbuf_add(&req->errbody, data,
			   len < ERRBODY_CAP - req->errbody.len ? len
								: ERRBODY_CAP - req->errbody.len);
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
	struct http_req *req = userp;
	size_t len = size * n;
	char line[8192], *colon, *name, *value, *end;

	if (len >= 5 && !memcmp(data, "HTTP/", 5)) {
		/* A status line: remember it now, so that on_write knows
		 * where the body goes.  Interim 1xx answers are replaced
		 * by the final one. */
		const char *sp = memchr(data, ' ', len);

		req->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		return len;
	}
	if (!req->on_header || len >= sizeof(line))
		return len;
	memcpy(line, data, len);
	line[len] = '\0';
	colon = strchr(line, ':');
	if (!colon)
		return len;
	*colon = '\0';
	name = line;
	value = colon + 1;
	while (*value == ' ' || *value == '\t')
		value++;
	end = value + strlen(value);
	while (end > value && (end[-1] == '\r' || end[-1] == '\n' ||
			       end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	req->on_header(req->arg, name, value);
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *userp)
{
	struct http_req *req = userp;
	size_t want = size * n, left = req->body_len - req->body_off;

	if (want > left)
		want = left;
	memcpy(buf, req->body + req->body_off, want);
	req->body_off += want;
	return want;
}

/* curl may rewind the upload (a redirect, an auth retry, a reused
 * connection that was closed under it). */
static int on_seek(void *userp, curl_off_t off, int origin)
{
	struct http_req *req = userp;

	if (origin != SEEK_SET || off < 0 || (size_t)off > req->body_len)
		return CURL_SEEKFUNC_CANTSEEK;
	req->body_off = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

static CURL *easy_new(struct http_req *req)
{
	CURL *e = curl_easy_init();

	if (!e)
		return NULL;
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* S3 keys may hold "..": never let curl squash dot segments. */
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->errmsg);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, req->tls_verify ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, req->tls_verify ? 2L : 0L);
	/* a private CA in place of the system's bundle, not beside it */
	if (req->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, req->ca_file);
	if (req->connect_timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
	if (req->timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	if (req->stall_ms > 0) {
		long s = (req->stall_ms + 999) / 1000;

		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, s);
	}
	if (!strcmp(req->method, "HEAD")) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(req->method, "PUT")) {
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, req);
		curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(e, CURLOPT_SEEKDATA, req);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
	} else if (!strcmp(req->method, "POST")) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	} else if (strcmp(req->method, "GET")) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	}
	return e;
}

static void finish(struct http_req *req, int curl_code)
{
	req->curl_code = curl_code;
	req->done(req);
}

static void complete_canned(struct http_req *req)
{
	const struct http_canned *c = req->canned;

	req->canned = NULL;
	req->status = c->status;
	if (c->body)
		strbuf_adds(&req->errbody, c->body);
	if (c->curl_code != CURLE_OK)
		snprintf(req->errmsg, sizeof(req->errmsg), "%s (injected)",
			 curl_easy_strerror((CURLcode)c->curl_code));
	finish(req, c->curl_code);
}

/* Move due requests from the queue into the multi handle.  Returns the
 * milliseconds until the next one is due (or 1000). */
static long start_due(struct http_engine *en)
{
	struct http_req *due = NULL, **tail = &due, *req;
	uint64_t now = http_now_ms();
	long wait = 1000;

	pthread_mutex_lock(&en->lock);
	while (en->queue && en->queue->due_ms <= now) {
		req = en->queue;
		en->queue = req->next;
		req->next = NULL;
		*tail = req;
		tail = &req->next;
	}
	if (en->queue && en->queue->due_ms - now < (uint64_t)wait)
		wait = (long)(en->queue->due_ms - now);
	pthread_mutex_unlock(&en->lock);

	while ((req = due)) {
		CURL *e;

		due = req->next;
		req->next = NULL;
		if (req->canned) {
			complete_canned(req);
			continue;
		}
		e = easy_new(req);
		if (!e || curl_multi_add_handle(en->multi, e) != CURLM_OK) {
			if (e)
				curl_easy_cleanup(e);
			snprintf(req->errmsg, sizeof(req->errmsg), "cannot start transfer");
			finish(req, CURLE_OUT_OF_MEMORY);
			continue;
		}
		req->easy = e;
		req->next = en->active;
		en->active = req;
	}
	return wait;
}

static void unlink_active(struct http_engine *en, struct http_req *req)
{
	struct http_req **pp;

	for (pp = &en->active; *pp; pp = &(*pp)->next) {
		if (*pp == req) {
			*pp = req->next;
			break;
		}
	}
	req->next = NULL;
	req->easy = NULL;
}

static void reap_done(struct http_engine *en)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(en->multi, &left))) {
		struct http_req *req = NULL;
		CURL *e = msg->easy_handle;
		CURLcode result = msg->data.result;
		long status = 0;

		/* msg belongs to the handle: read it all before the cleanup. */
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&req);
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		curl_multi_remove_handle(en->multi, e);
		curl_easy_cleanup(e);
		unlink_active(en, req);
		req->status = status;
		finish(req, result);
	}
}

/* Fail everything still queued or running: the engine is going away. */
static void abort_all(struct http_engine *en)
{
	struct http_req *q, *req;

	pthread_mutex_lock(&en->lock);
	q = en->queue;
	en->queue = NULL;
	pthread_mutex_unlock(&en->lock);
	while ((req = q)) {
		q = req->next;
		req->next = NULL;
		snprintf(req->errmsg, sizeof(req->errmsg), "transport shut down");
		finish(req, CURLE_ABORTED_BY_CALLBACK);
	}
	while ((req = en->active)) {
		curl_multi_remove_handle(en->multi, req->easy);
		curl_easy_cleanup(req->easy);
		unlink_active(en, req);
		snprintf(req->errmsg, sizeof(req->errmsg), "transport shut down");
		finish(req, CURLE_ABORTED_BY_CALLBACK);
	}
}

static void *engine_main(void *arg)
{
	struct http_engine *en = arg;

	for (;;) {
		int running, stop;
		long wait;

		pthread_mutex_lock(&en->lock);
		stop = en->stopping;
		pthread_mutex_unlock(&en->lock);
		if (stop)
			break;
		wait = start_due(en);
		curl_multi_perform(en->multi, &running);
		reap_done(en);
		curl_multi_poll(en->multi, NULL, 0, (int)wait, NULL);
	}
	abort_all(en);
	return NULL;
}

static int engine_submit(struct transport *t, struct http_req *req, long delay_ms)
{
	struct http_engine *en = (struct http_engine *)t;
	struct http_req **pp;
	int rc = -1;

	req->next = NULL;
	req->due_ms = http_now_ms() + (delay_ms > 0 ? (uint64_t)delay_ms : 0);
	pthread_mutex_lock(&en->lock);
	if (en->stopping)
		goto out;
	for (pp = &en->queue; *pp && (*pp)->due_ms <= req->due_ms; pp = &(*pp)->next)
		;
	req->next = *pp;
	*pp = req;
	rc = 0;
out:
	pthread_mutex_unlock(&en->lock);
	if (!rc)
		curl_multi_wakeup(en->multi);
	return rc;
}

static void engine_free(struct transport *t)
{
	struct http_engine *en = (struct http_engine *)t;

	pthread_mutex_lock(&en->lock);
	en->stopping = 1;
	pthread_mutex_unlock(&en->lock);
	curl_multi_wakeup(en->multi);
	pthread_join(en->thread, NULL);
	curl_multi_cleanup(en->multi);
	pthread_mutex_destroy(&en->lock);
	free(en);
}

static const struct transport_ops engine_ops = {
	.submit = engine_submit,
	.free = engine_free,
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct transport *http_engine_new(unsigned max_host_conns)
{
	struct http_engine *en;

	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return NULL;
	en = calloc(1, sizeof(*en));
	if (!en)
		return NULL;
	en->t.ops = &engine_ops;
	pthread_mutex_init(&en->lock, NULL);
	en->multi = curl_multi_init();
	if (!en->multi)
		goto fail;
	if (!max_host_conns)
		max_host_conns = 16;
	curl_multi_setopt(en->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)max_host_conns);
	curl_multi_setopt(en->multi, CURLMOPT_MAXCONNECTS, (long)max_host_conns * 2);
	if (pthread_create(&en->thread, NULL, engine_main, en))
		goto fail;
	return &en->t;

fail:
	if (en->multi)
		curl_multi_cleanup(en->multi);
	pthread_mutex_destroy(&en->lock);
	free(en);
	return NULL;
}
