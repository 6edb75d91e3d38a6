/*
 * blocks: the local block cache.  What it promises is in blocks.h; the
 * files' format and names, and blocks_object_id(), are in blocks_file.c.
 *
 * In memory: an entry per (object, block) cached or pinned, in a hash table
 * and in its object's list; the cached, unpinned ones also in an LRU list.
 * Open rebuilds it all from the files, the oldest mtime at the LRU end; a
 * use sets a block's mtime again at most once a minute (TOUCH_SECS), so the
 * order survives a restart without a system call per hit.
 *
 * Design notes (blocks_check() recounts 2-4; the unit tests call it):
 *
 *  1. A block file appears only by renameat() of a complete temp file and
 *     goes only by unlinkat(), both under b->lock together with the matching
 *     change to the tables.  So whenever the lock is free the cached entries
 *     and the block files agree, but for files removed behind our back,
 *     which blocks_get() finds and forgets.
 *  2. The cap: stored + reserved <= max whenever the lock is free, where
 *     stored counts whole files, trailers included.  A put
 *     reserves its file's size (evicting first) before it writes its temp
 *     file and turns the reservation into stored bytes when it renames.  A
 *     temp file is never bigger than its reservation, so the bytes on disk
 *     stay under the cap too.
 *  3. An entry is in the LRU list iff it is cached (stored != 0) and
 *     unpinned; lru_bytes is the sum of their sizes.  So eviction takes the
 *     list's tail without looking at pins, and a put knows before evicting
 *     anything whether room can be made (stored - lru_bytes is pinned).
 *  4. An entry neither cached nor pinned does not exist.  An object with no
 *     entries and no put under way does not exist, and its directory is
 *     removed (best effort); its count of puts keeps it, and its directory,
 *     alive while a put writes there.
 *  5. blocks_drop() bumps the object's generation: a put that began before
 *     it sees another generation when it is done, and throws its block away.
 *  6. The contents of (id, no) never change, since the id covers the ETag:
 *     two puts of a block write the same bytes, and a reader that opens the
 *     file just before or after a rename reads the same block either way.
 *
 * Locks: b->lock guards every field of struct blocks from `lock` down, and
 * every bobj and bent.  It is a leaf: nothing else is taken while it is
 * held and nothing calls out, so the order is any caller's lock first, then
 * b->lock.  It is held across renameat, unlinkat and rmdir (the metadata
 * steps of note 1), never while a block is read, written, compressed or
 * decompressed, nor across futimens.
 */
#include "blocks.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blocks_file.h"
#include "htab.h"

#define TOUCH_SECS 60
#define DEFAULT_BS (1u << 20)
#define MIN_BS 4096u
#define MAX_BS (64u << 20)	/* keeps every size in a uint32_t */

struct bobj {
	struct hlink h;
	char id[BLOCKS_ID_LEN + 1];
	struct bent *ents;	/* every entry of this object, cached or not */
	uint64_t raw_bytes;	/* raw sizes of its cached entries */
	uint64_t gen;		/* bumped by blocks_drop (note 5) */
	unsigned puts;		/* puts in flight (note 4) */
	int has_dir;		/* its directory may exist */
};

struct bent {
	struct hlink h;
	struct bobj *obj;
	uint64_t no;
	struct bent *oprev, *onext;	/* obj->ents */
	struct bent *lprev, *lnext;	/* b->lru, iff cached and unpinned */
	uint32_t stored;	/* file size, trailer included; 0: not cached */
	uint32_t raw;
	uint32_t pins;
	uint64_t version;	/* b->seq when its file was last replaced */
	int64_t touched;	/* monotonic s of the last mtime update; while
				   blocks_open scans, the file's mtime in ns */
};

struct blocks {
	int dirfd;		/* DIR/blocks */
	int metafd;		/* holds the flock */
	uint32_t bs;
	uint64_t max;
	pthread_mutex_t lock;
	struct htab objs, ents;
	struct bent lru;	/* sentinel: lnext is the most recently used */
	uint64_t stored, raw, nblocks, reserved, lru_bytes;
	uint64_t evicted, hits, misses;
	uint64_t seq;		/* names temp files, versions entries */
	int direct;		/* O_DIRECT writes still worth trying; read and
				 * written with __atomic, outside the lock */
};

/* ---- small helpers ---------------------------------------------------- */

static int64_t mono_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static uint64_t id_hash(const char *id)
{
	char h[17];

	memcpy(h, id, 16);
	h[16] = '\0';
	return strtoull(h, NULL, 16);
}

static uint64_t ent_hash(const struct bobj *o, uint64_t no)
{
	uint64_t h = o->h.hash ^ ((no + 1) * 0x9e3779b97f4a7c15ull);

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

/* ---- objects, entries, the LRU list (all under b->lock) ---------------- */

static struct bobj *obj_find(struct blocks *b, const char *id, int create)
{
	uint64_t h = id_hash(id);
	struct hlink *l;
	struct bobj *o;

	for (l = htab_first(&b->objs, h); l; l = l->next) {
		o = (struct bobj *)l;
		if (l->hash == h && !memcmp(o->id, id, BLOCKS_ID_LEN))
			return o;
	}
	if (!create || !(o = calloc(1, sizeof(*o))))
		return NULL;
	o->h.hash = h;
	memcpy(o->id, id, BLOCKS_ID_LEN + 1);
	htab_insert(&b->objs, &o->h);
	return o;
}

/* Note 4: an object nobody needs goes, and its directory with it. */
static void obj_release(struct blocks *b, struct bobj *o)
{
	if (o->ents || o->puts)
		return;
	if (o->has_dir)
		blockfile_rmdir(b->dirfd, o->id);
	htab_remove(&b->objs, &o->h);
	free(o);
}

static struct bent *ent_find(struct blocks *b, struct bobj *o, uint64_t no)
{
	struct hlink *l;
	struct bent *e;

	for (l = htab_first(&b->ents, ent_hash(o, no)); l; l = l->next) {
		e = (struct bent *)l;
		if (e->obj == o && e->no == no)
			return e;
	}
	return NULL;
}

/* Finds or makes the entry; NULL when out of memory. */
static struct bent *ent_get(struct blocks *b, struct bobj *o, uint64_t no)
{
	struct bent *e = ent_find(b, o, no);

	if (e || !(e = calloc(1, sizeof(*e))))
		return e;
	e->h.hash = ent_hash(o, no);
	e->obj = o;
	e->no = no;
	e->onext = o->ents;
	if (o->ents)
		o->ents->oprev = e;
	o->ents = e;
	htab_insert(&b->ents, &e->h);
	return e;
}

/* Note 4: frees e when nothing holds it; the caller releases its object. */
static void ent_maybe_free(struct blocks *b, struct bent *e)
{
	if (e->stored || e->pins)
		return;
	if (e->oprev)
		e->oprev->onext = e->onext;
	else
		e->obj->ents = e->onext;
	if (e->onext)
		e->onext->oprev = e->oprev;
	htab_remove(&b->ents, &e->h);
	free(e);
}

static void lru_add(struct blocks *b, struct bent *e)
{
	e->lprev = &b->lru;
	e->lnext = b->lru.lnext;
	e->lnext->lprev = e;
	b->lru.lnext = e;
	b->lru_bytes += e->stored;
}

static void lru_del(struct blocks *b, struct bent *e)
{
	e->lprev->lnext = e->lnext;
	e->lnext->lprev = e->lprev;
	e->lprev = e->lnext = NULL;
	b->lru_bytes -= e->stored;
}

/* e was just used (a pinned entry is not in the list: note 3). */
static void lru_touch(struct blocks *b, struct bent *e)
{
	if (!e->pins) {
		lru_del(b, e);
		lru_add(b, e);
	}
}

/* e now has a file of `stored` bytes holding `raw`. */
static void ent_cache(struct blocks *b, struct bent *e, uint32_t stored,
		      uint32_t raw, int64_t now)
{
	assert(!e->stored && stored >= BLOCKFILE_HDR_LEN);
	e->stored = stored;
	e->raw = raw;
	e->version = ++b->seq;
	e->touched = now;
	e->obj->raw_bytes += raw;
	e->obj->has_dir = 1;
	b->stored += stored;
	b->raw += raw;
	b->nblocks++;
	if (!e->pins)
		lru_add(b, e);
}

/* Forgets e's file (the accounting only). */
static void ent_forget(struct blocks *b, struct bent *e)
{
	assert(e->stored);
	if (!e->pins)
		lru_del(b, e);
	e->obj->raw_bytes -= e->raw;
	b->stored -= e->stored;
	b->raw -= e->raw;
	b->nblocks--;
	e->stored = e->raw = 0;
}

/* Removes e's file and forgets it; e may be freed, its object is kept. */
static void ent_remove(struct blocks *b, struct bent *e)
{
	blockfile_unlink(b->dirfd, e->obj->id, e->no);
	ent_forget(b, e);
	ent_maybe_free(b, e);
}

static void evict_one(struct blocks *b)
{
	struct bent *e = b->lru.lprev;
	struct bobj *o = e->obj;

	assert(e != &b->lru);
	ent_remove(b, e);
	obj_release(b, o);
	b->evicted++;
}

/* Note 2: reserves `size` bytes, evicting from the LRU end as needed.
 * Refuses, evicting nothing, when pinned blocks and other puts' reservations
 * leave no room. */
static int reserve(struct blocks *b, uint64_t size)
{
	uint64_t fixed = b->stored - b->lru_bytes + b->reserved;

	if (size > b->max || fixed > b->max - size)
		return -1;
	while (b->stored + b->reserved + size > b->max)
		evict_one(b);
	/* the disk may be smaller than the cap, or shared with staged
	 * files: older blocks make way if they can, else the block is not
	 * kept (and none is evicted for nothing) */
	if (blocks_disk_short(b->dirfd, b->reserved + size) > b->lru_bytes)
		return -1;
	while (!blocks_disk_room(b->dirfd, b->reserved + size) && b->lru_bytes)
		evict_one(b);
	if (!blocks_disk_room(b->dirfd, b->reserved + size))
		return -1;
	b->reserved += size;
	return 0;
}

int blocks_make_room(struct blocks *b, int fd, uint64_t need)
{
	if (!b)
		return blocks_disk_room(fd, need);
	pthread_mutex_lock(&b->lock);
	if (blocks_disk_short(fd, need) <= b->lru_bytes)
		while (!blocks_disk_room(fd, need) && b->lru_bytes)
			evict_one(b);
	pthread_mutex_unlock(&b->lock);
	return blocks_disk_room(fd, need);
}

/* ---- open: rebuild the tables from the files --------------------------- */

struct load {
	struct blocks *b;
	struct bent **v;	/* the blocks found, to sort by mtime */
	size_t n, cap;
};

static int load_found(void *arg, const char *id, uint64_t no, uint32_t size,
		      uint32_t raw, const struct timespec *mtime)
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
	if (!(o = obj_find(ld->b, id, 1)))
		return -1;
	if (!(e = ent_get(ld->b, o, no)) || e->stored) {	/* a name twice? */
		obj_release(ld->b, o);
		return e ? 0 : -1;
	}
	ent_cache(ld->b, e, size, raw, 0);
	/* touched holds the mtime until blocks_load() has sorted */
	e->touched = (int64_t)mtime->tv_sec * 1000000000 + mtime->tv_nsec;
	ld->v[ld->n++] = e;
	return 0;
}

static int cmp_touched(const void *x, const void *y)
{
	const struct bent *a = *(struct bent *const *)x, *c = *(struct bent *const *)y;

	return (a->touched > c->touched) - (a->touched < c->touched);
}

/* Scans, then orders the LRU list by mtime, the oldest at the tail. */
static int blocks_load(struct blocks *b, int discard)
{
	struct load ld = { b, NULL, 0, 0 };
	int64_t now = mono_secs();
	size_t i;
	int rc;

	rc = blockfile_scan(b->dirfd, b->bs, discard, load_found, &ld);
	if (ld.n)
		qsort(ld.v, ld.n, sizeof(*ld.v), cmp_touched);
	b->lru.lnext = b->lru.lprev = &b->lru;
	b->lru_bytes = 0;
	for (i = 0; i < ld.n; i++) {
		lru_add(b, ld.v[i]);
		ld.v[i]->touched = now - TOUCH_SECS;	/* touch at first use */
	}
	free(ld.v);
	return rc;
}

static struct blocks *blocks_new(uint32_t bs, uint64_t max)
{
	struct blocks *b = calloc(1, sizeof(*b));

	if (!b || pthread_mutex_init(&b->lock, NULL)) {
		free(b);
		return NULL;
	}
	b->dirfd = b->metafd = -1;
	b->direct = 1;
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
	if ((keep = blockfile_meta_open(b->dirfd, bs, o->dir, &b->metafd, err, errlen)) < 0)
		goto fail;
	errno = 0;
	if (blocks_load(b, !keep) || (!keep && blockfile_meta_write(b->metafd, bs))) {
		snprintf(err, errlen, "cannot load the block cache in '%s/blocks': %s",
			 o->dir, errno ? strerror(errno) : "out of memory");
		goto fail;
	}
	while (b->stored > b->max)	/* the cap may have been lowered */
		evict_one(b);
	*out = b;
	return 0;
fail:
	blocks_close(b);
	return -1;
}

void blocks_close(struct blocks *b)
{
	if (!b)
		return;
	htab_free_all(&b->ents);
	htab_free_all(&b->objs);
	if (b->metafd >= 0)
		close(b->metafd);	/* and the flock goes with it */
	if (b->dirfd >= 0)
		close(b->dirfd);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

uint32_t blocks_block_size(const struct blocks *b)
{
	return b->bs;
}

/* ---- reading ---------------------------------------------------------- */

ssize_t blocks_get(struct blocks *b, const char *obj, uint64_t no, void *buf, size_t cap)
{
	char rel[BLOCKFILE_NAME_MAX];
	struct bobj *o;
	struct bent *e;
	uint32_t size = 0, raw = 0;
	uint64_t version = 0;
	int64_t now = mono_secs();
	int touch = 0;
	ssize_t r;

	if (!blockfile_id_ok(obj))
		return -1;
	pthread_mutex_lock(&b->lock);
	e = (o = obj_find(b, obj, 0)) ? ent_find(b, o, no) : NULL;
	if (e && e->stored && e->raw <= cap) {
		size = e->stored;
		raw = e->raw;
		version = e->version;
		lru_touch(b, e);
		if ((touch = now - e->touched >= TOUCH_SECS))
			e->touched = now;
		b->hits++;
	} else {
		b->misses++;
	}
	pthread_mutex_unlock(&b->lock);
	if (!size)
		return -1;
	blockfile_name(rel, obj, no, 0);
	if ((r = blockfile_read(b->dirfd, rel, b->bs, buf, size, raw, touch)) >= 0)
		return r;
	pthread_mutex_lock(&b->lock);
	b->hits--;
	b->misses++;
	/* Damaged or gone: forget it, unless a put has replaced it meanwhile. */
	if (r == -2 && (o = obj_find(b, obj, 0)) && (e = ent_find(b, o, no)) &&
	    e->stored && e->version == version) {
		ent_remove(b, e);
		obj_release(b, o);
	}
	pthread_mutex_unlock(&b->lock);
	return -1;
}

int blocks_has(struct blocks *b, const char *obj, uint64_t no)
{
	struct bobj *o;
	struct bent *e;
	int has;

	if (!blockfile_id_ok(obj))
		return 0;
	pthread_mutex_lock(&b->lock);
	e = (o = obj_find(b, obj, 0)) ? ent_find(b, o, no) : NULL;
	has = e && e->stored;
	pthread_mutex_unlock(&b->lock);
	return has;
}

/* ---- writing ---------------------------------------------------------- */

/* Note 1: the temp file becomes block `no`; when two puts race, the last
 * rename wins and the accounting follows it. */
static int commit(struct blocks *b, struct bobj *o, uint64_t no, const char *tmp,
		  uint32_t size, uint32_t raw)
{
	char rel[BLOCKFILE_NAME_MAX];
	struct bent *e = ent_get(b, o, no);

	if (!e)
		return -1;
	blockfile_name(rel, o->id, no, 0);
	if (renameat(b->dirfd, tmp, b->dirfd, rel)) {
		ent_maybe_free(b, e);
		return -1;
	}
	if (e->stored)
		ent_forget(b, e);
	ent_cache(b, e, size, raw, mono_secs());
	return 0;
}

int blocks_put(struct blocks *b, const char *obj, uint64_t no, const void *data, size_t len)
{
	unsigned char h[BLOCKFILE_HDR_LEN];
	char tmp[BLOCKFILE_NAME_MAX], *z = NULL;
	const void *payload;
	uint32_t plen, size;
	uint64_t gen, seq;
	struct bobj *o;
	struct bent *e;
	int rc = -1, direct;

	if (!blockfile_id_ok(obj) || len > b->bs)
		return -1;
	payload = blockfile_encode(h, data, len, &z, &plen);
	size = plen + BLOCKFILE_HDR_LEN;
	pthread_mutex_lock(&b->lock);
	if (!(o = obj_find(b, obj, 1)))
		goto fail;
	e = ent_find(b, o, no);
	if (e && e->stored && e->raw == len) {	/* note 6: nothing to do */
		lru_touch(b, e);
		rc = 0;
		goto fail;
	}
	o->puts++;
	if (reserve(b, size)) {
		o->puts--;
		obj_release(b, o);
		goto fail;
	}
	o->has_dir = 1;
	gen = o->gen;
	seq = ++b->seq;
	pthread_mutex_unlock(&b->lock);

	blockfile_name(tmp, obj, no, seq);
	direct = __atomic_load_n(&b->direct, __ATOMIC_RELAXED);
	rc = blockfile_write(b->dirfd, obj, tmp, h, payload, plen, &direct);
	if (!direct)
		__atomic_store_n(&b->direct, 0, __ATOMIC_RELAXED);

	pthread_mutex_lock(&b->lock);
	b->reserved -= size;
	o->puts--;
	if (!rc && (gen != o->gen || commit(b, o, no, tmp, size, (uint32_t)len))) {
		unlinkat(b->dirfd, tmp, 0);
		rc = -1;
	}
	obj_release(b, o);
fail:
	pthread_mutex_unlock(&b->lock);
	free(z);
	return rc;
}

/* ---- pins, queries ---------------------------------------------------- */

static void unpin_ent(struct blocks *b, struct bent *e)
{
	if (!e || !e->pins || --e->pins)
		return;
	if (e->stored)
		lru_add(b, e);	/* a reader just used it */
	else
		ent_maybe_free(b, e);
}

/* Each pinned block costs an entry, cached or not: pin a reader's window,
 * not a whole object.  (The loops stop at last so that it can be
 * UINT64_MAX.) */
void blocks_pin(struct blocks *b, const char *obj, uint64_t first, uint64_t last)
{
	struct bobj *o;
	struct bent *e;
	uint64_t no;

	if (!blockfile_id_ok(obj))
		return;
	pthread_mutex_lock(&b->lock);
	if ((o = obj_find(b, obj, 1))) {
		for (no = first; first <= last; no++) {
			if ((e = ent_get(b, o, no)) && !e->pins++ && e->stored)
				lru_del(b, e);	/* NULL e: out of memory, no pin */
			if (no == last)
				break;
		}
		obj_release(b, o);
	}
	pthread_mutex_unlock(&b->lock);
}

/* A wide range is unpinned by walking the object's entries instead, so that
 * unpinning [0, UINT64_MAX] takes no longer than the object is big. */
void blocks_unpin(struct blocks *b, const char *obj, uint64_t first, uint64_t last)
{
	struct bent *e, *next;
	struct bobj *o;
	uint64_t no;

	if (!blockfile_id_ok(obj))
		return;
	pthread_mutex_lock(&b->lock);
	if ((o = obj_find(b, obj, 0)) && first <= last && last - first < 64) {
		for (no = first;; no++) {
			unpin_ent(b, ent_find(b, o, no));
			if (no == last)
				break;
		}
	} else {
		for (e = o ? o->ents : NULL; e; e = next) {
			next = e->onext;
			if (e->no >= first && e->no <= last)
				unpin_ent(b, e);
		}
	}
	if (o)
		obj_release(b, o);
	pthread_mutex_unlock(&b->lock);
}

uint64_t blocks_cached_bytes(struct blocks *b, const char *obj)
{
	struct bobj *o;
	uint64_t n = 0;

	if (!blockfile_id_ok(obj))
		return 0;
	pthread_mutex_lock(&b->lock);
	if ((o = obj_find(b, obj, 0)))
		n = o->raw_bytes;
	pthread_mutex_unlock(&b->lock);
	return n;
}

/* Pinned entries stay (without their files) so that unpins still balance;
 * puts already under way are thrown away when they finish (note 5). */
void blocks_drop(struct blocks *b, const char *obj)
{
	struct bent *e, *next;
	struct bobj *o;

	if (!blockfile_id_ok(obj))
		return;
	pthread_mutex_lock(&b->lock);
	if ((o = obj_find(b, obj, 0))) {
		o->gen++;
		for (e = o->ents; e; e = next) {
			next = e->onext;
			if (e->stored)
				ent_remove(b, e);
		}
		obj_release(b, o);
	}
	pthread_mutex_unlock(&b->lock);
}

void blocks_stats(struct blocks *b, struct blocks_stats *st)
{
	pthread_mutex_lock(&b->lock);
	st->stored_bytes = b->stored;
	st->raw_bytes = b->raw;
	st->nblocks = b->nblocks;
	st->evicted = b->evicted;
	st->hits = b->hits;
	st->misses = b->misses;
	pthread_mutex_unlock(&b->lock);
}

/* Design notes 2-4, recounted from scratch. */
int blocks_check(struct blocks *b)
{
	uint64_t stored = 0, raw = 0, n = 0, lru = 0, oraw;
	struct hlink *l;
	struct bent *e;
	struct bobj *o;
	size_t i;
	int bad = 0;

	pthread_mutex_lock(&b->lock);
	for (e = b->lru.lnext; e != &b->lru; e = e->lnext) {
		bad |= !e->stored || e->pins;
		lru += e->stored;
	}
	for (i = 0; i < b->objs.n; i++)
		for (l = b->objs.slot[i]; l; l = l->next) {
			o = (struct bobj *)l;
			bad |= !o->ents && !o->puts;
			for (oraw = 0, e = o->ents; e; e = e->onext) {
				bad |= !e->stored && !e->pins;
				bad |= !!e->lprev != (e->stored && !e->pins);
				bad |= ent_find(b, o, e->no) != e;
				stored += e->stored;
				oraw += e->raw;
				n += !!e->stored;
			}
			bad |= oraw != o->raw_bytes;
			raw += oraw;
		}
	bad |= stored != b->stored || raw != b->raw || n != b->nblocks;
	bad |= lru != b->lru_bytes || b->stored + b->reserved > b->max;
	pthread_mutex_unlock(&b->lock);
	return bad ? -1 : 0;
}
