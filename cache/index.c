/*
 * index: the SQLite index behind the mounted tree (see index.h).
 *
 * Design notes
 *
 *  1. Schema (PRAGMA user_version IX_VERSION; PRAGMA application_id
 *     IX_APP_ID, "LMIX", to know another program's file); no NULLs:
 *       entries(ino INTEGER PRIMARY KEY AUTOINCREMENT, parent, name, kind,
 *               tree, key, size, etag, mtime, seen, UNIQUE(parent, name))
 *         A name the filesystem knows; ino is its inode number, kind an
 *         enum index_kind, tree the config tree (-1: none), key the S3 key
 *         or prefix, mtime seconds, seen a generation (note 7).
 *       dirs(ino INTEGER PRIMARY KEY, complete, listed_at, gen)
 *         The listing state of directory entries.ino; none: never listed.
 *               mode, uid, gid: what chmod/chown set here (0 / -1: the
 *               defaults); INDEX (tree, key)
 *       content(sha256, size, tree, key, etag, PRIMARY KEY(tree, key))
 *         Objects whose sha256 is known (a sidecar CHECKSUM that matched,
 *         or our own upload): an upload of equal content becomes a copy.
 *       meta(name TEXT PRIMARY KEY, value) WITHOUT ROWID
 *       trigger entries_rm: deleting a row deletes its children and its
 *         dirs row, and so, recursively, its whole subtree.
 *
 *  2. The root row (ino 1, parent 0, name "", a directory, tree -1, key "")
 *     comes with the schema; nothing removes it.
 *
 *  3. Inode numbers are never reused: AUTOINCREMENT remembers the largest
 *     ever handed out (sqlite_sequence), even once its row is gone.  A row
 *     keeps its number while it lives (updates are upserts).  A name that
 *     changes kind gets a new row and number: an inode must not change type.
 *
 *  4. A row's parent is a directory row with a smaller ino (checked before
 *     children are written; numbers only grow): no cycles, so entries_rm
 *     ends.  It needs PRAGMA recursive_triggers (set at open); S3 keys
 *     (<= 1,024 bytes) nest at most 512 deep, below SQLite's 1,000 limit.
 *
 *  5. Names are one path component (not "", ".", "..", no '/'), stored byte
 *     for byte as TEXT, compared by the BINARY collation: memcmp, the order
 *     S3 lists in.  readdir walks the UNIQUE(parent, name) index: no sort.
 *
 *  6. Children take their parent's tree.  When index_ensure_dir changes a
 *     directory's tree or key, or on index_forget, its listing goes: the
 *     children (but skeleton ones) with their subtrees, and its dirs row.
 *
 *  7. Generations.  dirs.gen counts the listings begun on a directory;
 *     entries.seen is the newest generation that vouched for a row: a page
 *     stores its gen (never lowering seen), a put the directory's current
 *     gen.  end(gen) removes the children with seen < gen, so a child stays
 *     when this listing saw it, or a newer listing or a lookup since it
 *     began did: listings of one directory may overlap.  Skeleton rows
 *     (index_ensure_dir) have seen = SEEN_PINNED: listings never remove
 *     them, pages and puts never rewrite them.  Local rows (the write
 *     path's, index_local.c: files and directories made here and not yet
 *     uploaded) are pinned the same way until index_unpin, which begins a
 *     generation of its own for the row: a page or lookup of an older
 *     generation was asked of S3 before the upload landed and may carry
 *     the object before it (an empty file cp made, the older version), so
 *     it no longer rewrites the row's size, ETag and mtime (it still
 *     vouches for the row).  t0610 under load found rows reading empty.
 *
 *  8. complete is set by end and kept by puts and removes: a lookup that
 *     adds or removes a name keeps the listing as true as it was.
 *
 *  9. Locking: one connection, one error-checking mutex (ix->lock) held by
 *     each call throughout, so a call from an index_readdir callback fails
 *     instead of deadlocking.  Statements are reset before the lock is let
 *     go: no read transaction outlives a call (it would pin the WAL).
 *     Writes are BEGIN IMMEDIATE .. COMMIT; a listing page is one.
 *
 * 10. WAL, synchronous=NORMAL: a commit is atomic and survives a crash of
 *     the process; a power cut may lose the last few (they are relisted).
 *
 * 11. Open: a new file gets the schema.  Our file with another schema
 *     version, or whose schema is unreadable (damage), is emptied and
 *     rebuilt, and the open succeeds with a note in err.  A file that is no
 *     SQLite database, or another program's, is left alone: the open fails.
 *     Damage found later fails the call that meets it.
 *
 * 12. A listing page whose names all fall in a range with no rows (a first
 *     listing, page after page) inserts them as new, 32 to a statement;
 *     otherwise each name takes ix_upsert's steps (an UPDATE and an
 *     INSERT, each with RETURNING, for which SQLite builds a temporary
 *     table): skipping them took the daemon's CPU in a cold `ls -l` of
 *     6,000 keys from about 165 ms to about 100 ms.  A page with rows in
 *     its range is judged 32 names at a time the same way: the lookup
 *     that found the folder leaves its first key as a row, in the first
 *     page's range, and that page alone had cost 7.5 ms of CPU, not 1.7.
 *
 * index_open.c opens, checks, rebuilds and closes the file and holds the
 * schema (notes 1, 2, 10, 11 and the pragmas of note 4); index_list.c
 * begins, stores and ends listings (notes 7, 8, 12); index_local.c has the
 * write path's rows; index_int.h has what they share.
 *
 * Etags longer than INDEX_ETAG_MAX - 1 are stored whole but read back cut.
 */
#include "index_int.h"
#include "sqldb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ix_sql[ST__N] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_GET] = "SELECT " ENTRY_COLS " FROM entries WHERE ino = ?1",
	[ST_LOOKUP] = "SELECT " ENTRY_COLS " FROM entries WHERE parent = ?1 AND name = ?2",
	[ST_READDIR] = "SELECT " ENTRY_COLS " FROM entries WHERE parent = ?1 AND name > ?2"
		       " ORDER BY name LIMIT ?3",
	[ST_COUNT] = "SELECT count(*) FROM entries WHERE parent = ?1",
	[ST_COUNT_ALL] = "SELECT count(*) FROM entries",
	/* Not an upsert: an INSERT that meets a conflict still uses up an
	 * AUTOINCREMENT number, and relisting would burn thousands. */
	/* what a row says is older than the listing or lookup that vouched
	 * for it last stays (note 7) */
	[ST_UPDATE] = "UPDATE entries SET tree = ?4, key = ?5,"
		" size = CASE WHEN seen > ?9 THEN size ELSE ?6 END,"
		" etag = CASE WHEN seen > ?9 THEN etag ELSE ?7 END,"
		" mtime = CASE WHEN seen > ?9 THEN mtime ELSE ?8 END,"
		" seen = max(seen, ?9) WHERE parent = ?1 AND name = ?2"
		" AND kind = ?3 AND seen <> " SEEN_PINNED_SQL " RETURNING ino, mode, uid, gid",
	[ST_INSERT] = "INSERT INTO entries(parent, name, kind, tree, key, size, etag,"
		" mtime, seen) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
		" ON CONFLICT(parent, name) DO NOTHING RETURNING ino, mode, uid, gid",
	/* ST_INSERT for a page none of whose names has a row (note 12):
	 * RETURNING costs SQLite a temporary table per statement. */
	[ST_INSERT_NEW] = "INSERT INTO entries(parent, name, kind, tree, key, size, etag,"
		" mtime, seen) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
		" ON CONFLICT(parent, name) DO NOTHING",
	[ST_INSERT_BATCH] = "INSERT INTO entries(parent, name, kind, tree, key, size, etag,"
		" mtime, seen) VALUES " IX_ROWS32 " ON CONFLICT(parent, name) DO NOTHING",
	[ST_ANY_IN] = "SELECT count(*) FROM (SELECT 1 FROM entries WHERE parent = ?1"
		" AND name BETWEEN ?2 AND ?3 LIMIT 1)",
	[ST_PIN] = "UPDATE entries SET tree = ?2, key = ?3, seen = " SEEN_PINNED_SQL
		" WHERE ino = ?1",
	[ST_RM_NAME] = "DELETE FROM entries WHERE parent = ?1 AND name = ?2",
	[ST_RM_STALE] = "DELETE FROM entries WHERE parent = ?1 AND seen < ?2",
	[ST_DIR_STATE] = "SELECT complete, listed_at, gen FROM dirs WHERE ino = ?1",
	[ST_DIR_BEGIN] = "INSERT INTO dirs(ino, complete, listed_at, gen) VALUES(?1, 0, 0, 1)"
		" ON CONFLICT(ino) DO UPDATE SET gen = gen + 1",
	[ST_DIR_END] = "INSERT INTO dirs(ino, complete, listed_at, gen) VALUES(?1, 1, ?2, ?3)"
		" ON CONFLICT(ino) DO UPDATE SET complete = 1, listed_at = ?2,"
		" gen = max(gen, ?3)",
	[ST_DIR_FORGET] = "DELETE FROM dirs WHERE ino = ?1",
	[ST_META_GET] = "SELECT value FROM meta WHERE name = ?1",
	[ST_META_SET] = "INSERT INTO meta(name, value) VALUES(?1, ?2)"
		" ON CONFLICT(name) DO UPDATE SET value = excluded.value",
	/* index_local.c */
	[ST_LOCAL_UPDATE] = "UPDATE entries SET tree = ?4, key = ?5, size = ?6, etag = ?7,"
		" mtime = ?8, seen = ?9, mode = ?10, uid = ?11, gid = ?12"
		" WHERE parent = ?1 AND name = ?2 AND kind = ?3 RETURNING ino",
	[ST_LOCAL_INSERT] = "INSERT INTO entries(parent, name, kind, tree, key, size, etag,"
		" mtime, seen, mode, uid, gid) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
		" ?10, ?11, ?12) RETURNING ino",
	[ST_SET_ATTR] = "UPDATE entries SET size = ?2, etag = ?3, mtime = ?4, mode = ?5,"
		" uid = ?6, gid = ?7 WHERE ino = ?1",
	[ST_UNPIN] = "UPDATE entries SET seen = ?2 WHERE ino = ?1 AND seen = " SEEN_PINNED_SQL,
	[ST_UNPIN_GEN] = "UPDATE dirs SET gen = gen + 1 WHERE ino = ?1",
	[ST_MOVE] = "UPDATE entries SET parent = ?2, name = ?3, key = ?4, tree = ?5,"
		" seen = " SEEN_PINNED_SQL " WHERE ino = ?1",
	/* every row under ?1 (not ?1 itself): key = ?2 || what follows the
	 * old prefix (?3 bytes long), tree ?4 */
	[ST_MOVE_SUB] = "WITH RECURSIVE sub(i) AS (SELECT ino FROM entries WHERE parent = ?1"
		" UNION ALL SELECT e.ino FROM entries e JOIN sub ON e.parent = sub.i)"
		" UPDATE entries SET key = ?2 || substr(key, ?3 + 1), tree = ?4,"
		" seen = " SEEN_PINNED_SQL
		" WHERE ino IN (SELECT i FROM sub)",
	[ST_FIND_KEY] = "SELECT " ENTRY_COLS " FROM entries WHERE tree = ?1 AND key = ?2"
		" ORDER BY ino LIMIT 1",
	[ST_CONTENT_ADD] = "INSERT INTO content(sha256, size, tree, key, etag)"
		" VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(tree, key) DO UPDATE SET"
		" sha256 = excluded.sha256, size = excluded.size, etag = excluded.etag",
	[ST_CONTENT_FIND] = "SELECT tree, key, etag FROM content WHERE sha256 = ?1 AND size = ?2",
	[ST_CONTENT_OF] = "SELECT sha256 FROM content WHERE tree = ?1 AND key = ?2 AND etag = ?3",
};

/* The last failure of this thread's calls, for index_errmsg(). */
static __thread char ix_errbuf[512];
static __thread int ix_nospace;

const char *index_errmsg(void)
{
	return ix_errbuf;
}

int index_err_nospace(void)
{
	return ix_nospace;
}

void ix_failf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ix_errbuf, sizeof(ix_errbuf), fmt, ap);
	va_end(ap);
	ix_nospace = 0;
}

/* A statement failed: call before resetting it, under the lock. */
void ix_dberr(struct index *ix, const char *what)
{
	ix_failf("index '%s': %s: %s", ix->path, what, sqlite3_errmsg(ix->db));
	ix_nospace = sqldb_full(ix->db);
}

int ix_lock(struct index *ix)
{
	int rc = pthread_mutex_lock(&ix->lock);

	if (rc)
		ix_failf("index '%s': cannot lock: %s", ix->path, rc != EDEADLK ? strerror(rc) :
			 "called from inside an index_readdir callback");
	return rc ? -1 : 0;
}

void ix_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Run a statement to its end; cols[0..n-1] get the columns of its first
 * row (all 0 if it returned none). */
int ix_run_get(struct index *ix, enum ix_stmt id, const char *what, int64_t *cols, int n)
{
	sqlite3_stmt *st = ix->st[id];
	int rc, row = 0, i;

	for (i = 0; i < n; i++)
		cols[i] = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; !row && i < n; i++)
			cols[i] = sqlite3_column_int64(st, i);
		row = 1;
	}
	if (rc != SQLITE_DONE)
		ix_dberr(ix, what);
	ix_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int ix_run(struct index *ix, enum ix_stmt id, const char *what)
{
	sqlite3_stmt *st = ix->st[id];
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		ix_dberr(ix, what);
	ix_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Take the lock and open a write transaction: 0, or -1 with neither. */
int ix_start(struct index *ix)
{
	if (ix_lock(ix))
		return -1;
	if (!ix_run(ix, ST_BEGIN, "begin"))
		return 0;
	pthread_mutex_unlock(&ix->lock);
	return -1;
}

/* End what ix_start began: commit if rc is 0, else roll back (unless an
 * error already did).  Returns rc, or -1 if the commit failed. */
int ix_finish(struct index *ix, int rc)
{
	if (!rc)
		rc = ix_run(ix, ST_COMMIT, "commit");
	if (rc && !sqlite3_get_autocommit(ix->db))
		ix_run(ix, ST_ROLLBACK, "rollback");
	pthread_mutex_unlock(&ix->lock);
	return rc;
}

void ix_bind_id(sqlite3_stmt *st, int i, uint64_t v)
{
	sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

void ix_bind_str(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_STATIC);
}

int ix_name_ok(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

int ix_child_ok(const struct index_child *c)
{
	if (ix_name_ok(c->name) && (c->kind == INDEX_FILE || c->kind == INDEX_DIR))
		return 1;
	ix_failf("index: '%s' cannot be a name", c->name ? c->name : "(null)");
	return 0;
}

/* ---- rows ---- */

void index_entry_release(struct index_entry *e)
{
	if (!e)
		return;
	free(e->name);
	free(e->key);
	e->name = NULL;
	e->key = NULL;
}

int index_entry_copy(struct index_entry *dst, const struct index_entry *src)
{
	*dst = *src;
	dst->name = strdup(src->name ? src->name : "");
	dst->key = strdup(src->key ? src->key : "");
	if (dst->name && dst->key)
		return 0;
	index_entry_release(dst);
	return -1;
}

/* Fill e from the current row of st (ENTRY_COLS).  With copy the strings
 * are e's own; without, they are st's until its next step or reset.  Sets
 * *seen if not NULL.  Returns 0, or -1 out of memory (e then empty). */
int ix_row(sqlite3_stmt *st, struct index_entry *e, int copy, int64_t *seen)
{
	const char *name = (const char *)sqlite3_column_text(st, 2);
	const char *key = (const char *)sqlite3_column_text(st, 5);
	const char *etag = (const char *)sqlite3_column_text(st, 7);

	memset(e, 0, sizeof(*e));
	if (!name || !key || !etag)
		goto fail;
	e->ino = (uint64_t)sqlite3_column_int64(st, 0);
	e->parent = (uint64_t)sqlite3_column_int64(st, 1);
	e->kind = sqlite3_column_int(st, 3) == INDEX_DIR ? INDEX_DIR : INDEX_FILE;
	e->tree = sqlite3_column_int(st, 4);
	e->size = (uint64_t)sqlite3_column_int64(st, 6);
	snprintf(e->etag, sizeof(e->etag), "%s", etag);
	e->mtime = sqlite3_column_int64(st, 8);
	if (seen)
		*seen = sqlite3_column_int64(st, 9);
	e->mode = (uint32_t)sqlite3_column_int(st, 10);
	e->uid = sqlite3_column_int64(st, 11);
	e->gid = sqlite3_column_int64(st, 12);
	e->name = copy ? strdup(name) : (char *)name;
	e->key = copy ? strdup(key) : (char *)key;
	if (!e->name || !e->key)
		goto fail;
	return 0;
fail:
	if (copy)
		index_entry_release(e);
	memset(e, 0, sizeof(*e));
	ix_failf("index: out of memory reading a row");
	return -1;
}

/* One row of ST_GET (by ino) or, with name, ST_LOOKUP: 0 and e filled
 * (its own strings), 1 when there is none (e zeroed), -1 on error. */
int ix_fetch(struct index *ix, uint64_t id, const char *name,
		    struct index_entry *e, int64_t *seen)
{
	sqlite3_stmt *st = ix->st[name ? ST_LOOKUP : ST_GET];
	int rc, ret = -1;

	memset(e, 0, sizeof(*e));
	ix_bind_id(st, 1, id);
	if (name)
		ix_bind_str(st, 2, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = ix_row(st, e, 1, seen);
	else if (rc == SQLITE_DONE)
		ret = 1;
	else
		ix_dberr(ix, name ? "lookup" : "get");
	ix_done(st);
	return ret;
}

/* dir's listing state and gen; zeros when it has no dirs row.  0 or -1. */
static int ix_dir_state(struct index *ix, uint64_t dir, struct index_dirstate *ds,
			uint64_t *gen)
{
	sqlite3_stmt *st = ix->st[ST_DIR_STATE];
	int rc, row;

	ix_bind_id(st, 1, dir);
	rc = sqlite3_step(st);
	row = rc == SQLITE_ROW;
	ds->complete = row && sqlite3_column_int(st, 0);
	ds->listed_at = row ? sqlite3_column_int64(st, 1) : 0;
	*gen = row ? (uint64_t)sqlite3_column_int64(st, 2) : 0;
	if (!row && rc != SQLITE_DONE)
		ix_dberr(ix, "directory state");
	ix_done(st);
	return row || rc == SQLITE_DONE ? 0 : -1;
}

/* The tree and the current listing generation of directory dir.  Returns
 * 0, 1 when dir is no directory row (with a message), -1 on error. */
int ix_dir(struct index *ix, uint64_t dir, int *tree, uint64_t *gen)
{
	struct index_dirstate ds;
	struct index_entry e;
	int rc = ix_fetch(ix, dir, NULL, &e, NULL);

	if (rc == 0 && e.kind != INDEX_DIR)
		rc = 1;
	if (rc == 1)
		ix_failf("index '%s': no directory %llu", ix->path, (unsigned long long)dir);
	if (rc == 0 && ix_dir_state(ix, dir, &ds, gen))
		rc = -1;
	*tree = e.tree;
	index_entry_release(&e);
	return rc;
}

/* Remove, with their subtrees (entries_rm), the child `name` of parent or,
 * when name is NULL, the children of parent with seen < gen. */
int ix_rm(struct index *ix, uint64_t parent, const char *name, int64_t gen)
{
	enum ix_stmt id = name ? ST_RM_NAME : ST_RM_STALE;

	ix_bind_id(ix->st[id], 1, parent);
	if (name)
		ix_bind_str(ix->st[id], 2, name);
	else
		sqlite3_bind_int64(ix->st[id], 2, gen);
	return ix_run(ix, id, "remove");
}

/* Bind the nine parameters of ST_UPDATE and ST_INSERT. */
void ix_bind_child(struct index *ix, enum ix_stmt id, uint64_t parent, int tree,
		   const struct index_child *c, int64_t seen)
{
	ix_bind_child_at(ix->st[id], 0, parent, tree, c, seen);
}

void ix_bind_child_at(sqlite3_stmt *st, int at, uint64_t parent, int tree,
		      const struct index_child *c, int64_t seen)
{
	ix_bind_id(st, at + 1, parent);
	ix_bind_str(st, at + 2, c->name);
	sqlite3_bind_int(st, at + 3, c->kind);
	sqlite3_bind_int(st, at + 4, tree);
	ix_bind_str(st, at + 5, c->key);
	sqlite3_bind_int64(st, at + 6, (sqlite3_int64)c->size);
	ix_bind_str(st, at + 7, c->etag);
	sqlite3_bind_int64(st, at + 8, c->mtime);
	sqlite3_bind_int64(st, at + 9, seen);
}

/* Insert or update child c of parent, in a transaction (notes 3, 7):
 * update the row of that name and kind, else insert one, else the row in
 * the way is a skeleton one (left alone) or of the other kind (replaced). */
int ix_upsert(struct index *ix, uint64_t parent, int tree,
	      const struct index_child *c, int64_t seen, uint64_t *ino, int *plain)
{
	static const enum ix_stmt step[3] = { ST_UPDATE, ST_INSERT, ST_INSERT };
	struct index_entry old;
	int64_t old_seen = 0, got[4];
	int i, rc;

	*ino = 0;
	*plain = 0;
	for (i = 0; i < 3; i++) {
		ix_bind_child(ix, step[i], parent, tree, c, seen);
		if (ix_run_get(ix, step[i], "store", got, 4))
			return -1;
		if (got[0]) {
			/* ino, mode, uid, gid: "plain" when the row has no
			 * attributes of its own beyond what c says */
			*ino = (uint64_t)got[0];
			*plain = got[1] == 0 && got[2] == -1 && got[3] == -1;
			return 0;
		}
		if (i == 2)
			return 0;
		if (i == 1) {
			rc = ix_fetch(ix, parent, c->name, &old, &old_seen);
			index_entry_release(&old);
			if (rc || old_seen == SEEN_PINNED)
				return rc ? -1 : 0;
			if (ix_rm(ix, parent, c->name, 0))
				return -1;
		}
	}
	return 0;
}

/* ---- reads ---- */

/* index_get (name NULL) and index_lookup. */
static int ix_fetch_locked(struct index *ix, uint64_t id, const char *name,
			   struct index_entry *e)
{
	int rc;

	memset(e, 0, sizeof(*e));
	if (ix_lock(ix))
		return -1;
	rc = ix_fetch(ix, id, name, e, NULL);
	pthread_mutex_unlock(&ix->lock);
	return rc;
}

int index_lookup(struct index *ix, uint64_t parent, const char *name,
		 struct index_entry *e)
{
	return ix_fetch_locked(ix, parent, name ? name : "", e);
}

int index_get(struct index *ix, uint64_t ino, struct index_entry *e)
{
	return ix_fetch_locked(ix, ino, NULL, e);
}

int index_dir_state(struct index *ix, uint64_t dir, struct index_dirstate *st)
{
	uint64_t gen;
	int rc;

	memset(st, 0, sizeof(*st));
	if (ix_lock(ix))
		return -1;
	rc = ix_dir_state(ix, dir, st, &gen);
	pthread_mutex_unlock(&ix->lock);
	return rc;
}

int64_t index_readdir_after(struct index *ix, uint64_t dir, const char *after, int64_t max,
			    index_dir_fn fn, void *arg)
{
	sqlite3_stmt *st = ix->st[ST_READDIR];
	struct index_entry e;
	int64_t n = 0, ret = -1;
	int rc;

	if (ix_lock(ix))
		return -1;
	ix_bind_id(st, 1, dir);
	sqlite3_bind_text(st, 2, after, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (ix_row(st, &e, 0, NULL))
			goto out;
		n++;
		if (fn(arg, &e))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		ix_dberr(ix, "readdir");
		goto out;
	}
	ret = n;
out:
	ix_done(st);
	pthread_mutex_unlock(&ix->lock);
	return ret;
}

int index_readdir(struct index *ix, uint64_t dir, index_dir_fn fn, void *arg)
{
	/* (no child is named "") */
	return index_readdir_after(ix, dir, "", -1, fn, arg) < 0 ? -1 : 0;
}

int64_t index_count_children(struct index *ix, uint64_t dir)
{
	sqlite3_stmt *st = ix->st[dir ? ST_COUNT : ST_COUNT_ALL];
	int64_t n = -1;

	if (ix_lock(ix))
		return -1;
	if (dir)
		ix_bind_id(st, 1, dir);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		ix_dberr(ix, "count");
	ix_done(st);
	pthread_mutex_unlock(&ix->lock);
	return n;
}

/* ---- writes ---- */

/* Drop dir's listing (note 6), in a transaction. */
static int ix_forget(struct index *ix, uint64_t dir)
{
	ix_bind_id(ix->st[ST_DIR_FORGET], 1, dir);
	if (ix_run(ix, ST_DIR_FORGET, "forget listing"))
		return -1;
	return ix_rm(ix, dir, NULL, SEEN_PINNED);
}

int index_forget(struct index *ix, uint64_t dir)
{
	uint64_t gen;
	int tree, rc;

	if (ix_start(ix))
		return -1;
	rc = ix_dir(ix, dir, &tree, &gen);
	if (!rc)
		rc = ix_forget(ix, dir);
	return ix_finish(ix, rc);
}

/* parent 0 and name "" stand for the root itself. */
static int ix_ensure(struct index *ix, uint64_t parent, const char *name, int tree,
		     const char *key, uint64_t *ino)
{
	struct index_child d = { name, INDEX_DIR, key, 0, "", 0 };
	struct index_entry old;
	uint64_t gen;
	int ptree, rc = 0;

	if (((parent || *name) && ix_dir(ix, parent, &ptree, &gen)) ||
	    ix_fetch(ix, parent, name, &old, NULL) < 0)
		return -1;
	if (old.name && old.kind == INDEX_FILE)
		rc = ix_rm(ix, parent, name, 0);
	else if (old.name && (old.tree != tree || strcmp(old.key, key)))
		rc = ix_forget(ix, old.ino);
	if (!rc && old.name && old.kind == INDEX_DIR) {
		*ino = old.ino;
		ix_bind_id(ix->st[ST_PIN], 1, old.ino);
		sqlite3_bind_int(ix->st[ST_PIN], 2, tree);
		ix_bind_str(ix->st[ST_PIN], 3, key);
		rc = ix_run(ix, ST_PIN, "ensure directory");
	} else if (!rc) {
		ix_bind_child(ix, ST_INSERT, parent, tree, &d, SEEN_PINNED);
		rc = ix_run(ix, ST_INSERT, "ensure directory");
		*ino = (uint64_t)sqlite3_last_insert_rowid(ix->db);
	}
	index_entry_release(&old);
	return rc;
}

int index_ensure_dir(struct index *ix, uint64_t parent, const char *name, int tree,
		     const char *key, uint64_t *ino)
{
	*ino = 0;
	if (!(parent == 0 && name && !*name) && !ix_name_ok(name)) {
		ix_failf("index: '%s' cannot be a directory name", name ? name : "(null)");
		return -1;
	}
	if (ix_start(ix))
		return -1;
	if (ix_finish(ix, ix_ensure(ix, parent, name, tree, key ? key : "", ino))) {
		*ino = 0;
		return -1;
	}
	return 0;
}

int index_put(struct index *ix, uint64_t parent, const struct index_child *c,
	      uint64_t *ino)
{
	struct index_entry e = { 0 };
	uint64_t gen, id = 0;
	int tree, rc = -1, plain;

	if (ino)
		*ino = 0;
	if (!ix_child_ok(c) || ix_start(ix))
		return -1;
	if (!ix_dir(ix, parent, &tree, &gen) &&
	    !ix_upsert(ix, parent, tree, c, (int64_t)gen, &id, &plain)) {
		rc = 0;
		/* A skeleton row left alone: its number is still wanted. */
		if (ino && !id && !(rc = ix_fetch(ix, parent, c->name, &e, NULL) ? -1 : 0))
			id = e.ino;
	}
	rc = ix_finish(ix, rc);
	if (ino && !rc)
		*ino = id;
	index_entry_release(&e);
	return rc;
}

int index_remove(struct index *ix, uint64_t parent, const char *name)
{
	if (!parent) {
		ix_failf("index: the root cannot be removed");
		return -1;
	}
	if (ix_start(ix))
		return -1;
	return ix_finish(ix, ix_rm(ix, parent, name ? name : "", 0));
}

/* ---- meta ---- */

int index_meta_get(struct index *ix, const char *name, char *val, size_t vallen)
{
	sqlite3_stmt *st = ix->st[ST_META_GET];
	const char *v;
	int rc, ret = -1;

	if (vallen)
		val[0] = '\0';
	if (ix_lock(ix))
		return -1;
	ix_bind_str(st, 1, name);
	rc = sqlite3_step(st);
	v = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	if (v && vallen)
		snprintf(val, vallen, "%s", v);
	if (v)
		ret = 0;
	else if (rc == SQLITE_DONE)
		ret = 1;
	else
		ix_dberr(ix, "meta get");
	ix_done(st);
	pthread_mutex_unlock(&ix->lock);
	return ret;
}

int index_meta_set(struct index *ix, const char *name, const char *val)
{
	int rc;

	if (ix_lock(ix))
		return -1;
	ix_bind_str(ix->st[ST_META_SET], 1, name);
	ix_bind_str(ix->st[ST_META_SET], 2, val);
	rc = ix_run(ix, ST_META_SET, "meta set");
	pthread_mutex_unlock(&ix->lock);
	return rc;
}
