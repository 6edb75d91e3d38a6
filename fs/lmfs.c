/*
 * The filesystem's state: cache, clients, and the tree's skeleton.
 *
 * Tree skeleton: each tree entry's path ("archive/binance") becomes a chain
 * of directory rows; the last is the entry's root (tree = its index, key =
 * source prefix + entry prefix), the ones above are synthesised (tree -1)
 * and hold only what the config puts there.  Rows under a tree root carry
 * the tree's index, so the index remembers, per tree, a signature of what
 * it was built from (meta "tree:<i>"): when the config changes what a tree
 * entry points at, what was listed under it is dropped.
 */
#include "lmfs.h"
#include "writer.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "inode.h"
#include "log.h"
#include "reader.h"
#include "siblings.h"
#include "source.h"
#include "stats.h"

struct s3_client *lmfs_client(struct lmfs *fs, int tree)
{
	if (tree < 0 || (size_t)tree >= fs->cfg->ntree)
		return NULL;
	return fs->clients[fs->cfg->tree[tree].source];
}

void lmfs_object_id(struct lmfs *fs, const struct index_entry *e,
		    char obj[BLOCKS_ID_LEN + 1])
{
	blocks_object_id(s3_client_bucket(lmfs_client(fs, e->tree)), e->key, e->etag, obj);
}

const struct config_tree *lmfs_tree(struct lmfs *fs, int tree)
{
	if (tree < 0 || (size_t)tree >= fs->cfg->ntree)
		return NULL;
	return &fs->cfg->tree[tree];
}

const char *lmfs_source_name(struct lmfs *fs, int tree)
{
	const struct config_tree *t = lmfs_tree(fs, tree);

	return t ? fs->cfg->sources[t->source].name : NULL;
}

double lmfs_timeout(struct lmfs *fs, int tree)
{
	const struct config_tree *t = lmfs_tree(fs, tree);

	if (!t)
		return 3600;
	return t->ttl < 1 ? 1 : t->ttl > 3600 ? 3600 : t->ttl;
}

void lmfs_stat(struct lmfs *fs, const struct index_entry *e, struct stat *st)
{
	const struct config_tree *t = lmfs_tree(fs, e->tree);
	int ro = !t || t->readonly;

	memset(st, 0, sizeof(*st));
	st->st_ino = e->ino;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	if (e->kind == INDEX_DIR) {
		st->st_mode = S_IFDIR | (ro ? 0555 : 0755);
		st->st_nlink = 2;
		st->st_size = 4096;
	} else {
		st->st_mode = S_IFREG | (ro ? 0444 : 0644);
		st->st_nlink = 1;
		st->st_size = (off_t)e->size;
		st->st_blocks = (blkcnt_t)((e->size + 511) / 512);
	}
	if (e->mode)
		st->st_mode = (st->st_mode & S_IFMT) | (e->mode & 07777);
	if (e->uid >= 0)
		st->st_uid = (uid_t)e->uid;
	if (e->gid >= 0)
		st->st_gid = (gid_t)e->gid;
	st->st_blksize = (blksize_t)blocks_block_size(fs->blocks);
	st->st_mtime = e->mtime ? e->mtime : fs->started;
	st->st_atime = st->st_mtime;
	st->st_ctime = st->st_mtime;
}

int lmfs_same_endpoint(struct lmfs *fs, size_t a, size_t b)
{
	const struct config_source *x = &fs->cfg->sources[a], *y = &fs->cfg->sources[b];

	return !x->anonymous && !y->anonymous && !strcmp(x->endpoint, y->endpoint) &&
	       !strcmp(x->region, y->region);
}

int lmfs_errno(const struct s3_error *err)
{
	switch (err->status) {
	case S3_OK:
		return 0;
	case S3_ERR_NOT_FOUND:
		return ENOENT;
	case S3_ERR_AUTH:
	case S3_ERR_ACCESS:
		return EACCES;
	case S3_ERR_NOMEM:
		return ENOMEM;
	case S3_ERR_INVALID:
		return EINVAL;
	case S3_ERR_CONFLICT:
		return EEXIST;
	default:
		/* Timeouts, unreachable endpoints, 5xx after retries, a
		 * replaced object: the data cannot be had, which read(2)
		 * reports as EIO. */
		return EIO;
	}
}

char *lmfs_stats_json(struct lmfs *fs)
{
	struct stats_methods sum;
	struct writer_stats ws;
	struct blocks_stats bs;
	json_t *root;
	char *out;

	stats_methods(fs->stats, &sum);
	blocks_stats(fs->blocks, &bs);
	writer_stats(fs, &ws);
	root = json_pack("{s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},"
			 "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:I,"
			 "s:I,s:{s:I,s:I,s:I,s:I,s:I}}",
			 "requests", "list", (json_int_t)sum.list, "head", (json_int_t)sum.head,
			 "get", (json_int_t)sum.get, "put", (json_int_t)sum.put,
			 "post", (json_int_t)sum.post, "delete", (json_int_t)sum.del,
			 "retries", (json_int_t)sum.retries, "failures", (json_int_t)sum.failures,
			 "bytes_in", (json_int_t)sum.bytes_in,
			 "cache", "stored_bytes", (json_int_t)bs.stored_bytes,
			 "raw_bytes", (json_int_t)bs.raw_bytes, "blocks", (json_int_t)bs.nblocks,
			 "evicted", (json_int_t)bs.evicted, "hits", (json_int_t)bs.hits,
			 "misses", (json_int_t)bs.misses, "max_bytes", (json_int_t)fs->cfg->cache_max,
			 "passthrough_opens", (json_int_t)stats_passthrough_opens(fs->stats),
			 "inodes", (json_int_t)inodes_count(fs->inodes),
			 "journal", (json_int_t)ws.journal,
			 "writes", "dirty", (json_int_t)ws.dirty, "uploading", (json_int_t)ws.uploading,
			 "staged_bytes", (json_int_t)ws.staged_bytes, "bytes_up", (json_int_t)ws.bytes_up,
			 "server_copies", (json_int_t)(ws.copies + ws.dedups));
	if (!root)
		return NULL;
	out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return out;
}

/* ---- opening ---- */

static int mkdir_private(const char *dir, char *err, size_t errlen)
{
	char path[4096], *p;

	snprintf(path, sizeof(path), "%s", dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		goto fail;
	if (chmod(path, 0700))
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "cannot create cache directory '%s': %s", path, strerror(errno));
	return -1;
}

/* The signature of tree entry i (see the notes above). */
static void tree_signature(struct lmfs *fs, size_t i, char *out, size_t len)
{
	const struct config_tree *t = &fs->cfg->tree[i];
	const struct config_source *s = &fs->cfg->sources[t->source];

	snprintf(out, len, "%s\t%s\t%s\t%s%s", t->path, s->endpoint, s->bucket, s->prefix,
		 t->prefix);
}

static int skeleton_entry(struct lmfs *fs, size_t i)
{
	const struct config_tree *t = &fs->cfg->tree[i];
	const struct config_source *s = &fs->cfg->sources[t->source];
	char sig[4096], old[4096], name[64], key[2048], *path, *comp, *save = NULL;
	uint64_t parent = INDEX_ROOT_INO, ino = INDEX_ROOT_INO;
	int rc = -1, changed;

	tree_signature(fs, i, sig, sizeof(sig));
	snprintf(name, sizeof(name), "tree:%zu", i);
	snprintf(key, sizeof(key), "%s%s", s->prefix, t->prefix);
	changed = index_meta_get(fs->ix, name, old, sizeof(old)) != 0 || strcmp(old, sig);
	path = strdup(t->path);
	if (!path)
		return -1;
	if (!*t->path) {
		/* The tree is the root: forget what it listed before. */
		if (index_ensure_dir(fs->ix, 0, "", (int)i, key, &ino) ||
		    (changed && index_forget(fs->ix, ino)))
			goto out;
	}
	for (comp = strtok_r(path, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int last = !save || !*save;

		if (last && changed && index_remove(fs->ix, parent, comp))
			goto out;
		if (index_ensure_dir(fs->ix, parent, comp, last ? (int)i : -1,
				     last ? key : "", &ino))
			goto out;
		parent = ino;
	}
	rc = index_meta_set(fs->ix, name, sig);
out:
	free(path);
	return rc;
}

#define CACHE_LOCK_WAIT_MS 10000

static int open_cache(struct lmfs *fs, char *err, size_t errlen)
{
	/* an unmount just done may still be writing its blocks to disk */
	struct blocks_opts bo = { NULL, fs->cfg->cache_max, 0, CACHE_LOCK_WAIT_MS };
	char path[4096];
	size_t i;

	if (mkdir_private(fs->cfg->cache_dir, err, errlen))
		return -1;
	snprintf(path, sizeof(path), "%s/index.db", fs->cfg->cache_dir);
	err[0] = '\0';
	if (index_open(&fs->ix, path, err, errlen))
		return -1;
	if (err[0])	/* opened, but rebuilt empty: say so */
		log_warn(LOG_FIELDS(LF_STR("path", path)), "%s", err);
	bo.dir = fs->cfg->cache_dir;
	if (blocks_open(&fs->blocks, &bo, err, errlen))
		return -1;
	for (i = 0; i < fs->cfg->ntree; i++) {
		if (skeleton_entry(fs, i)) {
			snprintf(err, errlen, "cannot record the tree in '%s'", path);
			return -1;
		}
	}
	return 0;
}

int lmfs_open(struct lmfs *fs, struct config *cfg, char *err, size_t errlen)
{
	struct reader_opts ro = { 0 };
	char msg[768];
	size_t i;

	memset(fs, 0, sizeof(*fs));
	fs->cfg = cfg;
	fs->uid = getuid();
	fs->gid = getgid();
	fs->started = time(NULL);
	pthread_mutex_init(&fs->list_lock, NULL);
	if (open_cache(fs, err, errlen))
		goto fail;
	fs->clients = calloc(cfg->nsources, sizeof(*fs->clients));
	fs->inodes = inodes_new();
	fs->stats = stats_new(cfg->nsources);
	fs->siblings = siblings_new();
	if (!fs->clients || !fs->inodes || !fs->stats || !fs->siblings) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < cfg->nsources; i++) {
		fs->clients[i] = source_client_new(cfg, &cfg->sources[i], NULL, NULL,
						   msg, sizeof(msg));
		if (!fs->clients[i]) {
			snprintf(err, errlen, "source '%s': %s", cfg->sources[i].name, msg);
			goto fail;
		}
		stats_attach(fs->stats, fs->clients[i], i);
	}
	if (reader_new(fs, &ro, &fs->reader)) {
		snprintf(err, errlen, "cannot start the reader threads");
		goto fail;
	}
	if (writer_start(fs, msg, sizeof(msg))) {
		snprintf(err, errlen, "write-back journal: %s", msg);
		goto fail;
	}
	return 0;
fail:
	lmfs_close(fs);
	return -1;
}

void lmfs_close(struct lmfs *fs)
{
	size_t i;

	/* Background listings and page fetchers hold the index and the
	 * clients: let them finish first. */
	for (;;) {
		size_t n;

		pthread_mutex_lock(&fs->list_lock);
		n = fs->nlisting + fs->nfetchers;
		pthread_mutex_unlock(&fs->list_lock);
		if (!n)
			break;
		usleep(10000);
	}
	/* The uploaders read files and the index: first let them drain. */
	writer_stop(fs, WRITER_UNMOUNT_WAIT);
	reader_free(fs->reader);
	siblings_free(fs->siblings);
	for (i = 0; fs->clients && i < fs->cfg->nsources; i++)
		s3_client_free(fs->clients[i]);
	free(fs->clients);
	stats_free(fs->stats);
	inodes_free(fs->inodes);
	blocks_close(fs->blocks);
	index_close(fs->ix);
	free(fs->listing);
	pthread_mutex_destroy(&fs->list_lock);
	memset(fs, 0, sizeof(*fs));
}
