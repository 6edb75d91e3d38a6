/*
 * index_list: listings into the index -- beginning one, storing its pages,
 * ending it (index.c's notes 7, 8 and 12 give the rules).  Split from
 * index.c, whose helpers it uses through index_int.h.
 *
 * A first page (note 12) goes in IX_BATCH rows to a statement: SQLite's
 * cost is mostly per statement, and 1,000 rows took about 4 ms one by one
 * and 2 ms in statements of 32 (a folder's first listing; more with an
 * index of many folders).
 */
#include "index_int.h"

#include <string.h>

int index_listing_begin(struct index *ix, uint64_t dir, uint64_t *gen)
{
	uint64_t cur = 0;
	int tree, rc;

	*gen = 0;
	if (ix_start(ix))
		return -1;
	rc = ix_dir(ix, dir, &tree, &cur);
	if (!rc) {
		ix_bind_id(ix->st[ST_DIR_BEGIN], 1, dir);
		rc = ix_run(ix, ST_DIR_BEGIN, "begin listing");
	}
	rc = ix_finish(ix, rc);
	if (!rc)
		*gen = cur + 1;
	return rc;
}

/* Whether dir has a child named between the least and the greatest name
 * of c[0..n) (note 12): 1, 0, or -1 on error. */
static int ix_any_in(struct index *ix, uint64_t dir, const struct index_child *c, size_t n)
{
	const char *lo = c[0].name, *hi = c[0].name;
	int64_t found;
	size_t i;

	for (i = 1; i < n; i++) {
		if (strcmp(c[i].name, lo) < 0)
			lo = c[i].name;
		if (strcmp(c[i].name, hi) > 0)
			hi = c[i].name;
	}
	ix_bind_id(ix->st[ST_ANY_IN], 1, dir);
	ix_bind_str(ix->st[ST_ANY_IN], 2, lo);
	ix_bind_str(ix->st[ST_ANY_IN], 3, hi);
	if (ix_run_get(ix, ST_ANY_IN, "look up names", &found, 1))
		return -1;
	return found != 0;
}

/* c[0..IX_BATCH) of a fresh page in one statement: 1 (inos set), 0 when
 * not all went in (a name twice: the rows go one by one after, as if the
 * statement had not run; those in are found again), -1 on error. */
static int ix_insert_batch(struct index *ix, uint64_t dir, int tree, const struct index_child *c,
			   int64_t gen, uint64_t *inos)
{
	sqlite3_stmt *st = ix->st[ST_INSERT_BATCH];
	uint64_t last;
	int i;

	for (i = 0; i < IX_BATCH; i++)
		ix_bind_child_at(st, 9 * i, dir, tree, &c[i], gen);
	if (ix_run(ix, ST_INSERT_BATCH, "store"))
		return -1;
	if (sqlite3_changes(ix->db) != IX_BATCH)
		return 0;
	/* rows of one statement get numbers in turn (AUTOINCREMENT) */
	last = (uint64_t)sqlite3_last_insert_rowid(ix->db);
	for (i = 0; inos && i < IX_BATCH; i++)
		inos[i] = last - (IX_BATCH - 1) + (uint64_t)i;
	return 1;
}

int index_listing_page(struct index *ix, uint64_t dir, uint64_t gen,
		       const struct index_child *c, size_t n, uint64_t *inos)
{
	uint64_t cur, ino;
	size_t i;
	int tree, rc, plain, fresh = 0, batch_old = 0;

	for (i = 0; i < n; i++)
		if (!ix_child_ok(&c[i]))
			return -1;
	if (ix_start(ix))
		return -1;
	rc = ix_dir(ix, dir, &tree, &cur);
	if (!rc && n && (fresh = ix_any_in(ix, dir, c, n)) >= 0)
		fresh = !fresh;
	if (fresh < 0)
		rc = -1;
	for (i = 0; !rc && i < n; i++) {
		if (!(i % IX_BATCH) && n - i >= IX_BATCH &&
		    (fresh || !(batch_old = ix_any_in(ix, dir, c + i, IX_BATCH)))) {
			int got = ix_insert_batch(ix, dir, tree, c + i, (int64_t)gen, inos ? inos + i : NULL);

			if (got < 0) {
				rc = -1;
				break;
			}
			if (got) {
				i += IX_BATCH - 1;
				continue;
			}
		}
		if (batch_old < 0) {
			rc = -1;
			break;
		}
		ino = 0;
		plain = 1;
		if (fresh) {
			ix_bind_child(ix, ST_INSERT_NEW, dir, tree, &c[i], (int64_t)gen);
			if (!(rc = ix_run(ix, ST_INSERT_NEW, "store")) && sqlite3_changes(ix->db) == 1)
				ino = (uint64_t)sqlite3_last_insert_rowid(ix->db);
		}
		/* not fresh, or a name twice in the page (a key and a prefix) */
		if (!rc && !ino)
			rc = ix_upsert(ix, dir, tree, &c[i], (int64_t)gen, &ino, &plain);
		if (!rc && inos)
			inos[i] = plain ? ino : 0;
	}
	return ix_finish(ix, rc);
}

static int ix_end(struct index *ix, uint64_t dir, uint64_t gen, int64_t now)
{
	uint64_t cur;
	int tree, rc = ix_dir(ix, dir, &tree, &cur);

	if (rc)
		return rc;
	if (!gen || gen > cur) {
		ix_failf("index '%s': directory %llu has no listing %llu", ix->path,
			 (unsigned long long)dir, (unsigned long long)gen);
		return -1;
	}
	if (ix_rm(ix, dir, NULL, (int64_t)gen))
		return -1;
	ix_bind_id(ix->st[ST_DIR_END], 1, dir);
	sqlite3_bind_int64(ix->st[ST_DIR_END], 2, now);
	sqlite3_bind_int64(ix->st[ST_DIR_END], 3, (sqlite3_int64)gen);
	return ix_run(ix, ST_DIR_END, "end listing");
}

int index_listing_end(struct index *ix, uint64_t dir, uint64_t gen, int64_t now)
{
	if (ix_start(ix))
		return -1;
	return ix_finish(ix, ix_end(ix, dir, gen, now));
}
