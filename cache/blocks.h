/*
 * blocks: the local block cache.  Object data is kept in fixed-size blocks
 * (block i of an object holds bytes [i*bs, (i+1)*bs) ), in one file per
 * object under the cache directory, at the block's own offset.
 *
 * An object is named by blocks_object_id(bucket, key, etag): a hash, so that
 * no key can steer a path (a ".." in a key escapes nothing), and so that a
 * replaced object (new ETag) never meets the old one's blocks.
 *
 * Blocks of text (CSV, JSON) are stored LZ4-compressed when that saves at
 * least a tenth; other blocks are stored as they are.  The total stored size
 * is capped (max_bytes): storing a block first evicts least-recently-used
 * blocks that nobody is reading (pinned).  The cache survives restarts: its
 * state is rebuilt from the files at open.
 *
 * Directory 0700, files 0600.  Thread safety: every call may come from any
 * thread.
 */
#ifndef LM_BLOCKS_H
#define LM_BLOCKS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BLOCKS_ID_LEN 64	/* hex characters of an object id */

struct blocks_opts {
	const char *dir;	/* created if missing */
	uint64_t max_bytes;	/* cap on the bytes stored */
	uint32_t block_size;	/* default 1 MiB */
	unsigned lock_wait_ms;	/* how long to wait for another lakemount
				   to let go of the directory (it may be
				   closing): 0 refuses at once */
};

struct blocks_stats {
	uint64_t stored_bytes;	/* on disk, after compression */
	uint64_t raw_bytes;	/* the data they hold */
	uint64_t nblocks;
	uint64_t evicted;	/* blocks evicted since open */
	uint64_t hits, misses;
};

struct blocks;

/* The cache disk's last bytes are kept for the index and the journal
 * (SQLite must be able to record a lookup, a close or an unlink when
 * staged files or blocks have filled the disk): block puts and staged
 * writes stop at BLOCKS_DISK_RESERVE free, or at 1/8 of a small disk. */
#define BLOCKS_DISK_RESERVE (16u << 20)

/* 1 when the filesystem of fd has need bytes free besides the reserve
 * (also when it cannot tell), else 0. */
int blocks_disk_room(int fd, uint64_t need);
/* How many bytes the filesystem of fd lacks for need besides the reserve
 * (0: enough, or it cannot tell). */
uint64_t blocks_disk_short(int fd, uint64_t need);

/* Evict cached blocks (LRU first, never pinned ones) until fd's filesystem
 * has need bytes free besides the reserve; nothing is evicted when even
 * all of them would not make enough room (the disk is full of something
 * else).  Returns blocks_disk_room(fd, need).  b may be NULL. */
int blocks_make_room(struct blocks *b, int fd, uint64_t need);

/* Returns 0, or -1 with a message in err. */
int blocks_open(struct blocks **out, const struct blocks_opts *o, char *err, size_t errlen);
void blocks_close(struct blocks *b);
uint32_t blocks_block_size(const struct blocks *b);

/* out gets BLOCKS_ID_LEN hex characters and a NUL. */
void blocks_object_id(const char *bucket, const char *key, const char *etag,
		      char out[BLOCKS_ID_LEN + 1]);

/* Copy block `no` of obj into buf (cap bytes, at least the block size).
 * Returns its length, or -1 when it is not cached (or unreadable: a damaged
 * block file is removed and reported as absent). */
ssize_t blocks_get(struct blocks *b, const char *obj, uint64_t no, void *buf, size_t cap);

/* Store block `no` of obj (len <= block size; only an object's last block
 * may be shorter).  Returns 0, or -1 when it could not be stored (disk error,
 * or no room: everything else is pinned); the caller can still use its data. */
int blocks_put(struct blocks *b, const char *obj, uint64_t no, const void *data, size_t len);

int blocks_has(struct blocks *b, const char *obj, uint64_t no);

/* Keep blocks [first, last] of obj from eviction while a reader uses them;
 * pins nest.  Pinning blocks that are not cached yet is allowed (it holds
 * once they arrive). */
void blocks_pin(struct blocks *b, const char *obj, uint64_t first, uint64_t last);
void blocks_unpin(struct blocks *b, const char *obj, uint64_t first, uint64_t last);

/* For the kernel to read obj (size bytes) straight from the cache (FUSE
 * passthrough): when every block of it is cached as it is (none
 * LZ4-compressed), pins them all and returns a read-only descriptor of a
 * file holding exactly the object's bytes.  The caller closes it, and
 * unpins blocks [0, n) (n blocks of size bytes) once the kernel is done;
 * blocks_drop() meanwhile does not change what the descriptor reads.
 * Returns -1 when the object is not whole in the cache. */
int blocks_backing_open(struct blocks *b, const char *obj, uint64_t size);

/* Bytes of obj's data held in the cache (for user.lakemount.cached). */
uint64_t blocks_cached_bytes(struct blocks *b, const char *obj);

/* Drop every block of obj (a checksum mismatch). */
void blocks_drop(struct blocks *b, const char *obj);

void blocks_stats(struct blocks *b, struct blocks_stats *st);

/* Recounts the in-memory state and checks it against itself and the cap
 * (the design notes in blocks.c).  Returns 0, or -1 when something is off.
 * For tests: it walks every entry. */
int blocks_check(struct blocks *b);

#endif
