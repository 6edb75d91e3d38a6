/*
 * wrekey: the wfile side of renames (writer.h): a file's key changes, a
 * directory's files follow its prefix, a PUT moved to the new key.  The
 * rules are at the top of writer_int.h.
 */
#include "writer_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int writer_rekey(struct lmfs *fs, struct wfile *wf, int tree, const char *key)
{
	char *k = strdup(key);

	if (!k)
		return -ENOMEM;
	pthread_mutex_lock(&fs->writer->lock);
	free(wf->key);
	wf->key = k;
	wf->tree = tree;
	pthread_mutex_unlock(&fs->writer->lock);
	return 0;
}

void writer_put_moved(struct lmfs *fs, struct wfile *wf)
{
	pthread_mutex_lock(&fs->writer->lock);
	wf->landed = 0;
	pthread_mutex_unlock(&fs->writer->lock);
}

void writer_rekey_prefix(struct lmfs *fs, int tree, const char *old, const char *new_)
{
	struct writer *w = fs->writer;
	size_t olen = strlen(old), i;

	pthread_mutex_lock(&w->lock);
	for (i = 0; i < WRITER_BUCKETS; i++) {
		struct wfile *wf;

		for (wf = w->buckets[i]; wf; wf = wf->next) {
			char *k;

			if (wf->tree != tree || strncmp(wf->key, old, olen))
				continue;
			if (asprintf(&k, "%s%s", new_, wf->key + olen) < 0)
				continue;
			free(wf->key);
			wf->key = k;
		}
	}
	pthread_mutex_unlock(&w->lock);
}

void writer_renamed(struct lmfs *fs, struct wfile *wf)
{
	pthread_mutex_lock(&fs->writer->lock);
	wf->renames++;
	pthread_mutex_unlock(&fs->writer->lock);
}

void writer_rename_landed(struct writer *w, const struct journal_op *op)
{
	uint64_t ino = op->staged ? strtoull(op->staged, NULL, 10) : 0;
	struct wfile *wf;

	if (!ino || (op->src_etag && *op->src_etag))
		return;
	pthread_mutex_lock(&w->lock);
	wf = wfile_lookup(w, ino);
	if (wf && wf->renames) {
		wf->renames--;
		wfile_ref(wf);
		wfile_unref(w, wf);	/* it goes now if nothing else holds it */
		pthread_cond_broadcast(&w->changed);
	}
	pthread_mutex_unlock(&w->lock);
}
