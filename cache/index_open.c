/*
 * index_open: opening the index file -- checking whose it is and which
 * schema version it has, emptying and rebuilding it when it is ours but
 * stale or damaged, creating the schema, setting the pragmas -- preparing
 * the statements, and closing.  The rules are index.c's design notes 1
 * (schema), 2 (root row), 4 (recursive_triggers), 10 (WAL) and 11 (open).
 */
#include "index_int.h"
#include "sqldb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IX_VERSION 2
#define IX_APP_ID 0x4c4d4958		/* "LMIX" */
#define IX_BUSY_MS 5000			/* another process's write */

/* index.c's note 1; ix_create gives the %d's the app id and version. */
static const char ix_schema[] =
	"BEGIN IMMEDIATE;"
	"CREATE TABLE IF NOT EXISTS entries(ino INTEGER PRIMARY KEY AUTOINCREMENT,"
	" parent INTEGER NOT NULL, name TEXT NOT NULL, kind INTEGER NOT NULL,"
	" tree INTEGER NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL,"
	" etag TEXT NOT NULL, mtime INTEGER NOT NULL, seen INTEGER NOT NULL,"
	" mode INTEGER NOT NULL DEFAULT 0, uid INTEGER NOT NULL DEFAULT -1,"
	" gid INTEGER NOT NULL DEFAULT -1, UNIQUE(parent, name));"
	"CREATE INDEX IF NOT EXISTS entries_key ON entries(tree, key);"
	"CREATE TABLE IF NOT EXISTS content(sha256 TEXT NOT NULL, size INTEGER NOT NULL,"
	" tree INTEGER NOT NULL, key TEXT NOT NULL, etag TEXT NOT NULL,"
	" PRIMARY KEY(tree, key)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS content_sum ON content(sha256, size);"
	"CREATE TABLE IF NOT EXISTS dirs(ino INTEGER PRIMARY KEY, complete INTEGER NOT NULL,"
	" listed_at INTEGER NOT NULL, gen INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value TEXT NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE TRIGGER IF NOT EXISTS entries_rm AFTER DELETE ON entries BEGIN"
	" DELETE FROM entries WHERE parent = old.ino;"
	" DELETE FROM dirs WHERE ino = old.ino; END;"
	"INSERT OR IGNORE INTO entries(" ENTRY_COLS ")"
	" VALUES(1, 0, '', 1, -1, '', 0, '', 0, " SEEN_PINNED_SQL ", 0, -1, -1);"
	"PRAGMA application_id = %d; PRAGMA user_version = %d;"
	"COMMIT;";

/* The message of a failed open: why, or SQLite's (and the system's). */
static void ix_open_err(struct index *ix, char *err, size_t errlen, const char *why)
{
	sqldb_open_err(ix->db, "index", ix->path, why, err, errlen);
}

/* What is the file (note 11)?  0: ours, current, or new (*fresh); 1: ours
 * but to be rebuilt (note says why); -1: not to be touched (err set). */
static int ix_check(struct index *ix, int *fresh, char *note, size_t notelen,
		    char *err, size_t errlen)
{
	const char *why = NULL;
	int64_t app, ver;
	int rc = sqldb_identify(ix->db, &app, &ver, fresh);

	if (rc == SQLITE_OK && (*fresh || (app == IX_APP_ID && ver == IX_VERSION)))
		return 0;
	if (rc == SQLITE_NOTADB) {
		why = "the file is not an SQLite database;"
			" remove it or choose another cache directory";
	} else if ((rc == SQLITE_OK || rc == SQLITE_CORRUPT) && app != IX_APP_ID) {
		why = "the file is another program's database (or damaged);"
			" remove it or choose another cache directory";
	} else if (rc == SQLITE_CORRUPT) {
		snprintf(note, notelen, "it was damaged");
		return 1;
	} else if (rc == SQLITE_OK) {
		snprintf(note, notelen, "it had schema version %lld, this lakemount uses %d",
			 (long long)ver, IX_VERSION);
		return 1;
	}
	ix_open_err(ix, err, errlen, why);
	return -1;
}

/* Open the file, check it, rebuild or create it, and set it up. */
static int ix_open_db(struct index *ix, char *err, size_t errlen)
{
	const char *why = NULL;
	char note[128];
	int fresh, rc, reset;

	if (sqldb_open(ix->path, IX_BUSY_MS, &ix->db, &why))
		goto fail;
	rc = ix_check(ix, &fresh, note, sizeof(note), err, errlen);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		/* Empty it whatever its state: SQLite's documented way. */
		sqlite3_db_config(ix->db, SQLITE_DBCONFIG_RESET_DATABASE, 1, 0);
		reset = sqlite3_exec(ix->db, "VACUUM", NULL, NULL, NULL);
		sqlite3_db_config(ix->db, SQLITE_DBCONFIG_RESET_DATABASE, 0, 0);
		why = "it is damaged and cannot be rebuilt; remove it";
		if (reset != SQLITE_OK)
			goto fail;
	}
	/* mmap: a page SQLite reads is the page cache's own, not a copy, and a
	 * cold file (after a reboot, or drop_caches) is read in the kernel's
	 * read-around chunks instead of a pread per 4 KiB page: `ls -l` of
	 * 6,000 names after a remount with the page cache dropped took about
	 * 3 ms less (51 -> 48.6 and 57.9 -> 54.2 ms, medians of 15).  The
	 * index of a big archive is tens of MB; past 64 MiB it is read as
	 * before. */
	if (sqldb_wal(ix->db, "PRAGMA synchronous = NORMAL; PRAGMA recursive_triggers = ON;"
		      " PRAGMA cache_size = -8192; PRAGMA mmap_size = 67108864", &why))
		goto fail;
	if ((fresh || rc == 1) && sqldb_create(ix->db, ix_schema, IX_APP_ID, IX_VERSION))
		goto fail;
	/* Not an error: a note for the caller to log (index.h). */
	if (rc == 1)
		snprintf(err, errlen, "index '%s' was rebuilt empty: %s", ix->path, note);
	return 0;
fail:
	ix_open_err(ix, err, errlen, why);
	return -1;
}

int index_open(struct index **out, const char *path, char *err, size_t errlen)
{
	struct index *ix = calloc(1, sizeof(*ix));

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (!ix || !(ix->path = strdup(path))) {
		snprintf(err, errlen, "cannot open index '%s': out of memory", path);
		free(ix);
		return -1;
	}
	sqldb_mutex_init(&ix->lock);
	if (ix_open_db(ix, err, errlen))
		goto fail;
	if (sqldb_prepare(ix->db, ix_sql, ix->st, ST__N)) {
		ix_open_err(ix, err, errlen, NULL);
		goto fail;
	}
	*out = ix;
	return 0;
fail:
	index_close(ix);
	return -1;
}

void index_close(struct index *ix)
{
	if (!ix)
		return;
	sqldb_finalize(ix->st, ST__N);
	sqlite3_close(ix->db);
	pthread_mutex_destroy(&ix->lock);
	free(ix->path);
	free(ix);
}
