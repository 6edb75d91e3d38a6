/*
 * s3_op: one S3 call in flight, private to backend/s3_*.c.
 *
 * An op describes a request (method, key, query, headers, body) and how to
 * take its answer.  s3_op_start() signs and sends it; each attempt is signed
 * afresh (a retry may come much later).  When an attempt fails in a way worth
 * retrying, the op is sent again after a back-off, from the transport's
 * thread; when it is finished, op->complete runs once.  s3_op_run() does all
 * that and waits.
 *
 * Ownership: the op borrows bucket, key and body from its caller until it
 * completes; it owns everything else it points to (s3_op_release()).
 */
#ifndef LM_S3_OP_H
#define LM_S3_OP_H

#include <pthread.h>

#include "s3.h"
#include "uri.h"

#define S3_OP_MAXHDR (S3_MAX_META + 12)

struct s3_client {
	struct transport *t;
	char *scheme;		/* "http" or "https" */
	char *hostport;		/* "127.0.0.1:7480" */
	char *region;
	char *bucket;
	int path_style;
	int anonymous;
	int tls_verify;
	char *ca_file;		/* NULL: the system's CAs */
	int list_v1;
	struct creds creds;
	unsigned max_attempts;
	long connect_timeout_ms;
	long stall_ms;
	long deadline_ms;
	long retry_base_ms;
	uint64_t part_size;
	uint64_t multipart_threshold;
	uint64_t copy_threshold;
	unsigned part_parallel;
	pthread_mutex_t rng_lock;	/* guards rng */
	unsigned rng;
	s3_observer_fn observe;		/* set before the first request */
	void *observe_arg;
};

struct s3_op {
	struct s3_client *c;
	const char *method;
	const char *bucket;		/* borrowed; NULL: the client's */
	const char *key;		/* borrowed; NULL: a bucket-level call */
	struct strbuf query;		/* canonical query string */
	char *hname[S3_OP_MAXHDR];	/* extra headers, signed too */
	char *hvalue[S3_OP_MAXHDR];
	size_t nhdr;
	const char *body;		/* borrowed */
	size_t body_len;
	char payload_hash[65];
	int unsigned_payload;
	long extra_deadline_ms;		/* large transfers get more time */
	long extra_stall_ms;		/* and calls the server works on
					 * before it answers, more silence */

	/* How a 2xx body is taken: on_body, else buffered in resp (capped). */
	int (*on_body)(struct s3_op *op, const char *data, size_t len);
	struct strbuf resp;
	/* Called on a 2xx answer; may turn it into a failure by filling
	 * op->err and returning -1 (a 200 with an <Error> body). */
	int (*on_success)(struct s3_op *op);
	/* Called before each attempt (a resumed GET moves its range).
	 * Returns 0 to send, 1 when nothing is left to fetch (the op then
	 * succeeds without sending), -1 with op->err set to fail. */
	int (*before_attempt)(struct s3_op *op);
	void *ctx;			/* for those hooks */

	struct s3_object_info info;	/* from the answer's headers */
	/* This attempt's Content-Length and the length its Content-Range
	 * ("bytes a-b/n": b-a+1) says, 0 when absent (a 2xx only). */
	uint64_t resp_length, resp_range_len;

	/* Completion: called once, on any thread. */
	void (*complete)(struct s3_op *op);
	void *arg;

	/* Attempt state. */
	struct s3_error err;
	unsigned attempt;
	uint64_t deadline;		/* monotonic ms */
	struct http_req http;
	struct strbuf url;
	struct curl_slist *slist;
	int noretry;			/* this failure must not be retried */
	uint64_t bytes_in;		/* 2xx body bytes, all attempts */
	uint64_t copy_bytes;		/* a copy: the source bytes it copies */
	uint64_t attempt_in;		/* bytes_in when this attempt began */
	struct timespec attempt_t0;	/* when this attempt was due to start */
};

void s3_op_init(struct s3_op *op, struct s3_client *c, const char *method,
		const char *key);
void s3_op_release(struct s3_op *op);

/* Set the query (value NULL: a bare sub-resource such as "uploads"), all
 * parameters in one call since they are canonicalised together.  Returns 0
 * or -1. */
int s3_op_queries(struct s3_op *op, const struct uri_param *params, size_t n);
/* Add (or with the same name, replace) a header.  Returns 0 or -1. */
int s3_op_header(struct s3_op *op, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void s3_op_body(struct s3_op *op, const void *data, size_t len);

/* Start asynchronously; op->complete will be called.  Returns 0, or -1 if it
 * could not start (complete is then not called; op->err says why). */
int s3_op_start(struct s3_op *op);
/* Start and wait.  Returns 0, or -1 with *err filled from op->err. */
int s3_op_run(struct s3_op *op, struct s3_error *err);

/* Fail op->err with a protocol/nomem error. */
void s3_op_fail(struct s3_op *op, enum s3_status st, const char *msg);

/* Content-Type and x-amz-meta-* headers of an upload or copy; 0 or -1. */
int s3_op_put_headers(struct s3_op *op, const char *content_type,
		      const struct s3_meta *meta, size_t nmeta);

/* Unquote an ETag into out. */
void s3_etag_copy(char out[S3_ETAG_MAX], const char *etag);

/* A countdown of ops running in parallel (multipart parts). */
struct s3_group {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned running;	/* guarded by lock */
	int failed;		/* guarded by lock */
	struct s3_error err;	/* the first failure; guarded by lock */
};

void s3_group_init(struct s3_group *g);
void s3_group_release(struct s3_group *g);
/* Start op in g; op->complete must end with s3_group_done(g, &its error)
 * and not touch g after it. */
int s3_group_start(struct s3_group *g, struct s3_op *op);
void s3_group_done(struct s3_group *g, const struct s3_error *e);
/* Record a failure of the caller's own (the group stops starting ops). */
void s3_group_fail(struct s3_group *g, const struct s3_error *e);
/* Wait until at most max ops run; returns -1 if any op failed. */
int s3_group_wait(struct s3_group *g, unsigned max);

#endif
