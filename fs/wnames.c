/*
 * wnames: create, mkdir, unlink, rmdir, rename, setattr and copies in the
 * layer trees, as local index rows (cache/index_local.c) and journal
 * entries that the uploaders (upload.c) apply.
 *
 * Design notes
 *  1. A directory is a prefix; mkdir also writes a "dir/" marker object so
 *     that other machines see an empty directory.  rmdir deletes the marker
 *     (a prefix-only directory has none; the DELETE is harmless).
 *  2. rename of a file is COPY + DELETE in one journal transaction, unless
 *     only its PUT waits (rsync's temporary file): then the PUT just gets
 *     the new key, nothing is sent twice, and a DELETE of the old key
 *     follows (an older version may be there).  A file in the way loses
 *     its queued PUTs in that same transaction (journal_rename) and gets
 *     no DELETE: the copy replaces it whole, and a kill leaves either the
 *     old target or the renamed file there, never neither.  unlink drops
 *     the PUTs and adds the DELETE in one transaction too.
 *  3. rename of a directory first waits for the journal to drain under it,
 *     then lists every object under the old prefix (layers only; never the
 *     archive) and journals a COPY + DELETE per object, all in one
 *     transaction with the DELETE of an empty directory's marker in the
 *     way: a crash halfway resumes on the next mount.
 *  4. copy_file_range of a whole clean object into an empty file on the
 *     same endpoint is a server-side COPY; until it lands, reads of the copy
 *     see the source.  Anything else is copied here, through the block
 *     cache, never through the kernel's page cache.
 *  5. The journal commits first, the index (another database) after: a
 *     rename's COPYs name the inode they move, so that the next mount
 *     moves the row a kill left behind (wreplay.c).
 */
#include "wnames.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lmfs.h"
#include "log.h"
#include "reader.h"
#include "writer.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif


int wn_writable(struct lmfs *fs, int tree)
{
	const struct config_tree *t = lmfs_tree(fs, tree);

	return t && !t->readonly ? 0 : -EROFS;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
 * Nor the control characters XML 1.0 cannot carry (all below 0x20 but tab,
 * newline and carriage return): S3 stores such a key, but its listings
 * then hold "&#x1;", which no XML parser takes, ours included, and the
 * whole directory could no longer be listed. */
static int utf8_valid(const unsigned char *s)
{
	unsigned n, i;
	uint32_t c;

	while (*s) {
		if (*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
		if (*s < 0x80) {
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf)
			n = 1, c = *s & 0x1f;
		else if (*s >= 0xe0 && *s <= 0xef)
			n = 2, c = *s & 0x0f;
		else if (*s >= 0xf0 && *s <= 0xf4)
			n = 3, c = *s & 0x07;
		else
			return 0;
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i] & 0x3f);
		}
		if ((n == 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
		    (n == 3 && (c < 0x10000 || c > 0x10ffff)))
			return 0;
		s += n + 1;
	}
	return 1;
}

int wn_name_check(const char *parent_key, const char *name, int dir)
{
	size_t len = strlen(name);

	if (len > NAME_MAX || strlen(parent_key) + len + (dir ? 1 : 0) > LMFS_KEY_MAX)
		return -ENAMETOOLONG;
	return utf8_valid((const unsigned char *)name) ? 0 : -EILSEQ;
}

static char *source_name(struct lmfs *fs, int tree)
{
	return fs->cfg->sources[fs->cfg->tree[tree].source].name;
}

/* The parent row, which must be a writable directory, and the child's key
 * (malloc'd; dir adds the '/'). */
static int child_key(struct lmfs *fs, uint64_t parent, const char *name, int dir,
		     struct index_entry *pe, char **key)
{
	int rc;

	*key = NULL;
	if (index_get(fs->ix, parent, pe))
		return -ENOENT;
	if (pe->kind != INDEX_DIR)
		return -ENOTDIR;
	rc = wn_writable(fs, pe->tree);
	if (rc)
		return rc;
	rc = wn_name_check(pe->key, name, dir);
	if (rc)
		return rc;
	if (asprintf(key, "%s%s%s", pe->key, name, dir ? "/" : "") < 0) {
		*key = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* A journal call on key failed: log it, and the errno for the caller. */
static int journal_failed(struct lmfs *fs, const char *source, const char *key)
{
	log_error(LOG_FIELDS(LF_STR("source", source), LF_STR("key", key),
			     LF_STR("error", journal_errmsg(writer_journal(fs)))),
		  "journal: %s", journal_errmsg(writer_journal(fs)));
	return journal_err_nospace() ? -ENOSPC : -EIO;
}

static int journal_one(struct lmfs *fs, const struct journal_op *op)
{
	if (journal_add(writer_journal(fs), op, 1, NULL))
		return journal_failed(fs, op->source, op->key);
	writer_kick(fs);
	return 0;
}

int wn_create(struct lmfs *fs, uint64_t parent, const char *name, mode_t mode, uid_t uid,
	      gid_t gid, struct index_entry *e, struct wfile **wf)
{
	struct index_entry pe = { 0 };
	struct index_attr a = { 0, "", (int64_t)time(NULL), WN_MODE_SET | (mode & 07777), uid,
				  gid };
	struct index_child c;
	char *key;
	uint64_t ino;
	int rc = child_key(fs, parent, name, 0, &pe, &key);

	memset(e, 0, sizeof(*e));
	*wf = NULL;
	if (rc)
		goto out;
	c = (struct index_child){ name, INDEX_FILE, key, 0, "", a.mtime };
	rc = -EIO;
	if (index_put_local(fs->ix, parent, &c, &a, &ino) || index_get(fs->ix, ino, e)) {
		rc = index_err_nospace() ? -ENOSPC : -EIO;
		goto out;
	}
	rc = writer_create(fs, e, wf);
out:
	free(key);
	index_entry_release(&pe);
	return rc;
}

int wn_mkdir(struct lmfs *fs, uint64_t parent, const char *name, mode_t mode, uid_t uid,
	     gid_t gid, struct index_entry *e)
{
	struct index_entry pe = { 0 };
	struct index_attr a = { 0, "", (int64_t)time(NULL), WN_MODE_SET | (mode & 07777), uid,
				  gid };
	struct journal_op op = { 0 };
	struct index_child c;
	uint64_t ino, gen;
	char *key;
	int rc = child_key(fs, parent, name, 1, &pe, &key);

	memset(e, 0, sizeof(*e));
	if (rc)
		goto out;
	op.kind = JOURNAL_PUT;
	op.source = source_name(fs, pe.tree);
	op.key = key;
	op.mode = a.mode;
	op.uid = uid;
	op.gid = gid;
	op.mtime = a.mtime;
	rc = journal_one(fs, &op);
	if (rc)
		goto out;
	c = (struct index_child){ name, INDEX_DIR, key, 0, "", a.mtime };
	rc = -EIO;
	/* new and empty: a complete listing, so lookups inside need no request */
	if (index_put_local(fs->ix, parent, &c, &a, &ino) ||
	    index_listing_begin(fs->ix, ino, &gen) ||
	    index_listing_end(fs->ix, ino, gen, (int64_t)time(NULL)) || index_get(fs->ix, ino, e))
		goto out;
	rc = 0;
out:
	free(key);
	index_entry_release(&pe);
	return rc;
}

/* The row of name in parent (looked up in S3 when the index has none). */
static int find_child(struct lmfs *fs, uint64_t parent, const char *name, struct index_entry *e)
{
	int rc = dir_lookup(fs, parent, name, e);

	if (rc)
		return rc;
	return wn_writable(fs, e->tree);
}

int wn_unlink(struct lmfs *fs, uint64_t parent, const char *name)
{
	struct index_entry e = { 0 };
	struct wfile *wf;
	int rc = find_child(fs, parent, name, &e), dropped;

	if (rc)
		goto out;
	rc = -EISDIR;
	if (e.kind == INDEX_DIR)
		goto out;
	/* the PUTs dropped and the DELETE in one transaction (journal.c
	 * note 9) */
	dropped = journal_unlink(writer_journal(fs), source_name(fs, e.tree), e.key);
	if (dropped < 0) {
		rc = journal_failed(fs, source_name(fs, e.tree), e.key);
		goto out;
	}
	rc = 0;
	writer_kick(fs);
	wf = writer_find(fs, e.ino);
	if (wf) {
		writer_unlinked(fs, wf, dropped > 0 ? dropped : 0);
		writer_put(fs, wf);
	}
	rc = index_remove(fs->ix, parent, name) ? -EIO : 0;
out:
	index_entry_release(&e);
	return rc;
}

struct counting {
	struct lmfs *fs;
	const char *source, *marker;
	int found;
};

/* A key of S3 counts unless it is the marker or the journal still owes
 * it an op: the directory has no row (checked first), so that op is a
 * DELETE or a rename's copy and delete (rm d/f; rmdir d, at once). */
static int count_entry(void *arg, const struct s3_list_entry *le)
{
	struct counting *c = arg;

	if (strcmp(le->key, c->marker) &&
	    journal_pending(writer_journal(c->fs), c->source, le->key, 0) <= 0)
		c->found = 1;
	return 0;
}

/* Whether directory e has anything in it, here or in S3. */
static int dir_empty(struct lmfs *fs, const struct index_entry *e)
{
	struct index_dirstate st = { 0 };
	struct s3_list_params lp = { e->key, "/", NULL, NULL, 100 };
	struct xml_list_result res = { 0 };
	struct s3_error err;
	struct counting arg = { fs, source_name(fs, e->tree), e->key, 0 };
	int64_t n = index_count_children(fs->ix, e->ino);

	if (n != 0)
		return n < 0 ? -EIO : -ENOTEMPTY;
	index_dir_state(fs->ix, e->ino, &st);
	if (st.complete && time(NULL) - st.listed_at < 2)
		return 0;
	if (s3_list(lmfs_client(fs, e->tree), &lp, count_entry, &arg, &res, &err)) {
		free(res.next_token);
		return -lmfs_errno(&err);
	}
	free(res.next_token);
	/* A listing of a day-old directory could miss what a PUT of this
	 * mount has not landed yet: those are index rows, counted above. */
	return arg.found || res.truncated ? -ENOTEMPTY : 0;
}

/* Can directory e go (rmdir, or a rename over it)?  0 or a negative errno. */
static int rmdir_ok(struct lmfs *fs, const struct index_entry *e)
{
	if (e->kind != INDEX_DIR)
		return -ENOTDIR;
	if (!e->key[0] || index_count_children(fs->ix, 0) < 0)
		return -EBUSY;
	return dir_empty(fs, e);
}

int wn_rmdir(struct lmfs *fs, uint64_t parent, const char *name)
{
	struct index_entry e = { 0 };
	struct journal_op op = { 0 };
	int rc = find_child(fs, parent, name, &e);

	if (rc)
		goto out;
	rc = rmdir_ok(fs, &e);
	if (rc)
		goto out;
	op.kind = JOURNAL_DELETE;
	op.source = source_name(fs, e.tree);
	op.key = e.key;
	rc = journal_one(fs, &op);
	if (!rc && index_remove(fs->ix, parent, name))
		rc = -EIO;
out:
	index_entry_release(&e);
	return rc;
}

/* ---- rename ---- */

struct keys {
	char **v;
	size_t n, cap;
	int failed;
};

static int collect_key(void *arg, const struct s3_list_entry *le)
{
	struct keys *k = arg;

	if (le->is_prefix)
		return 0;
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 256;
		char **v = realloc(k->v, cap * sizeof(*v));

		if (!v)
			goto fail;
		k->v = v;
		k->cap = cap;
	}
	if (!(k->v[k->n] = strdup(le->key)))
		goto fail;
	k->n++;
	return 0;
fail:
	k->failed = 1;
	return 1;
}

/* Every object under a layer prefix, recursively (note 3). */
static int list_all(struct lmfs *fs, int tree, const char *prefix, struct keys *k)
{
	struct s3_list_params lp = { prefix, NULL, NULL, NULL, 1000 };
	struct xml_list_result res = { 0 };
	struct s3_error err;
	char *token = NULL;

	do {
		lp.token = token;
		if (s3_list(lmfs_client(fs, tree), &lp, collect_key, k, &res, &err)) {
			free(token);
			free(res.next_token);
			return k->failed ? -ENOMEM : -lmfs_errno(&err);
		}
		free(token);
		token = res.truncated ? res.next_token : NULL;
		if (!res.truncated)
			free(res.next_token);
		res.next_token = NULL;
	} while (token);
	return 0;
}

/* in_way: the key of an empty directory renamed over, or NULL: its
 * marker's DELETE goes in the same transaction as the copies (done apart,
 * a kill between them lost the directory in the way though the rename
 * never returned). */
static int rename_dir(struct lmfs *fs, const struct index_entry *e, const char *newkey,
		      uint64_t newparent, const char *newname, const char *in_way)
{
	struct keys k = { 0 };
	struct journal_op *ops = NULL;
	char **dst = NULL, ino[48];
	size_t i, n = 0, plen = strlen(e->key);
	int rc = writer_wait_key(fs, e->tree, e->key, 1);

	if (rc)
		return rc;
	rc = list_all(fs, e->tree, e->key, &k);
	if (rc)
		goto out;
	rc = -ENOMEM;
	ops = calloc(2 * k.n + 2, sizeof(*ops));
	dst = calloc(k.n + 1, sizeof(*dst));
	if (!ops || !dst)
		goto out;
	/* the directory's inode number and the length of its old prefix:
	 * the replay moves its row (wreplay.c) */
	snprintf(ino, sizeof(ino), "%llu:%zu", (unsigned long long)e->ino, plen);
	if (in_way)
		ops[n++] = (struct journal_op){ .kind = JOURNAL_DELETE,
			.source = source_name(fs, e->tree), .key = (char *)in_way };
	for (i = 0; i < k.n; i++) {
		if (asprintf(&dst[i], "%s%s", newkey, k.v[i] + plen) < 0) {
			dst[i] = NULL;
			goto out;
		}
		ops[n++] = (struct journal_op){ .kind = JOURNAL_COPY,
			.source = source_name(fs, e->tree), .key = dst[i],
			.src_source = source_name(fs, e->tree), .src_key = k.v[i],
			.staged = ino };
		ops[n++] = (struct journal_op){ .kind = JOURNAL_DELETE,
			.source = source_name(fs, e->tree), .key = k.v[i] };
	}
	rc = 0;
	if (n && journal_add(writer_journal(fs), ops, n, NULL)) {
		log_error(LOG_FIELDS(LF_STR("source", lmfs_source_name(fs, e->tree)),
				     LF_STR("key", e->key), LF_STR("new_key", newkey),
				     LF_STR("error", journal_errmsg(writer_journal(fs)))),
			  "journal: %s", journal_errmsg(writer_journal(fs)));
		rc = -EIO;
	}
	if (!rc) {
		log_info(LOG_FIELDS(LF_STR("source", lmfs_source_name(fs, e->tree)),
				    LF_STR("key", e->key), LF_STR("new_key", newkey),
				    LF_INT("objects", k.n)),
			 "rename '%s' -> '%s': %zu objects to copy", e->key, newkey, k.n);
		/* The rows move before the copies land: the deletes of the
		 * old keys may land as soon as the copies do, and a kill
		 * before the move would leave rows on keys no longer in S3
		 * (t0610 found it); then wait until the copies are there to
		 * read. */
		writer_rekey_prefix(fs, e->tree, e->key, newkey);
		if (index_move(fs->ix, e->ino, newparent, newname, newkey))
			rc = index_err_nospace() ? -ENOSPC : -EIO;
		writer_kick(fs);
		if (!rc)
			rc = writer_wait_key(fs, e->tree, newkey, 1);
	}
out:
	for (i = 0; i < k.n; i++) {
		free(k.v[i]);
		if (dst)
			free(dst[i]);
	}
	free(k.v);
	free(dst);
	free(ops);
	return rc;
}

/* in_way: the row of a file renamed over, or NULL.  Its ops are dropped
 * and the rename's added in one transaction (journal_rename): the file in
 * the way is replaced whole by the copy, or is still there after a kill. */
static int rename_file(struct lmfs *fs, const struct index_entry *e, const char *newkey,
		       uint64_t newparent, const char *newname, const struct index_entry *in_way)
{
	struct journal *j = writer_journal(fs);
	char *src = source_name(fs, e->tree), ino[24];
	struct wfile *wf = writer_find(fs, e->ino), *old;
	int rc = 0, copied, dropped;

	/* Rekeyed (the PUT now writes newkey), the old key still gets a
	 * DELETE: it may hold an object all the same (an earlier upload, or
	 * a directory rename's copy, overwritten since).  t0610's model
	 * found the orphans.  Copied, the COPY names the file's inode
	 * number: the replay moves its row (wreplay.c). */
	snprintf(ino, sizeof(ino), "%llu", (unsigned long long)e->ino);
	copied = journal_rename(j, src, e->key, newkey, in_way != NULL, ino, &dropped);
	if (copied < 0) {
		rc = journal_failed(fs, src, e->key);
		goto out;
	}
	if (copied == 1 && wf)
		writer_put_moved(fs, wf);
	else if (wf)
		writer_renamed(fs, wf);
	copied = !copied;
	if (in_way && (old = writer_find(fs, in_way->ino))) {
		writer_unlinked(fs, old, dropped);
		writer_put(fs, old);
	}
	if (wf)
		rc = writer_rekey(fs, wf, e->tree, newkey);
	/* The row moves before the copy lands: its DELETE may land as soon
	 * as the copy does, and a kill before the move would leave the row
	 * on a key no longer in S3 (t0610 found it). */
	if (!rc && index_move(fs->ix, e->ino, newparent, newname, newkey))
		rc = index_err_nospace() ? -ENOSPC : -EIO;
	writer_kick(fs);
	/* A file read from S3 (no staged bytes) is read under its new key:
	 * wait for the copy to be there. */
	if (!rc && copied && !wf)
		rc = writer_wait_key(fs, e->tree, newkey, 0);
out:
	writer_put(fs, wf);
	return rc;
}

int wn_rename(struct lmfs *fs, uint64_t parent, const char *name, uint64_t newparent,
	      const char *newname, unsigned flags)
{
	struct index_entry e = { 0 }, pe = { 0 }, in_way = { 0 };
	char *newkey = NULL;
	int rc, exists;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;
	rc = find_child(fs, parent, name, &e);
	if (rc)
		goto out;
	rc = child_key(fs, newparent, newname, e.kind == INDEX_DIR, &pe, &newkey);
	if (rc)
		goto out;
	rc = -EXDEV;
	if (fs->cfg->tree[pe.tree].source != fs->cfg->tree[e.tree].source)
		goto out;
	exists = dir_lookup(fs, newparent, newname, &in_way) == 0;
	rc = 0;
	if (exists && in_way.ino == e.ino)
		goto out;
	if (exists && (flags & RENAME_NOREPLACE))
		rc = -EEXIST;
	else if (exists && e.kind == INDEX_DIR && in_way.kind != INDEX_DIR)
		rc = -ENOTDIR;
	else if (exists && e.kind != INDEX_DIR && in_way.kind == INDEX_DIR)
		rc = -EISDIR;
	else if (exists && in_way.kind == INDEX_DIR)
		rc = rmdir_ok(fs, &in_way);
	if (rc)
		goto out;
	/* what is in the way goes with the rename, in its transaction */
	if (e.kind == INDEX_DIR)
		rc = rename_dir(fs, &e, newkey, newparent, newname, exists ? in_way.key : NULL);
	else
		rc = rename_file(fs, &e, newkey, newparent, newname, exists ? &in_way : NULL);
out:
	free(newkey);
	index_entry_release(&e);
	index_entry_release(&pe);
	index_entry_release(&in_way);
	return rc;
}

/* ---- attributes ---- */

int wn_setattr(struct lmfs *fs, uint64_t ino, struct wfile *wf, const struct wn_attr *a,
	       struct index_entry *e)
{
	struct journal_op op = { 0 };
	struct wfile *own = NULL;
	struct index_attr ia;
	int rc;

	if (index_get(fs->ix, ino, e))
		return -ENOENT;
	rc = wn_writable(fs, e->tree);
	if (rc)
		return rc;
	if (a->size >= 0 && e->kind == INDEX_DIR)
		return -EISDIR;
	if (!wf)
		wf = own = writer_find(fs, ino);
	if (a->size >= 0) {
		if (!wf) {
			rc = writer_open(fs, e, a->size == 0, &own);
			if (rc)
				return rc;
			wf = own;
			rc = writer_truncate(fs, wf, (uint64_t)a->size);
			(void)writer_set_meta(fs, wf, a->mode, a->uid, a->gid, a->mtime);
			rc = writer_close(fs, wf) ? -EIO : rc;
			return rc;
		}
		rc = writer_truncate(fs, wf, (uint64_t)a->size);
		if (rc)
			goto out;
	}
	if (wf && !writer_set_meta(fs, wf, a->mode, a->uid, a->gid, a->mtime)) {
		/* nobody's close will carry the change: queue it now */
		if (own)
			rc = writer_flush(fs, wf);
		goto out;
	}
	/* A clean object, or a directory: the attributes go in the row, and
	 * for a file onto the object by a copy onto itself. */
	ia = (struct index_attr){ e->size, e->etag, a->mtime >= 0 ? a->mtime : e->mtime,
				  a->mode ? a->mode : e->mode,
				  a->uid >= 0 ? a->uid : e->uid, a->gid >= 0 ? a->gid : e->gid };
	if (index_set_attr(fs->ix, ino, &ia)) {
		rc = -EIO;
		goto out;
	}
	if (e->kind == INDEX_FILE && e->etag[0]) {
		op.kind = JOURNAL_META;
		op.source = source_name(fs, e->tree);
		op.key = e->key;
		op.mode = ia.mode;
		op.uid = ia.uid >= 0 ? (uint32_t)ia.uid : 0;
		op.gid = ia.gid >= 0 ? (uint32_t)ia.gid : 0;
		op.mtime = ia.mtime;
		op.size = e->size;
		index_content_of(fs->ix, e->tree, e->key, e->etag, op.sha256);
		rc = journal_one(fs, &op);
	}
out:
	if (own)
		writer_put(fs, own);
	if (!rc) {
		index_entry_release(e);
		if (index_get(fs->ix, ino, e))
			rc = -ENOENT;
	}
	return rc;
}

/* ---- copies (note 4) ---- */

static int same_endpoint(struct lmfs *fs, int a, int b)
{
	return lmfs_same_endpoint(fs, fs->cfg->tree[a].source, fs->cfg->tree[b].source);
}

/* Copy bytes here: from in's staging file or through the reader. */
static ssize_t copy_streamed(struct lmfs *fs, const struct index_entry *in, struct wfile *win,
			     off_t off_in, struct wfile *out, off_t off_out, size_t len)
{
	struct reader_span sp[READER_MAX_SPANS];
	struct fhandle *fh = NULL;
	size_t done = 0;
	char *buf = NULL;
	int rc = 0;

	if (!win && (rc = reader_open(fs->reader, in, &fh)))
		return rc;
	if (win && !(buf = malloc(1 << 20))) {
		rc = -ENOMEM;
		goto out;
	}
	while (done < len) {
		size_t want = len - done > (1 << 20) ? (1 << 20) : len - done;
		ssize_t n, w = 0;
		int nsp, i;

		if (win) {
			n = writer_pread(fs, win, buf, want, off_in + (off_t)done);
			if (n > 0)
				w = writer_pwrite(fs, out, buf, (size_t)n, off_out + (off_t)done);
		} else {
			n = reader_spans(fs->reader, fh, want, off_in + (off_t)done, sp, &nsp);
			for (i = 0; n > 0 && i < nsp && w >= 0; i++) {
				ssize_t k = writer_pwrite(fs, out, sp[i].data, sp[i].len,
							 off_out + (off_t)done + w);

				w = k < 0 ? k : w + k;
			}
			if (n > 0)
				reader_spans_release(fs->reader, sp, nsp);
		}
		if (n < 0 || w < 0) {
			rc = n < 0 ? (int)n : (int)w;
			break;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
out:
	if (fh)
		reader_release(fs->reader, fh);
	free(buf);
	return done ? (ssize_t)done : rc;
}

/* The row of a copy journalled gets its size now: a rename or a restart
 * before the copy lands finds it there, not the 0 of the file cp created.
 * Not before the journal has the COPY (note 5): a kill in between left a
 * row that size over no object and no staged bytes, which no read could
 * find (ENOENT, t0610).  Returns size. */
static ssize_t copy_sized(struct lmfs *fs, uint64_t ino, uint64_t size)
{
	struct index_entry e;

	if (index_get(fs->ix, ino, &e) == 0) {
		struct index_attr a = { size, e.etag, e.mtime, e.mode, e.uid, e.gid };

		index_set_attr(fs->ix, e.ino, &a);
		index_entry_release(&e);
	}
	return (ssize_t)size;
}

ssize_t wn_copy(struct lmfs *fs, uint64_t ino_in, off_t off_in, struct wfile *out,
		off_t off_out, size_t len)
{
	struct index_entry in = { 0 };
	struct journal_op op = { 0 };
	struct wfile *win = NULL;
	uint64_t out_size, out_ino;
	char *out_key = NULL, staged[24];
	int out_tree;
	ssize_t rc;

	if (index_get(fs->ix, ino_in, &in))
		return -ENOENT;
	rc = -EISDIR;
	if (in.kind != INDEX_FILE)
		goto out;
	rc = writer_target(fs, out, &out_tree, &out_key, &out_size, &out_ino);
	if (rc)
		goto out;
	win = writer_find(fs, ino_in);
	rc = 0;
	if (!win && (uint64_t)off_in >= in.size)
		goto out;
	if (!win && off_in == 0 && off_out == 0 && len >= in.size && out_size == 0 &&
	    in.size && in.etag[0] && same_endpoint(fs, in.tree, out_tree)) {
		op.kind = JOURNAL_COPY;
		op.source = source_name(fs, out_tree);
		op.key = out_key;
		op.src_source = source_name(fs, in.tree);
		op.src_key = in.key;
		op.src_etag = in.etag;
		op.size = in.size;
		/* the file it lands in, wherever a rename takes it (upload.c) */
		snprintf(staged, sizeof(staged), "%llu", (unsigned long long)out_ino);
		op.staged = staged;
		index_content_of(fs->ix, in.tree, in.key, in.etag, op.sha256);
		rc = writer_copy_pending(fs, out, &in);
		if (!rc)
			rc = journal_one(fs, &op);
		if (!rc)
			rc = copy_sized(fs, out_ino, in.size);
		goto out;
	}
	rc = copy_streamed(fs, &in, win, off_in, out, off_out, len);
out:
	writer_put(fs, win);
	free(out_key);
	index_entry_release(&in);
	return rc;
}
