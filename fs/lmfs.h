/*
 * lmfs: the filesystem itself, between the FUSE glue (ops.c) and the layers
 * below: the index and block cache (cache/) and one S3 client per source
 * (backend/).  Nothing here includes FUSE headers; errors are returned as
 * negative errnos, which ops.c hands to the kernel.
 *
 * Lock order (outer to inner), for everything under fs/:
 *   dir listing lock (struct lmfs.list_lock)
 *   -> reader's flight lock (struct reader.lock)
 *   -> inode table lock (struct inodes.lock)
 *   -> cache/ locks (index, blocks) -> backend/ locks
 * Besides: an open directory's lock (dir.c) -> list_lock -> cache/; the
 * writer's lock (writer_int.h) -> a file's hash lock -> cache/ (index,
 * journal).
 * No lock of fs/ is held while waiting for S3.
 */
#ifndef LM_LMFS_H
#define LM_LMFS_H

#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "blocks.h"
#include "config.h"
#include "index.h"
#include "s3.h"

/* S3's limit on a key's length, in bytes (dir.c, wnames.c) */
#define LMFS_KEY_MAX 1024

struct inodes;
struct reader;
struct siblings;
struct stats;
struct writer;

struct lmfs {
	struct config *cfg;		/* not owned */
	time_t started;			/* mtime of prefix-only directories */
	struct index *ix;
	struct blocks *blocks;
	struct s3_client **clients;	/* one per config source */
	struct inodes *inodes;
	struct reader *reader;
	struct siblings *siblings;	/* fetching ahead across files */
	struct writer *writer;		/* the write path (writer.h) */
	struct stats *stats;		/* counters since mount (stats.h) */
	struct passthru *pt;		/* passthrough (passthru.h), or NULL */
	const char *control;		/* the control socket's path, or NULL */
	uid_t uid;
	gid_t gid;
	pthread_mutex_t list_lock;	/* guards listing (below) */
	uint64_t *listing;		/* dirs being revalidated in the background */
	size_t nlisting;
	unsigned nfetchers;		/* page fetchers of open directories */
};

/* Open the cache (index, blocks) under cfg->cache_dir, make the S3
 * clients, and lay out the tree's skeleton in the index.  On failure
 * returns -1 with a message in err. */
int lmfs_open(struct lmfs *fs, struct config *cfg, char *err, size_t errlen);
void lmfs_close(struct lmfs *fs);

/* The client and the config tree entry of an index row (NULL / -1 for the
 * root and synthesised directories). */
struct s3_client *lmfs_client(struct lmfs *fs, int tree);
const struct config_tree *lmfs_tree(struct lmfs *fs, int tree);
/* The block-cache id of a file row's object (its bucket, key and ETag). */
void lmfs_object_id(struct lmfs *fs, const struct index_entry *e,
		    char obj[BLOCKS_ID_LEN + 1]);
/* The name of the row's source, for logs (NULL as above). */
const char *lmfs_source_name(struct lmfs *fs, int tree);

/* A kernel-facing view of a row. */
void lmfs_stat(struct lmfs *fs, const struct index_entry *e, struct stat *st);
/* Seconds the kernel may keep entries and attributes of this tree. */
double lmfs_timeout(struct lmfs *fs, int tree);

/* Can a CopyObject on source b's endpoint read objects of source a (both
 * signed, same endpoint and region)? */
int lmfs_same_endpoint(struct lmfs *fs, size_t a, size_t b);

/* Map a backend error to an errno (positive). */
int lmfs_errno(const struct s3_error *err);

/* Request counters, cache usage, as JSON (malloc'd) for
 * user.lakemount.stats on the root. */
char *lmfs_stats_json(struct lmfs *fs);

/* ---- directories (dir.c) ---- */

/* Find name in parent: from the index when that is enough, else with at
 * most two small requests (HEAD key, list "name/" max-keys 1).  Returns 0
 * and fills e, or a negative errno.  On -ENOENT only e->tree is set: the
 * parent's tree, whose timeout the kernel may cache "absent" for. */
int dir_lookup(struct lmfs *fs, uint64_t parent, const char *name, struct index_entry *e);

/* An open directory: a snapshot of its entries, filled from the index, or
 * page by page from S3 when the directory was never listed, as readdir
 * gets to them. */
struct dir_handle;

int dir_open(struct lmfs *fs, uint64_t ino, struct dir_handle **out);
/* Entry number i (0-based), listing more pages as needed.  Returns 1 and
 * fills e (owned by the handle, valid until dir_release), 0 past the end,
 * or a negative errno. */
int dir_entry(struct lmfs *fs, struct dir_handle *dh, size_t i, const struct index_entry **e);
void dir_release(struct dir_handle *dh);
/* Whether dh is in a read-only tree, whose entries change only when S3's
 * objects do (never by a write through the mount). */
int dir_readonly(struct lmfs *fs, const struct dir_handle *dh);
/* Whether dh's entries come from the index alone: no page of S3 to wait
 * for. */
int dir_from_index(struct dir_handle *dh);

#endif
