/*
 * t_listing: listing_guess(), where the streams of a listing begin
 * (fs/listing.c): names that count up are stepped on by what the first
 * page covered; other names give no guess.
 */
#include "unit.h"

#include <stdlib.h>

#include "listing.h"

static size_t guess(const char *first, const char *last, char **out, size_t max)
{
	return listing_guess(first, last, out, max);
}

static void release(char **g, size_t n)
{
	while (n--)
		free(g[n]);
}

static void test_dates(void)
{
	char *g[8];
	size_t n;

	unit_case("daily files: a page of 2017-2018 guesses one year a stream on");
	n = guess("BTCUSDT-1m-2017-08-17.zip", "BTCUSDT-1m-2018-12-29.zip.CHECKSUM", g, 7);
	UNIT_CHECK_INT(n, 7);
	if (n == 7) {
		UNIT_CHECK_STR(g[0], "BTCUSDT-1m-2019");
		UNIT_CHECK_STR(g[6], "BTCUSDT-1m-2025");
	}
	release(g, n);

	unit_case("a page within one month steps on by days");
	n = guess("ETHUSDT-trades-2024-03-01.zip", "ETHUSDT-trades-2024-03-09.zip", g, 3);
	UNIT_CHECK_INT(n, 3);
	if (n == 3) {
		UNIT_CHECK_STR(g[0], "ETHUSDT-trades-2024-03-17");
		UNIT_CHECK_STR(g[2], "ETHUSDT-trades-2024-03-33");
	}
	release(g, n);

	unit_case("prefixes (names ending in /) count too");
	n = guess("2017/", "2019/", g, 2);
	UNIT_CHECK_INT(n, 2);
	if (n == 2) {
		UNIT_CHECK_STR(g[0], "2021");
		UNIT_CHECK_STR(g[1], "2023");
	}
	release(g, n);
}

static void test_numbers(void)
{
	char *g[8];
	size_t n;

	unit_case("sequence numbers: zero-padded, stepping past a carry");
	n = guess("k0000", "k0999", g, 3);
	UNIT_CHECK_INT(n, 3);
	if (n == 3) {
		UNIT_CHECK_STR(g[0], "k1998");
		UNIT_CHECK_STR(g[2], "k3996");
	}
	release(g, n);

	unit_case("no guess past the width of the run");
	UNIT_CHECK_INT(guess("part-8", "part-9", g, 4), 0);
	n = guess("f098", "f099", g, 4);
	UNIT_CHECK_INT(n, 4);
	if (n == 4)
		UNIT_CHECK_STR(g[3], "f103");
	release(g, n);
	n = guess("x9990", "x9995", g, 4);
	UNIT_CHECK_INT(n, 0);
}

static void test_none(void)
{
	char *g[8];

	unit_case("names that do not count up give no guess");
	UNIT_CHECK_INT(guess("1000SHIBUSDT/", "BTCUSDT/", g, 7), 0);
	UNIT_CHECK_INT(guess("AAVEUSDT", "ZECUSDT", g, 7), 0);
	UNIT_CHECK_INT(guess("same", "same", g, 7), 0);
	UNIT_CHECK_INT(guess("x1", "x10", g, 7), 0);	/* the first has no run there */
	UNIT_CHECK_INT(guess("a", "b", g, 7), 0);
	UNIT_CHECK_INT(guess("n1234567890123456789", "n1234567890123456790", g, 7), 0);
}

int main(void)
{
	test_dates();
	test_numbers();
	test_none();
	return unit_done();
}
