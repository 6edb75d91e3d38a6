/*
 * The reader's handles (design notes in reader.c): opening and releasing
 * them, the count of open handles per object that decides whether landing
 * readahead is kept as unread (note 4), the block pins of a file passed
 * through to the kernel, and fetching the first part of a file ahead of
 * its open (fs/siblings.c guesses which).  Locks as at the top of
 * reader.c: r->opened is guarded by r->lock.
 */
#include "reader.h"
#include "reader_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lmfs.h"
#include "verify.h"

static void fh_free(struct fhandle *fh)
{
	pthread_mutex_destroy(&fh->lock);
	free(fh->key);
	free(fh);
}

int reader_backing_open(struct reader *r, struct fhandle *fh)
{
	int stale;

	pthread_mutex_lock(&r->lock);
	stale = fetch_is_stale(r, fh->obj);
	pthread_mutex_unlock(&r->lock);
	return stale ? -1 : blocks_backing_open(r->fs->blocks, fh->obj, fh->size);
}

void reader_backing_of(const struct fhandle *fh, char obj[BLOCKS_ID_LEN + 1], uint64_t *size)
{
	memcpy(obj, fh->obj, BLOCKS_ID_LEN + 1);
	if (size)
		*size = fh->size;
}

void reader_backing_release(struct reader *r, const struct fhandle *fh, const char *obj,
			    uint64_t size)
{
	if (fh) {
		obj = fh->obj;
		size = fh->size;
	}
	if (size)
		blocks_unpin(r->fs->blocks, obj, 0, (size - 1) / r->bs);
}

/* The entry of obj in r->opened, or NULL (r->lock held). */
static struct opened *opened_find(struct reader *r, const char *obj)
{
	size_t i;

	for (i = 0; i < r->nopened; i++)
		if (!strcmp(r->opened[i].obj, obj))
			return &r->opened[i];
	return NULL;
}

int reader_object_open(struct reader *r, const char *obj)
{
	return opened_find(r, obj) != NULL;
}

/* Count a handle of obj (r->lock held): 0, or -ENOMEM. */
static int opened_add(struct reader *r, const char *obj)
{
	struct opened *o = opened_find(r, obj);

	if (o) {
		o->n++;
		return 0;
	}
	if (r->nopened == r->capopened) {
		size_t cap = r->capopened ? 2 * r->capopened : 16;
		struct opened *grown = realloc(r->opened, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		r->opened = grown;
		r->capopened = cap;
	}
	o = &r->opened[r->nopened++];
	memcpy(o->obj, obj, sizeof(o->obj));
	o->n = 1;
	return 0;
}

/* What a job needs to know of e's object, into fh (all but key and lock). */
static void describe(struct reader *r, struct fhandle *fh, const struct index_entry *e)
{
	fh->ino = e->ino;
	fh->tree = e->tree;
	fh->c = lmfs_client(r->fs, e->tree);
	memcpy(fh->etag, e->etag, sizeof(fh->etag));
	fh->size = e->size;
	lmfs_object_id(r->fs, e, fh->obj);
}

int reader_open(struct reader *r, const struct index_entry *e, struct fhandle **out)
{
	struct fhandle *fh;
	int rc;

	*out = NULL;
	fh = calloc(1, sizeof(*fh));
	if (!fh || !(fh->key = strdup(e->key))) {
		free(fh);
		return -ENOMEM;
	}
	pthread_mutex_init(&fh->lock, NULL);
	describe(r, fh, e);
	rc = -EIO;
	if (verify_refuses(r->fs, e, fh->obj))
		goto fail;
	fetch_stale_clear(r, fh->obj);
	pthread_mutex_lock(&r->lock);
	rc = opened_add(r, fh->obj);
	pthread_mutex_unlock(&r->lock);
	if (rc)
		goto fail;
	*out = fh;
	return 0;
fail:
	fh_free(fh);
	return rc;
}

void reader_release(struct reader *r, struct fhandle *fh)
{
	struct opened *o;

	if (!fh)
		return;
	pthread_mutex_lock(&r->lock);
	if ((o = opened_find(r, fh->obj)) && !--o->n)
		*o = r->opened[--r->nopened];
	reader_hot_read_object(r, fh->obj);
	pthread_mutex_unlock(&r->lock);
	fh_free(fh);
}

/* Queue blocks [first, first + n) of fh on the ahead lane: the first run
 * of them that is nowhere yet (r->lock held).  Past what is here, so that
 * a folder's loop that comes to read more of each file than it did (note
 * 4 of siblings.c) gets the rest.  0, or -1 when the budget of
 * reader_prefetch is spent. */
static int ahead_job(struct reader *r, struct fhandle *fh, uint64_t first, uint64_t n)
{
	uint64_t end = first + n, run = reader_absent_run(r, fh->obj, &first, end, n);
	struct job *j;

	if (!run)
		return 0;
	if (r->inflight + (end - first) * r->bs > r->o.inflight_max / 2)
		return -1;
	if ((j = fetch_job_new(fh, first, run, 0))) {
		j->ahead_of_open = 1;
		j->ahead_lane = 1;
		fetch_job_queue(r, j);
	}
	return 0;
}

uint64_t reader_part_size(const struct reader *r)
{
	return r->o.part_size;
}

int reader_prefetch(struct reader *r, const struct index_entry *e, unsigned head, int tail)
{
	uint64_t part = e->size < r->o.part_size ? e->size : r->o.part_size;
	uint64_t n = (part + r->bs - 1) / r->bs, last = (e->size + r->bs - 1) / r->bs;
	struct fhandle fh = { .key = e->key };	/* what a job copies, no more */
	int rc = 0;

	if (!n)
		return 0;
	if (head < n)
		n = head;
	describe(r, &fh, e);
	if (verify_refuses(r->fs, e, fh.obj))
		return 0;
	/* the index names it, so it is current (as at reader_open) */
	fetch_stale_clear(r, fh.obj);
	pthread_mutex_lock(&r->lock);
	/* the end first, as such a reader asks for it first (unless the
	 * blocks of the start wanted hold it) */
	if (tail && last > n)
		rc = ahead_job(r, &fh, last - 1, 1);
	if (!rc && n)
		rc = ahead_job(r, &fh, 0, n);
	pthread_mutex_unlock(&r->lock);
	return rc;
}
