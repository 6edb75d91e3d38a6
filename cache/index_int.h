/*
 * index_int.h: what index.c (the queries) and index_open.c (open, check,
 * rebuild, schema, close) share.  Private to those two files; callers use
 * index.h.  The design notes are at the top of index.c.
 */
#ifndef LM_INDEX_INT_H
#define LM_INDEX_INT_H

#include "index.h"

#include <pthread.h>
#include <sqlite3.h>

#define SEEN_PINNED INT64_MAX
#define SEEN_PINNED_SQL "9223372036854775807"

#define ENTRY_COLS "ino, parent, name, kind, tree, key, size, etag, mtime, seen"

enum ix_stmt {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_GET, ST_LOOKUP, ST_READDIR, ST_COUNT, ST_COUNT_ALL,
	ST_UPDATE, ST_INSERT, ST_PIN, ST_RM_NAME, ST_RM_STALE,
	ST_DIR_STATE, ST_DIR_BEGIN, ST_DIR_END, ST_DIR_FORGET,
	ST_META_GET, ST_META_SET,
	ST__N
};

/* The text of each statement (index.c), prepared by index_open. */
extern const char *const ix_sql[ST__N];

struct index {
	pthread_mutex_t lock;		/* guards db and st (note 9) */
	sqlite3 *db;
	sqlite3_stmt *st[ST__N];
	char *path;			/* for messages */
};

#endif
