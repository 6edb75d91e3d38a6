/*
 * writer: files written through the mount, in staging files until the
 * journal's uploaders have put them in S3.  The rules (locks, versions,
 * when a wfile goes) are at the top of writer_int.h; the uploaders are in
 * upload.c (closes and fsync in wqueue.c), the wfile side of renames in
 * wrekey.c.
 *
 * Design notes
 *  1. A staging file is CACHE_DIR/staging/<ino>: one per inode, so a
 *     rename changes nothing on disk and a PUT in the journal names its
 *     file by inode number.  Directory 0700, files 0600.
 *  2. Opening an object that exists only in S3 for writing without O_TRUNC
 *     downloads it whole into the staging file first (pinned to its ETag):
 *     S3 has no partial writes.
 *  3. Staged bytes count against cache.max_size: a write that would pass
 *     it fails with ENOSPC, never silently.  So does a write that would eat
 *     into the cache disk's last bytes (BLOCKS_DISK_RESERVE, kept for the
 *     index and the journal), once cached blocks have been evicted to make
 *     room: clean data gives way to written data.
 *  4. The sha256 every upload carries (x-amz-meta-sha256) is kept running
 *     while a file is written from its start in order (whash.c), so a
 *     large sequential write is hashed while it is written.
 */
#include "writer_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static struct writer *wr(struct lmfs *fs)
{
	return fs->writer;
}

int wfile_staging_path(struct writer *w, uint64_t ino, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%llu", w->staging, (unsigned long long)ino);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

struct wfile *wfile_lookup(struct writer *w, uint64_t ino)
{
	struct wfile *wf = w->buckets[ino % WRITER_BUCKETS];

	while (wf && wf->ino != ino)
		wf = wf->next;
	return wf;
}

void wfile_ref(struct wfile *wf)
{
	wf->refs++;
}

/* The staging file goes with its wfile, unless a newer wfile of the inode
 * (opened while this one was leaving, w->lock held) has it or a file of
 * its own under that name: unlinked, its bytes would not survive a kill
 * and the next mount would upload an empty file for its PUT (t0610). */
static void wfile_free(struct writer *w, struct wfile *wf)
{
	struct stat a, b;
	char path[4096];

	if (wf->fd >= 0) {
		w->st.staged_bytes -= wf->size < w->st.staged_bytes ? wf->size : w->st.staged_bytes;
		if (!wfile_lookup(w, wf->ino) && !wfile_staging_path(w, wf->ino, path, sizeof(path)) &&
		    fstat(wf->fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			unlink(path);
	}
	wfile_destroy(wf);
}

void wfile_destroy(struct wfile *wf)
{
	if (wf->fd >= 0)
		close(wf->fd);
	index_entry_release(&wf->src);
	EVP_MD_CTX_free(wf->sha);
	pthread_mutex_destroy(&wf->hlock);
	free(wf->key);
	free(wf);
}

static void wfile_unlink_from_table(struct writer *w, struct wfile *wf)
{
	struct wfile **pp = &w->buckets[wf->ino % WRITER_BUCKETS];

	while (*pp && *pp != wf)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = wf->next;
		wf->next = NULL;
		wf->refs--;		/* the table's */
	}
}

/* A file leaving with all of it in S3 hands its row back to listings,
 * unless an op not yet claimed still writes its key (a rename's COPY,
 * whose landing will): the upload that landed while it was open (an
 * fsync, or a read) could not (upload.c row_landed), and nothing after it
 * would, so the row stayed pinned for good.  An op claimed (the one
 * leaving it here, maybe) has landed or calls row_landed itself. */
void wfile_maybe_retire(struct writer *w, struct wfile *wf)
{
	const struct config_tree *t;

	if (wf->opens || wf->ops || wf->uploading || wf->renames)
		return;
	if (!wf->unlinked && wf->landed < wf->version)
		return;
	if (wfile_lookup(w, wf->ino) == wf && !wf->unlinked && wf->landed &&
	    (t = lmfs_tree(w->fs, wf->tree)) &&
	    journal_waiting(w->j, w->fs->cfg->sources[t->source].name, wf->key) == 0)
		index_unpin(w->fs->ix, wf->ino);
	wfile_unlink_from_table(w, wf);
}

void wfile_unref(struct writer *w, struct wfile *wf)
{
	wfile_maybe_retire(w, wf);
	if (--wf->refs == 0)
		wfile_free(w, wf);
}

/* A new wfile in the table (w->lock held), with one reference for the
 * caller besides the table's.  fd may be -1. */
static struct wfile *wfile_new(struct writer *w, uint64_t ino, int fd, int tree,
			       const char *key)
{
	struct wfile *wf = calloc(1, sizeof(*wf));

	if (!wf || !(wf->key = strdup(key))) {
		free(wf);
		return NULL;
	}
	pthread_mutex_init(&wf->hlock, NULL);
	wf->ino = ino;
	wf->fd = fd;
	wf->tree = tree;
	wf->uid = -1;
	wf->gid = -1;
	wf->mtime = (int64_t)time(NULL);
	wf->refs = 2;
	wf->next = w->buckets[ino % WRITER_BUCKETS];
	w->buckets[ino % WRITER_BUCKETS] = wf;
	return wf;
}

/* The staging file changes (w->lock held): also under hlock, which the
 * hashing reads it under. */
static void set_fd(struct wfile *wf, int fd)
{
	pthread_mutex_lock(&wf->hlock);
	wf->fd = fd;
	pthread_mutex_unlock(&wf->hlock);
}

static int staging_open(struct writer *w, uint64_t ino, int trunc)
{
	char path[4096];
	int fd;

	if (wfile_staging_path(w, ino, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | (trunc ? O_TRUNC : 0), 0600);
	return fd < 0 ? -errno : fd;
}

/* The staging file of ino, filled with src's bytes from S3: downloaded
 * under a temp name and renamed, so that a staging file is never a
 * half-done download (the next mount uploads staging files no PUT names:
 * wreplay.c).  An open fd, or a negative errno. */
static int staging_fetch(struct lmfs *fs, struct writer *w, uint64_t ino,
			 const struct index_entry *src)
{
	char path[4096], tmp[4200];
	int fd, rc;

	if (wfile_staging_path(w, ino, path, sizeof(path)))
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.dl", path);
	fd = open(tmp, O_RDWR | O_CREAT | O_CLOEXEC | O_TRUNC, 0600);
	if (fd < 0)
		return -errno;
	rc = writer_download(fs, src, fd);
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	return fd;
}

/* A PUT whose staging file is gone is moot: a wfile leaves (and its file
 * with it) only once its upload landed or it was unlinked, and the kill
 * may come before journal_done.  Made anew, the file was empty and the
 * next mount put an empty object over the landed one (t0610). */
int wfile_adopt(struct writer *w, uint64_t ino, int tree, const char *key)
{
	struct wfile *wf;
	struct stat st;
	char path[4096];
	int fd, rc = -ENOMEM;

	if (wfile_staging_path(w, ino, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	pthread_mutex_lock(&w->lock);
	wf = wfile_lookup(w, ino);
	if (wf) {
		wf->ops++;
		wf->puts_waiting++;
		if (wf->copying) {
			/* a PUT after a cp's COPY: the staged bytes are newer */
			wf->copying = 0;
			set_fd(wf, fd);
			wf->size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
			w->st.staged_bytes += wf->size;
			wf->version++;
			wf->queued = wf->version;
		} else {
			close(fd);
		}
		pthread_mutex_unlock(&w->lock);
		return 0;
	}
	wf = wfile_new(w, ino, fd, tree, key);
	if (wf) {
		wf->size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
		wf->mtime = fstat(fd, &st) == 0 ? (int64_t)st.st_mtime : wf->mtime;
		w->st.staged_bytes += wf->size;
		wf->version = wf->queued = 1;
		wf->ops = 1;
		wf->puts_waiting = 1;
		wf->refs--;
		rc = 0;
	} else {
		close(fd);
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int wfile_adopt_copy(struct writer *w, uint64_t ino, int tree, const char *key,
		     const struct index_entry *src, const char *src_etag, uint64_t size)
{
	struct index_entry copy;
	struct wfile *wf;

	if (index_entry_copy(&copy, src))
		return -ENOMEM;
	snprintf(copy.etag, sizeof(copy.etag), "%s", src_etag);
	copy.size = size;
	pthread_mutex_lock(&w->lock);
	wf = wfile_lookup(w, ino);
	if (!wf) {
		wf = wfile_new(w, ino, -1, tree, key);
		if (!wf) {
			pthread_mutex_unlock(&w->lock);
			index_entry_release(&copy);
			return -ENOMEM;
		}
		wf->refs--;
	} else if (wf->fd >= 0) {
		/* a cp over a file whose PUT waits: the copy is newer; the
		 * PUT still reads its staging file by name */
		close(wf->fd);
		set_fd(wf, -1);
		w->st.staged_bytes -= wf->size < w->st.staged_bytes ? wf->size : w->st.staged_bytes;
	}
	index_entry_release(&wf->src);
	wf->src = copy;
	wf->copying = 1;
	wf->size = size;
	wf->version++;
	wf->queued = wf->version;
	wf->ops++;
	wf->copies++;
	wf->copy_version = wf->version;
	pthread_mutex_unlock(&w->lock);
	return 0;
}

struct wfile *writer_find(struct lmfs *fs, uint64_t ino)
{
	struct writer *w = wr(fs);
	struct wfile *wf;

	pthread_mutex_lock(&w->lock);
	wf = wfile_lookup(w, ino);
	if (wf)
		wfile_ref(wf);
	pthread_mutex_unlock(&w->lock);
	return wf;
}

void writer_put(struct lmfs *fs, struct wfile *wf)
{
	struct writer *w = wr(fs);

	if (!wf)
		return;
	pthread_mutex_lock(&w->lock);
	wfile_unref(w, wf);
	pthread_mutex_unlock(&w->lock);
}

void writer_reopen(struct lmfs *fs, struct wfile *wf)
{
	pthread_mutex_lock(&wr(fs)->lock);
	wf->opens++;
	pthread_mutex_unlock(&wr(fs)->lock);
}

/* Write whatever a GET delivers into the staging file (note 2). */
struct download {
	int fd;
	uint64_t off;
};

static int download_sink(void *arg, const char *data, size_t len)
{
	struct download *d = arg;

	while (len) {
		ssize_t n = pwrite(d->fd, data, len, (off_t)d->off);

		if (n <= 0)
			return -1;
		d->off += (uint64_t)n;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The object is asked for as the range of its known size, not whole: a
 * ranged answer is checked against its Content-Range, so a body cut short
 * (a Content-Length that lies, a connection closed early) is a network
 * error that the backend retries from where the bytes stopped, where a
 * plain 200 would end "successfully" short.  The range also buys a big
 * download its second per MiB of deadline.  The size the server states
 * must be e->size: without an ETag to pin the version, an object grown
 * since would otherwise come back cut to the old size. */
int writer_download(struct lmfs *fs, const struct index_entry *e, int fd)
{
	struct s3_get_params g = { e->key, 0, e->size, e->etag[0] ? e->etag : NULL, NULL, 0,
				   download_sink, NULL };
	struct s3_object_info info = { 0 };
	struct download d = { fd, 0 };
	struct s3_error err;
	int rc = 0;

	if (!e->size)
		return 0;	/* no range to ask for: bytes=0--1 */
	g.sink_arg = &d;
	if (s3_get(lmfs_client(fs, e->tree), &g, NULL, &info, &err)) {
		char m[512];

		s3_error_format(&err, m, sizeof(m));
		log_warn(LOG_FIELDS(LF_STR("source", lmfs_source_name(fs, e->tree)),
				    LF_STR("key", e->key), LF_S3_ERROR(&err)),
			 "download of '%s': %s", e->key, m);
		return -lmfs_errno(&err);
	}
	if (d.off != e->size || info.size != e->size)
		rc = -EIO;
	s3_object_info_release(&info);
	return rc;
}

/* An object opened for writing is fetched only when first written (or
 * read through that handle): touch and chmod move no data.  Until then its
 * wfile reads from the object itself. */
static int open_lazy(struct lmfs *fs, const struct index_entry *e, struct wfile **out)
{
	struct writer *w = wr(fs);
	struct index_entry src;
	struct wfile *wf;

	if (index_entry_copy(&src, e))
		return -ENOMEM;
	pthread_mutex_lock(&w->lock);
	wf = wfile_lookup(w, e->ino);
	if (wf) {
		wfile_ref(wf);
	} else if ((wf = wfile_new(w, e->ino, -1, e->tree, e->key))) {
		wf->src = src;
		memset(&src, 0, sizeof(src));
		wf->copying = 1;
		wf->lazy = 1;
		wf->size = e->size;
		wf->mtime = e->mtime;
		wf->mode = e->mode;
		wf->uid = e->uid;
		wf->gid = e->gid;
	}
	if (wf)
		wf->opens++;
	pthread_mutex_unlock(&w->lock);
	index_entry_release(&src);
	*out = wf;
	return wf ? 0 : -ENOMEM;
}

static int open_common(struct lmfs *fs, const struct index_entry *e, int trunc, int create,
		       struct wfile **out)
{
	struct writer *w = wr(fs);
	struct wfile *wf;
	int fd;

	*out = NULL;
	pthread_mutex_lock(&w->lock);
	wf = wfile_lookup(w, e->ino);
	if (wf) {
		wfile_ref(wf);
		wf->opens++;
		pthread_mutex_unlock(&w->lock);
		*out = wf;
		if (trunc)
			return writer_truncate(fs, wf, 0);
		return 0;
	}
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		return -EROFS;
	}
	pthread_mutex_unlock(&w->lock);

	if (!trunc && !create && e->size && e->etag[0])
		return open_lazy(fs, e, out);
	if (!trunc && !create && e->size) {
		fd = staging_fetch(fs, w, e->ino, e);
		if (fd < 0)
			return fd;
		pthread_mutex_lock(&w->lock);
	} else {
		/* Under w->lock: a wfile of the inode on its way out (no
		 * longer in the table) sees this one there before it would
		 * unlink the name (wfile_free), and an open that won the race
		 * keeps its bytes (O_TRUNC would cut them). */
		pthread_mutex_lock(&w->lock);
		fd = wfile_lookup(w, e->ino) ? -EEXIST : staging_open(w, e->ino, 1);
		if (fd < 0 && fd != -EEXIST) {
			pthread_mutex_unlock(&w->lock);
			return fd;
		}
	}
	wf = wfile_lookup(w, e->ino);
	if (wf) {
		/* Another open won the race: use its file. */
		if (fd >= 0)
			close(fd);
		wfile_ref(wf);
		wf->opens++;
		pthread_mutex_unlock(&w->lock);
		*out = wf;
		return trunc ? writer_truncate(fs, wf, 0) : 0;
	}
	wf = wfile_new(w, e->ino, fd, e->tree, e->key);
	if (!wf) {
		pthread_mutex_unlock(&w->lock);
		close(fd);
		return -ENOMEM;
	}
	wf->size = trunc || create ? 0 : e->size;
	wf->mtime = create ? (int64_t)time(NULL) : e->mtime;
	wf->mode = e->mode;
	wf->uid = e->uid;
	wf->gid = e->gid;
	w->st.staged_bytes += wf->size;
	wf->opens = 1;
	/* A truncated or new file differs from S3 (or is new to it): it will
	 * be uploaded at close even if nothing is written. */
	wf->version = trunc || create ? 1 : 0;
	pthread_mutex_unlock(&w->lock);
	if (wf->size == 0)
		whash_truncated(wf, 0);
	*out = wf;
	return 0;
}

int writer_open(struct lmfs *fs, const struct index_entry *e, int trunc, struct wfile **out)
{
	return open_common(fs, e, trunc, 0, out);
}

int writer_create(struct lmfs *fs, const struct index_entry *e, struct wfile **out)
{
	return open_common(fs, e, 1, 1, out);
}

int writer_close(struct lmfs *fs, struct wfile *wf)
{
	struct writer *w = wr(fs);
	int rc = writer_flush(fs, wf);

	pthread_mutex_lock(&w->lock);
	wf->opens--;
	wfile_unref(w, wf);
	pthread_mutex_unlock(&w->lock);
	return rc;
}

/* A server-side copy turned into a file with bytes of its own: fetch the
 * source's (w->lock not held).  The bytes are the ones the COPY writes, so
 * the version stays: its landing settles the file.  A new version here
 * left a file that cp only read from (copy_streamed) dirty for good, with
 * no close to upload it: its wfile never left and its row stayed pinned
 * (t0610).  0 or a negative errno. */
static int materialize(struct lmfs *fs, struct wfile *wf)
{
	struct writer *w = wr(fs);
	struct index_entry src;
	int fd, rc = writer_copy_source(fs, wf, &src);

	if (rc)
		return rc == 1 ? 0 : rc;	/* 1: bytes of its own already */
	fd = staging_fetch(fs, w, wf->ino, &src);
	rc = fd < 0 ? fd : 0;
	pthread_mutex_lock(&w->lock);
	if (!rc && wf->copying) {
		set_fd(wf, fd);
		wf->copying = 0;
		wf->lazy = 0;
		wf->size = src.size;
		w->st.staged_bytes += src.size;
		fd = -1;
	}
	pthread_mutex_unlock(&w->lock);
	if (fd >= 0)
		close(fd);
	index_entry_release(&src);
	return rc;
}

ssize_t writer_pread(struct lmfs *fs, struct wfile *wf, void *buf, size_t size, off_t off)
{
	uint64_t fsize;
	ssize_t n;
	int rc = materialize(fs, wf);

	if (rc)
		return rc;
	pthread_mutex_lock(&wr(fs)->lock);
	fsize = wf->size;
	pthread_mutex_unlock(&wr(fs)->lock);
	if ((uint64_t)off >= fsize)
		return 0;
	if (size > fsize - (uint64_t)off)
		size = (size_t)(fsize - (uint64_t)off);
	/* the staging file is never shorter than wf->size: it grows (pwrite,
	 * ftruncate) before wf->size does */
	n = pread(wf->fd, buf, size, off);
	return n < 0 ? -errno : n;
}

ssize_t writer_pwrite(struct lmfs *fs, struct wfile *wf, const void *buf, size_t size,
		      off_t off)
{
	struct writer *w = wr(fs);
	uint64_t end = (uint64_t)off + size, grow;
	ssize_t n;
	int rc = materialize(fs, wf);

	if (rc)
		return rc;
	pthread_mutex_lock(&w->lock);
	grow = end > wf->size ? end - wf->size : 0;
	if (grow && w->st.staged_bytes + grow > fs->cfg->cache_max) {
		pthread_mutex_unlock(&w->lock);
		return -ENOSPC;
	}
	pthread_mutex_unlock(&w->lock);
	/* Note 3: the disk's reserve is the index's and the journal's, and
	 * cached blocks give way to written data. */
	if (grow && !blocks_make_room(fs->blocks, wf->fd, grow))
		return -ENOSPC;
	n = pwrite(wf->fd, buf, size, off);
	if (n < 0)
		return -errno;
	if (whash_wrote(wf, (uint64_t)off, (uint64_t)n))
		whash_kick(w);
	pthread_mutex_lock(&w->lock);
	end = (uint64_t)off + (uint64_t)n;
	if (end > wf->size) {
		w->st.staged_bytes += end - wf->size;
		wf->size = end;
	}
	wf->mtime = (int64_t)time(NULL);
	wf->version++;
	pthread_mutex_unlock(&w->lock);
	return n;
}

int writer_truncate(struct lmfs *fs, struct wfile *wf, uint64_t size)
{
	struct writer *w = wr(fs);
	int rc = 0;

	pthread_mutex_lock(&w->lock);
	if (wf->copying && size == 0) {
		/* O_TRUNC of a copy not yet landed: an empty file of its own */
		pthread_mutex_unlock(&w->lock);
		rc = staging_open(w, wf->ino, 1);
		if (rc < 0)
			return rc;
		pthread_mutex_lock(&w->lock);
		if (wf->copying) {
			set_fd(wf, rc);
			wf->copying = 0;
			wf->lazy = 0;
			wf->size = 0;
		} else {
			close(rc);
		}
		rc = 0;
	}
	pthread_mutex_unlock(&w->lock);
	rc = materialize(fs, wf);
	if (rc)
		return rc;
	pthread_mutex_lock(&w->lock);
	/* An upload maps the file: it must not shrink under it. */
	while (wf->uploading && size < wf->size)
		pthread_cond_wait(&w->changed, &w->lock);
	if (size > wf->size && w->st.staged_bytes + (size - wf->size) > fs->cfg->cache_max) {
		pthread_mutex_unlock(&w->lock);
		return -ENOSPC;
	}
	if (ftruncate(wf->fd, (off_t)size)) {
		rc = -errno;
		pthread_mutex_unlock(&w->lock);
		return rc;
	}
	w->st.staged_bytes += size;
	w->st.staged_bytes -= wf->size < w->st.staged_bytes ? wf->size : w->st.staged_bytes;
	wf->size = size;
	wf->mtime = (int64_t)time(NULL);
	wf->version++;
	pthread_mutex_unlock(&w->lock);
	return whash_truncated(wf, size);
}

int writer_set_meta(struct lmfs *fs, struct wfile *wf, uint32_t mode, int64_t uid,
		    int64_t gid, int64_t mtime)
{
	int lazy;

	pthread_mutex_lock(&wr(fs)->lock);
	lazy = wf->lazy;
	if (mode)
		wf->mode = mode;
	if (uid >= 0)
		wf->uid = uid;
	if (gid >= 0)
		wf->gid = gid;
	if (mtime >= 0)
		wf->mtime = mtime;
	if (!lazy)
		wf->version++;
	pthread_mutex_unlock(&wr(fs)->lock);
	return lazy;
}

void writer_stat(struct lmfs *fs, struct wfile *wf, struct stat *st)
{
	pthread_mutex_lock(&wr(fs)->lock);
	st->st_size = (off_t)(wf->copying ? wf->src.size : wf->size);
	st->st_blocks = (blkcnt_t)((st->st_size + 511) / 512);
	st->st_mtime = wf->mtime;
	st->st_ctime = wf->mtime;
	if (wf->mode)
		st->st_mode = (st->st_mode & S_IFMT) | (wf->mode & 07777);
	if (wf->uid >= 0)
		st->st_uid = (uid_t)wf->uid;
	if (wf->gid >= 0)
		st->st_gid = (gid_t)wf->gid;
	pthread_mutex_unlock(&wr(fs)->lock);
}

int writer_target(struct lmfs *fs, struct wfile *wf, int *tree, char **key, uint64_t *size,
		  uint64_t *ino)
{
	*ino = wf->ino;
	pthread_mutex_lock(&wr(fs)->lock);
	*tree = wf->tree;
	*key = strdup(wf->key);
	*size = wf->copying ? wf->src.size : wf->size;
	pthread_mutex_unlock(&wr(fs)->lock);
	return *key ? 0 : -ENOMEM;
}

void writer_unlinked(struct lmfs *fs, struct wfile *wf, int dropped)
{
	pthread_mutex_lock(&wr(fs)->lock);
	wf->unlinked = 1;
	wf->ops -= dropped < wf->ops ? dropped : wf->ops;
	if (wf->copies > wf->ops)
		wf->copies = wf->ops;
	wf->puts_waiting -= dropped < wf->puts_waiting ? dropped : wf->puts_waiting;
	pthread_cond_broadcast(&wr(fs)->changed);
	pthread_mutex_unlock(&wr(fs)->lock);
}

struct journal *writer_journal(struct lmfs *fs)
{
	return wr(fs)->j;
}

void writer_kick(struct lmfs *fs)
{
	pthread_mutex_lock(&wr(fs)->lock);
	pthread_cond_broadcast(&wr(fs)->work);
	pthread_mutex_unlock(&wr(fs)->lock);
}

int writer_copy_pending(struct lmfs *fs, struct wfile *wf, const struct index_entry *src)
{
	struct writer *w = wr(fs);
	struct index_entry copy;

	if (index_entry_copy(&copy, src))
		return -ENOMEM;
	pthread_mutex_lock(&w->lock);
	index_entry_release(&wf->src);
	wf->src = copy;
	if (wf->fd >= 0) {
		char path[4096];

		close(wf->fd);
		set_fd(wf, -1);
		w->st.staged_bytes -= wf->size < w->st.staged_bytes ? wf->size : w->st.staged_bytes;
		if (!wfile_staging_path(w, wf->ino, path, sizeof(path)))
			unlink(path);
	}
	wf->copying = 1;
	wf->lazy = 0;
	wf->size = src->size;
	wf->version++;
	wf->queued = wf->version;
	wf->ops++;
	wf->copies++;
	wf->copy_version = wf->version;
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int writer_copy_source(struct lmfs *fs, struct wfile *wf, struct index_entry *src)
{
	int rc = 0;

	memset(src, 0, sizeof(*src));
	pthread_mutex_lock(&wr(fs)->lock);
	if (!wf->copying)
		rc = 1;
	else if (index_entry_copy(src, &wf->src))
		rc = -ENOMEM;
	pthread_mutex_unlock(&wr(fs)->lock);
	return rc;
}
