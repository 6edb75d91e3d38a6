/*
 * Lookups of names the index does not have (dir.c note 4).
 *
 * Design notes
 *  1. One round trip: HEAD of the key and a listing of "name/" with
 *     max-keys 1 go out at once.  A key wins over a prefix of the same name
 *     (dir.c note 6).
 *  2. That listing has no delimiter, so its one key is the first key under
 *     "name/" in S3's order, however deep: "name/a/b/f" says that name, a
 *     and b are directories and that no key "name/a" or "name/a/b" exists
 *     (it would sort before "name/a/b/f").  In a read-only tree, where S3
 *     alone says what is there, those directories go into the index at
 *     once, so `ls archive/binance/data/spot/daily/klines/BTCUSDT/1m` costs
 *     one round trip for its path instead of one per level.  With max-keys
 *     1, that listing reads one key, not the subtree: nothing is listed
 *     recursively.  (In a layer, an unlink or rmdir not yet uploaded must
 *     still hide what S3 has, so nothing is seeded there.)  The key itself
 *     goes in too, as a file, with the size, ETag and date the listing
 *     gives: the lookup of that name then needs no request, and on a fresh
 *     mount `tail -c 100 bench/big.bin` costs a round trip less.
 */
#include "lookup.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmfs.h"
#include "wnames.h"

/* "Is there anything under prefix?", asked on a thread of its own while
 * the HEAD of the key is on the wire: one round trip for both.  The
 * answer's first key (note 2) is kept in first. */
struct probe {
	struct s3_client *c;
	const char *prefix;
	unsigned n;
	char *first;		/* the first key, and what the listing says of it */
	uint64_t first_size;
	char first_etag[INDEX_ETAG_MAX];
	int64_t first_mtime;
	int failed;
	struct s3_error err;
};

static int probe_one(void *arg, const struct s3_list_entry *e)
{
	struct probe *pr = arg;

	if (!pr->n++ && !e->is_prefix && strlen(e->etag) < sizeof(pr->first_etag)) {
		pr->first = strdup(e->key);	/* NULL: no seeding, no harm */
		pr->first_size = e->size;
		strcpy(pr->first_etag, e->etag);
		pr->first_mtime = (int64_t)e->mtime;
	}
	return 0;
}

static void *probe_main(void *arg)
{
	struct probe *pr = arg;
	struct s3_list_params lp = { pr->prefix, NULL, NULL, NULL, 1 };
	struct xml_list_result res = { 0 };
	char *token = NULL;
	int pages = 0;

	/* A page may come back empty yet truncated; only a page that says it
	 * is the last tells that there is nothing. */
	do {
		lp.token = token;
		pr->failed = s3_list(pr->c, &lp, probe_one, pr, &res, &pr->err);
		free(token);
		token = res.next_token;
		res.next_token = NULL;
	} while (!pr->failed && !pr->n && res.truncated && token && ++pages < 4);
	free(token);
	return NULL;
}

/* Note 2: pr->first is the first key under a directory whose row is ino
 * and whose prefix is that key's first plen bytes; every directory on its
 * path below it, and the key, go into the index. */
static void seed_path(struct lmfs *fs, uint64_t ino, const struct probe *pr, size_t plen)
{
	const char *first = pr->first, *p = first + plen, *slash;
	char name[NAME_MAX + 1], *key;
	struct index_child c;
	size_t n;
	int rc;

	while ((slash = strchr(p, '/'))) {
		n = (size_t)(slash - p);
		if (!n || n > NAME_MAX)
			return;
		memcpy(name, p, n);
		name[n] = '\0';
		if (!strcmp(name, ".") || !strcmp(name, "..") ||
		    !(key = strndup(first, (size_t)(slash + 1 - first))))
			return;
		key[p - first] = '\0';		/* the parent's prefix, for the check */
		rc = wn_name_check(key, name, 1);
		key[p - first] = *p;
		c = (struct index_child){ name, INDEX_DIR, key, 0, "", 0 };
		if (!rc && index_put(fs->ix, ino, &c, &ino))
			rc = -1;
		free(key);
		if (rc || !ino)
			return;
		p = slash + 1;
	}
	if (!*p || !strcmp(p, ".") || !strcmp(p, ".."))
		return;
	if (!(key = strndup(first, (size_t)(p - first))))
		return;
	rc = wn_name_check(key, p, 0);
	free(key);
	c = (struct index_child){ p, INDEX_FILE, first, pr->first_size, pr->first_etag,
				  pr->first_mtime };
	if (!rc)
		index_put(fs->ix, ino, &c, NULL);
}

int lookup_remote(struct lmfs *fs, const struct index_entry *pe, const char *name,
			 struct index_entry *e)
{
	struct s3_client *c = lmfs_client(fs, pe->tree);
	struct s3_object_info info = { 0 };
	struct probe pr = { .c = c };
	struct index_child child;
	struct s3_error err;
	char *key = NULL, *prefix = NULL;
	pthread_t th;
	int rc = -ENOMEM, probing = 0, head;

	if (asprintf(&key, "%s%s", pe->key, name) < 0 ||
	    asprintf(&prefix, "%s%s/", pe->key, name) < 0)
		goto out;
	pr.prefix = prefix;
	probing = pthread_create(&th, NULL, probe_main, &pr) == 0;
	head = s3_head(c, key, &info, &err);
	if (probing)
		pthread_join(th, NULL);
	else if (head && err.status == S3_ERR_NOT_FOUND)
		probe_main(&pr);
	if (head == 0 && wn_gone(fs, pe->tree, key, 0))	/* dir.c note 7 */
		head = -1, err.status = S3_ERR_NOT_FOUND;
	if (head && !pr.failed && pr.n && wn_gone(fs, pe->tree, prefix, 1))
		pr.n = 0;
	if (head == 0) {
		child = (struct index_child){ name, INDEX_FILE, key, info.size, info.etag,
					      (int64_t)info.mtime };
	} else if (err.status != S3_ERR_NOT_FOUND) {
		rc = -lmfs_errno(&err);
		goto out;
	} else if (pr.failed) {
		rc = -lmfs_errno(&pr.err);
		goto out;
	} else if (!pr.n) {
		rc = -ENOENT;
		goto out;
	} else {
		child = (struct index_child){ name, INDEX_DIR, prefix, 0, "", 0 };
	}
	rc = -EIO;
	if (index_put(fs->ix, pe->ino, &child, NULL) == 0 &&
	    index_lookup(fs->ix, pe->ino, name, e) == 0)
		rc = 0;
	if (!rc && child.kind == INDEX_DIR && pr.first && wn_writable(fs, pe->tree))
		seed_path(fs, e->ino, &pr, strlen(prefix));
out:
	s3_object_info_release(&info);
	free(pr.first);
	free(key);
	free(prefix);
	return rc;
}
