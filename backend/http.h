/*
 * http: the transport under the S3 client.
 *
 * A transport takes a prepared HTTP request and calls req->done once, from
 * some thread, when it finished (or failed).  Two transports share this
 * interface (a function-pointer table, like redis's ConnectionType): the
 * real one, one thread driving libcurl's multi interface, and fault.c,
 * which wraps another transport and injects errors, resets and delays for
 * the tests.  The S3 layer above never knows which one it talks to.
 */
#ifndef LM_HTTP_H
#define LM_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "strbuf.h"

struct http_req;
typedef void (*http_done_fn)(struct http_req *req);

/* A canned answer: the transport completes the request with it instead of
 * sending it.  This is how a wrapping transport fails a request "before it
 * reached the server" on the transport's own thread and schedule. */
struct http_canned {
	int curl_code;		/* CURLcode; CURLE_OK with a status below */
	long status;
	const char *body;	/* error body for a non-2xx status */
};

struct http_req {
	/* ---- set by the submitter ---- */
	const char *method;		/* GET HEAD PUT POST DELETE */
	const char *url;
	struct curl_slist *headers;	/* sent as is */
	const char *body;		/* request body (PUT/POST), or NULL */
	size_t body_len;
	/* A 2xx answer's body goes to on_body (return 0, or -1 to abort the
	 * transfer); other answers' bodies are kept in errbody (capped). */
	int (*on_body)(void *arg, const char *data, size_t len);
	/* Each response header, name and value trimmed and NUL-terminated. */
	void (*on_header)(void *arg, const char *name, const char *value);
	void *arg;
	long connect_timeout_ms;
	long stall_ms;			/* abort below 1 byte/s for this long; 0: never */
	long timeout_ms;		/* whole attempt; 0: none */
	int tls_verify;
	const char *ca_file;		/* trusted CAs (PEM); NULL: the system's */
	http_done_fn done;
	const struct http_canned *canned;	/* see above; NULL normally */

	/* ---- results, valid in done() ---- */
	int curl_code;			/* CURLcode */
	long status;			/* HTTP status, 0 when none came */
	struct strbuf errbody;		/* body of a non-2xx answer */
	char errmsg[CURL_ERROR_SIZE];

	/* ---- private to transports ---- */
	struct http_req *next;		/* engine: queue or active-list link */
	void *easy;			/* engine: the CURL handle while active */
	uint64_t due_ms;		/* engine: not before this (monotonic) */
	size_t body_off;		/* engine: upload position */
	void *wrap_arg;			/* a wrapping transport's state */
	http_done_fn wrap_done;		/* ... and the done it replaced */
};

struct transport;

struct transport_ops {
	/* Start req after delay_ms.  Returns 0, or -1 if the transport is
	 * shutting down or out of memory (done is then NOT called). */
	int (*submit)(struct transport *t, struct http_req *req, long delay_ms);
	/* Stop: requests still queued or in flight complete with
	 * CURLE_ABORTED_BY_CALLBACK, then everything is freed. */
	void (*free)(struct transport *t);
};

struct transport {
	const struct transport_ops *ops;
};

static inline int transport_submit(struct transport *t, struct http_req *req,
				   long delay_ms)
{
	return t->ops->submit(t, req, delay_ms);
}

static inline void transport_free(struct transport *t)
{
	if (t)
		t->ops->free(t);
}

/* Reset the result fields of req for another attempt (keeps the errbody
 * memory). */
void http_req_reset(struct http_req *req);
void http_req_release(struct http_req *req);

/* The real transport: one thread, one curl multi handle, connections reused
 * and capped at max_host_conns per host.  NULL on failure. */
struct transport *http_engine_new(unsigned max_host_conns);

/* Milliseconds on the monotonic clock. */
uint64_t http_now_ms(void);

#endif
