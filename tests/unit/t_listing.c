/*
 * t_listing: listing_guess(), where the streams of a listing begin
 * (fs/listing.c): names that count up are stepped on by what the first
 * page covered; other names give no guess.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listing.h"

static size_t guess(const char *first, const char *last, char **out, size_t max)
{
	return listing_guess(first, last, NULL, 0, out, max);
}

/* The names of a daily folder (a .zip and its .CHECKSUM a day) from
 * 2016-10-17 on, as the bench's archive has them: ndays days into names
 * (2 * ndays of NAME_LEN). */
#define NAME_LEN 64
static void daily_names(char (*names)[NAME_LEN], int ndays)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y = 2016, m = 10, d = 17, i;

	for (i = 0; i < ndays; i++) {
		char day[NAME_LEN];

		snprintf(day, sizeof(day), "BTCUSDT-1m-%04d-%02d-%02d.zip", y, m, d);
		snprintf(names[2 * i], NAME_LEN, "%s", day);
		snprintf(names[2 * i + 1], NAME_LEN, "%.40s.CHECKSUM", day);
		if (++d > mdays[m - 1] + (m == 2 && y % 4 == 0)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
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

	unit_case("daily files: year, month and day count, a little under a page's span a stream");
	/* 2017-08-17 to 2018-12-29 is 16 months and 12 days; with months
	 * counted in 13s and days in 30s (the greatest seen, 12 and 29, plus
	 * one), 7/8 of it is 14 months and 11 days */
	n = guess("BTCUSDT-1m-2017-08-17.zip", "BTCUSDT-1m-2018-12-29.zip.CHECKSUM", g, 7);
	UNIT_CHECK_INT(n, 7);
	if (n == 7) {
		UNIT_CHECK_STR(g[0], "BTCUSDT-1m-2020-02-06");
		UNIT_CHECK_STR(g[6], "BTCUSDT-1m-2027-02-18");
	}
	release(g, n);

	unit_case("a page within one month steps on by days (7/8 of its 8)");
	n = guess("ETHUSDT-trades-2024-03-01.zip", "ETHUSDT-trades-2024-03-09.zip", g, 3);
	UNIT_CHECK_INT(n, 3);
	if (n == 3) {
		UNIT_CHECK_STR(g[0], "ETHUSDT-trades-2024-03-16");
		UNIT_CHECK_STR(g[2], "ETHUSDT-trades-2024-03-30");
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

/* A folder of 3,000 days listed from its first page of 1,000 names: every
 * stream's range holds at most a page (one request each), none is nearly
 * empty before the end, and the seven cover the folder. */
static void test_page_of_days(void)
{
	enum { DAYS = 3000, N = 2 * DAYS, PAGE = 1000 };
	char (*names)[NAME_LEN] = calloc(N, NAME_LEN);
	const char *seen[PAGE];
	char *g[7];
	size_t n = 0, i, k, in;

	unit_case("a page of daily names: one request a stream covers the folder");
	UNIT_CHECK(names != NULL);
	if (!names)
		return;
	daily_names(names, DAYS);
	for (i = 0; i < PAGE; i++)
		seen[i] = names[i];
	n = listing_guess(names[0], names[PAGE - 1], seen, PAGE, g, 7);
	UNIT_CHECK_INT(n, 7);
	for (k = 0, i = PAGE; k < n; k++) {
		for (in = 0; i < N && strcmp(names[i], g[k]) <= 0; i++)
			in++;
		if (in > PAGE || (i < N && in < PAGE / 2))
			unit_fail(__FILE__, __LINE__, "stream %zu (up to %s) holds %zu names", k,
				  g[k], in);
	}
	UNIT_CHECK_INT(i, N);
	release(g, n);
	free(names);
}

static void test_numbers(void)
{
	char *g[8];
	size_t n;

	unit_case("sequence numbers: zero-padded, stepping past a carry (875 of 999)");
	n = guess("k0000", "k0999", g, 3);
	UNIT_CHECK_INT(n, 3);
	if (n == 3) {
		UNIT_CHECK_STR(g[0], "k1874");
		UNIT_CHECK_STR(g[2], "k3624");
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
	test_page_of_days();
	test_numbers();
	test_none();
	return unit_done();
}
