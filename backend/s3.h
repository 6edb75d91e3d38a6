/*
 * s3: the S3 client.  Knows HTTP and S3; nothing of FUSE, inodes or SQLite.
 *
 * Every call fills a struct s3_error on failure and returns -1; 0 on
 * success.  Calls are safe from any number of threads at once: they are
 * carried out by the client's transport (one thread, libcurl multi), and the
 * calling thread waits.  Transient failures (5xx, 429/SlowDown,
 * RequestTimeout, resets, timeouts) are retried with exponential back-off and
 * jitter, up to max_attempts and the deadline; other 4xx never are.
 */
#ifndef LM_S3_H
#define LM_S3_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "creds.h"
#include "http.h"
#include "s3err.h"
#include "strbuf.h"
#include "xml.h"

#define S3_ETAG_MAX 128
#define S3_MAX_META 32
#define S3_MIN_PART ((uint64_t)5 << 20)
#define S3_MAX_COPY ((uint64_t)5 << 30)	/* CopyObject's limit */

struct s3_client_opts {
	const char *endpoint;	/* "http://127.0.0.1:7480", "https://s3.amazonaws.com" */
	const char *region;
	const char *bucket;
	int path_style;		/* else virtual-hosted: bucket.host */
	int anonymous;		/* unsigned requests (public buckets) */
	int tls_verify;
	const char *ca_file;	/* PEM file of trusted CAs; NULL: the system's (copied) */
	const struct creds *creds;	/* copied; ignored when anonymous */
	int list_v1;		/* ListObjects v1 (marker) */
	unsigned max_connections;	/* per endpoint; default 16 */
	unsigned max_attempts;		/* default 16 (some 50 s of back-off) */
	long connect_timeout_ms;	/* default 3000 */
	long stall_timeout_ms;		/* default 10000 */
	long deadline_ms;		/* per call, all attempts; default 30000 */
	long retry_base_ms;		/* first back-off; default 100 */
	uint64_t part_size;		/* multipart part size; default 8 MiB */
	uint64_t multipart_threshold;	/* upload: multipart above; default 16 MiB */
	uint64_t copy_threshold;	/* copy: part copies above; default 5 GiB */
	unsigned part_parallel;		/* parts in flight per upload; default 4 */
	/* NULL: the client makes its own engine.  Otherwise the client uses
	 * (and frees, in s3_client_free) this one, e.g. a fault wrapper. */
	struct transport *transport;
};

struct s3_client;

/* NULL with err set on failure (bad endpoint, ENOMEM). */
struct s3_client *s3_client_new(const struct s3_client_opts *o, struct s3_error *err);
void s3_client_free(struct s3_client *c);
const char *s3_client_bucket(const struct s3_client *c);

/* One attempt of a request, as it ended: for counters and debug logs.  It
 * carries no header, query string or signature, so nothing secret. */
struct s3_request_event {
	const char *op;		/* "GetObject", "ListObjectsV2", ... (s3_op_names) */
	const char *method;
	const char *bucket;
	const char *key;	/* NULL for a bucket-level call */
	long http_status;	/* 0: no response came */
	enum s3_status status;	/* S3_OK, or why the attempt failed */
	const char *error;	/* S3 error code or transport message; "" if none */
	unsigned attempt;	/* 1 for the first */
	int final;		/* no other attempt follows */
	double seconds;		/* this attempt, from sending to its end */
	uint64_t bytes_down;	/* body bytes received by this attempt */
	uint64_t bytes_up;	/* body bytes sent by this attempt */
	uint64_t bytes_copied;	/* CopyObject/UploadPartCopy: source bytes copied */
};

typedef void (*s3_observer_fn)(void *arg, const struct s3_request_event *ev);

/* Set before the first request.  fn runs on the transport's thread for
 * every attempt: it must be quick and must not call into the client. */
void s3_client_set_observer(struct s3_client *c, s3_observer_fn fn, void *arg);

/* The operation names an event can carry, NULL-terminated. */
extern const char *const s3_op_names[];

struct s3_meta {
	char *name;	/* without "x-amz-meta-", lower case */
	char *value;
};

struct s3_object_info {
	uint64_t size;			/* whole object, even for a ranged GET */
	char etag[S3_ETAG_MAX];		/* without quotes */
	time_t mtime;
	char content_type[128];
	struct s3_meta meta[S3_MAX_META];
	size_t nmeta;
};

void s3_object_info_release(struct s3_object_info *info);
/* The value of x-amz-meta-NAME (name in lower case, without the prefix),
 * or NULL. */
const char *s3_object_meta(const struct s3_object_info *info, const char *name);

/* ---- listing ---- */

struct s3_list_params {
	const char *prefix;		/* NULL or "" for none */
	const char *delimiter;		/* "/" for one level; NULL for none */
	const char *start_after;	/* v2 start-after / v1 marker on the first page */
	const char *token;		/* from the previous page's next_token */
	unsigned max_keys;		/* 0: server default (1000) */
};

/* Fetch one page; fn sees each key and common prefix of it in order, once,
 * and only after the whole page arrived intact.  res->next_token is set when
 * the listing goes on. */
int s3_list(struct s3_client *c, const struct s3_list_params *p, s3_list_fn fn,
	    void *arg, struct xml_list_result *res, struct s3_error *err);

/* ---- objects ---- */

int s3_head(struct s3_client *c, const char *key, struct s3_object_info *info,
	    struct s3_error *err);

struct s3_get_params {
	const char *key;
	uint64_t off;
	uint64_t len;		/* 0: to the end */
	const char *if_match;	/* ETag the object must still have, or NULL */
	/* Where the bytes go: into buf (cap bytes), or to sink.  A retry after
	 * a partial answer resumes where it stopped, pinned to the same ETag. */
	void *buf;
	size_t cap;
	int (*sink)(void *arg, const char *data, size_t len);
	void *sink_arg;
};

/* *got (may be NULL) is the number of bytes delivered; info (may be NULL)
 * gets the object's size, ETag and metadata. */
int s3_get(struct s3_client *c, const struct s3_get_params *p, size_t *got,
	   struct s3_object_info *info, struct s3_error *err);

struct s3_put_opts {
	const char *content_type;
	const struct s3_meta *meta;
	size_t nmeta;
};

/* PUT with a signed payload hash, which the server checks the body against
 * (so no Content-MD5, a second hash of every byte; UploadPart likewise).
 * etag (may be NULL) gets the new ETag. */
int s3_put(struct s3_client *c, const char *key, const void *data, size_t len,
	   const struct s3_put_opts *o, char etag[S3_ETAG_MAX], struct s3_error *err);

/* PUT for small bodies, multipart (parts in parallel) above the threshold. */
int s3_upload(struct s3_client *c, const char *key, const void *data, size_t len,
	      const struct s3_put_opts *o, char etag[S3_ETAG_MAX], struct s3_error *err);

int s3_delete(struct s3_client *c, const char *key, struct s3_error *err);

/* DeleteObjects in batches of 1,000.  Keys the server refused are passed to
 * fn (may be NULL); the call fails if any was refused. */
int s3_delete_many(struct s3_client *c, const char *const *keys, size_t n,
		   xml_delete_err_fn fn, void *arg, struct s3_error *err);

/* ---- copies ---- */

struct s3_copy_opts {
	const char *src_bucket;		/* NULL: the client's bucket */
	int replace_meta;		/* MetadataDirective REPLACE (with the below) */
	const char *content_type;
	const struct s3_meta *meta;
	size_t nmeta;
	const char *if_match;		/* source ETag, or NULL */
};

/* Server-side copy: CopyObject, or UploadPartCopy in parallel parts when the
 * source is over copy_threshold (always over 5 GiB). */
int s3_copy(struct s3_client *c, const char *src_key, const char *dst_key,
	    const struct s3_copy_opts *o, char etag[S3_ETAG_MAX], struct s3_error *err);

/* ---- multipart, piece by piece ---- */

struct s3_part {
	unsigned number;	/* 1..10000 */
	char etag[S3_ETAG_MAX];
};

/* *upload_id is malloc'd; the caller frees it. */
int s3_mpu_create(struct s3_client *c, const char *key, const struct s3_put_opts *o,
		  char **upload_id, struct s3_error *err);
int s3_mpu_part(struct s3_client *c, const char *key, const char *upload_id,
		struct s3_part *part, const void *data, size_t len, struct s3_error *err);
int s3_mpu_part_copy(struct s3_client *c, const char *key, const char *upload_id,
		     struct s3_part *part, const char *src_bucket, const char *src_key,
		     uint64_t off, uint64_t len, const char *if_match, struct s3_error *err);
/* When the server's answer has no ETag (Ceph RGW 16), it is read with HEAD. */
int s3_mpu_complete(struct s3_client *c, const char *key, const char *upload_id,
		    const struct s3_part *parts, size_t n, char etag[S3_ETAG_MAX],
		    struct s3_error *err);
int s3_mpu_abort(struct s3_client *c, const char *key, const char *upload_id,
		 struct s3_error *err);

/* ---- buckets (tests and tools) ---- */

int s3_bucket_create(struct s3_client *c, const char *bucket, struct s3_error *err);
int s3_bucket_delete(struct s3_client *c, const char *bucket, struct s3_error *err);

/* A presigned GET URL for key, valid for expires seconds (appended to url). */
int s3_presign_get(struct s3_client *c, const char *key, unsigned expires,
		   struct strbuf *url, struct s3_error *err);

#endif
