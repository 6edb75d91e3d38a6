/*
 * journal_int.h: what journal.c (the calls) and journal_open.c (open,
 * check, schema, close) share.  Private to those two files; callers use
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
	ST_TOUCH, ST_REKEY, ST_DROP, ST_COUNT, ST_PENDING, ST_PENDING_PREFIX, ST_DELETED_LATER, ST_EACH,
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
