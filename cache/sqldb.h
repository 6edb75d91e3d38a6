/*
 * sqldb: how cache/'s SQLite files (the index, the journal) are opened,
 * identified, set up and closed, written once.  Each file's own rules (its
 * schema, what to do with a stranger's file) stay with its owner.
 */
#ifndef LM_SQLDB_H
#define LM_SQLDB_H

#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* The first column of the first row of sql; an SQLite result code. */
int sqldb_query_int(sqlite3 *db, const char *sql, int64_t *v);

/* Open path read-write, created if missing, without SQLite's own mutex
 * (callers hold theirs), waiting busy_ms for another process's lock.
 * 0, or -1 with *why set (NULL: SQLite's message says it). */
int sqldb_open(const char *path, int busy_ms, sqlite3 **db, const char **why);

/* The file's application_id and user_version, and whether it is new (no
 * schema yet): an SQLite result code (SQLITE_NOTADB, SQLITE_CORRUPT...). */
int sqldb_identify(sqlite3 *db, int64_t *app, int64_t *ver, int *fresh);

/* WAL mode plus pragmas (synchronous and such).  0, or -1 with *why. */
int sqldb_wal(sqlite3 *db, const char *pragmas, const char **why);

/* Run schema, an SQL text with two %d (application_id, user_version) that
 * makes its own transaction; rolled back on failure.  0 or -1. */
int sqldb_create(sqlite3 *db, const char *schema, int app, int ver);

/* Prepare n statements (persistent) / finalize them.  0 or -1. */
int sqldb_prepare(sqlite3 *db, const char *const *sql, sqlite3_stmt **st, int n);
void sqldb_finalize(sqlite3_stmt **st, int n);

/* "cannot open WHAT 'PATH': WHY", WHY defaulting to SQLite's message and
 * the system's error. */
void sqldb_open_err(sqlite3 *db, const char *what, const char *path, const char *why,
		    char *err, size_t errlen);

/* Did the last failed call on db fail for want of disk space (SQLITE_FULL,
 * or an I/O error whose system errno is ENOSPC or EDQUOT)?  The index and
 * the journal tell their callers, who answer ENOSPC rather than EIO. */
int sqldb_full(sqlite3 *db);

/* An error-checking mutex: a call from inside a callback fails instead of
 * deadlocking. */
void sqldb_mutex_init(pthread_mutex_t *m);

#endif
