/*
 * t_journal: the write-back journal, on databases in a temporary
 * directory: fields kept through add, claim, retry and done; the order of
 * ops per path (a rename's COPY before its DELETE); delays; replay after a
 * reopen; rekey and drop_puts; pending counts by key and prefix; files that
 * are not journals; random calls checked against a model of the rules; four
 * claiming threads; and the time 10,000 ops take.
 */
#include "unit.h"

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"

static char tmpdir[256];

static void db_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct journal *open_ok(const char *name)
{
	struct journal *j = NULL;
	char path[512], err[512];

	db_path(path, sizeof(path), name);
	if (journal_open(path, &j, err, sizeof(err)))
		unit_fail(__FILE__, __LINE__, "open '%s': %s", path, err);
	else
		UNIT_CHECK_STR(err, "");
	return j;
}

static struct journal_op put(const char *key)
{
	return (struct journal_op){ .kind = JOURNAL_PUT, .source = "s3", .key = (char *)key,
				    .staged = "st", .size = 1, .mode = 0100644 };
}

static struct journal_op copy(const char *from, const char *to)
{
	return (struct journal_op){ .kind = JOURNAL_COPY, .source = "s3", .key = (char *)to,
				    .src_source = "s3", .src_key = (char *)from };
}

static struct journal_op del(const char *key)
{
	return (struct journal_op){ .kind = JOURNAL_DELETE, .source = "s3", .key = (char *)key };
}

static struct journal_op meta(const char *key)
{
	return (struct journal_op){ .kind = JOURNAL_META, .source = "s3", .key = (char *)key,
				    .mode = 0100600 };
}

static int64_t add1(struct journal *j, struct journal_op op)
{
	int64_t id = -1;

	if (journal_add(j, &op, 1, &id))
		unit_fail(__FILE__, __LINE__, "add '%s': %s", op.key, journal_errmsg(j));
	return id;
}

/* Claim (no delay): the id claimed, 0 if none, -1 on error. */
static int64_t claim_id(struct journal *j)
{
	struct journal_op op;
	int rc = journal_claim(j, INT64_MAX, &op);
	int64_t id = rc == 1 ? op.id : rc;

	journal_op_release(&op);
	return id;
}

/* Claim and finish everything runnable, again and again, until empty. */
static void drain(struct journal *j)
{
	int64_t id;

	while ((id = claim_id(j)) > 0)
		UNIT_CHECK_INT(journal_done(j, id), 0);
	UNIT_CHECK_INT(id, 0);
	UNIT_CHECK_INT(journal_count(j), 0);
}

/* ---- cases ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	UNIT_CHECK(f != NULL);
	for (int i = 0; f && i < 40; i++)
		fputs(text, f);
	if (f)
		fclose(f);
}

/* Make an SQLite database at name with this application_id and version. */
static void make_db(const char *path, int app, int ver)
{
	char sql[160];
	sqlite3 *db;

	snprintf(sql, sizeof(sql), "CREATE TABLE mine(x); PRAGMA application_id = %d;"
		 " PRAGMA user_version = %d", app, ver);
	UNIT_CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	UNIT_CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void t_open_errors(void)
{
	static const char text[] = "these are somebody's notes, not a journal\n";
	struct journal *j = (struct journal *)1;
	char path[512], err[512], want[600], buf[128] = "";
	FILE *f;

	unit_case("open refuses a missing directory, a text file, another program's db,"
		  " an index, another version");
	UNIT_CHECK_INT(journal_open("/nonexistent-lm/sub/journal.db", &j, err, sizeof(err)), -1);
	UNIT_CHECK(j == NULL);
	UNIT_CHECK(strstr(err, "cannot open journal '/nonexistent-lm/sub/journal.db'") != NULL);

	db_path(path, sizeof(path), "notes.txt");
	write_file(path, text);
	snprintf(want, sizeof(want), "cannot open journal '%s'", path);
	UNIT_CHECK_INT(journal_open(path, &j, err, sizeof(err)), -1);
	UNIT_CHECK(strstr(err, want) != NULL);
	UNIT_CHECK(strstr(err, "not an SQLite database") != NULL);
	f = fopen(path, "r");
	UNIT_CHECK(f && fgets(buf, sizeof(buf), f) && !strcmp(buf, text));
	if (f)
		fclose(f);

	db_path(path, sizeof(path), "other.db");
	make_db(path, 0, 0);
	snprintf(want, sizeof(want), "cannot open journal '%s'", path);
	UNIT_CHECK_INT(journal_open(path, &j, err, sizeof(err)), -1);
	UNIT_CHECK(strstr(err, want) != NULL);
	UNIT_CHECK(strstr(err, "not a lakemount journal") != NULL);

	db_path(path, sizeof(path), "index.db");
	make_db(path, 0x4c4d4958, 1);		/* the index's "LMIX" */
	UNIT_CHECK_INT(journal_open(path, &j, err, sizeof(err)), -1);
	UNIT_CHECK(strstr(err, "not a lakemount journal") != NULL);

	db_path(path, sizeof(path), "future.db");
	make_db(path, 0x4c4d4a4c, 2);		/* ours, a later version */
	UNIT_CHECK_INT(journal_open(path, &j, err, sizeof(err)), -1);
	UNIT_CHECK(strstr(err, "version 2") != NULL);
	UNIT_CHECK(strstr(err, path) != NULL);
}

static void t_roundtrip(struct journal *j)
{
	static const char *key = "données/été ☃ 100%_done's \"q\".csv";
	static const char *src = "a_b%c/'x'/ü";
	struct journal_op in[2] = {
		{ .id = 99, .kind = JOURNAL_PUT, .source = "binance", .key = (char *)key,
		  .staged = "st/0001", .size = 123456789012ULL, .mode = 0100640,
		  .uid = 1000, .gid = 4294967295U, .mtime = -5, .tries = 7, .error = "x",
		  .created = 1 },
		{ .kind = JOURNAL_COPY, .source = "b2", .key = "to/key", .src_source = "binance",
		  .src_key = (char *)src, .src_etag = "\"0123abcd\"" },
	};
	struct journal_op bad[2] = { put("ok"), { .kind = 9, .source = "s3", .key = "k" } };
	struct journal_op op;
	int64_t ids[2] = { 0, 0 }, t0 = time(NULL);

	unit_case("add, claim, retry, claim, done: every field kept");
	memset(in[0].sha256, 'f', 64);
	UNIT_CHECK_INT(journal_add(j, in, 2, ids), 0);
	UNIT_CHECK(ids[0] > 0 && ids[1] == ids[0] + 1);
	UNIT_CHECK_INT(journal_count(j), 2);

	UNIT_CHECK_INT(journal_claim(j, INT64_MAX, &op), 1);
	UNIT_CHECK_INT(op.id, ids[0]);
	UNIT_CHECK_INT(op.kind, JOURNAL_PUT);
	UNIT_CHECK_STR(op.source, "binance");
	UNIT_CHECK_STR(op.key, key);
	UNIT_CHECK_STR(op.src_source, "");
	UNIT_CHECK_STR(op.src_key, "");
	UNIT_CHECK_STR(op.src_etag, "");
	UNIT_CHECK_STR(op.staged, "st/0001");
	UNIT_CHECK_INT(op.size, 123456789012ULL);
	UNIT_CHECK(strlen(op.sha256) == 64 && strspn(op.sha256, "f") == 64);
	UNIT_CHECK_INT(op.mode, 0100640);
	UNIT_CHECK_INT(op.uid, 1000);
	UNIT_CHECK_INT(op.gid, 4294967295U);
	UNIT_CHECK_INT(op.mtime, -5);
	UNIT_CHECK_INT(op.tries, 0);
	UNIT_CHECK_STR(op.error, "");
	UNIT_CHECK(op.created >= t0 && op.created <= time(NULL));
	journal_op_release(&op);
	UNIT_CHECK(op.key == NULL && op.id == 0);

	UNIT_CHECK_INT(journal_claim(j, INT64_MAX, &op), 1);
	UNIT_CHECK_INT(op.id, ids[1]);
	UNIT_CHECK_INT(op.kind, JOURNAL_COPY);
	UNIT_CHECK_STR(op.source, "b2");
	UNIT_CHECK_STR(op.src_source, "binance");
	UNIT_CHECK_STR(op.src_key, src);
	UNIT_CHECK_STR(op.src_etag, "\"0123abcd\"");
	UNIT_CHECK_STR(op.staged, "");
	UNIT_CHECK_STR(op.sha256, "");
	journal_op_release(&op);
	UNIT_CHECK_INT(journal_claim(j, INT64_MAX, &op), 0);
	UNIT_CHECK(op.key == NULL);

	UNIT_CHECK_INT(journal_retry(j, ids[0], "HTTP 503: 'SlowDown' 100%"), 0);
	UNIT_CHECK_INT(journal_claim(j, INT64_MAX, &op), 1);
	UNIT_CHECK_INT(op.id, ids[0]);
	UNIT_CHECK_INT(op.tries, 1);
	UNIT_CHECK_STR(op.error, "HTTP 503: 'SlowDown' 100%");
	UNIT_CHECK_STR(op.key, key);
	journal_op_release(&op);
	UNIT_CHECK_INT(journal_retry(j, ids[0], NULL), 0);
	UNIT_CHECK_INT(journal_claim(j, INT64_MAX, &op), 1);
	UNIT_CHECK_INT(op.tries, 2);
	UNIT_CHECK_STR(op.error, "");
	journal_op_release(&op);

	UNIT_CHECK_INT(journal_done(j, ids[0]), 0);
	UNIT_CHECK_INT(journal_done(j, ids[0]), -1);
	UNIT_CHECK(strstr(journal_errmsg(j), "is not claimed") != NULL);
	UNIT_CHECK_INT(journal_retry(j, 12345, "x"), -1);
	UNIT_CHECK_INT(journal_done(j, ids[1]), 0);
	UNIT_CHECK_INT(journal_count(j), 0);

	/* A bad op anywhere in the batch: nothing stored. */
	UNIT_CHECK_INT(journal_add(j, bad, 2, NULL), -1);
	UNIT_CHECK(strstr(journal_errmsg(j), "unknown kind") != NULL);
	bad[1] = put("");
	UNIT_CHECK_INT(journal_add(j, bad, 2, NULL), -1);
	bad[1] = copy("", "b");
	UNIT_CHECK_INT(journal_add(j, bad, 2, NULL), -1);
	UNIT_CHECK_INT(journal_count(j), 0);
	UNIT_CHECK_INT(journal_add(j, bad, 0, NULL), 0);
}

static void t_order(struct journal *j)
{
	struct journal_op pair[2] = { copy("a", "b"), del("a") };
	int64_t a1, a2, cp, da, c, b2, ids[2];

	unit_case("per path in order: PUT a, PUT a; a rename's DELETE waits for its COPY");
	a1 = add1(j, put("a"));
	a2 = add1(j, put("a"));
	UNIT_CHECK_INT(claim_id(j), a1);
	UNIT_CHECK_INT(claim_id(j), 0);
	UNIT_CHECK_INT(journal_retry(j, a1, "later"), 0);
	UNIT_CHECK_INT(claim_id(j), a1);	/* a retried op keeps its place */
	UNIT_CHECK_INT(journal_done(j, a1), 0);
	UNIT_CHECK_INT(claim_id(j), a2);
	UNIT_CHECK_INT(journal_done(j, a2), 0);

	/* mv a b; then c written; then b written again. */
	UNIT_CHECK_INT(journal_add(j, pair, 2, ids), 0);
	cp = ids[0];
	da = ids[1];
	c = add1(j, put("c"));
	b2 = add1(j, put("b"));
	UNIT_CHECK_INT(claim_id(j), cp);
	UNIT_CHECK_INT(claim_id(j), c);		/* DELETE a waits, c does not */
	UNIT_CHECK_INT(claim_id(j), 0);
	UNIT_CHECK_INT(journal_done(j, c), 0);
	UNIT_CHECK_INT(claim_id(j), 0);
	UNIT_CHECK_INT(journal_done(j, cp), 0);
	UNIT_CHECK_INT(claim_id(j), da);
	UNIT_CHECK_INT(claim_id(j), b2);
	UNIT_CHECK_INT(journal_done(j, da), 0);
	UNIT_CHECK_INT(journal_done(j, b2), 0);

	/* A COPY waits for a PUT of its source, and for one onto its source. */
	a1 = add1(j, put("x"));
	cp = add1(j, copy("x", "y"));
	UNIT_CHECK_INT(claim_id(j), a1);
	UNIT_CHECK_INT(claim_id(j), 0);
	UNIT_CHECK_INT(journal_done(j, a1), 0);
	a2 = add1(j, copy("y", "x"));		/* mv y x: waits for x -> y */
	UNIT_CHECK_INT(claim_id(j), cp);
	UNIT_CHECK_INT(claim_id(j), 0);
	UNIT_CHECK_INT(journal_done(j, cp), 0);
	UNIT_CHECK_INT(claim_id(j), a2);
	UNIT_CHECK_INT(journal_done(j, a2), 0);
	UNIT_CHECK_INT(journal_count(j), 0);
}

static void t_delay(struct journal *j)
{
	struct journal_op op;
	int64_t id, now = time(NULL);

	unit_case("not_after delays ops added after it");
	id = add1(j, put("late"));
	UNIT_CHECK_INT(journal_claim(j, now - 60, &op), 0);
	UNIT_CHECK_INT(journal_claim(j, now + 60, &op), 1);
	UNIT_CHECK_INT(op.id, id);
	journal_op_release(&op);
	UNIT_CHECK_INT(journal_done(j, id), 0);
}

/* ---- journal_each ---- */

struct ids {
	int64_t v[16];
	size_t n, stop_at;
	struct journal *reenter;
	int reenter_rc;
};

static int ids_add(void *arg, const struct journal_op *op)
{
	struct ids *l = arg;

	if (l->reenter)
		l->reenter_rc = (int)journal_count(l->reenter);
	if (l->n < 16)
		l->v[l->n++] = op->id;
	return l->stop_at && l->n == l->stop_at;
}

static struct journal *t_reopen(struct journal *j)
{
	char path[512], err[512];
	struct ids got = { .n = 0 };
	int64_t id[3];

	unit_case("claims vanish on reopen, rows stay and are replayed in order");
	id[0] = add1(j, put("r/1"));
	id[1] = add1(j, del("r/2"));
	id[2] = add1(j, meta("r/3"));
	UNIT_CHECK_INT(claim_id(j), id[0]);
	UNIT_CHECK_INT(claim_id(j), id[1]);
	UNIT_CHECK_INT(journal_done(j, id[1]), 0);
	journal_close(j);
	db_path(path, sizeof(path), "main.db");
	j = NULL;
	UNIT_CHECK_INT(journal_open(path, &j, err, sizeof(err)), 0);
	if (!j)
		return NULL;
	UNIT_CHECK_INT(journal_count(j), 2);
	UNIT_CHECK_INT(journal_done(j, id[0]), -1);	/* no longer claimed */
	UNIT_CHECK_INT(journal_each(j, ids_add, &got), 0);
	UNIT_CHECK_INT(got.n, 2);
	UNIT_CHECK(got.v[0] == id[0] && got.v[1] == id[2]);
	UNIT_CHECK_INT(claim_id(j), id[0]);
	UNIT_CHECK_INT(claim_id(j), id[2]);
	UNIT_CHECK_INT(journal_done(j, id[0]), 0);
	UNIT_CHECK_INT(journal_done(j, id[2]), 0);
	UNIT_CHECK_INT(journal_count(j), 0);
	/* ids are never reused, not even the newest one's after its delete. */
	UNIT_CHECK(add1(j, put("r/4")) > id[2]);
	drain(j);
	return j;
}

static void t_each(struct journal *j)
{
	struct ids got = { .n = 0 };
	int64_t id[5];
	int i;

	unit_case("journal_each: id order, claimed or not, stops, no reentry");
	for (i = 0; i < 5; i++)
		id[i] = add1(j, i % 2 ? del("e") : put("e"));
	UNIT_CHECK_INT(claim_id(j), id[0]);
	UNIT_CHECK_INT(journal_each(j, ids_add, &got), 0);
	UNIT_CHECK_INT(got.n, 5);
	for (i = 0; i < 5; i++)
		UNIT_CHECK_INT(got.v[i], id[i]);
	got = (struct ids){ .stop_at = 2, .reenter = j };
	UNIT_CHECK_INT(journal_each(j, ids_add, &got), 0);
	UNIT_CHECK_INT(got.n, 2);
	UNIT_CHECK_INT(got.reenter_rc, -1);
	UNIT_CHECK(strstr(journal_errmsg(j), "journal_each callback") != NULL);
	UNIT_CHECK_INT(journal_done(j, id[0]), 0);
	drain(j);
}

static void t_rekey(struct journal *j)
{
	struct journal_op op;
	int64_t p;

	unit_case("rekey: a lone unclaimed PUT moves; claimed, busy target, two ops: refused");
	p = add1(j, put(".f.tmp"));
	UNIT_CHECK_INT(journal_rekey(j, "s3", ".f.tmp", "f"), 1);
	UNIT_CHECK_INT(journal_pending(j, "s3", ".f.tmp", 0), 0);
	UNIT_CHECK_INT(journal_pending(j, "s3", "f", 0), 1);
	UNIT_CHECK_INT(journal_claim(j, INT64_MAX, &op), 1);
	UNIT_CHECK_INT(op.id, p);
	UNIT_CHECK_STR(op.key, "f");
	UNIT_CHECK_STR(op.staged, "st");
	journal_op_release(&op);
	/* claimed */
	UNIT_CHECK_INT(journal_rekey(j, "s3", "f", "g"), 0);
	UNIT_CHECK_INT(journal_done(j, p), 0);
	/* another source, nothing there */
	p = add1(j, put(".g.tmp"));
	UNIT_CHECK_INT(journal_rekey(j, "other", ".g.tmp", "g"), 0);
	UNIT_CHECK_INT(journal_rekey(j, "s3", "nothing", "g"), 0);
	/* the target has an op (a DELETE, or the source of a COPY) */
	add1(j, del("g"));
	UNIT_CHECK_INT(journal_rekey(j, "s3", ".g.tmp", "g"), 0);
	drain(j);
	add1(j, put(".g.tmp"));
	add1(j, copy("g", "h"));
	UNIT_CHECK_INT(journal_rekey(j, "s3", ".g.tmp", "g"), 0);
	drain(j);
	/* two ops on from: PUT + META, or PUT + COPY from it */
	add1(j, put(".h.tmp"));
	add1(j, meta(".h.tmp"));
	UNIT_CHECK_INT(journal_rekey(j, "s3", ".h.tmp", "h"), 0);
	drain(j);
	add1(j, put(".h.tmp"));
	add1(j, copy(".h.tmp", "h2"));
	UNIT_CHECK_INT(journal_rekey(j, "s3", ".h.tmp", "h"), 0);
	drain(j);
	/* the only op is no PUT */
	add1(j, meta(".i"));
	UNIT_CHECK_INT(journal_rekey(j, "s3", ".i", "i"), 0);
	UNIT_CHECK_INT(journal_pending(j, "s3", ".i", 0), 1);
	drain(j);
	UNIT_CHECK_INT(journal_rekey(j, "s3", ".i", ""), 0);
}

static void t_drop_puts(struct journal *j)
{
	struct journal_op mv[2] = { copy("u", "v"), del("u") };
	int64_t p1, id;

	unit_case("drop_puts: unclaimed PUT and META go; claimed ones and COPY sources stay");
	p1 = add1(j, put("u"));
	add1(j, meta("u"));
	add1(j, put("u"));
	add1(j, put("other"));
	UNIT_CHECK_INT(claim_id(j), p1);
	UNIT_CHECK_INT(journal_drop_puts(j, "s3", "u"), 2);
	UNIT_CHECK_INT(journal_drop_puts(j, "s3", "u"), 0);
	UNIT_CHECK_INT(journal_pending(j, "s3", "u", 0), 1);
	UNIT_CHECK_INT(journal_count(j), 2);
	UNIT_CHECK_INT(journal_done(j, p1), 0);
	drain(j);

	/* write u, mv u v (COPY + DELETE), write u again, rm u */
	p1 = add1(j, put("u"));
	UNIT_CHECK_INT(journal_add(j, mv, 2, NULL), 0);
	add1(j, put("u"));
	UNIT_CHECK_INT(journal_drop_puts(j, "s3", "u"), 1);
	UNIT_CHECK_INT(journal_count(j), 3);
	UNIT_CHECK_INT(id = claim_id(j), p1);	/* the copy still has its data */
	UNIT_CHECK_INT(journal_done(j, id), 0);
	drain(j);

	/* write w, rm w: the DELETE that waited for the PUT runs at once */
	add1(j, put("w"));
	add1(j, meta("w"));
	id = add1(j, del("w"));
	UNIT_CHECK_INT(journal_drop_puts(j, "s3", "w"), 2);
	UNIT_CHECK_INT(claim_id(j), id);
	UNIT_CHECK_INT(journal_done(j, id), 0);
}

static void t_pending(struct journal *j)
{
	static const char *keys[] = { "a", "a0", "a/", "a/b", "a/b%_/c", "a/\xff\xff",
				      "a%", "a_", "b/\xff", "b/\xff\xff/z", "b0" };
	struct journal_op other = put("a/x");
	size_t i;

	unit_case("pending: exact and prefix, byte for byte, no LIKE");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		add1(j, put(keys[i]));
	add1(j, copy("c/src", "d/dst"));
	other.source = "s4";
	add1(j, other);
	UNIT_CHECK_INT(journal_pending(j, "s3", "a", 0), 1);
	UNIT_CHECK_INT(journal_pending(j, "s3", "a/", 0), 1);
	UNIT_CHECK_INT(journal_pending(j, "s3", "a/", 1), 4);
	UNIT_CHECK_INT(journal_pending(j, "s3", "a/b%", 1), 1);
	UNIT_CHECK_INT(journal_pending(j, "s3", "a%", 1), 1);
	UNIT_CHECK_INT(journal_pending(j, "s3", "a_", 1), 1);
	UNIT_CHECK_INT(journal_pending(j, "s3", "a", 1), 8);
	UNIT_CHECK_INT(journal_pending(j, "s3", "a/\xff", 1), 1);
	UNIT_CHECK_INT(journal_pending(j, "s3", "b/\xff", 1), 2);
	UNIT_CHECK_INT(journal_pending(j, "s3", "b/\xff\xff", 1), 1);
	UNIT_CHECK_INT(journal_pending(j, "s3", "b", 1), 3);
	UNIT_CHECK_INT(journal_pending(j, "s3", "", 1), 12);
	UNIT_CHECK_INT(journal_pending(j, "s3", "", 0), 0);
	UNIT_CHECK_INT(journal_pending(j, "s3", "c/src", 0), 1);
	UNIT_CHECK_INT(journal_pending(j, "s3", "c/", 1), 1);
	UNIT_CHECK_INT(journal_pending(j, "s3", "d/", 1), 1);
	UNIT_CHECK_INT(journal_pending(j, "s4", "a/", 1), 1);
	UNIT_CHECK_INT(journal_pending(j, "s4", "a/x", 0), 1);
	UNIT_CHECK_INT(journal_pending(j, "s5", "", 1), 0);
	UNIT_CHECK_INT(claim_id(j) > 0, 1);	/* claimed ones count too */
	UNIT_CHECK_INT(journal_pending(j, "s3", "a", 0), 1);
	UNIT_CHECK_INT(journal_count(j), 13);
}

/* ---- against a model ---- */

#define MSTEPS 6000
#define MKEYS 8

struct mop {
	int64_t id;
	int kind, key, src, claimed, alive;	/* key, src: indexes (src -1: none) */
};

static struct mop mops[MSTEPS * 2];
static size_t nmops;
static const char *mkey[MKEYS] = { "m/0", "m/1", "m/%", "m/_", "m/é", "m/'", "m/0/", "m" };

static int m_touches(const struct mop *o, int k)
{
	return o->alive && (o->key == k || o->src == k);
}

static int m_conflict(const struct mop *a, const struct mop *b)
{
	return m_touches(b, a->key) || (a->src >= 0 && m_touches(b, a->src));
}

/* The model's answer to a claim: the oldest runnable op, or NULL. */
static struct mop *m_runnable(void)
{
	size_t i, k;

	for (i = 0; i < nmops; i++) {
		if (!mops[i].alive || mops[i].claimed)
			continue;
		for (k = 0; k < i && !m_conflict(&mops[i], &mops[k]); k++)
			;
		if (k == i)
			return &mops[i];
	}
	return NULL;
}

static struct mop *m_claimed(unsigned r)
{
	size_t i, n = 0;

	for (i = 0; i < nmops; i++)
		n += mops[i].alive && mops[i].claimed;
	for (i = 0; n && i < nmops; i++)
		if (mops[i].alive && mops[i].claimed && r-- % n == 0)
			return &mops[i];
	return NULL;
}

static int m_drop(int k)
{
	size_t i, c;
	int n = 0;

	for (i = 0; i < nmops; i++) {
		struct mop *o = &mops[i];

		if (!o->alive || o->claimed || o->key != k ||
		    (o->kind != JOURNAL_PUT && o->kind != JOURNAL_META))
			continue;
		for (c = i + 1; c < nmops && !(mops[c].alive && mops[c].src == k); c++)
			;
		if (c == nmops) {
			o->alive = 0;
			n++;
		}
	}
	return n;
}

static int m_rekey(int from, int to)
{
	struct mop *one = NULL;
	size_t i;
	int nf = 0, nt = 0;

	for (i = 0; i < nmops; i++) {
		if (m_touches(&mops[i], from) && !nf++)
			one = &mops[i];
		nt += m_touches(&mops[i], to);
	}
	if (nf != 1 || nt || one->kind != JOURNAL_PUT || one->claimed)
		return 0;
	one->key = to;
	return 1;
}

static void m_add(struct journal *j, unsigned r)
{
	int key = (int)(r / 4 % MKEYS), src = (int)(r / 32 % MKEYS);
	struct journal_op op = { .kind = 1 + r % 4, .source = "s3", .key = (char *)mkey[key] };

	if (op.kind == JOURNAL_COPY) {
		src = src == key ? (src + 1) % MKEYS : src;
		op.src_source = "s3";
		op.src_key = (char *)mkey[src];
	}
	mops[nmops] = (struct mop){ add1(j, op), op.kind, key,
				    op.kind == JOURNAL_COPY ? src : -1, 0, 1 };
	nmops++;
}

static struct journal *t_model(struct journal *j)
{
	char path[512], err[512];
	struct mop *want;
	unsigned r, seed = 12345;
	int64_t got;
	int step, bad = 0, k, n, nclaim = 0, ndrop = 0, nrekey = 0;

	unit_case("6,000 random adds, claims, dones, retries, drops, rekeys, reopens: as a model");
	for (step = 0; j && step < MSTEPS; step++) {
		seed = seed * 1103515245 + 12345;
		r = seed >> 8;
		switch (r % 16) {
		case 0: case 1: case 2:
			m_add(j, r >> 4);
			break;
		case 3: case 4: case 5: case 6: case 7: case 8:
			want = m_runnable();
			got = claim_id(j);
			if (got != (want ? want->id : 0)) {
				printf("# claimed %lld, the model %lld\n", (long long)got,
				       want ? (long long)want->id : 0LL);
				bad++;
			} else if (want) {
				want->claimed = 1;
				nclaim++;
			}
			break;
		case 9: case 10: case 11:
			if ((want = m_claimed(r >> 4))) {
				bad += journal_done(j, want->id) != 0;
				want->alive = 0;
			}
			break;
		case 12:
			if ((want = m_claimed(r >> 4))) {
				bad += journal_retry(j, want->id, "503") != 0;
				want->claimed = 0;
			}
			break;
		case 13:
			k = (int)(r >> 4) % MKEYS;
			n = m_drop(k);
			ndrop += n > 0;
			bad += journal_drop_puts(j, "s3", mkey[k]) != n;
			break;
		case 14:
			k = (int)(r >> 4) % MKEYS;
			n = m_rekey(k, (int)((r >> 8) % MKEYS));
			nrekey += n;
			bad += journal_rekey(j, "s3", mkey[k], mkey[(r >> 8) % MKEYS]) != n;
			break;
		default:
			if (r % 1024 != 15)
				break;
			journal_close(j);
			db_path(path, sizeof(path), "model.db");
			j = NULL;
			UNIT_CHECK_INT(journal_open(path, &j, err, sizeof(err)), 0);
			for (size_t i = 0; i < nmops; i++)
				mops[i].claimed = 0;
		}
		if (bad) {
			unit_fail(__FILE__, __LINE__, "step %d (%u): differs from the model", step,
				  r % 16);
			break;
		}
	}
	if (!j)
		return NULL;
	printf("# %d claims, %d drops, %d rekeys; %lld ops left\n", nclaim, ndrop, nrekey,
	       (long long)journal_count(j));
	for (size_t i = 0; i < nmops; i++)
		if (mops[i].alive && mops[i].claimed)
			UNIT_CHECK_INT(journal_done(j, mops[i].id), 0);
	drain(j);
	return j;
}

/* ---- threads ---- */

#define NTHREADS 4
#define TOPS 2000
#define TKEYS 37

struct shared {
	struct journal *j;
	pthread_mutex_t lock;
	struct journal_op ops[TOPS];
	int64_t first;			/* ops[i] has id first + i */
	double deadline;		/* stuck: give up */
	int claimed[TOPS], done[TOPS];
	int twice, early, errors, ndone;
};

static int path_eq(const char *s1, const char *k1, const char *s2, const char *k2)
{
	return k1 && k2 && *k1 && *k2 && !strcmp(s1, s2) && !strcmp(k1, k2);
}

static int conflict(const struct journal_op *a, const struct journal_op *b)
{
	return path_eq(a->source, a->key, b->source, b->key) ||
		path_eq(a->source, a->key, b->src_source, b->src_key) ||
		path_eq(a->src_source, a->src_key, b->source, b->key) ||
		path_eq(a->src_source, a->src_key, b->src_source, b->src_key);
}

static void *claimer(void *arg)
{
	struct shared *s = arg;
	struct journal_op op;
	int64_t i, k;
	int rc;

	for (;;) {
		rc = journal_claim(s->j, INT64_MAX, &op);
		if (rc <= 0) {
			pthread_mutex_lock(&s->lock);
			k = s->ndone;
			s->errors += rc < 0 || now_ms() > s->deadline;
			pthread_mutex_unlock(&s->lock);
			if (rc < 0 || k == TOPS || now_ms() > s->deadline)
				break;
			sched_yield();
			continue;
		}
		i = op.id - s->first;
		pthread_mutex_lock(&s->lock);
		if (i < 0 || i >= TOPS || s->claimed[i]++) {
			s->twice++;
		} else {
			/* Every older op it conflicts with is done already. */
			for (k = 0; k < i; k++)
				s->early += !s->done[k] && conflict(&s->ops[k], &s->ops[i]);
			s->errors += strcmp(op.key, s->ops[i].key) != 0;
		}
		pthread_mutex_unlock(&s->lock);
		if (op.id % 3 == 0)
			usleep(50);
		pthread_mutex_lock(&s->lock);
		if (i >= 0 && i < TOPS)
			s->done[i] = 1;
		s->ndone++;
		pthread_mutex_unlock(&s->lock);
		s->errors += journal_done(s->j, op.id) != 0;
		journal_op_release(&op);
	}
	return NULL;
}

static void t_threads(void)
{
	static char keys[TKEYS][16];
	struct shared *s = calloc(1, sizeof(*s));
	int64_t *ids = calloc(TOPS, sizeof(*ids));
	pthread_t th[NTHREADS];
	double t;
	int i, n;

	unit_case("four threads claim 2,000 ops: none twice, none before an older conflicting one");
	if (!s || !ids || !(s->j = open_ok("threads.db")))
		goto out;
	pthread_mutex_init(&s->lock, NULL);
	for (i = 0; i < TKEYS; i++)
		snprintf(keys[i], sizeof(keys[i]), "t/%02d", i);
	for (i = 0; i < TOPS; i++) {
		const char *k = keys[(i * 7) % TKEYS], *k2 = keys[(i * 11 + 3) % TKEYS];

		switch (i % 5) {
		case 0: s->ops[i] = copy(k2, k); break;
		case 1: s->ops[i] = del(k); break;
		case 2: s->ops[i] = meta(k); break;
		default: s->ops[i] = put(k); break;
		}
	}
	UNIT_CHECK_INT(journal_add(s->j, s->ops, TOPS, ids), 0);
	s->first = ids[0];
	for (i = 1; i < TOPS; i++)
		UNIT_CHECK_INT(ids[i], s->first + i);
	t = now_ms();
	s->deadline = t + 60e3;
	for (n = 0; n < NTHREADS; n++)
		UNIT_CHECK_INT(pthread_create(&th[n], NULL, claimer, s), 0);
	for (n = 0; n < NTHREADS; n++)
		pthread_join(th[n], NULL);
	printf("# %d ops on %d keys through %d threads in %.1f ms\n", TOPS, TKEYS, NTHREADS,
	       now_ms() - t);
	UNIT_CHECK_INT(s->twice, 0);
	UNIT_CHECK_INT(s->early, 0);
	UNIT_CHECK_INT(s->errors, 0);
	UNIT_CHECK_INT(s->ndone, TOPS);
	UNIT_CHECK_INT(journal_count(s->j), 0);
	pthread_mutex_destroy(&s->lock);
out:
	if (s)
		journal_close(s->j);
	free(s);
	free(ids);
}

/* ---- 10,000 ops ---- */

#define BIG 10000

static void t_big(void)
{
	struct journal_op *ops = calloc(BIG, sizeof(*ops));
	char (*key)[48] = calloc(BIG, sizeof(*key));
	struct journal *j = NULL;
	double t, add_ms, run_ms;
	int64_t id;
	int i, n = 0;

	unit_case("10,000 independent ops: added, claimed and done quickly");
	if (!ops || !key || !(j = open_ok("big.db")))
		goto out;
	for (i = 0; i < BIG; i++) {
		snprintf(key[i], sizeof(key[i]), "data/spot/daily/%05d.zip", i);
		ops[i] = put(key[i]);
	}
	t = now_ms();
	UNIT_CHECK_INT(journal_add(j, ops, BIG, NULL), 0);
	add_ms = now_ms() - t;
	t = now_ms();
	while ((id = claim_id(j)) > 0)
		n += journal_done(j, id) == 0;
	run_ms = now_ms() - t;
	UNIT_CHECK_INT(n, BIG);
	UNIT_CHECK_INT(journal_count(j), 0);
	printf("# %d ops: added in %.1f ms, claimed and done in %.1f ms (%.0f ops/s)\n",
	       BIG, add_ms, run_ms, BIG / run_ms * 1e3);
	UNIT_CHECK(run_ms < 3000);

	/* The slow case: claims held ahead of the rest, and a long chain on
	 * one key ahead of independent ops. */
	for (i = 0; i < BIG; i++)
		ops[i] = put(i < BIG / 2 ? "same" : key[i]);
	UNIT_CHECK_INT(journal_add(j, ops, BIG, NULL), 0);
	t = now_ms();
	for (i = 0; i < BIG / 2 + 1; i++)
		n += claim_id(j) > 0;
	printf("# a chain of %d ops on one key ahead: %d claims in %.1f ms\n",
	       BIG / 2, BIG / 2 + 1, now_ms() - t);
	UNIT_CHECK_INT(claim_id(j), 0);
out:
	journal_close(j);
	free(ops);
	free(key);
}

static void rm_tmpdir(void)
{
	char path[600];
	struct dirent *de;
	DIR *dp = opendir(tmpdir);

	while (dp && (de = readdir(dp))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	if (dp)
		closedir(dp);
	rmdir(tmpdir);
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	struct journal *j;

	snprintf(tmpdir, sizeof(tmpdir), "%s/t_journal.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	t_open_errors();
	j = open_ok("main.db");
	if (j) {
		t_roundtrip(j);
		t_order(j);
		t_delay(j);
		j = t_reopen(j);
	}
	if (j) {
		t_each(j);
		t_rekey(j);
		t_drop_puts(j);
		t_pending(j);
	}
	journal_close(j);	/* with a claim: it just goes */
	j = open_ok("model.db");
	if (j)
		j = t_model(j);
	journal_close(j);
	t_threads();
	t_big();
	rm_tmpdir();
	return unit_done();
}
