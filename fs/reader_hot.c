/*
 * The reader's memory: the hot list of blocks (reader.c notes 1 and 4)
 * and the flights of blocks being fetched (note 2).  The invariants and
 * the locks are reader.c's; every function here runs with r->lock held,
 * but reader_hot_unref, which takes it.
 */
#include "reader_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- the hot list (r->lock held) ---- */

/* Entry h is being read: if it was unread readahead, it moves from the
 * readahead budget to the hot list's (note 4). */
void reader_hot_read(struct reader *r, struct hot *h)
{
	if (!h->unread)
		return;
	h->unread = 0;
	r->inflight -= r->bs;
	r->hot_bytes += h->cap;
}

/* Take entry *pp out of the list and free it (r->lock held). */
static void hot_evict(struct reader *r, struct hot **pp)
{
	struct hot *h = *pp;

	*pp = h->next;
	if (h->unread)
		r->inflight -= r->bs;
	else
		r->hot_bytes -= h->cap;
	reader_buf_put(r, h->data);
	free(h);
}

struct hot *reader_hot_find(struct reader *r, const char *obj, uint64_t no)
{
	struct hot **pp, *h;

	for (pp = &r->hot; (h = *pp); pp = &h->next) {
		if (h->no == no && !strcmp(h->obj, obj)) {
			*pp = h->next;		/* to the front */
			h->next = r->hot;
			r->hot = h;
			return h;
		}
	}
	return NULL;
}

/* A sequential reader is part way through h: the very block it asks for
 * next (note 4). */
static int hot_partly_taken(const struct hot *h)
{
	return h->seq_read && h->seq_read < h->len;
}

void reader_hot_trim(struct reader *r)
{
	struct hot **pp, *h, **last, **partly;

	while (r->hot_bytes > r->o.hot_max) {
		/* Find the least recently used entry nobody holds, and one
		 * that a sequential reader is part way through only when
		 * there is no other: a hundred readers, each part way through
		 * a block, must not hold a hundred blocks.  (With a hundred
		 * cold files open and 512 KiB read from each, the daemon's
		 * RSS was 85 MiB before note 4's change of 2026-12-07, 96 MiB
		 * after; 110 MiB if such entries were kept up to twice
		 * hot_max, 144 MiB up to hot_max + inflight_max.) */
		last = partly = NULL;
		for (pp = &r->hot; (h = *pp); pp = &h->next) {
			if (h->refs || h->unread)
				continue;
			if (hot_partly_taken(h))
				partly = pp;
			else
				last = pp;
		}
		if (!last)
			last = partly;
		if (!last)
			return;
		hot_evict(r, last);
	}
}

struct hot *reader_hot_add(struct reader *r, const char *obj, uint64_t no, char *data,
			   size_t len, int flags)
{
	struct hot *h = reader_hot_find(r, obj, no);
	int hold = flags & HOT_HOLD;

	if (h || !(h = calloc(1, sizeof(*h)))) {
		reader_buf_put(r, data);
		if (h && hold)
			h->refs++;
		return hold ? h : NULL;
	}
	memcpy(h->obj, obj, sizeof(h->obj));
	h->no = no;
	h->data = data;
	h->len = len;
	h->cap = r->bs;
	/* The last block of a small file: keep only what it holds, so that
	 * thousands of small files cost their size, not a block each. */
	if (len < r->bs / 2) {
		char *small = malloc(len ? len : 1);

		if (small) {
			memcpy(small, data, len);
			reader_buf_put(r, data);
			h->data = small;
			h->cap = len ? len : 1;
		}
	}
	h->refs = hold ? 1 : 0;
	h->next = r->hot;
	r->hot = h;
	if (flags & HOT_UNREAD) {
		h->unread = 1;
		r->inflight += r->bs;
	} else {
		r->hot_bytes += h->cap;
	}
	reader_hot_trim(r);
	return hold ? h : NULL;
}

void reader_hot_read_object(struct reader *r, const char *obj)
{
	struct hot *h;

	for (h = r->hot; h; h = h->next) {
		if (strcmp(h->obj, obj))
			continue;
		reader_hot_read(r, h);
		h->seq_read = 0;
	}
	reader_hot_trim(r);
}

void reader_hot_drop_object(struct reader *r, const char *obj)
{
	struct hot **pp = &r->hot, *h;

	while ((h = *pp)) {
		if (!strcmp(h->obj, obj) && !h->refs)
			hot_evict(r, pp);
		else
			pp = &h->next;
	}
}

/* ---- flights (r->lock held) ---- */

struct flight *reader_flight_find(struct reader *r, const char *obj, uint64_t no)
{
	struct flight *f;

	for (f = r->flights; f; f = f->next)
		if (f->no == no && !strcmp(f->obj, obj))
			return f;
	return NULL;
}

struct flight *reader_flight_new(struct reader *r, const char *obj, uint64_t no)
{
	struct flight *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	memcpy(f->obj, obj, sizeof(f->obj));
	f->no = no;
	f->refs = 1;
	f->next = r->flights;
	r->flights = f;
	return f;
}

static void flight_unlink(struct reader *r, struct flight *f)
{
	struct flight **pp;

	for (pp = &r->flights; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	}
}

void reader_flight_put(struct reader *r, struct flight *f)
{
	if (--f->refs)
		return;
	if (!f->done)
		flight_unlink(r, f);
	free(f);
}

int reader_flight_wait(struct reader *r, struct flight *f)
{
	int err;

	f->refs++;
	while (!f->done)
		pthread_cond_wait(&r->landed, &r->lock);
	err = f->err;
	reader_flight_put(r, f);
	return err;
}

void reader_flight_land(struct reader *r, struct flight *f, int err)
{
	flight_unlink(r, f);
	f->done = 1;
	f->err = err;
	reader_flight_put(r, f);
}

void reader_hot_unref(struct reader *r, struct hot *h)
{
	struct hot **pp;

	if (h->loose) {
		free(h->data);
		free(h);
		return;
	}

	pthread_mutex_lock(&r->lock);
	if (!--h->refs && h->passed && !h->unread) {
		for (pp = &r->hot; *pp && *pp != h; pp = &(*pp)->next)
			;
		if (*pp)
			hot_evict(r, pp);
	}
	reader_hot_trim(r);
	pthread_mutex_unlock(&r->lock);
}
