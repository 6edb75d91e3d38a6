/*
 * t_bufpool: the reader's buffer pool: buffers handed out and taken back,
 * and pretouch, which makes resident the buffers a read would use first
 * without changing a byte of one in use.
 */
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bufpool.h"

#define MIB ((size_t)1 << 20)

/* How many of the pages of [p, p + len) are resident. */
static size_t resident(const char *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = len / page, i, in = 0;
	unsigned char *v = malloc(n);

	if (!v || mincore((void *)p, len, v)) {
		unit_fail(__FILE__, __LINE__, "mincore failed");
		free(v);
		return 0;
	}
	for (i = 0; i < n; i++)
		in += v[i] & 1;
	free(v);
	return in;
}

static void test_get_put(void)
{
	struct bufpool *p = bufpool_new(MIB, 4);
	char *b[6];
	int i;

	unit_case("buffers: the region's first, then malloc's; all taken back");
	UNIT_CHECK(p != NULL);
	if (!p)
		return;
	for (i = 0; i < 6; i++) {
		b[i] = bufpool_get(p);
		UNIT_CHECK(b[i] != NULL);
	}
	for (i = 0; i < 6; i++)
		UNIT_CHECK_INT(bufpool_owns(p, b[i]), i < 4);
	/* lowest address first, so that a read fills huge pages in turn */
	UNIT_CHECK(b[1] == b[0] + MIB && b[3] == b[0] + 3 * MIB);
	for (i = 0; i < 6; i++)
		bufpool_put(p, b[i]);
	UNIT_CHECK(bufpool_get(p) == b[3]);	/* the last given back */
	bufpool_put(p, b[3]);
	bufpool_free(p);
}

static void test_pretouch(void)
{
	struct bufpool *p = bufpool_new(MIB, 8);
	size_t pages = MIB / (size_t)sysconf(_SC_PAGESIZE), i;
	char *b[8];
	int k;

	unit_case("pretouch: the first buffers resident, the rest not, bytes kept");
	UNIT_CHECK(p != NULL);
	if (!p)
		return;
	for (k = 0; k < 8; k++)
		b[k] = bufpool_get(p);
	/* nothing resident before use */
	UNIT_CHECK_INT(resident(b[0], 8 * MIB), 0);
	/* a buffer in use holds a read's bytes while the pretouch runs */
	for (i = 0; i < MIB; i++)
		b[1][i] = (char)(i * 7 + 3);
	if (bufpool_pretouch(p, 4)) {
		/* only before Linux 5.14: nothing to check then */
		printf("# MADV_POPULATE_WRITE not here: pretouch not checked\n");
	} else {
		UNIT_CHECK_INT(resident(b[0], 4 * MIB), 4 * pages);
		/* b[4..7] are 2 MiB-aligned pairs past the huge pages of b[0..3] */
		UNIT_CHECK_INT(resident(b[4], 4 * MIB), 0);
		for (i = 0; i < MIB && b[1][i] == (char)(i * 7 + 3); i++)
			;
		UNIT_CHECK_INT(i, MIB);
		/* untouched pages read as zero once made resident */
		UNIT_CHECK(b[0][0] == 0 && b[3][MIB - 1] == 0);
		/* asking for more than the pool holds is asking for all of it */
		UNIT_CHECK_INT(bufpool_pretouch(p, 100), 0);
		UNIT_CHECK_INT(resident(b[0], 8 * MIB), 8 * pages);
	}
	for (k = 0; k < 8; k++)
		bufpool_put(p, b[k]);
	bufpool_free(p);
}

int main(void)
{
	test_get_put();
	test_pretouch();
	return unit_done();
}
