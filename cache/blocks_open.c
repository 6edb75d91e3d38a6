/*
 * blocks_open: opening the block cache (the walk of blockfile_scan()
 * rebuilds the tables, the LRU order from the recorded uses), and closing
 * it.  The design notes and the locks are at the top of blocks.c.
 */
#include "blocks_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blocks_file.h"

/* ---- open: rebuild the tables from the files --------------------------- */

struct load {
	struct blocks *b;
	struct bent **v;	/* the blocks found, to sort by use */
	size_t n, cap;
};

static int load_found(void *arg, const char *id, uint64_t no, const struct blockrec *rec)
{
	struct load *ld = arg;
	struct bent **v, *e = NULL;
	struct bobj *o;

	if (ld->n == ld->cap) {
		if (!(v = realloc(ld->v, (ld->cap ? ld->cap * 2 : 1024) * sizeof(*v))))
			return -1;
		ld->v = v;
		ld->cap = ld->cap ? ld->cap * 2 : 1024;
	}
	if (!(o = bk_obj_find(ld->b, id, 1)))
		return -1;
	if (!(e = bk_ent_get(ld->b, o, no)) || e->stored) {	/* a name twice? */
		bk_obj_release(ld->b, o);
		return e ? 0 : -1;
	}
	bk_ent_cache(ld->b, e, rec->plen, rec->raw, 0);
	/* touched holds the recorded use until blocks_load() has sorted */
	e->touched = rec->used;
	ld->v[ld->n++] = e;
	return 0;
}

static int cmp_touched(const void *x, const void *y)
{
	const struct bent *a = *(struct bent *const *)x, *c = *(struct bent *const *)y;

	return (a->touched > c->touched) - (a->touched < c->touched);
}

/* Scans, then orders the LRU list by use, the oldest at the tail. */
static int blocks_load(struct blocks *b, int discard)
{
	struct load ld = { b, NULL, 0, 0 };
	int64_t now = bk_mono_secs();
	size_t i;
	int rc;

	rc = blockfile_scan(b->dirfd, b->bs, discard, load_found, &ld);
	if (ld.n)
		qsort(ld.v, ld.n, sizeof(*ld.v), cmp_touched);
	b->lru.lnext = b->lru.lprev = &b->lru;
	b->lru_bytes = 0;
	for (i = 0; i < ld.n; i++) {
		bk_lru_add(b, ld.v[i]);
		ld.v[i]->touched = now - TOUCH_SECS;	/* touch at first use */
	}
	free(ld.v);
	return rc;
}

static struct blocks *blocks_new(uint32_t bs, uint64_t max)
{
	struct blocks *b = calloc(1, sizeof(*b));
	int i;

	if (!b || pthread_mutex_init(&b->lock, NULL)) {
		free(b);
		return NULL;
	}
	for (i = 0; i < BK_WLOCKS; i++)
		pthread_mutex_init(&b->wlock[i], NULL);
	pthread_cond_init(&b->put_done, NULL);
	b->dirfd = b->metafd = -1;
	b->bs = bs;
	b->max = max;
	b->lru.lnext = b->lru.lprev = &b->lru;
	if (htab_init(&b->objs) || htab_init(&b->ents)) {
		blocks_close(b);
		return NULL;
	}
	return b;
}

int blocks_open(struct blocks **out, const struct blocks_opts *o, char *err, size_t errlen)
{
	uint32_t bs = o->block_size ? o->block_size : DEFAULT_BS;
	struct blocks *b = NULL;
	int keep;

	*out = NULL;
	if (!o->dir || !*o->dir) {
		snprintf(err, errlen, "no cache directory given");
		goto fail;
	}
	if (bs < MIN_BS || bs > MAX_BS) {
		snprintf(err, errlen, "cache block size %" PRIu32 " is out of range: "
			 "give 4 KiB to 64 MiB", bs);
		goto fail;
	}
	if (!(b = blocks_new(bs, o->max_bytes))) {
		snprintf(err, errlen, "cannot open the block cache: out of memory");
		goto fail;
	}
	if ((b->dirfd = blockfile_opendir(o->dir)) < 0) {
		snprintf(err, errlen, "cannot make cache directory '%s/blocks': %s",
			 o->dir, strerror(errno));
		goto fail;
	}
	if ((keep = blockfile_meta_open(b->dirfd, bs, o->dir, o->lock_wait_ms, &b->metafd,
					err, errlen)) < 0)
		goto fail;
	errno = 0;
	if (blocks_load(b, !keep) || (!keep && blockfile_meta_write(b->metafd, bs))) {
		snprintf(err, errlen, "cannot load the block cache in '%s/blocks': %s",
			 o->dir, errno ? strerror(errno) : "out of memory");
		goto fail;
	}
	while (b->stored > b->max)	/* the cap may have been lowered */
		bk_evict_one(b);
	b->opened = 1;
	*out = b;
	return 0;
fail:
	blocks_close(b);
	return -1;
}

/* Every object written since open reaches the disk; 0, or -1 when one
 * could not be synced. */
static int sync_dirty(struct blocks *b)
{
	struct hlink *l;
	size_t i;
	int rc = 0;

	for (i = 0; i < b->objs.n; i++)
		for (l = b->objs.slot[i]; l; l = l->next) {
			struct bobj *o = (struct bobj *)l;

			if (o->dirty && o->has_files && blockfile_sync(b->dirfd, o->id))
				rc = -1;
		}
	return rc;
}

void blocks_close(struct blocks *b)
{
	int i;

	if (!b)
		return;
	/* A clean close: what the maps say is on the disk (blockfile.c,
	 * "Power loss"). */
	if (b->opened && !sync_dirty(b))
		blockfile_meta_clean(b->metafd, b->bs);
	htab_free_all(&b->ents);
	htab_free_all(&b->objs);
	if (b->metafd >= 0)
		close(b->metafd);	/* and the flock goes with it */
	if (b->dirfd >= 0)
		close(b->dirfd);
	for (i = 0; i < BK_WLOCKS; i++)
		pthread_mutex_destroy(&b->wlock[i]);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->put_done);
	free(b);
}

