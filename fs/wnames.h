/*
 * wnames: the write path's namespace operations in layer trees (create,
 * mkdir, unlink, rmdir, rename, attribute changes, copy_file_range), as
 * index rows and journal entries.  Trees marked readonly (the archive)
 * refuse them all with EROFS.  Negative errnos; no FUSE here.
 */
#ifndef LM_WNAMES_H
#define LM_WNAMES_H

#include <stdint.h>
#include <sys/types.h>

#include "index.h"

struct lmfs;
struct wfile;

/* Can name lie in a directory whose key is parent_key (dir: as a
 * directory, with its '/')?  0; -ENAMETOOLONG over NAME_MAX bytes or when
 * the key would pass S3's 1,024; -EILSEQ when it is not UTF-8, which S3
 * refuses (RGW: InvalidObjectName), or holds a control character XML
 * cannot carry (listings would break).  Lookups ask it too (dir.c). */
int wn_name_check(const char *parent_key, const char *name, int dir);

/* 0 when tree may be written, else -EROFS. */
int wn_writable(struct lmfs *fs, int tree);

/* A new file: its row in *e (release it) and its open wfile. */
int wn_create(struct lmfs *fs, uint64_t parent, const char *name, mode_t mode, uid_t uid,
	      gid_t gid, struct index_entry *e, struct wfile **wf);
int wn_mkdir(struct lmfs *fs, uint64_t parent, const char *name, mode_t mode, uid_t uid,
	     gid_t gid, struct index_entry *e);
int wn_unlink(struct lmfs *fs, uint64_t parent, const char *name);
int wn_rmdir(struct lmfs *fs, uint64_t parent, const char *name);
/* flags: 0 or RENAME_NOREPLACE (RENAME_EXCHANGE: -EINVAL). */
int wn_rename(struct lmfs *fs, uint64_t parent, const char *name, uint64_t newparent,
	      const char *newname, unsigned flags);

/* Modes kept in the index and the writer carry this bit, so that 0 can mean
 * "never set" while chmod 000 is kept as such; users mask with 07777. */
#define WN_MODE_SET 0100000u

/* What a setattr changes; a field left out is -1 (size, mtime, uid, gid)
 * or 0 (mode; else WN_MODE_SET | bits).  wf is the caller's open file, or NULL.  On success *e is
 * the row afterwards. */
struct wn_attr {
	int64_t size;
	uint32_t mode;
	int64_t uid, gid;
	int64_t mtime;
};
int wn_setattr(struct lmfs *fs, uint64_t ino, struct wfile *wf, const struct wn_attr *a,
	       struct index_entry *e);

/* wgone.c: is key (prefix: the directory key, with all under it) in S3
 * only until a DELETE the journal holds lands?  Then listings and lookups
 * leave it out.  1 or 0. */
int wn_gone(struct lmfs *fs, int tree, const char *key, int prefix);
/* For the n children of a listing page of dir_key: drop[i] = 1 for those
 * wn_gone leaves out (others are left as they are).  Returns how many. */
size_t wn_hide_gone(struct lmfs *fs, int tree, const char *dir_key,
		    const struct index_child *c, size_t n, char *drop);

/* copy_file_range from ino_in into the open file out.  Returns the bytes
 * copied or a negative errno. */
ssize_t wn_copy(struct lmfs *fs, uint64_t ino_in, off_t off_in, struct wfile *out,
		off_t off_out, size_t len);

#endif
