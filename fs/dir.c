/*
 * Directories: lookups and listings.
 *
 * Design notes
 *  1. A directory under a tree entry is an S3 prefix.  It is listed with
 *     ListObjectsV2, delimiter "/", one level at a time: nothing ever lists
 *     an archive recursively (the real Binance archive has ~10^8 keys).
 *  2. The first open of a directory never listed starts a listing of its
 *     own (fs/listing.c: fetcher threads ask for pages ahead, in several
 *     streams at once where the first page lets them guess where later
 *     ones begin); readdir writes each page to the index in one
 *     transaction and hands it out at once.  So `ls` of 6,000 keys shows
 *     the first thousand after the first page, and the next pages are on
 *     the wire while the kernel takes this one.  closedir stops the
 *     fetchers after their current page; a listing that did not reach its
 *     end stays incomplete in the index.
 *  3. A complete listing is served from the index while the tree's TTL
 *     holds.  After that, an open still answers from the index at once and
 *     a background thread lists the directory again (one per directory at a
 *     time: fs->listing); if that fails (offline) the old listing stays.
 *  4. Lookups: a name in the index is answered from it.  A name absent from
 *     a complete, fresh listing is ENOENT without a request.  Otherwise it
 *     costs two small requests sent at once, so one round trip: HEAD key
 *     and a listing of "name/" with max-keys 1 (a key wins over a prefix
 *     of the same name); fs/lookup.c has them.
 *  5. Names S3 can hold but POSIX cannot ("", ".", "..", with a '/'
 *     inside, from keys such as "a//b", or over NAME_MAX bytes) are left
 *     out of listings.  A lookup of a name over NAME_MAX, or of one whose
 *     key would pass S3's 1,024 bytes, is ENAMETOOLONG without a request,
 *     and one that is not UTF-8 EILSEQ: S3 holds no such key
 *     (wn_name_check, which also keeps them from being made).
 *  6. A key "a" and keys under "a/" give two children named "a"; the file
 *     wins (page_dedup), so that readdir, the index and lookups agree.
 *     S3 lists the file "a" before the prefix "a/", but not always next to
 *     it: "a.csv" and "a-1" sort between them ('.' and '-' come before
 *     '/'), so any number of pages may part them.  A listing therefore
 *     keeps the names of all the files it took (a hash set:
 *     fileset_has, fileset_add) and drops a prefix named after one of
 *     them.
 *  7. Keys (and prefixes) S3 has only until a DELETE in the journal lands
 *     are left out of listings and lookups (wgone.c).
 *  8. A listing served from the index is read from it DIR_LOAD rows at a
 *     time, as readdir gets to them, not whole at opendir: the kernel then
 *     takes the first entries (making their inodes) while the next rows
 *     are read (ops_dir.c builds a slice ahead), which is most of what `ls -l`
 *     of 6,000 names after a remount waits for.  Rows are read by name,
 *     after the last one read, so a row added or removed meanwhile moves
 *     no other.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "htab.h"
#include "listing.h"
#include "lmfs.h"
#include "log.h"
#include "lookup.h"
#include "wnames.h"

#define DIR_LOAD 512

/* Lock order: dir_handle.lock -> the listing's lock -> fs->list_lock ->
 * cache/ locks. */
struct dir_handle {
	pthread_mutex_t lock;		/* guards everything below */
	struct lmfs *fs;
	uint64_t ino;
	struct index_entry self;
	struct index_entry **ents;	/* each entry allocated on its own, so a
					   reader's pointer survives growth */
	size_t n, cap;
	int loading;			/* rows of the index still to read (note 8) */
	int listing;			/* pages still to fetch or to store */
	struct listing *l;		/* fetching them, or NULL */
	struct htab files;		/* note 6: the files listed so far */
	uint64_t gen;
	int64_t started;
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static int dir_fresh(struct lmfs *fs, const struct index_entry *d,
		     const struct index_dirstate *st)
{
	const struct config_tree *t = lmfs_tree(fs, d->tree);

	if (!st->complete)
		return 0;
	return !t || now_s() - st->listed_at < (int64_t)t->ttl;
}

/* ---- the files a listing took (note 6) ---- */

struct fname {
	struct hlink h;			/* first: htab_free_all frees the node */
	char name[];
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ull;
	}
	return h;
}

static int fileset_has(const struct htab *t, const char *name)
{
	uint64_t h = name_hash(name);
	struct hlink *l;

	for (l = htab_first(t, h); l; l = l->next)
		if (l->hash == h && !strcmp(((const struct fname *)l)->name, name))
			return 1;
	return 0;
}

/* Add name, not in t yet: 0, or -1 out of memory. */
static int fileset_add(struct htab *t, const char *name)
{
	size_t n = strlen(name) + 1;
	struct fname *f = malloc(sizeof(*f) + n);

	if (!f)
		return -1;
	f->h.hash = name_hash(name);
	memcpy(f->name, name, n);
	htab_insert(t, &f->h);
	return 0;
}

static int by_name(const void *a, const void *b, void *arg)
{
	const struct index_child *c = arg;

	return strcmp(c[*(const size_t *)a].name, c[*(const size_t *)b].name);
}

static int marked(const struct page *p, size_t i, void *drop)
{
	(void)p;
	return ((const char *)drop)[i];
}

/* Note 6: drop each directory that has the name of a file of this page or
 * of an earlier one (files), and add this page's files to files; note 7:
 * drop what the journal deletes.  0, or -1 out of memory. */
static int page_dedup(struct lmfs *fs, const struct index_entry *dir, struct page *p,
		      struct htab *files)
{
	size_t i, j, k, *ord = malloc((p->n + 1) * (sizeof(*ord) + 1));
	char *drop = (char *)(ord + p->n + 1);
	int file, rc = -1;

	if (!ord)
		return -1;
	for (i = 0; i < p->n; i++)
		ord[i] = i;
	qsort_r(ord, p->n, sizeof(*ord), by_name, p->c);
	for (i = 0; i < p->n; i = j) {
		int known = fileset_has(files, p->c[ord[i]].name);

		file = known;
		for (j = i; j < p->n && !strcmp(p->c[ord[j]].name, p->c[ord[i]].name); j++)
			file |= p->c[ord[j]].kind == INDEX_FILE;
		for (k = i; k < j; k++)
			drop[ord[k]] = file && p->c[ord[k]].kind == INDEX_DIR;
		if (file && !known && fileset_add(files, p->c[ord[i]].name))
			goto out;
	}
	wn_hide_gone(fs, dir->tree, dir->key, p->c, p->n, drop);
	page_drop(p, marked, drop);
	rc = 0;
out:
	free(ord);
	return rc;
}

/* Write p into the index; fn sees each child's row.  Returns 0 or a
 * negative errno. */
static int store_page(struct lmfs *fs, const struct index_entry *dir, uint64_t gen,
		      const struct page *p, index_dir_fn fn, void *arg)
{
	uint64_t *inos = fn ? calloc(p->n ? p->n : 1, sizeof(*inos)) : NULL;
	struct index_entry e;
	size_t i;
	int rc = -ENOMEM;

	if (fn && !inos)
		goto out;
	rc = -EIO;
	if (index_listing_page(fs->ix, dir->ino, gen, p->c, p->n, inos))
		goto out;
	rc = 0;
	for (i = 0; fn && i < p->n; i++) {
		const struct index_child *c = &p->c[i];

		if (!inos[i]) {
			/* A skeleton row (a tree path) keeps its own. */
			if (index_lookup(fs->ix, dir->ino, c->name, &e))
				continue;
			rc = fn(arg, &e) ? -ENOMEM : 0;
			index_entry_release(&e);
		} else {
			memset(&e, 0, sizeof(e));
			e.ino = inos[i];
			e.parent = dir->ino;
			e.name = (char *)c->name;
			e.kind = c->kind;
			e.tree = dir->tree;
			e.key = (char *)c->key;
			e.size = c->size;
			snprintf(e.etag, sizeof(e.etag), "%s", c->etag);
			e.mtime = c->mtime;
			e.uid = -1;
			e.gid = -1;
			rc = fn(arg, &e) ? -ENOMEM : 0;
		}
		if (rc)
			break;
	}
out:
	free(inos);
	return rc;
}

/* The page after *token (NULL: the first) into the index, without the
 * names note 6 drops (files: see page_dedup), for the background
 * relisting.  On success *token is the next one (NULL at the end).
 * Returns 0 or a negative errno. */
static int list_page(struct lmfs *fs, const struct index_entry *dir, uint64_t gen,
		     char **token, struct htab *files)
{
	struct page p = { 0 };
	int rc = listing_fetch(fs, dir, NULL, token, &p);

	if (!rc)
		rc = page_dedup(fs, dir, &p, files) ? -ENOMEM :
		     store_page(fs, dir, gen, &p, NULL, NULL);
	page_release(&p);
	return rc;
}

/* ---- background revalidation (note 3) ---- */

struct relist {
	struct lmfs *fs;
	struct index_entry dir;
};

static void listing_done(struct lmfs *fs, uint64_t ino)
{
	size_t i;

	pthread_mutex_lock(&fs->list_lock);
	for (i = 0; i < fs->nlisting; i++) {
		if (fs->listing[i] == ino) {
			fs->listing[i] = fs->listing[--fs->nlisting];
			break;
		}
	}
	pthread_mutex_unlock(&fs->list_lock);
}

static void *relist_main(void *arg)
{
	struct relist *r = arg;
	char *token = NULL;
	struct htab files = { 0 };
	uint64_t gen;
	int rc = -EIO;

	if (htab_init(&files) || index_listing_begin(r->fs->ix, r->dir.ino, &gen))
		goto out;
	do {
		rc = list_page(r->fs, &r->dir, gen, &token, &files);
	} while (!rc && token);
	if (!rc)
		index_listing_end(r->fs->ix, r->dir.ino, gen, now_s());
out:
	free(token);
	htab_free_all(&files);
	listing_done(r->fs, r->dir.ino);
	index_entry_release(&r->dir);
	free(r);
	return NULL;
}

static void relist_start(struct lmfs *fs, const struct index_entry *dir)
{
	struct relist *r = NULL;
	uint64_t *grown;
	pthread_attr_t attr;
	pthread_t th;
	size_t i;

	pthread_mutex_lock(&fs->list_lock);
	for (i = 0; i < fs->nlisting; i++)
		if (fs->listing[i] == dir->ino)
			goto busy;
	grown = realloc(fs->listing, (fs->nlisting + 1) * sizeof(*grown));
	if (!grown)
		goto busy;
	fs->listing = grown;
	fs->listing[fs->nlisting++] = dir->ino;
	pthread_mutex_unlock(&fs->list_lock);

	r = calloc(1, sizeof(*r));
	if (!r || index_get(fs->ix, dir->ino, &r->dir))
		goto fail;
	r->fs = fs;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, relist_main, r)) {
		pthread_attr_destroy(&attr);
		index_entry_release(&r->dir);
		goto fail;
	}
	pthread_attr_destroy(&attr);
	return;
busy:
	pthread_mutex_unlock(&fs->list_lock);
	return;
fail:
	free(r);
	listing_done(fs, dir->ino);
}

/* ---- open directories ---- */

static int dh_append(void *arg, const struct index_entry *e)
{
	struct dir_handle *dh = arg;
	struct index_entry *slot;

	if (dh->n == dh->cap) {
		size_t cap = dh->cap ? dh->cap * 2 : 64;
		struct index_entry **ents = realloc(dh->ents, cap * sizeof(*ents));

		if (!ents)
			return 1;
		dh->ents = ents;
		dh->cap = cap;
	}
	slot = malloc(sizeof(*slot));
	if (!slot || index_entry_copy(slot, e)) {
		free(slot);
		return 1;
	}
	dh->ents[dh->n++] = slot;
	return 0;
}

static void dh_free(struct dir_handle *dh)
{
	size_t i;

	listing_stop(dh->l);
	for (i = 0; i < dh->n; i++) {
		index_entry_release(dh->ents[i]);
		free(dh->ents[i]);
	}
	free(dh->ents);
	htab_free_all(&dh->files);
	index_entry_release(&dh->self);
	pthread_mutex_destroy(&dh->lock);
	free(dh);
}

int dir_open(struct lmfs *fs, uint64_t ino, struct dir_handle **out)
{
	struct dir_handle *dh = calloc(1, sizeof(*dh));
	struct index_dirstate st = { 0 };
	int rc = -ENOMEM;

	*out = NULL;
	if (!dh)
		return -ENOMEM;
	pthread_mutex_init(&dh->lock, NULL);
	dh->fs = fs;
	dh->ino = ino;
	if (index_get(fs->ix, ino, &dh->self)) {
		rc = -ENOENT;
		goto fail;
	}
	if (dh->self.kind != INDEX_DIR) {
		rc = -ENOTDIR;
		goto fail;
	}
	index_dir_state(fs->ix, ino, &st);
	if (dh->self.tree < 0 || st.complete) {
		dh->loading = 1;
		if (dh->self.tree >= 0 && !dir_fresh(fs, &dh->self, &st))
			relist_start(fs, &dh->self);
	} else {
		if (htab_init(&dh->files))
			goto fail;
		if (index_listing_begin(fs->ix, ino, &dh->gen)) {
			rc = -EIO;
			goto fail;
		}
		dh->listing = 1;
		dh->started = now_s();
		rc = listing_start(fs, &dh->self, &dh->l);
		if (rc)
			goto fail;
	}
	*out = dh;
	return 0;
fail:
	dh_free(dh);
	return rc;
}

/* After a listing from S3: the index's rows it did not bring (files and
 * directories made here, not uploaded yet) go at the end of the handle.
 * The listed names are not in one order (a page has its keys, then its
 * prefixes): they are sorted here to be searched.  A read-only tree has no
 * such rows, and reading back a listing of 6,000 names would hold up the
 * end of a cold `ls` by a tenth of the daemon's CPU for it. */
struct merge {
	struct dir_handle *dh;
	const char **names;	/* the listed ones, sorted */
	size_t listed;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int merge_one(void *arg, const struct index_entry *e)
{
	struct merge *m = arg;
	const char *name = e->name;

	if (bsearch(&name, m->names, m->listed, sizeof(*m->names), cmp_name))
		return 0;
	return dh_append(m->dh, e);
}

static void merge_local(struct lmfs *fs, struct dir_handle *dh)
{
	struct merge m = { dh, NULL, dh->n };
	size_t i;

	if (wn_writable(fs, dh->self.tree))
		return;
	m.names = malloc((dh->n ? dh->n : 1) * sizeof(char *));
	if (!m.names)
		return;	/* the local rows show at the next open */
	for (i = 0; i < m.listed; i++)
		m.names[i] = dh->ents[i]->name;
	qsort(m.names, m.listed, sizeof(*m.names), cmp_name);
	index_readdir(fs->ix, dh->ino, merge_one, &m);
	free(m.names);
}

/* The next DIR_LOAD rows of the index into dh (note 8; dh->lock held):
 * 0 or a negative errno. */
static int load_more(struct lmfs *fs, struct dir_handle *dh)
{
	size_t had = dh->n;
	int64_t got = index_readdir_after(fs->ix, dh->ino, had ? dh->ents[had - 1]->name : "",
					  DIR_LOAD, dh_append, dh);

	if (got < DIR_LOAD)
		dh->loading = 0;
	if (got < 0)
		return -EIO;
	return (size_t)got == dh->n - had ? 0 : -ENOMEM;
}

int dir_entry(struct lmfs *fs, struct dir_handle *dh, size_t i, const struct index_entry **e)
{
	int rc = 0;

	pthread_mutex_lock(&dh->lock);
	while (i >= dh->n && dh->loading && !rc)
		rc = load_more(fs, dh);
	while (i >= dh->n && dh->listing && !rc) {
		struct page *p = NULL;

		if ((rc = listing_next(dh->l, &p)) <= 0) {
			/* Keep what the index had: a listing that broke off
			 * is not a reason to show an empty directory. */
			rc = rc ? rc : -EIO;
			dh->listing = 0;
			break;
		}
		rc = page_dedup(fs, &dh->self, p, &dh->files) ? -ENOMEM :
		     store_page(fs, &dh->self, dh->gen, p, dh_append, dh);
		if (rc)
			dh->listing = 0;
		else if (p->last) {
			dh->listing = 0;
			index_listing_end(fs->ix, dh->ino, dh->gen, dh->started);
			merge_local(fs, dh);
		}
		page_release(p);
		free(p);
	}
	if (i < dh->n) {
		*e = dh->ents[i];
		rc = 1;
	} else if (rc > 0) {
		rc = 0;
	}
	pthread_mutex_unlock(&dh->lock);
	return rc;
}

int dir_readonly(struct lmfs *fs, const struct dir_handle *dh)
{
	return dh->self.tree >= 0 && wn_writable(fs, dh->self.tree) != 0;
}

int dir_from_index(struct dir_handle *dh)
{
	int listing;

	pthread_mutex_lock(&dh->lock);
	listing = dh->listing;
	pthread_mutex_unlock(&dh->lock);
	return !listing;
}

void dir_release(struct dir_handle *dh)
{
	if (dh)
		dh_free(dh);
}

/* ---- lookups (note 4) ---- */

int dir_lookup(struct lmfs *fs, uint64_t parent, const char *name, struct index_entry *e)
{
	struct index_entry pe = { 0 };
	struct index_dirstate st = { 0 };
	int rc;

	if (index_get(fs->ix, parent, &pe)) {
		e->tree = -1;
		return -ENOENT;
	}
	if (pe.kind != INDEX_DIR) {
		rc = -ENOTDIR;
		goto out;
	}
	rc = wn_name_check(pe.key, name, 0);
	if (rc)
		goto out;
	rc = index_lookup(fs->ix, parent, name, e);
	if (rc <= 0) {
		rc = rc ? -EIO : 0;
		goto out;
	}
	rc = -ENOENT;
	if (pe.tree < 0)
		goto out;
	index_dir_state(fs->ix, parent, &st);
	if (dir_fresh(fs, &pe, &st))
		goto out;
	rc = lookup_remote(fs, &pe, name, e);
	/* Offline, a complete (if old) listing is still the best answer. */
	if (rc == -EIO && st.complete)
		rc = -ENOENT;
out:
	if (rc == -ENOENT)
		e->tree = pe.tree;
	index_entry_release(&pe);
	return rc;
}
