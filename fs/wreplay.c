/*
 * wreplay: at mount, bring the index in line with the journal an earlier
 * run left.
 *
 * Why: a rename or an unlink journals its ops first (the journal is what
 * must survive), then changes the index, a second database: a kill -9
 * between the two (a file rename waits there for its copy to land) left
 * the index with the old name while the journal went on to copy and
 * delete, so after the remount the file had neither name until its
 * directory was listed again (t0610-crash-model.sh found it).
 *
 * What: the ops are walked in id order, and each one's effect on names is
 * applied to the index where it is missing:
 *  - a rename names the inode it moves (journal.h, staged: the COPY, or
 *    the DELETE after a PUT rekeyed to the new name): the last move of
 *    each inode is redone if its row is still under the old key (a
 *    directory's row moves with every row under it, index note L2), and
 *    replaces a row in the way (a rename over a file).  Only the last:
 *    a kill cuts short one rename of a file, and an earlier one redone
 *    would put the row back on a name taken since.
 *  - in older journals (no inode number), a rename's COPY (src_etag "",
 *    same source): the row of src_key moves to key, unless key already
 *    has a row.  When key's parent directory has no row, the directory of
 *    src_key is moved instead.
 *  - a DELETE that no later op undoes (a PUT or COPY onto the key, or, for
 *    a "dir/" marker, onto a key under it): the row of key goes.
 * Both are no-ops when the index already had the change, so running this
 * at every mount is safe.  Then copies not landed yet read from their
 * source (a cp's from the object copied, a rename's from the old key), as
 * they did before the restart.
 *
 * writer_replay_staged: a staging file that no PUT names is a file written
 * and not closed when the daemon died.  A new file (no object in S3: its
 * row has no ETag) gets a PUT: write(2) had returned, its bytes are the
 * user's, and its row shows it.  A file that has an object in S3 keeps
 * that object: the staging file may be left over from a version that
 * landed, and uploading it could put old bytes over newer ones; it is
 * removed (as is one whose row is gone) and its row goes back to listings.
 */
#include "writer_int.h"
#include "log.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct rop {
	int kind;
	char *source, *key, *src_source, *src_key, *src_etag;
	uint64_t size;
	int rename;
	/* staged (journal.h): a PUT's file; a rename's file or directory,
	 * dirlen its old prefix's length (0: a file); a cp's file */
	uint64_t ino;
	size_t dirlen;
	int apply;		/* the move of ino that the index may lack */
};

struct rops {
	struct rop *v;
	size_t n, cap;
	int oom;
};

static int collect(void *arg, const struct journal_op *op)
{
	struct rops *r = arg;
	struct rop *o;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct rop *v = realloc(r->v, cap * sizeof(*v));

		if (!v) {
			r->oom = 1;
			return 1;
		}
		r->v = v;
		r->cap = cap;
	}
	o = &r->v[r->n];
	o->kind = op->kind;
	o->source = strdup(op->source);
	o->key = strdup(op->key);
	o->src_source = strdup(op->src_source ? op->src_source : "");
	o->src_key = strdup(op->src_key ? op->src_key : "");
	o->src_etag = strdup(op->src_etag ? op->src_etag : "");
	o->size = op->size;
	o->rename = op->kind == JOURNAL_COPY && (!op->src_etag || !*op->src_etag) &&
		    op->src_source && !strcmp(op->src_source, op->source);
	o->ino = 0;
	o->dirlen = 0;
	o->apply = 0;
	if (op->staged && *op->staged >= '1' && *op->staged <= '9') {
		char *end;

		o->ino = strtoull(op->staged, &end, 10);
		if (*end == ':')
			o->dirlen = (size_t)strtoull(end + 1, NULL, 10);
	}
	if (!o->source || !o->key || !o->src_source || !o->src_key || !o->src_etag) {
		free(o->src_etag);
		free(o->source);
		free(o->key);
		free(o->src_source);
		free(o->src_key);
		r->oom = 1;
		return 1;
	}
	r->n++;
	return 0;
}

/* The row of dirname(key) ("a/b/" for "a/b/c" and for "a/b/c/"). */
static int parent_row(struct lmfs *fs, int tree, const char *key, struct index_entry *pe)
{
	size_t len = strlen(key);
	char *d;
	int rc;

	if (len && key[len - 1] == '/')
		len--;
	while (len && key[len - 1] != '/')
		len--;
	d = strndup(key, len);
	if (!d)
		return -1;
	rc = index_find_key(fs->ix, tree, d, pe);
	free(d);
	if (rc == 0 && pe->kind != INDEX_DIR) {
		index_entry_release(pe);
		rc = 1;
	}
	return rc;
}

static const char *base_of(const char *key, char *buf, size_t len)
{
	size_t n = strlen(key);
	const char *s;

	if (n && key[n - 1] == '/')
		n--;
	s = key + n;
	while (s > key && s[-1] != '/')
		s--;
	snprintf(buf, len, "%.*s", (int)(key + n - s), s);
	return buf;
}

/* ---- moves named by inode number (journals since journal_rename) ---- */

/* Is op o a rename that names its inode: a COPY, or the DELETE after a
 * PUT rekeyed to the new name? */
static int names_ino(const struct rop *o)
{
	return o->ino && ((o->rename && o->kind == JOURNAL_COPY) || o->kind == JOURNAL_DELETE);
}

/* The keys op i moves its row from and to (malloc'd): a file's COPY
 * src_key -> key; a directory's COPY the prefixes, its old one dirlen
 * bytes of src_key; the DELETE after a rekeyed PUT key -> that PUT's key
 * (the newest PUT of the inode before it).  0, or -1 (none, or out of
 * memory). */
static int moves(const struct rops *r, size_t i, char **from, char **to)
{
	const struct rop *o = &r->v[i];
	size_t slen = strlen(o->src_key), klen = strlen(o->key), k;

	*from = *to = NULL;
	if (o->kind == JOURNAL_DELETE) {
		for (k = i; k-- > 0;)
			if (r->v[k].kind == JOURNAL_PUT && r->v[k].ino == o->ino &&
			    !strcmp(r->v[k].source, o->source))
				break;
		if (k == (size_t)-1)
			return -1;
		*from = strdup(o->key);
		*to = strdup(r->v[k].key);
	} else if (!o->dirlen) {
		*from = strdup(o->src_key);
		*to = strdup(o->key);
	} else {
		/* src_key = old + suffix, key = new + suffix */
		if (o->dirlen > slen || klen < slen - o->dirlen ||
		    strcmp(o->key + klen - (slen - o->dirlen), o->src_key + o->dirlen))
			return -1;
		*from = strndup(o->src_key, o->dirlen);
		*to = strndup(o->key, klen - (slen - o->dirlen));
	}
	if (*from && *to)
		return 0;
	free(*from);
	free(*to);
	*from = *to = NULL;
	return -1;
}

static int by_ino(const void *a, const void *b, void *arg)
{
	const struct rop *v = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (v[x].ino != v[y].ino)
		return v[x].ino < v[y].ino ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Mark, for each inode, the first op of its last move (a directory's is
 * many COPYs): the index may lack that move only, as a kill can cut short
 * one rename of a file, the one under way, and an earlier move redone
 * again would put the row on a name taken since.  The first: the DELETEs
 * of the directory's first objects come before its last COPY, and would
 * remove rows still under the old prefix. */
static void mark_moves(struct rops *r)
{
	size_t *ord = malloc((r->n ? r->n : 1) * sizeof(*ord)), n = 0, i, g, k;
	char *lf, *lt, *f, *t;

	if (!ord)
		return;
	for (i = 0; i < r->n; i++)
		if (names_ino(&r->v[i]))
			ord[n++] = i;
	qsort_r(ord, n, sizeof(*ord), by_ino, r->v);
	for (g = 0; g < n; g = i) {
		for (i = g; i < n && r->v[ord[i]].ino == r->v[ord[g]].ino; i++)
			;
		/* ord[g .. i) is one inode's, in id order: its last move */
		if (moves(r, ord[i - 1], &lf, &lt))
			continue;
		for (k = i - 1; k > g; k--) {
			int same;

			if (moves(r, ord[k - 1], &f, &t))
				break;
			same = !strcmp(f, lf) && !strcmp(t, lt);
			free(f);
			free(t);
			if (!same)
				break;
		}
		r->v[ord[k]].apply = 1;
		free(lf);
		free(lt);
	}
	free(ord);
}

/* Op i is the first of its inode's last move: if the row is still under
 * the old key, it moves (index_move replaces a row in the way: a rename
 * over a file). */
static void redo_move(struct writer *w, const struct rops *r, size_t i)
{
	struct lmfs *fs = w->fs;
	const struct rop *o = &r->v[i];
	struct index_entry e = { 0 }, pe = { 0 };
	struct wfile *wf;
	char *from, *to, name[1024];
	int tree = upload_tree_of(fs, o->source, o->key);

	if (moves(r, i, &from, &to))
		return;
	if (tree < 0 || index_get(fs->ix, o->ino, &e) || e.tree != tree || strcmp(e.key, from) ||
	    parent_row(fs, tree, to, &pe) ||
	    index_move(fs->ix, e.ino, pe.ino, base_of(to, name, sizeof(name)), to))
		goto out;
	if (e.kind == INDEX_DIR) {
		writer_rekey_prefix(fs, tree, from, to);
	} else {
		/* a wfile adopted for a PUT: later PUTs go to the new key */
		pthread_mutex_lock(&w->lock);
		wf = wfile_lookup(w, e.ino);
		pthread_mutex_unlock(&w->lock);
		if (wf)
			writer_rekey(fs, wf, tree, to);
	}
	log_info(LOG_FIELDS(LF_STR("key", from), LF_STR("new_key", to)),
		 "journal: the rename of '%s' to '%s' was cut short; done", from, to);
out:
	free(from);
	free(to);
	index_entry_release(&e);
	index_entry_release(&pe);
}

/* ---- moves of older journals (no inode number): guessed from the keys ---- */

static void redo_rename(struct writer *w, const struct rop *o)
{
	struct lmfs *fs = w->fs;
	struct wfile *wf;
	int tree = upload_tree_of(fs, o->source, o->key);
	int stree = upload_tree_of(fs, o->src_source, o->src_key);
	struct index_entry e = { 0 }, src = { 0 }, pe = { 0 }, dir = { 0 };
	char name[1024];

	if (tree < 0 || stree != tree || index_find_key(fs->ix, tree, o->key, &e) != 1 ||
	    index_find_key(fs->ix, tree, o->src_key, &src) != 0)
		goto out;
	if (parent_row(fs, tree, o->key, &pe) == 0) {
		if (index_move(fs->ix, src.ino, pe.ino, base_of(o->key, name, sizeof(name)),
			       o->key) != 0)
			goto out;
		/* a wfile adopted for a PUT under the old key: later PUTs
		 * go to the new one */
		pthread_mutex_lock(&w->lock);
		wf = wfile_lookup(w, src.ino);
		pthread_mutex_unlock(&w->lock);
		if (wf)
			writer_rekey(fs, wf, tree, o->key);
		log_info(LOG_FIELDS(LF_STR("key", o->src_key), LF_STR("new_key", o->key)),
			 "journal: the rename of '%s' to '%s' was cut short; done",
			 o->src_key, o->key);
		goto out;
	}
	/* a directory rename: move the directory that holds src_key */
	index_entry_release(&pe);
	if (parent_row(fs, tree, o->src_key, &dir) != 0)
		goto out;
	{
		size_t klen = strlen(o->key), dlen = strlen(dir.key), base = strlen(o->src_key) - dlen;
		char *newdir;

		if (klen < base || strcmp(o->key + klen - base, o->src_key + dlen))
			goto out;
		newdir = strndup(o->key, klen - base);
		if (!newdir)
			goto out;
		if (index_find_key(fs->ix, tree, newdir, &e) == 1 &&
		    parent_row(fs, tree, newdir, &pe) == 0 &&
		    index_move(fs->ix, dir.ino, pe.ino, base_of(newdir, name, sizeof(name)),
			       newdir) == 0) {
			writer_rekey_prefix(fs, tree, dir.key, newdir);
			log_info(LOG_FIELDS(LF_STR("key", dir.key), LF_STR("new_key", newdir)),
				 "journal: the rename of '%s' to '%s' was cut short; done",
				 dir.key, newdir);
		}
		free(newdir);
	}
out:
	index_entry_release(&e);
	index_entry_release(&src);
	index_entry_release(&pe);
	index_entry_release(&dir);
}

/* Does an op after i write key (or, for a marker, a key under it)?  Or,
 * for a marker, copy from under it: a directory rename whose marker went
 * first; its row must stay for redo_rename to move (removed, the old and
 * the new directory were both gone: t0610). */
static int undone_later(const struct rops *r, size_t i)
{
	const struct rop *d = &r->v[i];
	size_t len = strlen(d->key), k;
	int marker = len && d->key[len - 1] == '/';

	for (k = i + 1; k < r->n; k++) {
		const struct rop *o = &r->v[k];

		if (o->kind == JOURNAL_DELETE || strcmp(o->source, d->source))
			continue;
		if (!strcmp(o->key, d->key) || (marker && !strncmp(o->key, d->key, len)) ||
		    (marker && o->rename && !strncmp(o->src_key, d->key, len)))
			return 1;
	}
	return 0;
}

static void redo_delete(struct writer *w, const struct rops *r, size_t i)
{
	struct lmfs *fs = w->fs;
	const struct rop *o = &r->v[i];
	int tree = upload_tree_of(fs, o->source, o->key);
	struct index_entry e = { 0 };
	char path[4096];
	struct stat st;

	if (tree < 0 || undone_later(r, i) || index_find_key(fs->ix, tree, o->key, &e) != 0)
		goto out;
	/* a file made again under that name, written and not closed yet */
	if (e.kind == INDEX_FILE && !wfile_staging_path(w, e.ino, path, sizeof(path)) &&
	    stat(path, &st) == 0)
		goto out;
	if (e.parent && index_remove(fs->ix, e.parent, e.name) == 0)
		log_info(LOG_FIELDS(LF_STR("key", o->key)),
			 "journal: the removal of '%s' was cut short; done", o->key);
out:
	index_entry_release(&e);
}

/* The key op i's object ends up under, following later renames of it
 * (*key), and whether a later op writes that key again (a rename or cp
 * over it, a PUT, a DELETE): then the row there is that op's file, not op
 * i's, and must not read op i's source.  t0610 found a rename over a cp's
 * copy reading as the cp's source after the remount. */
static int superseded(const struct rops *r, size_t i, const char **key)
{
	const struct rop *o = &r->v[i];
	size_t k;

	*key = o->key;
	for (k = i + 1; k < r->n; k++) {
		if (strcmp(r->v[k].source, o->source))
			continue;
		if (r->v[k].rename && !strcmp(r->v[k].src_key, *key))
			*key = r->v[k].key;
		else if (!strcmp(r->v[k].key, *key))
			return 1;
	}
	return 0;
}

/* A rename's COPY that has not landed: the row already has the new key,
 * whose object is not there yet, so reads go to the old key (as a cp's
 * copy does) until it lands.  A file with a wfile reads its staged bytes. */
static void read_from_old(struct writer *w, const struct rops *r, size_t i)
{
	struct lmfs *fs = w->fs;
	const struct rop *o = &r->v[i];
	int tree = upload_tree_of(fs, o->source, o->key);
	struct index_entry e = { 0 }, src = { 0 };
	struct wfile *wf;
	const char *key;

	if (tree < 0 || superseded(r, i, &key) || index_find_key(fs->ix, tree, o->key, &e) != 0 ||
	    e.kind != INDEX_FILE || !e.etag[0])
		goto out;
	pthread_mutex_lock(&w->lock);
	wf = wfile_lookup(w, e.ino);
	if (wf && o->ino == e.ino)
		wf->renames++;	/* its staged bytes until the COPY lands */
	pthread_mutex_unlock(&w->lock);
	if (wf || index_entry_copy(&src, &e))
		goto out;
	free(src.key);
	src.key = strdup(o->src_key);
	if (src.key)
		wfile_adopt_copy(w, e.ino, tree, o->key, &src, e.etag, e.size);
out:
	index_entry_release(&e);
	index_entry_release(&src);
}

/* A cp's COPY (pinned to src_etag) that has not landed: the copy reads as
 * its source until it lands, as it did before the restart, not as the
 * empty file cp made.  Its file may have been renamed since: the row is
 * under the key the later renames give it. */
static void read_from_source(struct writer *w, const struct rops *r, size_t i)
{
	struct lmfs *fs = w->fs;
	const struct rop *o = &r->v[i];
	int tree = upload_tree_of(fs, o->source, o->key);
	int stree = upload_tree_of(fs, o->src_source, o->src_key);
	struct index_entry e = { 0 }, src = { 0 };
	struct index_attr a;
	const char *key;

	if (tree < 0 || superseded(r, i, &key) || index_find_key(fs->ix, tree, key, &e) != 0 ||
	    e.kind != INDEX_FILE)
		goto out;
	if (stree >= 0 && index_find_key(fs->ix, stree, o->src_key, &src) == 0) {
		wfile_adopt_copy(w, e.ino, tree, key, &src, o->src_etag, o->size);
	} else if (stree >= 0 && index_entry_copy(&src, &e) == 0) {
		/* the source was unlinked since: its DELETE waits for this
		 * COPY, so S3 still has it (read under the copy's key, not
		 * there yet, the copy failed with ENOENT: t0610) */
		free(src.key);
		src.key = strdup(o->src_key);
		src.tree = stree;
		if (src.key)
			wfile_adopt_copy(w, e.ino, tree, key, &src, o->src_etag, o->size);
	} else if (e.size != o->size) {
		/* the source is gone from the index: the size at least */
		a = (struct index_attr){ o->size, "", e.mtime, e.mode, e.uid, e.gid };
		index_set_attr(fs->ix, e.ino, &a);
	}
out:
	index_entry_release(&e);
	index_entry_release(&src);
}

void writer_replay_index(struct writer *w)
{
	struct rops r = { 0 };
	size_t i;

	if (journal_each(w->j, collect, &r) || r.oom) {
		log_warn(LOG_FIELDS(LF_STR("error", journal_errmsg(w->j))),
			 "journal: cannot read it back to check the index");
		r.oom = 1;
	} else {
		mark_moves(&r);
	}
	for (i = 0; !r.oom && i < r.n; i++) {
		if (r.v[i].apply)
			redo_move(w, &r, i);
		else if (r.v[i].rename && !r.v[i].ino)
			redo_rename(w, &r.v[i]);
		if (r.v[i].kind == JOURNAL_DELETE)
			redo_delete(w, &r, i);
	}
	for (i = 0; !r.oom && i < r.n; i++)
		if (r.v[i].kind == JOURNAL_COPY && r.v[i].src_etag[0])
			read_from_source(w, &r, i);
	for (i = 0; !r.oom && i < r.n; i++)
		if (r.v[i].rename)
			read_from_old(w, &r, i);
	for (i = 0; i < r.n; i++) {
		free(r.v[i].source);
		free(r.v[i].key);
		free(r.v[i].src_source);
		free(r.v[i].src_key);
		free(r.v[i].src_etag);
	}
	free(r.v);
}

static void stage_one(struct writer *w, uint64_t ino, const char *path)
{
	struct lmfs *fs = w->fs;
	struct journal_op op = { 0 };
	struct index_entry e = { 0 };
	const struct config_tree *t;
	char staged[24];
	struct stat st;

	if (index_get(fs->ix, ino, &e) != 0 || e.kind != INDEX_FILE ||
	    !(t = lmfs_tree(fs, e.tree)) || t->readonly) {
		if (unlink(path) == 0)
			log_info(LOG_FIELDS(LF_STR("path", path)),
				 "staging: '%s' belongs to no file; removed", path);
		goto out;
	}
	if (e.etag[0]) {
		/* The row has an object in S3: this file is either left over
		 * from a version that landed, or an overwrite whose close never
		 * returned.  Uploading it could put old bytes over newer ones;
		 * the object S3 has is what was acknowledged.  Nothing will
		 * land on the row any more: listings may have it back (an
		 * upload that landed while the file was open, the kill before
		 * its close, left it pinned for good: t0610). */
		if (unlink(path) == 0)
			log_info(LOG_FIELDS(LF_STR("key", e.key)),
				 "staging: '%s' had changes not closed when lakemount stopped; "
				 "the object in S3 stays", e.key);
		if (!journal_waiting(w->j, fs->cfg->sources[t->source].name, e.key))
			index_unpin(fs->ix, ino);
		goto out;
	}
	if (stat(path, &st))
		goto out;
	snprintf(staged, sizeof(staged), "%llu", (unsigned long long)ino);
	op.kind = JOURNAL_PUT;
	op.source = fs->cfg->sources[t->source].name;
	op.key = e.key;
	op.staged = staged;
	op.size = (uint64_t)st.st_size;
	op.mode = e.mode;
	op.uid = e.uid >= 0 ? (uint32_t)e.uid : 0;
	op.gid = e.gid >= 0 ? (uint32_t)e.gid : 0;
	op.mtime = (int64_t)st.st_mtime;
	if (journal_add(w->j, &op, 1, NULL)) {
		log_error(LOG_FIELDS(LF_STR("key", e.key), LF_STR("error", journal_errmsg(w->j))),
			  "journal: %s", journal_errmsg(w->j));
		goto out;
	}
	wfile_adopt(w, ino, e.tree, e.key);
	if (e.size != (uint64_t)st.st_size) {
		struct index_attr a = { (uint64_t)st.st_size, "", (int64_t)st.st_mtime, e.mode,
					e.uid, e.gid };

		index_set_attr(fs->ix, ino, &a);
	}
	log_info(LOG_FIELDS(LF_STR("key", e.key), LF_INT("size", st.st_size)),
		 "staging: '%s' was written and not closed when lakemount stopped; "
		 "uploading its %lld bytes", e.key, (long long)st.st_size);
out:
	index_entry_release(&e);
}

void writer_replay_staged(struct writer *w)
{
	DIR *d = opendir(w->staging);
	struct dirent *de;
	char path[4096];

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		unsigned long long ino = strtoull(de->d_name, &end, 10);
		struct wfile *wf;

		if (de->d_name[0] < '0' || de->d_name[0] > '9' ||
		    wfile_staging_path(w, ino, path, sizeof(path)))
			continue;
		if (!strcmp(end, ".dl")) {	/* a download cut short */
			snprintf(path + strlen(path), sizeof(path) - strlen(path), ".dl");
			unlink(path);
			continue;
		}
		if (*end)
			continue;
		pthread_mutex_lock(&w->lock);
		wf = wfile_lookup(w, ino);
		pthread_mutex_unlock(&w->lock);
		if (!wf)
			stage_one(w, ino, path);
	}
	closedir(d);
}
