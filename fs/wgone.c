/*
 * wgone: what S3 still has but the journal is deleting.
 *
 * Why: an unlink removes the row at once and journals a DELETE, which may
 * wait (behind a cp's COPY from the file, or the upload delay, or a
 * remount after a kill); a rename's DELETEs of the old keys wait for the
 * COPYs.  Meanwhile S3 still lists the key: a listing past the TTL, or a
 * lookup, brought the file (or the old directory) back, and after the
 * DELETE landed it went again (t0610's model found a deleted file listed
 * after a remount).
 *
 * What: a key whose newest op in the journal is a DELETE is left out of
 * listings and lookups.  A prefix (a directory) is left out when the
 * journal deletes keys under it and every key S3 has under it is such a
 * key: one recursive listing, asked only when DELETEs under it wait.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lmfs.h"
#include "wnames.h"
#include "writer.h"

static const char *source_of(struct lmfs *fs, int tree)
{
	return fs->cfg->sources[fs->cfg->tree[tree].source].name;
}

struct alive {
	struct lmfs *fs;
	const char *source;
	int found;
};

static int count_alive(void *arg, const struct s3_list_entry *le)
{
	struct alive *a = arg;

	if (journal_deleting(writer_journal(a->fs), a->source, le->key, 0) != 1)
		a->found = 1;
	return a->found;	/* one is enough: stop */
}

int wn_gone(struct lmfs *fs, int tree, const char *key, int prefix)
{
	struct alive a = { fs, NULL, 0 };
	struct s3_list_params lp = { key, NULL, NULL, NULL, 1000 };
	struct xml_list_result res = { 0 };
	struct s3_error err;
	char *token = NULL;
	int pages = 0, rc;

	if (tree < 0 || !lmfs_tree(fs, tree) || lmfs_tree(fs, tree)->readonly)
		return 0;
	a.source = source_of(fs, tree);
	if (!prefix)
		return journal_deleting(writer_journal(fs), a.source, key, 0) == 1;
	if (journal_deleting(writer_journal(fs), a.source, key, 1) <= 0)
		return 0;
	/* the listing stops at the first key left (fn returns 1: an error
	 * with found set), and after a few pages the prefix counts as there */
	do {
		lp.token = token;
		rc = s3_list(lmfs_client(fs, tree), &lp, count_alive, &a, &res, &err);
		free(token);
		token = res.next_token;
		res.next_token = NULL;
	} while (!rc && !a.found && res.truncated && token && ++pages < 10);
	free(token);
	return !rc && !a.found && !res.truncated;
}

size_t wn_hide_gone(struct lmfs *fs, int tree, const char *dir_key,
		    const struct index_child *c, size_t n, char *drop)
{
	size_t i, hidden = 0;

	if (tree < 0 || !lmfs_tree(fs, tree) || lmfs_tree(fs, tree)->readonly ||
	    journal_deleting(writer_journal(fs), source_of(fs, tree), dir_key, 1) <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (!drop[i] && wn_gone(fs, tree, c[i].key, c[i].kind == INDEX_DIR)) {
			drop[i] = 1;
			hidden++;
		}
	}
	return hidden;
}
