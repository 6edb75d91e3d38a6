/*
 * journal_order: which ops may run, the rules of journal.c's notes 3 and
 * 4 -- the claims and the ready set (sets of ops sorted by id, in memory),
 * SQL claimed(), and the queries that tell whether an op is blocked.
 * Every function runs under j->lock.
 */
#include "journal_int.h"

#include <stdlib.h>
#include <string.h>

/* Where id is in s, or would go; *found says which. */
static size_t set_pos(const struct jl_set *s, int64_t id, int *found)
{
	size_t lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < s->n && s->v[lo].id == id;
	return lo;
}

int jl_set_has(const struct jl_set *s, int64_t id)
{
	int found;

	set_pos(s, id, &found);
	return found;
}

int jl_set_reserve(struct journal *j, struct jl_set *s, size_t extra)
{
	size_t cap = s->cap ? s->cap : 16;
	struct jl_ent *v;

	if (s->n + extra <= s->cap)
		return 0;
	while (cap < s->n + extra)
		cap *= 2;
	if (!(v = realloc(s->v, cap * sizeof(*v)))) {
		jl_failf("journal '%s': out of memory", j->path);
		return -1;
	}
	s->v = v;
	s->cap = cap;
	return 0;
}

void jl_set_put(struct jl_set *s, struct jl_ent e)
{
	int found;
	size_t i = set_pos(s, e.id, &found);

	if (found)
		return;
	memmove(s->v + i + 1, s->v + i, (s->n - i) * sizeof(*s->v));
	s->v[i] = e;
	s->n++;
}

void jl_set_del(struct jl_set *s, int64_t id)
{
	int found;
	size_t i = set_pos(s, id, &found);

	if (!found)
		return;
	memmove(s->v + i, s->v + i + 1, (s->n - i - 1) * sizeof(*s->v));
	s->n--;
}

void jl_claimed_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct journal *j = sqlite3_user_data(ctx);

	(void)argc;
	sqlite3_result_int(ctx, jl_set_has(&j->claims, sqlite3_value_int64(argv[0])));
}

/* Step a bound statement returning (id, created) at most once, and reset
 * it: 1 with *e filled, 0 without a row, -1 on error. */
static int jl_ent(struct journal *j, enum jl_stmt id, struct jl_ent *e)
{
	sqlite3_stmt *st = j->st[id];
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*e = (struct jl_ent){ sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1) };
	else if (rc != SQLITE_DONE)
		jl_dberr(j, "order");
	jl_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int jl_ready_new(struct journal *j, int64_t id, struct jl_ent *e)
{
	sqlite3_bind_int64(j->st[ST_READY_ID], 1, id);
	return jl_ent(j, ST_READY_ID, e);
}

int jl_head(struct journal *j, const char *source, const char *key, struct jl_ent *e)
{
	jl_bind_str(j->st[ST_HEAD], 1, source);
	jl_bind_str(j->st[ST_HEAD], 2, key);
	return jl_ent(j, ST_HEAD, e);
}

int jl_rebuild(struct journal *j)
{
	sqlite3_stmt *st = j->st[ST_READY_ALL];
	int rc;

	j->ready.n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (jl_set_reserve(j, &j->ready, 1))
			break;
		j->ready.v[j->ready.n++] = (struct jl_ent){ sqlite3_column_int64(st, 0),
							   sqlite3_column_int64(st, 1) };
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		jl_dberr(j, "order");
	jl_reset(st);
	j->stale = rc != SQLITE_DONE;
	return j->stale ? -1 : 0;
}
