/*
 * fsx: a randomized file exerciser in the spirit of the classic fsx (BSD,
 * xfstests), written afresh.  It runs random ops on FILE (under test, e.g. on
 * a lakemount mount) and the same ops on REFFILE (a reference on local disk),
 * and checks that FILE always reads back as REFFILE does.  Both are created
 * or truncated at start, unless -k.
 *
 *   fsx [-kmNqv] [-n N] [-S SEED] [-l LEN] [-o SIZE] [-c P] [-f P] FILE REFFILE
 *     -n N     ops to run (default 10000)
 *     -S SEED  random seed (default from the clock; the first line of output
 *              names it, and -S with the same options replays the run)
 *     -l LEN   maximum file length (default 1M; K, M, G suffixes)
 *     -o SIZE  maximum length of one read or write (default 64K)
 *     -c P     percent chance of a close+reopen after each op (default 5)
 *     -f P     percent of ops that are fsync (default 1)
 *     -k       keep: start from FILE and REFFILE as they are (both must
 *              exist, and FILE must read back as REFFILE: checked first), to
 *              continue a run after a remount; give another seed than the
 *              first run's, or its ops write the same bytes again
 *     -m       also read FILE through mmap(PROT_READ, MAP_SHARED)
 *     -N       no truncates (neither ftruncate nor O_TRUNC)
 *     -q       quiet: only the seed line, failures and the summary
 *     -v       print every op
 *
 * Ops: read (pread anywhere, also across and past EOF: the count must match),
 * write (pwrite anywhere below LEN, may extend the file past a hole), append
 * (pwrite at the size, or write() on a second fd opened O_APPEND), truncate
 * (up or down), reopen with O_TRUNC, fsync, mmap read (-m; past EOF the last
 * page must read as zeroes).  After every op both sizes are checked with
 * fstat; at every close+reopen and at the end all of FILE is compared.
 *
 * Byte x written by op n is pat(n, x), never zero.  A mismatch report names
 * the op that should have written the bad byte and the op whose data is there
 * instead (if any; the whole op log is kept, 32 bytes an op), dumps 16 bytes
 * around it and the last 20 ops.  Exit 0 if all is well, 1 on a mismatch or an
 * unexpected syscall result, 2 on bad usage.
 *
 * FSX_INJECT_BUG=1 checks the checker: after op 500 (so give -n > 500) fsx
 * flips one byte of FILE through another fd, behind its own back, and makes
 * the next op a read over it, so the run must fail with a report.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define CHUNK		65536	/* whole-file compares read this much at a time */
#define HISTORY		20	/* ops shown in a failure report */
#define INJECT_AFTER	500
#define APPEND		UINT64_MAX	/* write_all(): write() where the fd is */

enum op_kind { OP_READ, OP_WRITE, OP_APPEND, OP_TRUNC, OP_OTRUNC, OP_FSYNC,
	       OP_REOPEN, OP_MMAP, OP_NKINDS };

static const char *const op_names[OP_NKINDS] = {
	"read", "write", "append", "truncate", "otrunc", "fsync", "reopen", "mapread"
};

struct oprec {
	uint64_t opno;
	uint64_t off, len;	/* truncate, otrunc: off is the old size, len the new */
	int kind;
	int via_append_fd;	/* append: written through an O_APPEND fd */
};

struct fsx {
	const char *path, *refpath;
	int fd, ref;		/* FILE and REFFILE, both O_RDWR */
	uint64_t size;		/* what both sizes should be */
	uint64_t maxlen, maxop, nops, opno;
	uint64_t reopen_pct, fsync_pct;
	int keep, use_mmap, no_trunc, quiet, verbose;
	uint64_t seed, rng;
	struct oprec *log;	/* every op so far, oldest first */
	size_t nlog, caplog;
	uint64_t count[OP_NKINDS];
	unsigned char *wbuf, *exp, *got;	/* bufsz bytes each, one allocation */
	size_t bufsz;
	uint64_t pagesz;
	uint64_t inject_at;	/* FSX_INJECT_BUG: corrupt after this op; 0: never */
	uint64_t forced_read;	/* 1 + an offset the next op must read; 0: none */
};

/* splitmix64: small, and the same sequence everywhere for a given seed */
static uint64_t rnd64(struct fsx *st)
{
	uint64_t z = (st->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(struct fsx *st, uint64_t n)
{
	return n ? rnd64(st) % n : 0;
}

static unsigned char pat(uint64_t opno, uint64_t x)
{
	return (unsigned char)(1 + (opno % 255 + x % 251) % 255);
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void print_op(FILE *f, const struct oprec *r)
{
	fprintf(f, "%8" PRIu64 " %-8s", r->opno, op_names[r->kind]);
	switch (r->kind) {
	case OP_READ: case OP_WRITE: case OP_APPEND: case OP_MMAP:
		fprintf(f, " 0x%" PRIx64 " thru 0x%" PRIx64 " (0x%" PRIx64 " bytes)%s",
			r->off, r->off + r->len - 1, r->len,
			r->via_append_fd ? " via O_APPEND fd" : "");
		break;
	case OP_TRUNC: case OP_OTRUNC:
		fprintf(f, " from 0x%" PRIx64 " to 0x%" PRIx64, r->off, r->len);
		break;
	}
	fputc('\n', f);
}

static void dump_log(const struct fsx *st)
{
	size_t i = st->nlog > HISTORY ? st->nlog - HISTORY : 0;

	if (st->nlog)
		fprintf(stderr, "fsx: last %zu ops:\n", st->nlog - i);
	for (; i < st->nlog; i++)
		print_op(stderr, &st->log[i]);
	fprintf(stderr, "fsx: seed %" PRIu64 " (replay with -S %" PRIu64 " and the same options)\n",
		st->seed, st->seed);
}

/* Report a failure of op st->opno, with strerror(err) unless err is 0; exit 1. */
__attribute__((format(printf, 3, 4), noreturn))
static void fail(const struct fsx *st, int err, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "fsx: op %" PRIu64 ": ", st->opno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	dump_log(st);
	exit(1);
}

static struct oprec *log_push(struct fsx *st, int kind, uint64_t off, uint64_t len)
{
	struct oprec *r;

	if (st->nlog == st->caplog) {
		size_t cap = st->caplog ? 2 * st->caplog : 1024;

		r = realloc(st->log, cap * sizeof(*r));
		if (!r)
			fail(st, 0, "out of memory for the op log (%zu ops)", cap);
		st->log = r;
		st->caplog = cap;
	}
	r = &st->log[st->nlog++];
	*r = (struct oprec){ .opno = st->opno, .off = off, .len = len, .kind = kind };
	st->count[kind]++;
	if (st->verbose)
		print_op(stdout, r);
	return r;
}

/*
 * With b < 0: the last op that decided byte x, a write over it or a truncate
 * below it (a hole).  Else the last write over x whose data for x is b.
 */
static const struct oprec *find_op(const struct fsx *st, uint64_t x, int b)
{
	size_t i;

	for (i = st->nlog; i-- > 0;) {
		const struct oprec *r = &st->log[i];

		if ((r->kind == OP_WRITE || r->kind == OP_APPEND) && x >= r->off &&
		    x - r->off < r->len && (b < 0 || pat(r->opno, x) == b))
			return r;
		if ((r->kind == OP_TRUNC || r->kind == OP_OTRUNC) && r->len <= x && b < 0)
			return r;
	}
	return NULL;
}

static void hex_line(const char *label, uint64_t at, const unsigned char *p,
		     const unsigned char *other, size_t n)
{
	size_t i;

	fprintf(stderr, "fsx:   0x%08" PRIx64 " %-9s", at, label);
	for (i = 0; i < n; i++)
		fprintf(stderr, " %02x", p[i]);
	fputc('\n', stderr);
	if (!other)
		return;
	fprintf(stderr, "fsx:   %10s %-9s", "", "");
	for (i = 0; i < n; i++)
		fputs(p[i] != other[i] ? " ^^" : "   ", stderr);
	fputc('\n', stderr);
}

/*
 * exp and got hold bytes base..base+n of the file (as REFFILE has them and as
 * FILE gave them); x is the first offset where they differ.  Exits 1.
 */
__attribute__((noreturn))
static void fail_data(const struct fsx *st, const char *what, uint64_t x,
		      const unsigned char *exp, const unsigned char *got,
		      uint64_t base, uint64_t n)
{
	unsigned char e = exp[x - base], g = got[x - base];
	uint64_t lo = x >= base + 8 ? x - 8 : base;
	uint64_t cnt = min64(16, base + n - lo);
	const struct oprec *r = find_op(st, x, -1);

	fflush(stdout);
	fprintf(stderr, "fsx: op %" PRIu64 ": MISMATCH in %s: first bad byte at 0x%" PRIx64
		" (file size 0x%" PRIx64 ")\n", st->opno, what, x, st->size);
	fprintf(stderr, "fsx:   expected 0x%02x: ", e);
	if (!r)
		fprintf(stderr, st->keep ? "not written in this run (kept from before -k, or a hole)\n"
					 : "a hole, never written\n");
	else if (r->kind == OP_TRUNC || r->kind == OP_OTRUNC)
		fprintf(stderr, "a hole, past EOF since op %" PRIu64 " (%s)\n",
			r->opno, op_names[r->kind]);
	else
		fprintf(stderr, "written by op %" PRIu64 " (%s)\n", r->opno, op_names[r->kind]);
	fprintf(stderr, "fsx:   got      0x%02x: ", g);
	if (!g)
		fprintf(stderr, "zero, as in a hole (a lost write?)\n");
	else if ((r = find_op(st, x, g)))
		fprintf(stderr, "what op %" PRIu64 " wrote here (stale data?)\n", r->opno);
	else
		fprintf(stderr, "no write put this here (misdirected write or garbage?)\n");
	hex_line("expected", lo, exp + (lo - base), NULL, cnt);
	hex_line("got", lo, got + (lo - base), exp + (lo - base), cnt);
	dump_log(st);
	exit(1);
}

static void compare(const struct fsx *st, const char *what, uint64_t base,
		    const unsigned char *exp, const unsigned char *got, uint64_t n)
{
	uint64_t i;

	if (!memcmp(exp, got, n))
		return;
	for (i = 0; exp[i] == got[i]; i++)
		;
	fail_data(st, what, base + i, exp, got, base, n);
}

static void read_ref(const struct fsx *st, unsigned char *buf, uint64_t n, uint64_t off)
{
	ssize_t r = n ? pread(st->ref, buf, n, (off_t)off) : 0;

	if (r < 0)
		fail(st, errno, "pread '%s' at 0x%" PRIx64, st->refpath, off);
	if ((uint64_t)r != n)
		fail(st, 0, "reference '%s' is short: 0x%zx bytes at 0x%" PRIx64 ", expected 0x%" PRIx64,
		     st->refpath, (size_t)r, off, n);
}

/* pwrite all n bytes at off, or write() them if off is APPEND. */
static void write_all(const struct fsx *st, int fd, const char *path,
		      const unsigned char *buf, uint64_t n, uint64_t off)
{
	ssize_t r = off == APPEND ? write(fd, buf, n) : pwrite(fd, buf, n, (off_t)off);

	if (r < 0)
		fail(st, errno, "write '%s' at 0x%" PRIx64 " (0x%" PRIx64 " bytes)", path, off, n);
	if ((uint64_t)r != n)
		fail(st, 0, "short write '%s' at 0x%" PRIx64 ": 0x%zx of 0x%" PRIx64 " bytes",
		     path, off, (size_t)r, n);
}

static void check_size(const struct fsx *st)
{
	struct stat a, b;

	if (fstat(st->fd, &a) || fstat(st->ref, &b))
		fail(st, errno, "fstat '%s' or '%s'", st->path, st->refpath);
	if ((uint64_t)a.st_size != st->size || (uint64_t)b.st_size != st->size)
		fail(st, 0, "SIZE MISMATCH: fstat gives 0x%" PRIx64 " for '%s' and 0x%" PRIx64
		     " for reference '%s', expected 0x%" PRIx64, (uint64_t)a.st_size, st->path,
		     (uint64_t)b.st_size, st->refpath, st->size);
}

/* pread len bytes of FILE at off (len <= bufsz); they and the count must match REFFILE. */
static void check_range(const struct fsx *st, uint64_t off, uint64_t len, const char *what)
{
	uint64_t want = off < st->size ? min64(len, st->size - off) : 0;
	ssize_t n;

	read_ref(st, st->exp, want, off);
	n = pread(st->fd, st->got, len, (off_t)off);
	if (n < 0)
		fail(st, errno, "pread '%s' at 0x%" PRIx64 " (0x%" PRIx64 " bytes)", st->path, off, len);
	compare(st, what, off, st->exp, st->got, min64((uint64_t)n, want));
	if ((uint64_t)n != want)
		fail(st, 0, "SHORT/LONG READ in %s: pread of 0x%" PRIx64 " bytes at 0x%" PRIx64
		     " returned 0x%zx, expected 0x%" PRIx64 " (file size 0x%" PRIx64 ")",
		     what, len, off, (size_t)n, want, st->size);
}

static void check_all(const struct fsx *st, const char *what)
{
	uint64_t off;

	for (off = 0; off < st->size; off += CHUNK)
		check_range(st, off, CHUNK, what);
	check_range(st, st->size, 1, what);	/* and EOF right there */
}

static uint64_t pick_len(struct fsx *st)
{
	if (rnd(st, 4) == 0)
		return 1 + rnd(st, min64(st->maxop, 512));
	return 1 + rnd(st, st->maxop);
}

static void op_read(struct fsx *st)
{
	uint64_t off = rnd(st, st->size + st->size / 16 + 1), len = pick_len(st);

	if (rnd(st, 4) == 0)
		off &= ~(uint64_t)4095;
	if (st->forced_read) {
		uint64_t x = st->forced_read - 1;

		len = min64(32, st->maxop);
		off = x - min64(x, len / 2);
		st->forced_read = 0;
	}
	log_push(st, OP_READ, off, len);
	check_range(st, off, len, "read");
}

static void append_fd(struct fsx *st, uint64_t off, uint64_t len)
{
	int fd = open(st->path, O_WRONLY | O_APPEND);
	off_t pos;

	if (fd < 0)
		fail(st, errno, "open '%s' O_APPEND", st->path);
	write_all(st, fd, st->path, st->wbuf, len, APPEND);
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos < 0)
		fail(st, errno, "lseek '%s'", st->path);
	if ((uint64_t)pos != off + len)
		fail(st, 0, "O_APPEND write to '%s' ended at 0x%" PRIx64 ", expected 0x%" PRIx64
		     " (a stale size?)", st->path, (uint64_t)pos, off + len);
	if (close(fd))
		fail(st, errno, "close '%s' (O_APPEND fd)", st->path);
}

static void op_write(struct fsx *st, int kind)
{
	uint64_t off, len = pick_len(st), i;
	struct oprec *r;

	if (kind == OP_APPEND && st->size >= st->maxlen)
		kind = OP_WRITE;
	if (kind == OP_APPEND) {
		off = st->size;
	} else {
		off = rnd(st, st->maxlen);
		if (rnd(st, 4) == 0)
			off &= ~(uint64_t)4095;
	}
	len = min64(len, st->maxlen - off);
	for (i = 0; i < len; i++)
		st->wbuf[i] = pat(st->opno, off + i);
	r = log_push(st, kind, off, len);
	if (kind == OP_APPEND && rnd(st, 3) == 0) {
		r->via_append_fd = 1;
		append_fd(st, off, len);
	} else {
		write_all(st, st->fd, st->path, st->wbuf, len, off);
	}
	write_all(st, st->ref, st->refpath, st->wbuf, len, off);
	if (off + len > st->size)
		st->size = off + len;
}

static void op_truncate(struct fsx *st)
{
	uint64_t to = rnd(st, st->maxlen + 1);

	log_push(st, OP_TRUNC, st->size, to);
	if (ftruncate(st->fd, (off_t)to))
		fail(st, errno, "ftruncate '%s' to 0x%" PRIx64, st->path, to);
	if (ftruncate(st->ref, (off_t)to))
		fail(st, errno, "ftruncate '%s' to 0x%" PRIx64, st->refpath, to);
	st->size = to;
}

static void reopen(struct fsx *st, int flags)
{
	if (close(st->fd))
		fail(st, errno, "close '%s'", st->path);
	st->fd = open(st->path, O_RDWR | flags);
	if (st->fd < 0)
		fail(st, errno, "reopen '%s'%s", st->path, flags ? " O_TRUNC" : "");
}

static void op_otrunc(struct fsx *st)
{
	log_push(st, OP_OTRUNC, st->size, 0);
	reopen(st, O_TRUNC);
	if (ftruncate(st->ref, 0))
		fail(st, errno, "ftruncate '%s'", st->refpath);
	st->size = 0;
}

static void op_mmap(struct fsx *st)
{
	uint64_t off, len, pg, end, mapend, i;
	unsigned char *p;

	if (!st->size) {
		op_read(st);
		return;
	}
	off = rnd(st, st->size);
	len = min64(pick_len(st), st->size - off);
	end = off + len;
	pg = off & ~(st->pagesz - 1);
	/* reaching into the last page: map all of it, the tail must be zeroes */
	mapend = end > ((st->size - 1) & ~(st->pagesz - 1)) ?
		 (st->size + st->pagesz - 1) & ~(st->pagesz - 1) : end;
	log_push(st, OP_MMAP, off, len);
	p = mmap(NULL, mapend - pg, PROT_READ, MAP_SHARED, st->fd, (off_t)pg);
	if (p == MAP_FAILED)
		fail(st, errno, "mmap '%s' at 0x%" PRIx64 " (0x%" PRIx64 " bytes)", st->path, pg, mapend - pg);
	read_ref(st, st->exp, len, off);
	memcpy(st->got, p + (off - pg), len);
	compare(st, "mmap read", off, st->exp, st->got, len);
	if (mapend > st->size) {
		len = mapend - st->size;
		memset(st->exp, 0, len);
		memcpy(st->got, p + (st->size - pg), len);
		for (i = 0; i < len; i++)
			if (st->got[i])
				fail_data(st, "mmap past EOF", st->size + i, st->exp, st->got,
					  st->size, len);
	}
	if (munmap(p, mapend - pg))
		fail(st, errno, "munmap '%s'", st->path);
}

static void inject_bug(struct fsx *st)
{
	uint64_t x = rnd(st, st->size);
	unsigned char b;
	int fd;

	read_ref(st, &b, 1, x);
	b ^= 0xff;
	fd = open(st->path, O_WRONLY);
	if (fd < 0)
		fail(st, errno, "FSX_INJECT_BUG: open '%s'", st->path);
	write_all(st, fd, st->path, &b, 1, x);
	if (close(fd))
		fail(st, errno, "FSX_INJECT_BUG: close '%s'", st->path);
	fflush(stdout);
	fprintf(stderr, "fsx: FSX_INJECT_BUG: flipped the byte at 0x%" PRIx64 " of '%s' after op %"
		PRIu64 "\n", x, st->path, st->opno);
	st->inject_at = 0;
	st->forced_read = x + 1;
}

static void do_op(struct fsx *st)
{
	uint64_t w[OP_NKINDS] = {
		[OP_READ] = 30, [OP_WRITE] = 30, [OP_APPEND] = 10,
		[OP_TRUNC] = st->no_trunc ? 0 : 10, [OP_OTRUNC] = st->no_trunc ? 0 : 1,
		[OP_MMAP] = st->use_mmap ? 15 : 0,
	}, total = 0, pick;
	int k;

	if (!st->forced_read && rnd(st, 100) < st->fsync_pct) {
		log_push(st, OP_FSYNC, 0, 0);
		if (fsync(st->fd))
			fail(st, errno, "fsync '%s'", st->path);
		return;
	}
	for (k = 0; k < OP_NKINDS; k++)
		total += w[k];
	pick = rnd(st, total);
	for (k = 0; pick >= w[k]; k++)
		pick -= w[k];
	if (st->forced_read)
		k = OP_READ;
	switch (k) {
	case OP_READ: op_read(st); break;
	case OP_WRITE: case OP_APPEND: op_write(st, k); break;
	case OP_TRUNC: op_truncate(st); break;
	case OP_OTRUNC: op_otrunc(st); break;
	default: op_mmap(st); break;
	}
}

/* Parse a decimal number in [min, max]; with suffix, K, M or G multiply it by 2^10, 2^20, 2^30. */
static int parse_u64(const char *s, int suffix, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (suffix && *end) {
		const char *units = "KMG", *u = strchr(units, toupper((unsigned char)*end));

		if (!u)
			return -1;
		shift = 10 * (unsigned)(u - units + 1);
		end++;
	}
	if (*end || v > (max >> shift) || (uint64_t)v << shift < min)
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

__attribute__((noreturn))
static void usage(void)
{
	fprintf(stderr, "usage: fsx [-kmNqv] [-n N] [-S SEED] [-l LEN] [-o SIZE] [-c P] [-f P] "
		"FILE REFFILE\n");
	exit(2);
}

static void parse_args(struct fsx *st, int argc, char **argv)
{
	struct { char opt; int suffix; uint64_t min, max, *to; } nums[] = {
		{ 'n', 0, 0, UINT64_MAX / 2, &st->nops },
		{ 'S', 0, 0, UINT64_MAX, &st->seed },
		{ 'l', 1, 1, (uint64_t)1 << 40, &st->maxlen },
		{ 'o', 1, 1, (uint64_t)1 << 28, &st->maxop },
		{ 'c', 0, 0, 100, &st->reopen_pct },
		{ 'f', 0, 0, 100, &st->fsync_pct },
	};
	int c, seeded = 0;
	size_t i;

	while ((c = getopt(argc, argv, "n:S:l:o:c:f:kmNqv")) != -1) {
		switch (c) {
		case 'k': st->keep = 1; continue;
		case 'm': st->use_mmap = 1; continue;
		case 'N': st->no_trunc = 1; continue;
		case 'q': st->quiet = 1; continue;
		case 'v': st->verbose = 1; continue;
		case '?': usage();
		}
		for (i = 0; i < sizeof(nums) / sizeof(nums[0]) && nums[i].opt != c; i++)
			;
		if (i == sizeof(nums) / sizeof(nums[0]))
			usage();
		if (parse_u64(optarg, nums[i].suffix, nums[i].min, nums[i].max, nums[i].to)) {
			fprintf(stderr, "fsx: bad value '%s' for -%c: want a number from %" PRIu64
				" to %" PRIu64 "%s\n", optarg, c, nums[i].min, nums[i].max,
				nums[i].suffix ? " (K, M, G suffixes)" : "");
			exit(2);
		}
		seeded |= c == 'S';
	}
	if (argc - optind != 2)
		usage();
	st->path = argv[optind];
	st->refpath = argv[optind + 1];
	st->maxop = min64(st->maxop, st->maxlen);
	if (!seeded) {
		struct timeval tv;

		if (gettimeofday(&tv, NULL))
			fail(st, errno, "gettimeofday");
		st->seed = ((uint64_t)tv.tv_sec * 1000003) ^ (uint64_t)tv.tv_usec ^
			   ((uint64_t)getpid() << 20);
	}
	st->rng = st->seed;
}

static void setup(struct fsx *st)
{
	struct stat a, b;
	const char *inject = getenv("FSX_INJECT_BUG");
	long pg = sysconf(_SC_PAGESIZE);

	int flags = st->keep ? O_RDWR : O_RDWR | O_CREAT | O_TRUNC;

	st->fd = open(st->path, flags, 0644);
	if (st->fd < 0)
		fail(st, errno, "cannot %s '%s'", st->keep ? "open" : "create", st->path);
	st->ref = open(st->refpath, flags, 0644);
	if (st->ref < 0)
		fail(st, errno, "cannot %s '%s'", st->keep ? "open" : "create", st->refpath);
	if (fstat(st->fd, &a) || fstat(st->ref, &b))
		fail(st, errno, "fstat");
	if (a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		fprintf(stderr, "fsx: '%s' and '%s' are the same file\n", st->path, st->refpath);
		exit(2);
	}
	st->size = (uint64_t)b.st_size;
	if (st->keep && st->size > st->maxlen) {
		fprintf(stderr, "fsx: -k: '%s' holds 0x%" PRIx64 " bytes, over -l 0x%" PRIx64 "\n",
			st->refpath, st->size, st->maxlen);
		exit(2);
	}
	if (pg <= 0)
		fail(st, errno, "sysconf(_SC_PAGESIZE)");
	st->pagesz = (uint64_t)pg;
	st->bufsz = (size_t)(st->maxop > CHUNK ? st->maxop : CHUNK);
	st->wbuf = malloc(3 * st->bufsz);	/* and exp, got */
	if (!st->wbuf)
		fail(st, 0, "out of memory for 3 buffers of 0x%zx bytes", st->bufsz);
	st->exp = st->wbuf + st->bufsz;
	st->got = st->exp + st->bufsz;
	if (inject && *inject && strcmp(inject, "0"))
		st->inject_at = INJECT_AFTER;
}

int main(int argc, char **argv)
{
	struct fsx st = { .nops = 10000, .maxlen = 1 << 20, .maxop = 65536,
			  .reopen_pct = 5, .fsync_pct = 1, .fd = -1, .ref = -1 };

	parse_args(&st, argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("fsx: seed %" PRIu64 ": %" PRIu64 " ops on '%s' (reference '%s'), length <= 0x%"
	       PRIx64 ", op size <= 0x%" PRIx64 "\n", st.seed, st.nops, st.path, st.refpath,
	       st.maxlen, st.maxop);
	setup(&st);
	check_size(&st);
	if (st.keep) {
		check_all(&st, "check of the kept file (-k) before the first op");
		printf("fsx: -k: '%s' starts as its reference, 0x%" PRIx64 " bytes\n", st.path,
		       st.size);
	}
	for (st.opno = 1; st.opno <= st.nops; st.opno++) {
		do_op(&st);
		check_size(&st);
		if (st.inject_at && st.opno >= st.inject_at && st.size)
			inject_bug(&st);
		if (rnd(&st, 100) < st.reopen_pct) {
			log_push(&st, OP_REOPEN, 0, 0);
			reopen(&st, 0);
			check_size(&st);
			check_all(&st, "whole-file check after reopen");
		}
		if (!st.quiet && st.opno % 10000 == 0)
			printf("fsx: %" PRIu64 " ops, size 0x%" PRIx64 "\n", st.opno, st.size);
	}
	st.opno = st.nops;
	check_all(&st, "final whole-file check");
	if (close(st.fd))
		fail(&st, errno, "close '%s'", st.path);
	if (close(st.ref))
		fail(&st, errno, "close '%s'", st.refpath);
	printf("fsx: %" PRIu64 " ops ok (reads %" PRIu64 ", writes %" PRIu64 ", truncates %" PRIu64
	       ", reopens %" PRIu64 ", fsyncs %" PRIu64 ", mmap reads %" PRIu64 "), seed %" PRIu64 "\n",
	       st.nops, st.count[OP_READ], st.count[OP_WRITE] + st.count[OP_APPEND],
	       st.count[OP_TRUNC] + st.count[OP_OTRUNC], st.count[OP_REOPEN],
	       st.count[OP_FSYNC], st.count[OP_MMAP], st.seed);
	free(st.log);
	free(st.wbuf);
	return 0;
}
