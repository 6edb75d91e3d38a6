/*
 * inode: the inodes the kernel holds, with their lookup counts (in the
 * manner of libfuse's passthrough_ll.c).  Inode numbers come from the index
 * (its rowids); this table only remembers which of them the kernel knows,
 * how many lookups it owes us, and per inode the ETag whose pages the
 * kernel may still cache.  An inode leaves the table when `forget` brings
 * its count to zero, so memory follows what the kernel caches, not the
 * number of files ever opened.
 */
#ifndef LM_INODE_H
#define LM_INODE_H

#include <stdint.h>

#include "blocks.h"

struct inodes;

struct inodes *inodes_new(void);
void inodes_free(struct inodes *t);

/* One more lookup of ino handed to the kernel (fuse_reply_entry/create).
 * Returns 0 or -1 (ENOMEM: the reply must not be sent then). */
int inodes_ref(struct inodes *t, uint64_t ino);
/* The kernel forgets n lookups of ino. */
void inodes_forget(struct inodes *t, uint64_t ino, uint64_t n);

/* How a handle reads: through the kernel's page cache of the inode
 * (CACHED), past it (DIRECT: every read comes to us), from a backing file
 * the kernel reads itself (PASSTHROUGH, fs/passthru.h), or past both while
 * holding the inode's backing file (PASSTHROUGH_DIRECT: reads come to us,
 * an mmap maps the backing file). */
enum inode_mode {
	INODE_CACHED, INODE_DIRECT, INODE_PASSTHROUGH, INODE_PASSTHROUGH_DIRECT
};

/* A backing file the kernel reads an inode from, and the blocks it pins
 * (fs/ops.c registers and releases it). */
struct inode_backing {
	int id;				/* the kernel's backing id */
	char obj[BLOCKS_ID_LEN + 1];	/* the object of the file */
	uint64_t size;			/* its size */
};

/* Asked, with the table locked, whether an open may read through a backing
 * file: fills *b and returns 0, or returns -1.  It must not call back into
 * the table. */
typedef int inodes_backing_fn(void *arg, struct inode_backing *b);

/* Opening ino at etag: the new handle's mode.  The kernel reads an inode
 * one way at a time: while one of its handles reads through the page
 * cache (a DIRECT one too, once mmapped) it refuses a passthrough open,
 * and while one reads through a backing file it refuses every open that
 * is not a passthrough of that same file.  Its cached pages are shared by
 * every handle of the inode (filling them with a new version would hand
 * new bytes to the old handles).  So:
 *  - passthrough handles open: PASSTHROUGH sharing their backing id
 *    (*backing_id) for this version, PASSTHROUGH_DIRECT for another;
 *  - with uncached (a tree whose files the cache may pass through): a
 *    PASSTHROUGH if no other handle is open and backing gives an id, else
 *    DIRECT;
 *  - else DIRECT when handles on another version are open, or CACHED.
 * *keep_cache: may the kernel keep the pages it has (they are of this
 * ETag)?  Close with the same mode. */
enum inode_mode inodes_open(struct inodes *t, uint64_t ino, const char *etag, int uncached,
			    inodes_backing_fn *backing, void *arg, int *keep_cache,
			    int *backing_id);
/* Returns 1 and the backing file to release in *b when the inode's last
 * handle holding it closed, else 0. */
int inodes_close(struct inodes *t, uint64_t ino, enum inode_mode mode,
		 struct inode_backing *b);

/* How many inodes the kernel holds (for stats and tests). */
uint64_t inodes_count(struct inodes *t);

#endif
