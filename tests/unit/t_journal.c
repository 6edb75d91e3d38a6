/*
 * t_journal: the write-back journal, on databases in a temporary
 * directory: fields kept through add, claim, retry and done; the order of
 * ops per path (a rename's COPY before its DELETE); delays; replay after a
 * reopen; rekey and drop_puts; unlink and rename, each one transaction;
 * pending counts by key and prefix; files that
 * are not journals.  The model check, the threads and the timing are in
 * t_journal_order.c.
 */
#include "unit.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal_util.h"

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

	unit_path(path, sizeof(path), "notes.txt");
	write_file(path, text);
	snprintf(want, sizeof(want), "cannot open journal '%s'", path);
	UNIT_CHECK_INT(journal_open(path, &j, err, sizeof(err)), -1);
	UNIT_CHECK(strstr(err, want) != NULL);
	UNIT_CHECK(strstr(err, "not an SQLite database") != NULL);
	f = fopen(path, "r");
	UNIT_CHECK(f && fgets(buf, sizeof(buf), f) && !strcmp(buf, text));
	if (f)
		fclose(f);

	unit_path(path, sizeof(path), "other.db");
	make_db(path, 0, 0);
	snprintf(want, sizeof(want), "cannot open journal '%s'", path);
	UNIT_CHECK_INT(journal_open(path, &j, err, sizeof(err)), -1);
	UNIT_CHECK(strstr(err, want) != NULL);
	UNIT_CHECK(strstr(err, "not a lakemount journal") != NULL);

	unit_path(path, sizeof(path), "index.db");
	make_db(path, 0x4c4d4958, 1);		/* the index's "LMIX" */
	UNIT_CHECK_INT(journal_open(path, &j, err, sizeof(err)), -1);
	UNIT_CHECK(strstr(err, "not a lakemount journal") != NULL);

	unit_path(path, sizeof(path), "future.db");
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
	unit_path(path, sizeof(path), "main.db");
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

/* The ops of the journal, in id order: "KIND key [staged]" each. */
static int ops_text(void *arg, const struct journal_op *op)
{
	static const char *const kinds[] = { "?", "PUT", "COPY", "DELETE", "META" };
	char *s = arg;

	snprintf(s + strlen(s), 512 - strlen(s), "%s%s %s%s%s", *s ? ", " : "",
		 kinds[op->kind], op->src_key[0] ? op->src_key : "",
		 op->src_key[0] ? ">" : "", op->key);
	if (op->kind != JOURNAL_PUT && op->staged[0])
		snprintf(s + strlen(s), 512 - strlen(s), " [%s]", op->staged);
	return 0;
}

static void check_ops(struct journal *j, const char *want)
{
	char got[512] = "";

	UNIT_CHECK_INT(journal_each(j, ops_text, got), 0);
	UNIT_CHECK_STR(got, want);
}

static void t_names(struct journal *j)
{
	int64_t p, id;
	int d = -1;

	unit_case("unlink: its PUTs dropped and its DELETE added at once; claimed PUTs stay");
	add1(j, put("u"));
	add1(j, meta("u"));
	UNIT_CHECK_INT(journal_unlink(j, "s3", "u"), 2);
	check_ops(j, "DELETE u");
	drain(j);
	p = add1(j, put("u"));
	UNIT_CHECK_INT(claim_id(j), p);
	UNIT_CHECK_INT(journal_unlink(j, "s3", "u"), 0);
	UNIT_CHECK_INT(claim_id(j), 0);		/* the DELETE waits for the PUT */
	UNIT_CHECK_INT(journal_done(j, p), 0);
	drain(j);

	unit_case("rename: a lone PUT is rekeyed and the old key deleted, at once");
	add1(j, put(".t"));
	UNIT_CHECK_INT(journal_rename(j, "s3", ".t", "t", 0, "7", &d), 1);
	UNIT_CHECK_INT(d, 0);
	check_ops(j, "PUT t, DELETE .t [7]");
	UNIT_CHECK((p = claim_id(j)) > 0);
	UNIT_CHECK((id = claim_id(j)) > 0);		/* two paths: both run */
	UNIT_CHECK_INT(journal_done(j, p), 0);
	UNIT_CHECK_INT(journal_done(j, id), 0);
	drain(j);

	unit_case("rename: a PUT that ran is copied; over a file, its PUTs go, no DELETE");
	p = add1(j, put("a"));
	UNIT_CHECK_INT(claim_id(j), p);
	add1(j, put("b"));
	add1(j, meta("b"));
	UNIT_CHECK_INT(journal_rename(j, "s3", "a", "b", 1, "9", &d), 0);
	UNIT_CHECK_INT(d, 2);
	check_ops(j, "PUT a, COPY a>b [9], DELETE a");
	UNIT_CHECK_INT(claim_id(j), 0);		/* the COPY waits for the PUT */
	UNIT_CHECK_INT(journal_done(j, p), 0);
	UNIT_CHECK_INT(id = claim_id(j), p + 3);
	UNIT_CHECK_INT(claim_id(j), 0);		/* the DELETE waits for the COPY */
	UNIT_CHECK_INT(journal_done(j, id), 0);
	drain(j);

	unit_case("rename over a file whose PUT runs: copied after it; replaced_later sees it");
	p = add1(j, put("y"));
	UNIT_CHECK_INT(claim_id(j), p);
	add1(j, put("x"));
	UNIT_CHECK_INT(journal_rename(j, "s3", "x", "y", 1, "3", &d), 0);
	UNIT_CHECK_INT(d, 0);
	check_ops(j, "PUT y, PUT x, COPY x>y [3], DELETE x");
	UNIT_CHECK_INT(journal_replaced_later(j, p, "s3", "y"), 1);
	UNIT_CHECK_INT(journal_replaced_later(j, p + 1, "s3", "x"), 1);	/* its DELETE */
	UNIT_CHECK_INT(journal_replaced_later(j, p + 2, "s3", "y"), 0);
	UNIT_CHECK_INT(journal_done(j, p), 0);
	drain(j);
	UNIT_CHECK_INT(journal_rename(j, "s3", "", "y", 0, "", &d), -1);
	UNIT_CHECK_INT(journal_count(j), 0);
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

int main(void)
{
	struct journal *j;

	if (unit_tmpdir("t_journal"))
		return 1;
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
		t_names(j);
		t_pending(j);
	}
	journal_close(j);	/* with a claim: it just goes */
	unit_tmpdir_remove();
	return unit_done();
}
