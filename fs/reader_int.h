/*
 * reader internals, shared by reader.c (hot list, buffer pool, flights,
 * readahead, handles) and fetch.c (jobs, worker threads, stale objects).
 * Not for use outside those two files: the public API is reader.h.  The
 * design notes and the lock order are at the top of reader.c.
 */
#ifndef LM_READER_INT_H
#define LM_READER_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "blocks.h"
#include "index.h"
#include "reader.h"

struct bufpool;
struct s3_client;

struct hot {
	struct hot *next;		/* most recently used first */
	char obj[BLOCKS_ID_LEN + 1];
	uint64_t no;
	char *data;
	size_t len;
	size_t cap;			/* bytes allocated at data */
	unsigned refs;
	int unread;			/* readahead not read yet (reader.c note 4) */
	size_t seq_read;		/* bytes of it sequential readers took:
					   part way, the trim takes it last */
	int passed;			/* read whole by a sequential reader: to go
					   when the last reference does (note 4) */
	int loose;			/* a random read's own bytes (note 7): in
					   no list, freed with its one reference */
};

/* A flight is in r->flights only until it lands; waiters that still hold
 * a reference then read its result and free it (the last one does).  A
 * landed flight must not be found again: the block it brought may already
 * be gone from memory, and the next reader must look on disk. */
struct flight {
	struct flight *next;
	char obj[BLOCKS_ID_LEN + 1];
	uint64_t no;
	unsigned refs;			/* the job's, and each waiter's */
	int done;			/* landed, and unlinked */
	int err;			/* negative errno once done */
};

struct job {
	struct job *next;
	struct s3_client *c;
	char *key;
	char etag[INDEX_ETAG_MAX];
	char obj[BLOCKS_ID_LEN + 1];
	uint64_t ino;
	int tree;
	uint64_t size;			/* the object's */
	uint64_t first, n;		/* blocks */
	int demand;
	int seq;			/* a demand job of a sequential reader:
					   lands unread, as readahead does,
					   within the readahead budget */
	int ahead_of_open;		/* reader_prefetch's: lands as cached
					   blocks, not as unread readahead, and
					   leaves memory once on disk; unless
					   the object is open by then */
	int ahead_lane;			/* taken by the ahead workers only
					   (fetch.c, "Lanes") */
};

struct fhandle {
	pthread_mutex_t lock;		/* guards the readahead state */
	uint64_t ino;
	int tree;
	struct s3_client *c;
	char *key;
	char etag[INDEX_ETAG_MAX];
	char obj[BLOCKS_ID_LEN + 1];
	uint64_t size;
	uint64_t next_off;		/* where a sequential reader goes next */
	uint64_t window;		/* readahead bytes, 0 for random */
	uint64_t ra_next;		/* first block not yet asked for */
};

/* A fetch that failed a moment ago (fetch.c, "failures"). */
struct failure {
	char obj[BLOCKS_ID_LEN + 1];
	uint64_t first, n;		/* blocks */
	uint64_t at_ms;			/* when it failed (monotonic) */
	int err;
};

#define READER_FAILURES 16

struct reader {
	struct lmfs *fs;
	struct reader_opts o;
	uint32_t bs;
	pthread_mutex_t lock;
	pthread_cond_t work[2];		/* jobs queued for lane 0 or 1 (the
					   ahead lane), or stopping */
	pthread_cond_t landed;		/* a flight finished */
	struct hot *hot;
	uint64_t hot_bytes;		/* of the entries not unread */
	struct flight *flights;
	struct job *head, *tail;
	uint64_t inflight;		/* readahead bytes queued, running, or
					 * landed and unread (note 4) */
	char (*stale)[BLOCKS_ID_LEN + 1];
	size_t nstale;
	struct opened {			/* objects with open handles, and how
					   many (note 4) */
		char obj[BLOCKS_ID_LEN + 1];
		unsigned n;
	} *opened;
	size_t nopened, capopened;
	struct failure failures[READER_FAILURES];	/* a ring */
	unsigned nextfailure;
	int stopping;
	struct bufpool *pool;		/* block buffers */
	pthread_t *threads;
	unsigned nthreads;
	pthread_t pretouch;		/* reader_pretouch's, if pretouching */
	int pretouching;
	pthread_mutex_t verify_lock;
};

/* ---- reader.c ---- */

/* A block buffer of r->bs bytes; NULL when out of memory.  Any locks may
 * be held (the pool has its own, taken last). */
char *reader_buf_get(struct reader *r);
/* Give back a buffer from reader_buf_get(), or the malloc'd data of a hot
 * entry (NULL is fine).  Any locks may be held. */
void reader_buf_put(struct reader *r, char *b);

/* Block no of obj is neither in memory, nor on its way, nor on disk
 * (r->lock held). */
int reader_block_absent(struct reader *r, const char *obj, uint64_t no);
/* The first run of blocks of obj in [*first, end), at most max long, that
 * are nowhere yet: *first moves past those that are here or on their way,
 * and the run's length is returned (0: none).  r->lock held. */
uint64_t reader_absent_run(struct reader *r, const char *obj, uint64_t *first, uint64_t end,
			   uint64_t max);

/* The hot list (fs/reader_hot.c); r->lock held for all but
 * reader_hot_unref. */
/* Block no of obj, moved to the front of the list; NULL if not there. */
struct hot *reader_hot_find(struct reader *r, const char *obj, uint64_t no);
/* h is being read: unread readahead moves from the readahead budget to
 * the hot list's (note 4). */
void reader_hot_read(struct reader *r, struct hot *h);
/* Take ownership of data as block no of obj (unless it is there already,
 * then data is freed).  With HOT_HOLD, the entry is returned referenced
 * (the caller drops the reference and calls reader_hot_trim()); NULL when
 * out of memory.  HOT_UNREAD: readahead, kept until read (note 4). */
#define HOT_HOLD 1
#define HOT_UNREAD 2
struct hot *reader_hot_add(struct reader *r, const char *obj, uint64_t no, char *data,
			   size_t len, int flags);
/* Evict unreferenced entries that were read, least recently used first,
 * down to hot_max. */
void reader_hot_trim(struct reader *r);
/* Let go of a reference on h (r->lock not held); the last one on a block
 * a sequential reader passed frees it (reader.c note 4). */
void reader_hot_unref(struct reader *r, struct hot *h);
/* Drop every unreferenced block of obj. */
void reader_hot_drop_object(struct reader *r, const char *obj);
/* Turn obj's unread readahead into ordinary entries, forget how far its
 * sequential readers had read its blocks, then trim (a handle of obj was
 * released: note 4). */
void reader_hot_read_object(struct reader *r, const char *obj);

/* Flights (fs/reader_hot.c); r->lock held for all four. */
struct flight *reader_flight_find(struct reader *r, const char *obj, uint64_t no);
/* A new flight of block no of obj, in r->flights; NULL when out of memory. */
struct flight *reader_flight_new(struct reader *r, const char *obj, uint64_t no);
/* f brought its block (err 0) or failed (negative errno): it leaves
 * r->flights, done, and its fetcher's reference goes.  The caller wakes
 * the waiters (r->landed). */
void reader_flight_land(struct reader *r, struct flight *f, int err);
/* Wait until f is done (r->lock held, and let go meanwhile): its error. */
int reader_flight_wait(struct reader *r, struct flight *f);
/* Drop a reference to f; the last one frees it. */
void reader_flight_put(struct reader *r, struct flight *f);

/* ---- reader_open.c ---- */

/* Whether a handle has obj open (r->lock held). */
int reader_object_open(struct reader *r, const char *obj);

/* ---- fetch.c ---- */

/* A job for blocks [first, first + n) of fh's object; demand when a reader
 * waits for it.  NULL when out of memory.  No lock needed. */
struct job *fetch_job_new(struct fhandle *fh, uint64_t first, uint64_t n, int demand);
void fetch_job_free(struct job *j);
/* Queue j for the workers with a flight for each of its blocks (r->lock
 * held); the queue owns it then.  -ENOMEM (j freed) when a demand job's
 * flight cannot be had; a readahead job is queued all the same. */
int fetch_job_queue(struct reader *r, struct job *j);
/* Finish the flights of j's blocks with err (r->lock held). */
void fetch_job_land(struct reader *r, struct job *j, int err);

/* The error of a fetch of block no of obj that failed within the last
 * FETCH_FAILURE_HOLD_MS, else 0 (r->lock held). */
int fetch_failed_recently(struct reader *r, const char *obj, uint64_t no);

/* Whether obj was replaced under its readers (r->lock held). */
int fetch_is_stale(struct reader *r, const char *obj);
/* obj was opened again from the index: it is current.  Takes r->lock. */
void fetch_stale_clear(struct reader *r, const char *obj);

/* A worker thread (arg is the reader): runs jobs until r->stopping; the
 * ahead workers run the jobs of the ahead lane only, the others the rest. */
void *fetch_worker_main(void *arg);
void *fetch_ahead_main(void *arg);
/* A reader waits for block no of obj: if a job of the ahead lane that has
 * not started covers it, it moves to the head of the queue for any worker
 * (r->lock held). */
void fetch_job_promote(struct reader *r, const char *obj, uint64_t no);
/* 1 when a job in the queue, not started, covers block no of obj (r->lock
 * held). */
int fetch_job_queued(struct reader *r, const char *obj, uint64_t no);

#endif
