/*
 * index_local: the write path's rows in the index (index.h, "the write
 * path").  The design notes are index.c's; what is particular here:
 *
 *  L1. A local row is one this mount made or changed and has not yet seen
 *      land in S3: a created file, a mkdir'd directory, a renamed entry.
 *      It is pinned (seen = SEEN_PINNED, note 7), so listings neither
 *      remove it (the object may not be there yet) nor rewrite it (the
 *      local size and time are the truth).  index_unpin hands the row back
 *      to listings once the journal has applied what made it local, in a
 *      new generation: listings begun before that cannot rewrite it.
 *  L2. index_move keeps the inode number (open files follow a rename) and
 *      rewrites the keys of everything under a moved directory in the same
 *      transaction.  Those rows are local too (pinned) until their copies
 *      land: a listing of the new prefix before that (after a remount), or
 *      one of the old prefix still running, would remove them (t0610).
 *  L3. content: at most one row per (tree, key); a lookup by (sha256,
 *      size) may find several, the caller picks one it can copy from.
 */
#include "index_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A local row is pinned (note L1): ix_bind_child with SEEN_PINNED, plus
 * ?10..?12 mode, uid, gid. */
static void bind_local(struct index *ix, enum ix_stmt id, uint64_t parent, int tree,
		       const struct index_child *c, const struct index_attr *a)
{
	sqlite3_stmt *st = ix->st[id];

	ix_bind_child(ix, id, parent, tree, c, SEEN_PINNED);
	sqlite3_bind_int64(st, 10, a ? a->mode : 0);
	sqlite3_bind_int64(st, 11, a ? a->uid : -1);
	sqlite3_bind_int64(st, 12, a ? a->gid : -1);
}

int index_put_local(struct index *ix, uint64_t parent, const struct index_child *c,
		    const struct index_attr *a, uint64_t *ino)
{
	int64_t got = 0;
	uint64_t gen;
	int tree, rc = -1;

	*ino = 0;
	if (!ix_child_ok(c) || ix_start(ix))
		return -1;
	if (ix_dir(ix, parent, &tree, &gen))
		goto out;
	bind_local(ix, ST_LOCAL_UPDATE, parent, tree, c, a);
	if (ix_run_get(ix, ST_LOCAL_UPDATE, "store a local row", &got, 1))
		goto out;
	if (!got) {
		/* none, or one of the other kind: that one goes (note 3) */
		if (ix_rm(ix, parent, c->name, 0))
			goto out;
		bind_local(ix, ST_LOCAL_INSERT, parent, tree, c, a);
		if (ix_run_get(ix, ST_LOCAL_INSERT, "store a local row", &got, 1))
			goto out;
	}
	*ino = (uint64_t)got;
	rc = got ? 0 : -1;
	if (rc)
		ix_failf("index '%s': no row for '%s'", ix->path, c->name);
out:
	return ix_finish(ix, rc);
}

int index_set_attr(struct index *ix, uint64_t ino, const struct index_attr *a)
{
	sqlite3_stmt *st = ix->st[ST_SET_ATTR];

	if (ix_start(ix))
		return -1;
	ix_bind_id(st, 1, ino);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)a->size);
	ix_bind_str(st, 3, a->etag);
	sqlite3_bind_int64(st, 4, a->mtime);
	sqlite3_bind_int64(st, 5, a->mode);
	sqlite3_bind_int64(st, 6, a->uid);
	sqlite3_bind_int64(st, 7, a->gid);
	return ix_finish(ix, ix_run(ix, ST_SET_ATTR, "set attributes"));
}

int index_unpin(struct index *ix, uint64_t ino)
{
	struct index_entry e;
	uint64_t gen;
	int tree, rc;

	if (ix_start(ix))
		return -1;
	rc = ix_fetch(ix, ino, NULL, &e, NULL);
	if (rc == 0 && e.parent) {
		/* a generation of its own (index.c note 7) */
		ix_bind_id(ix->st[ST_UNPIN_GEN], 1, e.parent);
		rc = ix_run(ix, ST_UNPIN_GEN, "unpin");
		if (!rc)
			rc = ix_dir(ix, e.parent, &tree, &gen);
		if (!rc) {
			ix_bind_id(ix->st[ST_UNPIN], 1, ino);
			sqlite3_bind_int64(ix->st[ST_UNPIN], 2, (sqlite3_int64)gen);
			rc = ix_run(ix, ST_UNPIN, "unpin");
		}
	}
	index_entry_release(&e);
	return ix_finish(ix, rc < 0 ? -1 : 0);
}

int index_move(struct index *ix, uint64_t ino, uint64_t newparent, const char *newname,
	       const char *newkey)
{
	struct index_entry e, in_way;
	uint64_t gen;
	int tree, rc;

	if (!ix_name_ok(newname)) {
		ix_failf("index: '%s' cannot be a name", newname ? newname : "(null)");
		return -1;
	}
	if (ix_start(ix))
		return -1;
	rc = ix_fetch(ix, ino, NULL, &e, NULL);
	if (rc == 0)
		rc = ix_dir(ix, newparent, &tree, &gen);
	if (rc == 0 && ix_fetch(ix, newparent, newname, &in_way, NULL) == 0) {
		if (in_way.ino != ino)
			rc = ix_rm(ix, newparent, newname, 0);
		index_entry_release(&in_way);
	}
	if (rc == 0) {
		sqlite3_stmt *st = ix->st[ST_MOVE];

		ix_bind_id(st, 1, ino);
		ix_bind_id(st, 2, newparent);
		ix_bind_str(st, 3, newname);
		ix_bind_str(st, 4, newkey);
		sqlite3_bind_int(st, 5, tree);
		rc = ix_run(ix, ST_MOVE, "move");
	}
	if (rc == 0 && e.kind == INDEX_DIR) {
		sqlite3_stmt *st = ix->st[ST_MOVE_SUB];

		ix_bind_id(st, 1, ino);
		ix_bind_str(st, 2, newkey);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)strlen(e.key));
		sqlite3_bind_int(st, 4, tree);
		rc = ix_run(ix, ST_MOVE_SUB, "move a subtree");
	}
	if (rc > 0)
		ix_failf("index '%s': no entry %llu to move", ix->path, (unsigned long long)ino);
	index_entry_release(&e);
	return ix_finish(ix, rc ? -1 : 0);
}

int index_find_key(struct index *ix, int tree, const char *key, struct index_entry *e)
{
	sqlite3_stmt *st = ix->st[ST_FIND_KEY];
	int rc, ret = -1;

	memset(e, 0, sizeof(*e));
	if (ix_lock(ix))
		return -1;
	sqlite3_bind_int(st, 1, tree);
	ix_bind_str(st, 2, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = ix_row(st, e, 1, NULL);
	else if (rc == SQLITE_DONE)
		ret = 1;
	else
		ix_dberr(ix, "find a key");
	ix_done(st);
	pthread_mutex_unlock(&ix->lock);
	return ret;
}

int index_content_add(struct index *ix, const char *sha256, uint64_t size, int tree,
		      const char *key, const char *etag)
{
	sqlite3_stmt *st = ix->st[ST_CONTENT_ADD];

	if (ix_lock(ix))
		return -1;
	ix_bind_str(st, 1, sha256);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
	sqlite3_bind_int(st, 3, tree);
	ix_bind_str(st, 4, key);
	ix_bind_str(st, 5, etag);
	if (ix_run(ix, ST_CONTENT_ADD, "remember a checksum")) {
		pthread_mutex_unlock(&ix->lock);
		return -1;
	}
	pthread_mutex_unlock(&ix->lock);
	return 0;
}

int index_content_find(struct index *ix, const char *sha256, uint64_t size,
		       int (*usable)(void *arg, int tree, const char *key), void *arg, struct index_source *out)
{
	sqlite3_stmt *st = ix->st[ST_CONTENT_FIND];
	int rc, ret = 1;

	memset(out, 0, sizeof(*out));
	if (ix_lock(ix))
		return -1;
	ix_bind_str(st, 1, sha256);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int tree = sqlite3_column_int(st, 0);
		const char *key = (const char *)sqlite3_column_text(st, 1);
		const char *etag = (const char *)sqlite3_column_text(st, 2);

		if (!key || !etag || !usable(arg, tree, key))
			continue;
		out->tree = tree;
		out->key = strdup(key);
		snprintf(out->etag, sizeof(out->etag), "%s", etag);
		ret = out->key ? 0 : -1;
		if (ret)
			ix_failf("index: out of memory");
		break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		ix_dberr(ix, "find a checksum");
		ret = -1;
	}
	ix_done(st);
	pthread_mutex_unlock(&ix->lock);
	return ret;
}

int index_content_of(struct index *ix, int tree, const char *key, const char *etag,
		     char sha256[65])
{
	sqlite3_stmt *st = ix->st[ST_CONTENT_OF];
	int rc, ret = 1;

	sha256[0] = '\0';
	if (ix_lock(ix))
		return -1;
	sqlite3_bind_int(st, 1, tree);
	ix_bind_str(st, 2, key);
	ix_bind_str(st, 3, etag);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		snprintf(sha256, 65, "%s", (const char *)sqlite3_column_text(st, 0));
		ret = 0;
	} else if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		ix_dberr(ix, "read a checksum");
		ret = -1;
	}
	ix_done(st);
	pthread_mutex_unlock(&ix->lock);
	return ret;
}
