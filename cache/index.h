/*
 * index: the SQLite index that maps the mounted tree to S3 objects, so that
 * listings and stats are fast, survive restarts and work offline.
 *
 * One row per name the filesystem knows: files (objects), directories (key
 * prefixes, tree roots, and the intermediate directories the config implies,
 * such as "archive/").  A row's rowid is its inode number, handed out once
 * and kept for as long as the row lives, across restarts.  Directories also
 * record when they were last listed and whether that listing was complete.
 *
 * Thread safety: every call may come from any thread; the index serialises
 * them on its own mutex (one SQLite connection, prepared statements).
 *
 * Errors: a call that returns -1 leaves a message for index_errmsg().
 */
#ifndef LM_INDEX_H
#define LM_INDEX_H

#include <stddef.h>
#include <stdint.h>

#define INDEX_ROOT_INO 1

enum index_kind {
	INDEX_FILE = 0,
	INDEX_DIR = 1,
};

#define INDEX_ETAG_MAX 128

/* A row.  Strings are owned by the struct: index_entry_release(). */
struct index_entry {
	uint64_t ino;
	uint64_t parent;	/* 0 for the root */
	char *name;		/* "" for the root */
	enum index_kind kind;
	int tree;		/* config tree entry it belongs to; -1 if none
				   (root and synthesised directories) */
	char *key;		/* the S3 key (files) or prefix ending in '/'
				   (directories); "" when tree == -1 */
	uint64_t size;
	char etag[INDEX_ETAG_MAX];
	int64_t mtime;		/* seconds since the epoch */
	uint32_t mode;		/* permission bits set here; 0: the default */
	int64_t uid, gid;	/* owner set here; -1: the default */
};

void index_entry_release(struct index_entry *e);
/* A copy of src with strings of its own (NULL ones become ""): 0, or -1
 * out of memory (dst then empty). */
int index_entry_copy(struct index_entry *dst, const struct index_entry *src);

/* What a listing page or a lookup brings in for one child. */
struct index_child {
	const char *name;	/* one path component, no '/' */
	enum index_kind kind;
	const char *key;
	uint64_t size;
	const char *etag;	/* "" for directories */
	int64_t mtime;
};

struct index_dirstate {
	int complete;		/* a listing ran to its end */
	int64_t listed_at;	/* when it ended (seconds), 0 if never */
};

struct index;

/* Open (creating if needed) the database at path, in WAL mode.  On failure
 * returns -1 with a message in err (the file is left alone when it is not
 * an SQLite database or is another program's).  On success err is "", or
 * holds a note to log: the file had another schema version or was damaged,
 * and was rebuilt empty (the index is a cache: directories are relisted). */
int index_open(struct index **out, const char *path, char *err, size_t errlen);
void index_close(struct index *ix);

/* The directory child `name` of parent, created if missing (for the tree's
 * skeleton: "archive", "archive/binance", ...); parent 0 and name "" is the
 * root itself.  If it exists with another tree or key, those are updated,
 * and its listing is forgotten (as index_forget).  A file of that name is
 * replaced.  Skeleton directories are never removed by a listing nor
 * rewritten by a page or a put.  Sets *ino.  Returns 0 or -1. */
int index_ensure_dir(struct index *ix, uint64_t parent, const char *name, int tree,
		     const char *key, uint64_t *ino);

/* Forget what listings brought into dir (its children, except skeleton
 * ones, with everything under them) and its listing state, so that the
 * next open lists it afresh: for a tree whose source changed under the
 * same key.  A listing of dir still under way can no longer end.  Returns
 * 0, 1 when dir is no directory in the index, -1 on error. */
int index_forget(struct index *ix, uint64_t dir);

/* Returns 0 and fills e when found, 1 when absent, -1 on error (e is then
 * empty, safe to release). */
int index_lookup(struct index *ix, uint64_t parent, const char *name,
		 struct index_entry *e);
int index_get(struct index *ix, uint64_t ino, struct index_entry *e);

int index_dir_state(struct index *ix, uint64_t dir, struct index_dirstate *st);

/* A listing of dir: begin (returns a generation in *gen), then one call per
 * page (each page one transaction: children are inserted or updated, and
 * marked seen in this generation), then end: children not seen in this
 * generation are removed (with everything under them), and dir is marked
 * complete and listed at `now`.  A listing that is abandoned (never ended)
 * leaves the directory as it was, plus what the pages added.
 *
 * Each returns 0, -1 on error, or 1 when dir is not (or no longer) a
 * directory in the index, e.g. a listing of its parent removed it.
 * Listings of one directory may overlap: a child seen by a newer listing,
 * or put since a listing began, survives that listing's end.  Names must be
 * path components (not "", ".", "..", no '/'): a page holding another name
 * is refused whole, so the caller leaves such keys out.
 * index_listing_page sets inos[i] (inos may be NULL) to the inode number of
 * c[i] when its row is just what c[i] says (no mode or owner set here), else
 * 0 (also where a skeleton or local row of that name was left alone): look
 * such rows up. */
int index_listing_begin(struct index *ix, uint64_t dir, uint64_t *gen);
int index_listing_page(struct index *ix, uint64_t dir, uint64_t gen,
		       const struct index_child *c, size_t n, uint64_t *inos);
int index_listing_end(struct index *ix, uint64_t dir, uint64_t gen, int64_t now);

/* Insert or update one child (what a lookup found), keeping its inode
 * number, unless it changed kind (file <-> directory): then it is a new row
 * with a new number, and the old one's subtree goes.  The parent's listing
 * state is kept.  Sets *ino (may be NULL).  Returns 0, or -1 (also when
 * parent is no directory in the index). */
int index_put(struct index *ix, uint64_t parent, const struct index_child *c,
	      uint64_t *ino);
/* Remove one child (and what is under it).  Returns 0 (also when absent),
 * or -1 on error. */
int index_remove(struct index *ix, uint64_t parent, const char *name);

/* Call fn for each child of dir in name order (memcmp order, as S3 lists).
 * fn returns 0 to go on, non-zero to stop.  Returns 0 or -1.
 * e and its strings are the index's, valid only during the call: copy what
 * you keep, never release it.  fn runs under the index's lock, so it must
 * not call the index (such a call fails with -1) and should be quick: every
 * other thread's index call waits meanwhile. */
typedef int (*index_dir_fn)(void *arg, const struct index_entry *e);
int index_readdir(struct index *ix, uint64_t dir, index_dir_fn fn, void *arg);
/* The same for at most max children (-1: all) whose names sort after
 * after ("": from the first).  Returns how many fn was called for, or -1. */
int64_t index_readdir_after(struct index *ix, uint64_t dir, const char *after, int64_t max,
			    index_dir_fn fn, void *arg);

/* The number of children of dir; with dir 0, of all rows.  -1 on error. */
int64_t index_count_children(struct index *ix, uint64_t dir);

/* A small key-value store for the index's users (e.g. the checksum state of
 * an object: "chk:<etag>:<key>" -> "ok").  Returns 0 and copies the value
 * into val (NUL-terminated, truncated to vallen) when found, 1 when absent,
 * -1 on error. */
int index_meta_get(struct index *ix, const char *name, char *val, size_t vallen);
int index_meta_set(struct index *ix, const char *name, const char *val);

/* ---- the write path (index_local.c) ---- */

/* What the write path sets on a row besides its name and key. */
struct index_attr {
	uint64_t size;
	const char *etag;	/* "" while not uploaded */
	int64_t mtime;
	uint32_t mode;		/* 0: the default */
	int64_t uid, gid;	/* -1: the default */
};

/* Insert or update child c of parent as a local row (pinned: listings
 * neither remove nor rewrite it; index_local.c note L1).  A row of that
 * name and kind keeps its inode number; one of the other kind is replaced.
 * a may be NULL (defaults).  Sets *ino.  Returns 0 or -1. */
int index_put_local(struct index *ix, uint64_t parent, const struct index_child *c,
		    const struct index_attr *a, uint64_t *ino);
/* Set size, etag, mtime, mode, uid and gid of row ino.  0 or -1. */
int index_set_attr(struct index *ix, uint64_t ino, const struct index_attr *a);
/* Hand a local row back to listings.  0 (also when not pinned) or -1. */
int index_unpin(struct index *ix, uint64_t ino);
/* Rename row ino to newname under newparent with key newkey (the rows
 * under a directory get their keys rewritten), replacing a row in the way
 * with its subtree.  The moved row and the rows under it are local until
 * index_unpin (index_local.c note L2).  0 or -1. */
int index_move(struct index *ix, uint64_t ino, uint64_t newparent, const char *newname,
	       const char *newkey);
/* The row of (tree, key): 0 and e filled, 1 absent, -1 error. */
int index_find_key(struct index *ix, int tree, const char *key, struct index_entry *e);

/* Remember that (tree, key) at etag has this sha256 (hex) and size. */
int index_content_add(struct index *ix, const char *sha256, uint64_t size, int tree,
		      const char *key, const char *etag);
struct index_source {
	int tree;
	char *key;		/* malloc'd */
	char etag[INDEX_ETAG_MAX];
};
/* An object known to have this content, in a tree for which usable() says
 * yes: 0 and out filled (free out->key), 1 none, -1 error. */
int index_content_find(struct index *ix, const char *sha256, uint64_t size,
		       int (*usable)(void *arg, int tree, const char *key), void *arg, struct index_source *out);

/* The sha256 known for (tree, key) at etag: 0 and sha256 set, 1 none. */
int index_content_of(struct index *ix, int tree, const char *key, const char *etag,
		     char sha256[65]);

/* The message of this thread's last failed index call ("" if none). */
const char *index_errmsg(void);
/* Whether this thread's last failed index call failed for want of disk
 * space (SQLITE_FULL): the caller answers ENOSPC. */
int index_err_nospace(void);

#endif
