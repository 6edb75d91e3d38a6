/*
 * reader: reading objects through the block cache, with readahead.
 *
 * An open file is pinned to the ETag it was opened with: every ranged GET
 * carries If-Match, and if the object was replaced the handle fails with
 * EIO (never a mix of old and new bytes) while the index learns the new
 * object for the next open.
 */
#ifndef LM_READER_H
#define LM_READER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "blocks.h"
#include "index.h"

struct lmfs;
struct reader;
struct fhandle;
struct hot;

struct reader_opts {
	unsigned workers;		/* parallel GETs; default 8 */
	uint64_t part_size;		/* bytes per readahead GET; default 8 MiB */
	uint64_t window_max;		/* readahead per file; default 64 MiB */
	uint64_t inflight_max;		/* readahead in all; default 64 MiB */
	uint64_t hot_max;		/* decoded blocks kept in memory; 16 MiB */
};

int reader_new(struct lmfs *fs, const struct reader_opts *o, struct reader **out);
void reader_free(struct reader *r);
/* Make the buffers of a cold sequential read resident, in a thread of its
 * own (fs/bufpool.c, "Pretouch"), and return at once.  At most once. */
void reader_pretouch(struct reader *r);

/* Open the file row e.  Returns 0 and a handle, or a negative errno
 * (-EIO when a checksum mismatch was recorded for it and the policy is
 * "enforce"). */
int reader_open(struct reader *r, const struct index_entry *e, struct fhandle **out);
void reader_release(struct reader *r, struct fhandle *fh);

/* Fetch into the cache, for a reader expected to open it soon
 * (fs/siblings.c), the first head blocks of file row e (at most its first
 * part) and its last block (tail: unzip -l, a parquet footer), what of
 * them is not here or on its way.  0, or -1 when the budget for such
 * fetches (half the readahead one) is spent. */
int reader_prefetch(struct reader *r, const struct index_entry *e, unsigned head, int tail);
/* Bytes per readahead GET. */
uint64_t reader_part_size(const struct reader *r);

/* Bytes of a file, in place: a span points into a block held in memory
 * until reader_spans_release(), so a read is answered without a copy. */
struct reader_span {
	const char *data;
	size_t len;
	struct hot *ref;
};

#define READER_MAX_SPANS 8

/* The bytes [off, off + size) of fh, clamped to its end, as up to
 * READER_MAX_SPANS spans (*nsp of them).  Returns how many bytes they hold
 * (0 at the end) or a negative errno (no spans then). */
ssize_t reader_spans(struct reader *r, struct fhandle *fh, size_t size, off_t off,
		     struct reader_span *sp, int *nsp);
void reader_spans_release(struct reader *r, struct reader_span *sp, int n);

/* For a passthrough open of fh: when its object is whole in the cache and
 * not replaced, pins it and returns a read-only descriptor of its bytes
 * (blocks_backing_open); -1 otherwise. */
int reader_backing_open(struct reader *r, struct fhandle *fh);
/* fh's object and size (size may be NULL), to release its backing file
 * later or to know its object id. */
void reader_backing_of(const struct fhandle *fh, char obj[BLOCKS_ID_LEN + 1], uint64_t *size);
/* Undoes the pin of reader_backing_open() once the kernel is done: that
 * of fh's object, or (fh NULL) of obj, size bytes. */
void reader_backing_release(struct reader *r, const struct fhandle *fh, const char *obj,
			    uint64_t size);

/* Forget the blocks of object obj held in memory (the cache dropped them:
 * lakemount-ctl evict). */
void reader_forget(struct reader *r, const char *obj);
/* Check e against its sidecar checksum now, if it is whole in the cache
 * and not checked yet (verify.h): 0, or -EBADMSG for an enforced mismatch. */
int reader_verify(struct reader *r, const struct index_entry *e);

/* For the check of a zip (fs/verify.c), which reads its sidecar outside
 * any handle.  reader_peek: up to cap bytes of block no of obj, from memory
 * or the cache; how many, or -1 when the block is in neither.
 * reader_claim: a flight for that block, which a reader of it then waits
 * on rather than fetch it too; NULL when one is under way (or no memory).
 * reader_claim_end, once the block is in the cache (or is not: the
 * waiters then fetch it themselves).  reader_await: when a GET of that
 * block is already running (a flight that no queued job holds), wait
 * until it lands and return 1; 0 when there is none.  It never waits for
 * a queued job: the check runs on a fetch worker and holds
 * r->verify_lock, so the job could be queued behind that worker and every
 * other worker waiting for the lock. */
struct flight;
ssize_t reader_peek(struct reader *r, const char *obj, uint64_t no, char *buf, size_t cap);
int reader_await(struct reader *r, const char *obj, uint64_t no);
struct flight *reader_claim(struct reader *r, const char *obj, uint64_t no);
void reader_claim_end(struct reader *r, struct flight *f);

#endif
