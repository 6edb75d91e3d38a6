/*
 * t_index_pages: listing pages stored in bulk (cache/index_list.c): a
 * first page in statements of many rows, each row with the number the page
 * returned, and the time a Binance-sized folder (6,000 keys) takes.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "index_util.h"

/* ---- a Binance-sized folder ---- */

#define BIG 6000
#define PAGE 1000
#define NLOOKUP 100000

struct count {
	size_t n;
	int sorted;
	char last[64];
};

static int count_add(void *arg, const struct index_entry *e)
{
	struct count *c = arg;

	c->sorted &= !c->n++ || strcmp(c->last, e->name) < 0;
	snprintf(c->last, sizeof(c->last), "%s", e->name);
	return 0;
}

/* One listing of the 6,000 keys of spot/daily/klines/BTCUSDT/1m: 3,000
 * days, each a zip and its CHECKSUM.  Returns the milliseconds it took and
 * the slowest page's in *worst. */
static double list_big(struct index *ix, uint64_t d, struct index_child *c, double *worst)
{
	double t0 = unit_now_ms(), t;
	uint64_t gen;
	int i;

	*worst = 0;
	UNIT_CHECK_INT(index_listing_begin(ix, d, &gen), 0);
	for (i = 0; i < BIG; i += PAGE) {
		t = unit_now_ms();
		UNIT_CHECK_INT(index_listing_page(ix, d, gen, c + i, PAGE, NULL), 0);
		t = unit_now_ms() - t;
		*worst = t > *worst ? t : *worst;
	}
	UNIT_CHECK_INT(index_listing_end(ix, d, gen, 1), 0);
	return unit_now_ms() - t0;
}

static void t_big(void)
{
	struct index_child *c = calloc(BIG, sizeof(*c));
	char (*nm)[48] = calloc(BIG, sizeof(*nm)), (*key)[96] = calloc(BIG, sizeof(*key));
	struct count cnt = { 0, 1, "" };
	struct index_entry e;
	struct index *ix = NULL;
	double ms, worst, t;
	uint64_t d, first, next;
	int i, misses = 0;

	unit_case("6,000 children: six pages of 1,000, readdir, lookups, relisting");
	if (!c || !nm || !key || !(ix = open_ok("big.db")) ||
	    index_ensure_dir(ix, 1, "1m", 0, "data/spot/daily/klines/BTCUSDT/1m/", &d))
		goto out;
	for (i = 0; i < BIG; i++) {
		int day = i / 2;

		snprintf(nm[i], sizeof(nm[i]), "BTCUSDT-1m-%04d-%02d-%02d.zip%s",
			 2017 + day / 372, 1 + day / 31 % 12, 1 + day % 31,
			 i % 2 ? ".CHECKSUM" : "");
		snprintf(key[i], sizeof(key[i]), "data/spot/daily/klines/BTCUSDT/1m/%s", nm[i]);
		c[i] = file(nm[i], key[i], i % 2 ? 92 : 60000 + (uint64_t)i,
			    "0123456789abcdef0123456789abcdef");
	}
	ms = list_big(ix, d, c, &worst);
	printf("# %d children in %.1f ms (%d pages, slowest %.1f ms)\n", BIG, ms,
	       BIG / PAGE, worst);
	UNIT_CHECK_INT(index_count_children(ix, d), BIG);
	first = ino_of(ix, d, nm[0]);

	t = unit_now_ms();
	UNIT_CHECK_INT(index_readdir(ix, d, count_add, &cnt), 0);
	printf("# readdir of %d in %.1f ms\n", BIG, unit_now_ms() - t);
	UNIT_CHECK_INT(cnt.n, BIG);
	UNIT_CHECK(cnt.sorted);

	t = unit_now_ms();
	for (i = 0; i < NLOOKUP; i++) {
		misses += index_lookup(ix, d, nm[(i * 7919) % BIG], &e) != 0;
		index_entry_release(&e);
	}
	t = unit_now_ms() - t;
	UNIT_CHECK_INT(misses, 0);
	printf("# %d lookups in %.1f ms: %.0f lookups/s\n", NLOOKUP, t, NLOOKUP / t * 1e3);

	ms = list_big(ix, d, c, &worst);
	printf("# relisting %d unchanged in %.1f ms (slowest page %.1f ms)\n", BIG, ms, worst);
	UNIT_CHECK_INT(ino_of(ix, d, nm[0]), first);
	/* Relisting, and a put of a known name, used up no inode numbers. */
	UNIT_CHECK_INT(index_put(ix, d, &c[0], NULL), 0);
	UNIT_CHECK_INT(index_put(ix, d, &(struct index_child){ "new", INDEX_FILE, "n", 1, "", 0 },
				 &next), 0);
	UNIT_CHECK_INT(next, first + BIG);
	UNIT_CHECK_INT(list_all(ix, d, c, 0, 2), 0);
	UNIT_CHECK_INT(index_count_children(ix, d), 0);
out:
	index_close(ix);
	free(c);
	free(nm);
	free(key);
}

/* ---- pages in statements of many rows ---- */

/* A first page goes in IX_BATCH rows to a statement; what each row gets
 * must be what one statement a row gave. */
static void t_batch(void)
{
	static char names[100][8], keys[100][16];
	struct index_child c[100];
	struct index *ix;
	uint64_t d, gen, inos[100], seeded;
	size_t i, bad = 0;

	unit_case("a first page of 100 names: each row has the number the page returned");
	for (i = 0; i < 100; i++) {
		snprintf(names[i], sizeof(names[i]), "n%03zu", i);
		snprintf(keys[i], sizeof(keys[i]), "b/n%03zu", i);
		c[i] = i % 7 ? file(names[i], keys[i], i, "e") : dir(names[i], keys[i]);
	}
	if (!(ix = open_ok("batch.db")) || index_ensure_dir(ix, 1, "batch", 0, "b/", &d) ||
	    index_listing_begin(ix, d, &gen))
		goto out;
	UNIT_CHECK_INT(index_listing_page(ix, d, gen, c, 100, inos), 0);
	UNIT_CHECK_INT(index_listing_end(ix, d, gen, 20), 0);
	UNIT_CHECK_INT(index_count_children(ix, d), 100);
	for (i = 0; i < 100; i++)
		bad += !inos[i] || ino_of(ix, d, names[i]) != inos[i] ||
		       (i && inos[i] <= inos[i - 1]);
	UNIT_CHECK_INT(bad, 0);

	unit_case("a name twice in a batch (a key and a prefix): one row, the others as before");
	c[40] = file("n041", "b/n041", 1, "e");	/* and c[41] is n041 too */
	if (index_ensure_dir(ix, 1, "batch2", 0, "b/", &d) || index_listing_begin(ix, d, &gen))
		goto out;
	UNIT_CHECK_INT(index_listing_page(ix, d, gen, c, 70, inos), 0);
	UNIT_CHECK_INT(index_count_children(ix, d), 69);
	for (bad = 0, i = 0; i < 70; i++)
		if (i != 40 && i != 41)
			bad += !inos[i] || ino_of(ix, d, names[i]) != inos[i];
	UNIT_CHECK_INT(bad, 0);
	UNIT_CHECK(ino_of(ix, d, "n041") != 0);

	/* The lookup that finds a folder leaves its first key as a row: the
	 * batch it falls in goes name by name, the others 32 at a time. */
	unit_case("a first page with a row a lookup left: it keeps its number, every row once");
	c[40] = file(names[40], keys[40], 40, "e");
	if (index_ensure_dir(ix, 1, "batch3", 0, "b/", &d) ||
	    index_put(ix, d, &c[50], &seeded) || index_listing_begin(ix, d, &gen))
		goto out;
	UNIT_CHECK_INT(index_listing_page(ix, d, gen, c, 100, inos), 0);
	UNIT_CHECK_INT(index_listing_end(ix, d, gen, 20), 0);
	UNIT_CHECK_INT(index_count_children(ix, d), 100);
	UNIT_CHECK_INT(ino_of(ix, d, names[50]), seeded);
	UNIT_CHECK_INT(inos[50], seeded);
	for (bad = 0, i = 0; i < 100; i++)
		bad += !inos[i] || ino_of(ix, d, names[i]) != inos[i];
	UNIT_CHECK_INT(bad, 0);
out:
	index_close(ix);
}

int main(void)
{
	if (unit_tmpdir("t_index_pages"))
		return 1;
	t_batch();
	t_big();
	unit_tmpdir_remove();
	return unit_done();
}
