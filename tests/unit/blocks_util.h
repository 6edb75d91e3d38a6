/*
 * blocks_util.h: what the block cache's two unit programs (t_blocks.c,
 * t_blocks_disk.c) share: a cache in a fresh directory of each case, block
 * contents (random bytes, kline CSV), and looks at the files under it.
 */
#ifndef LM_BLOCKS_UTIL_H
#define LM_BLOCKS_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blocks.h"
#include "unit.h"

#define KiB 1024u
#define MiB (1024u * 1024u)
#define REC 16

static char tmpdir[] = "/tmp/t_blocks.XXXXXX";
static char cdir[512];		/* the cache directory of the case at hand */

/* ---- helpers ----------------------------------------------------------- */

static inline uint64_t xrand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline void fill_random(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t s = seed * 2654435761u + 1, v;
	size_t i;

	for (i = 0; i < n; i += 8) {
		v = xrand(&s);
		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}

/* Spot kline rows, as in a Binance archive CSV. */
static inline void fill_csv(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t s = seed * 2654435761u + 7, t = 1672531200000ull + seed * 60000;
	char row[256];
	size_t off = 0;
	int len;

	while (off < n) {
		unsigned o = 1650000 + (unsigned)(xrand(&s) % 9000);

		len = snprintf(row, sizeof(row), "%" PRIu64 ",%u.%02u000000,%u.%02u000000,"
			       "%u.%02u000000,%u.%02u000000,%u.%05u000,%" PRIu64 ",%u.%08u,"
			       "%u,%u.%05u000,%u.%08u,0\n", t, o / 100, o % 100,
			       (o + 7) / 100, (o + 7) % 100, (o - 5) / 100, (o - 5) % 100,
			       (o + 2) / 100, (o + 2) % 100, (unsigned)(xrand(&s) % 300),
			       (unsigned)(xrand(&s) % 100000), t + 59999,
			       (unsigned)(xrand(&s) % 5000000), (unsigned)(xrand(&s) % 100000000),
			       (unsigned)(xrand(&s) % 4000), (unsigned)(xrand(&s) % 150),
			       (unsigned)(xrand(&s) % 100000), (unsigned)(xrand(&s) % 2000000),
			       (unsigned)(xrand(&s) % 100000000));
		if ((size_t)len > n - off)
			len = (int)(n - off);
		memcpy(p + off, row, (size_t)len);
		off += (size_t)len;
		t += 60000;
	}
}

/* An object's data file (ext "data") or map ("map"). */
static inline void obj_path(char *buf, size_t n, const char *id, const char *ext)
{
	snprintf(buf, n, "%s/blocks/%.2s/%s.%s", cdir, id, id, ext);
}

/* Block no's record in id's map. */
static inline int read_rec(const char *id, uint64_t no, unsigned char *r)
{
	char path[1024];
	int fd, n;

	obj_path(path, sizeof(path), id, "map");
	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	n = (int)pread(fd, r, REC, (off_t)(no * REC));
	close(fd);
	return n;
}

static inline uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Disk bytes a block of plen stored bytes takes: whole pages. */
static inline uint64_t pages(uint64_t plen)
{
	return (plen + 4095) / 4096 * 4096;
}

static inline long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long long)st.st_size;
}

static inline int file_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (int)(st.st_mode & 07777);
}

static inline int read_file(const char *path, unsigned char *buf, size_t n)
{
	int fd = open(path, O_RDONLY), r;

	if (fd < 0)
		return -1;
	r = (int)read(fd, buf, n);
	close(fd);
	return r;
}

static inline int read_at(const char *path, off_t off, unsigned char *buf, size_t n)
{
	int fd = open(path, O_RDONLY), r;

	if (fd < 0)
		return -1;
	r = (int)pread(fd, buf, n, off);
	close(fd);
	return r;
}

static inline void write_at(const char *path, off_t off, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || pwrite(fd, p, n, off) != (ssize_t)n)
		unit_fail(__FILE__, __LINE__, "cannot write '%s'", path);
	if (fd >= 0)
		close(fd);
}

/* Sets the use time block no's record keeps. */
static inline void set_used(const char *id, uint64_t no, uint32_t t)
{
	unsigned char u[4] = { t & 0xff, (t >> 8) & 0xff, (t >> 16) & 0xff, t >> 24 };
	char path[1024];

	obj_path(path, sizeof(path), id, "map");
	write_at(path, (off_t)(no * REC + 12), u, 4);
}

/* What the cache's files add up to: the disk bytes of the data files, the
 * blocks their maps record, and how many data files there are. */
static long long disk_bytes, disk_blocks, disk_objs;

/* The bytes a data file holds, in whole 4 KiB pages: its data extents,
 * not st_blocks, which also counts the extent tree once a fragmented file
 * needs a block of it (ext4, after its fifth extent), metadata the cache
 * does not account. */
static inline long long data_bytes(const char *path)
{
	int fd = open(path, O_RDONLY);
	off_t d = 0, h;
	long long n = 0;

	if (fd < 0)
		return -1;
	while ((d = lseek(fd, d, SEEK_DATA)) >= 0 && (h = lseek(fd, d, SEEK_HOLE)) > d) {
		n += (h - d + 4095) / 4096 * 4096;
		d = h;
	}
	close(fd);
	return n;
}

static inline int disk_visit(const char *path, const struct stat *st, int type, struct FTW *f)
{
	unsigned char r[REC];
	size_t n = strlen(path);
	off_t off;
	int fd;

	(void)st, (void)f;
	if (type != FTW_F)
		return 0;
	if (n > 5 && !strcmp(path + n - 5, ".data")) {
		disk_bytes += data_bytes(path);
		disk_objs++;
	} else if (n > 4 && !strcmp(path + n - 4, ".map") && (fd = open(path, O_RDONLY)) >= 0) {
		for (off = 0; pread(fd, r, REC, off) == REC; off += REC)
			disk_blocks += r[0] == 'L';
		close(fd);
	}
	return 0;
}

static inline void disk_count(void)
{
	disk_bytes = disk_blocks = disk_objs = 0;
	nftw(cdir, disk_visit, 16, FTW_PHYS);
}

static inline int rm_visit(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st, (void)type, (void)f;
	remove(path);
	return 0;
}

static inline struct blocks *open_cache(const char *name, uint64_t max, uint32_t bs)
{
	struct blocks_opts o = { cdir, max, bs, 0 };
	struct blocks *b = NULL;
	char err[256] = "";

	if (name)
		snprintf(cdir, sizeof(cdir), "%s/%s", tmpdir, name);
	if (blocks_open(&b, &o, err, sizeof(err)))
		unit_fail(__FILE__, __LINE__, "blocks_open: %s", err);
	return b;
}

static inline struct blocks_stats stats(struct blocks *b)
{
	struct blocks_stats st;

	blocks_stats(b, &st);
	return st;
}

#define BS (64 * KiB)
#define SLOT BS			/* what a random block takes on disk */

#endif
