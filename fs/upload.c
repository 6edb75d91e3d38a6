/*
 * upload: the uploader threads that apply the journal to S3 (what the
 * files ask of them, and the writer's start and stop, are wqueue.c).
 * Rules at the top of writer_int.h.
 *
 * Design notes
 *  1. Each uploader claims the oldest runnable op (cache/journal.c: ops on
 *     one key apply in order, others in parallel), carries it out and marks
 *     it done, or puts it back with the error and backs off.  A claim lives
 *     in memory only: after a crash every op runs again, which is safe
 *     because PUT, COPY and DELETE of S3 are idempotent.
 *  2. A PUT reads the staging file as it is when the upload starts (mapped,
 *     not copied); a later change bumps the version and queues its own PUT.
 *  3. Before a PUT, an object of equal content (same sha256 and size) on
 *     the same endpoint -- an archive zip whose CHECKSUM said so, or one of
 *     our uploads -- turns it into a CopyObject: rsync of archive files into
 *     a layer sends no data.
 */
#include "writer_int.h"
#include "log.h"
#include "umeta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static int source_index(struct lmfs *fs, const char *name)
{
	size_t i;

	for (i = 0; i < fs->cfg->nsources; i++)
		if (!strcmp(fs->cfg->sources[i].name, name))
			return (int)i;
	return -1;
}

int upload_tree_of(struct lmfs *fs, const char *source, const char *key)
{
	int src = source_index(fs, source), best = -1;
	size_t i, blen = 0;

	for (i = 0; src >= 0 && i < fs->cfg->ntree; i++) {
		const struct config_tree *t = &fs->cfg->tree[i];
		const struct config_source *s = &fs->cfg->sources[src];
		size_t plen = strlen(s->prefix), tlen = strlen(t->prefix);

		if ((int)t->source != src || strncmp(key, s->prefix, plen) ||
		    strncmp(key + plen, t->prefix, tlen))
			continue;
		if (best < 0 || plen + tlen > blen) {
			best = (int)i;
			blen = plen + tlen;
		}
	}
	return best;
}

struct usable {
	struct lmfs *fs;
	int dst_source;
	int self_tree;		/* the upload's own object is no source */
	const char *self_key;
};

/* A tree whose objects a CopyObject on dst's endpoint can read. */
static int same_endpoint(void *arg, int tree, const char *key)
{
	struct usable *u = arg;
	if (tree == u->self_tree && !strcmp(u->self_key, key))
		return 0;
	if (tree < 0 || (size_t)tree >= u->fs->cfg->ntree)
		return 0;
	return lmfs_same_endpoint(u->fs, u->fs->cfg->tree[tree].source, (size_t)u->dst_source);
}

static const char *bucket_of_tree(struct lmfs *fs, int tree)
{
	return fs->cfg->sources[fs->cfg->tree[tree].source].bucket;
}

/* What an upload needs of a file, read at once under w->lock. */
struct wsnap {
	uint64_t version, size;
	int fd;
	uint32_t mode;
	int64_t uid, gid, mtime;
};

static void wsnap_take(struct writer *w, struct wfile *wf, struct wsnap *sn)
{
	pthread_mutex_lock(&w->lock);
	*sn = (struct wsnap){ wf->version, wf->size, wf->fd, wf->mode, wf->uid, wf->gid,
			      wf->mtime };
	pthread_mutex_unlock(&w->lock);
}

/* The op's own attributes, for an op whose file has no wfile (a replay). */
static void wsnap_of_op(const struct journal_op *op, struct wsnap *sn)
{
	*sn = (struct wsnap){ 0, op->size, -1, op->mode, op->uid, op->gid, op->mtime };
}

/* After op landed on (tree, key): the row gets the new ETag and, when the
 * file has nothing more pending, goes back to listings; unless a later op
 * deletes key or copies onto it: the row there is another file's (renamed
 * over it: t0610), or will get the copy's ETag when that lands. */
static void row_landed(struct writer *w, int tree, const struct journal_op *op,
		       const char *etag, struct wfile *wf, uint64_t size)
{
	struct lmfs *fs = w->fs;
	struct index_entry e;
	struct index_attr a;
	int settled = 1;

	if (tree < 0 || journal_replaced_later(w->j, op->id, op->source, op->key) ||
	    index_find_key(fs->ix, tree, op->key, &e))
		return;
	/* size: a cp's COPY replayed without its wfile knows its size */
	a = (struct index_attr){ size ? size : e.size, etag, e.mtime, e.mode, e.uid, e.gid };
	if (wf) {
		pthread_mutex_lock(&w->lock);
		a = (struct index_attr){ wf->size, etag, wf->mtime, wf->mode, wf->uid, wf->gid };
		settled = !wf->opens && wf->landed >= wf->version;
		pthread_mutex_unlock(&w->lock);
	}
	index_set_attr(fs->ix, e.ino, &a);
	if (settled)
		index_unpin(fs->ix, e.ino);
	index_entry_release(&e);
}

/* A PUT made moot by an earlier upload of the file that took what it
 * holds: the row gets that object's ETag, which the close that queued this
 * PUT took off it (writer_flush), else it kept "" and stayed pinned, and
 * its blocks were cached under "" with another version's.  0 or -1. */
static int put_took(struct writer *w, const struct journal_op *op, int src, int tree,
		    struct wfile *wf)
{
	struct s3_object_info info = { 0 };
	struct s3_error err;
	int rc = -1;

	if (tree >= 0 && !s3_head(w->fs->clients[src], op->key, &info, &err)) {
		row_landed(w, tree, op, info.etag, wf, 0);
		rc = 0;
	}
	s3_object_info_release(&info);
	return rc;
}

static int do_put(struct writer *w, const struct journal_op *op, int src, int tree)
{
	struct lmfs *fs = w->fs;
	struct s3_client *c = fs->clients[src];
	struct s3_put_opts po = { NULL, NULL, 0 };
	struct index_source same = { 0 };
	struct usable u = { fs, src, tree, op->key };
	struct umeta ms;
	struct s3_error err;
	struct wfile *wf = NULL;
	struct wsnap sn;
	char etag[S3_ETAG_MAX] = "", sha[65] = "";
	void *map = NULL;
	int rc = -1, moot = 1, took = 0, dir = op->key[0] && op->key[strlen(op->key) - 1] == '/';

	wsnap_of_op(op, &sn);
	sn.size = 0;
	if (op->staged && *op->staged) {
		pthread_mutex_lock(&w->lock);
		wf = wfile_lookup(w, strtoull(op->staged, NULL, 10));
		if (wf) {
			wfile_ref(wf);
			wf->uploading++;
			if (wf->puts_waiting)
				wf->puts_waiting--;
			sn = (struct wsnap){ wf->version, wf->size, wf->fd, wf->mode, wf->uid,
					     wf->gid, wf->mtime };
			/* moot: a copy replaced the content, an earlier PUT
			 * already took what is there, or the file is still
			 * being written (its close or fsync queues a PUT) */
			took = sn.fd >= 0 && wf->landed >= sn.version && !wf->unlinked;
			moot = sn.fd < 0 || took ||
			       (wf->opens && sn.version > wf->queued && !wf->syncing);
		}
		pthread_mutex_unlock(&w->lock);
		if (moot) {	/* also: unlinked since */
			rc = took ? put_took(w, op, src, tree, wf) : 0;
			goto out;
		}
		if (sn.size) {
			map = mmap(NULL, sn.size, PROT_READ, MAP_SHARED, sn.fd, 0);
			if (map == MAP_FAILED) {
				map = NULL;
				log_warn(LOG_FIELDS(LF_STR("key", op->key), LF_INT("errno", errno)),
					 "upload '%s': cannot map the staged file: %s", op->key,
					 strerror(errno));
				goto out;
			}
		}
		if (!wfile_hash(wf, sn.size, sha))
			sha256_hex(map ? map : "", sn.size, sha);
	} else {
		sha256_hex("", 0, sha);
	}
	umeta_fill(&ms, sn.mode, sn.uid, sn.gid, sn.mtime, sha, dir);
	po.meta = ms.m;
	po.nmeta = ms.n;
	if (sn.size && index_content_find(fs->ix, sha, sn.size, same_endpoint, &u, &same) == 0) {
		struct s3_copy_opts co = { bucket_of_tree(fs, same.tree), 1, NULL, ms.m, ms.n,
					   same.etag[0] ? same.etag : NULL };

		if (s3_copy(c, same.key, op->key, &co, etag, &err) == 0) {
			log_info(LOG_FIELDS(LF_STR("source", op->source), LF_STR("key", op->key),
					    LF_STR("src_key", same.key)),
				 "upload '%s': same content as '%s': copied on the server",
				 op->key, same.key);
			pthread_mutex_lock(&w->lock);
			w->st.dedups++;
			pthread_mutex_unlock(&w->lock);
			rc = 0;
			goto landed;
		}
		/* the source changed or went: upload after all */
	}
	if (s3_upload(c, op->key, map, sn.size, &po, etag, &err)) {
		char m[512];

		s3_error_format(&err, m, sizeof(m));
		log_warn(LOG_FIELDS(LF_STR("source", op->source), LF_STR("key", op->key),
				    LF_INT("size", sn.size), LF_S3_ERROR(&err)),
			 "upload '%s': %s", op->key, m);
		goto out;
	}
	pthread_mutex_lock(&w->lock);
	w->st.bytes_up += sn.size;
	pthread_mutex_unlock(&w->lock);
	rc = 0;
landed:
	if (tree >= 0 && sn.size)
		index_content_add(fs->ix, sha, sn.size, tree, op->key, etag);
	if (wf) {
		pthread_mutex_lock(&w->lock);
		if (sn.version > wf->landed)
			wf->landed = sn.version;
		pthread_mutex_unlock(&w->lock);
	}
	row_landed(w, tree, op, etag, wf, 0);
out:
	free(same.key);
	if (map)
		munmap(map, sn.size);
	if (wf) {
		pthread_mutex_lock(&w->lock);
		wf->uploading--;
		if (!rc)
			wf->ops--;
		else
			wf->fails++;
		wfile_unref(w, wf);
		pthread_cond_broadcast(&w->changed);
		pthread_mutex_unlock(&w->lock);
	}
	return rc;
}

/* The file a COPY names (journal.h, staged), or 0: a directory's
 * ("INO:LEN"), or none in older journals. */
static uint64_t op_ino(const struct journal_op *op)
{
	char *end = NULL;
	uint64_t ino = op->staged ? strtoull(op->staged, &end, 10) : 0;

	return end && !*end ? ino : 0;
}

/* A COPY that writes a file's bytes landed (w->lock held).  The file it
 * counts in (copies) is the inode the op names, else the one at its key
 * (at_key).  Whatever became of it since (a rename moved it off the key,
 * a write or a cp reading it gave it bytes of its own, an unlink took its
 * row), it waited for this op: uncounted, it never left the table and its
 * row stayed pinned for good (t0610).  The last of its COPYs to land
 * settles the bytes they wrote.  Returns 1 when the file's bytes are now
 * the ones this COPY wrote. */
static int copy_counted(struct writer *w, const struct journal_op *op, struct wfile *at_key)
{
	uint64_t ino = op_ino(op);
	struct wfile *wf = ino ? wfile_lookup(w, ino) : at_key;
	int rc;

	if (!wf || !wf->copies)
		return 0;
	wf->copies--;
	wf->ops--;
	if (!wf->copies && wf->copy_version > wf->landed)
		wf->landed = wf->copy_version;
	rc = !wf->copies && wf->version == wf->copy_version;
	if (wf != at_key) {
		/* this op holds no reference to it: it may go now */
		wfile_ref(wf);
		wfile_unref(w, wf);
	}
	return rc;
}

/* A cp's COPY landed after a rename took its file off op->key: the row,
 * now under the rename's key, gets the ETag of the bytes that rename's
 * COPY takes there.  Left "", a restart before that COPY lands left no
 * way to read the file (reads pin the row's ETag, and wreplay.c
 * read_from_old reads the old key only with one): EIO (t0610). */
static void row_moved(struct writer *w, const struct journal_op *op, const char *etag)
{
	struct lmfs *fs = w->fs;
	uint64_t ino = op_ino(op);
	struct index_entry e;

	if (!ino || !op->src_etag || !*op->src_etag || index_get(fs->ix, ino, &e))
		return;
	if (e.kind == INDEX_FILE && !e.etag[0] && strcmp(e.key, op->key)) {
		struct index_attr a = { e.size, etag, e.mtime, e.mode, e.uid, e.gid };

		index_set_attr(fs->ix, e.ino, &a);
	}
	index_entry_release(&e);
}

static int do_copy(struct writer *w, const struct journal_op *op, int src, int tree)
{
	struct lmfs *fs = w->fs;
	int ssrc = source_index(fs, op->src_source);
	int stree = ssrc >= 0 ? upload_tree_of(fs, op->src_source, op->src_key) : -1;
	struct s3_copy_opts co = { NULL, 1, NULL, NULL, 0, NULL };
	struct index_entry e = { 0 };
	struct wfile *wf = NULL;
	struct umeta ms;
	struct s3_error err;
	struct wsnap sn;
	char etag[S3_ETAG_MAX] = "";
	int rc = -1, settles;

	if (ssrc < 0)
		return -1;
	co.src_bucket = fs->cfg->sources[ssrc].bucket;
	co.if_match = op->src_etag && *op->src_etag ? op->src_etag : NULL;
	/* A rename (no ETag pinned) keeps the object's metadata as it is; a
	 * cp or a chmod (META) sets the new file's. */
	co.replace_meta = co.if_match || op->kind == JOURNAL_META;
	if (tree >= 0 && !journal_replaced_later(w->j, op->id, op->source, op->key) &&
	    index_find_key(fs->ix, tree, op->key, &e) == 0) {
		pthread_mutex_lock(&w->lock);
		wf = wfile_lookup(w, e.ino);
		if (wf)
			wfile_ref(wf);
		pthread_mutex_unlock(&w->lock);
	}
	if (wf)
		wsnap_take(w, wf, &sn);
	else
		wsnap_of_op(op, &sn);
	umeta_fill(&ms, sn.mode, sn.uid, sn.gid, sn.mtime, op->sha256, 0);
	co.meta = ms.m;
	co.nmeta = ms.n;
	rc = s3_copy(fs->clients[src], op->src_key, op->key, &co, etag, &err);
	if (rc && err.status == S3_ERR_PRECONDITION && co.if_match) {
		log_info(LOG_FIELDS(LF_STR("source", op->source), LF_STR("key", op->key),
				    LF_STR("src_key", op->src_key)),
			 "copy '%s' -> '%s': the source changed since; copying it as it is now",
			 op->src_key, op->key);
		co.if_match = NULL;
		rc = s3_copy(fs->clients[src], op->src_key, op->key, &co, etag, &err);
	}
	if (rc) {
		char m[512];

		s3_error_format(&err, m, sizeof(m));
		log_warn(LOG_FIELDS(LF_STR("source", op->source), LF_STR("key", op->key),
				    LF_STR("src_source", op->src_source),
				    LF_STR("src_key", op->src_key), LF_S3_ERROR(&err)),
			 "copy '%s' -> '%s': %s", op->src_key, op->key, m);
		/* a rename's source already gone: a replay */
		rc = err.status == S3_ERR_NOT_FOUND && op->src_etag && !*op->src_etag ? 0 : -1;
		if (!rc) {
			pthread_mutex_lock(&w->lock);
			copy_counted(w, op, wf);
			pthread_mutex_unlock(&w->lock);
			writer_rename_landed(w, op);
		}
		goto out;
	}
	pthread_mutex_lock(&w->lock);
	w->st.copies++;
	settles = copy_counted(w, op, wf);	/* reads may go to the object now */
	pthread_mutex_unlock(&w->lock);
	if (stree >= 0 && op->sha256[0])
		index_content_add(fs->ix, op->sha256, op->size, tree, op->key, etag);
	row_landed(w, tree, op, etag, wf, op->kind == JOURNAL_COPY ? op->size : 0);
	if (settles)
		row_moved(w, op, etag);
	writer_rename_landed(w, op);	/* after: reads may go to S3 now */
out:
	if (wf) {
		pthread_mutex_lock(&w->lock);
		wfile_unref(w, wf);
		pthread_cond_broadcast(&w->changed);
		pthread_mutex_unlock(&w->lock);
	}
	index_entry_release(&e);
	return rc;
}

static int do_op(struct writer *w, const struct journal_op *op)
{
	struct lmfs *fs = w->fs;
	int src = source_index(fs, op->source), tree;
	struct s3_error err;

	if (src < 0) {
		log_error(LOG_FIELDS(LF_INT("journal_op", op->id), LF_STR("source", op->source)),
			  "journal: op %lld names source '%s', which the config no longer has",
			  (long long)op->id, op->source);
		return -1;
	}
	tree = upload_tree_of(fs, op->source, op->key);
	switch (op->kind) {
	case JOURNAL_PUT:
		return do_put(w, op, src, tree);
	case JOURNAL_COPY:
		return do_copy(w, op, src, tree);
	case JOURNAL_META: {
		struct journal_op self = *op;

		self.src_source = op->source;
		self.src_key = op->key;
		self.src_etag = NULL;
		return do_copy(w, &self, src, tree);
	}
	case JOURNAL_DELETE:
		if (s3_delete(fs->clients[src], op->key, &err) && err.status != S3_ERR_NOT_FOUND) {
			char m[512];

			s3_error_format(&err, m, sizeof(m));
			log_warn(LOG_FIELDS(LF_STR("source", op->source), LF_STR("key", op->key),
					    LF_S3_ERROR(&err)),
				 "delete '%s': %s", op->key, m);
			return -1;
		}
		return 0;
	}
	return -1;
}

/* Sleep ms after a failure, unless the writer stops meanwhile. */
static void backoff(struct writer *w, unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&w->lock);
	if (!w->stopping)
		pthread_cond_timedwait(&w->work, &w->lock, &ts);
	pthread_mutex_unlock(&w->lock);
}

static void *uploader_main(void *arg)
{
	struct writer *w = arg;
	unsigned backoff_ms = 0;

	for (;;) {
		struct journal_op op;
		int64_t not_after;
		int got;

		pthread_mutex_lock(&w->lock);
		if (w->stopping) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		not_after = w->urgent ? INT64_MAX
				      : (int64_t)time(NULL) - (int64_t)w->fs->cfg->upload_delay;
		pthread_mutex_unlock(&w->lock);
		got = journal_claim(w->j, not_after, &op);

		if (got == 1) {
			if (do_op(w, &op) == 0) {
				journal_done(w->j, op.id);
				backoff_ms = 0;
			} else {
				journal_retry(w->j, op.id, "failed; see the log");
				backoff_ms = backoff_ms ? backoff_ms * 2 : 100;
				if (backoff_ms > 5000)
					backoff_ms = 5000;
				backoff(w, backoff_ms);
			}
			journal_op_release(&op);
			pthread_mutex_lock(&w->lock);
			pthread_cond_broadcast(&w->changed);
			pthread_mutex_unlock(&w->lock);
			continue;
		}
		pthread_mutex_lock(&w->lock);
		if (w->stopping) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		{
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&w->work, &w->lock, &ts);
		}
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

int upload_start(struct writer *w, unsigned n)
{
	w->threads = calloc(n, sizeof(*w->threads));
	if (!w->threads)
		return -1;
	for (w->nthreads = 0; w->nthreads < n; w->nthreads++)
		if (pthread_create(&w->threads[w->nthreads], NULL, uploader_main, w))
			return -1;
	return 0;
}

void upload_stop(struct writer *w)
{
	unsigned i;

	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	free(w->threads);
	w->threads = NULL;
	w->nthreads = 0;
}
