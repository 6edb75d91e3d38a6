/*
 * stats: counters since mount, fed by the S3 clients' observers (one
 * attempt of a request at a time), for `lakemount-ctl stats` and status,
 * and the Prometheus text of -o metrics_file.
 */
#ifndef LM_STATS_H
#define LM_STATS_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "s3.h"

struct stats;

/* What the stats cannot see themselves, taken when they are reported. */
struct stats_extra {
	double uptime_s;
	uint64_t cache_hits, cache_misses, evictions;
	uint64_t cache_used, cache_max, cache_blocks;
	uint64_t dirty, journal, uploading, staged_bytes;
};

/* One per mount: nsources slots for the sources' health.  NULL when out of
 * memory. */
struct stats *stats_new(size_t nsources);
void stats_free(struct stats *s);

/* Make client c (source number i) report to s. */
void stats_attach(struct stats *s, struct s3_client *c, size_t i);

/* An open was given FUSE passthrough (fs/passthru.h); how many were. */
void stats_passthrough_open(struct stats *s);
uint64_t stats_passthrough_opens(struct stats *s);

/* The counters as the "stats" object of the control protocol (fs/ctl.h). */
json_t *stats_json(struct stats *s, const struct stats_extra *x);

/* Attempts by HTTP kind (every attempt counts), failures (requests that
 * failed after their retries; a HEAD's 404, which says a key is absent,
 * is not one) and body bytes received, summed over the sources:
 * user.lakemount.stats. */
struct stats_methods {
	uint64_t list, head, get, put, post, del, retries, failures, bytes_in;
};
void stats_methods(struct stats *s, struct stats_methods *out);

/* Source i's health for status: "ok", "failing" or "unknown", its counts,
 * and its last error (msg "" when none; age in seconds). */
struct stats_source {
	const char *health;
	uint64_t requests, failures;
	char last_error[320];
	double last_error_age;
};
void stats_source(struct stats *s, size_t i, struct stats_source *out);

/* The same as Prometheus text (exposition format 0.0.4).  0 or -1. */
int stats_prometheus(struct stats *s, const struct stats_extra *x, FILE *out);

#endif
