/*
 * The FUSE glue of directories: opendir, readdir(plus), releasedir.
 *
 * Design notes
 *  1. Offsets: 1 is ".", 2 is "..", 3 + i is entry i of the handle
 *     (dir_entry).  Every entry of a readdirplus reply adds one to its
 *     inode's lookup count, which the kernel's forget takes away; an entry
 *     that did not fit is never seen by the kernel, so its count is undone.
 *  2. Slices ahead: in a read-only tree, a reply holds at most SLICE bytes,
 *     and once it is sent the thread that sent it builds the next slice
 *     (the entries after it, read from the index as dir.c's note 8 says),
 *     while the kernel makes the inodes of the first.  The kernel's next
 *     request takes that slice as it is.  Without this the kernel and the
 *     daemon take turns: after a remount, reading the 6,000 names of the
 *     bench's folder took 7 ms to open and 17 ms to read; with it, 0.5 ms
 *     and 10 ms (and `ls -l` 64 ms, then 58, medians of 21 runs).  A cold
 *     listing from S3 gains the same way while pages are stored.  A
 *     slice ahead holds lookup counts the kernel has not got: a request
 *     for another offset or of a smaller size, and releasedir, undo them.
 *     Writable trees get no slices ahead: a slice built before a write,
 *     sent after it, would show the kernel the size before.
 *  3. The first slice is built ahead too, by opendir once it has replied,
 *     when the entries come from the index alone (a folder listed before):
 *     `ls -l` of 6,000 names after a remount then waited 7.1 ms instead
 *     of 10.2 ms for the daemon (its time less its own CPU, means of 20;
 *     the rest, 33-39 ms, is the kernel making inodes and the statx calls
 *     in ls's own time).  Not for a folder being listed from S3: its first
 *     page may be long in coming (offline: io_timeout), and releasedir
 *     waits for the slice.  It is built for readdirplus (the kernel's
 *     first request is, while it may use readdirplus at all) and of the
 *     size the kernel asked last (SLICE before it asked): a larger one
 *     would be dropped, a smaller one sent short.
 *
 * Locks: dir_fh.lock guards ahead_ok and the slice ahead; it is held
 * while a slice is built and sent, and after, so the kernel's next request
 * waits for the one ahead rather than build its own, and releasedir for
 * both to let go (the kernel may close the directory the moment it has a
 * reply).  Taken before dir.c's locks.
 */
#include "ops_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SLICE ((size_t)64 << 10)

/* The size of the kernel's last readdir request (note 3): the same for
 * every request of a kernel, learnt from the first. */
static _Atomic size_t asked;

/* What fi->fh of an open directory points to. */
struct dir_fh {
	struct dir_handle *dh;
	pthread_mutex_t lock;
	int ahead_ok;			/* read-only tree: slices ahead (note 2) */
	struct slice {
		char *buf;		/* bufcap bytes */
		size_t len, bufcap;
		off_t off, next;	/* the offsets it begins and ends at */
		int plus;		/* built for readdirplus */
		int ready;		/* holds a slice (ahead, or to send) */
		int full;		/* the entry after it did not fit */
		fuse_ino_t *inos;	/* the counts it holds (note 1) */
		size_t ninos, cap;
	} ahead;
};

static struct lmfs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* Give back the lookup counts of the slice ahead and empty it. */
static void slice_drop(struct lmfs *fs, struct slice *s)
{
	while (s->ninos)
		inodes_forget(fs->inodes, s->inos[--s->ninos], 1);
	s->ready = 0;
	s->len = 0;
}

/* Add one entry at buf; its size, or 0 when it did not fit (or its count
 * could not be taken).  An entry's count goes to s->inos. */
static size_t add_one(struct lmfs *fs, struct slice *s, char *buf, size_t rem,
		      const char *name, const struct index_entry *e, fuse_ino_t dot_ino,
		      off_t next)
{
	struct fuse_entry_param p;
	size_t n;

	if (e) {
		ops_fill_entry(fs, e, &p);
	} else {
		memset(&p, 0, sizeof(p));
		p.attr.st_ino = dot_ino;
		p.attr.st_mode = S_IFDIR;
	}
	/* fuse_add_direntry*() of libfuse 3.14 (which passthru.c is written
	 * for too) only format: they never use the request, which is gone
	 * when a slice ahead is built. */
	if (!s->plus) {
		n = fuse_add_direntry(NULL, buf, rem, name, &p.attr, next);
		return n > rem ? 0 : n;
	}
	if (e && s->ninos == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		fuse_ino_t *inos = realloc(s->inos, cap * sizeof(*inos));

		if (!inos)
			return 0;
		s->inos = inos;
		s->cap = cap;
	}
	if (e && inodes_ref(fs->inodes, p.ino))
		return 0;
	n = fuse_add_direntry_plus(NULL, buf, rem, name, &p, next);
	if (n > rem) {
		if (e)
			inodes_forget(fs->inodes, p.ino, 1);
		return 0;
	}
	if (e)
		s->inos[s->ninos++] = p.ino;
	return n;
}

/* Build into s->buf (size bytes) the entries from offset off on.  Returns 0,
 * or a negative errno met before any entry. */
static int slice_build(struct lmfs *fs, struct dir_fh *d, struct slice *s, fuse_ino_t ino,
		       off_t off, size_t size)
{
	size_t n = 1;
	int rc = 0;

	s->off = off;
	s->len = 0;
	for (; s->len < size; off++) {
		const struct index_entry *e = NULL;

		if (off < 2) {
			n = add_one(fs, s, s->buf + s->len, size - s->len, off ? ".." : ".",
				    NULL, off ? 1 : ino, off + 1);
		} else {
			rc = dir_entry(fs, d->dh, (size_t)off - 2, &e);
			if (rc <= 0)
				break;
			n = add_one(fs, s, s->buf + s->len, size - s->len, e->name, e, 0, off + 1);
		}
		if (!n)
			break;
		s->len += n;
	}
	s->next = off;
	s->full = !n;
	s->ready = 1;
	if (rc < 0 && !s->len) {
		s->ready = 0;
		return rc;
	}
	return 0;
}

/* Note 3: the slice a first readdirplus of cap bytes takes (d->lock held). */
static void slice_first(struct lmfs *fs, struct dir_fh *d, fuse_ino_t ino, size_t cap)
{
	struct slice *s = &d->ahead;

	if (!(s->buf = malloc(cap)))
		return;
	s->bufcap = cap;
	s->plus = 1;
	if (slice_build(fs, d, s, ino, 0, cap))
		slice_drop(fs, s);
}

static void dir_fh_free(struct lmfs *fs, struct dir_fh *d)
{
	/* A readdir that sent its reply may still be building the slice
	 * ahead, or be about to let go of the lock: the kernel may close the
	 * directory as soon as it has the reply. */
	pthread_mutex_lock(&d->lock);
	pthread_mutex_unlock(&d->lock);
	slice_drop(fs, &d->ahead);
	dir_release(d->dh);
	pthread_mutex_destroy(&d->lock);
	free(d->ahead.buf);
	free(d->ahead.inos);
	free(d);
}

void ops_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct lmfs *fs = fs_of(req);
	struct dir_fh *d = calloc(1, sizeof(*d));
	int rc = d ? dir_open(fs, ino, &d->dh) : -ENOMEM;
	size_t size;

	if (rc) {
		free(d);
		fuse_reply_err(req, -rc);
		return;
	}
	pthread_mutex_init(&d->lock, NULL);
	/* Held from before the reply: the kernel's first readdir waits for
	 * the slice built for it (note 3) rather than build its own. */
	pthread_mutex_lock(&d->lock);
	d->ahead_ok = dir_readonly(fs, d->dh);
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(req, fi)) {
		pthread_mutex_unlock(&d->lock);
		dir_fh_free(fs, d);
		return;
	}
	size = asked ? asked : SLICE;
	if (d->ahead_ok && dir_from_index(d->dh))
		slice_first(fs, d, ino, size > SLICE ? SLICE : size);
	pthread_mutex_unlock(&d->lock);
}

void ops_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	dir_fh_free(fs_of(req), (struct dir_fh *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, int plus)
{
	struct dir_fh *d = (struct dir_fh *)(uintptr_t)fi->fh;
	struct lmfs *fs = fs_of(req);
	struct slice *s = &d->ahead;
	size_t cap;
	int rc = 0, more;

	asked = size;
	pthread_mutex_lock(&d->lock);
	cap = d->ahead_ok && size > SLICE ? SLICE : size;
	if (s->ready && (s->off != off || s->plus != plus || s->len > size))
		slice_drop(fs, s);
	if (s->bufcap < cap) {
		char *buf = realloc(s->buf, cap);

		if (!buf) {
			rc = -ENOMEM;
			goto out;
		}
		s->buf = buf;
		s->bufcap = cap;
	}
	if (!s->ready) {
		s->plus = plus;
		if ((rc = slice_build(fs, d, s, ino, off, cap)))
			goto out;
	}
	/* The kernel owns the counts of what it is sent. */
	s->ninos = 0;
	s->ready = 0;
	more = d->ahead_ok && s->full && s->len;
	fuse_reply_buf(req, s->buf, s->len);
	req = NULL;
	if (more && slice_build(fs, d, s, ino, s->next, cap))
		slice_drop(fs, s);
	if (!d->ahead_ok) {
		/* up to a MiB, and `find` keeps a directory open per level */
		free(s->buf);
		s->buf = NULL;
		s->bufcap = 0;
	}
out:
	pthread_mutex_unlock(&d->lock);
	if (req)
		fuse_reply_err(req, -rc);
}

void ops_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, 0);
}

void ops_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, 1);
}
