/*
 * index_int.h: what index.c (the queries), index_list.c (listings) and
 * index_open.c (open, check, rebuild, schema, close) share.  Private to
 * those files; callers use index.h.  The design notes are at the top of
 * index.c.
 */
#ifndef LM_INDEX_INT_H
#define LM_INDEX_INT_H

#include "index.h"

#include <pthread.h>
#include <sqlite3.h>

#define SEEN_PINNED INT64_MAX
#define SEEN_PINNED_SQL "9223372036854775807"

/* ST_INSERT_BATCH: IX_BATCH rows of ST_INSERT_NEW in one statement */
#define IX_BATCH 32
#define IX_ROW9 "(?,?,?,?,?,?,?,?,?)"
#define IX_ROWS4 IX_ROW9 "," IX_ROW9 "," IX_ROW9 "," IX_ROW9
#define IX_ROWS16 IX_ROWS4 "," IX_ROWS4 "," IX_ROWS4 "," IX_ROWS4
#define IX_ROWS32 IX_ROWS16 "," IX_ROWS16

#define ENTRY_COLS "ino, parent, name, kind, tree, key, size, etag, mtime, seen, mode, uid, gid"

enum ix_stmt {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_GET, ST_LOOKUP, ST_READDIR, ST_COUNT, ST_COUNT_ALL,
	ST_UPDATE, ST_INSERT, ST_INSERT_NEW, ST_INSERT_BATCH, ST_ANY_IN, ST_PIN, ST_RM_NAME, ST_RM_STALE,
	ST_DIR_STATE, ST_DIR_BEGIN, ST_DIR_END, ST_DIR_FORGET,
	ST_META_GET, ST_META_SET,
	/* index_local.c's */
	ST_LOCAL_UPDATE, ST_LOCAL_INSERT, ST_SET_ATTR, ST_UNPIN, ST_UNPIN_GEN, ST_MOVE, ST_MOVE_SUB,
	ST_FIND_KEY, ST_CONTENT_ADD, ST_CONTENT_FIND, ST_CONTENT_OF,
	ST__N
};

/* Helpers of index.c that index_local.c uses too. */
void ix_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ix_dberr(struct index *ix, const char *what);
int ix_lock(struct index *ix);
void ix_done(sqlite3_stmt *st);
int ix_run(struct index *ix, enum ix_stmt id, const char *what);
int ix_run_get(struct index *ix, enum ix_stmt id, const char *what, int64_t *cols, int n);
int ix_start(struct index *ix);
int ix_finish(struct index *ix, int rc);
void ix_bind_id(sqlite3_stmt *st, int i, uint64_t v);
void ix_bind_str(sqlite3_stmt *st, int i, const char *s);
int ix_name_ok(const char *name);
/* Bind ?1..?9: parent, c's name, kind, tree, key, size, etag, mtime, seen. */
void ix_bind_child(struct index *ix, enum ix_stmt id, uint64_t parent, int tree,
		   const struct index_child *c, int64_t seen);
/* The same at ?(at+1)..?(at+9), for a row of ST_INSERT_BATCH. */
void ix_bind_child_at(sqlite3_stmt *st, int at, uint64_t parent, int tree,
		      const struct index_child *c, int64_t seen);
int ix_child_ok(const struct index_child *c);
int ix_row(sqlite3_stmt *st, struct index_entry *e, int copy, int64_t *seen);
int ix_fetch(struct index *ix, uint64_t id, const char *name, struct index_entry *e,
	     int64_t *seen);
int ix_dir(struct index *ix, uint64_t dir, int *tree, uint64_t *gen);
int ix_rm(struct index *ix, uint64_t parent, const char *name, int64_t gen);
/* Insert or update child c of parent (index.c, notes 3 and 7): *ino its
 * row's number, *plain 0 when the row was replaced or left alone. */
int ix_upsert(struct index *ix, uint64_t parent, int tree, const struct index_child *c,
	      int64_t seen, uint64_t *ino, int *plain);

/* The text of each statement (index.c), prepared by index_open. */
extern const char *const ix_sql[ST__N];

struct index {
	pthread_mutex_t lock;		/* guards db and st (note 9) */
	sqlite3 *db;
	sqlite3_stmt *st[ST__N];
	char *path;			/* for messages */
};

#endif
