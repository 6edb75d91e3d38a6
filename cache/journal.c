/*
 * journal: the write-back journal (see journal.h).
 *
 * Design notes
 *
 *  1. Schema (PRAGMA user_version JL_VERSION; PRAGMA application_id
 *     JL_APP_ID, "LMJL", not the index's "LMIX"); no NULLs:
 *       ops(id INTEGER PRIMARY KEY AUTOINCREMENT, kind, source, key,
 *           src_source, src_key, src_etag, staged, size, sha256,
 *           mode, uid, gid, mtime, tries, error, created)
 *         One op not yet done; kind an enum journal_kind, created seconds.
 *       index ops_path(source, key), index ops_src(src_source, src_key)
 *     (the DDL, with types and defaults, is jl_schema in journal_open.c).
 *     AUTOINCREMENT: ids are never reused, even once the newest row is
 *     gone, so a smaller id always means an older op.  Keys are never "",
 *     and src_key is "" but for a COPY (jl_op_ok).
 *
 *  2. States:
 *
 *        journal_add            journal_claim            journal_done
 *       -------------> pending ---------------> claimed --------------> done
 *                         ^                        |          (row deleted)
 *                         +---- journal_retry -----+
 *                              (tries + 1, error)
 *
 *     pending: a row; claimed: a row whose id is in j->claims, in memory,
 *     taken by one uploader; done: no row.  Claims are never stored: after
 *     a crash (or a close) every row is pending again and is replayed.
 *     Replay must be idempotent; that is the caller's business (PUT, COPY
 *     and DELETE of S3 are).
 *
 *  3. Order.  paths(op) = {(source,key)} plus (src_source,src_key) when
 *     src_key != "".  Two ops conflict when their paths meet.  An op is
 *     runnable when it is not claimed, created <= not_after, and no older
 *     row, pending or claimed, conflicts with it.  So per path ops apply in
 *     id order, a rename's DELETE of its source waits for the COPY from it,
 *     and unrelated keys run in parallel.  A retried op keeps its id, and
 *     so its place.  NOT_BLOCKED is the check in SQL: four EXISTS, each one
 *     index range (path, rowid < id).
 *
 *  4. The ready set (j->ready, in memory, by id) holds the unclaimed ops
 *     no older row conflicts with, and their created: a claim takes the
 *     first not delayed, and never looks at the ops blocked behind another
 *     (10,000 writes to one file cost nothing to the claims of others).
 *     It follows the table:
 *       add: the new row is the newest: it is ready unless another row has
 *         one of its paths (checked in the transaction, entered on commit);
 *       claim moves an op from ready to claims, retry moves it back (no
 *         older row can have appeared);
 *       done and drop_puts: a deleted row can only free, on each of its
 *         paths, the oldest row left there (the others wait for that one):
 *         those are checked (ST_HEAD) and entered on commit;
 *       rekey moves a lone PUT between paths no other op touches: nothing
 *         changes.
 *     It is built from the table (ST_READY_ALL) by the first claim after
 *     the open, and after any failure that may have left it wrong
 *     (j->stale).
 *
 *  5. journal_rekey moves a PUT that alone touches `from` to a path no op
 *     touches, unless it may have run (tries > 0, or from an earlier run:
 *     S3 may hold its object under `from` already), and journal_drop_puts
 *     keeps a PUT or META that a later COPY reads: neither changes the
 *     order of two conflicting ops.
 *
 *  6. Durability: WAL.  add, rekey, drop_puts, unlink and rename commit
 *     with synchronous FULL: the WAL is synced before the call returns, so
 *     a journal_add that returned survives a power cut.  done and retry commit with
 *     NORMAL (no sync per op): a power cut may undo them, which only
 *     replays an op (note 2); the next FULL commit or checkpoint syncs them
 *     too, since the WAL is synced whole and in order.
 *
 *  7. Locking: one connection, one error-checking mutex (j->lock) that
 *     guards the connection, its statements, the claims and the ready set,
 *     held by each call throughout, so a call from a journal_each callback
 *     fails instead of deadlocking.  Statements are reset before the lock
 *     is let go.  Writes of several statements are BEGIN IMMEDIATE ..
 *     COMMIT.  One process uses a journal (claims are its memory); the busy
 *     timeout covers another's reads.
 *
 *  8. Open: a new file gets the schema.  Our file at JL_VERSION is used.
 *     Anything else fails the open and is left alone: no SQLite database,
 *     another program's, damaged, or another version (never rebuilt: the
 *     journal holds writes not yet uploaded).
 *
 *  9. An unlink and a rename are each one transaction (journal_unlink,
 *     journal_rename): a crash leaves all of their ops or none.  Dropping
 *     a file's PUTs and adding its DELETE apart, a kill between them lost
 *     an overwrite that close had acknowledged (the object in S3 stayed
 *     old); a rename over a file that deleted the file first, then copied,
 *     lost the file it replaced though the rename never returned (t0610).
 *     A rename over a file adds no DELETE of the target: the copy (or the
 *     PUT rekeyed onto it) replaces the object whole.
 *
 * journal_open.c opens, checks and closes the file and holds the schema
 * (notes 1, 6, 8); journal_order.c keeps the claims and the ready set
 * (notes 2, 4); journal_names.c has the calls of unlink and rename
 * (notes 5, 9); journal_int.h has what the four files share.
 */
#include "journal_int.h"
#include "sqldb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* An older row (p) with a path of candidate o's (note 3). */
#define OLDER(pc, oc) " EXISTS (SELECT 1 FROM ops AS p WHERE p." pc "source = o." oc \
	"source AND p." pc "key = o." oc "key AND p.id < o.id)"
#define NOT_BLOCKED " NOT" OLDER("", "") " AND NOT" OLDER("src_", "") " AND (o.src_key = ''" \
	" OR (NOT" OLDER("", "src_") " AND NOT" OLDER("src_", "src_") "))"

const char *const jl_sql[ST__N] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SYNC_FULL] = "PRAGMA synchronous = FULL",
	[ST_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
	[ST_INSERT] = "INSERT INTO ops(kind, source, key, src_source, src_key, src_etag,"
		" staged, size, sha256, mode, uid, gid, mtime, created)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
	/* claimed() is jl_claimed_fn. */
	[ST_READY_ID] = "SELECT o.id, o.created FROM ops AS o WHERE o.id = ?1 AND" NOT_BLOCKED,
	[ST_READY_ALL] = "SELECT o.id, o.created FROM ops AS o WHERE NOT claimed(o.id) AND"
		NOT_BLOCKED " ORDER BY o.id",
	/* The oldest row with path (?1,?2), if it is ready. */
	[ST_HEAD] = "SELECT o.id, o.created FROM ops AS o WHERE o.id = (SELECT min(m) FROM"
		" (SELECT min(id) AS m FROM ops WHERE source = ?1 AND key = ?2 UNION ALL"
		" SELECT min(id) FROM ops WHERE src_source = ?1 AND src_key = ?2))"
		" AND NOT claimed(o.id) AND" NOT_BLOCKED,
	[ST_GET] = "SELECT " OP_COLS " FROM ops WHERE id = ?1",
	[ST_DONE] = "DELETE FROM ops WHERE id = ?1 RETURNING source, key, src_source, src_key",
	[ST_RETRY] = "UPDATE ops SET tries = tries + 1, error = ?2 WHERE id = ?1"
		" RETURNING created",
	[ST_TOUCH] = "SELECT id, kind, tries FROM ops WHERE source = ?1 AND key = ?2 UNION"
		" SELECT id, kind, tries FROM ops WHERE src_source = ?1 AND src_key = ?2 LIMIT 2",
	[ST_REKEY] = "UPDATE ops SET key = ?2 WHERE id = ?1",
	[ST_DROP] = "DELETE FROM ops WHERE source = ?1 AND key = ?2 AND kind IN (1, 4)"
		" AND NOT claimed(id) AND NOT EXISTS (SELECT 1 FROM ops AS c"
		" WHERE c.src_source = ?1 AND c.src_key = ?2 AND c.id > ops.id) RETURNING id",
	[ST_COUNT] = "SELECT count(*) FROM ops",
	[ST_PENDING] = "SELECT count(*) FROM ops WHERE (source = ?1 AND key = ?2)"
		" OR (src_source = ?1 AND src_key = ?2 AND src_key <> '')",
	/* ?3 is the first string after all those starting with ?2, or a blob
	 * (any TEXT sorts before any BLOB) when there is none. */
	[ST_PENDING_PREFIX] = "SELECT count(*) FROM ops"
		" WHERE (source = ?1 AND key >= ?2 AND key < ?3)"
		" OR (src_source = ?1 AND src_key >= ?2 AND src_key < ?3 AND src_key <> '')",
	[ST_REPLACED_LATER] = "SELECT count(*) FROM ops WHERE source = ?1 AND key = ?2"
		" AND id > ?3 AND kind IN (2, 3)",	/* JOURNAL_COPY, JOURNAL_DELETE */
	[ST_EACH] = "SELECT " OP_COLS " FROM ops ORDER BY id",
	/* 1 when the newest op writing (?1,?2) is a DELETE */
	[ST_DELETING] = "SELECT count(*) FROM (SELECT kind FROM ops WHERE source = ?1"
		" AND key = ?2 ORDER BY id DESC LIMIT 1) WHERE kind = 3",
	[ST_WAITING] = "SELECT count(*) FROM ops WHERE source = ?1 AND key = ?2"
		" AND NOT claimed(id)",
	[ST_DELETES_UNDER] = "SELECT count(*) FROM ops WHERE source = ?1 AND key >= ?2"
		" AND key < ?3 AND kind = 3",
};

/* The last failure of this thread's calls, for journal_errmsg(). */
static __thread char jl_errbuf[512];
static __thread int jl_nospace;

int journal_err_nospace(void)
{
	return jl_nospace;
}

const char *journal_errmsg(struct journal *j)
{
	(void)j;
	return jl_errbuf;
}

void jl_failf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(jl_errbuf, sizeof(jl_errbuf), fmt, ap);
	va_end(ap);
	jl_nospace = 0;
}

void jl_dberr(struct journal *j, const char *what)
{
	jl_failf("journal '%s': %s: %s", j->path, what, sqlite3_errmsg(j->db));
	jl_nospace = sqldb_full(j->db);
}

int jl_lock(struct journal *j)
{
	int rc = pthread_mutex_lock(&j->lock);

	if (rc)
		jl_failf("journal '%s': cannot lock: %s", j->path, rc != EDEADLK ? strerror(rc) :
			 "called from inside a journal_each callback");
	return rc ? -1 : 0;
}

void jl_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Run a bound statement to its end (ignoring rows) and reset it. */
int jl_run(struct journal *j, enum jl_stmt id, const char *what)
{
	sqlite3_stmt *st = j->st[id];
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		jl_dberr(j, what);
	jl_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Run a bound count(*) into *v and reset it: 0 or -1. */
static int jl_count(struct journal *j, enum jl_stmt id, int64_t *v)
{
	sqlite3_stmt *st = j->st[id];
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	else
		jl_dberr(j, "count");
	jl_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Open a write transaction, synchronous FULL or NORMAL for its commit
 * (note 6).  The lock is held. */
int jl_begin(struct journal *j, int full)
{
	if (j->sync_full != full) {
		if (jl_run(j, full ? ST_SYNC_FULL : ST_SYNC_NORMAL, "set synchronous"))
			return -1;
		j->sync_full = full;
	}
	return jl_run(j, ST_BEGIN, "begin");
}

/* End what jl_begin began: commit if rc >= 0, else roll back (unless an
 * error already did).  Returns rc, or -1 if the commit failed. */
int jl_end(struct journal *j, int rc)
{
	if (rc >= 0 && jl_run(j, ST_COMMIT, "commit"))
		rc = -1;
	if (rc < 0 && !sqlite3_get_autocommit(j->db))
		jl_run(j, ST_ROLLBACK, "rollback");
	return rc;
}

void jl_bind_str(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_STATIC);
}

/* ---- ops ---- */

void journal_op_release(struct journal_op *op)
{
	if (!op)
		return;
	free(op->source);
	free(op->key);
	free(op->src_source);
	free(op->src_key);
	free(op->src_etag);
	free(op->staged);
	free(op->error);
	memset(op, 0, sizeof(*op));
}

/* Fill op from the current row of st (OP_COLS).  With copy the strings
 * are op's own; without, they are st's until its next step or reset.
 * Returns 0, or -1 out of memory (op then zeroed). */
static int jl_row(sqlite3_stmt *st, struct journal_op *op, int copy)
{
	static const int col[7] = { 2, 3, 4, 5, 6, 7, 15 };
	char **dst[7] = { &op->source, &op->key, &op->src_source, &op->src_key,
			  &op->src_etag, &op->staged, &op->error };
	const char *s;
	int i;

	memset(op, 0, sizeof(*op));
	for (i = 0; i < 7; i++) {
		s = (const char *)sqlite3_column_text(st, col[i]);
		if (!s || !(*dst[i] = copy ? strdup(s) : (char *)s))
			goto fail;
	}
	if (!(s = (const char *)sqlite3_column_text(st, 9)))
		goto fail;
	snprintf(op->sha256, sizeof(op->sha256), "%s", s);
	op->id = sqlite3_column_int64(st, 0);
	op->kind = (enum journal_kind)sqlite3_column_int(st, 1);
	op->size = (uint64_t)sqlite3_column_int64(st, 8);
	op->mode = (uint32_t)sqlite3_column_int64(st, 10);
	op->uid = (uint32_t)sqlite3_column_int64(st, 11);
	op->gid = (uint32_t)sqlite3_column_int64(st, 12);
	op->mtime = sqlite3_column_int64(st, 13);
	op->tries = sqlite3_column_int(st, 14);
	op->created = sqlite3_column_int64(st, 16);
	return 0;
fail:
	if (copy)
		journal_op_release(op);
	memset(op, 0, sizeof(*op));
	jl_failf("journal: out of memory reading an op");
	return -1;
}

/* Can op be stored (note 1)? */
int jl_op_ok(const struct journal_op *op)
{
	int copy = op->kind == JOURNAL_COPY, src = op->src_key && *op->src_key;
	const char *why = NULL;

	if (op->kind < JOURNAL_PUT || op->kind > JOURNAL_META)
		why = "an unknown kind";
	else if (!op->key || !*op->key)
		why = "an empty key";
	else if (copy != src)
		why = copy ? "a copy without a source key" : "a source key but no copy";
	if (why)
		jl_failf("journal: cannot add an op with %s (kind %d, key '%s')", why,
			 (int)op->kind, op->key ? op->key : "");
	return !why;
}

/* Insert op, then see whether it is ready (note 4): 1 with *e, 0, -1. */
int jl_insert(struct journal *j, const struct journal_op *op, int64_t now,
		     int64_t *id, struct jl_ent *e)
{
	sqlite3_stmt *st = j->st[ST_INSERT];

	sqlite3_bind_int(st, 1, op->kind);
	jl_bind_str(st, 2, op->source);
	jl_bind_str(st, 3, op->key);
	jl_bind_str(st, 4, op->src_source);
	jl_bind_str(st, 5, op->src_key);
	jl_bind_str(st, 6, op->src_etag);
	jl_bind_str(st, 7, op->staged);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)op->size);
	sqlite3_bind_text(st, 9, op->sha256, (int)strnlen(op->sha256, sizeof(op->sha256) - 1),
			  SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, op->mode);
	sqlite3_bind_int64(st, 11, op->uid);
	sqlite3_bind_int64(st, 12, op->gid);
	sqlite3_bind_int64(st, 13, op->mtime);
	sqlite3_bind_int64(st, 14, now);
	if (jl_run(j, ST_INSERT, "add"))
		return -1;
	*id = sqlite3_last_insert_rowid(j->db);
	return jl_ready_new(j, *id, e);
}

int journal_add(struct journal *j, const struct journal_op *ops, size_t n, int64_t *ids)
{
	int64_t now = (int64_t)time(NULL), id = 0;
	size_t i, k = 0;
	int rc = 0;

	for (i = 0; i < n; i++)
		if (!jl_op_ok(&ops[i]))
			return -1;
	if (!n)
		return 0;
	if (jl_lock(j))
		return -1;
	if (jl_set_reserve(j, &j->ready, n) || jl_begin(j, 1)) {
		rc = -1;
		goto out;
	}
	/* New ids are the largest: the ready ones go at the end, on commit. */
	for (i = 0; rc >= 0 && i < n; i++) {
		rc = jl_insert(j, &ops[i], now, &id, &j->ready.v[j->ready.n + k]);
		k += rc == 1;
		if (ids)
			ids[i] = id;
	}
	rc = jl_end(j, rc < 0 ? -1 : 0);
	if (!rc)
		j->ready.n += k;
out:
	pthread_mutex_unlock(&j->lock);
	return rc;
}

int journal_claim(struct journal *j, int64_t not_after, struct journal_op *op)
{
	sqlite3_stmt *st = j->st[ST_GET];
	struct jl_ent e;
	size_t i;
	int rc, ret = -1;

	memset(op, 0, sizeof(*op));
	if (jl_lock(j))
		return -1;
	if ((j->stale && jl_rebuild(j)) || jl_set_reserve(j, &j->claims, 1))
		goto out;
	for (i = 0; i < j->ready.n && j->ready.v[i].created > not_after; i++)
		;
	ret = 0;
	if (i == j->ready.n)
		goto out;
	e = j->ready.v[i];
	sqlite3_bind_int64(st, 1, e.id);
	rc = sqlite3_step(st);
	ret = rc == SQLITE_ROW && !jl_row(st, op, 1) ? 1 : -1;
	if (ret == 1) {
		jl_set_del(&j->ready, e.id);
		jl_set_put(&j->claims, e);
	} else if (rc == SQLITE_DONE) {
		jl_failf("journal '%s': op %lld is gone", j->path, (long long)e.id);
		j->stale = 1;
	} else if (rc != SQLITE_ROW) {
		jl_dberr(j, "claim");
	}
	jl_reset(st);
out:
	pthread_mutex_unlock(&j->lock);
	return ret;
}

/* Delete claimed op id; the heads of its paths may become ready (note 4). */
static int jl_done(struct journal *j, int64_t id)
{
	sqlite3_stmt *st = j->st[ST_DONE];
	struct jl_ent head[2];
	const char *src, *key;
	int i, r, nh = 0, rc = -1;

	if (jl_set_reserve(j, &j->ready, 2) || jl_begin(j, 0))
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		/* The row's strings stay valid until st's next step. */
		for (i = 0, rc = 0; !rc && i < 2; i++) {
			src = (const char *)sqlite3_column_text(st, 2 * i);
			key = (const char *)sqlite3_column_text(st, 2 * i + 1);
			r = src && key ? (*key ? jl_head(j, src, key, &head[nh]) : 0) : -1;
			rc = r < 0 ? -1 : 0;
			nh += r > 0;
		}
		if (!rc && sqlite3_step(st) != SQLITE_DONE)
			rc = -1;
	}
	if (rc && r == SQLITE_DONE)
		jl_failf("journal '%s': op %lld is gone", j->path, (long long)id);
	else if (rc)
		jl_dberr(j, "done");
	jl_reset(st);
	rc = jl_end(j, rc);
	for (i = 0; !rc && i < nh; i++)
		jl_set_put(&j->ready, head[i]);
	return rc;
}

/* Put claimed op id back, with its error: it is ready again (note 4). */
static int jl_retry(struct journal *j, int64_t id, const char *error)
{
	sqlite3_stmt *st = j->st[ST_RETRY];
	struct jl_ent e = { id, 0 };
	int rc = -1;

	if (jl_set_reserve(j, &j->ready, 1) || jl_begin(j, 0))
		return -1;
	sqlite3_bind_int64(st, 1, id);
	jl_bind_str(st, 2, error);
	if (sqlite3_step(st) == SQLITE_ROW) {
		e.created = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	}
	if (rc)
		jl_dberr(j, "retry");
	jl_reset(st);
	rc = jl_end(j, rc);
	if (!rc)
		jl_set_put(&j->ready, e);
	return rc;
}

/* journal_done (error NULL) and journal_retry: the claim goes only if the
 * change was stored. */
static int jl_end_claim(struct journal *j, int64_t id, const char *error)
{
	int rc = -1;

	if (jl_lock(j))
		return -1;
	if (!jl_set_has(&j->claims, id))
		jl_failf("journal '%s': op %lld is not claimed", j->path, (long long)id);
	else if (!(rc = error ? jl_retry(j, id, error) : jl_done(j, id)))
		jl_set_del(&j->claims, id);
	pthread_mutex_unlock(&j->lock);
	return rc;
}

int journal_done(struct journal *j, int64_t id)
{
	return jl_end_claim(j, id, NULL);
}

int journal_retry(struct journal *j, int64_t id, const char *error)
{
	return jl_end_claim(j, id, error ? error : "");
}

/* ---- reads ---- */

int journal_replaced_later(struct journal *j, int64_t id, const char *source, const char *key)
{
	sqlite3_stmt *st = j->st[ST_REPLACED_LATER];
	int64_t n = -1;

	if (jl_lock(j))
		return -1;
	jl_bind_str(st, 1, source);
	jl_bind_str(st, 2, key);
	sqlite3_bind_int64(st, 3, id);
	if (jl_count(j, ST_REPLACED_LATER, &n))
		n = -1;
	pthread_mutex_unlock(&j->lock);
	return n < 0 ? -1 : n > 0;
}

int64_t journal_count(struct journal *j)
{
	int64_t n = -1;

	if (jl_lock(j))
		return -1;
	if (jl_count(j, ST_COUNT, &n))
		n = -1;
	pthread_mutex_unlock(&j->lock);
	return n;
}

/* The first string after all those that start with p (byte order), in a
 * malloc'd buffer of *len bytes: p cut after its last byte below 0xff,
 * that byte plus one.  NULL with *len 0 when there is none (p is "" or
 * all 0xff bytes); NULL with *len 1 when out of memory. */
static char *prefix_end(const char *p, size_t *len)
{
	size_t n = strlen(p);
	char *s;

	while (n && (unsigned char)p[n - 1] == 0xff)
		n--;
	*len = n;
	if (!n)
		return NULL;
	if (!(s = malloc(n))) {
		*len = 1;
		return NULL;
	}
	memcpy(s, p, n);
	s[n - 1] = (char)((unsigned char)s[n - 1] + 1);
	return s;
}

/* A count of statement id bound to (source, key), and for a prefix
 * statement the end of the prefix's range. */
static int jl_count_key(struct journal *j, enum jl_stmt id, const char *source, const char *key,
			int prefix)
{
	size_t endlen = 0;
	char *end = NULL;
	int64_t n = -1;

	key = key ? key : "";
	if (prefix && !(end = prefix_end(key, &endlen)) && endlen) {
		jl_failf("journal: out of memory");
		return -1;
	}
	if (jl_lock(j))
		goto out;
	jl_bind_str(j->st[id], 1, source);
	jl_bind_str(j->st[id], 2, key);
	if (end)
		sqlite3_bind_text(j->st[id], 3, end, (int)endlen, SQLITE_STATIC);
	else if (prefix)
		sqlite3_bind_zeroblob(j->st[id], 3, 0);
	if (jl_count(j, id, &n))
		n = -1;
	pthread_mutex_unlock(&j->lock);
out:
	free(end);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

int journal_pending(struct journal *j, const char *source, const char *key, int prefix)
{
	return jl_count_key(j, prefix ? ST_PENDING_PREFIX : ST_PENDING, source, key, prefix);
}

int journal_waiting(struct journal *j, const char *source, const char *key)
{
	return jl_count_key(j, ST_WAITING, source, key, 0);
}

int journal_deleting(struct journal *j, const char *source, const char *key, int prefix)
{
	return jl_count_key(j, prefix ? ST_DELETES_UNDER : ST_DELETING, source, key, prefix);
}

int journal_each(struct journal *j, int (*fn)(void *arg, const struct journal_op *op),
		 void *arg)
{
	sqlite3_stmt *st = j->st[ST_EACH];
	struct journal_op op;
	int rc, ret = -1;

	if (jl_lock(j))
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (jl_row(st, &op, 0))
			goto out;
		if (fn(arg, &op))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		jl_dberr(j, "each");
		goto out;
	}
	ret = 0;
out:
	jl_reset(st);
	pthread_mutex_unlock(&j->lock);
	return ret;
}
