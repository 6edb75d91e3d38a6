/*
 * blocks: the local block cache.  What it promises is in blocks.h; the
 * files' format and names, and blocks_object_id(), are in blocks_file.c.
 *
 * In memory: an entry per (object, block) cached, pinned or being put, in
 * a hash table and in its object's list; the cached, unpinned ones also in
 * an LRU list.  Open rebuilds it all from the objects' maps, the oldest
 * use at the LRU end; a use records a block's time again at most once a
 * minute (TOUCH_SECS), so the order survives a restart without a system
 * call per hit.
 *
 * Design notes (blocks_check() recounts 2-4; the unit tests call it):
 *
 *  1. A block appears only when its record is written, after its bytes,
 *     and goes only when its record is cleared, before its bytes: both
 *     under b->lock together with the matching change to the tables.  So
 *     whenever the lock is free the cached entries and the records agree,
 *     but for files damaged behind our back, which blocks_get() finds and
 *     forgets.
 *  2. The cap: stored + reserved <= max whenever the lock is free, where
 *     stored counts what the blocks take on disk (whole pages:
 *     blockfile_disk_len).  A put reserves that (evicting first) before it
 *     writes its bytes and turns the reservation into stored bytes when it
 *     records them, so the bytes on disk stay under the cap too.
 *  3. An entry is in the LRU list iff it is cached (stored != 0) and
 *     unpinned; lru_bytes is the sum of their sizes.  So eviction takes the
 *     list's tail without looking at pins, and a put knows before evicting
 *     anything whether room can be made (stored - lru_bytes is pinned).
 *  4. An entry neither cached, pinned nor being put does not exist.  An
 *     object with no entries and no put under way does not exist, and its
 *     files are removed; its count of puts keeps it, and its files, alive
 *     while a put writes there.
 *  5. blocks_drop() bumps the object's generation: a put that began before
 *     it sees another generation when it is done, and punches its bytes
 *     out again instead of recording them.
 *  6. The contents of (id, no) never change, since the id covers the ETag.
 *     One put at a time writes a block (`putting`); a second put of it
 *     meanwhile does nothing, so the put that punches its own bytes out
 *     (note 5, or a failure) never punches another's.
 *  7. A block's bytes may be punched out (evicted) while blocks_get()
 *     reads them outside the lock: what it read counts only if the entry
 *     still has the version it had before the read.
 *  8. The bytes of one object are written by one put at a time (b->wlock,
 *     striped by the object's hash, which never changes: objects of one
 *     stripe wait for each other too, a write of a block at a time).  The
 *     kernel serialises them anyway: ext4 takes the file's i_rwsem
 *     exclusively for each buffered write and fallocate.  But a writer
 *     that meets another there spins on it while the owner runs
 *     (rwsem_spin_on_owner: a fifth of the daemon's CPU in a cold read,
 *     in one profile): the fetch workers of a cold read each write their
 *     8 MiB part as its GET ends, and on two cores the spinner takes the
 *     server's core.  A cold read of 256 MiB on loopback, at a time when
 *     this VM was slow to write into the page cache (dd of 256 MiB into
 *     new files took 0.43-0.69 s, later 0.05-0.2 s): 0.60-0.65 s and
 *     0.63-0.73 s of the daemon's CPU before, 0.52-0.61 s and 0.43-0.53 s
 *     with the lock (4 each, interleaved).  When writing is fast the
 *     writers rarely meet: no difference (0.27-0.34 s either way, 3 each).
 *
 * Locks: b->wlock[i] is held only around blockfile_write_data, with no
 * other lock of blocks held.  b->lock guards every field of struct blocks
 * from `lock` down, and every bobj and bent.  It is a leaf: nothing else
 * is taken while it is held and nothing calls out, so the order is any
 * caller's lock first, then b->lock.  It is held across the record
 * writes, hole punches and unlinks (the metadata steps of note 1), never
 * while a block's bytes are read, written, compressed or decompressed.
 */
#include "blocks_int.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blocks_file.h"

/* ---- small helpers ---------------------------------------------------- */

int64_t bk_mono_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The use time a record keeps. */
static uint32_t wall_secs(void)
{
	return (uint32_t)time(NULL);
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

struct bobj *bk_obj_find(struct blocks *b, const char *id, int create)
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

/* Note 4: an object nobody needs goes, and its files with it. */
void bk_obj_release(struct blocks *b, struct bobj *o)
{
	if (o->ents || o->puts)
		return;
	if (o->has_files)
		blockfile_remove(b->dirfd, o->id);
	htab_remove(&b->objs, &o->h);
	free(o);
}

struct bent *bk_ent_find(struct blocks *b, struct bobj *o, uint64_t no)
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
struct bent *bk_ent_get(struct blocks *b, struct bobj *o, uint64_t no)
{
	struct bent *e = bk_ent_find(b, o, no);

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
	if (e->stored || e->pins || e->putting)
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

void bk_lru_add(struct blocks *b, struct bent *e)
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
		bk_lru_add(b, e);
	}
}

/* e is now recorded: plen bytes stored, holding raw. */
void bk_ent_cache(struct blocks *b, struct bent *e, uint32_t plen, uint32_t raw,
		      int64_t now)
{
	uint32_t stored = blockfile_disk_len(plen);

	assert(!e->stored && stored);
	e->stored = stored;
	e->plen = plen;
	e->raw = raw;
	e->version = ++b->seq;
	e->touched = now;
	e->obj->raw_bytes += raw;
	e->obj->has_files = 1;
	b->stored += stored;
	b->raw += raw;
	b->nblocks++;
	if (!e->pins)
		bk_lru_add(b, e);
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
	e->stored = e->plen = e->raw = 0;
}

/* Removes e's block and forgets it; e may be freed, its object is kept. */
static void ent_remove(struct blocks *b, struct bent *e)
{
	blockfile_punch(b->dirfd, e->obj->id, e->no, b->bs);
	/* the cleared record must reach the disk with the hole (a clean
	 * close syncs dirty objects): a record naming a hole is zeros */
	e->obj->dirty = 1;
	ent_forget(b, e);
	ent_maybe_free(b, e);
}

void bk_evict_one(struct blocks *b)
{
	struct bent *e = b->lru.lprev;
	struct bobj *o = e->obj;

	assert(e != &b->lru);
	ent_remove(b, e);
	bk_obj_release(b, o);
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
		bk_evict_one(b);
	/* the disk may be smaller than the cap, or shared with staged
	 * files: older blocks make way if they can, else the block is not
	 * kept (and none is evicted for nothing) */
	if (blocks_disk_short(b->dirfd, b->reserved + size) > b->lru_bytes)
		return -1;
	while (!blocks_disk_room(b->dirfd, b->reserved + size) && b->lru_bytes)
		bk_evict_one(b);
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
			bk_evict_one(b);
	pthread_mutex_unlock(&b->lock);
	return blocks_disk_room(fd, need);
}

uint32_t blocks_block_size(const struct blocks *b)
{
	return b->bs;
}

/* ---- reading ---------------------------------------------------------- */

ssize_t blocks_get(struct blocks *b, const char *obj, uint64_t no, void *buf, size_t cap)
{
	struct blockrec rec = { 0, 0, 0 };
	struct bobj *o;
	struct bent *e;
	uint64_t version = 0;
	int64_t now = bk_mono_secs();
	int touch = 0;
	ssize_t r;

	if (!blockfile_id_ok(obj))
		return -1;
	pthread_mutex_lock(&b->lock);
	e = (o = bk_obj_find(b, obj, 0)) ? bk_ent_find(b, o, no) : NULL;
	if (e && e->stored && e->raw <= cap) {
		rec.raw = e->raw;
		rec.plen = e->plen;
		version = e->version;
		lru_touch(b, e);
		if ((touch = now - e->touched >= TOUCH_SECS))
			e->touched = now;
		b->hits++;
	} else {
		b->misses++;
	}
	pthread_mutex_unlock(&b->lock);
	if (!rec.raw)
		return -1;
	r = blockfile_read(b->dirfd, obj, no, b->bs, buf, &rec);
	pthread_mutex_lock(&b->lock);
	e = (o = bk_obj_find(b, obj, 0)) ? bk_ent_find(b, o, no) : NULL;
	if (!e || !e->stored || e->version != version) {
		r = -1;		/* note 7: evicted, or dropped, meanwhile */
	} else if (r >= 0 && touch) {
		blockfile_touch(b->dirfd, obj, no, wall_secs());
	} else if (r == -2) {
		ent_remove(b, e);	/* damaged or gone: forget it */
		bk_obj_release(b, o);
	}
	if (r < 0) {
		b->hits--;
		b->misses++;
	}
	pthread_mutex_unlock(&b->lock);
	return r < 0 ? -1 : r;
}

int blocks_has(struct blocks *b, const char *obj, uint64_t no)
{
	struct bobj *o;
	struct bent *e;
	int has;

	if (!blockfile_id_ok(obj))
		return 0;
	pthread_mutex_lock(&b->lock);
	e = (o = bk_obj_find(b, obj, 0)) ? bk_ent_find(b, o, no) : NULL;
	has = e && e->stored;
	pthread_mutex_unlock(&b->lock);
	return has;
}

/* ---- writing ---------------------------------------------------------- */

int blocks_put(struct blocks *b, const char *obj, uint64_t no, const void *data, size_t len)
{
	struct blockrec rec;
	char *z = NULL;
	const void *payload;
	uint32_t plen, size;
	uint64_t gen;
	struct bobj *o;
	struct bent *e = NULL;
	int rc = -1;

	if (!blockfile_id_ok(obj) || !len || len > b->bs)
		return -1;
	payload = blockfile_encode(data, len, &z, &plen);
	size = blockfile_disk_len(plen);
	pthread_mutex_lock(&b->lock);
	if (!(o = bk_obj_find(b, obj, 1)))
		goto fail;
	if (!(e = bk_ent_get(b, o, no)))
		goto out;
	if (e->stored || e->putting) {	/* note 6: nothing to do */
		if (e->stored)
			lru_touch(b, e);
		rc = 0;
		goto out;
	}
	if (reserve(b, size))
		goto out;
	e->putting = 1;
	o->puts++;
	o->has_files = 1;
	gen = o->gen;
	pthread_mutex_unlock(&b->lock);

	pthread_mutex_lock(&b->wlock[o->h.hash % BK_WLOCKS]);	/* note 8 */
	rc = blockfile_write_data(b->dirfd, obj, no, b->bs, payload, plen);
	pthread_mutex_unlock(&b->wlock[o->h.hash % BK_WLOCKS]);

	pthread_mutex_lock(&b->lock);
	b->reserved -= size;
	o->puts--;
	e->putting = 0;
	rec = (struct blockrec){ (uint32_t)len, plen, wall_secs() };
	if (!rc && (gen != o->gen || blockfile_record(b->dirfd, obj, no, &rec))) {
		blockfile_punch(b->dirfd, obj, no, b->bs);	/* note 5 */
		rc = -1;
	}
	if (!rc) {
		bk_ent_cache(b, e, plen, (uint32_t)len, bk_mono_secs());
		o->dirty = 1;
	}
	pthread_cond_broadcast(&b->put_done);
out:
	if (e)
		ent_maybe_free(b, e);
	bk_obj_release(b, o);
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
		bk_lru_add(b, e);	/* a reader just used it */
	else
		ent_maybe_free(b, e);
}

/* b->lock held.  (The loop stops at last so that it can be UINT64_MAX.) */
static void pin_range(struct blocks *b, struct bobj *o, uint64_t first, uint64_t last)
{
	struct bent *e;
	uint64_t no;

	for (no = first; first <= last; no++) {
		if ((e = bk_ent_get(b, o, no)) && !e->pins++ && e->stored)
			lru_del(b, e);	/* NULL e: out of memory, no pin */
		if (no == last)
			break;
	}
}

/* Each pinned block costs an entry, cached or not: pin a reader's window,
 * not a whole object. */
void blocks_pin(struct blocks *b, const char *obj, uint64_t first, uint64_t last)
{
	struct bobj *o;

	if (!blockfile_id_ok(obj))
		return;
	pthread_mutex_lock(&b->lock);
	if ((o = bk_obj_find(b, obj, 1))) {
		pin_range(b, o, first, last);
		bk_obj_release(b, o);
	}
	pthread_mutex_unlock(&b->lock);
}

/* Whether the n blocks of o are cached as they are (1), on their way to
 * the disk (0: some being put, none missing), or not (-1). */
static int whole(struct blocks *b, struct bobj *o, uint64_t n, uint64_t size)
{
	int rc = 1;

	for (uint64_t no = 0; o && no < n; no++) {
		struct bent *e = bk_ent_find(b, o, no);

		if (e && e->putting)
			rc = 0;
		else if (!e || !e->stored || e->plen != e->raw ||
			 e->raw != (no + 1 < n ? b->bs : size - no * b->bs))
			return -1;
	}
	return o ? rc : -1;
}

int blocks_backing_open(struct blocks *b, const char *obj, uint64_t size)
{
	uint64_t n = (size + b->bs - 1) / b->bs;
	struct timespec until;
	struct bobj *o;
	struct stat st;
	int fd = -1, w;

	if (!blockfile_id_ok(obj) || !size)
		return -1;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += BACKING_WAIT_SECS;
	pthread_mutex_lock(&b->lock);
	/* A reader that just read the object whole opens it again before
	 * the last of its blocks are written: those are worth the wait. */
	while (!(w = whole(b, o = bk_obj_find(b, obj, 0), n, size)) &&
	       !pthread_cond_timedwait(&b->put_done, &b->lock, &until))
		;
	if (w > 0) {
		pin_range(b, o, 0, n - 1);
		fd = blockfile_open_data(b->dirfd, obj);
	}
	pthread_mutex_unlock(&b->lock);
	/* the data file ends where the object does: nothing past it shows */
	if (fd >= 0 && (fstat(fd, &st) || (uint64_t)st.st_size != size)) {
		close(fd);
		fd = -1;
	}
	if (w > 0 && fd < 0)
		blocks_unpin(b, obj, 0, n - 1);
	return fd;
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
	if ((o = bk_obj_find(b, obj, 0)) && first <= last && last - first < 64) {
		for (no = first;; no++) {
			unpin_ent(b, bk_ent_find(b, o, no));
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
		bk_obj_release(b, o);
	pthread_mutex_unlock(&b->lock);
}

uint64_t blocks_cached_bytes(struct blocks *b, const char *obj)
{
	struct bobj *o;
	uint64_t n = 0;

	if (!blockfile_id_ok(obj))
		return 0;
	pthread_mutex_lock(&b->lock);
	if ((o = bk_obj_find(b, obj, 0)))
		n = o->raw_bytes;
	pthread_mutex_unlock(&b->lock);
	return n;
}

/* The files go by unlink, not by punching holes: a descriptor the kernel
 * reads from (blocks_backing_open) keeps reading what it had.  Pinned
 * entries stay (without their blocks) so that unpins still balance; puts
 * already under way are thrown away when they finish (note 5). */
void blocks_drop(struct blocks *b, const char *obj)
{
	struct bent *e, *next;
	struct bobj *o;

	if (!blockfile_id_ok(obj))
		return;
	pthread_mutex_lock(&b->lock);
	if ((o = bk_obj_find(b, obj, 0))) {
		o->gen++;
		blockfile_remove(b->dirfd, o->id);
		for (e = o->ents; e; e = next) {
			next = e->onext;
			if (e->stored) {
				ent_forget(b, e);
				ent_maybe_free(b, e);
			}
		}
		bk_obj_release(b, o);
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
				bad |= !e->stored && !e->pins && !e->putting;
				bad |= !!e->lprev != (e->stored && !e->pins);
				bad |= bk_ent_find(b, o, e->no) != e;
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
