/*
 * t_blocks_disk: the block cache against what happens to its files: a
 * machine that went down under it (the meta file's state), files damaged
 * or removed behind its back, drops, and the descriptor the kernel reads
 * from in passthrough.
 */
#include "unit.h"

#include <stdio.h>

#include "blocks_util.h"

/* Replaces "open" or "clean" on the meta file's state line. */
static void set_state(const char *boot, const char *state)
{
	char path[1024], text[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/blocks/meta", cdir);
	f = fopen(path, "r+");
	if (!f || !fgets(text, sizeof(text), f) || !fgets(text + strlen(text),
							  (int)(sizeof(text) - strlen(text)), f))
		unit_fail(__FILE__, __LINE__, "cannot read '%s'", path);
	rewind(f);
	fprintf(f, "%sboot %s %s\n", text, boot, state);
	fflush(f);
	if (ftruncate(fileno(f), ftell(f)))
		unit_fail(__FILE__, __LINE__, "cannot truncate '%s'", path);
	fclose(f);
}

static void test_power_loss(void)
{
	unsigned char *x = malloc(BS);
	char id[BLOCKS_ID_LEN + 1], boot[64] = "", path[1024];
	struct blocks *b;
	FILE *f;

	unit_case("a cache left open in another boot is discarded; a clean close or this boot's kill keeps it");
	f = fopen("/proc/sys/kernel/random/boot_id", "r");
	if (f && fgets(boot, sizeof(boot), f))
		boot[strcspn(boot, "\n")] = '\0';
	if (f)
		fclose(f);
	b = open_cache("power", 64 * SLOT, BS);
	blocks_object_id("bk", "pl", "e", id);
	fill_random(x, BS, 5);
	UNIT_CHECK_INT(blocks_put(b, id, 0, x, BS), 0);
	blocks_close(b);
	snprintf(path, sizeof(path), "%s/blocks/meta", cdir);
	UNIT_CHECK_INT(read_file(path, (unsigned char *)x, BS) > 0, 1);
	UNIT_CHECK(strstr((char *)x, " clean\n") != NULL);
	set_state(boot, "open");		/* killed in this boot */
	b = open_cache(NULL, 64 * SLOT, BS);
	UNIT_CHECK_INT(stats(b).nblocks, 1);
	blocks_close(b);
	set_state("00000000-0000-0000-0000-000000000000", "clean");	/* closed, rebooted */
	b = open_cache(NULL, 64 * SLOT, BS);
	UNIT_CHECK_INT(stats(b).nblocks, 1);
	blocks_close(b);
	set_state("00000000-0000-0000-0000-000000000000", "open");	/* the machine went down */
	b = open_cache(NULL, 64 * SLOT, BS);
	UNIT_CHECK_INT(stats(b).nblocks, 0);
	disk_count();
	UNIT_CHECK_INT(disk_objs + disk_blocks, 0);
	blocks_close(b);
	free(x);
}

static void test_damage(void)
{
	unsigned char *x = malloc(BS), *got = malloc(BS), r[REC];
	char id[BLOCKS_ID_LEN + 1], path[1024];
	struct blocks *b;
	uint64_t i;

	b = open_cache("damage", 64 * SLOT, BS);
	blocks_object_id("bk", "dmg", "e", id);
	for (i = 0; i < 6; i++) {
		(i % 2 ? fill_random : fill_csv)(x, BS, i);
		UNIT_CHECK_INT(blocks_put(b, id, i, x, BS), 0);
	}
	obj_path(path, sizeof(path), id, "data");

	unit_case("damage: a bad LZ4 stream, a data file cut short -> absent, record cleared");
	write_at(path, 0, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);	/* block 0's LZ4 stream */
	UNIT_CHECK_INT(blocks_get(b, id, 0, got, BS), -1);
	UNIT_CHECK(!blocks_has(b, id, 0));
	UNIT_CHECK_INT(read_rec(id, 0, r), REC);
	UNIT_CHECK_INT(r[0], 0);
	UNIT_CHECK(truncate(path, 5 * BS + 1000) == 0);		/* block 5 cut */
	UNIT_CHECK_INT(blocks_get(b, id, 5, got, BS), -1);
	UNIT_CHECK(!blocks_has(b, id, 5));
	UNIT_CHECK_INT(stats(b).nblocks, 4);
	fill_random(x, BS, 3);
	UNIT_CHECK_INT(blocks_get(b, id, 3, got, BS), BS);	/* the others are fine */
	UNIT_CHECK(!memcmp(got, x, BS));

	unit_case("damage: a record damaged while closed is dropped at open");
	blocks_close(b);
	obj_path(path, sizeof(path), id, "map");
	write_at(path, 4 * REC + 2, "\x07", 1);		/* block 4: unknown codec */
	b = open_cache(NULL, 64 * SLOT, BS);
	UNIT_CHECK_INT(stats(b).nblocks, 3);
	UNIT_CHECK(!blocks_has(b, id, 4) && blocks_has(b, id, 1) && blocks_has(b, id, 2));
	fill_random(x, BS, 1);
	UNIT_CHECK_INT(blocks_get(b, id, 1, got, BS), BS);
	UNIT_CHECK(!memcmp(got, x, BS));

	unit_case("damage: an object whose files are removed behind the cache's back is forgotten");
	obj_path(path, sizeof(path), id, "data");
	unlink(path);
	UNIT_CHECK_INT(blocks_get(b, id, 2, got, BS), -1);
	UNIT_CHECK_INT(stats(b).nblocks, 2);
	UNIT_CHECK_INT(blocks_check(b), 0);
	blocks_close(b);
	free(x);
	free(got);
}

static void test_drop(void)
{
	unsigned char *x = malloc(BS);
	char a[BLOCKS_ID_LEN + 1], c[BLOCKS_ID_LEN + 1], path[1024];
	struct blocks *b;
	uint64_t i;

	unit_case("drop: every block of the object goes, others stay");
	b = open_cache("drop", 64 * SLOT, BS);
	blocks_object_id("bk", "a", "e", a);
	blocks_object_id("bk", "c", "e", c);
	fill_csv(x, BS, 3);
	for (i = 0; i < 3; i++)
		UNIT_CHECK_INT(blocks_put(b, a, i, x, BS), 0);
	UNIT_CHECK_INT(blocks_put(b, c, 0, x, BS), 0);
	blocks_pin(b, a, 1, 1);
	blocks_drop(b, a);
	UNIT_CHECK_INT(blocks_cached_bytes(b, a), 0);
	UNIT_CHECK_INT(blocks_cached_bytes(b, c), BS);
	UNIT_CHECK(!blocks_has(b, a, 0) && !blocks_has(b, a, 1) && !blocks_has(b, a, 2));
	UNIT_CHECK_INT(stats(b).nblocks, 1);
	UNIT_CHECK_INT(blocks_check(b), 0);

	unit_case("drop: the pin still holds for a block put again");
	UNIT_CHECK_INT(blocks_put(b, a, 1, x, BS), 0);
	UNIT_CHECK_INT(blocks_check(b), 0);
	blocks_unpin(b, a, 1, 1);
	blocks_drop(b, a);
	obj_path(path, sizeof(path), a, "data");
	UNIT_CHECK_INT(access(path, F_OK), -1);	/* its files went too */
	obj_path(path, sizeof(path), a, "map");
	UNIT_CHECK_INT(access(path, F_OK), -1);
	UNIT_CHECK_INT(blocks_check(b), 0);
	blocks_close(b);
	free(x);
}

static void test_backing(void)
{
	unsigned char *x = malloc(BS), *got = malloc(3 * BS);
	char id[BLOCKS_ID_LEN + 1], csv[BLOCKS_ID_LEN + 1];
	uint64_t size = 2 * BS + 5000, i;
	struct blocks *b;
	int fd;

	unit_case("passthrough: a whole object gives a descriptor of exactly its bytes, pinned");
	b = open_cache("backing", 4 * SLOT, BS);
	blocks_object_id("bk", "whole", "e", id);
	for (i = 0; i < 2; i++) {
		fill_random(x, BS, 40 + i);
		UNIT_CHECK_INT(blocks_put(b, id, i, x, BS), 0);
	}
	UNIT_CHECK_INT(blocks_backing_open(b, id, size), -1);	/* block 2 missing */
	fill_random(x, 5000, 42);
	UNIT_CHECK_INT(blocks_put(b, id, 2, x, 5000), 0);
	UNIT_CHECK_INT(blocks_backing_open(b, id, size + 1), -1);	/* another size */
	fd = blocks_backing_open(b, id, size);
	UNIT_CHECK(fd >= 0);
	UNIT_CHECK_INT(pread(fd, got, 3 * BS, 0), size);
	fill_random(x, BS, 41);
	UNIT_CHECK(!memcmp(got + BS, x, BS));
	fill_random(x, 5000, 42);
	UNIT_CHECK(!memcmp(got + 2 * BS, x, 5000));
	/* pinned: filling the cache evicts nothing of it */
	blocks_object_id("bk", "csv", "e", csv);
	fill_random(x, BS, 9);
	for (i = 0; i < 4; i++)
		UNIT_CHECK_INT(blocks_put(b, csv, i, x, BS), 0);
	UNIT_CHECK(stats(b).evicted >= 3);
	UNIT_CHECK(blocks_has(b, id, 0) && blocks_has(b, id, 1) && blocks_has(b, id, 2));

	unit_case("passthrough: a drop leaves the descriptor reading what it read");
	blocks_drop(b, id);
	UNIT_CHECK_INT(pread(fd, got, 3 * BS, 0), size);
	fill_random(x, BS, 40);
	UNIT_CHECK(!memcmp(got, x, BS));
	close(fd);
	blocks_unpin(b, id, 0, 2);
	UNIT_CHECK_INT(blocks_check(b), 0);

	unit_case("passthrough: an object with a compressed block gives none");
	fill_csv(x, BS, 1);
	UNIT_CHECK_INT(blocks_put(b, csv, 1, x, BS), 0);
	UNIT_CHECK_INT(blocks_backing_open(b, csv, 2 * BS), -1);
	UNIT_CHECK_INT(blocks_check(b), 0);
	blocks_close(b);
	free(x);
	free(got);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_power_loss();
	test_damage();
	test_drop();
	test_backing();
	nftw(tmpdir, rm_visit, 16, FTW_DEPTH | FTW_PHYS);
	return unit_done();
}
