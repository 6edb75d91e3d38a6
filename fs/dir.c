/*
 * Directories: lookups and listings.
 *
 * Design notes
 *  1. A directory under a tree entry is an S3 prefix.  It is listed with
 *     ListObjectsV2, delimiter "/", one level at a time: nothing ever lists
 *     an archive recursively (the real Binance archive has ~10^8 keys).
 *  2. The first open of a directory never listed starts a listing of its
 *     own: a fetcher thread asks for page after page (each needs the
 *     previous one's token) and queues them on the handle; readdir writes
 *     each page to the index in one transaction and hands it out at once.
 *     So `ls` of 6,000 keys shows the first thousand after the first page,
 *     and the next page is on the wire while the kernel takes this one.
 *     At most LIST_AHEAD pages wait in the queue.  closedir stops the
 *     fetcher after its current page; a listing that did not reach its end
 *     stays incomplete in the index.
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
 *     wins (page_dedup), so that readdir, the index and lookups agree.  A
 *     page may end with the file and the next begin with the prefix
 *     (S3 sorts both together): the last file name of a page is carried
 *     to the next one.
 *  7. Keys (and prefixes) S3 has only until a DELETE in the journal lands
 *     are left out of listings and lookups (wgone.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lmfs.h"
#include "log.h"
#include "lookup.h"
#include "wnames.h"

/* Lock order: dir_handle.lock -> fs->list_lock -> cache/ locks. */
struct dir_handle {
	pthread_mutex_t lock;		/* guards everything below */
	pthread_cond_t cond;		/* a page came or went, or the fetcher ended */
	struct lmfs *fs;
	uint64_t ino;
	struct index_entry self;
	struct index_entry **ents;	/* each entry allocated on its own, so a
					   reader's pointer survives growth */
	size_t n, cap;
	int listing;			/* pages still to fetch or to store */
	int fetching;			/* the fetcher thread runs */
	int stop;			/* closed: the fetcher should end */
	int refs;			/* the open handle + the fetcher */
	int err;			/* the fetcher's error, negative errno */
	struct page *queue, **tail;	/* fetched, not yet stored */
	int queued;
	uint64_t gen;
	int64_t started;
};

#define LIST_AHEAD 4

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

/* The name a listed key or prefix has inside the directory, or NULL when it
 * has none we can show (note 5).  Writes into buf. */
static const char *child_name(const char *dir_key, const struct s3_list_entry *e,
			      char *buf, size_t buflen)
{
	size_t plen = strlen(dir_key), n;
	const char *name;

	if (strncmp(e->key, dir_key, plen))
		return NULL;
	name = e->key + plen;
	n = strlen(name);
	if (e->is_prefix && n && name[n - 1] == '/')
		n--;
	if (!n || n > NAME_MAX || n >= buflen || memchr(name, '/', n))
		return NULL;
	memcpy(buf, name, n);
	buf[n] = '\0';
	if (!strcmp(buf, ".") || !strcmp(buf, ".."))
		return NULL;
	return buf;
}

/* ---- one page into the index ---- */

struct page {
	const char *dir_key;
	struct index_child *c;
	char **strs;			/* name, key, etag of each child */
	size_t n, cap;
	int failed;
	int last;			/* no page follows */
	struct page *next;		/* in dir_handle.queue */
};

static int page_add(void *arg, const struct s3_list_entry *e)
{
	struct page *p = arg;
	char name[1024];
	const char *nm = child_name(p->dir_key, e, name, sizeof(name));
	char *dup_name, *dup_key, *dup_etag;

	if (!nm)
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		struct index_child *c = realloc(p->c, cap * sizeof(*c));
		char **strs = c ? realloc(p->strs, cap * 3 * sizeof(*strs)) : NULL;

		if (c)
			p->c = c;
		if (!strs)
			goto fail;
		p->strs = strs;
		p->cap = cap;
	}
	/* The entry's strings live only during this call: keep copies. */
	dup_name = strdup(nm);
	dup_key = strdup(e->key);
	dup_etag = strdup(e->etag ? e->etag : "");
	if (!dup_name || !dup_key || !dup_etag) {
		free(dup_name);
		free(dup_key);
		free(dup_etag);
		goto fail;
	}
	p->strs[3 * p->n] = dup_name;
	p->strs[3 * p->n + 1] = dup_key;
	p->strs[3 * p->n + 2] = dup_etag;
	p->c[p->n++] = (struct index_child){
		dup_name, e->is_prefix ? INDEX_DIR : INDEX_FILE, dup_key, e->size,
		dup_etag, (int64_t)e->mtime,
	};
	return 0;
fail:
	p->failed = 1;
	return 1;
}

static void page_release(struct page *p)
{
	size_t i;

	for (i = 0; i < 3 * p->n; i++)
		free(p->strs[i]);
	free(p->strs);
	free(p->c);
	memset(p, 0, sizeof(*p));
}

static int by_name(const void *a, const void *b, void *arg)
{
	const struct index_child *c = arg;

	return strcmp(c[*(const size_t *)a].name, c[*(const size_t *)b].name);
}

/* Note 6: drop each directory that has the name of a file of this page or
 * of carry (the previous page's last file name), then set carry to this
 * page's; note 7: drop what the journal deletes.  0, or -1 out of memory. */
static int page_dedup(struct lmfs *fs, const struct index_entry *dir, struct page *p,
		      char carry[NAME_MAX + 1])
{
	size_t i, j, k, *ord = malloc((p->n + 1) * (sizeof(*ord) + 1));
	char *drop = (char *)(ord + p->n + 1), last[NAME_MAX + 1] = "";
	int file;

	if (!ord)
		return -1;
	for (i = 0; i < p->n; i++)
		ord[i] = i;
	qsort_r(ord, p->n, sizeof(*ord), by_name, p->c);
	for (i = 0; i < p->n; i = j) {
		file = !strcmp(p->c[ord[i]].name, carry);
		for (j = i; j < p->n && !strcmp(p->c[ord[j]].name, p->c[ord[i]].name); j++)
			file |= p->c[ord[j]].kind == INDEX_FILE;
		for (k = i; k < j; k++)
			drop[ord[k]] = file && p->c[ord[k]].kind == INDEX_DIR;
		if (file)
			snprintf(last, sizeof(last), "%s", p->c[ord[i]].name);
	}
	memcpy(carry, last, sizeof(last));
	wn_hide_gone(fs, dir->tree, dir->key, p->c, p->n, drop);
	for (i = k = 0; i < p->n; i++) {
		if (drop[i]) {
			free(p->strs[3 * i]);
			free(p->strs[3 * i + 1]);
			free(p->strs[3 * i + 2]);
			continue;
		}
		p->c[k] = p->c[i];
		memmove(&p->strs[3 * k++], &p->strs[3 * i], 3 * sizeof(*p->strs));
	}
	p->n = k;
	free(ord);
	return 0;
}

/* Fetch the page after *token (NULL: the first) of dir into p, without
 * the names note 6 drops (carry: see page_dedup; "" for the first page).
 * On success *token is the next one (NULL at the end).  Returns 0 or a
 * negative errno. */
static int fetch_page(struct lmfs *fs, const struct index_entry *dir, char **token,
		      char carry[NAME_MAX + 1], struct page *p)
{
	struct s3_list_params lp = { dir->key, "/", NULL, *token, 1000 };
	struct s3_client *c = lmfs_client(fs, dir->tree);
	struct xml_list_result res = { 0 };
	struct s3_error err;
	int rc = 0;

	p->dir_key = dir->key;
	if (s3_list(c, &lp, page_add, p, &res, &err)) {
		char m[512];

		s3_error_format(&err, m, sizeof(m));
		log_warn(LOG_FIELDS(LF_STR("source", lmfs_source_name(fs, dir->tree)),
				    LF_STR("key", dir->key), LF_S3_ERROR(&err)),
			 "cannot list '%s': %s", dir->key, m);
		rc = p->failed ? -ENOMEM : -lmfs_errno(&err);
		goto out;
	}
	if (page_dedup(fs, dir, p, carry)) {
		rc = -ENOMEM;
		goto out;
	}
	free(*token);
	*token = res.truncated ? res.next_token : NULL;
	res.next_token = NULL;
	p->last = !*token;
out:
	free(res.next_token);
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

/* Both of the above, for the background relisting. */
static int list_page(struct lmfs *fs, const struct index_entry *dir, uint64_t gen,
		     char **token, char carry[NAME_MAX + 1])
{
	struct page p = { 0 };
	int rc = fetch_page(fs, dir, token, carry, &p);

	if (!rc)
		rc = store_page(fs, dir, gen, &p, NULL, NULL);
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
	char *token = NULL, carry[NAME_MAX + 1] = "";
	uint64_t gen;
	int rc = -EIO;

	if (index_listing_begin(r->fs->ix, r->dir.ino, &gen))
		goto out;
	do {
		rc = list_page(r->fs, &r->dir, gen, &token, carry);
	} while (!rc && token);
	if (!rc)
		index_listing_end(r->fs->ix, r->dir.ino, gen, now_s());
out:
	free(token);
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
	struct page *p;
	size_t i;

	while ((p = dh->queue)) {
		dh->queue = p->next;
		page_release(p);
		free(p);
	}
	for (i = 0; i < dh->n; i++) {
		index_entry_release(dh->ents[i]);
		free(dh->ents[i]);
	}
	free(dh->ents);
	index_entry_release(&dh->self);
	pthread_cond_destroy(&dh->cond);
	pthread_mutex_destroy(&dh->lock);
	free(dh);
}

/* Drop one reference (dh->lock held; released here). */
static void dh_unref(struct dir_handle *dh)
{
	int last = --dh->refs == 0;

	pthread_mutex_unlock(&dh->lock);
	if (last)
		dh_free(dh);
}

static void *fetcher_main(void *arg)
{
	struct dir_handle *dh = arg;
	struct lmfs *fs = dh->fs;
	char *token = NULL, carry[NAME_MAX + 1] = "";
	int rc = 0, last;

	for (;;) {
		struct page *p = calloc(1, sizeof(*p));

		if (!p) {
			rc = -ENOMEM;
			break;
		}
		rc = fetch_page(fs, &dh->self, &token, carry, p);
		pthread_mutex_lock(&dh->lock);
		if (rc || dh->stop) {
			pthread_mutex_unlock(&dh->lock);
			page_release(p);
			free(p);
			break;
		}
		/* From here on p is the reader's: it may be freed at once. */
		last = p->last;
		*dh->tail = p;
		dh->tail = &p->next;
		dh->queued++;
		pthread_cond_broadcast(&dh->cond);
		while (dh->queued >= LIST_AHEAD && !dh->stop)
			pthread_cond_wait(&dh->cond, &dh->lock);
		pthread_mutex_unlock(&dh->lock);
		if (last)
			break;
	}
	free(token);
	pthread_mutex_lock(&fs->list_lock);
	fs->nfetchers--;
	pthread_mutex_unlock(&fs->list_lock);
	pthread_mutex_lock(&dh->lock);
	dh->fetching = 0;
	dh->err = rc;
	pthread_cond_broadcast(&dh->cond);
	dh_unref(dh);
	return NULL;
}

static int fetcher_start(struct lmfs *fs, struct dir_handle *dh)
{
	pthread_attr_t attr;
	pthread_t th;
	int rc;

	pthread_mutex_lock(&fs->list_lock);
	fs->nfetchers++;
	pthread_mutex_unlock(&fs->list_lock);
	dh->fetching = 1;
	dh->refs++;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&th, &attr, fetcher_main, dh);
	pthread_attr_destroy(&attr);
	if (rc) {
		dh->fetching = 0;
		dh->refs--;
		pthread_mutex_lock(&fs->list_lock);
		fs->nfetchers--;
		pthread_mutex_unlock(&fs->list_lock);
		return -rc;
	}
	return 0;
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
	pthread_cond_init(&dh->cond, NULL);
	dh->fs = fs;
	dh->ino = ino;
	dh->refs = 1;
	dh->tail = &dh->queue;
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
		if (index_readdir(fs->ix, ino, dh_append, dh))
			goto fail;
		if (dh->self.tree >= 0 && !dir_fresh(fs, &dh->self, &st))
			relist_start(fs, &dh->self);
	} else {
		if (index_listing_begin(fs->ix, ino, &dh->gen)) {
			rc = -EIO;
			goto fail;
		}
		dh->listing = 1;
		dh->started = now_s();
		rc = fetcher_start(fs, dh);
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

int dir_entry(struct lmfs *fs, struct dir_handle *dh, size_t i, const struct index_entry **e)
{
	int rc = 0;

	pthread_mutex_lock(&dh->lock);
	while (i >= dh->n && dh->listing) {
		struct page *p = dh->queue;

		if (!p && dh->fetching) {
			pthread_cond_wait(&dh->cond, &dh->lock);
			continue;
		}
		if (!p) {
			/* Keep what the index had: a listing that broke off
			 * is not a reason to show an empty directory. */
			rc = dh->err ? dh->err : -EIO;
			dh->listing = 0;
			break;
		}
		dh->queue = p->next;
		if (!dh->queue)
			dh->tail = &dh->queue;
		dh->queued--;
		pthread_cond_broadcast(&dh->cond);
		rc = store_page(fs, &dh->self, dh->gen, p, dh_append, dh);
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

void dir_release(struct dir_handle *dh)
{
	if (!dh)
		return;
	pthread_mutex_lock(&dh->lock);
	dh->stop = 1;
	pthread_cond_broadcast(&dh->cond);
	dh_unref(dh);
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
