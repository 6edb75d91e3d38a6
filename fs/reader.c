/*
 * Reading objects: block cache, single-flight fetches, readahead, and the
 * sidecar checksum of archive zips.
 *
 * Design notes
 *  1. Data moves in blocks (blocks_block_size(), 1 MiB).  A block is found,
 *     in order: in the hot list (decoded blocks in memory, hot_max bytes),
 *     in the block store on disk, or fetched with a ranged GET.
 *  2. Single flight: a block being fetched has a `flight`; every reader that
 *     needs it waits on that flight instead of sending its own GET.
 *  3. Fetches are `jobs` run by a pool of worker threads: demand jobs (a
 *     reader waits) go to the head of the queue, readahead jobs to the tail.
 *     A readahead job covers up to part_size bytes of missing blocks.
 *  4. Readahead: a handle whose reads follow each other (within a few
 *     blocks, since the kernel's requests arrive out of order) gets a
 *     window that starts at 4 MiB and doubles per read up to window_max
 *     (64 MiB); a first request of a whole block at offset 0 opens it
 *     at window_max at once.  (That was cat's first request on the kernels
 *     this was measured on.  On Linux 6.18 the first request is the
 *     kernel's first readahead window, 2-4 times the read(2): 256 KiB for
 *     cat and cp, 64 KiB for sha256sum, 16 KiB for head.  A rule of 256
 *     KiB measured no faster there: the cold cat of 256 MiB behind 20 ms
 *     took 0.72 s either way, medians of 6, 2026-12-07.)  A part is asked
 *     for as soon as it fits in the window, so GETs go out one by one as
 *     the reader moves.  Behind 20 ms of round trip, a cold cat of 256
 *     MiB took 1.22 s with a 32 MiB window opened by doubling and
 *     refilled when half empty (three GETs in flight most of the time,
 *     the first alone for 180 ms of TCP slow start), 1.15-1.17 s
 *     refilled a part at a time, 1.02 s opened wide too, 0.81 s wide at 64
 *     MiB, 0.72 s at 96 MiB (but 100 MiB of RSS), medians of 5; on
 *     loopback all of these were alike (medians of 6-10 runs, 0.32-0.34 s,
 *     within the noise), though 64 MiB took 0.05 s more of the daemon's
 *     CPU (0.23 -> 0.28 s, means of 8): the kernel clears the huge pages
 *     of the pool's extra buffers on their first use (less since a block's
 *     buffer is taken when its first byte comes: fetch.c, "landing"; and
 *     at mount since the pretouch: bufpool.c).
 *     A seek resets the window to none, so random readers (tail -c,
 *     unzip -l) fetch only the blocks they touch.  All readahead in
 *     flight is capped at inflight_max, and so are its blocks once landed,
 *     until they are read: such an "unread" block stays in memory, out of
 *     the hot list's LRU order and its hot_max, because it is the very
 *     block a sequential reader asks for next (LRU would evict it first,
 *     and the reader would read back from disk what just came from S3).
 *     A handle's release turns its object's unread blocks into ordinary
 *     entries, so a reader that stops early does not keep the budget, and
 *     blocks that land for an object no handle has open (r->opened) land
 *     as ordinary entries: nothing would read them out of the budget, and
 *     each `head` of a big file that closed before its readahead came kept
 *     up to 5 MiB of the budget for as long as the mount lived.  A block
 *     a sequential reader waits for lands unread too, as does one fetched
 *     ahead of an open (fs/siblings.c) if the object is open by then.
 *     A sequential reader's block stays unread until it has taken all of
 *     it, in one read or in several (Linux 6.18 asks for 256 KiB or 1 MiB
 *     at a time, by how its readahead goes), and is then not kept at all
 *     once the last of those reads is answered (it is on disk): it would
 *     not be read again, and streaming a big file would otherwise push
 *     the hot list's other blocks out and keep hot_max of buffers in use
 *     (their first use, zeroed pages, costs a tenth of the daemon's CPU
 *     in a cold read of 256 MiB).  Of the ordinary entries (from disk,
 *     say), the trim takes one that such a reader is part way through
 *     last; and a demand block lands unread only within the readahead
 *     budget.  Before, a block moved to the hot list at its
 *     first 256 KiB; when blocks that unfinished GETs held filled
 *     hot_max, the trim took the block being read, and block_get read it
 *     from disk, added it, saw it trimmed at once and read it again:
 *     0-1,069 block reads from disk in a cold `cat` of 256 MiB on
 *     loopback, by timing, and 74,548 in t0320's case built to bring it
 *     about (0 now).  A block block_get reads from disk is held from the
 *     start.
 *  5. Every GET carries If-Match with the handle's ETag.  A 412 marks the
 *     object id stale (every handle on it then fails with EIO) and the
 *     index is told the object's new size and ETag.
 *  6. Sidecar checksums: when a .zip of a tree with "sidecar-sha256"
 *     becomes fully cached, its SHA-256 is compared with X.zip.CHECKSUM.
 *     A mismatch drops the blocks and fetches them once more; a second
 *     mismatch is recorded (index meta "chk:<object id>") and logged with
 *     both hashes; with policy "enforce" reads and opens then fail with EIO.
 *  7. A random read of a block that is nowhere yet does not wait for the
 *     block: the block is queued as usual, and the read's own bytes (at
 *     most QUICK_MAX, and at most half the block) come at once by a GET of
 *     their own, served from a buffer of their own ("loose", outside the
 *     hot list).  Behind 20 ms of round trip, a GET of a whole 1 MiB block
 *     on a new connection took 144 ms, most of it TCP slow start, and one
 *     of a few KiB 42 ms (the bench's delay line at MTU 9000): that is the
 *     wait of `tail -c`, of `unzip -l` and of a parquet reader's footer.
 *     A second read of the block waits for it as any reader does.  If
 *     that GET fails, the read waits for the block, whose own GET meets
 *     the same error (412, timeout).
 *
 * fs/fetch.c holds the machinery of notes 3 and 5: the job queue, the
 * worker threads, landing fetched bytes, and the set of stale objects.
 * fs/reader_open.c holds the handles: opening and releasing them, the
 * count of open handles per object (note 4), the pins of passthrough,
 * and fetching ahead of an open.  fs/reader_hot.c holds the memory: the
 * hot list (notes 1 and 4) and the flights (note 2).  fs/reader_int.h has
 * the structs and functions the four files share.
 *
 * Locks: r->lock guards hot, flights, queue, inflight, stale, opened and
 * stopping; fh->lock guards a handle's readahead state.  Order: fh->lock,
 * then r->lock, then the buffer pool's own lock.  r->verify_lock
 * serialises checksum checks and is taken with neither held; a check
 * takes r->lock under it (reader_peek, reader_await, reader_claim).  No
 * lock is held during a GET or disk I/O.  A loose entry (note 7) belongs
 * to the one span holding it and needs no lock.  r->pretouch and
 * pretouching need none either: the mount's thread sets them
 * (reader_pretouch) and reads them (reader_free), and the pretouch thread
 * reads only r->o and r->pool.
 */
#include "reader.h"
#include "reader_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bufpool.h"
#include "lmfs.h"
#include "log.h"
#include "verify.h"

#define WINDOW_START ((uint64_t)4 << 20)
#define QUICK_MAX ((uint64_t)256 << 10)	/* note 7 */
#define SEQ_SLACK 4	/* blocks */

/* Block buffers come from a bufpool (fs/bufpool.c says why); a small
 * block shrunk to its size (reader_hot_add) is malloc'd instead, which
 * bufpool_put tells apart. */
char *reader_buf_get(struct reader *r)
{
	return bufpool_get(r->pool);
}

void reader_buf_put(struct reader *r, char *b)
{
	bufpool_put(r->pool, b);
}

void reader_forget(struct reader *r, const char *obj)
{
	pthread_mutex_lock(&r->lock);
	reader_hot_drop_object(r, obj);
	pthread_mutex_unlock(&r->lock);
}

int reader_verify(struct reader *r, const struct index_entry *e)
{
	struct s3_client *c = lmfs_client(r->fs, e->tree);
	char obj[BLOCKS_ID_LEN + 1];
	int rc;

	if (!c)
		return 0;
	lmfs_object_id(r->fs, e, obj);
	rc = verify_after_fetch(r->fs, c, e->tree, e->key, e->etag, obj, e->size,
				&r->verify_lock);
	if (rc == -EAGAIN || rc == -EBADMSG)
		reader_forget(r, obj);	/* as a fetch does: note 6 of fetch.c */
	return rc;
}

ssize_t reader_peek(struct reader *r, const char *obj, uint64_t no, char *buf, size_t cap)
{
	struct hot *h;
	ssize_t n = -1;

	pthread_mutex_lock(&r->lock);
	if ((h = reader_hot_find(r, obj, no))) {
		n = (ssize_t)(h->len < cap ? h->len : cap);
		memcpy(buf, h->data, (size_t)n);
	}
	pthread_mutex_unlock(&r->lock);
	return n >= 0 ? n : blocks_get(r->fs->blocks, obj, no, buf, cap);
}

/* A running GET lands without any lock of ours: its bytes land on the
 * transport's thread (fetch.c, land_block), and a failed job's worker
 * lands its flights before it would check anything. */
int reader_await(struct reader *r, const char *obj, uint64_t no)
{
	struct flight *f;
	int waited = 0;

	pthread_mutex_lock(&r->lock);
	f = reader_flight_find(r, obj, no);
	if (f && !fetch_job_queued(r, obj, no)) {
		reader_flight_wait(r, f);
		waited = 1;
	}
	pthread_mutex_unlock(&r->lock);
	return waited;
}

struct flight *reader_claim(struct reader *r, const char *obj, uint64_t no)
{
	struct flight *f = NULL;

	pthread_mutex_lock(&r->lock);
	if (!reader_hot_find(r, obj, no) && !reader_flight_find(r, obj, no))
		f = reader_flight_new(r, obj, no);
	pthread_mutex_unlock(&r->lock);
	return f;
}

void reader_claim_end(struct reader *r, struct flight *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&r->lock);
	reader_flight_land(r, f, 0);
	pthread_cond_broadcast(&r->landed);
	pthread_mutex_unlock(&r->lock);
}

/* ---- readahead (note 4) ---- */

int reader_block_absent(struct reader *r, const char *obj, uint64_t no)
{
	return !reader_hot_find(r, obj, no) && !reader_flight_find(r, obj, no) &&
	       !blocks_has(r->fs->blocks, obj, no);
}

uint64_t reader_absent_run(struct reader *r, const char *obj, uint64_t *first, uint64_t end,
			   uint64_t max)
{
	uint64_t b = *first, run;

	while (b < end && !reader_block_absent(r, obj, b))
		b++;
	*first = b;
	if (b == end || !max)
		return 0;
	for (run = 1; run < max && b + run < end && reader_block_absent(r, obj, b + run); run++)
		;
	return run;
}

/* Ask for the missing blocks of [first, end) of fh, in jobs of part_size.
 * Returns the first block not asked for (budget spent). fh->lock held. */
static uint64_t prefetch(struct reader *r, struct fhandle *fh, uint64_t first, uint64_t end)
{
	uint64_t per_job = r->o.part_size / r->bs, b = first;

	pthread_mutex_lock(&r->lock);
	while (b < end) {
		uint64_t run;
		struct job *j;

		if (r->inflight + per_job * r->bs > r->o.inflight_max)
			break;
		/* Skip blocks that are here or on their way. */
		run = reader_absent_run(r, fh->obj, &b, end, per_job);
		if (!run)
			break;
		j = fetch_job_new(fh, b, run, 0);
		if (!j)
			break;
		fetch_job_queue(r, j);
		b += run;
	}
	pthread_mutex_unlock(&r->lock);
	return b;
}

/* Note 4 for a read of [off, off + size) of fh: 1 when fh reads on
 * sequentially (its window is open), as seen under fh->lock. */
static int readahead(struct reader *r, struct fhandle *fh, uint64_t off, size_t size)
{
	uint64_t nblocks = (fh->size + r->bs - 1) / r->bs, first, end, ahead;
	int seq;

	pthread_mutex_lock(&fh->lock);
	/* The kernel sends a sequential reader's requests several at a time,
	 * and they may arrive out of order: a read near where the last one
	 * ended (a few blocks either way) still counts as sequential. */
	if (off + SEQ_SLACK * r->bs >= fh->next_off && off <= fh->next_off + SEQ_SLACK * r->bs) {
		/* A reader that starts at the beginning asking for a whole
		 * block streams the file: its window opens wide at once
		 * (note 4). */
		if (fh->window)
			fh->window *= 2;
		else
			fh->window = !off && size >= r->bs ? r->o.window_max : WINDOW_START;
		if (fh->window > r->o.window_max)
			fh->window = r->o.window_max;
		if (off + size > fh->next_off)
			fh->next_off = off + size;
	} else {
		fh->window = 0;
		fh->ra_next = 0;
		fh->next_off = off + size;
	}
	/* Ask for more once a part fits in the window again, so that GETs go
	 * out part_size at a time rather than a block per read as the window
	 * slides, and one by one rather than in waves (note 4). */
	ahead = fh->ra_next * r->bs > off + size ? fh->ra_next * r->bs - (off + size) : 0;
	if (fh->window && (!fh->ra_next || ahead + r->o.part_size <= fh->window)) {
		first = off / r->bs;
		if (first < fh->ra_next)
			first = fh->ra_next;
		end = (off + size + fh->window + r->bs - 1) / r->bs;
		if (end > nblocks)
			end = nblocks;
		if (first < end)
			fh->ra_next = prefetch(r, fh, first, end);
	}
	seq = fh->window != 0;
	pthread_mutex_unlock(&fh->lock);
	return seq;
}

/* ---- getting one block ---- */

/* Queue a fetch of block no for a reader who waits (r->lock held); seq:
 * the reader reads on sequentially (note 4). */
static int demand_queue(struct reader *r, struct fhandle *fh, uint64_t no, int seq)
{
	struct job *j = fetch_job_new(fh, no, 1, 1);

	if (!j)
		return -ENOMEM;
	j->seq = seq;
	return fetch_job_queue(r, j);
}

/* Return block no of fh, referenced (reader_hot_unref when done), or NULL with
 * *err set; *take gets how many of the want bytes from in it holds, and a
 * sequential reader's take is counted (note 4) under the same lock. */
static struct hot *block_get(struct reader *r, struct fhandle *fh, uint64_t no, uint64_t in,
			     uint64_t want, int seq, uint64_t *take, int *err)
{
	struct hot *h = NULL;
	struct flight *f;
	char *buf;
	ssize_t n;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		if (fetch_is_stale(r, fh->obj)) {
			*err = -EIO;
			break;
		}
		if ((h = reader_hot_find(r, fh->obj, no))) {
			h->refs++;
			break;
		}
		if ((f = reader_flight_find(r, fh->obj, no))) {
			fetch_job_promote(r, fh->obj, no);
			if ((*err = reader_flight_wait(r, f)))
				break;
			continue;
		}
		pthread_mutex_unlock(&r->lock);
		buf = reader_buf_get(r);
		n = buf ? blocks_get(r->fs->blocks, fh->obj, no, buf, r->bs) : -1;
		pthread_mutex_lock(&r->lock);
		if (n >= 0) {
			/* Held from the start: added unheld, it could be the
			 * one entry the trim may take, and this loop would
			 * read it from disk again and again. */
			if (!(h = reader_hot_add(r, fh->obj, no, buf, (size_t)n, HOT_HOLD)))
				*err = -ENOMEM;
			break;
		}
		reader_buf_put(r, buf);
		if (reader_flight_find(r, fh->obj, no))
			continue;	/* someone asked for it meanwhile */
		if ((*err = fetch_failed_recently(r, fh->obj, no)))
			break;		/* see "Failures" in fetch.c */
		if ((*err = demand_queue(r, fh, no, seq)))
			break;
	}
	if (h) {
		*take = h->len > in ? h->len - in : 0;
		if (*take > want)
			*take = want;
		if (seq && (h->seq_read += *take) >= h->len)
			h->passed = 1;
		if (!seq || h->passed)
			reader_hot_read(r, h);
	}
	pthread_mutex_unlock(&r->lock);
	return h;
}

/* Note 7 for a read of [pos, end) of fh that is not sequential: the
 * length of the one span it fills at sp, or 0 when the read is to take the
 * usual way. */
static size_t quick_read(struct reader *r, struct fhandle *fh, uint64_t pos, uint64_t end,
			 struct reader_span *sp)
{
	uint64_t no = pos / r->bs, blen = fh->size - no * r->bs;
	struct s3_get_params g = { fh->key, pos, end - pos, fh->etag, NULL, 0, NULL, NULL };
	struct s3_error err;
	struct hot *h = NULL;
	size_t got = 0;
	int queued;

	if (blen > r->bs)
		blen = r->bs;
	if ((end - 1) / r->bs != no || g.len > QUICK_MAX || 2 * g.len > blen)
		return 0;
	pthread_mutex_lock(&r->lock);
	queued = !fetch_is_stale(r, fh->obj) && reader_block_absent(r, fh->obj, no) &&
		 !fetch_failed_recently(r, fh->obj, no) && !demand_queue(r, fh, no, 0);
	pthread_mutex_unlock(&r->lock);
	if (!queued)
		return 0;
	g.cap = (size_t)g.len;
	if (!(h = calloc(1, sizeof(*h))) || !(g.buf = malloc(g.cap)) ||
	    s3_get(fh->c, &g, &got, NULL, &err) || got != g.cap) {
		free(g.buf);
		free(h);
		return 0;
	}
	h->data = g.buf;
	h->len = h->cap = got;
	h->refs = 1;
	h->loose = 1;
	*sp = (struct reader_span){ h->data, got, h };
	return got;
}

ssize_t reader_spans(struct reader *r, struct fhandle *fh, size_t size, off_t off,
		     struct reader_span *sp, int *nsp)
{
	uint64_t pos = (uint64_t)off, end, b0, b1;
	size_t done = 0;
	int err = 0, seq;

	*nsp = 0;
	if (off < 0)
		return -EINVAL;
	if (pos >= fh->size || !size)
		return 0;
	end = pos + size < fh->size ? pos + size : fh->size;
	seq = readahead(r, fh, pos, (size_t)(end - pos));
	if (!seq && (done = quick_read(r, fh, pos, end, sp))) {
		*nsp = 1;
		return (ssize_t)done;
	}
	b0 = pos / r->bs;
	b1 = (end - 1) / r->bs;
	blocks_pin(r->fs->blocks, fh->obj, b0, b1);
	while (pos < end && *nsp < READER_MAX_SPANS) {
		uint64_t no = pos / r->bs, in = pos - no * r->bs, n;
		struct hot *h = block_get(r, fh, no, in, end - pos, seq, &n, &err);

		if (!h)
			break;
		if (!n) {
			reader_hot_unref(r, h);
			err = -EIO;	/* a short block inside the object */
			break;
		}
		sp[*nsp] = (struct reader_span){ h->data + in, (size_t)n, h };
		(*nsp)++;
		done += n;
		pos += n;
	}
	blocks_unpin(r->fs->blocks, fh->obj, b0, b1);
	if (err) {
		reader_spans_release(r, sp, *nsp);
		*nsp = 0;
		return err;
	}
	return (ssize_t)done;
}

void reader_spans_release(struct reader *r, struct reader_span *sp, int n)
{
	int i;

	for (i = 0; i < n; i++)
		reader_hot_unref(r, sp[i].ref);
}

int reader_new(struct lmfs *fs, const struct reader_opts *o, struct reader **out)
{
	struct reader *r = calloc(1, sizeof(*r));
	unsigned i;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->fs = fs;
	r->o = *o;
	r->o.workers = o->workers ? o->workers : 8;
	r->o.part_size = o->part_size ? o->part_size : (8u << 20);
	r->o.window_max = o->window_max ? o->window_max : (64u << 20);
	r->o.inflight_max = o->inflight_max ? o->inflight_max : (64u << 20);
	r->o.hot_max = o->hot_max ? o->hot_max : (16u << 20);
	r->bs = blocks_block_size(fs->blocks);
	if (r->o.part_size < r->bs)
		r->o.part_size = r->bs;
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->verify_lock, NULL);
	pthread_cond_init(&r->work[0], NULL);
	pthread_cond_init(&r->work[1], NULL);
	pthread_cond_init(&r->landed, NULL);
	/* as many workers again for the ahead lane (fetch.c, "Lanes") */
	r->threads = calloc(2 * (size_t)r->o.workers, sizeof(*r->threads));
	/* As many buffers as the budgets let the reader hold at once: the hot
	 * list, readahead in flight or unread, a demand block per worker. */
	r->pool = bufpool_new(r->bs, (r->o.hot_max + r->o.inflight_max) / r->bs + r->o.workers);
	if (!r->threads || !r->pool)
		goto fail;
	for (i = 0; i < 2 * r->o.workers; i++) {
		if (pthread_create(&r->threads[i], NULL,
				   i < r->o.workers ? fetch_worker_main : fetch_ahead_main, r))
			goto fail;
		r->nthreads++;
	}
	*out = r;
	return 0;
fail:
	reader_free(r);
	return -ENOMEM;
}

static void *pretouch_main(void *arg)
{
	struct reader *r = arg;
	/* a cold sequential read's: readahead in flight or unread, and a
	 * block part way per worker (a cat of 256 MiB peaked at 55-65) */
	size_t n = r->o.inflight_max / r->bs + r->o.workers;

	if (bufpool_pretouch(r->pool, n)) {
		const char *why = strerror(errno);

		log_info(LOG_FIELDS(LF_STR("error", why)),
			 "read buffers not made resident ahead of use: %s", why);
	}
	return NULL;
}

void reader_pretouch(struct reader *r)
{
	if (!r->pretouching && !pthread_create(&r->pretouch, NULL, pretouch_main, r))
		r->pretouching = 1;
}

void reader_free(struct reader *r)
{
	struct flight *f;
	struct hot *h;
	struct job *j;
	unsigned i;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = 1;
	while ((j = r->head)) {
		r->head = j->next;
		fetch_job_land(r, j, -EIO);
		fetch_job_free(j);
	}
	r->tail = NULL;
	pthread_cond_broadcast(&r->work[0]);
	pthread_cond_broadcast(&r->work[1]);
	pthread_mutex_unlock(&r->lock);
	for (i = 0; i < r->nthreads; i++)
		pthread_join(r->threads[i], NULL);
	if (r->pretouching)
		pthread_join(r->pretouch, NULL);
	while ((h = r->hot)) {
		r->hot = h->next;
		reader_buf_put(r, h->data);
		free(h);
	}
	bufpool_free(r->pool);
	while ((f = r->flights)) {
		r->flights = f->next;
		free(f);
	}
	free(r->threads);
	free(r->stale);
	free(r->opened);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->verify_lock);
	pthread_cond_destroy(&r->work[0]);
	pthread_cond_destroy(&r->work[1]);
	pthread_cond_destroy(&r->landed);
	free(r);
}
