/*
 * journal_int.h: what journal.c (the calls), journal_open.c (open,
 * check, schema, close), journal_order.c (the order) and journal_names.c
 * (unlink and rename) share.  Private to those files; callers use
 * journal.h.  The design notes are at the top of journal.c.
 */
#ifndef LM_JOURNAL_INT_H
#define LM_JOURNAL_INT_H

#include "journal.h"

#include <pthread.h>
#include <sqlite3.h>

#define OP_COLS "id, kind, source, key, src_source, src_key, src_etag, staged," \
	" size, sha256, mode, uid, gid, mtime, tries, error, created"

enum jl_stmt {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_SYNC_FULL, ST_SYNC_NORMAL,
	ST_INSERT, ST_READY_ID, ST_READY_ALL, ST_HEAD, ST_GET, ST_DONE, ST_RETRY,
	ST_TOUCH, ST_REKEY, ST_DROP, ST_COUNT, ST_PENDING, ST_PENDING_PREFIX, ST_REPLACED_LATER, ST_EACH,
	ST_DELETING, ST_DELETES_UNDER, ST_WAITING,
	ST__N
};

/* The text of each statement (journal.c), prepared by journal_open. */
extern const char *const jl_sql[ST__N];

/* A set of ops, sorted by id (journal.c's note 4). */
struct jl_ent {
	int64_t id, created;
};

struct jl_set {
	struct jl_ent *v;
	size_t n, cap;
};

struct journal {
	pthread_mutex_t lock;		/* guards all below (note 7) */
	sqlite3 *db;
	sqlite3_stmt *st[ST__N];
	struct jl_set claims;		/* claimed ops (note 2) */
	struct jl_set ready;		/* runnable but for delays (note 4) */
	int stale;			/* ready is to be rebuilt (note 4) */
	int sync_full;			/* synchronous is FULL now (note 6) */
	char *path;			/* for messages */
	int64_t earlier;		/* ops up to this id are from an earlier
					   run: they may have been done */
};

/* journal.c: errors (for journal_errmsg) and statements. */
void jl_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void jl_dberr(struct journal *j, const char *what);	/* before the reset */
void jl_reset(sqlite3_stmt *st);			/* and clear bindings */
void jl_bind_str(sqlite3_stmt *st, int i, const char *s);	/* NULL: "" */

/* journal.c, for journal_names.c: lock j (0, or -1 with a message); run
 * a bound statement to its end and reset it; open a write transaction
 * (synchronous FULL or NORMAL, note 6); end it (commit if rc >= 0, else
 * roll back; returns rc or -1); can op be stored (note 1)?  Insert op
 * (created now) and see whether it is ready: 1 with *e, 0, -1. */
int jl_lock(struct journal *j);
int jl_run(struct journal *j, enum jl_stmt id, const char *what);
int jl_begin(struct journal *j, int full);
int jl_end(struct journal *j, int rc);
int jl_op_ok(const struct journal_op *op);
int jl_insert(struct journal *j, const struct journal_op *op, int64_t now, int64_t *id,
	      struct jl_ent *e);

/* journal_order.c.  Sets: is id in s?  Room for extra more (0, or -1 out
 * of memory)?  Add e (room reserved; nothing if its id is there); delete
 * id (nothing if it is not there). */
int jl_set_has(const struct jl_set *s, int64_t id);
int jl_set_reserve(struct journal *j, struct jl_set *s, size_t extra);
void jl_set_put(struct jl_set *s, struct jl_ent e);
void jl_set_del(struct jl_set *s, int64_t id);
/* SQL claimed(id), registered by journal_open: is id in j->claims? */
void jl_claimed_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv);
/* Is the op id, just added, ready?  Is the oldest op on path (source,key)
 * ready?  1 with *e filled, 0 if not, -1 on error. */
int jl_ready_new(struct journal *j, int64_t id, struct jl_ent *e);
int jl_head(struct journal *j, const char *source, const char *key, struct jl_ent *e);
/* Build j->ready from the table and clear j->stale: 0, or -1 (stale). */
int jl_rebuild(struct journal *j);

#endif
