/*
 * A chained hash table of inodes.  Locks: t->lock guards everything.
 * Invariant: an entry is in the table iff the kernel holds at least one
 * lookup of it (nlookup > 0).
 */
#include "inode.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"

struct inode {
	struct inode *next;
	uint64_t ino;
	uint64_t nlookup;		/* guarded by t->lock */
	char etag[INDEX_ETAG_MAX];	/* version whose pages the kernel may hold */
	unsigned nopen;			/* cached-mode handles open on that version */
	unsigned ndirect;		/* direct-mode handles open */
	char pt_etag[INDEX_ETAG_MAX];	/* version of the backing file */
	unsigned npt;			/* handles open holding it (both modes) */
	struct inode_backing pt;	/* the file, while npt */
};

struct inodes {
	pthread_mutex_t lock;
	struct inode **buckets;
	size_t nbuckets;
	uint64_t count;
};

static size_t slot(const struct inodes *t, uint64_t ino)
{
	return (size_t)((ino * 0x9E3779B97F4A7C15ull) >> 20) & (t->nbuckets - 1);
}

static struct inode *find(struct inodes *t, uint64_t ino)
{
	struct inode *n;

	for (n = t->buckets[slot(t, ino)]; n; n = n->next)
		if (n->ino == ino)
			return n;
	return NULL;
}

/* Double the buckets when the table gets full; failure just leaves it. */
static void grow(struct inodes *t)
{
	size_t old = t->nbuckets, i;
	struct inode **b = calloc(old * 2, sizeof(*b)), **ob = t->buckets, *n, *next;

	if (!b)
		return;
	t->buckets = b;
	t->nbuckets = old * 2;
	for (i = 0; i < old; i++) {
		for (n = ob[i]; n; n = next) {
			next = n->next;
			n->next = b[slot(t, n->ino)];
			b[slot(t, n->ino)] = n;
		}
	}
	free(ob);
}

struct inodes *inodes_new(void)
{
	struct inodes *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->nbuckets = 1024;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void inodes_free(struct inodes *t)
{
	struct inode *n, *next;
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nbuckets; i++)
		for (n = t->buckets[i]; n; n = next) {
			next = n->next;
			free(n);
		}
	free(t->buckets);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

int inodes_ref(struct inodes *t, uint64_t ino)
{
	struct inode *n;
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	n = find(t, ino);
	if (!n) {
		n = calloc(1, sizeof(*n));
		if (!n) {
			rc = -1;
			goto out;
		}
		n->ino = ino;
		n->next = t->buckets[slot(t, ino)];
		t->buckets[slot(t, ino)] = n;
		if (++t->count > t->nbuckets)
			grow(t);
	}
	n->nlookup++;
out:
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void inodes_forget(struct inodes *t, uint64_t ino, uint64_t nlookup)
{
	struct inode **pp, *n;

	pthread_mutex_lock(&t->lock);
	for (pp = &t->buckets[slot(t, ino)]; (n = *pp); pp = &n->next) {
		if (n->ino != ino)
			continue;
		n->nlookup = nlookup < n->nlookup ? n->nlookup - nlookup : 0;
		if (!n->nlookup) {
			*pp = n->next;
			free(n);
			t->count--;
		}
		break;
	}
	pthread_mutex_unlock(&t->lock);
}

enum inode_mode inodes_open(struct inodes *t, uint64_t ino, const char *etag, int uncached,
			    inodes_backing_fn *backing, void *arg, int *keep_cache,
			    int *backing_id)
{
	enum inode_mode mode = uncached ? INODE_DIRECT : INODE_CACHED;
	struct inode_backing b;
	struct inode *n;

	*keep_cache = 0;
	*backing_id = 0;
	pthread_mutex_lock(&t->lock);
	n = find(t, ino);
	if (!n)
		goto out;
	if (n->npt || (uncached && !n->nopen && !n->ndirect && backing && !backing(arg, &b))) {
		if (!n->npt++) {
			n->pt = b;
			snprintf(n->pt_etag, sizeof(n->pt_etag), "%s", etag);
		}
		*backing_id = n->pt.id;
		mode = strcmp(n->pt_etag, etag) ? INODE_PASSTHROUGH_DIRECT : INODE_PASSTHROUGH;
	} else if (uncached || (n->nopen && strcmp(n->etag, etag))) {
		mode = INODE_DIRECT;
		n->ndirect++;
	} else {
		/* Only pages known to be of this ETag are kept: an inode
		 * never opened here may hold pages a writer left, and ""
		 * names no version at all. */
		*keep_cache = n->etag[0] && !strcmp(n->etag, etag);
		snprintf(n->etag, sizeof(n->etag), "%s", etag);
		n->nopen++;
	}
out:
	pthread_mutex_unlock(&t->lock);
	return mode;
}

int inodes_close(struct inodes *t, uint64_t ino, enum inode_mode mode,
		 struct inode_backing *b)
{
	struct inode *n;
	int last = 0;

	pthread_mutex_lock(&t->lock);
	n = find(t, ino);
	if (n && mode == INODE_CACHED && n->nopen)
		n->nopen--;
	if (n && mode == INODE_DIRECT && n->ndirect)
		n->ndirect--;
	if (n && (mode == INODE_PASSTHROUGH || mode == INODE_PASSTHROUGH_DIRECT) && n->npt &&
	    !--n->npt) {
		*b = n->pt;
		last = 1;
	}
	pthread_mutex_unlock(&t->lock);
	return last;
}

uint64_t inodes_count(struct inodes *t)
{
	uint64_t n;

	pthread_mutex_lock(&t->lock);
	n = t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}
