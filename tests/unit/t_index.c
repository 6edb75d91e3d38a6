/*
 * t_index: the SQLite index, on a database in a temporary directory: the
 * skeleton, listings (with vanished children and their subtrees), lookups
 * and puts racing a listing, name order, reopening, rebuilding, threads.
 * Pages of listings in bulk are t_index_pages.c's.
 */
#include "unit.h"

#include <stdio.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index.h"
#include "index_util.h"

/* dir's listing state as "complete/listed_at" (main thread only). */
static const char *state(struct index *ix, uint64_t d)
{
	static char buf[64];
	struct index_dirstate st;

	if (index_dir_state(ix, d, &st))
		return "error";
	snprintf(buf, sizeof(buf), "%d/%lld", st.complete, (long long)st.listed_at);
	return buf;
}

static int exists(struct index *ix, uint64_t ino)
{
	struct index_entry e;
	int rc = index_get(ix, ino, &e);

	index_entry_release(&e);
	return rc == 0;
}

/* ---- readdir into a list of names ---- */

struct names {
	char *v[64];
	size_t n, stop_at;
	struct index *reenter;
	int reenter_rc;
};

static int names_add(void *arg, const struct index_entry *e)
{
	struct names *l = arg;
	struct index_entry x;

	if (l->reenter)
		l->reenter_rc = index_lookup(l->reenter, 1, "archive", &x);
	if (l->n == 64 || !(l->v[l->n] = strdup(e->name)))
		return 1;
	l->n++;
	return l->stop_at && l->n == l->stop_at;
}

static void names_free(struct names *l)
{
	while (l->n)
		free(l->v[--l->n]);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- cases ---- */

static void t_open_errors(void)
{
	static const char text[] = "this is somebody's notes file, not a database\n";
	struct index *ix = NULL;
	char path[512], err[512], buf[128] = "";
	sqlite3 *db;
	FILE *f;

	unit_case("open refuses a missing directory, a text file, another program's db");
	UNIT_CHECK_INT(index_open(&ix, "/nonexistent-lm/sub/index.db", err, sizeof(err)), -1);
	UNIT_CHECK(strstr(err, "cannot open index '/nonexistent-lm/sub/index.db'") != NULL);
	UNIT_CHECK(strstr(err, "unable to open") != NULL);

	unit_path(path, sizeof(path), "notes.txt");
	f = fopen(path, "w");
	UNIT_CHECK(f != NULL);
	for (int i = 0; f && i < 40; i++)
		fputs(text, f);
	if (f)
		fclose(f);
	UNIT_CHECK_INT(index_open(&ix, path, err, sizeof(err)), -1);
	UNIT_CHECK(strstr(err, "not an SQLite database") != NULL);
	f = fopen(path, "r");
	UNIT_CHECK(f && fgets(buf, sizeof(buf), f) && !strcmp(buf, text));
	if (f)
		fclose(f);

	unit_path(path, sizeof(path), "other.db");
	UNIT_CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	UNIT_CHECK_INT(sqlite3_exec(db, "CREATE TABLE mine(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	UNIT_CHECK_INT(index_open(&ix, path, err, sizeof(err)), -1);
	UNIT_CHECK(strstr(err, "another program's database") != NULL);
	UNIT_CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	UNIT_CHECK_INT(sqlite3_exec(db, "SELECT x FROM mine", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void t_skeleton(struct index *ix)
{
	struct index_child c[2] = { file("a.zip", "data/a.zip", 1, "e1"),
				    dir("spot", "data/spot/") };
	struct index_entry e;
	uint64_t a, b, b2, f, again;

	unit_case("the root, and skeleton directories: created once, a new key drops the listing");
	UNIT_CHECK_INT(index_get(ix, INDEX_ROOT_INO, &e), 0);
	UNIT_CHECK(e.parent == 0 && e.kind == INDEX_DIR && e.tree == -1);
	UNIT_CHECK(e.name && !*e.name && e.key && !*e.key);
	index_entry_release(&e);
	UNIT_CHECK_INT(index_count_children(ix, 0), 1);
	UNIT_CHECK_INT(index_get(ix, 999, &e), 1);
	UNIT_CHECK(e.name == NULL);
	/* A tree mounted at the root: the root row itself takes it. */
	UNIT_CHECK_INT(index_ensure_dir(ix, 0, "", 7, "top/", &again), 0);
	UNIT_CHECK_INT(again, INDEX_ROOT_INO);
	UNIT_CHECK(index_get(ix, 1, &e) == 0 && e.tree == 7 && !strcmp(e.key, "top/"));
	index_entry_release(&e);
	UNIT_CHECK_INT(index_ensure_dir(ix, 0, "", -1, "", &again), 0);
	UNIT_CHECK_INT(index_ensure_dir(ix, 0, "x", -1, "", &again), -1);
	UNIT_CHECK_INT(index_ensure_dir(ix, 1, "archive", -1, "", &a), 0);
	UNIT_CHECK_INT(index_ensure_dir(ix, a, "binance", 0, "data/", &b), 0);
	UNIT_CHECK(a > 1 && b > a);
	UNIT_CHECK_INT(index_ensure_dir(ix, 1, "archive", -1, "", &again), 0);
	UNIT_CHECK_INT(again, a);
	UNIT_CHECK_INT(index_lookup(ix, a, "binance", &e), 0);
	UNIT_CHECK(e.ino == b && e.parent == a && e.kind == INDEX_DIR && e.tree == 0);
	UNIT_CHECK_STR(e.key, "data/");
	index_entry_release(&e);

	/* A listing under it, then the config moves the tree elsewhere. */
	UNIT_CHECK_INT(list_all(ix, b, c, 2, 100), 0);
	UNIT_CHECK_INT(index_ensure_dir(ix, b, "extra", 3, "x/", &f), 0);
	UNIT_CHECK_INT(index_count_children(ix, b), 3);
	UNIT_CHECK_INT(index_ensure_dir(ix, a, "binance", 1, "data2/", &b2), 0);
	UNIT_CHECK_INT(b2, b);
	UNIT_CHECK_INT(index_count_children(ix, b), 1);	/* the skeleton "extra" */
	UNIT_CHECK_INT(ino_of(ix, b, "extra"), f);
	UNIT_CHECK_STR(state(ix, b), "0/0");
	UNIT_CHECK(index_get(ix, b, &e) == 0 && e.tree == 1 && !strcmp(e.key, "data2/"));
	index_entry_release(&e);
	UNIT_CHECK_INT(index_ensure_dir(ix, a, "binance", 0, "data/", &b2), 0);

	/* A listing of a skeleton's parent neither removes nor rewrites it. */
	c[0] = file("extra", "data/extra", 5, "e5");
	UNIT_CHECK_INT(list_all(ix, b, c, 1, 101), 0);
	UNIT_CHECK(index_get(ix, f, &e) == 0 && e.kind == INDEX_DIR && !strcmp(e.key, "x/"));
	index_entry_release(&e);
	UNIT_CHECK_INT(list_all(ix, b, c + 1, 1, 102), 0);
	UNIT_CHECK(exists(ix, f));
	/* Forgetting a listing (the source changed) keeps the skeleton. */
	UNIT_CHECK_INT(index_forget(ix, b), 0);
	UNIT_CHECK_INT(index_count_children(ix, b), 1);
	UNIT_CHECK_STR(state(ix, b), "0/0");
	UNIT_CHECK_INT(index_remove(ix, b, "extra"), 0);

	/* A file in the way is replaced by the directory. */
	c[0] = file("gold", "gold", 1, "e");
	UNIT_CHECK_INT(index_put(ix, 1, &c[0], &f), 0);
	UNIT_CHECK_INT(index_ensure_dir(ix, 1, "gold", 2, "gold/", &again), 0);
	UNIT_CHECK(again > f);
	UNIT_CHECK(!exists(ix, f));
	UNIT_CHECK_INT(index_ensure_dir(ix, 1, "a/b", -1, "", &again), -1);
	UNIT_CHECK_INT(again, 0);
	UNIT_CHECK_INT(index_ensure_dir(ix, 1, "..", -1, "", &again), -1);
	UNIT_CHECK_INT(index_ensure_dir(ix, 12345, "x", -1, "", &again), -1);
	UNIT_CHECK(strstr(index_errmsg(), "no directory 12345") != NULL);
}

static void t_listing(struct index *ix)
{
	const char *p = "data/spot/daily/klines/";
	struct index_child top[4] = {
		dir("BTCUSDT", "data/spot/daily/klines/BTCUSDT/"),
		dir("ETHUSDT", "data/spot/daily/klines/ETHUSDT/"),
		file("a.zip", "data/spot/daily/klines/a.zip", 10, "aaa"),
		file("b.zip", "data/spot/daily/klines/b.zip", 20, "bbb"),
	};
	struct index_child btc = dir("1m", "data/spot/daily/klines/BTCUSDT/1m/");
	struct index_child days[2] = {
		file("BTCUSDT-1m-2024-01-01.zip", "k1", 60000, "d1"),
		file("BTCUSDT-1m-2024-01-01.zip.CHECKSUM", "k2", 92, "d2"),
	};
	struct index_entry e;
	uint64_t k, gen, b, m1, d1, eth, a, newer;

	unit_case("a listing adds, updates, and removes vanished children with their subtrees");
	if (index_ensure_dir(ix, 1, "klines", 0, p, &k))
		return;
	UNIT_CHECK_INT(index_listing_begin(ix, k, &gen), 0);
	UNIT_CHECK_INT(index_listing_page(ix, k, gen, top, 2, NULL), 0);
	UNIT_CHECK_STR(state(ix, k), "0/0");		/* not before the end */
	UNIT_CHECK_INT(index_listing_page(ix, k, gen, top + 2, 2, NULL), 0);
	UNIT_CHECK_INT(index_listing_end(ix, k, gen, 1000), 0);
	UNIT_CHECK_STR(state(ix, k), "1/1000");
	UNIT_CHECK_INT(index_count_children(ix, k), 4);
	UNIT_CHECK_INT(index_lookup(ix, k, "a.zip", &e), 0);
	UNIT_CHECK(e.tree == 0 && e.size == 10 && e.mtime == 1700000000); /* the parent's tree */
	UNIT_CHECK_STR(e.etag, "aaa");
	a = e.ino;
	index_entry_release(&e);

	b = ino_of(ix, k, "BTCUSDT");
	eth = ino_of(ix, k, "ETHUSDT");
	UNIT_CHECK_INT(list_all(ix, b, &btc, 1, 1001), 0);
	m1 = ino_of(ix, b, "1m");
	UNIT_CHECK_INT(list_all(ix, m1, days, 2, 1002), 0);
	d1 = ino_of(ix, m1, days[0].name);
	UNIT_CHECK(b && m1 && d1);

	/* Relisted: BTCUSDT and b.zip vanished, a.zip was republished. */
	top[0] = dir("ETHUSDT", "data/spot/daily/klines/ETHUSDT/");
	top[1] = file("a.zip", "data/spot/daily/klines/a.zip", 11, "aaa2");
	UNIT_CHECK_INT(list_all(ix, k, top, 2, 2000), 0);
	UNIT_CHECK_INT(index_count_children(ix, k), 2);
	UNIT_CHECK_INT(ino_of(ix, k, "ETHUSDT"), eth);	/* numbers stay */
	UNIT_CHECK(index_lookup(ix, k, "a.zip", &e) == 0 && e.ino == a && e.size == 11);
	UNIT_CHECK_STR(e.etag, "aaa2");
	index_entry_release(&e);
	UNIT_CHECK(!exists(ix, b) && !exists(ix, m1) && !exists(ix, d1));
	UNIT_CHECK_STR(state(ix, m1), "0/0");
	UNIT_CHECK_STR(state(ix, b), "0/0");

	/* BTCUSDT comes back: a new number, larger than any before. */
	top[0] = dir("BTCUSDT", "data/spot/daily/klines/BTCUSDT/");
	UNIT_CHECK_INT(index_put(ix, k, &top[0], &newer), 0);
	UNIT_CHECK(newer > d1);
	UNIT_CHECK_INT(index_listing_begin(ix, d1, &gen), 1);	/* gone */
	UNIT_CHECK_INT(index_listing_page(ix, m1, 1, days, 1, NULL), 1);
	UNIT_CHECK_INT(index_listing_end(ix, m1, 1, 5), 1);
	UNIT_CHECK_INT(index_count_children(ix, m1), 0);	/* no orphans */
	UNIT_CHECK_INT(index_listing_begin(ix, a, &gen), 1);	/* a file */
	UNIT_CHECK_INT(index_forget(ix, a), 1);
	UNIT_CHECK_INT(index_listing_end(ix, k, 999, 5), -1);	/* no such gen */
	UNIT_CHECK(strstr(index_errmsg(), "has no listing 999") != NULL);
	top[0] = file("x/y", "k", 1, "e");
	top[1] = file("", "k", 1, "e");
	UNIT_CHECK_INT(index_listing_page(ix, k, 1, top, 1, NULL), -1);
	UNIT_CHECK_INT(index_listing_page(ix, k, 1, top + 1, 1, NULL), -1);
}

static void t_races(struct index *ix)
{
	struct index_child c[3] = { file("x", "x", 1, "e"), file("y", "y", 1, "e"),
				    file("z", "z", 1, "e") };
	struct index_child kd = dir("k", "k/"), kf = file("k", "k", 1, "e");
	uint64_t d, g1, g2, x, y, k1, k2, sub;

	unit_case("puts and overlapping listings keep what some listing or lookup saw");
	if (index_ensure_dir(ix, 1, "races", 0, "races/", &d))
		return;
	UNIT_CHECK_INT(list_all(ix, d, c, 1, 10), 0);
	x = ino_of(ix, d, "x");

	/* y is found by a lookup while a listing runs, after the listing
	 * went past it: it stays. */
	UNIT_CHECK_INT(index_listing_begin(ix, d, &g1), 0);
	UNIT_CHECK_INT(index_put(ix, d, &c[1], &y), 0);
	UNIT_CHECK(y > x);
	UNIT_CHECK_INT(index_listing_page(ix, d, g1, c, 1, NULL), 0);
	UNIT_CHECK_INT(index_listing_end(ix, d, g1, 11), 0);
	UNIT_CHECK_INT(ino_of(ix, d, "y"), y);
	UNIT_CHECK_INT(ino_of(ix, d, "x"), x);

	/* A put keeps the listing complete; the next listing decides. */
	UNIT_CHECK_INT(index_put(ix, d, &c[2], NULL), 0);
	UNIT_CHECK_STR(state(ix, d), "1/11");
	UNIT_CHECK_INT(index_remove(ix, d, "x"), 0);
	UNIT_CHECK_STR(state(ix, d), "1/11");
	UNIT_CHECK_INT(list_all(ix, d, c + 1, 1, 12), 0);
	UNIT_CHECK_INT(index_count_children(ix, d), 1);
	UNIT_CHECK_INT(ino_of(ix, d, "y"), y);

	/* Two listings overlap: the older one's end keeps what the newer saw. */
	UNIT_CHECK_INT(index_listing_begin(ix, d, &g1), 0);
	UNIT_CHECK_INT(index_listing_begin(ix, d, &g2), 0);
	UNIT_CHECK(g2 > g1);
	UNIT_CHECK_INT(index_listing_page(ix, d, g2, c, 3, NULL), 0);
	UNIT_CHECK_INT(index_listing_page(ix, d, g1, c + 1, 1, NULL), 0);
	UNIT_CHECK_INT(index_listing_end(ix, d, g1, 13), 0);
	UNIT_CHECK_INT(index_count_children(ix, d), 3);
	UNIT_CHECK_INT(index_listing_end(ix, d, g2, 14), 0);
	UNIT_CHECK_INT(index_count_children(ix, d), 3);
	UNIT_CHECK_INT(ino_of(ix, d, "y"), y);
	UNIT_CHECK_STR(state(ix, d), "1/14");

	/* A listing asked of S3 before an upload landed (it saw y empty)
	 * ends after the row was unpinned: the row keeps what landed. */
	{
		struct index_child empty = file("y", "y", 0, "d41d"), landed = file("y", "y", 7, "e7");
		struct index_attr a = { 7, "e7", 1700000000, 0, -1, -1 };
		struct index_entry e;
		uint64_t yl;

		UNIT_CHECK_INT(index_listing_begin(ix, d, &g1), 0);
		UNIT_CHECK_INT(index_put_local(ix, d, &landed, &a, &yl), 0);
		UNIT_CHECK_INT(yl, y);
		UNIT_CHECK_INT(index_unpin(ix, y), 0);
		UNIT_CHECK_INT(index_listing_page(ix, d, g1, &empty, 1, NULL), 0);
		UNIT_CHECK_INT(index_listing_end(ix, d, g1, 15), 0);
		UNIT_CHECK_INT(index_get(ix, y, &e), 0);
		UNIT_CHECK_INT(e.size, 7);
		UNIT_CHECK_STR(e.etag, "e7");
		index_entry_release(&e);
		/* a listing begun after it is news again */
		UNIT_CHECK_INT(list_all(ix, d, &empty, 1, 16), 0);
		UNIT_CHECK_INT(index_get(ix, y, &e), 0);
		UNIT_CHECK_INT(e.size, 0);
		index_entry_release(&e);
		UNIT_CHECK_INT(list_all(ix, d, c, 3, 17), 0);
	}

	/* A name that changes kind gets a new number, and its subtree goes. */
	UNIT_CHECK_INT(index_put(ix, d, &kd, &k1), 0);
	UNIT_CHECK_INT(index_put(ix, k1, &c[0], &sub), 0);
	UNIT_CHECK_INT(index_put(ix, d, &kd, &k2), 0);
	UNIT_CHECK_INT(k2, k1);
	UNIT_CHECK_INT(index_put(ix, d, &kf, &k2), 0);
	UNIT_CHECK(k2 > k1);
	UNIT_CHECK(!exists(ix, k1) && !exists(ix, sub));
	UNIT_CHECK_INT(index_put(ix, k2, &c[0], NULL), -1);	/* k is a file now */
	UNIT_CHECK_INT(index_put(ix, 424242, &c[0], NULL), -1);
	kf.name = "a/b";
	UNIT_CHECK_INT(index_put(ix, d, &kf, NULL), -1);
}

static void t_readdir(struct index *ix)
{
	static const char *const n[] = {
		"BTCUSDT", "币安人生USDT", "a b", "a+b", "a", "Z", "z", "1000SHIBUSDT",
		"BTCUSDT_230331", "BTCUSD_PERP", "ICPUSDT_SETTLED", "é", "a%2Fb", "~",
		"-", ".hidden", "a\tb", "\xff\xfe", "BTCUSDT-1m-2024-01-01.zip",
	};
	size_t nn = sizeof(n) / sizeof(n[0]), i;
	struct index_child c[sizeof(n) / sizeof(n[0])];
	char keys[sizeof(n) / sizeof(n[0])][64];
	const char *want[sizeof(n) / sizeof(n[0])];
	struct names got = { 0 };
	struct index_entry e;
	uint64_t d;

	unit_case("readdir gives names in byte order, odd and non-ASCII ones included");
	if (index_ensure_dir(ix, 1, "names", 0, "names/", &d))
		return;
	for (i = 0; i < nn; i++) {
		snprintf(keys[i], sizeof(keys[i]), "names/%s", n[i]);
		c[i] = i % 3 ? file(n[i], keys[i], i, "e") : dir(n[i], keys[i]);
		want[i] = n[i];
	}
	UNIT_CHECK_INT(list_all(ix, d, c, nn, 1), 0);
	qsort(want, nn, sizeof(want[0]), cmp_str);
	UNIT_CHECK_INT(index_readdir(ix, d, names_add, &got), 0);
	UNIT_CHECK_INT(got.n, nn);
	for (i = 0; i < nn && i < got.n; i++)
		UNIT_CHECK_STR(got.v[i], want[i]);
	names_free(&got);
	UNIT_CHECK_INT(index_lookup(ix, d, "币安人生USDT", &e), 0);
	UNIT_CHECK_STR(e.key, "names/币安人生USDT");
	index_entry_release(&e);
	UNIT_CHECK_INT(index_lookup(ix, d, "a+b", &e), 0);
	index_entry_release(&e);
	UNIT_CHECK_INT(index_lookup(ix, d, "A+B", &e), 1);	/* case counts */
	UNIT_CHECK_INT(index_lookup(ix, d, "nope", &e), 1);
	UNIT_CHECK(e.name == NULL);
	index_entry_release(&e);

	got.stop_at = 2;
	got.reenter = ix;
	UNIT_CHECK_INT(index_readdir(ix, d, names_add, &got), 0);
	UNIT_CHECK_INT(got.n, 2);
	UNIT_CHECK_INT(got.reenter_rc, -1);	/* fails instead of deadlocking */
	UNIT_CHECK(strstr(index_errmsg(), "inside an index_readdir callback") != NULL);
	names_free(&got);
	UNIT_CHECK_INT(index_readdir(ix, 987654, names_add, &got), 0);
	UNIT_CHECK_INT(got.n, 0);
}

static void t_remove(struct index *ix)
{
	struct index_child da = dir("a", "r/a/"), db = dir("b", "r/a/b/"),
			   fc = file("c", "r/a/b/c", 3, "e");
	uint64_t r, a, b, c;
	int64_t before;

	unit_case("remove takes the subtree; the root stays");
	if (index_ensure_dir(ix, 1, "rm", 0, "r/", &r))
		return;
	before = index_count_children(ix, 0);
	UNIT_CHECK_INT(index_put(ix, r, &da, &a), 0);
	UNIT_CHECK_INT(index_put(ix, a, &db, &b), 0);
	UNIT_CHECK_INT(index_put(ix, b, &fc, &c), 0);
	UNIT_CHECK_INT(list_all(ix, b, &fc, 1, 7), 0);
	UNIT_CHECK_INT(index_count_children(ix, 0), before + 3);
	UNIT_CHECK_INT(index_remove(ix, r, "a"), 0);
	UNIT_CHECK(!exists(ix, a) && !exists(ix, b) && !exists(ix, c));
	UNIT_CHECK_INT(index_count_children(ix, 0), before);
	UNIT_CHECK_INT(index_remove(ix, r, "a"), 0);
	UNIT_CHECK_INT(index_remove(ix, 0, ""), -1);
	UNIT_CHECK(exists(ix, INDEX_ROOT_INO));
}

static void t_meta(struct index *ix)
{
	char v[64];

	unit_case("meta: get, set, overwrite, truncate");
	UNIT_CHECK_INT(index_meta_get(ix, "chk:e1:data/a.zip", v, sizeof(v)), 1);
	UNIT_CHECK_STR(v, "");
	UNIT_CHECK_INT(index_meta_set(ix, "chk:e1:data/a.zip", "ok"), 0);
	UNIT_CHECK_INT(index_meta_get(ix, "chk:e1:data/a.zip", v, sizeof(v)), 0);
	UNIT_CHECK_STR(v, "ok");
	UNIT_CHECK_INT(index_meta_set(ix, "chk:e1:data/a.zip", "mismatch"), 0);
	UNIT_CHECK_INT(index_meta_get(ix, "chk:e1:data/a.zip", v, 4), 0);
	UNIT_CHECK_STR(v, "mis");
	UNIT_CHECK_INT(index_meta_set(ix, "keep", "币安"), 0);
}

/* ---- across close and open ---- */

struct snap {
	uint64_t archive, binance, klines, eth, names;
	char st[64], keep[32];
	int64_t rows;
};

static void snap_take(struct index *ix, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	s->archive = ino_of(ix, 1, "archive");
	s->binance = ino_of(ix, s->archive, "binance");
	s->klines = ino_of(ix, 1, "klines");
	s->eth = ino_of(ix, s->klines, "ETHUSDT");
	s->names = ino_of(ix, 1, "names");
	snprintf(s->st, sizeof(s->st), "%s", state(ix, s->klines));
	s->rows = index_count_children(ix, 0);
	index_meta_get(ix, "keep", s->keep, sizeof(s->keep));
}

static struct index *t_reopen(struct index *ix)
{
	struct snap a, b;
	struct index_child c = file("new", "new", 1, "e");
	uint64_t ino, last;

	unit_case("close and open again: same numbers, states and meta");
	/* The largest number yet, removed: it must not come back. */
	UNIT_CHECK_INT(index_put(ix, 1, &c, &last), 0);
	UNIT_CHECK_INT(index_remove(ix, 1, "new"), 0);
	snap_take(ix, &a);
	UNIT_CHECK(a.archive && a.binance && a.klines && a.eth && a.names);
	UNIT_CHECK_STR(a.st, "1/2000");
	index_close(ix);
	ix = open_ok("main.db");
	if (!ix)
		return NULL;
	snap_take(ix, &b);
	UNIT_CHECK(!memcmp(&a, &b, sizeof(a)));	/* numbers, state, rows, meta */
	UNIT_CHECK_STR(b.keep, "币安");
	UNIT_CHECK_INT(index_put(ix, 1, &c, &ino), 0);
	UNIT_CHECK_INT(ino, last + 1);
	return ix;
}

static void set_user_version(const char *name, int v)
{
	char path[512], sql[64];
	sqlite3 *db;

	unit_path(path, sizeof(path), name);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	UNIT_CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	UNIT_CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* Overwrite the b-tree header of page 1 (sqlite_master), after the
 * 100-byte file header, so that the schema cannot be read. */
static void damage(const char *name)
{
	char path[512];
	FILE *f;

	unit_path(path, sizeof(path), name);
	f = fopen(path, "r+b");
	UNIT_CHECK(f != NULL);
	if (!f)
		return;
	fseek(f, 100, SEEK_SET);
	fwrite("\x42\x42\x42\x42\x42\x42\x42\x42\x42\x42\x42\x42", 1, 12, f);
	fclose(f);
}

static void t_rebuild(void)
{
	struct index *ix = NULL;
	char path[512], err[512];
	uint64_t a;

	unit_case("an index of another schema version, or damaged, is rebuilt empty");
	ix = open_ok("old.db");
	UNIT_CHECK(ix && index_ensure_dir(ix, 1, "archive", -1, "", &a) == 0);
	index_close(ix);
	set_user_version("old.db", 99);
	unit_path(path, sizeof(path), "old.db");
	UNIT_CHECK_INT(index_open(&ix, path, err, sizeof(err)), 0);
	UNIT_CHECK(strstr(err, "rebuilt empty") && strstr(err, "schema version 99"));
	UNIT_CHECK(ix && index_count_children(ix, 0) == 1);
	UNIT_CHECK(ix && index_ensure_dir(ix, 1, "archive", -1, "", &a) == 0);
	index_close(ix);
	ix = open_ok("old.db");
	index_close(ix);

	damage("old.db");
	UNIT_CHECK_INT(index_open(&ix, path, err, sizeof(err)), 0);
	UNIT_CHECK(strstr(err, "rebuilt empty: it was damaged") != NULL);
	UNIT_CHECK(ix && index_count_children(ix, 0) == 1);
	index_close(ix);
}

/* ---- threads ---- */

#define NTHREADS 4
#define TCHILD 1000

struct worker {
	struct index *ix;
	int id, errors;
	uint64_t shared, d;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct index_child *c = calloc(TCHILD, sizeof(*c));
	char (*nm)[32] = calloc(TCHILD, sizeof(*nm)), dname[16], v[16];
	struct names got = { 0 };
	struct index_entry e;
	uint64_t d = 0, gen;
	int i;

	if (!c || !nm)
		goto out;
	snprintf(dname, sizeof(dname), "t%d", w->id);
	w->errors += index_ensure_dir(w->ix, 1, dname, 0, "t/", &d) != 0;
	w->d = d;
	w->errors += index_listing_begin(w->ix, d, &gen) != 0;
	for (i = 0; i < TCHILD; i++) {
		snprintf(nm[i], sizeof(nm[i]), "%s-%04d.zip", dname, i);
		c[i] = file(nm[i], nm[i], (uint64_t)i, "etag");
	}
	for (i = 0; i < TCHILD; i += TCHILD / 4)
		w->errors += index_listing_page(w->ix, d, gen, c + i, TCHILD / 4, NULL) != 0;
	w->errors += index_listing_end(w->ix, d, gen, 1) != 0;
	for (i = 0; i < 500; i++) {
		w->errors += index_lookup(w->ix, d, nm[(i * 7) % TCHILD], &e) != 0;
		index_entry_release(&e);
	}
	for (i = 0; i < 100; i++)
		w->errors += index_put(w->ix, w->shared, &c[i], NULL) != 0;
	got.stop_at = 10;
	w->errors += index_readdir(w->ix, d, names_add, &got) != 0 || got.n != 10;
	names_free(&got);
	snprintf(v, sizeof(v), "%d", w->id);
	w->errors += index_meta_set(w->ix, dname, v) != 0;
	w->errors += index_meta_get(w->ix, dname, v, sizeof(v)) || strtol(v, NULL, 10) != w->id;
out:
	w->errors += !c || !nm;
	free(c);
	free(nm);
	return NULL;
}

static void t_threads(void)
{
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	struct index *ix;
	uint64_t shared;
	int i;

	unit_case("four threads list, look up, put and read at once");
	ix = open_ok("threads.db");
	if (!ix || index_ensure_dir(ix, 1, "shared", 0, "s/", &shared))
		goto out;
	for (i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ ix, i, 0, shared, 0 };
		UNIT_CHECK_INT(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		UNIT_CHECK_INT(w[i].errors, 0);
		UNIT_CHECK_INT(index_count_children(ix, w[i].d), TCHILD);
	}
	UNIT_CHECK_INT(index_count_children(ix, shared), NTHREADS * 100);
	UNIT_CHECK_INT(index_count_children(ix, 0), 1 + 1 + NTHREADS * (1 + TCHILD + 100));
out:
	index_close(ix);
}

int main(void)
{
	struct index *ix;

	if (unit_tmpdir("t_index"))
		return 1;
	t_open_errors();
	ix = open_ok("main.db");
	if (ix) {
		t_skeleton(ix);
		t_listing(ix);
		t_races(ix);
		t_readdir(ix);
		t_remove(ix);
		t_meta(ix);
		ix = t_reopen(ix);
		index_close(ix);
	}
	t_rebuild();
	t_threads();
	unit_tmpdir_remove();
	return unit_done();
}
