/*
 * journal_open: opening the journal file -- checking whose it is and which
 * version it has, creating the schema, setting the pragmas -- preparing the
 * statements, and closing.  The rules are journal.c's design notes 1
 * (schema), 6 (WAL, synchronous) and 8 (open).
 */
#include "journal_int.h"
#include "sqldb.h"

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

/* The message of a failed open: why, or SQLite's (and the system's). */
static void jl_open_err(struct journal *j, char *err, size_t errlen, const char *why)
{
	sqldb_open_err(j->db, "journal", j->path, why, err, errlen);
}

/* Is the file ours (note 8)?  0 (*fresh when it is new), or -1 with err
 * set when it is to be left alone. */
static int jl_check(struct journal *j, int *fresh, char *err, size_t errlen)
{
	const char *why = NULL;
	int64_t app, ver;
	char buf[192];
	int rc = sqldb_identify(j->db, &app, &ver, fresh);

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

/* Open the file, check it, create it if new, and set it up. */
static int jl_open_db(struct journal *j, char *err, size_t errlen)
{
	const char *why = NULL;
	int fresh;

	if (sqldb_open(j->path, JL_BUSY_MS, &j->db, &why))
		goto fail;
	if (jl_check(j, &fresh, err, errlen))
		return -1;
	if (sqldb_wal(j->db, "PRAGMA synchronous = FULL", &why))
		goto fail;
	j->sync_full = 1;
	if ((fresh && sqldb_create(j->db, jl_schema, JL_APP_ID, JL_VERSION)) ||
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

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (!j || !(j->path = strdup(path))) {
		snprintf(err, errlen, "cannot open journal '%s': out of memory", path);
		free(j);
		return -1;
	}
	sqldb_mutex_init(&j->lock);
	j->stale = 1;			/* the first claim builds the ready set */
	if (jl_open_db(j, err, errlen))
		goto fail;
	if (sqldb_prepare(j->db, jl_sql, j->st, ST__N)) {
		jl_open_err(j, err, errlen, NULL);
		goto fail;
	}
	if (sqldb_query_int(j->db, "SELECT COALESCE(MAX(id), 0) FROM ops", &j->earlier) !=
	    SQLITE_OK) {
		jl_open_err(j, err, errlen, NULL);
		goto fail;
	}
	*out = j;
	return 0;
fail:
	journal_close(j);
	return -1;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	sqldb_finalize(j->st, ST__N);
	sqlite3_close(j->db);
	pthread_mutex_destroy(&j->lock);
	free(j->claims.v);
	free(j->ready.v);
	free(j->path);
	free(j);
}
