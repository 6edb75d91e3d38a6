/*
 * The control socket's commands on the cache and the counters: status,
 * stats, prefetch, pin, unpin, evict, verify, flush (copy is ctl_copy.c).
 *
 * Pins made by the user are kept in CACHE_DIR/pins, one "OBJECT_ID BLOCKS"
 * line each, rewritten whole on every change, and pinned again at the next
 * mount.  A pin holds the blocks of one object version: a replaced object
 * (new ETag, new id) is not pinned.  ctl.lock guards the list.
 */
#include "ctl_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blocks.h"
#include "lmfs.h"
#include "reader.h"
#include "stats.h"
#include "verify.h"
#include "writer.h"

#define FETCH_STEP (8u << 20)

static void extra(struct ctl *c, struct stats_extra *x)
{
	struct blocks_stats bs;
	struct writer_stats ws;

	blocks_stats(c->fs->blocks, &bs);
	writer_stats(c->fs, &ws);
	memset(x, 0, sizeof(*x));
	x->uptime_s = ctl_uptime(c);
	x->cache_hits = bs.hits;
	x->cache_misses = bs.misses;
	x->evictions = bs.evicted;
	x->cache_used = bs.stored_bytes;
	x->cache_max = c->fs->cfg->cache_max;
	x->cache_blocks = bs.nblocks;
	x->dirty = ws.dirty;
	x->journal = ws.journal;
	x->uploading = ws.uploading;
	x->staged_bytes = ws.staged_bytes;
}

/* The most recent error of any source, for status and flush. */
static void last_error(struct ctl *c, char *msg, size_t len, double *age)
{
	struct stats_source ss;
	size_t i;

	msg[0] = '\0';
	*age = -1;
	for (i = 0; i < c->fs->cfg->nsources; i++) {
		stats_source(c->fs->stats, i, &ss);
		if (ss.last_error[0] && (*age < 0 || ss.last_error_age < *age)) {
			snprintf(msg, len, "source '%s': %s", c->fs->cfg->sources[i].name,
				 ss.last_error);
			*age = ss.last_error_age;
		}
	}
}

json_t *ctl_cmd_status(struct ctl_req *r, json_t *req)
{
	struct ctl *c = r->c;
	struct stats_extra x;
	struct stats_source ss;
	json_t *sources = json_array(), *s, *last = NULL;
	char msg[512];
	double age;
	size_t i, npins;

	(void)req;
	extra(c, &x);
	if (!sources)
		return NULL;
	for (i = 0; i < c->fs->cfg->nsources; i++) {
		const struct config_source *src = &c->fs->cfg->sources[i];

		stats_source(c->fs->stats, i, &ss);
		s = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:o,s:o}", "name", src->name,
			      "endpoint", src->endpoint, "bucket", src->bucket, "health",
			      ss.health, "requests", (json_int_t)ss.requests, "failures",
			      (json_int_t)ss.failures, "last_error",
			      ss.last_error[0] ? json_string(ss.last_error) : json_null(),
			      "last_error_age_s",
			      ss.last_error[0] ? json_real(ss.last_error_age) : json_null());
		if (!s || json_array_append_new(sources, s)) {
			json_decref(sources);
			return NULL;
		}
	}
	last_error(c, msg, sizeof(msg), &age);
	if (msg[0])
		last = json_pack("{s:s,s:f}", "message", msg, "age_s", age);
	pthread_mutex_lock(&c->lock);
	npins = c->npins;
	pthread_mutex_unlock(&c->lock);
	return json_pack("{s:b,s:{s:s,s:i,s:f,s:o,s:{s:s,s:I,s:I,s:I,s:I},"
			 "s:{s:I,s:I,s:I,s:I},s:o}}",
			 "ok", 1, "status", "mountpoint", c->mountpoint, "pid", (int)getpid(),
			 "uptime_s", x.uptime_s, "sources", sources,
			 "cache", "dir", c->fs->cfg->cache_dir, "used_bytes",
			 (json_int_t)x.cache_used, "max_bytes", (json_int_t)x.cache_max,
			 "blocks", (json_int_t)x.cache_blocks, "pinned_files", (json_int_t)npins,
			 "writes", "dirty_files", (json_int_t)x.dirty, "journal",
			 (json_int_t)x.journal, "uploading", (json_int_t)x.uploading,
			 "staged_bytes", (json_int_t)x.staged_bytes,
			 "last_error", last ? last : json_null());
}

char *ctl_prometheus(struct ctl *c)
{
	struct stats_extra x;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f)
		return NULL;
	extra(c, &x);
	rc = stats_prometheus(c->fs->stats, &x, f);
	if (fclose(f) || rc) {
		free(text);
		return NULL;
	}
	return text;
}

json_t *ctl_cmd_stats(struct ctl_req *r, json_t *req)
{
	const char *format = json_string_value(json_object_get(req, "format"));
	struct stats_extra x;
	json_t *st;
	char *text;

	if (format && !strcmp(format, "prometheus")) {
		text = ctl_prometheus(r->c);
		if (!text)
			return NULL;
		st = json_pack("{s:b,s:s}", "ok", 1, "text", text);
		free(text);
		return st;
	}
	if (format && strcmp(format, "json"))
		return ctl_fail(EINVAL, "unknown format '%s' (json, prometheus)", format);
	extra(r->c, &x);
	st = stats_json(r->c->fs->stats, &x);
	return st ? json_pack("{s:b,s:o}", "ok", 1, "stats", st) : NULL;
}

/* ---- one file ---- */

/* The regular file at the request's "path": 0 and e filled, or a failure
 * answer in *fail. */
static int file_of(struct ctl_req *r, json_t *req, struct index_entry *e, const char **path,
		   json_t **fail)
{
	int rc;

	*path = json_string_value(json_object_get(req, "path"));
	*fail = NULL;
	if (!*path) {
		*fail = ctl_fail(EINVAL, "the request has no \"path\"");
		return -1;
	}
	rc = ctl_resolve(r->c, *path, e);
	if (rc) {
		*fail = ctl_fail(-rc, "%s: %s", *path, strerror(-rc));
		return -1;
	}
	if (e->kind != INDEX_FILE) {
		*fail = ctl_fail(EISDIR, "%s: is a directory (the client walks folders)", *path);
		goto bad;
	}
	if (e->tree < 0 || !e->etag[0]) {
		*fail = ctl_fail(EBUSY, "%s: not in S3 yet (being written); nothing to fetch",
				 *path);
		goto bad;
	}
	return 0;
bad:
	index_entry_release(e);
	return -1;
}

static uint64_t nblocks_of(struct ctl *c, const struct index_entry *e)
{
	uint32_t bs = blocks_block_size(c->fs->blocks);

	return (e->size + bs - 1) / bs;
}

/* Read e whole through the reader, so that every block lands in the cache.
 * Returns 0 (and *fetched: the bytes that came from S3), or a negative
 * errno (-ECANCELED when the client left or the daemon stops). */
static int fetch_all(struct ctl_req *r, const struct index_entry *e, uint64_t *fetched)
{
	struct lmfs *fs = r->c->fs;
	struct reader_span sp[READER_MAX_SPANS];
	struct fhandle *fh = NULL;
	char obj[BLOCKS_ID_LEN + 1];
	uint64_t before, off = 0, last = 0;
	ssize_t n;
	int nsp, rc, stalled;

	lmfs_object_id(r->c->fs, e, obj);
	before = blocks_cached_bytes(fs->blocks, obj);
	rc = reader_open(fs->reader, e, &fh);
	if (rc)
		return rc;
	while (off < e->size) {
		n = reader_spans(fs->reader, fh, FETCH_STEP, (off_t)off, sp, &nsp);
		if (n <= 0) {
			rc = n ? (int)n : -EIO;
			goto out;
		}
		reader_spans_release(fs->reader, sp, nsp);
		off += (uint64_t)n;
		if (ctl_progress(r, json_pack("{s:I,s:I}", "bytes", (json_int_t)off, "total",
					      (json_int_t)e->size), off == e->size)) {
			rc = -ECANCELED;
			goto out;
		}
	}
	/* Readers get blocks the moment they arrive; the fetch's worker
	 * stores them just after.  Answer once they are stored, so that the
	 * cache (and a checksum check) sees the whole file; give up after a
	 * while without progress (the cap may be evicting them). */
	for (stalled = 0; stalled < 100; stalled++) {
		uint64_t now = blocks_cached_bytes(fs->blocks, obj);

		if (now >= e->size)
			break;
		if (now != last)
			stalled = 0;
		last = now;
		usleep(10000);
	}
out:
	reader_release(fs->reader, fh);
	*fetched = off > before ? off - before : 0;
	return rc;
}

/* The answer of prefetch and pin: what fetch_all returned. */
static json_t *fetched_answer(const char *path, const struct index_entry *e, int rc,
			      uint64_t fetched)
{
	if (rc)
		return ctl_fail(-rc, "%s: %s", path,
				rc == -ENOSPC ? "the cache is full of pinned data" : strerror(-rc));
	return json_pack("{s:b,s:I,s:I}", "ok", 1, "bytes", (json_int_t)e->size, "fetched",
			 (json_int_t)fetched);
}

json_t *ctl_cmd_prefetch(struct ctl_req *r, json_t *req)
{
	struct index_entry e;
	const char *path;
	json_t *ans;
	uint64_t fetched = 0;
	int rc;

	if (file_of(r, req, &e, &path, &ans))
		return ans;
	rc = fetch_all(r, &e, &fetched);
	ans = fetched_answer(path, &e, rc, fetched);
	index_entry_release(&e);
	return ans;
}

json_t *ctl_cmd_verify(struct ctl_req *r, json_t *req)
{
	struct index_entry e;
	const char *path, *state;
	char obj[BLOCKS_ID_LEN + 1];
	json_t *fail;
	uint64_t fetched = 0;
	int rc;

	if (file_of(r, req, &e, &path, &fail))
		return fail;
	/* Once the object is whole in the cache, the reader checks it
	 * against its sidecar (verify.c); an enforced mismatch fails the
	 * read, which is an answer here, not an error. */
	rc = fetch_all(r, &e, &fetched);
	if (!rc)	/* a check the fetch started may still be running */
		rc = reader_verify(r->c->fs->reader, &e);
	lmfs_object_id(r->c->fs, &e, obj);
	state = verify_state(r->c->fs, &e, obj);
	if (rc && strcmp(state, "mismatch"))
		fail = ctl_fail(-rc, "%s: %s", path, strerror(-rc));
	else
		fail = json_pack("{s:b,s:s}", "ok", 1, "checksum", state);
	index_entry_release(&e);
	return fail;
}

/* ---- pins ---- */

static void pins_save(struct ctl *c)
{
	char tmp[4200];
	FILE *f;
	size_t i;

	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", c->pins_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (i = 0; i < c->npins; i++)
		fprintf(f, "%s %llu\n", c->pins[i], (unsigned long long)c->pin_blocks[i]);
	if (fclose(f) == 0)
		rename(tmp, c->pins_path);
	else
		unlink(tmp);
}

static ssize_t pin_find(struct ctl *c, const char *obj)
{
	size_t i;

	for (i = 0; i < c->npins; i++)
		if (!strcmp(c->pins[i], obj))
			return (ssize_t)i;
	return -1;
}

/* Add obj to the list and pin its blocks.  0, 1 if it was there, -1. */
static int pin_add(struct ctl *c, const char *obj, uint64_t nblocks, int save)
{
	char **p = NULL, *id = NULL;
	uint64_t *nb;
	int rc = -1;

	pthread_mutex_lock(&c->lock);
	if (pin_find(c, obj) >= 0) {
		rc = 1;
		goto out;
	}
	p = realloc(c->pins, (c->npins + 1) * sizeof(*p));
	if (p)
		c->pins = p;
	nb = realloc(c->pin_blocks, (c->npins + 1) * sizeof(*nb));
	if (nb)
		c->pin_blocks = nb;
	id = strdup(obj);
	if (!p || !nb || !id) {
		free(id);
		goto out;
	}
	c->pins[c->npins] = id;
	c->pin_blocks[c->npins++] = nblocks;
	if (nblocks)
		blocks_pin(c->fs->blocks, obj, 0, nblocks - 1);
	if (save)
		pins_save(c);
	rc = 0;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* Take obj off the list and unpin its blocks.  1 if it was pinned. */
static int pin_remove(struct ctl *c, const char *obj)
{
	ssize_t i;

	pthread_mutex_lock(&c->lock);
	i = pin_find(c, obj);
	if (i >= 0) {
		if (c->pin_blocks[i])
			blocks_unpin(c->fs->blocks, obj, 0, c->pin_blocks[i] - 1);
		free(c->pins[i]);
		c->pins[i] = c->pins[c->npins - 1];
		c->pin_blocks[i] = c->pin_blocks[c->npins - 1];
		c->npins--;
		pins_save(c);
	}
	pthread_mutex_unlock(&c->lock);
	return i >= 0;
}

void ctl_pins_load(struct ctl *c)
{
	char obj[BLOCKS_ID_LEN + 2];
	unsigned long long n;
	FILE *f = fopen(c->pins_path, "r");

	if (!f)
		return;
	while (fscanf(f, "%65s %llu", obj, &n) == 2)
		if (strlen(obj) == BLOCKS_ID_LEN)
			pin_add(c, obj, n, 0);
	fclose(f);
}

void ctl_pins_free(struct ctl *c)
{
	size_t i;

	for (i = 0; i < c->npins; i++) {
		if (c->pin_blocks[i])
			blocks_unpin(c->fs->blocks, c->pins[i], 0, c->pin_blocks[i] - 1);
		free(c->pins[i]);
	}
	free(c->pins);
	free(c->pin_blocks);
	c->pins = NULL;
	c->pin_blocks = NULL;
	c->npins = 0;
}

json_t *ctl_cmd_pin(struct ctl_req *r, json_t *req)
{
	struct index_entry e;
	char obj[BLOCKS_ID_LEN + 1];
	const char *path;
	json_t *fail;
	uint64_t fetched = 0;
	int rc, had;

	if (file_of(r, req, &e, &path, &fail))
		return fail;
	lmfs_object_id(r->c->fs, &e, obj);
	/* Pinned first, so that what is fetched stays. */
	had = pin_add(r->c, obj, nblocks_of(r->c, &e), 1);
	if (had < 0) {
		fail = ctl_fail(ENOMEM, "%s: out of memory", path);
		goto out;
	}
	rc = fetch_all(r, &e, &fetched);
	if (rc && !had)
		pin_remove(r->c, obj);
	fail = fetched_answer(path, &e, rc, fetched);
out:
	index_entry_release(&e);
	return fail;
}

json_t *ctl_cmd_unpin(struct ctl_req *r, json_t *req)
{
	struct index_entry e;
	char obj[BLOCKS_ID_LEN + 1];
	const char *path;
	json_t *fail;
	int was;

	if (file_of(r, req, &e, &path, &fail))
		return fail;
	lmfs_object_id(r->c->fs, &e, obj);
	was = pin_remove(r->c, obj);
	index_entry_release(&e);
	return json_pack("{s:b,s:b}", "ok", 1, "was_pinned", was);
}

json_t *ctl_cmd_evict(struct ctl_req *r, json_t *req)
{
	struct index_entry e;
	char obj[BLOCKS_ID_LEN + 1];
	const char *path;
	json_t *fail;
	uint64_t bytes;
	int pinned;

	if (file_of(r, req, &e, &path, &fail))
		return fail;
	lmfs_object_id(r->c->fs, &e, obj);
	pthread_mutex_lock(&r->c->lock);
	pinned = pin_find(r->c, obj) >= 0;
	pthread_mutex_unlock(&r->c->lock);
	if (pinned) {
		fail = ctl_fail(EBUSY, "%s: pinned; unpin it first", path);
	} else {
		bytes = blocks_cached_bytes(r->c->fs->blocks, obj);
		blocks_drop(r->c->fs->blocks, obj);
		reader_forget(r->c->fs->reader, obj);
		fail = json_pack("{s:b,s:I}", "ok", 1, "bytes", (json_int_t)bytes);
	}
	index_entry_release(&e);
	return fail;
}

/* ---- flush ---- */

json_t *ctl_cmd_flush(struct ctl_req *r, json_t *req)
{
	json_t *t = json_object_get(req, "timeout_s");
	double timeout = json_is_number(t) ? json_number_value(t) : 300;
	struct writer_stats ws;
	struct timespec t0, now;
	char msg[512];
	double age;

	writer_kick(r->c->fs);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		writer_stats(r->c->fs, &ws);
		if (!ws.journal && !ws.uploading)
			return json_pack("{s:b,s:I}", "ok", 1, "open_dirty_files",
					 (json_int_t)ws.dirty);
		if (ctl_progress(r, json_pack("{s:I}", "pending", (json_int_t)ws.journal), 0))
			return ctl_fail(ECANCELED, "cancelled: %llu changes still pending",
					(unsigned long long)ws.journal);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9 >=
		    timeout)
			break;
		usleep(100000);
	}
	last_error(r->c, msg, sizeof(msg), &age);
	return ctl_fail(ETIMEDOUT, "%llu changes still pending after %.0f s%s%s",
			(unsigned long long)ws.journal, timeout, msg[0] ? "; last error: " : "",
			msg);
}
