/*
 * stats: counters since mount.
 *
 * Every attempt of every S3 request is counted once, by operation and
 * outcome (so a request retried twice counts three times, and "retries"
 * says how many of them were retries), with its time in a histogram of
 * Prometheus' default buckets.  The observer runs on the transport's
 * thread, so it only takes one mutex (stats.lock, a leaf: nothing is called
 * under it) and adds numbers.
 */
#include "stats.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

enum outcome { OUT_OK, OUT_CLIENT, OUT_SERVER, OUT_NETWORK, NOUT };

static const char *const outcome_names[NOUT] = {
	"ok", "client_error", "server_error", "network_error",
};

static const double bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NB (sizeof(bounds) / sizeof(bounds[0]))
#define MAXOPS 24

struct op_counts {
	uint64_t by[NOUT];
	uint64_t bucket[NB];	/* not cumulative here */
	uint64_t count;
	double sum;
};

struct source_slot {
	struct stats *s;
	size_t i;
	uint64_t requests, failures;
	int seen, failing;
	char last_error[320];
	struct timespec last_error_at;
};

struct stats {
	pthread_mutex_t lock;	/* guards everything below */
	struct stats_methods m;	/* retries, bytes_in: from below */
	struct op_counts ops[MAXOPS];
	uint64_t retries, down, up, copied;
	uint64_t passthrough;	/* opens read by the kernel from the cache */
	struct source_slot *src;
	size_t nsrc;
};

struct stats *stats_new(size_t nsources)
{
	struct stats *s = calloc(1, sizeof(*s));
	size_t i;

	if (!s)
		return NULL;
	s->src = calloc(nsources ? nsources : 1, sizeof(*s->src));
	if (!s->src) {
		free(s);
		return NULL;
	}
	for (i = 0; i < nsources; i++) {
		s->src[i].s = s;
		s->src[i].i = i;
	}
	s->nsrc = nsources;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void stats_free(struct stats *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s->src);
	free(s);
}

static size_t op_index(const char *op)
{
	size_t i;

	for (i = 0; s3_op_names[i] && i < MAXOPS; i++)
		if (!strcmp(s3_op_names[i], op))
			return i;
	return MAXOPS;
}

static enum outcome outcome_of(const struct s3_request_event *ev)
{
	if (ev->status == S3_OK)
		return OUT_OK;
	if (!ev->http_status)
		return OUT_NETWORK;
	return ev->http_status >= 500 ? OUT_SERVER : OUT_CLIENT;
}

/* Does this failure say the source is unwell (as opposed to, say, a 404
 * that only says the key is absent)? */
static int unwell(const struct s3_request_event *ev)
{
	return ev->status != S3_OK &&
	       (!ev->http_status || ev->http_status >= 500 || ev->http_status == 401 ||
		ev->http_status == 403);
}

/* Did the request fail, once its retries are over?  A HEAD's 404 is an
 * answer, not a failure: every lookup of a name not in the index asks
 * whether a key of that name exists, and the first walk of a path makes one
 * for each directory on it.  A GET's 404 (an object gone behind a listing)
 * is a failure: a read got EIO. */
static int failed(const struct s3_request_event *ev)
{
	return ev->final && ev->status != S3_OK &&
	       !(ev->status == S3_ERR_NOT_FOUND && !strcmp(ev->method, "HEAD"));
}

static void observe(void *arg, const struct s3_request_event *ev)
{
	struct source_slot *slot = arg;
	struct stats *s = slot->s;
	size_t i = op_index(ev->op), b;
	enum outcome o = outcome_of(ev);

	log_request(ev);
	pthread_mutex_lock(&s->lock);
	if (i < MAXOPS) {
		struct op_counts *c = &s->ops[i];

		c->by[o]++;
		for (b = 0; b < NB && ev->seconds > bounds[b]; b++)
			;
		if (b < NB)
			c->bucket[b]++;
		c->count++;
		c->sum += ev->seconds;
	}
	if (!strcmp(ev->method, "GET"))
		*(ev->key ? &s->m.get : &s->m.list) += 1;
	else if (!strcmp(ev->method, "HEAD"))
		s->m.head++;
	else if (!strcmp(ev->method, "PUT"))
		s->m.put++;
	else if (!strcmp(ev->method, "POST"))
		s->m.post++;
	else
		s->m.del++;
	if (ev->attempt > 1)
		s->retries++;
	s->down += ev->bytes_down;
	if (ev->status == S3_OK)
		s->up += ev->bytes_up;
	s->copied += ev->bytes_copied;
	slot->requests++;
	slot->seen = 1;
	if (ev->final)
		slot->failing = unwell(ev);
	if (failed(ev)) {
		slot->failures++;
		s->m.failures++;
	}
	if (unwell(ev)) {
		snprintf(slot->last_error, sizeof(slot->last_error), "%s %s: %s%s%s",
			 ev->op, ev->key ? ev->key : ev->bucket, s3_status_name(ev->status),
			 ev->error[0] ? ": " : "", ev->error);
		clock_gettime(CLOCK_MONOTONIC, &slot->last_error_at);
	}
	pthread_mutex_unlock(&s->lock);
}

void stats_attach(struct stats *s, struct s3_client *c, size_t i)
{
	if (s && i < s->nsrc)
		s3_client_set_observer(c, observe, &s->src[i]);
}

static double age_of(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

void stats_source(struct stats *s, size_t i, struct stats_source *out)
{
	struct source_slot *slot;

	memset(out, 0, sizeof(*out));
	out->health = "unknown";
	if (!s || i >= s->nsrc)
		return;
	slot = &s->src[i];
	pthread_mutex_lock(&s->lock);
	out->health = !slot->seen ? "unknown" : slot->failing ? "failing" : "ok";
	out->requests = slot->requests;
	out->failures = slot->failures;
	snprintf(out->last_error, sizeof(out->last_error), "%s", slot->last_error);
	if (slot->last_error[0])
		out->last_error_age = age_of(&slot->last_error_at);
	pthread_mutex_unlock(&s->lock);
}

void stats_methods(struct stats *s, struct stats_methods *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->m;
	out->retries = s->retries;
	out->bytes_in = s->down;
	pthread_mutex_unlock(&s->lock);
}

/* The counters, copied under the lock so that reports are consistent. */
struct snapshot {
	struct op_counts ops[MAXOPS];
	uint64_t retries, down, up, copied, passthrough;
};

static void snap(struct stats *s, struct snapshot *out)
{
	pthread_mutex_lock(&s->lock);
	memcpy(out->ops, s->ops, sizeof(out->ops));
	out->retries = s->retries;
	out->down = s->down;
	out->up = s->up;
	out->copied = s->copied;
	out->passthrough = s->passthrough;
	pthread_mutex_unlock(&s->lock);
}

void stats_passthrough_open(struct stats *s)
{
	pthread_mutex_lock(&s->lock);
	s->passthrough++;
	pthread_mutex_unlock(&s->lock);
}

uint64_t stats_passthrough_opens(struct stats *s)
{
	struct snapshot sn;

	snap(s, &sn);
	return sn.passthrough;
}

/* Set key to a new integer, keeping the pack calls short. */
static int set_int(json_t *o, const char *key, uint64_t v)
{
	return json_object_set_new(o, key, json_integer((json_int_t)v));
}

static json_t *latency_json(const struct op_counts *c)
{
	json_t *o = json_object(), *le = json_array(), *counts = json_array();
	uint64_t cum = 0;
	size_t b;

	if (!o || !le || !counts)
		goto fail;
	for (b = 0; b < NB; b++) {
		cum += c->bucket[b];
		if (json_array_append_new(le, json_real(bounds[b])) ||
		    json_array_append_new(counts, json_integer((json_int_t)cum)))
			goto fail;
	}
	if (json_object_set_new(o, "le", le) || json_object_set_new(o, "counts", counts))
		goto fail_o;
	if (set_int(o, "count", c->count) ||
	    json_object_set_new(o, "sum_s", json_real(c->sum)))
		goto fail_o;
	return o;
fail:
	json_decref(le);
	json_decref(counts);
fail_o:
	json_decref(o);
	return NULL;
}

json_t *stats_json(struct stats *s, const struct stats_extra *x)
{
	struct snapshot sn;
	json_t *root, *req = json_object(), *lat = json_object(), *o;
	size_t i, k;

	snap(s, &sn);
	root = json_pack("{s:f,s:I,s:{s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I,s:I,s:I}}",
			 "uptime_s", x->uptime_s, "retries", (json_int_t)sn.retries,
			 "bytes", "down", (json_int_t)sn.down, "up", (json_int_t)sn.up,
			 "copied", (json_int_t)sn.copied,
			 "cache", "hits", (json_int_t)x->cache_hits,
			 "misses", (json_int_t)x->cache_misses,
			 "evictions", (json_int_t)x->evictions,
			 "used_bytes", (json_int_t)x->cache_used,
			 "max_bytes", (json_int_t)x->cache_max,
			 "passthrough_opens", (json_int_t)sn.passthrough);
	if (!root || !req || !lat)
		goto fail;
	for (i = 0; i < MAXOPS && s3_op_names[i]; i++) {
		if (!sn.ops[i].count)
			continue;
		if (!(o = json_object()) || json_object_set_new(req, s3_op_names[i], o))
			goto fail;
		for (k = 0; k < NOUT; k++)
			if (set_int(o, outcome_names[k], sn.ops[i].by[k]))
				goto fail;
		if (!(o = latency_json(&sn.ops[i])) || json_object_set_new(lat, s3_op_names[i], o))
			goto fail;
	}
	if (json_object_set(root, "requests", req) || json_object_set(root, "latency", lat))
		goto fail;
	json_decref(req);
	json_decref(lat);
	return root;
fail:
	json_decref(req);
	json_decref(lat);
	json_decref(root);
	return NULL;
}

/* ---- Prometheus text ---- */

static void head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(FILE *out, const char *name, const char *type, const char *help,
		  double v)
{
	head(out, name, type, help);
	fprintf(out, "%s %.17g\n", name, v);
}

/* The metrics that are one number of struct stats_extra each. */
static const struct {
	const char *name, *type, *help;
	size_t off;
} plain[] = {
	{ "lakemount_cache_hits_total", "counter", "Block reads served by the cache.",
	  offsetof(struct stats_extra, cache_hits) },
	{ "lakemount_cache_misses_total", "counter", "Block reads that had to go to S3.",
	  offsetof(struct stats_extra, cache_misses) },
	{ "lakemount_cache_evictions_total", "counter", "Blocks evicted from the cache.",
	  offsetof(struct stats_extra, evictions) },
	{ "lakemount_cache_used_bytes", "gauge", "Bytes stored in the block cache.",
	  offsetof(struct stats_extra, cache_used) },
	{ "lakemount_cache_max_bytes", "gauge", "The block cache's cap.",
	  offsetof(struct stats_extra, cache_max) },
	{ "lakemount_dirty_files", "gauge", "Files with changes not yet in S3.",
	  offsetof(struct stats_extra, dirty) },
	{ "lakemount_journal_length", "gauge", "Operations waiting in the journal.",
	  offsetof(struct stats_extra, journal) },
	{ "lakemount_uploads_in_flight", "gauge", "Uploads under way.",
	  offsetof(struct stats_extra, uploading) },
};

int stats_prometheus(struct stats *s, const struct stats_extra *x, FILE *out)
{
	struct snapshot sn;
	size_t i, k, b;
	uint64_t cum;

	snap(s, &sn);
	head(out, "lakemount_s3_requests_total", "counter",
	     "S3 request attempts by operation and outcome.");
	for (i = 0; i < MAXOPS && s3_op_names[i]; i++)
		for (k = 0; k < NOUT && sn.ops[i].count; k++)
			fprintf(out, "lakemount_s3_requests_total{op=\"%s\",outcome=\"%s\"} %llu\n",
				s3_op_names[i], outcome_names[k],
				(unsigned long long)sn.ops[i].by[k]);
	head(out, "lakemount_s3_request_duration_seconds", "histogram",
	     "Time of S3 request attempts by operation.");
	for (i = 0; i < MAXOPS && s3_op_names[i]; i++) {
		const struct op_counts *c = &sn.ops[i];

		if (!c->count)
			continue;
		for (b = 0, cum = 0; b < NB; b++) {
			cum += c->bucket[b];
			fprintf(out, "lakemount_s3_request_duration_seconds_bucket{op=\"%s\","
				"le=\"%g\"} %llu\n", s3_op_names[i], bounds[b],
				(unsigned long long)cum);
		}
		fprintf(out, "lakemount_s3_request_duration_seconds_bucket{op=\"%s\",le=\"+Inf\"} "
			"%llu\n", s3_op_names[i], (unsigned long long)c->count);
		fprintf(out, "lakemount_s3_request_duration_seconds_sum{op=\"%s\"} %.9g\n",
			s3_op_names[i], c->sum);
		fprintf(out, "lakemount_s3_request_duration_seconds_count{op=\"%s\"} %llu\n",
			s3_op_names[i], (unsigned long long)c->count);
	}
	gauge(out, "lakemount_s3_retries_total", "counter", "S3 request attempts that were retries.",
	      (double)sn.retries);
	head(out, "lakemount_s3_bytes_total", "counter",
	     "Body bytes received from S3 (down), sent (up), and copied server-side.");
	fprintf(out, "lakemount_s3_bytes_total{direction=\"down\"} %llu\n"
		     "lakemount_s3_bytes_total{direction=\"up\"} %llu\n"
		     "lakemount_s3_bytes_total{direction=\"copied\"} %llu\n",
		(unsigned long long)sn.down, (unsigned long long)sn.up,
		(unsigned long long)sn.copied);
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		gauge(out, plain[i].name, plain[i].type, plain[i].help,
		      (double)*(const uint64_t *)((const char *)x + plain[i].off));
	gauge(out, "lakemount_passthrough_opens_total", "counter",
	      "Opens the kernel read straight from the cache (FUSE passthrough).",
	      (double)sn.passthrough);
	gauge(out, "lakemount_uptime_seconds", "gauge", "Seconds since the mount.", x->uptime_s);
	return ferror(out) ? -1 : 0;
}
