/*
 * ops_write: the FUSE glue of the write path.  Kernel requests in, calls on
 * wnames.h and writer.h, one reply out.  Replies that hand an entry to the
 * kernel (create, mkdir, mknod) count a lookup, as in ops.c.  What is not
 * supported (links, special files, xattrs) gets EPERM or ENOTSUP, never a
 * silent success: man lakemount(8), POSIX BEHAVIOUR.
 *
 * Files open for writing use the kernel's page cache write-through (no
 * writeback cache): each write() reaches the staging file before it
 * returns, so a kill -9 loses nothing that write() acknowledged.
 */
#include "ops_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "inode.h"
#include "log.h"
#include "passthru.h"
#include "reader.h"
#include "wnames.h"
#include "writer.h"

static struct lmfs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct open_file *of_of(struct fuse_file_info *fi)
{
	return (struct open_file *)(uintptr_t)fi->fh;
}

int ops_open_written(struct lmfs *fs, const struct index_entry *e, struct fuse_file_info *fi,
		     struct open_file *of)
{
	int writing = (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC);
	struct index_entry src;
	int rc = wn_writable(fs, e->tree);

	if (!writing && rc)
		return 1;	/* the archive: no file there is ever written */
	if (writing) {
		if (rc)
			return rc;
		rc = writer_open(fs, e, !!(fi->flags & O_TRUNC), &of->wf);
		if (rc)
			return rc;
		of->counted = 1;
		fi->keep_cache = 0;
		fi->direct_io = 0;
		return 0;
	}
	of->wf = writer_find(fs, e->ino);
	if (!of->wf)
		return 1;
	rc = writer_copy_source(fs, of->wf, &src);
	if (rc == 0) {
		/* a server-side copy on its way: read the source */
		rc = reader_open(fs->reader, &src, &of->fh);
		index_entry_release(&src);
	} else if (rc == 1) {
		writer_reopen(fs, of->wf);
		of->counted = 1;
		rc = 0;
	}
	if (rc) {
		writer_put(fs, of->wf);
		of->wf = NULL;
		return rc;
	}
	fi->keep_cache = 0;
	fi->direct_io = 0;
	return 0;
}

void ops_read_written(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi)
{
	char *buf = malloc(size ? size : 1);
	ssize_t n;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = writer_pread(fs_of(req), of_of(fi)->wf, buf, size, off);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

void ops_release_file(struct lmfs *fs, fuse_ino_t ino, struct open_file *of)
{
	struct inode_backing b;

	if (of->wf) {
		if (of->counted && writer_close(fs, of->wf))
			log_error(LOG_FIELDS(LF_INT("ino", ino)),
				  "close of inode %llu: the upload could not be queued",
				  (unsigned long long)ino);
		else if (!of->counted)
			writer_put(fs, of->wf);
	} else if (inodes_close(fs->inodes, ino, of->mode, &b)) {
		/* the inode's last handle on the backing file (of another
		 * version than of's, maybe): the kernel is done with it */
		passthru_backing_close(fs->pt, b.id);
		reader_backing_release(fs->reader, NULL, b.obj, b.size);
	}
	if (of->fh)
		reader_release(fs->reader, of->fh);
	free(of);
}

static void reply_entry(fuse_req_t req, const struct index_entry *e)
{
	struct lmfs *fs = fs_of(req);
	struct fuse_entry_param p;

	ops_fill_entry(fs, e, &p);
	if (inodes_ref(fs->inodes, p.ino))
		fuse_reply_err(req, ENOMEM);
	else
		fuse_reply_entry(req, &p);
}

void ops_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		struct fuse_file_info *fi)
{
	struct lmfs *fs = fs_of(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct open_file *of = calloc(1, sizeof(*of));
	struct fuse_entry_param p;
	struct index_entry e;
	int rc = -ENOMEM;

	if (!of)
		goto fail;
	rc = wn_create(fs, parent, name, mode, ctx->uid, ctx->gid, &e, &of->wf);
	if (rc) {
		index_entry_release(&e);
		goto fail;
	}
	of->counted = 1;
	ops_fill_entry(fs, &e, &p);
	index_entry_release(&e);
	fi->fh = (uintptr_t)of;
	fi->keep_cache = 0;
	if (inodes_ref(fs->inodes, p.ino)) {
		ops_release_file(fs, p.ino, of);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (fuse_reply_create(req, &p, fi)) {
		inodes_forget(fs->inodes, p.ino, 1);
		ops_release_file(fs, p.ino, of);
	}
	return;
fail:
	free(of);
	fuse_reply_err(req, -rc);
}

void ops_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct index_entry e;
	int rc = wn_mkdir(fs_of(req), parent, name, mode, ctx->uid, ctx->gid, &e);

	if (rc)
		fuse_reply_err(req, -rc);
	else
		reply_entry(req, &e);
	index_entry_release(&e);
}

void ops_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, -wn_unlink(fs_of(req), parent, name));
}

void ops_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, -wn_rmdir(fs_of(req), parent, name));
}

void ops_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		const char *newname, unsigned int flags)
{
	fuse_reply_err(req, -wn_rename(fs_of(req), parent, name, newparent, newname, flags));
}

/* err for what lakemount does not support, but EROFS in a read-only tree
 * (as a read-only mount checks that first) and ENOENT when ino is gone. */
static int unsupported(struct lmfs *fs, fuse_ino_t ino, int err)
{
	struct index_entry e = { 0 };
	int rc;

	if (index_get(fs->ix, ino, &e))
		return ENOENT;
	rc = wn_writable(fs, e.tree) ? EROFS : err;
	index_entry_release(&e);
	return rc;
}

void ops_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void)ino, (void)newname;
	/* an S3 key has one name: no hard links */
	fuse_reply_err(req, unsupported(fs_of(req), newparent, EPERM));
}

void ops_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link, (void)name;
	fuse_reply_err(req, unsupported(fs_of(req), parent, EPERM));
}

void ops_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	struct lmfs *fs = fs_of(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct index_entry e = { 0 };
	struct wfile *wf = NULL;
	int rc;

	(void)rdev;
	if (!S_ISREG(mode)) {
		/* FIFOs, sockets, devices: nothing in S3 could hold them */
		fuse_reply_err(req, unsupported(fs, parent, EPERM));
		return;
	}
	rc = wn_create(fs, parent, name, mode, ctx->uid, ctx->gid, &e, &wf);
	if (!rc && writer_close(fs, wf))
		rc = -EIO;
	if (rc)
		fuse_reply_err(req, -rc);
	else
		reply_entry(req, &e);
	index_entry_release(&e);
}

void ops_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		 struct fuse_file_info *fi)
{
	struct lmfs *fs = fs_of(req);
	struct wn_attr a = { -1, 0, -1, -1, -1 };
	struct index_entry e = { 0 };
	struct stat st;
	int rc;

	if (to_set & FUSE_SET_ATTR_SIZE)
		a.size = attr->st_size;
	if (to_set & FUSE_SET_ATTR_MODE)
		a.mode = WN_MODE_SET | (attr->st_mode & 07777);
	if (to_set & FUSE_SET_ATTR_UID)
		a.uid = attr->st_uid;
	if (to_set & FUSE_SET_ATTR_GID)
		a.gid = attr->st_gid;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		a.mtime = (int64_t)time(NULL);
	else if (to_set & FUSE_SET_ATTR_MTIME)
		a.mtime = attr->st_mtime;
	if (a.size < 0 && !a.mode && a.uid < 0 && a.gid < 0 && a.mtime < 0 &&
	    !(to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW))) {
		rc = index_get(fs->ix, ino, &e) ? -ENOENT : 0;
	} else if (a.size < 0 && !a.mode && a.uid < 0 && a.gid < 0 && a.mtime < 0) {
		/* atime only: not kept */
		rc = index_get(fs->ix, ino, &e) ? -ENOENT : wn_writable(fs, e.tree);
	} else {
		rc = wn_setattr(fs, ino, fi ? of_of(fi)->wf : NULL, &a, &e);
	}
	if (rc) {
		fuse_reply_err(req, -rc);
	} else {
		ops_stat(fs, &e, &st);
		fuse_reply_attr(req, &st, lmfs_timeout(fs, e.tree));
	}
	index_entry_release(&e);
}

void ops_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
		  size_t size, int flags)
{
	(void)name, (void)value, (void)size, (void)flags;
	fuse_reply_err(req, unsupported(fs_of(req), ino, ENOTSUP));
}

void ops_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)name;
	fuse_reply_err(req, unsupported(fs_of(req), ino, ENOTSUP));
}

void ops_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
	       struct fuse_file_info *fi)
{
	struct open_file *of = of_of(fi);
	ssize_t n;

	(void)ino;
	if (!of->wf || !of->counted) {
		fuse_reply_err(req, EBADF);
		return;
	}
	n = writer_pwrite(fs_of(req), of->wf, buf, size, off);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

void ops_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct open_file *of = of_of(fi);

	(void)ino;
	fuse_reply_err(req, of->wf && of->counted ? -writer_flush(fs_of(req), of->wf) : 0);
}

struct fsync_wait {
	struct lmfs *fs;
	int stop;
};

/* On libfuse's thread that read the kernel's FUSE_INTERRUPT. */
static void fsync_interrupted(fuse_req_t req, void *arg)
{
	struct fsync_wait *fw = arg;

	(void)req;
	__atomic_store_n(&fw->stop, 1, __ATOMIC_RELEASE);
	writer_wake(fw->fs);
}

/* A fsync waits for S3, up to io_timeout after the endpoint went away.
 * The kernel has the caller wait for our answer out of reach of signals,
 * kill -9 too (the request reached us): so a signal to the caller, which
 * the kernel passes on as an interrupt, ends the wait with EINTR. */
void ops_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct fsync_wait fw = { fs_of(req), 0 };
	struct open_file *of = of_of(fi);
	struct wfile *wf = of->wf;
	int rc = 0;

	(void)datasync;
	fuse_req_interrupt_func(req, fsync_interrupted, &fw);
	/* Any handle may ask: also a read-only one of a file another handle
	 * wrote (coreutils `sync FILE` opens it read-only). */
	if (wf) {
		rc = writer_fsync(fw.fs, wf, &fw.stop);
	} else if ((wf = writer_find(fw.fs, ino))) {
		rc = writer_fsync(fw.fs, wf, &fw.stop);
		writer_put(fw.fs, wf);
	}
	/* after this no interrupt looks at fw (libfuse: under req's lock) */
	fuse_req_interrupt_func(req, NULL, NULL);
	fuse_reply_err(req, -rc);
}

void ops_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			 struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
			 struct fuse_file_info *fi_out, size_t len, int flags)
{
	struct open_file *out = of_of(fi_out);
	ssize_t n;

	(void)fi_in, (void)ino_out;
	if (flags) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (!out->wf || !out->counted) {
		fuse_reply_err(req, EBADF);
		return;
	}
	n = wn_copy(fs_of(req), ino_in, off_in, out->wf, off_out, len);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}
