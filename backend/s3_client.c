/*
 * The client: endpoint, credentials, limits; and the calls on buckets.
 */
#include "s3_op.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sigv4.h"
#include "uri.h"

static int parse_endpoint(struct s3_client *c, const char *endpoint, struct s3_error *err)
{
	const char *rest;
	size_t n;

	if (!strncmp(endpoint, "http://", 7)) {
		c->scheme = strdup("http");
		rest = endpoint + 7;
	} else if (!strncmp(endpoint, "https://", 8)) {
		c->scheme = strdup("https");
		rest = endpoint + 8;
	} else {
		snprintf(err->message, sizeof(err->message),
			 "endpoint '%s' must start with http:// or https://", endpoint);
		err->status = S3_ERR_INVALID;
		return -1;
	}
	n = strcspn(rest, "/?#");
	if (!n || rest[n + strspn(rest + n, "/")]) {
		snprintf(err->message, sizeof(err->message),
			 "endpoint '%s' must be scheme://host[:port] with no path", endpoint);
		err->status = S3_ERR_INVALID;
		return -1;
	}
	c->hostport = strndup(rest, n);
	if (!c->scheme || !c->hostport) {
		err->status = S3_ERR_NOMEM;
		return -1;
	}
	return 0;
}

/* Limits and defaults from o into c. */
static void client_limits(struct s3_client *c, const struct s3_client_opts *o)
{
	c->path_style = o->path_style;
	c->anonymous = o->anonymous;
	c->tls_verify = o->tls_verify;
	c->list_v1 = o->list_v1;
	c->max_attempts = o->max_attempts ? o->max_attempts : 16;
	c->connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms : 3000;
	c->stall_ms = o->stall_timeout_ms ? o->stall_timeout_ms : 10000;
	c->deadline_ms = o->deadline_ms ? o->deadline_ms : 30000;
	c->retry_base_ms = o->retry_base_ms > 0 ? o->retry_base_ms : 100;
	c->part_size = o->part_size ? o->part_size : (8u << 20);
	if (c->part_size < S3_MIN_PART)
		c->part_size = S3_MIN_PART;
	c->multipart_threshold = o->multipart_threshold ? o->multipart_threshold
							: (16u << 20);
	c->copy_threshold = o->copy_threshold ? o->copy_threshold : S3_MAX_COPY;
	if (c->copy_threshold > S3_MAX_COPY)
		c->copy_threshold = S3_MAX_COPY;
	c->part_parallel = o->part_parallel ? o->part_parallel : 4;
}

struct s3_client *s3_client_new(const struct s3_client_opts *o, struct s3_error *err)
{
	struct s3_client *c;

	s3_error_clear(err);
	c = calloc(1, sizeof(*c));
	if (!c) {
		s3_error_set(err, S3_ERR_NOMEM, "");
		return NULL;
	}
	pthread_mutex_init(&c->rng_lock, NULL);
	c->rng = (unsigned)time(NULL) ^ (unsigned)getpid();
	if (parse_endpoint(c, o->endpoint ? o->endpoint : "", err))
		goto fail;
	client_limits(c, o);
	s3_error_set(err, S3_ERR_NOMEM, "");
	c->region = strdup(o->region && *o->region ? o->region : "us-east-1");
	c->bucket = strdup(o->bucket ? o->bucket : "");
	c->ca_file = o->ca_file ? strdup(o->ca_file) : NULL;
	if (!c->region || !c->bucket || (o->ca_file && !c->ca_file))
		goto fail;
	if (!c->anonymous) {
		if (!o->creds || !o->creds->access_key || !o->creds->secret_key) {
			s3_error_set(err, S3_ERR_INVALID, "no credentials given");
			goto fail;
		}
		if (creds_copy(&c->creds, o->creds))
			goto fail;
	}
	c->t = o->transport ? o->transport : http_engine_new(o->max_connections);
	if (!c->t)
		goto fail;
	s3_error_clear(err);
	return c;

fail:
	if (o->transport)
		c->t = NULL;	/* not ours to free on a failed creation */
	s3_client_free(c);
	return NULL;
}

void s3_client_free(struct s3_client *c)
{
	if (!c)
		return;
	transport_free(c->t);
	free(c->scheme);
	free(c->hostport);
	free(c->region);
	free(c->bucket);
	free(c->ca_file);
	creds_release(&c->creds);
	pthread_mutex_destroy(&c->rng_lock);
	free(c);
}

const char *s3_client_bucket(const struct s3_client *c)
{
	return c->bucket;
}

void s3_client_set_observer(struct s3_client *c, s3_observer_fn fn, void *arg)
{
	c->observe = fn;
	c->observe_arg = arg;
}

static int bucket_call(struct s3_client *c, const char *method, const char *bucket,
		       struct s3_error *err)
{
	struct s3_op op;
	int rc;

	s3_op_init(&op, c, method, NULL);
	op.bucket = bucket;
	rc = s3_op_run(&op, err);
	s3_op_release(&op);
	return rc;
}

int s3_bucket_create(struct s3_client *c, const char *bucket, struct s3_error *err)
{
	return bucket_call(c, "PUT", bucket, err);
}

int s3_bucket_delete(struct s3_client *c, const char *bucket, struct s3_error *err)
{
	return bucket_call(c, "DELETE", bucket, err);
}

int s3_presign_get(struct s3_client *c, const char *key, unsigned expires,
		   struct strbuf *url, struct s3_error *err)
{
	struct strbuf host = STRBUF_INIT, path = STRBUF_INIT, query = STRBUF_INIT;
	struct sigv4_key k = { c->creds.access_key, c->creds.secret_key, c->region, "s3" };
	struct sigv4_header h[1];
	struct sigv4_request rq = { "GET", NULL, "", h, 1, SIGV4_UNSIGNED_PAYLOAD };
	char date[17];
	int rc = -1;

	s3_error_set(err, S3_ERR_NOMEM, "");
	if (c->path_style) {
		if (strbuf_adds(&host, c->hostport) || strbuf_addf(&path, "/") ||
		    uri_encode(&path, c->bucket, strlen(c->bucket), 0) ||
		    strbuf_add(&path, "/", 1))
			goto out;
	} else if (strbuf_addf(&host, "%s.%s", c->bucket, c->hostport) ||
		   strbuf_add(&path, "/", 1)) {
		goto out;
	}
	if (uri_encode(&path, key, strlen(key), 1))
		goto out;
	h[0] = (struct sigv4_header){ "host", strbuf_str(&host) };
	rq.path = strbuf_str(&path);
	sigv4_amz_date(time(NULL), date);
	if (!c->anonymous &&
	    sigv4_presign(&query, &k, c->creds.session_token, date, expires, &rq))
		goto out;
	if (strbuf_addf(url, "%s://%s%s%s%s", c->scheme, strbuf_str(&host),
			strbuf_str(&path), query.len ? "?" : "", strbuf_str(&query)))
		goto out;
	s3_error_clear(err);
	rc = 0;
out:
	strbuf_release(&host);
	strbuf_release(&path);
	strbuf_release(&query);
	return rc;
}
