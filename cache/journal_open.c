/*
 * journal_open: opening the journal file -- checking whose it is and which
 * version it has, creating the schema, setting the pragmas -- preparing the
 * statements, and closing.  The rules are journal.c's design notes 1
 * (schema), 6 (WAL, synchronous) and 8 (open).
 */
#include "journal_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JL_VERSION 1
#define JL_APP_ID 0x4c4d4a4c		/* "LMJL" */
#define JL_BUSY_MS 5000			/* another process's read */

/* Note 1; jl_create gives the %d's the app id and version. */
static const char jl_schema[] =
	"BEGIN IMMEDIATE;"
	"CREATE TABLE ops(id INTEGER PRIMARY KEY AUTOINCREMENT, kind INTEGER NOT NULL,"
	" source TEXT NOT NULL, key TEXT NOT NULL,"
	" src_source TEXT NOT NULL DEFAULT '', src_key TEXT NOT NULL DEFAULT '',"
	" src_etag TEXT NOT NULL DEFAULT '', staged TEXT NOT NULL DEFAULT '',"
	" size INTEGER NOT NULL DEFAULT 0, sha256 TEXT NOT NULL DEFAULT '',"
	" mode INTEGER NOT NULL DEFAULT 0, uid INTEGER NOT NULL DEFAULT 0,"
	" gid INTEGER NOT NULL DEFAULT 0, mtime INTEGER NOT NULL DEFAULT 0,"
	" tries INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '',"
	" created INTEGER NOT NULL);"
	"CREATE INDEX ops_path ON ops(source, key);"
	"CREATE INDEX ops_src ON ops(src_source, src_key);"
	"PRAGMA application_id = %d; PRAGMA user_version = %d;"
	"COMMIT;";

static int jl_query_int(sqlite3 *db, const char *sql, int64_t *v)
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

/* The message of a failed open: why, or SQLite's (and the system's). */
static void jl_open_err(struct journal *j, char *err, size_t errlen, const char *why)
{
	int sys = !why && j->db ? sqlite3_system_errno(j->db) : 0;

	if (!why)
		why = j->db ? sqlite3_errmsg(j->db) : "out of memory";
	snprintf(err, errlen, "cannot open journal '%s': %s%s%s%s", j->path, why,
		 sys ? " (" : "", sys ? strerror(sys) : "", sys ? ")" : "");
}

/* Is the file ours (note 8)?  0 (*fresh when it is new), or -1 with err
 * set when it is to be left alone. */
static int jl_check(struct journal *j, int *fresh, char *err, size_t errlen)
{
	const char *why = NULL;
	int64_t app = 0, ver = 0, nobj = 0;
	char buf[192];
	int rc;

	rc = jl_query_int(j->db, "PRAGMA application_id", &app);
	if (rc == SQLITE_OK)
		rc = jl_query_int(j->db, "PRAGMA user_version", &ver);
	if (rc == SQLITE_OK)
		rc = jl_query_int(j->db, "SELECT count(*) FROM sqlite_master", &nobj);
	*fresh = rc == SQLITE_OK && !nobj;
	if (rc == SQLITE_OK && (*fresh || (app == JL_APP_ID && ver == JL_VERSION)))
		return 0;
	if (rc == SQLITE_NOTADB) {
		why = "the file is not an SQLite database;"
			" move it away or choose another cache directory";
	} else if ((rc == SQLITE_OK || rc == SQLITE_CORRUPT) && app != JL_APP_ID) {
		why = "the file is not a lakemount journal (another program's database,"
			" or damaged); move it away or choose another cache directory";
	} else if (rc == SQLITE_CORRUPT) {
		why = "the journal is damaged (writes not yet uploaded may be lost);"
			" move it away to start a new one";
	} else if (rc == SQLITE_OK) {
		snprintf(buf, sizeof(buf), "the journal has version %lld and this lakemount"
			 " reads version %d; let the lakemount that wrote it upload it",
			 (long long)ver, JL_VERSION);
		why = buf;
	}
	jl_open_err(j, err, errlen, why);
	return -1;
}

static int jl_create(struct journal *j)
{
	char *sql = sqlite3_mprintf(jl_schema, JL_APP_ID, JL_VERSION);
	int rc = sql ? sqlite3_exec(j->db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;

	sqlite3_free(sql);
	if (rc != SQLITE_OK && !sqlite3_get_autocommit(j->db))
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : -1;
}

/* Open the file, check it, create it if new, and set it up. */
static int jl_open_db(struct journal *j, char *err, size_t errlen)
{
	const char *why = NULL;
	int64_t wal = 0;
	int fresh;

	if (sqlite3_open_v2(j->path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto fail;
	why = "the file is read-only";
	if (sqlite3_db_readonly(j->db, "main") == 1)
		goto fail;
	sqlite3_busy_timeout(j->db, JL_BUSY_MS);
	if (jl_check(j, &fresh, err, errlen))
		return -1;
	why = NULL;
	if (sqlite3_exec(j->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    jl_query_int(j->db, "SELECT journal_mode = 'wal' FROM pragma_journal_mode",
			 &wal) != SQLITE_OK)
		goto fail;
	j->sync_full = 1;
	why = "cannot use WAL mode there (a network filesystem?);"
		" choose a local cache directory";
	if (!wal)
		goto fail;
	why = NULL;
	if ((fresh && jl_create(j)) ||
	    sqlite3_create_function(j->db, "claimed", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, j,
				    jl_claimed_fn, NULL, NULL) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	jl_open_err(j, err, errlen, why);
	return -1;
}

int journal_open(const char *path, struct journal **out, char *err, size_t errlen)
{
	struct journal *j = calloc(1, sizeof(*j));
	pthread_mutexattr_t ma;
	int i;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (!j || !(j->path = strdup(path))) {
		snprintf(err, errlen, "cannot open journal '%s': out of memory", path);
		free(j);
		return -1;
	}
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&j->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	j->stale = 1;			/* the first claim builds the ready set */
	if (jl_open_db(j, err, errlen))
		goto fail;
	for (i = 0; i < ST__N; i++) {
		if (sqlite3_prepare_v3(j->db, jl_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &j->st[i], NULL) != SQLITE_OK) {
			jl_open_err(j, err, errlen, NULL);
			goto fail;
		}
	}
	*out = j;
	return 0;
fail:
	journal_close(j);
	return -1;
}

void journal_close(struct journal *j)
{
	int i;

	if (!j)
		return;
	for (i = 0; i < ST__N; i++)
		sqlite3_finalize(j->st[i]);
	sqlite3_close(j->db);
	pthread_mutex_destroy(&j->lock);
	free(j->claims.v);
	free(j->ready.v);
	free(j->path);
	free(j);
}
