/*
 * blockfile: the block cache's on-disk format (format 3).
 *
 * Under DIR/blocks/ (directories 0700, files 0600, whatever the umask):
 *
 *   meta                 "lakemount-blocks 3\nblock_size N\n" and a state
 *                        line "boot <boot id> open|clean\n" (below); the
 *                        open cache holds flock(LOCK_EX) on it
 *   <id[0:2]>/<id>.data  the object's blocks, block `no` at offset no*bs:
 *                        a sparse file, with holes where blocks are absent
 *   <id[0:2]>/<id>.map   a 16-byte record per block, record `no` at
 *                        offset no*16; all zero when the block is absent
 *
 * A record, little-endian:
 *
 *   offset 0  2 bytes  magic "L3"
 *          2  1 byte   codec: 1 raw, 2 LZ4 block (LZ4_compress_default)
 *          3  1 byte   zero
 *          4  u32      raw: the block's length, at most the block size
 *          8  u32      plen: the bytes stored at no*bs; raw for a raw block,
 *                      fewer for an LZ4 one
 *         12  u32      used: its last use, in seconds since the epoch, to
 *                      within a minute: the LRU order a restart starts from
 *
 * Keys never appear in names: an id is a SHA-256 (blocks_object_id), and
 * ids from callers are checked to be 64 lower-case hex digits.
 *
 * Why one file per object: an object read whole is then a plain file of
 * its bytes, which the kernel can read from directly (FUSE passthrough,
 * blockfile_open_data), at the speed of a local file; and a 1 MiB block
 * costs a pwrite, not a file of its own (create, rename, a directory
 * entry, an inode).  Blocks are written through the page cache, so that
 * an object just fetched is in memory for that direct read.  A block is
 * kept compressed only when that takes at most 9/10 of its raw length.
 *
 * Order of the steps (blocks.c holds its lock around the record steps):
 *  - a block's bytes are written before its record, and its record is
 *    cleared before a hole is punched where its bytes were: a record never
 *    names bytes that are not there.  A process killed in between leaves
 *    bytes no record names; the walk at open punches them.
 *  - a record says what is stored; blockfile_read() checks the length
 *    read and the LZ4 stream, and a damaged block is reported absent.
 *
 * Power loss: records and bytes go through the page cache with no fsync
 * (that would cost a disk flush per MiB read from S3), so after a crash
 * of the machine a record may name bytes that never reached the disk.
 * The meta file's state line tells: it says "open" (fsync'd) while a cache
 * is in use, and "clean" after a close that synced every object written
 * since open (fdatasync of its two files).  An open that finds "open" from another boot (the machine went
 * down under a running cache) discards every block; one from this boot
 * (the process was killed: the page cache still holds everything it wrote)
 * keeps them.
 *
 * The meta file records the block size because block `no` means bytes
 * [no*bs, (no+1)*bs): blocks written with another block size, or in another
 * format (format 2 had a file per block in a directory per object), would
 * be wrong data, so they are discarded at open.  The flock keeps a second
 * lakemount from evicting under the first one's feet.
 */
#include "blocks_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <lz4.h>
#include <openssl/evp.h>

#include "blocks.h"

#define MAGIC0 'L'
#define MAGIC1 '3'
#define CODEC_RAW 1
#define CODEC_LZ4 2
#define META_FMT "lakemount-blocks 3\nblock_size %" PRIu32 "\n"
#define PAGE 4096u
#define BOOT_ID_FILE "/proc/sys/kernel/random/boot_id"

/* SHA-256 of bucket NUL key NUL etag.  The NULs keep ("a", "b/c") and
 * ("a/b", "c") apart.  Should OpenSSL fail (out of memory), out is "", which
 * every blocks_ call refuses: that object is then simply not cached. */
void blocks_object_id(const char *bucket, const char *key, const char *etag,
		      char out[BLOCKS_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0, i;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	out[0] = '\0';
	if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(c, bucket, strlen(bucket) + 1) ||
	    !EVP_DigestUpdate(c, key, strlen(key) + 1) ||
	    !EVP_DigestUpdate(c, etag ? etag : "", etag ? strlen(etag) : 0) ||
	    !EVP_DigestFinal_ex(c, md, &n) || n != sizeof(md))
		goto fail;
	for (i = 0; i < sizeof(md); i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[BLOCKS_ID_LEN] = '\0';
fail:
	EVP_MD_CTX_free(c);
}

static int is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int blockfile_id_ok(const char *id)
{
	return id && is_hex(id, BLOCKS_ID_LEN) && id[BLOCKS_ID_LEN] == '\0';
}

uint32_t blockfile_disk_len(uint32_t plen)
{
	return (plen + PAGE - 1) / PAGE * PAGE;
}

/* "<id[0:2]>/<id><ext>" */
static void obj_name(char buf[BLOCKFILE_NAME_MAX], const char *id, const char *ext)
{
	snprintf(buf, BLOCKFILE_NAME_MAX, "%.2s/%.64s%s", id, id, ext);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

static uint32_t get_le32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void rec_encode(unsigned char r[BLOCKFILE_REC_LEN], const struct blockrec *rec)
{
	r[0] = MAGIC0;
	r[1] = MAGIC1;
	r[2] = rec->plen < rec->raw ? CODEC_LZ4 : CODEC_RAW;
	r[3] = 0;
	put_le32(r + 4, rec->raw);
	put_le32(r + 8, rec->plen);
	put_le32(r + 12, rec->used);
}

/* 1 for a good record, 0 for an all-zero one (no block), -1 for garbage. */
static int rec_decode(const unsigned char r[BLOCKFILE_REC_LEN], uint32_t bs,
		      struct blockrec *rec)
{
	static const unsigned char zero[BLOCKFILE_REC_LEN];

	if (!memcmp(r, zero, sizeof(zero)))
		return 0;
	rec->raw = get_le32(r + 4);
	rec->plen = get_le32(r + 8);
	rec->used = get_le32(r + 12);
	if (r[0] != MAGIC0 || r[1] != MAGIC1 || r[3] || !rec->raw || rec->raw > bs)
		return -1;
	if (!(r[2] == CODEC_RAW && rec->plen == rec->raw) &&
	    !(r[2] == CODEC_LZ4 && rec->plen && rec->plen < rec->raw))
		return -1;
	return 1;
}

#define PROBE_LEN (64 * 1024)

const void *blockfile_encode(const void *data, size_t len, char **z, uint32_t *plen)
{
	/* LZ4 gives up (returns 0) as soon as its output would not fit in
	 * room: incompressible data costs little. */
	size_t room = len / 10 * 9 + len % 10 * 9 / 10;
	char *probe;
	int n = 0;

	*z = NULL;
	/* A zip or parquet block does not compress anywhere: judge it by its
	 * first 64 KiB before spending time (and a block-sized buffer, fresh
	 * memory each time) on the rest. */
	if (room && len > 4 * PROBE_LEN) {
		if (!(probe = malloc(PROBE_LEN / 10 * 9)))
			room = 0;
		else if (LZ4_compress_default(data, probe, PROBE_LEN, PROBE_LEN / 10 * 9) <= 0)
			room = 0;
		free(probe);
	}
	if (room && (*z = malloc(room)))
		n = LZ4_compress_default(data, *z, (int)len, (int)room);
	*plen = n > 0 ? (uint32_t)n : (uint32_t)len;
	return n > 0 ? *z : data;
}

static int pwrite_all(int fd, const void *p, size_t n, off_t off)
{
	const char *c = p;
	ssize_t w;

	while (n) {
		w = pwrite(fd, c, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

uint64_t blocks_disk_short(int fd, uint64_t need)
{
	struct statvfs sv;
	uint64_t avail, total, keep;

	if (fstatvfs(fd, &sv))
		return 0;	/* cannot tell: the write itself will say */
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	total = (uint64_t)sv.f_blocks * sv.f_frsize;
	keep = total / 8 < BLOCKS_DISK_RESERVE ? total / 8 : BLOCKS_DISK_RESERVE;
	return avail >= need + keep ? 0 : need + keep - avail;
}

int blocks_disk_room(int fd, uint64_t need)
{
	return blocks_disk_short(fd, need) == 0;
}

/* mkdir that leaves a 0700 directory whatever the umask; EEXIST is fine. */
static int mkdir_0700(int dfd, const char *path)
{
	if (mkdirat(dfd, path, 0700))
		return errno == EEXIST ? 0 : -1;
	return fchmodat(dfd, path, 0700, 0);
}

/* Opens id's file `ext` for writing; with create, makes it (0600, and its
 * directory 0700) when missing.  -1 with errno set. */
static int open_obj(int root, const char *id, const char *ext, int create)
{
	int flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW, fd;
	char name[BLOCKFILE_NAME_MAX], dir[3];

	obj_name(name, id, ext);
	for (;;) {
		if ((fd = openat(root, name, flags)) >= 0 || errno != ENOENT || !create)
			return fd;
		fd = openat(root, name, flags | O_CREAT | O_EXCL, 0600);
		if (fd < 0 && errno == ENOENT) {
			snprintf(dir, sizeof(dir), "%.2s", id);
			if (mkdir_0700(root, dir))
				return -1;
			fd = openat(root, name, flags | O_CREAT | O_EXCL, 0600);
		}
		if (fd >= 0) {
			if (!fchmod(fd, 0600))
				return fd;
			close(fd);
			unlinkat(root, name, 0);
			return -1;
		}
		if (errno != EEXIST)
			return -1;
		/* another put made it meanwhile: open that one */
	}
}

static void punch(int fd, uint64_t no, uint32_t bs)
{
	fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(no * bs), bs);
}

int blockfile_write_data(int root, const char *id, uint64_t no, uint32_t bs,
			 const void *p, uint32_t plen)
{
	int fd = open_obj(root, id, ".data", 1), rc = 0;

	if (fd < 0)
		return -1;
	/* Allocating the range first spares ext4 its delayed-allocation
	 * bookkeeping page by page: a third of the pwrite's CPU, 13 ms per
	 * 256 MiB here.  Where it cannot (EOPNOTSUPP), the pwrite allocates. */
	(void)fallocate(fd, 0, (off_t)(no * bs), (off_t)plen);
	if (pwrite_all(fd, p, plen, (off_t)(no * bs))) {
		punch(fd, no, bs);
		rc = -1;
	}
	if (close(fd))
		rc = -1;
	return rc;
}

int blockfile_record(int root, const char *id, uint64_t no, const struct blockrec *rec)
{
	unsigned char r[BLOCKFILE_REC_LEN];
	int fd = open_obj(root, id, ".map", 1), rc;

	if (fd < 0)
		return -1;
	rec_encode(r, rec);
	rc = pwrite_all(fd, r, sizeof(r), (off_t)(no * BLOCKFILE_REC_LEN));
	if (close(fd))
		rc = -1;
	return rc;
}

void blockfile_touch(int root, const char *id, uint64_t no, uint32_t used)
{
	unsigned char u[4];
	int fd = open_obj(root, id, ".map", 0);

	if (fd < 0)
		return;
	put_le32(u, used);
	pwrite_all(fd, u, sizeof(u), (off_t)(no * BLOCKFILE_REC_LEN + 12));
	close(fd);
}

void blockfile_punch(int root, const char *id, uint64_t no, uint32_t bs)
{
	static const unsigned char zero[BLOCKFILE_REC_LEN];
	int fd = open_obj(root, id, ".map", 0);

	if (fd >= 0) {
		pwrite_all(fd, zero, sizeof(zero), (off_t)(no * BLOCKFILE_REC_LEN));
		close(fd);
	}
	if ((fd = open_obj(root, id, ".data", 0)) >= 0) {
		punch(fd, no, bs);
		close(fd);
	}
}

void blockfile_remove(int root, const char *id)
{
	char name[BLOCKFILE_NAME_MAX];

	/* the map first: bytes without a map are nothing, a map without its
	 * bytes would be wrong */
	obj_name(name, id, ".map");
	unlinkat(root, name, 0);
	obj_name(name, id, ".data");
	unlinkat(root, name, 0);
	snprintf(name, sizeof(name), "%.2s", id);
	unlinkat(root, name, AT_REMOVEDIR);	/* fails unless empty: fine */
}

ssize_t blockfile_read(int root, const char *id, uint64_t no, uint32_t bs, void *buf,
		       const struct blockrec *rec)
{
	char name[BLOCKFILE_NAME_MAX], *z = NULL;
	ssize_t rc = -1, n;
	int fd;

	obj_name(name, id, ".data");
	fd = openat(root, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP ? -2 : -1;
	if (rec->plen < rec->raw && !(z = malloc(rec->plen)))
		goto fail;
	do
		n = pread(fd, z ? z : buf, rec->plen, (off_t)(no * bs));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		goto fail;
	rc = -2;
	if (n != rec->plen)
		goto fail;
	if (z && LZ4_decompress_safe(z, buf, (int)rec->plen, (int)rec->raw) != (int)rec->raw)
		goto fail;
	rc = rec->raw;
fail:
	free(z);
	close(fd);
	return rc;
}

int blockfile_open_data(int root, const char *id)
{
	char name[BLOCKFILE_NAME_MAX];

	obj_name(name, id, ".data");
	return openat(root, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

/* mkdir -p; the directories it makes are 0700. */
static int mkdir_p(const char *dir)
{
	char *p = strdup(dir), *s, c;
	int rc = -1;

	if (!p)
		return -1;
	for (s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir_0700(AT_FDCWD, p))
			goto fail;
		if (!(*s = c))
			break;
	}
	rc = 0;
fail:
	free(p);
	return rc;
}

int blockfile_opendir(const char *dir)
{
	int dfd, fd = -1;

	if (mkdir_p(dir) || (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if (!mkdir_0700(dfd, "blocks"))
		fd = openat(dfd, "blocks", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && fchmod(fd, 0700)) {
		close(fd);
		fd = -1;
	}
	close(dfd);
	return fd;
}

/* ---- the meta file ----------------------------------------------------- */

/* This boot's id into buf (36 characters), or "" when unknown. */
static void boot_id(char buf[40])
{
	FILE *f = fopen(BOOT_ID_FILE, "re");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, 40, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

static int meta_put(int metafd, uint32_t bs, const char *state)
{
	char text[160], boot[40];
	int n;

	boot_id(boot);
	n = snprintf(text, sizeof(text), META_FMT "boot %s %s\n", bs, boot[0] ? boot : "-",
		     state);
	if (ftruncate(metafd, 0) || pwrite(metafd, text, (size_t)n, 0) != n || fsync(metafd))
		return -1;
	return 0;
}

/* flock, trying again every 50 ms for wait_ms: a lakemount that is
 * unmounting holds it until its last blocks are on the disk. */
static int lock_meta(int fd, unsigned wait_ms)
{
	unsigned waited = 0;

	while (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK || waited >= wait_ms)
			return -1;
		usleep(50 * 1000);
		waited += 50;
	}
	return 0;
}

int blockfile_meta_open(int root, uint32_t bs, const char *dir, unsigned wait_ms,
			int *metafd, char *err, size_t errlen)
{
	char want[64], have[200], boot[40], *state;
	size_t wlen;
	ssize_t n;
	int fd, keep;

	fd = openat(root, "meta", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if ((*metafd = fd) < 0 || fchmod(fd, 0600)) {
		snprintf(err, errlen, "cannot open '%s/blocks/meta': %s", dir, strerror(errno));
		return -1;
	}
	if (lock_meta(fd, wait_ms)) {
		if (errno == EWOULDBLOCK)
			snprintf(err, errlen, "cache directory '%s' is in use by another "
				 "lakemount: give each mount a cache directory of its own", dir);
		else
			snprintf(err, errlen, "cannot lock '%s/blocks/meta': %s", dir,
				 strerror(errno));
		return -1;
	}
	wlen = (size_t)snprintf(want, sizeof(want), META_FMT, bs);
	if ((n = pread(fd, have, sizeof(have) - 1, 0)) < 0) {
		snprintf(err, errlen, "cannot read '%s/blocks/meta': %s", dir, strerror(errno));
		return -1;
	}
	have[n] = '\0';
	keep = !strncmp(have, want, wlen);
	if (keep) {
		/* "boot <id> clean" from any boot, "boot <id> open" from this one */
		state = have + wlen;
		boot_id(boot);
		keep = !strncmp(state, "boot ", 5) &&
		       (strstr(state, " clean\n") ||
			(boot[0] && !strncmp(state + 5, boot, strlen(boot)) &&
			 !strcmp(state + 5 + strlen(boot), " open\n")));
	}
	if (keep && meta_put(fd, bs, "open")) {
		snprintf(err, errlen, "cannot write '%s/blocks/meta': %s", dir, strerror(errno));
		return -1;
	}
	return keep;
}

int blockfile_meta_write(int metafd, uint32_t bs)
{
	return meta_put(metafd, bs, "open");
}

void blockfile_meta_clean(int metafd, uint32_t bs)
{
	meta_put(metafd, bs, "clean");
}

int blockfile_sync(int root, const char *id)
{
	static const char *const ext[] = { ".data", ".map" };
	char name[BLOCKFILE_NAME_MAX];
	int fd, rc = 0;

	for (size_t i = 0; i < 2; i++) {
		obj_name(name, id, ext[i]);
		if ((fd = openat(root, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
			if (errno != ENOENT)	/* gone: nothing to sync */
				rc = -1;
			continue;
		}
		if (fdatasync(fd))
			rc = -1;
		close(fd);
	}
	return rc;
}

/* ---- the walk at open --------------------------------------------------- */

struct scan {
	uint32_t bs;
	int discard;
	blockfile_found_fn *found;
	void *arg;
};

/* Punches the bytes in data no good record names (a process killed
 * between the steps of a put or an eviction left them). */
static void scan_orphans(int data, uint32_t bs, const unsigned char *good, uint64_t nrec)
{
	off_t off = 0, d, h;

	while ((d = lseek(data, off, SEEK_DATA)) >= 0) {
		if ((h = lseek(data, d, SEEK_HOLE)) < 0)
			break;
		for (uint64_t no = (uint64_t)d / bs; no * bs < (uint64_t)h; no++)
			if (no >= nrec || !good[no])
				punch(data, no, bs);
		off = h;
	}
}

/* One object: returns 1 when a block was kept, 0 when the object's files
 * were removed, -1 when found() said stop. */
static int scan_obj(struct scan *sc, int dfd, const char *id)
{
	char mname[80], dname[80];
	unsigned char *recs = NULL, *good = NULL;
	struct blockrec rec;
	struct stat ms, ds;
	uint64_t nrec = 0, no;
	int map, data, kept = 0, r = 0, v;

	snprintf(mname, sizeof(mname), "%.64s.map", id);
	snprintf(dname, sizeof(dname), "%.64s.data", id);
	map = openat(dfd, mname, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	data = openat(dfd, dname, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (sc->discard || map < 0 || data < 0 || fstat(map, &ms) || fstat(data, &ds) ||
	    !S_ISREG(ms.st_mode) || !S_ISREG(ds.st_mode))
		goto out;
	nrec = (uint64_t)ms.st_size / BLOCKFILE_REC_LEN;
	if (!nrec || !(recs = malloc(nrec * BLOCKFILE_REC_LEN)) || !(good = calloc(nrec, 1)) ||
	    pread(map, recs, nrec * BLOCKFILE_REC_LEN, 0) != (ssize_t)(nrec * BLOCKFILE_REC_LEN))
		goto out;
	for (no = 0; no < nrec && r >= 0; no++) {
		unsigned char *rr = recs + no * BLOCKFILE_REC_LEN;
		static const unsigned char zero[BLOCKFILE_REC_LEN];

		if (!(v = rec_decode(rr, sc->bs, &rec)))
			continue;
		if (v < 0 || (uint64_t)ds.st_size < no * sc->bs + rec.plen) {
			pwrite_all(map, zero, sizeof(zero), (off_t)(no * BLOCKFILE_REC_LEN));
			continue;
		}
		good[no] = kept = 1;
		if (sc->found(sc->arg, id, no, &rec))
			r = -1;
	}
	if (kept)
		scan_orphans(data, sc->bs, good, nrec);
out:
	if (map >= 0)
		close(map);
	if (data >= 0)
		close(data);
	free(recs);
	free(good);
	if (!kept) {
		unlinkat(dfd, mname, 0);
		unlinkat(dfd, dname, 0);
	}
	return r < 0 ? -1 : kept;
}

/* A format 2 object directory (<id>/ holding a file per block): removed. */
static void remove_old_dir(int dfd, const char *id)
{
	int fd = openat(dfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(fd, de->d_name, 0);
	closedir(d);
	unlinkat(dfd, id, AT_REMOVEDIR);
}

/* Opens dir (relative to dfd) for reading; NULL with errno set. */
static DIR *opendir_at(int dfd, const char *dir)
{
	int fd = openat(dfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d;

	if (fd < 0)
		return NULL;
	if (!(d = fdopendir(fd)))
		close(fd);
	return d;
}

/* The id an object file's name is of ("<id>.map" or "<id>.data"), or
 * NULL for names of other shapes. */
static const char *obj_file_id(const char *name, const char *prefix, char id[BLOCKS_ID_LEN + 1],
			       int *is_map)
{
	const char *ext = name + BLOCKS_ID_LEN;

	if (strlen(name) <= BLOCKS_ID_LEN || memcmp(name, prefix, 2))
		return NULL;
	memcpy(id, name, BLOCKS_ID_LEN);
	id[BLOCKS_ID_LEN] = '\0';
	if (!blockfile_id_ok(id))
		return NULL;
	if (!strcmp(ext, ".map"))
		*is_map = 1;
	else if (!strcmp(ext, ".data"))
		*is_map = 0;
	else
		return NULL;
	return id;
}

static int scan_dir(struct scan *sc, int root, const char *sub)
{
	char id[BLOCKS_ID_LEN + 1], other[80];
	struct dirent *de;
	int rc = 0, is_map;
	DIR *d;

	if (!(d = opendir_at(root, sub)))
		return 0;
	while (!rc && (de = readdir(d))) {
		if (blockfile_id_ok(de->d_name) && !memcmp(de->d_name, sub, 2)) {
			remove_old_dir(dirfd(d), de->d_name);
		} else if (obj_file_id(de->d_name, sub, id, &is_map)) {
			if (is_map) {
				rc = scan_obj(sc, dirfd(d), id) < 0 ? -1 : 0;
				continue;
			}
			/* a data file whose map is gone is nothing */
			snprintf(other, sizeof(other), "%s.map", id);
			if (faccessat(dirfd(d), other, F_OK, AT_SYMLINK_NOFOLLOW))
				unlinkat(dirfd(d), de->d_name, 0);
		}
	}
	closedir(d);
	unlinkat(root, sub, AT_REMOVEDIR);	/* fails unless empty: fine */
	return rc;
}

/* Names of other shapes under DIR/blocks are left alone: not ours. */
int blockfile_scan(int root, uint32_t bs, int discard, blockfile_found_fn *found,
		   void *arg)
{
	struct scan sc = { bs, discard, found, arg };
	struct dirent *de;
	DIR *top;
	int rc = 0;

	if (!(top = opendir_at(root, ".")))
		return -1;
	while (!rc && (de = readdir(top)))
		if (strlen(de->d_name) == 2 && is_hex(de->d_name, 2))
			rc = scan_dir(&sc, root, de->d_name);
	closedir(top);
	return rc;
}
