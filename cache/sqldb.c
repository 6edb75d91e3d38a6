/*
 * sqldb: the SQLite plumbing the index and the journal share (sqldb.h).
 */
#include "sqldb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int sqldb_query_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

int sqldb_full(sqlite3 *db)
{
	int rc = sqlite3_extended_errcode(db), sys = sqlite3_system_errno(db);

	return (rc & 0xff) == SQLITE_FULL ||
	       ((rc & 0xff) == SQLITE_IOERR && (sys == ENOSPC || sys == EDQUOT));
}

int sqldb_open(const char *path, int busy_ms, sqlite3 **db, const char **why)
{
	int fd;

	*why = NULL;
	/* Created 0600 here, since SQLite would take the umask's 0644; its
	 * -wal and -shm files copy the database's mode. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_db_readonly(*db, "main") == 1) {
		*why = "the file is read-only";
		return -1;
	}
	sqlite3_busy_timeout(*db, busy_ms);
	return 0;
}

int sqldb_identify(sqlite3 *db, int64_t *app, int64_t *ver, int *fresh)
{
	int64_t nobj = 0;
	int rc;

	*app = *ver = 0;
	rc = sqldb_query_int(db, "PRAGMA application_id", app);
	if (rc == SQLITE_OK)
		rc = sqldb_query_int(db, "PRAGMA user_version", ver);
	if (rc == SQLITE_OK)
		rc = sqldb_query_int(db, "SELECT count(*) FROM sqlite_master", &nobj);
	*fresh = rc == SQLITE_OK && !nobj;
	return rc;
}

int sqldb_wal(sqlite3 *db, const char *pragmas, const char **why)
{
	int64_t wal = 0;

	*why = NULL;
	if (sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    sqldb_query_int(db, "SELECT journal_mode = 'wal' FROM pragma_journal_mode",
			    &wal) != SQLITE_OK)
		return -1;
	if (!wal) {
		*why = "cannot use WAL mode there (a network filesystem?);"
		       " choose a local cache directory";
		return -1;
	}
	return 0;
}

int sqldb_create(sqlite3 *db, const char *schema, int app, int ver)
{
	char *sql = sqlite3_mprintf(schema, app, ver);
	int rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;

	sqlite3_free(sql);
	if (rc != SQLITE_OK && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : -1;
}

int sqldb_prepare(sqlite3 *db, const char *const *sql, sqlite3_stmt **st, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st[i],
				       NULL) != SQLITE_OK)
			return -1;
	return 0;
}

void sqldb_finalize(sqlite3_stmt **st, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		sqlite3_finalize(st[i]);
		st[i] = NULL;
	}
}

void sqldb_open_err(sqlite3 *db, const char *what, const char *path, const char *why,
		    char *err, size_t errlen)
{
	int sys = !why && db ? sqlite3_system_errno(db) : 0;

	if (!why)
		why = db ? sqlite3_errmsg(db) : "out of memory";
	snprintf(err, errlen, "cannot open %s '%s': %s%s%s%s", what, path, why,
		 sys ? " (" : "", sys ? strerror(sys) : "", sys ? ")" : "");
}

void sqldb_mutex_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t ma;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(m, &ma);
	pthread_mutexattr_destroy(&ma);
}
