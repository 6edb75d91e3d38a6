/*
 * blocks_int.h: what blocks.c (the cache's operations) and blocks_open.c
 * (open, the walk that rebuilds the tables, close) share.  Private to those
 * two files; callers use blocks.h.  The design notes and the locks are at
 * the top of blocks.c.
 */
#ifndef LM_BLOCKS_INT_H
#define LM_BLOCKS_INT_H

#include "blocks.h"

#include <pthread.h>
#include <stdint.h>

#include "htab.h"

#define TOUCH_SECS 60
#define BACKING_WAIT_SECS 1	/* the longest blocks_backing_open waits */
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
	int has_files;		/* its files may exist */
	int dirty;		/* records changed since open, maybe not on disk */
};

struct bent {
	struct hlink h;
	struct bobj *obj;
	uint64_t no;
	struct bent *oprev, *onext;	/* obj->ents */
	struct bent *lprev, *lnext;	/* b->lru, iff cached and unpinned */
	uint32_t stored;	/* disk bytes (note 2); 0: not cached */
	uint32_t plen;		/* bytes in the data file (< raw: LZ4) */
	uint32_t raw;
	uint32_t pins;
	int putting;		/* a put writes it (note 6) */
	uint64_t version;	/* b->seq when it was last recorded */
	int64_t touched;	/* monotonic s of the last recorded use; while
				   blocks_open scans, the recorded use */
};

/* Stripes of the lock that serialises the data writes of an object (note 8
 * in blocks.c). */
#define BK_WLOCKS 16

struct blocks {
	int dirfd;		/* DIR/blocks */
	int metafd;		/* holds the flock */
	uint32_t bs;
	uint64_t max;
	pthread_mutex_t wlock[BK_WLOCKS];	/* note 8; not under `lock` */
	pthread_mutex_t lock;
	pthread_cond_t put_done;	/* a put ended (blocks_backing_open) */
	struct htab objs, ents;
	struct bent lru;	/* sentinel: lnext is the most recently used */
	uint64_t stored, raw, nblocks, reserved, lru_bytes;
	uint64_t evicted, hits, misses;
	uint64_t seq;		/* versions entries */
	int opened;		/* blocks_open succeeded: the cache is ours */
};

/* Helpers of blocks.c that blocks_open.c uses too; b->lock held for all
 * but bk_mono_secs. */
int64_t bk_mono_secs(void);
struct bobj *bk_obj_find(struct blocks *b, const char *id, int create);
void bk_obj_release(struct blocks *b, struct bobj *o);
struct bent *bk_ent_find(struct blocks *b, struct bobj *o, uint64_t no);
struct bent *bk_ent_get(struct blocks *b, struct bobj *o, uint64_t no);
void bk_ent_cache(struct blocks *b, struct bent *e, uint32_t plen, uint32_t raw, int64_t now);
void bk_lru_add(struct blocks *b, struct bent *e);
void bk_evict_one(struct blocks *b);

#endif
