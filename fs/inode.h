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

struct inodes;

struct inodes *inodes_new(void);
void inodes_free(struct inodes *t);

/* One more lookup of ino handed to the kernel (fuse_reply_entry/create).
 * Returns 0 or -1 (ENOMEM: the reply must not be sent then). */
int inodes_ref(struct inodes *t, uint64_t ino);
/* The kernel forgets n lookups of ino. */
void inodes_forget(struct inodes *t, uint64_t ino, uint64_t n);

/* Opening ino at etag.  *keep_cache: may the kernel keep the pages it has
 * (they are of this ETag)?  *direct: must this handle bypass the page cache,
 * because handles on another version of the object are open (the kernel's
 * pages are shared by every handle of an inode: filling them with the new
 * version would hand new bytes to the old handles)?  Close with the same
 * direct. */
void inodes_open(struct inodes *t, uint64_t ino, const char *etag, int *keep_cache,
		 int *direct);
void inodes_close(struct inodes *t, uint64_t ino, int direct);

/* How many inodes the kernel holds (for stats and tests). */
uint64_t inodes_count(struct inodes *t);

#endif
