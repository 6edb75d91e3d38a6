/*
 * journal_names: the journal calls of unlink and rename (journal.h), each
 * one transaction (journal.c notes 5 and 9).  Every function runs under
 * j->lock; the static ones inside a transaction the caller opened.
 */
#include "journal_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The ops touching (source,key), at most 2: their number, the first's id
 * and kind, and whether it may have run already (*ran: it failed before,
 * or it is from an earlier run, whose claims are forgotten); -1 on error. */
static int jl_touch(struct journal *j, const char *source, const char *key,
		    int64_t *id, int *kind, int *ran)
{
	sqlite3_stmt *st = j->st[ST_TOUCH];
	int rc, n = 0;

	jl_bind_str(st, 1, source);
	jl_bind_str(st, 2, key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!n++) {
			*id = sqlite3_column_int64(st, 0);
			*kind = sqlite3_column_int(st, 1);
			*ran = sqlite3_column_int(st, 2) > 0 || *id <= j->earlier;
		}
	}
	if (rc != SQLITE_DONE)
		jl_dberr(j, "rekey");
	jl_reset(st);
	return rc == SQLITE_DONE ? n : -1;
}

/* Note 5.  1: rekeyed, 0: refused, -1: error. */
static int jl_rekey(struct journal *j, const char *source, const char *from, const char *to)
{
	int64_t id = 0, other;
	int kind = 0, n, ran = 0;

	if (!*from || !*to)
		return 0;
	if ((n = jl_touch(j, source, from, &id, &kind, &ran)) < 0)
		return -1;
	/* a PUT that may have landed (a kill or a lost answer after S3 took
	 * it) must not change key: its object would stay under `from` */
	if (n != 1 || kind != JOURNAL_PUT || jl_set_has(&j->claims, id) || ran)
		return 0;
	if ((n = jl_touch(j, source, to, &other, &kind, &ran)) != 0)
		return n < 0 ? -1 : 0;
	sqlite3_bind_int64(j->st[ST_REKEY], 1, id);
	jl_bind_str(j->st[ST_REKEY], 2, to);
	return jl_run(j, ST_REKEY, "rekey") ? -1 : 1;
}

int journal_rekey(struct journal *j, const char *source, const char *from, const char *to)
{
	int rc = -1;

	if (jl_lock(j))
		return -1;
	if (!jl_begin(j, 1))
		rc = jl_end(j, jl_rekey(j, source, from ? from : "", to ? to : ""));
	pthread_mutex_unlock(&j->lock);
	return rc;
}

/* Delete (source,key)'s unclaimed PUT and META ops that no later COPY
 * reads (note 5), taking them out of the ready set; *nh is 1 when the new
 * oldest op of that path is ready, with *head (entered on commit).  The
 * number deleted, or -1. */
static int jl_drop(struct journal *j, const char *source, const char *key,
		   struct jl_ent *head, int *nh)
{
	sqlite3_stmt *st = j->st[ST_DROP];
	int rc, n = 0;

	*nh = 0;
	jl_bind_str(st, 1, source);
	jl_bind_str(st, 2, key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		jl_set_del(&j->ready, sqlite3_column_int64(st, 0));
		n++;
	}
	if (rc != SQLITE_DONE)
		jl_dberr(j, "drop puts");
	jl_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	/* Dropped rows had the one path (source,key): its new head. */
	if (n && (*nh = jl_head(j, source, key, head)) < 0)
		return -1;
	return n;
}

/* Insert n ops; the ready ones go to the room reserved past j->ready.n,
 * counted in *k (entered on commit).  0 or -1. */
static int jl_add_ops(struct journal *j, const struct journal_op *ops, size_t n, size_t *k)
{
	int64_t now = (int64_t)time(NULL), id;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		if ((r = jl_insert(j, &ops[i], now, &id, &j->ready.v[j->ready.n + *k])) < 0)
			return -1;
		*k += r == 1;
	}
	return 0;
}

/* End a transaction begun with room for k ready ops past j->ready.n and
 * maybe a head (nh): on commit they enter the ready set; on failure it
 * is rebuilt (jl_drop changed it).  rc or -1. */
static int jl_end_ready(struct journal *j, int rc, size_t k, const struct jl_ent *head, int nh)
{
	if ((rc = jl_end(j, rc)) < 0) {
		j->stale = 1;
		return -1;
	}
	j->ready.n += k;
	if (nh == 1)
		jl_set_put(&j->ready, *head);
	return rc;
}

int journal_drop_puts(struct journal *j, const char *source, const char *key)
{
	struct jl_ent head;
	int rc = -1, nh = 0;

	if (jl_lock(j))
		return -1;
	if (!jl_set_reserve(j, &j->ready, 1) && !jl_begin(j, 1)) {
		rc = jl_drop(j, source, key, &head, &nh);
		rc = jl_end_ready(j, rc, 0, &head, nh);
	}
	pthread_mutex_unlock(&j->lock);
	return rc;
}

int journal_unlink(struct journal *j, const char *source, const char *key)
{
	struct journal_op del = { .kind = JOURNAL_DELETE, .source = (char *)source,
				  .key = (char *)key };
	struct jl_ent head;
	size_t k = 0;
	int rc = -1, nh = 0;

	if (!jl_op_ok(&del) || jl_lock(j))
		return -1;
	if (!jl_set_reserve(j, &j->ready, 2) && !jl_begin(j, 1)) {
		rc = jl_drop(j, source, key, &head, &nh);
		if (rc >= 0 && jl_add_ops(j, &del, 1, &k))
			rc = -1;
		rc = jl_end_ready(j, rc, k, &head, nh);
	}
	pthread_mutex_unlock(&j->lock);
	return rc;
}

int journal_rename(struct journal *j, const char *source, const char *from, const char *to,
		   int replace, const char *ino, int *dropped)
{
	struct journal_op ops[2] = {
		{ .kind = JOURNAL_COPY, .source = (char *)source, .key = (char *)to,
		  .src_source = (char *)source, .src_key = (char *)from, .staged = (char *)ino },
		{ .kind = JOURNAL_DELETE, .source = (char *)source, .key = (char *)from },
	};
	struct journal_op rekeyed = ops[1];
	struct jl_ent head;
	size_t k = 0;
	int rc = -1, nh = 0, n = 0;

	*dropped = 0;
	if (!jl_op_ok(&ops[0]) || !jl_op_ok(&ops[1]) || jl_lock(j))
		return -1;
	if (!jl_set_reserve(j, &j->ready, 3) && !jl_begin(j, 1)) {
		n = replace ? jl_drop(j, source, to, &head, &nh) : 0;
		rc = n < 0 ? -1 : jl_rekey(j, source, from, to);
		/* rekeyed: the DELETE alone (an older object may be under
		 * from); else the COPY and the DELETE */
		rekeyed.staged = (char *)ino;
		if (rc >= 0 && jl_add_ops(j, rc == 1 ? &rekeyed : ops, rc == 1 ? 1 : 2, &k))
			rc = -1;
		rc = jl_end_ready(j, rc, k, &head, nh);
	}
	pthread_mutex_unlock(&j->lock);
	if (rc >= 0)
		*dropped = n;
	return rc;
}
