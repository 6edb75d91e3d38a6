/*
 * t_blocks: the block cache, in a fresh temporary directory: the file
 * format and modes, the cap and LRU eviction, pins, restarts, several
 * threads at once, and how fast a cached block reads.  t_blocks_disk.c
 * has power loss, damaged files, drops and the passthrough descriptor.
 */
#include "unit.h"

#include <pthread.h>

#include "blocks_util.h"

/* ---- cases ------------------------------------------------------------- */

static void test_ids(void)
{
	char a[BLOCKS_ID_LEN + 1], c[BLOCKS_ID_LEN + 1], path[1024];
	unsigned char x[100];
	struct blocks *b;
	size_t i;

	unit_case("object id: 64 lower-case hex, stable, new ETag -> new id");
	blocks_object_id("data.binance.vision", "data/spot/daily/klines/BTCUSDT/1m/"
			 "BTCUSDT-1m-2024-01-01.zip", "\"5d41402abc4b2a76b9719d911017c592\"", a);
	UNIT_CHECK_INT(strlen(a), 64);
	UNIT_CHECK_INT(strspn(a, "0123456789abcdef"), 64);
	blocks_object_id("data.binance.vision", "data/spot/daily/klines/BTCUSDT/1m/"
			 "BTCUSDT-1m-2024-01-01.zip", "\"5d41402abc4b2a76b9719d911017c592\"", c);
	UNIT_CHECK_STR(c, a);
	blocks_object_id("data.binance.vision", "data/spot/daily/klines/BTCUSDT/1m/"
			 "BTCUSDT-1m-2024-01-01.zip", "\"0d41402abc4b2a76b9719d911017c592\"", c);
	UNIT_CHECK(strcmp(c, a) != 0);

	unit_case("object id: bucket, key and ETag cannot run into each other");
	blocks_object_id("a", "b/c", "e", a);
	blocks_object_id("a/b", "c", "e", c);
	UNIT_CHECK(strcmp(c, a) != 0);
	blocks_object_id("a", "bc", "", a);
	blocks_object_id("a", "b", "c", c);
	UNIT_CHECK(strcmp(c, a) != 0);

	unit_case("a key with '../../etc' lands under DIR, named by its hash");
	b = open_cache("ids", 16 * MiB, 0);
	fill_random(x, sizeof(x), 1);
	blocks_object_id("bucket", "../../etc/passwd", "\"e\"", a);
	UNIT_CHECK_INT(blocks_put(b, a, 0, x, sizeof(x)), 0);
	obj_path(path, sizeof(path), a, "data");
	UNIT_CHECK_INT(file_size(path), sizeof(x));
	UNIT_CHECK(strstr(path + strlen(cdir), "..") == NULL);

	unit_case("ids that are not 64 lower-case hex are refused");
	UNIT_CHECK_INT(blocks_put(b, "../../../../tmp/x", 0, x, 5), -1);
	UNIT_CHECK_INT(blocks_put(b, "", 0, x, 5), -1);
	for (i = 0; i < 64; i++)
		c[i] = 'A';
	c[64] = '\0';
	UNIT_CHECK_INT(blocks_put(b, c, 0, x, 5), -1);
	UNIT_CHECK_INT(blocks_get(b, c, 0, x, sizeof(x)), -1);
	UNIT_CHECK_INT(stats(b).nblocks, 1);
	blocks_close(b);
}

static void test_round_trip(void)
{
	unsigned char *data = malloc(MiB), *got = malloc(MiB), r[REC];
	char id[BLOCKS_ID_LEN + 1], path[1024];
	struct blocks *b;
	uint32_t plen;

	b = open_cache("rt", 64 * MiB, 0);
	blocks_object_id("bk", "klines.csv", "\"1\"", id);

	unit_case("CSV block: stored LZ4-compressed, read back exactly");
	fill_csv(data, MiB, 1);
	UNIT_CHECK_INT(blocks_put(b, id, 0, data, MiB), 0);
	UNIT_CHECK_INT(read_rec(id, 0, r), REC);
	UNIT_CHECK(!memcmp(r, "L3\2\0", 4));
	UNIT_CHECK_INT(le32(r + 4), MiB);
	plen = le32(r + 8);
	UNIT_CHECK(plen > 0 && plen <= MiB / 10 * 9);
	UNIT_CHECK(le32(r + 12) + 5 >= (uint32_t)time(NULL));
	memset(got, 0, MiB);
	UNIT_CHECK_INT(blocks_get(b, id, 0, got, MiB), MiB);
	UNIT_CHECK(!memcmp(got, data, MiB));
	UNIT_CHECK_INT(stats(b).stored_bytes, pages(plen));
	UNIT_CHECK_INT(stats(b).raw_bytes, MiB);

	unit_case("random block: stored as it is, at its offset in the object's file");
	fill_random(data, MiB, 2);
	UNIT_CHECK_INT(blocks_put(b, id, 1, data, MiB), 0);
	UNIT_CHECK_INT(read_rec(id, 1, r), REC);
	UNIT_CHECK(!memcmp(r, "L3\1\0", 4));
	UNIT_CHECK_INT(le32(r + 4), MiB);
	UNIT_CHECK_INT(le32(r + 8), MiB);
	obj_path(path, sizeof(path), id, "data");
	UNIT_CHECK_INT(file_size(path), 2 * MiB);
	UNIT_CHECK_INT(read_at(path, MiB, got, MiB), MiB);
	UNIT_CHECK(!memcmp(got, data, MiB));
	memset(got, 0, MiB);
	UNIT_CHECK_INT(blocks_get(b, id, 1, got, MiB), MiB);
	UNIT_CHECK(!memcmp(got, data, MiB));

	unit_case("short last block; a buffer too small is refused");
	UNIT_CHECK_INT(blocks_put(b, id, 2, data, 1000), 0);
	UNIT_CHECK_INT(blocks_get(b, id, 2, got, MiB), 1000);
	UNIT_CHECK(!memcmp(got, data, 1000));
	UNIT_CHECK_INT(blocks_get(b, id, 1, got, MiB - 1), -1);
	UNIT_CHECK_INT(blocks_put(b, id, 3, data, MiB + 1), -1);
	UNIT_CHECK_INT(blocks_get(b, id, 4, got, MiB), -1);
	UNIT_CHECK_INT(blocks_has(b, id, 2), 1);
	UNIT_CHECK_INT(blocks_has(b, id, 4), 0);

	unit_case("cached bytes of an object: its raw sizes");
	UNIT_CHECK_INT(blocks_cached_bytes(b, id), 2 * MiB + 1000);
	UNIT_CHECK_INT(stats(b).nblocks, 3);
	UNIT_CHECK_INT(stats(b).hits, 3);
	UNIT_CHECK_INT(stats(b).misses, 2);
	UNIT_CHECK_INT(blocks_check(b), 0);
	blocks_close(b);
	free(data);
	free(got);
}

static void test_modes(void)
{
	unsigned char x[4096] = { 1 };
	char id[BLOCKS_ID_LEN + 1], path[1024];
	struct blocks *b;
	mode_t old = umask(0277);	/* would make 0400 files, 0500 dirs */

	unit_case("modes: directories 0700, files 0600, whatever the umask");
	b = open_cache("modes/sub", 16 * MiB, 0);
	blocks_object_id("bk", "k", "e", id);
	UNIT_CHECK_INT(blocks_put(b, id, 7, x, sizeof(x)), 0);
	umask(old);
	UNIT_CHECK_INT(file_mode(cdir), 0700);
	snprintf(path, sizeof(path), "%s/blocks", cdir);
	UNIT_CHECK_INT(file_mode(path), 0700);
	snprintf(path, sizeof(path), "%s/blocks/meta", cdir);
	UNIT_CHECK_INT(file_mode(path), 0600);
	snprintf(path, sizeof(path), "%s/blocks/%.2s", cdir, id);
	UNIT_CHECK_INT(file_mode(path), 0700);
	obj_path(path, sizeof(path), id, "data");
	UNIT_CHECK_INT(file_mode(path), 0600);
	obj_path(path, sizeof(path), id, "map");
	UNIT_CHECK_INT(file_mode(path), 0600);
	blocks_close(b);
}

static void test_eviction(void)
{
	unsigned char *x = malloc(BS), *got = malloc(BS);
	char id[BLOCKS_ID_LEN + 1];
	struct blocks *b;
	uint64_t i, ok = 1;

	unit_case("eviction: 2x the cap goes through, stored bytes never pass it");
	b = open_cache("evict", 8 * SLOT, BS);
	blocks_object_id("bk", "big", "e", id);
	for (i = 0; i < 16; i++) {
		fill_random(x, BS, i);
		ok &= blocks_put(b, id, i, x, BS) == 0;
		ok &= stats(b).stored_bytes <= 8 * SLOT;
		ok &= blocks_check(b) == 0;
	}
	UNIT_CHECK(ok);
	UNIT_CHECK_INT(stats(b).nblocks, 8);
	UNIT_CHECK_INT(stats(b).evicted, 8);
	disk_count();
	UNIT_CHECK_INT(disk_bytes, 8 * SLOT);
	UNIT_CHECK_INT(disk_blocks, 8);
	for (i = 0; i < 8; i++)
		ok &= !blocks_has(b, id, i) && blocks_has(b, id, i + 8);
	UNIT_CHECK(ok);

	unit_case("eviction takes the least recently used");
	for (i = 8; i < 11; i++)	/* 8, 9, 10 are the oldest: use them */
		ok &= blocks_get(b, id, i, got, BS) == BS;
	for (i = 16; i < 21; i++) {
		fill_random(x, BS, i);
		ok &= blocks_put(b, id, i, x, BS) == 0;
	}
	UNIT_CHECK(ok);
	for (i = 8; i < 11; i++)
		UNIT_CHECK(blocks_has(b, id, i));
	for (i = 11; i < 16; i++)
		UNIT_CHECK(!blocks_has(b, id, i));
	for (i = 16; i < 21; i++)
		UNIT_CHECK(blocks_has(b, id, i));
	fill_random(x, BS, 9);
	UNIT_CHECK_INT(blocks_get(b, id, 9, got, BS), BS);
	UNIT_CHECK(!memcmp(got, x, BS));
	blocks_close(b);
	free(x);
	free(got);
}

static void test_pins(void)
{
	unsigned char *x = malloc(BS);
	char id[BLOCKS_ID_LEN + 1], other[BLOCKS_ID_LEN + 1], path[1024];
	struct blocks_stats before;
	struct blocks *b;
	uint64_t i;

	unit_case("pins: pinned blocks survive; a put refuses when all are pinned");
	b = open_cache("pins", 4 * SLOT, BS);
	blocks_object_id("bk", "pinned", "e", id);
	blocks_object_id("bk", "other", "e", other);
	blocks_pin(b, id, 0, 3);	/* before they arrive */
	blocks_pin(b, id, 1, 1);	/* pins nest */
	UNIT_CHECK_INT(stats(b).stored_bytes, 0);
	for (i = 0; i < 4; i++) {
		fill_random(x, BS, 100 + i);
		UNIT_CHECK_INT(blocks_put(b, id, i, x, BS), 0);
	}
	before = stats(b);
	UNIT_CHECK_INT(blocks_put(b, other, 0, x, BS), -1);
	UNIT_CHECK_INT(stats(b).stored_bytes, before.stored_bytes);
	UNIT_CHECK_INT(stats(b).evicted, 0);
	obj_path(path, sizeof(path), other, "data");
	UNIT_CHECK_INT(file_size(path), -1);
	disk_count();
	UNIT_CHECK_INT(disk_blocks, 4);
	UNIT_CHECK_INT(disk_objs, 1);
	UNIT_CHECK_INT(blocks_check(b), 0);

	unit_case("pins: an unpinned block is the one evicted");
	blocks_unpin(b, id, 0, 1);	/* 1 is still pinned once */
	UNIT_CHECK_INT(blocks_put(b, other, 0, x, BS), 0);
	UNIT_CHECK(!blocks_has(b, id, 0));
	UNIT_CHECK(blocks_has(b, id, 1) && blocks_has(b, id, 2) && blocks_has(b, id, 3));
	UNIT_CHECK_INT(blocks_put(b, other, 1, x, BS), 0);	/* evicts other/0 */
	UNIT_CHECK(!blocks_has(b, other, 0));
	UNIT_CHECK(blocks_has(b, id, 1) && blocks_has(b, id, 2) && blocks_has(b, id, 3));
	blocks_unpin(b, id, 1, 3);
	blocks_unpin(b, id, 0, UINT64_MAX);	/* more unpins than pins: harmless */
	for (i = 10; i < 14; i++)
		UNIT_CHECK_INT(blocks_put(b, other, i, x, BS), 0);
	UNIT_CHECK_INT(blocks_cached_bytes(b, id), 0);
	UNIT_CHECK_INT(blocks_check(b), 0);

	unit_case("pins: a block bigger than the cap is refused");
	blocks_close(b);
	b = open_cache("pins2", SLOT - 1, BS);
	UNIT_CHECK_INT(blocks_put(b, id, 0, x, BS), -1);
	UNIT_CHECK_INT(blocks_put(b, id, 0, x, 100), 0);
	blocks_close(b);
	free(x);
}

static void *close_later(void *arg)
{
	usleep(300 * 1000);
	blocks_close(arg);
	return NULL;
}

static void test_reopen(void)
{
	unsigned char *x = malloc(BS), *got = malloc(BS);
	char id[BLOCKS_ID_LEN + 1], err[256], path[1024];
	struct blocks_stats st, st2;
	struct blocks_opts o;
	struct blocks *b, *b2 = NULL;
	pthread_t th;
	uint64_t i;

	unit_case("reopen: the blocks are there, with the same accounting");
	b = open_cache("reopen", 64 * SLOT, BS);
	blocks_object_id("bk", "re", "e", id);
	for (i = 0; i < 8; i++) {
		(i % 2 ? fill_random : fill_csv)(x, BS, i);
		UNIT_CHECK_INT(blocks_put(b, id, i, x, i == 7 ? 5000 : BS), 0);
	}
	st = stats(b);
	blocks_close(b);
	b = open_cache(NULL, 64 * SLOT, BS);
	st2 = stats(b);
	UNIT_CHECK_INT(st2.stored_bytes, st.stored_bytes);
	UNIT_CHECK_INT(st2.raw_bytes, st.raw_bytes);
	UNIT_CHECK_INT(st2.nblocks, 8);
	UNIT_CHECK_INT(blocks_cached_bytes(b, id), 7 * BS + 5000);
	fill_csv(x, BS, 4);
	UNIT_CHECK_INT(blocks_get(b, id, 4, got, BS), BS);
	UNIT_CHECK(!memcmp(got, x, BS));
	UNIT_CHECK_INT(blocks_check(b), 0);

	unit_case("reopen: a second open of the same directory is refused, and changes nothing");
	o = (struct blocks_opts){ cdir, 64 * SLOT, BS, 0 };
	UNIT_CHECK_INT(blocks_open(&b2, &o, err, sizeof(err)), -1);
	UNIT_CHECK(b2 == NULL && strstr(err, "in use") != NULL);
	snprintf(path, sizeof(path), "%s/blocks/meta", cdir);
	UNIT_CHECK(read_file(path, x, BS) > 0 && strstr((char *)x, " open\n") != NULL);

	unit_case("reopen: a second open given time waits while the first closes");
	o.lock_wait_ms = 5000;
	if (pthread_create(&th, NULL, close_later, b))
		unit_fail(__FILE__, __LINE__, "pthread_create");
	UNIT_CHECK_INT(blocks_open(&b2, &o, err, sizeof(err)), 0);
	pthread_join(th, NULL);
	UNIT_CHECK_INT(stats(b2).nblocks, 8);
	b = b2;
	blocks_close(b);
	free(x);
	free(got);
}

/* Goes on in test_reopen's cache. */
static void test_reopen_order(void)
{
	unsigned char *got = malloc(BS), *junk = malloc(BS), r[REC];
	char id[BLOCKS_ID_LEN + 1], path[1024];
	struct blocks *b;
	uint32_t now = (uint32_t)time(NULL);
	uint64_t i, cap;

	unit_case("reopen: recorded uses give the LRU order; a lowered cap evicts the oldest");
	blocks_object_id("bk", "re", "e", id);
	for (i = 0; i < 8; i++)
		set_used(id, i, now - 1000 + (uint32_t)i * 10);
	set_used(id, 0, now - 500);	/* 0 was used last */
	for (cap = 0, i = 0; i < 8; i += i ? 1 : 6) {	/* 0, 6, 7: the newest */
		UNIT_CHECK_INT(read_rec(id, i, r), REC);
		cap += pages(le32(r + 8));
	}
	/* bytes no record names, as a kill between a put's two steps leaves */
	obj_path(path, sizeof(path), id, "data");
	fill_random(junk, BS, 77);
	write_at(path, 20 * BS, junk, BS);
	b = open_cache(NULL, cap, BS);
	UNIT_CHECK(blocks_has(b, id, 0) && blocks_has(b, id, 7) && blocks_has(b, id, 6));
	for (i = 1; i < 6; i++)
		UNIT_CHECK(!blocks_has(b, id, i));
	UNIT_CHECK_INT(stats(b).stored_bytes, cap);
	disk_count();
	/* the evicted ones and the junk are holes; a file of many extents
	 * may take a block of the filesystem's own for them */
	UNIT_CHECK(disk_bytes >= (long long)cap && disk_bytes <= (long long)cap + 4096);
	UNIT_CHECK_INT(disk_blocks, 3);

	unit_case("reopen: the first use after a restart records the use again");
	UNIT_CHECK_INT(blocks_get(b, id, 6, got, BS), BS);
	UNIT_CHECK_INT(read_rec(id, 6, r), REC);
	UNIT_CHECK(le32(r + 12) >= now);
	blocks_close(b);

	unit_case("reopen: another block size discards the blocks");
	b = open_cache(NULL, 64 * SLOT, 2 * BS);
	UNIT_CHECK_INT(stats(b).nblocks, 0);
	disk_count();
	UNIT_CHECK_INT(disk_objs + disk_blocks, 0);
	blocks_close(b);
	b = open_cache(NULL, 64 * SLOT, 2 * BS);	/* and remembers the new one */
	UNIT_CHECK(b != NULL);
	blocks_close(b);
	free(got);
	free(junk);
}

/* ---- threads ----------------------------------------------------------- */

#define T_OBJS 3
#define T_BLOCKS 16
#define T_CAP (6 * SLOT)

struct worker {
	struct blocks *b;
	char ids[T_OBJS][BLOCKS_ID_LEN + 1];
	uint64_t seed;
	int bad_data, over_cap, errors;
};

/* Block `no` of object k: CSV for even k, random bytes for odd; the last
 * block is short. */
static size_t t_block(unsigned char *p, int k, uint64_t no)
{
	size_t len = no == T_BLOCKS - 1 ? 12345 : BS;

	(k % 2 ? fill_random : fill_csv)(p, len, (uint64_t)k * 1000 + no);
	return len;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	unsigned char *x = malloc(BS), *got = malloc(BS);
	struct blocks_stats st;
	ssize_t r;
	size_t len;
	int i, k;

	for (i = 0; x && got && i < 1500; i++) {
		uint64_t v = xrand(&w->seed), no = (v >> 8) % T_BLOCKS;

		k = (int)((v >> 16) % T_OBJS);
		len = t_block(x, k, no);
		switch (v % 16) {
		case 0: case 1: case 2: case 3: case 4: case 5:
			blocks_put(w->b, w->ids[k], no, x, len);
			break;
		case 6:
			blocks_pin(w->b, w->ids[k], no, no + 1);
			r = blocks_get(w->b, w->ids[k], no, got, BS);
			w->bad_data += r != -1 && (r != (ssize_t)len || memcmp(got, x, len));
			blocks_unpin(w->b, w->ids[k], no, no + 1);
			break;
		case 7:
			if (v % 97 == 0)
				blocks_drop(w->b, w->ids[k]);
			break;
		default:
			r = blocks_get(w->b, w->ids[k], no, got, BS);
			w->bad_data += r != -1 && (r != (ssize_t)len || memcmp(got, x, len));
		}
		blocks_stats(w->b, &st);
		w->over_cap += st.stored_bytes > T_CAP;
	}
	w->errors += !x || !got;
	free(x);
	free(got);
	return NULL;
}

static void test_threads(void)
{
	struct worker w[4];
	pthread_t th[4];
	struct blocks *b;
	int i, k, bad = 0, over = 0, err = 0;

	unit_case("4 threads put/get/pin/drop, small cap: exact bytes or -1, cap holds");
	b = open_cache("threads", T_CAP, BS);
	for (i = 0; i < 4; i++) {
		w[i].b = b;
		for (k = 0; k < T_OBJS; k++) {
			char key[16];

			snprintf(key, sizeof(key), "obj%d", k);
			blocks_object_id("bk", key, "e", w[i].ids[k]);
		}
		w[i].seed = 1000 + (uint64_t)i;
		w[i].bad_data = w[i].over_cap = w[i].errors = 0;
		if (pthread_create(&th[i], NULL, worker_run, &w[i]))
			unit_fail(__FILE__, __LINE__, "pthread_create");
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		bad += w[i].bad_data;
		over += w[i].over_cap;
		err += w[i].errors;
	}
	UNIT_CHECK_INT(bad, 0);
	UNIT_CHECK_INT(over, 0);
	UNIT_CHECK_INT(err, 0);
	UNIT_CHECK_INT(blocks_check(b), 0);
	disk_count();
	UNIT_CHECK_INT(disk_bytes, stats(b).stored_bytes);
	UNIT_CHECK_INT(disk_blocks, stats(b).nblocks);
	printf("# threads: %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64 " evicted\n",
	       stats(b).hits, stats(b).misses, stats(b).evicted);
	blocks_close(b);
}

/* ---- throughput -------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* MB/s of blocks_get over n cached 1 MiB blocks, each read `rounds` times. */
static double get_rate(struct blocks *b, const char *id, uint64_t n, int rounds,
		       unsigned char *buf, int *ok)
{
	double t0 = now_s();
	uint64_t i;
	int r;

	for (r = 0; r < rounds; r++)
		for (i = 0; i < n; i++)
			*ok &= blocks_get(b, id, i, buf, MiB) == (ssize_t)MiB;
	return (double)n * rounds * MiB / 1e6 / (now_s() - t0);
}

static void test_throughput(void)
{
	unsigned char *x = malloc(MiB), *buf = malloc(MiB);
	char raw_id[BLOCKS_ID_LEN + 1], csv_id[BLOCKS_ID_LEN + 1];
	double t0, put_raw, put_csv, get_raw, get_csv;
	struct blocks *b;
	uint64_t i, n = 32;
	int ok = 1;

	unit_case("throughput of cached 1 MiB blocks (printed)");
	b = open_cache("speed", 256 * MiB, MiB);
	blocks_object_id("bk", "raw", "e", raw_id);
	blocks_object_id("bk", "csv", "e", csv_id);
	for (put_raw = 0, i = 0; i < n; i++) {
		fill_random(x, MiB, i);
		t0 = now_s();
		ok &= blocks_put(b, raw_id, i, x, MiB) == 0;
		put_raw += now_s() - t0;
	}
	for (put_csv = 0, i = 0; i < n; i++) {
		fill_csv(x, MiB, i);
		t0 = now_s();
		ok &= blocks_put(b, csv_id, i, x, MiB) == 0;
		put_csv += now_s() - t0;
	}
	get_raw = get_rate(b, raw_id, n, 1, buf, &ok);	/* warm up */
	get_raw = get_rate(b, raw_id, n, 8, buf, &ok);
	get_csv = get_rate(b, csv_id, n, 8, buf, &ok);
	UNIT_CHECK(ok);
	printf("# put: raw %.0f MB/s, CSV %.0f MB/s (stored at %.0f%%)\n",
	       n * MiB / 1e6 / put_raw, n * MiB / 1e6 / put_csv,
	       100.0 * (stats(b).stored_bytes - n * MiB) / (n * MiB));
	printf("# get: raw %.0f MB/s, CSV (LZ4) %.0f MB/s\n", get_raw, get_csv);
	blocks_close(b);
	free(x);
	free(buf);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_ids();
	test_round_trip();
	test_modes();
	test_eviction();
	test_pins();
	test_reopen();
	test_reopen_order();
	test_threads();
	test_throughput();
	nftw(tmpdir, rm_visit, 16, FTW_DEPTH | FTW_PHYS);
	return unit_done();
}
