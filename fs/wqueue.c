/*
 * wqueue: what the files ask of the uploaders (upload.c): a close's PUT
 * (writer_flush), fsync, waits on a key, the counters, and the writer's
 * start and stop.  Rules at the top of writer_int.h.
 *
 * Design notes
 *  1. fsync and unmount give up when no op has finished for io_timeout
 *     seconds (the endpoint is away); the journal keeps what is left.
 *     For fsync an upload of the file under way holds the timeout off (a
 *     big one on a slow link takes longer than io_timeout), unless one
 *     failed since the last landing: retries are under way too, and a
 *     fsync on a hung endpoint waited for good, in D state, out of reach
 *     of kill -9 (the uploads' attempts timed out and started again, one
 *     after the other).
 */
#include "writer_int.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define UPLOADERS 8

/* ---- waiting ---- */

/* Wait on w->changed (w->lock held) for at most one second. */
static void wait_changed(struct writer *w)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	pthread_cond_timedwait(&w->changed, &w->lock, &ts);
}

int writer_flush(struct lmfs *fs, struct wfile *wf)
{
	struct writer *w = fs->writer;
	const struct config_tree *t;
	struct journal_op op = { 0 };
	struct index_entry e;
	struct index_child c;
	struct index_attr a;
	char staged[24];
	uint64_t v, q0;
	int rc = 0;

	pthread_mutex_lock(&w->lock);
	if (wf->copying || wf->unlinked || wf->version <= wf->queued) {
		pthread_mutex_unlock(&w->lock);
		return 0;
	}
	if (wf->puts_waiting) {
		/* the PUT waiting will read the file as it is then */
		wf->queued = wf->version;
		pthread_mutex_unlock(&w->lock);
		return 0;
	}
	v = wf->version;
	t = lmfs_tree(fs, wf->tree);
	snprintf(staged, sizeof(staged), "%llu", (unsigned long long)wf->ino);
	op.kind = JOURNAL_PUT;
	op.source = t ? fs->cfg->sources[t->source].name : NULL;
	op.key = strdup(wf->key);
	op.staged = staged;
	op.size = wf->size;
	op.mode = wf->mode;
	op.uid = wf->uid >= 0 ? (uint32_t)wf->uid : 0;
	op.gid = wf->gid >= 0 ? (uint32_t)wf->gid : 0;
	op.mtime = wf->mtime;
	a = (struct index_attr){ wf->size, "", wf->mtime, wf->mode, wf->uid, wf->gid };
	if (!t || !op.key) {
		pthread_mutex_unlock(&w->lock);
		free(op.key);
		return t ? -ENOMEM : -EROFS;
	}
	/* Counted before the journal has it: an uploader may claim it at
	 * once (upload_delay counts whole seconds).  Counted after, an
	 * uploader that claimed it first took it for moot (queued < version:
	 * "still being written") and its end for another op's: puts_waiting
	 * stayed 1 with no PUT behind it, so no later close queued one and
	 * the file's changes never went up (t0635). */
	q0 = wf->queued;
	wf->queued = v;
	wf->ops++;
	wf->puts_waiting++;
	pthread_mutex_unlock(&w->lock);
	if (journal_add(w->j, &op, 1, NULL)) {
		log_error(LOG_FIELDS(LF_STR("source", op.source), LF_STR("key", op.key),
				     LF_STR("error", journal_errmsg(w->j))),
			  "journal: cannot record the upload of '%s': %s", op.key,
			  journal_errmsg(w->j));
		free(op.key);
		pthread_mutex_lock(&w->lock);
		wf->ops--;
		if (wf->puts_waiting)
			wf->puts_waiting--;
		if (wf->queued == v)
			wf->queued = q0;
		pthread_mutex_unlock(&w->lock);
		return journal_err_nospace() ? -ENOSPC : -EIO;
	}
	free(op.key);
	pthread_mutex_lock(&w->lock);
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	/* The row shows the local size and time and stays out of listings'
	 * reach until the upload lands.  Under w->lock, and only while
	 * version v has not landed: an upload that took v (one claimed
	 * before this close, or this PUT at once, upload_delay being whole
	 * seconds) may have landed meanwhile and set the row's ETag, and a
	 * local row written after that hid it for good: once the wfile went,
	 * opens read the object pinned to ETag "" (EIO, t0635). */
	if (index_get(fs->ix, wf->ino, &e) == 0) {
		uint64_t ino;

		c = (struct index_child){ e.name, INDEX_FILE, e.key, a.size, "", a.mtime };
		pthread_mutex_lock(&w->lock);
		/* the journal has the upload: that is what close promises,
		 * and the row only shows its size meanwhile */
		if (wf->landed < v && index_put_local(fs->ix, e.parent, &c, &a, &ino))
			log_warn(LOG_FIELDS(LF_STR("key", e.key), LF_STR("error", index_errmsg())),
				 "index: %s", index_errmsg());
		pthread_mutex_unlock(&w->lock);
		index_entry_release(&e);
	}
	return rc;
}

void writer_wake(struct lmfs *fs)
{
	struct writer *w = fs->writer;

	pthread_mutex_lock(&w->lock);
	pthread_cond_broadcast(&w->changed);
	pthread_mutex_unlock(&w->lock);
}

int writer_fsync(struct lmfs *fs, struct wfile *wf, const int *stop)
{
	struct writer *w = fs->writer;
	time_t last = time(NULL);
	uint64_t target, seen;
	unsigned fails;
	int rc = writer_flush(fs, wf);

	if (rc)
		return rc;
	pthread_mutex_lock(&w->lock);
	w->urgent++;
	wf->syncing++;
	pthread_cond_broadcast(&w->work);
	target = wf->queued > wf->version ? wf->version : wf->queued;
	seen = wf->landed;
	fails = wf->fails;
	while (wf->landed < target && !wf->unlinked) {
		if (stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE)) {
			rc = -EINTR;
			break;
		}
		if (wf->landed != seen) {
			seen = wf->landed;
			fails = wf->fails;
			last = time(NULL);
		}
		/* note 1 */
		if (time(NULL) - last > (time_t)fs->cfg->io_timeout &&
		    (!wf->uploading || wf->fails != fails)) {
			rc = -EIO;
			break;
		}
		wait_changed(w);
	}
	w->urgent--;
	wf->syncing--;
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int writer_wait_key(struct lmfs *fs, int tree, const char *key, int prefix)
{
	struct writer *w = fs->writer;
	const struct config_tree *t = lmfs_tree(fs, tree);
	const char *source = t ? fs->cfg->sources[t->source].name : "";
	time_t last = time(NULL);
	int n, before = -1;

	pthread_mutex_lock(&w->lock);
	w->urgent++;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	for (;;) {
		n = journal_pending(w->j, source, key, prefix);
		if (n <= 0)
			break;
		if (n != before) {
			before = n;
			last = time(NULL);
		}
		if (time(NULL) - last > (time_t)fs->cfg->io_timeout)
			break;
		pthread_mutex_lock(&w->lock);
		wait_changed(w);
		pthread_mutex_unlock(&w->lock);
	}
	pthread_mutex_lock(&w->lock);
	w->urgent--;
	pthread_mutex_unlock(&w->lock);
	return n < 0 || n > 0 ? -EIO : 0;
}

void writer_stats(struct lmfs *fs, struct writer_stats *out)
{
	struct writer *w = fs->writer;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	*out = w->st;
	out->dirty = 0;
	out->uploading = 0;
	for (i = 0; i < WRITER_BUCKETS; i++) {
		struct wfile *wf;

		for (wf = w->buckets[i]; wf; wf = wf->next) {
			out->dirty += wf->landed < wf->version;
			out->uploading += (uint64_t)wf->uploading;
		}
	}
	pthread_mutex_unlock(&w->lock);
	out->journal = (uint64_t)(journal_count(w->j) > 0 ? journal_count(w->j) : 0);
}

/* ---- start and stop ---- */

static int adopt_one(void *arg, const struct journal_op *op)
{
	struct writer *w = arg;

	if (op->kind == JOURNAL_PUT && op->staged && *op->staged)
		wfile_adopt(w, strtoull(op->staged, NULL, 10),
			    upload_tree_of(w->fs, op->source, op->key), op->key);
	return 0;
}

int writer_start(struct lmfs *fs, char *err, size_t errlen)
{
	struct writer *w = calloc(1, sizeof(*w));
	char path[4096];
	int64_t n;

	if (!w || asprintf(&w->staging, "%s/staging", fs->cfg->cache_dir) < 0) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->fs = fs;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->changed, NULL);
	pthread_cond_init(&w->hash_work, NULL);
	fs->writer = w;
	if (mkdir(w->staging, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "cannot make '%s': %s", w->staging, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/journal.db", fs->cfg->cache_dir);
	if (journal_open(path, &w->j, err, errlen))
		return -1;
	n = journal_count(w->j);
	if (n > 0) {
		log_info(LOG_FIELDS(LF_INT("changes", n)),
			 "journal: %lld changes from an earlier run to apply", (long long)n);
		journal_each(w->j, adopt_one, w);
		writer_replay_index(w);
	}
	writer_replay_staged(w);
	if (whash_start(w) || upload_start(w, UPLOADERS)) {
		snprintf(err, errlen, "cannot start the uploaders");
		return -1;
	}
	return 0;
}

void writer_stop(struct lmfs *fs, unsigned wait_s)
{
	struct writer *w = fs->writer;
	time_t start = time(NULL), last = start, said = start;
	int64_t n, before = -1;
	size_t i;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->urgent++;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	while (w->j && (n = journal_count(w->j)) > 0) {
		time_t now = time(NULL);

		if (n != before) {
			before = n;
			last = now;
		}
		if (now - said >= 5) {
			log_info(LOG_FIELDS(LF_INT("changes", n)),
				 "unmount: %lld changes still to upload", (long long)n);
			said = now;
		}
		if (now - last > (time_t)fs->cfg->io_timeout || now - start > (time_t)wait_s) {
			log_warn(LOG_FIELDS(LF_INT("changes", n)),
				 "unmount: the endpoint does not take the changes; %lld stay in "
				 "the journal for the next mount", (long long)n);
			break;
		}
		pthread_mutex_lock(&w->lock);
		wait_changed(w);
		pthread_mutex_unlock(&w->lock);
	}
	whash_stop(w);
	if (w->threads)
		upload_stop(w);
	for (i = 0; i < WRITER_BUCKETS; i++) {
		while (w->buckets[i]) {
			struct wfile *wf = w->buckets[i];

			/* keep staging files the journal still names */
			w->buckets[i] = wf->next;
			wfile_destroy(wf);
		}
	}
	if (w->j)
		journal_close(w->j);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->changed);
	pthread_cond_destroy(&w->hash_work);
	pthread_mutex_destroy(&w->lock);
	free(w->staging);
	free(w);
	fs->writer = NULL;
}
