/*
 * The FUSE glue: kernel requests in, calls on the filesystem (lmfs.h), one
 * reply out.  Every request gets exactly one reply; every entry handed to
 * the kernel (fuse_reply_entry, a readdirplus entry) adds one to the
 * inode's lookup count, which `forget` takes away (passthrough_ll.c's
 * rules).  Negative lookups are answered with ino 0 and a timeout, so the
 * kernel caches "not found" as long as the listing that said so is fresh.
 *
 * Design notes
 *  1. A layer file's truth is its wfile while it has one (writer.h), else
 *     its row.  A wfile goes once its upload has landed and set the row
 *     (size, ETag): a row read before the wfile was looked for may predate
 *     that landing (the local row of the close, ETag "", or the version
 *     before), so a layer file found without a wfile is read from the index
 *     again.  Opens read the object pinned to that row's ETag: one read too
 *     early failed with EIO or served the kernel's pages and size of
 *     another version, right after a close (t0635, t0630).
 */


#include "ops.h"
#include "ops_int.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inode.h"
#include "lmfs.h"
#include "log.h"
#include "passthru.h"
#include "reader.h"
#include "siblings.h"
#include "stats.h"
#include "verify.h"
#include "wnames.h"
#include "writer.h"

#define XATTR_PREFIX "user.lakemount."

static struct lmfs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

void ops_stat(struct lmfs *fs, const struct index_entry *e, struct stat *st)
{
	struct index_entry now = { 0 };
	struct wfile *wf;

	lmfs_stat(fs, e, st);
	/* Only layer files are ever written: the archive's stats (ls -l of
	 * thousands) never wait for the writer's lock. */
	if (e->kind != INDEX_FILE || wn_writable(fs, e->tree))
		return;
	wf = writer_find(fs, e->ino);
	if (wf) {
		writer_stat(fs, wf, st);
		writer_put(fs, wf);
		/* access times are not kept: atime reads as mtime (lmfs_stat) */
		st->st_atime = st->st_mtime;
	} else if (index_get(fs->ix, e->ino, &now) == 0) {
		/* Note 1: e may be older than the wfile's going. */
		lmfs_stat(fs, &now, st);
		index_entry_release(&now);
	}
}

/* The attributes of ino once its row is gone: a file unlinked while open
 * (POSIX: its descriptors still work, fstat gives st_nlink 0).  Its wfile
 * lives on until the last close; 0, or -ENOENT when there is none. */
static int stat_unlinked(struct lmfs *fs, uint64_t ino, struct stat *st)
{
	struct wfile *wf = writer_find(fs, ino);

	if (!wf)
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = S_IFREG | 0644;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_blksize = (blksize_t)blocks_block_size(fs->blocks);
	writer_stat(fs, wf, st);
	writer_put(fs, wf);
	st->st_nlink = 0;
	st->st_atime = st->st_mtime;
	return 0;
}

void ops_fill_entry(struct lmfs *fs, const struct index_entry *e, struct fuse_entry_param *p)
{
	memset(p, 0, sizeof(*p));
	p->ino = e->ino;
	p->generation = 1;
	ops_stat(fs, e, &p->attr);
	p->attr_timeout = lmfs_timeout(fs, e->tree);
	p->entry_timeout = p->attr_timeout;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct lmfs *fs = userdata;

	if (!fs->pt)
		log_info(NULL, "no FUSE passthrough: -o nopassthrough");
	else if (passthru_offered(fs->pt))
		log_info(NULL, "FUSE passthrough: files whole in the block cache are read "
			 "by the kernel straight from it");
	else
		log_info(NULL, "no FUSE passthrough: this kernel does not offer it "
			 "(Linux 6.9 or later does)");
	/* Bigger reads mean fewer round trips through the kernel: libfuse
	 * asks the kernel for max_write-sized requests (max_pages), reads
	 * included, and readahead windows of max_readahead. */
	conn->max_readahead = 1u << 20;
	conn->max_write = 1u << 20;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
	/* Cached pages are dropped at open when the object changed
	 * (keep_cache); the kernel need not check attributes on every read. */
	conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
	/* FUSE_CAP_READDIRPLUS_AUTO stays: the kernel asks for readdirplus
	 * for a listing's first slice and then only when the entries get
	 * looked at.  Without it, `ls -l` of 6,000 names after a remount took
	 * 41.0 ms instead of 43.8 (means of 8: no first stat of an entry
	 * falls out of the RCU path walk), but plain `ls` and `find` took
	 * 30 ms instead of 13, making 6,000 inodes they never use. */
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct lmfs *fs = fs_of(req);
	struct fuse_entry_param p;
	struct index_entry e = { 0 };
	int rc = dir_lookup(fs, parent, name, &e);

	if (rc == -ENOENT) {
		memset(&p, 0, sizeof(p));
		p.entry_timeout = lmfs_timeout(fs, e.tree);
		fuse_reply_entry(req, &p);
		return;
	}
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	ops_fill_entry(fs, &e, &p);
	index_entry_release(&e);
	if (inodes_ref(fs->inodes, p.ino))
		fuse_reply_err(req, ENOMEM);
	else
		fuse_reply_entry(req, &p);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	inodes_forget(fs_of(req)->inodes, ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		inodes_forget(fs_of(req)->inodes, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct lmfs *fs = fs_of(req);
	struct index_entry e = { 0 };
	struct stat st;

	(void)fi;
	if (index_get(fs->ix, ino, &e)) {
		if (stat_unlinked(fs, ino, &st))
			fuse_reply_err(req, ENOENT);
		else
			fuse_reply_attr(req, &st, 0);
		return;
	}
	ops_stat(fs, &e, &st);
	fuse_reply_attr(req, &st, lmfs_timeout(fs, e.tree));
	index_entry_release(&e);
}

/* Passthrough (fs/passthru.h) for files of read-only trees, whose objects
 * change only by replacement (a new ETag, a new object), once a zip of a
 * checked tree is known good: the kernel then reads the cache's file
 * without asking, so nothing else could stop a bad one.  Such files are
 * read past the kernel's page cache until they are whole in the block
 * cache (inodes_open): the page cache would hold a second copy of what
 * the cache's file holds, and a passthrough open would first have to
 * drop it all. */
static int may_passthrough(struct lmfs *fs, const struct index_entry *e, const char *obj)
{
	const struct config_tree *t = lmfs_tree(fs, e->tree);

	return t && t->readonly && passthru_enabled(fs->pt) &&
	       strcmp(verify_state(fs, e, obj), "unverified");
}

struct backing {
	struct lmfs *fs;
	struct fhandle *fh;
	int fd;			/* the object's cache file (pinned) */
	int registered;		/* the inode's passthrough reads it now */
};

/* inodes_backing_fn: the object's cache file, registered with the kernel. */
static int register_backing(void *arg, struct inode_backing *b)
{
	struct backing *a = arg;

	if ((b->id = passthru_backing_open(a->fs->pt, a->fd)) <= 0)
		return -1;
	reader_backing_of(a->fh, b->obj, &b->size);
	a->registered = 1;
	stats_passthrough_open(a->fs->stats);
	return 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct lmfs *fs = fs_of(req);
	struct index_entry e = { 0 };
	struct open_file *of = NULL;
	struct backing pt = { fs, NULL, -1, 0 };
	char obj[BLOCKS_ID_LEN + 1];
	int rc = -ENOMEM, keep, tries, id, uncached, followed;

	of = calloc(1, sizeof(*of));
	if (!of)
		goto out;
	for (tries = 0;; tries++) {
		rc = index_get(fs->ix, ino, &e) ? -ENOENT : e.kind != INDEX_FILE ? -EISDIR : 0;
		if (rc)
			goto out;
		rc = ops_open_written(fs, &e, fi, of);
		if (rc <= 0 || wn_writable(fs, e.tree))
			break;
		/* Note 1: no wfile now, so the row as it is now.  ETag ""
		 * there is a close's local row: a new wfile came meanwhile. */
		index_entry_release(&e);
		rc = index_get(fs->ix, ino, &e) ? -ENOENT : 1;
		if (rc < 0 || e.etag[0] || !e.size || tries == 2)
			break;
		index_entry_release(&e);
	}
	if (rc == 0) {
		fi->fh = (uintptr_t)of;
		if (fuse_reply_open(req, fi))
			ops_release_file(fs, ino, of);
		of = NULL;
	}
	if (rc <= 0)
		goto out;
	rc = reader_open(fs->reader, &e, &of->fh);
	if (rc)
		goto out;
	/* Pinned and opened before the inode table is locked: it may wait
	 * for the last blocks of a read just done to reach the disk. */
	reader_backing_of(of->fh, obj, NULL);
	uncached = may_passthrough(fs, &e, obj);
	pt.fh = of->fh;
	if (uncached)
		pt.fd = reader_backing_open(fs->reader, of->fh);
	of->mode = inodes_open(fs->inodes, ino, e.etag, uncached,
			       pt.fd >= 0 ? register_backing : NULL, &pt, &keep, &id);
	if (pt.fd >= 0) {
		close(pt.fd);
		if (!pt.registered)	/* the inode's pin is another handle's */
			reader_backing_release(fs->reader, of->fh, NULL, 0);
	}
	/* siblings follow read-only trees; before the reply, as reads come
	 * right after it */
	if ((followed = wn_writable(fs, e.tree) != 0))
		of->parent = e.parent;
	fi->fh = (uintptr_t)of;
	fi->keep_cache = keep;
	fi->direct_io = of->mode == INODE_DIRECT || of->mode == INODE_PASSTHROUGH_DIRECT;
	if (id ? passthru_reply_open(req, fi, id) : fuse_reply_open(req, fi))
		ops_release_file(fs, ino, of);
	of = NULL;
	if (followed)
		siblings_opened(fs->siblings, fs, &e);	/* after the reply */
out:
	if (rc)
		fuse_reply_err(req, -rc);
	free(of);
	index_entry_release(&e);
}

/* The reply's fuse_bufvec, with room for a buffer per span.  It lives on
 * the heap: struct fuse_bufvec ends in buf[1], and only an object that
 * really ends there may be indexed past it.  Declared inside a bigger
 * struct (buf[1] followed by more buffers) the compiler may assume i == 0,
 * and it did: buf[1].size stayed 0, a read across a block boundary was
 * answered short, and the kernel took that for end of file. */
static struct fuse_bufvec *spans_bufvec(const struct reader_span *sp, int nsp)
{
	struct fuse_bufvec *v;
	int i;

	v = calloc(1, sizeof(*v) + (size_t)(nsp - 1) * sizeof(struct fuse_buf));
	if (!v)
		return NULL;
	v->count = (size_t)nsp;
	for (i = 0; i < nsp; i++) {
		v->buf[i].mem = (void *)sp[i].data;
		v->buf[i].size = sp[i].len;
	}
	return v;
}

/* What siblings.c's note 4 learns from a read.  The first read's place is
 * written once per open, and the reach of the start only while it grows
 * within the first part, so most reads of a file only load.  Within a
 * block of the reach, not at it: the kernel may send a reader's requests
 * out of order. */
static void note_read(struct lmfs *fs, struct open_file *of, uint64_t off, size_t size)
{
	uint64_t bs = blocks_block_size(fs->blocks), end = off + size, reach;
	int none = 0;

	if (!__atomic_load_n(&of->first_read, __ATOMIC_RELAXED))
		__atomic_compare_exchange_n(&of->first_read, &none, off ? 2 : 1, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	reach = __atomic_load_n(&of->head_reach, __ATOMIC_RELAXED);
	while (off < reach + bs && end > reach && reach < reader_part_size(fs->reader) &&
	       !__atomic_compare_exchange_n(&of->head_reach, &reach, end, 1, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

/* The blocks of its first part an open read (siblings_read's head). */
static unsigned head_blocks(struct lmfs *fs, const struct open_file *of)
{
	uint64_t bs = blocks_block_size(fs->blocks), part = reader_part_size(fs->reader);
	uint64_t reach = __atomic_load_n(&of->head_reach, __ATOMIC_RELAXED);

	return (unsigned)(((reach < part ? reach : part) + bs - 1) / bs);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct lmfs *fs = fs_of(req);
	struct open_file *of = (struct open_file *)(uintptr_t)fi->fh;
	struct reader_span sp[READER_MAX_SPANS];
	struct fuse_bufvec *v;
	ssize_t n;
	int nsp;

	(void)ino;
	if (of->wf && !of->fh) {
		ops_read_written(req, size, off, fi);
		return;
	}
	if (of->parent)
		note_read(fs, of, (uint64_t)off, size);
	n = reader_spans(fs->reader, of->fh, size, off, sp, &nsp);
	if (n < 0) {
		fuse_reply_err(req, (int)-n);
		return;
	}
	/* Straight from the blocks in memory to the kernel: no copy here. */
	if (!nsp) {
		fuse_reply_buf(req, NULL, 0);
	} else if (!(v = spans_bufvec(sp, nsp))) {
		fuse_reply_err(req, ENOMEM);
	} else {
		fuse_reply_data(req, v, FUSE_BUF_SPLICE_MOVE);
		free(v);
	}
	reader_spans_release(fs->reader, sp, nsp);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct lmfs *fs = fs_of(req);
	struct open_file *of = (struct open_file *)(uintptr_t)fi->fh;
	int first = __atomic_load_n(&of->first_read, __ATOMIC_RELAXED);

	if (of->parent && first)	/* a file closed unread tells nothing */
		siblings_read(fs->siblings, of->parent, head_blocks(fs, of), first == 2);
	ops_release_file(fs, ino, of);
	fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct lmfs *fs = fs_of(req);
	struct blocks_stats bs;
	struct statvfs sv;
	uint32_t bsize = blocks_block_size(fs->blocks);

	(void)ino;
	blocks_stats(fs->blocks, &bs);
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = bsize;
	sv.f_frsize = bsize;
	sv.f_blocks = fs->cfg->cache_max / bsize;
	sv.f_bfree = bs.stored_bytes < fs->cfg->cache_max
			     ? (fs->cfg->cache_max - bs.stored_bytes) / bsize : 0;
	sv.f_bavail = sv.f_bfree;
	sv.f_files = 1u << 30;
	sv.f_ffree = 1u << 30;
	sv.f_namemax = NAME_MAX;	/* the longest name wn_name_check lets by */
	fuse_reply_statfs(req, &sv);
}

/* ---- extended attributes ---- */

static const char file_xattrs[] = XATTR_PREFIX "etag\0" XATTR_PREFIX "url\0"
				  XATTR_PREFIX "cached\0" XATTR_PREFIX "checksum\0";
static const char root_xattrs[] = XATTR_PREFIX "stats\0" XATTR_PREFIX "control\0";

/* The value of name for e, malloc'd; NULL with *err set. */
static char *xattr_value(struct lmfs *fs, const struct index_entry *e, const char *name,
			 int *err)
{
	const char *attr = name + strlen(XATTR_PREFIX);
	char obj[BLOCKS_ID_LEN + 1], *v = NULL;
	struct s3_client *c = lmfs_client(fs, e->tree);

	*err = ENODATA;
	if (strncmp(name, XATTR_PREFIX, strlen(XATTR_PREFIX)))
		return NULL;
	if (e->ino == INDEX_ROOT_INO && !strcmp(attr, "stats"))
		v = lmfs_stats_json(fs);
	else if (e->ino == INDEX_ROOT_INO && !strcmp(attr, "control")) {
		/* set before and cleared after the session runs (mount.c) */
		if (!fs->control)
			return NULL;
		v = strdup(fs->control);
	}
	else if (e->kind != INDEX_FILE)
		return NULL;
	else if (!strcmp(attr, "etag"))
		v = strdup(e->etag);
	else if (!strcmp(attr, "url")) {
		if (asprintf(&v, "s3://%s/%s", s3_client_bucket(c), e->key) < 0)
			v = NULL;
	} else if (!strcmp(attr, "cached")) {
		lmfs_object_id(fs, e, obj);
		if (asprintf(&v, "%llu",
			     (unsigned long long)blocks_cached_bytes(fs->blocks, obj)) < 0)
			v = NULL;
	} else if (!strcmp(attr, "checksum")) {
		lmfs_object_id(fs, e, obj);
		v = strdup(verify_state(fs, e, obj));
	} else {
		return NULL;
	}
	if (!v)
		*err = ENOMEM;
	return v;
}

static void reply_sized(fuse_req_t req, const char *data, size_t len, size_t size)
{
	if (!size)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, data, len);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct lmfs *fs = fs_of(req);
	struct index_entry e = { 0 };
	char *v;
	int err;

	/* ls -l asks every file for security.selinux and
	 * system.posix_acl_access.  Those namespaces are not supported here,
	 * and saying so (ENOTSUP rather than ENODATA) lets ls stop asking
	 * after the first file of the mount: 2 requests instead of 2 per
	 * file.  Other user.* names simply do not exist. */
	if (strncmp(name, "user.", 5)) {
		fuse_reply_err(req, ENOTSUP);
		return;
	}
	if (strncmp(name, XATTR_PREFIX, strlen(XATTR_PREFIX))) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	if (index_get(fs->ix, ino, &e)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	v = xattr_value(fs, &e, name, &err);
	if (v)
		reply_sized(req, v, strlen(v), size);
	else
		fuse_reply_err(req, err);
	free(v);
	index_entry_release(&e);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct lmfs *fs = fs_of(req);
	struct index_entry e = { 0 };

	if (index_get(fs->ix, ino, &e)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (e.kind == INDEX_FILE)
		reply_sized(req, file_xattrs, sizeof(file_xattrs) - 1, size);
	else if (ino == INDEX_ROOT_INO)
		reply_sized(req, root_xattrs, sizeof(root_xattrs) - 1, size);
	else
		reply_sized(req, "", 0, size);
	index_entry_release(&e);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.opendir = ops_opendir,
	.readdir = ops_readdir,
	.readdirplus = ops_readdirplus,
	.releasedir = ops_releasedir,
	.open = op_open,
	.read = op_read,
	.release = op_release,
	.statfs = op_statfs,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.create = ops_create,
	.mkdir = ops_mkdir,
	.unlink = ops_unlink,
	.rmdir = ops_rmdir,
	.rename = ops_rename,
	.link = ops_link,
	.symlink = ops_symlink,
	.mknod = ops_mknod,
	.setattr = ops_setattr,
	.setxattr = ops_setxattr,
	.removexattr = ops_removexattr,
	.write = ops_write,
	.flush = ops_flush,
	.fsync = ops_fsync,
	.copy_file_range = ops_copy_file_range,
};

const struct fuse_lowlevel_ops *ops_table(void)
{
	return &ops;
}
