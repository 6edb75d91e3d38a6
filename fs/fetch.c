/*
 * Fetching blocks for the reader: the job queue and its worker threads
 * (design note 3 in reader.c), the landing of a GET's bytes in the hot
 * list and the block store, and stale objects after a 412 (note 5).
 * The lock order is the one at the top of reader.c.
 *
 * Failures: a fetch that failed (after the backend's retries, up to
 * io_timeout) is remembered for FETCH_FAILURE_HOLD_MS, and a new demand
 * for one of its blocks within that time fails at once with the same
 * error.  The kernel answers a failed readahead by reading the page again
 * at once; without this, a reader of an endpoint that stopped answering
 * would wait io_timeout twice before its EIO.  The hold is short, so that
 * a reader who tries again later does get a new fetch.
 *
 * Lanes: jobs fetched ahead of an open (fs/siblings.c) are a guess, and
 * must never keep a reader waiting: against a hung endpoint each holds a
 * worker for io_timeout, and a reader whose job queued behind them waited
 * two timeouts for its EIO (t0600).  So they run on workers of their own
 * (the ahead lane), and a reader who needs a block of one that has not
 * started moves it to the head of the queue, for any worker.
 */
#include "reader_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lmfs.h"
#include "log.h"
#include "verify.h"

#define FETCH_FAILURE_HOLD_MS 300

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- failures ---- */

/* Remember that j failed with err (r->lock held). */
static void failure_note(struct reader *r, const struct job *j, int err)
{
	struct failure *f = &r->failures[r->nextfailure++ % READER_FAILURES];

	memcpy(f->obj, j->obj, sizeof(f->obj));
	f->first = j->first;
	f->n = j->n;
	f->err = err;
	f->at_ms = now_ms();
}

int fetch_failed_recently(struct reader *r, const char *obj, uint64_t no)
{
	uint64_t now = now_ms();
	unsigned i;

	for (i = 0; i < READER_FAILURES; i++) {
		const struct failure *f = &r->failures[i];

		if (f->err && now - f->at_ms < FETCH_FAILURE_HOLD_MS && no >= f->first &&
		    no < f->first + f->n && !strcmp(f->obj, obj))
			return f->err;
	}
	return 0;
}

/* ---- jobs ---- */

void fetch_job_free(struct job *j)
{
	if (j) {
		free(j->key);
		free(j);
	}
}

struct job *fetch_job_new(struct fhandle *fh, uint64_t first, uint64_t n, int demand)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j || !(j->key = strdup(fh->key))) {
		free(j);
		return NULL;
	}
	j->c = fh->c;
	memcpy(j->etag, fh->etag, sizeof(j->etag));
	memcpy(j->obj, fh->obj, sizeof(j->obj));
	j->ino = fh->ino;
	j->tree = fh->tree;
	j->size = fh->size;
	j->first = first;
	j->n = n;
	j->demand = demand;
	return j;
}

/* Queue j (r->lock held): demand jobs first (note 3), each of its blocks
 * in flight (note 2).  A readahead block whose flight cannot be had is
 * still fetched: a reader who needs it meanwhile only sends a GET of its
 * own. */
int fetch_job_queue(struct reader *r, struct job *j)
{
	uint64_t k;

	for (k = 0; k < j->n; k++) {
		if (!reader_flight_new(r, j->obj, j->first + k) && j->demand) {
			fetch_job_free(j);
			return -ENOMEM;
		}
	}
	if (j->demand) {
		j->next = r->head;
		r->head = j;
		if (!r->tail)
			r->tail = j;
	} else {
		j->next = NULL;
		if (r->tail)
			r->tail->next = j;
		else
			r->head = j;
		r->tail = j;
		r->inflight += j->n * r->bs;
	}
	/* One worker of the job's lane: a broadcast woke all 16 threads per
	 * 8 MiB part, for one of them to take it. */
	pthread_cond_signal(&r->work[j->ahead_lane]);
	return 0;
}

/* The first queued job that match() accepts, taken out of the queue
 * (r->lock held); NULL when none does. */
static struct job *job_take_if(struct reader *r, int (*match)(const struct job *, const void *),
			       const void *arg)
{
	struct job **pp, *j, *prev = NULL;

	for (pp = &r->head; (j = *pp); prev = j, pp = &j->next) {
		if (!match(j, arg))
			continue;
		*pp = j->next;
		if (r->tail == j)
			r->tail = prev;
		return j;
	}
	return NULL;
}

struct block_of {
	const char *obj;
	uint64_t no;
};

static int has_block(const struct job *j, const char *obj, uint64_t no)
{
	return no >= j->first && no < j->first + j->n && !strcmp(j->obj, obj);
}

static int covers(const struct job *j, const void *arg)
{
	const struct block_of *b = arg;

	return j->ahead_lane && has_block(j, b->obj, b->no);
}

void fetch_job_promote(struct reader *r, const char *obj, uint64_t no)
{
	struct block_of b = { obj, no };
	struct job *j = job_take_if(r, covers, &b);

	if (j) {
		j->ahead_lane = 0;
		j->next = r->head;
		r->head = j;
		if (!r->tail)
			r->tail = j;
		pthread_cond_signal(&r->work[0]);
	}
}

int fetch_job_queued(struct reader *r, const char *obj, uint64_t no)
{
	const struct job *j;

	for (j = r->head; j; j = j->next)
		if (has_block(j, obj, no))
			return 1;
	return 0;
}

/* Finish the flights of j's blocks with err (r->lock held). */
void fetch_job_land(struct reader *r, struct job *j, int err)
{
	uint64_t b;

	for (b = j->first; b < j->first + j->n; b++) {
		struct flight *f = reader_flight_find(r, j->obj, b);

		if (f)
			reader_flight_land(r, f, err);
	}
	if (!j->demand)
		r->inflight -= j->n * r->bs;
	if (err && !r->stopping)
		failure_note(r, j, err);
	pthread_cond_broadcast(&r->landed);
}

/* ---- stale objects (note 5) ---- */

int fetch_is_stale(struct reader *r, const char *obj)
{
	size_t i;

	for (i = 0; i < r->nstale; i++)
		if (!strcmp(r->stale[i], obj))
			return 1;
	return 0;
}

/* The object changed under its readers (note 5): mark it and teach the
 * index the new version. */
static void object_replaced(struct reader *r, struct job *j)
{
	struct lmfs *fs = r->fs;
	struct s3_object_info info = { 0 };
	struct index_entry e = { 0 };
	struct s3_error err;
	void *grown;
	int known;

	pthread_mutex_lock(&r->lock);
	known = fetch_is_stale(r, j->obj);
	pthread_mutex_unlock(&r->lock);
	if (known)
		return;
	/* The index first, so that whoever sees the EIO and opens again
	 * finds the new version. */
	if (index_get(fs->ix, j->ino, &e) == 0 && s3_head(j->c, j->key, &info, &err) == 0) {
		struct index_child c = { e.name, INDEX_FILE, e.key, info.size, info.etag,
					 (int64_t)info.mtime };

		index_put(fs->ix, e.parent, &c, NULL);
	}
	index_entry_release(&e);
	s3_object_info_release(&info);
	log_warn(LOG_FIELDS(LF_STR("source", lmfs_source_name(fs, j->tree)),
			    LF_STR("key", j->key), LF_STR("etag", j->etag)),
		 "'%s' was replaced (ETag '%s' is gone): open handles fail with EIO",
		 j->key, j->etag);
	pthread_mutex_lock(&r->lock);
	if (!fetch_is_stale(r, j->obj)) {
		grown = realloc(r->stale, (r->nstale + 1) * sizeof(*r->stale));
		if (grown) {
			r->stale = grown;
			memcpy(r->stale[r->nstale++], j->obj, BLOCKS_ID_LEN + 1);
		}
	}
	pthread_mutex_unlock(&r->lock);
}

/* An open of obj means the index says it is current (again: A, B, then A
 * back has A's ETag): it is not stale any more. */
void fetch_stale_clear(struct reader *r, const char *obj)
{
	size_t i;

	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->nstale; i++) {
		if (!strcmp(r->stale[i], obj)) {
			memcpy(r->stale[i], r->stale[--r->nstale], BLOCKS_ID_LEN + 1);
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
}

/* Where a job's GET puts its bytes: straight into one buffer per block.
 * A block is handed to the hot list and its waiting readers the moment its
 * last byte arrives (on the transport's thread); the job's worker writes it
 * to the block store afterwards, holding it in the hot list meanwhile.
 *
 * A block's buffer is taken when its first byte arrives, not when the job
 * starts: eight GETs of 8 MiB in flight are each part way through, and
 * buffers for the bytes not yet sent are memory touched for nothing (a
 * cold read of 256 MiB on loopback: peak RSS 78 -> 63 MiB, daemon CPU
 * 0.286 -> 0.235 s, means of 8, 2026-12-07). */
struct landing {
	struct reader *r;
	struct job *j;
	char **bufs;
	struct hot **landed;	/* referenced until written to disk */
	uint64_t len;		/* bytes the job fetches */
	uint64_t got;
	int nomem;		/* a block found no buffer: the GET stopped */
};

static void land_block(struct landing *l, uint64_t b)
{
	struct reader *r = l->r;
	uint64_t blen = l->len - b * r->bs < r->bs ? l->len - b * r->bs : r->bs;
	struct flight *f;
	int unread;

	pthread_mutex_lock(&r->lock);
	/* Unread only while a handle may read it, and a demand block only
	 * within the readahead budget, which its job did not count (reader.c
	 * note 4). */
	unread = reader_object_open(r, l->j->obj) &&
		 (!l->j->demand || (l->j->seq && r->inflight + r->bs <= r->o.inflight_max));
	l->landed[b] = reader_hot_add(r, l->j->obj, l->j->first + b, l->bufs[b], blen,
				      HOT_HOLD | (unread ? HOT_UNREAD : 0));
	l->bufs[b] = NULL;
	f = reader_flight_find(r, l->j->obj, l->j->first + b);
	if (f) {
		reader_flight_land(r, f, 0);
		pthread_cond_broadcast(&r->landed);
	}
	pthread_mutex_unlock(&r->lock);
}

static int land_bytes(void *arg, const char *data, size_t len)
{
	struct landing *l = arg;
	uint32_t bs = l->r->bs;

	while (len) {
		uint64_t b = l->got / bs, in = l->got % bs;
		size_t take = bs - in < len ? (size_t)(bs - in) : len;

		if (l->got + take > l->len)
			return -1;	/* more than we asked for */
		if (!l->bufs[b] && !(l->bufs[b] = reader_buf_get(l->r))) {
			l->nomem = 1;
			return -1;
		}
		memcpy(l->bufs[b] + in, data, take);
		l->got += take;
		data += take;
		len -= take;
		if (l->got % bs == 0 || l->got == l->len)
			land_block(l, b);
	}
	return 0;
}

/* Fetch j's blocks into the hot list and the store.  Returns 0 or a
 * negative errno (blocks that arrived whole before a failure are kept). */
static int job_fetch(struct reader *r, struct job *j)
{
	uint64_t off = j->first * r->bs, b;
	struct s3_get_params g = { j->key, off, 0, j->etag, NULL, 0, land_bytes, NULL };
	struct landing l = { r, j, NULL, NULL, j->n * r->bs, 0, 0 };
	struct s3_error err;
	int rc = -ENOMEM;

	if (off + l.len > j->size)
		l.len = j->size - off;
	g.len = l.len;
	g.sink_arg = &l;
	l.bufs = calloc(j->n, sizeof(*l.bufs));
	l.landed = calloc(j->n, sizeof(*l.landed));
	if (!l.bufs || !l.landed)
		goto out;
	rc = 0;
	if (s3_get(j->c, &g, NULL, NULL, &err) || l.got != l.len) {
		if (err.status == S3_ERR_PRECONDITION)
			object_replaced(r, j);
		rc = l.nomem ? -ENOMEM : l.got != l.len && !err.status ? -EIO : -lmfs_errno(&err);
	}
out:
	for (b = 0; l.landed && b < j->n; b++) {
		struct hot *h = l.landed[b];

		if (!h)
			continue;
		blocks_put(r->fs->blocks, j->obj, j->first + b, h->data, h->len);
		if (j->ahead_of_open) {
			/* on disk now, where the open it waits for reads it
			 * (passthrough, when whole): memory need not keep it,
			 * unless a handle opened meanwhile reads it */
			pthread_mutex_lock(&r->lock);
			if (!h->unread && !h->seq_read)
				h->passed = 1;
			pthread_mutex_unlock(&r->lock);
		}
		reader_hot_unref(r, h);
	}
	for (b = 0; l.bufs && b < j->n; b++)
		reader_buf_put(r, l.bufs[b]);
	free(l.bufs);
	free(l.landed);
	return rc;
}

static int in_lane(const struct job *j, const void *arg)
{
	return j->ahead_lane == *(const int *)arg;
}

static void *worker(struct reader *r, int ahead)
{
	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct job *j;
		int rc;

		while (!(j = job_take_if(r, in_lane, &ahead)) && !r->stopping)
			pthread_cond_wait(&r->work[ahead], &r->lock);
		if (!j)
			break;
		pthread_mutex_unlock(&r->lock);
		rc = job_fetch(r, j);
		if (!rc)
			rc = verify_after_fetch(r->fs, j->c, j->tree, j->key, j->etag,
						j->obj, j->size, &r->verify_lock);
		pthread_mutex_lock(&r->lock);
		if (rc == -EAGAIN || rc == -EBADMSG) {
			/* note 6: the blocks were fetched again; the copies
			 * in memory may be the bad ones */
			reader_hot_drop_object(r, j->obj);
			rc = rc == -EBADMSG ? -EIO : 0;
		}
		fetch_job_land(r, j, rc);
		pthread_mutex_unlock(&r->lock);
		fetch_job_free(j);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

void *fetch_worker_main(void *arg)
{
	return worker(arg, 0);
}

void *fetch_ahead_main(void *arg)
{
	return worker(arg, 1);
}
