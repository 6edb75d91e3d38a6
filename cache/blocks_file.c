/*
 * blockfile: the block cache's on-disk format.
 *
 * Under DIR/blocks/ (directories 0700, files 0600, whatever the umask):
 *
 *   meta                          "lakemount-blocks 1\nblock_size N\n"; the
 *                                 open cache holds flock(LOCK_EX) on it
 *   <id[0:2]>/<id>/<no>           block `no` of object `id`, `no` in decimal
 *                                 without leading zeros
 *   <id[0:2]>/<id>/<no>.tmp<seq>  a block being written; removed at open
 *
 * Keys never appear in names: an id is a SHA-256 (blocks_object_id), and
 * ids from callers are checked to be 64 lower-case hex digits.
 *
 * A block file is stored_len bytes and then a 16-byte trailer:
 *
 *   offset 0  4 bytes  magic "LMB2"
 *          4  1 byte   codec: 0 raw, 1 LZ4 block (LZ4_compress_default)
 *          5  3 bytes  zero
 *          8  u32 LE   raw_len: the block's length, at most the block size
 *         12  u32 LE   stored_len: the bytes before the trailer; equal to
 *                      raw_len for a raw block, smaller for an LZ4 one
 *
 * A block is kept compressed only when that takes at most 9/10 of its raw
 * length.  Its file's mtime is its last use, to within a minute: the LRU
 * order a restart starts from.  A file whose trailer, length or LZ4 stream
 * is wrong is removed and the block reported absent.  (Format 1 had the
 * same fields as a header, "LMB1"; its blocks are discarded at open.)
 *
 * The trailer comes last so that a raw block's data starts at offset 0:
 * a whole, page-aligned block is then written with O_DIRECT, straight
 * from the reader's buffer to the disk.  Through the page cache, the
 * write would cost a copy and the filesystem's work per 4 KiB page, a
 * fifth of the daemon's CPU in a cold read; and the data would sit in
 * memory twice, since the kernel keeps what it read through the mount in
 * that file's own pages.  A filesystem that refuses O_DIRECT (at open or
 * at the write) gets buffered writes from then on.

 * The meta file records the block size because block `no` means bytes
 * [no*bs, (no+1)*bs): blocks written with another block size, or in another
 * format, would be wrong data, so they are discarded at open.  The flock
 * keeps a second lakemount from evicting under the first one's feet.
 *
 * Crashes: a block is written under a temp name and renamed into place, so
 * a process that dies never leaves half a block under a block's name.
 * Blocks are not fsync'd (that would cost a disk flush per MiB read from
 * S3): after a power loss a block is as good as the filesystem's ordering of
 * data before metadata (ext4's data=ordered is enough).  The trailer check
 * catches a torn length, not torn contents.
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
#include <sys/uio.h>
#include <unistd.h>

#include <lz4.h>
#include <openssl/evp.h>

#include "blocks.h"

#define MAGIC "LMB2"
#define CODEC_RAW 0
#define CODEC_LZ4 1
#define META_FMT "lakemount-blocks 2\nblock_size %" PRIu32 "\n"

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

void blockfile_name(char buf[BLOCKFILE_NAME_MAX], const char *id, uint64_t no,
		    uint64_t tmpseq)
{
	if (tmpseq)
		snprintf(buf, BLOCKFILE_NAME_MAX, "%.2s/%.64s/%" PRIu64 ".tmp%" PRIu64,
			 id, id, no, tmpseq);
	else
		snprintf(buf, BLOCKFILE_NAME_MAX, "%.2s/%.64s/%" PRIu64, id, id, no);
}

static void dir_name(char buf[BLOCKFILE_NAME_MAX], const char *id)
{
	snprintf(buf, BLOCKFILE_NAME_MAX, "%.2s/%.64s", id, id);
}

void blockfile_unlink(int root, const char *id, uint64_t no)
{
	char name[BLOCKFILE_NAME_MAX];

	blockfile_name(name, id, no, 0);
	unlinkat(root, name, 0);
}

void blockfile_rmdir(int root, const char *id)
{
	char name[BLOCKFILE_NAME_MAX];

	dir_name(name, id);
	unlinkat(root, name, AT_REMOVEDIR);
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

/* Checks a trailer on its own; returns the file size it implies, or 0. */
static uint32_t hdr_parse(const unsigned char *h, uint32_t bs, uint32_t *raw)
{
	uint32_t r = get_le32(h + 8), s = get_le32(h + 12);

	if (memcmp(h, MAGIC, 4) || h[5] || h[6] || h[7] || r > bs)
		return 0;
	if (!(h[4] == CODEC_RAW && s == r) && !(h[4] == CODEC_LZ4 && s < r))
		return 0;
	*raw = r;
	return s + BLOCKFILE_HDR_LEN;
}

#define PROBE_LEN (64 * 1024)

const void *blockfile_encode(unsigned char hdr[BLOCKFILE_HDR_LEN], const void *data,
			     size_t len, char **z, uint32_t *plen)
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
	memcpy(hdr, MAGIC, 4);
	hdr[4] = n > 0 ? CODEC_LZ4 : CODEC_RAW;
	hdr[5] = hdr[6] = hdr[7] = 0;
	*plen = n > 0 ? (uint32_t)n : (uint32_t)len;
	put_le32(hdr + 8, (uint32_t)len);
	put_le32(hdr + 12, *plen);
	return n > 0 ? *z : data;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* mkdir that leaves a 0700 directory whatever the umask; EEXIST is fine. */
static int mkdir_0700(int dfd, const char *path)
{
	if (mkdirat(dfd, path, 0700))
		return errno == EEXIST ? 0 : -1;
	return fchmodat(dfd, path, 0700, 0);
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

/* O_DIRECT wants the buffer, the offset and the length aligned to the
 * device's logical block; a page covers every device we meet. */
#define DIRECT_ALIGN 4096

/* Creates tmp (0600, with the object's directories if they are missing). */
static int create_tmp(int root, const char *id, const char *tmp, int direct)
{
	int fd, flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;
	char dir[BLOCKFILE_NAME_MAX];

	if (direct)
		flags |= O_DIRECT;
	fd = openat(root, tmp, flags, 0600);
	if (fd < 0 && errno == ENOENT) {
		snprintf(dir, sizeof(dir), "%.2s", id);
		mkdir_0700(root, dir);
		dir_name(dir, id);
		mkdir_0700(root, dir);
		fd = openat(root, tmp, flags, 0600);
	}
	if (fd >= 0 && fchmod(fd, 0600)) {
		close(fd);
		unlinkat(root, tmp, 0);
		fd = -1;
	}
	return fd;
}

/* The data with O_DIRECT, then the trailer through the page cache (the
 * descriptor drops O_DIRECT for it: the trailer's page is not the data's).
 * Returns 0; 1 when the filesystem refused O_DIRECT (nothing is left);
 * -1 on another failure (tmp may be left: the caller removes it). */
static int write_direct(int root, const char *id, const char *tmp,
			const unsigned char hdr[BLOCKFILE_HDR_LEN], const void *p, size_t n)
{
	int fd = create_tmp(root, id, tmp, 1), rc = -1;

	if (fd < 0)
		return errno == EINVAL ? 1 : -1;
	if (write_all(fd, p, n)) {
		rc = errno == EINVAL ? 1 : -1;
	} else if (!fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_DIRECT) &&
		   !write_all(fd, hdr, BLOCKFILE_HDR_LEN)) {
		rc = 0;
	}
	if (close(fd) && !rc)
		rc = -1;
	if (rc == 1)
		unlinkat(root, tmp, 0);
	return rc;
}

int blockfile_write(int root, const char *id, const char *tmp,
		    const unsigned char hdr[BLOCKFILE_HDR_LEN], const void *p, size_t n,
		    int *direct)
{
	int fd, rc = -1;

	if (*direct && !((uintptr_t)p % DIRECT_ALIGN) && n && !(n % DIRECT_ALIGN)) {
		rc = write_direct(root, id, tmp, hdr, p, n);
		if (rc != 1)
			goto out;
		*direct = 0;
		rc = -1;
	}
	if ((fd = create_tmp(root, id, tmp, 0)) < 0)
		return -1;
	if (!write_all(fd, p, n) && !write_all(fd, hdr, BLOCKFILE_HDR_LEN))
		rc = 0;
	if (close(fd))
		rc = -1;
out:
	if (rc)
		unlinkat(root, tmp, 0);
	return rc;
}

/* A raw block takes one preadv() of data and trailer, the data straight
 * into buf; the extra byte catches a file longer than its trailer says. */
ssize_t blockfile_read(int root, const char *name, uint32_t bs, void *buf,
		       uint32_t size, uint32_t raw, int touch)
{
	uint32_t plen = size - BLOCKFILE_HDR_LEN, hraw;
	unsigned char h[BLOCKFILE_HDR_LEN], extra;
	struct iovec iov[3];
	char *z = NULL;
	ssize_t rc = -1, n;
	int fd;

	fd = openat(root, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP ? -2 : -1;
	if (plen < raw && !(z = malloc(plen)))
		goto fail;
	iov[0] = (struct iovec){ z ? z : buf, plen };
	iov[1] = (struct iovec){ h, sizeof(h) };
	iov[2] = (struct iovec){ &extra, 1 };
	n = preadv(fd, iov, 3, 0);
	if (n < 0)
		goto fail;
	rc = -2;
	if (n != size || hdr_parse(h, bs, &hraw) != size || hraw != raw)
		goto fail;
	if (z && LZ4_decompress_safe(z, buf, (int)plen, (int)raw) != (int)raw)
		goto fail;
	if (touch)
		futimens(fd, NULL);
	rc = raw;
fail:
	free(z);
	close(fd);
	return rc;
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

int blockfile_meta_open(int root, uint32_t bs, const char *dir, int *metafd,
			char *err, size_t errlen)
{
	char want[64], have[64];
	ssize_t n;
	int fd;

	fd = openat(root, "meta", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if ((*metafd = fd) < 0 || fchmod(fd, 0600)) {
		snprintf(err, errlen, "cannot open '%s/blocks/meta': %s", dir, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno == EWOULDBLOCK)
			snprintf(err, errlen, "cache directory '%s' is in use by another "
				 "lakemount: give each mount a cache directory of its own", dir);
		else
			snprintf(err, errlen, "cannot lock '%s/blocks/meta': %s", dir,
				 strerror(errno));
		return -1;
	}
	snprintf(want, sizeof(want), META_FMT, bs);
	if ((n = pread(fd, have, sizeof(have) - 1, 0)) < 0) {
		snprintf(err, errlen, "cannot read '%s/blocks/meta': %s", dir, strerror(errno));
		return -1;
	}
	have[n] = '\0';
	return !strcmp(have, want);
}

int blockfile_meta_write(int metafd, uint32_t bs)
{
	char want[64];
	int n = snprintf(want, sizeof(want), META_FMT, bs);

	if (ftruncate(metafd, 0) || pwrite(metafd, want, (size_t)n, 0) != n)
		return -1;
	return 0;
}

/* ---- the walk at open --------------------------------------------------- */

struct scan {
	uint32_t bs;
	int discard;
	blockfile_found_fn *found;
	void *arg;
};

/* One name in an object's directory.  Returns 1 when it is a block that was
 * kept, 0 when it was removed (or vanished), -1 when found() said stop. */
static int scan_file(struct scan *sc, int dfd, const char *id, const char *name)
{
	unsigned char h[BLOCKFILE_HDR_LEN];
	uint32_t raw = 0, size = 0;
	struct stat st;
	uint64_t no;
	char *end;
	int fd;

	errno = 0;
	no = strtoull(name, &end, 10);
	if (sc->discard || *end || errno || name[0] < '0' || name[0] > '9' ||
	    (name[0] == '0' && name[1]))
		goto remove;
	if ((fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 && errno == ENOENT)
		return 0;
	if (fd >= 0) {
		if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(h) ||
		    pread(fd, h, sizeof(h), st.st_size - (off_t)sizeof(h)) != (ssize_t)sizeof(h) ||
		    (size = hdr_parse(h, sc->bs, &raw)) != st.st_size)
			size = 0;
		close(fd);
	}
	if (size)
		return sc->found(sc->arg, id, no, size, raw, &st.st_mtim) ? -1 : 1;
remove:
	unlinkat(dfd, name, 0);
	return 0;
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

static int scan_obj(struct scan *sc, int pfd, const char *id)
{
	struct dirent *de;
	int r = 0, kept = 0;
	DIR *d;

	if (!(d = opendir_at(pfd, id)))
		return 0;
	while (r >= 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((r = scan_file(sc, dirfd(d), id, de->d_name)) > 0)
			kept = 1;
	}
	closedir(d);
	if (!kept)
		unlinkat(pfd, id, AT_REMOVEDIR);
	return r < 0 ? -1 : 0;
}

/* Names of other shapes under DIR/blocks are left alone: not ours. */
int blockfile_scan(int root, uint32_t bs, int discard, blockfile_found_fn *found,
		   void *arg)
{
	struct scan sc = { bs, discard, found, arg };
	struct dirent *de, *oe;
	DIR *top, *d;
	int rc = 0;

	if (!(top = opendir_at(root, ".")))
		return -1;
	while (!rc && (de = readdir(top))) {
		if (strlen(de->d_name) != 2 || !is_hex(de->d_name, 2) ||
		    !(d = opendir_at(root, de->d_name)))
			continue;
		while (!rc && (oe = readdir(d)))
			if (blockfile_id_ok(oe->d_name) && !memcmp(oe->d_name, de->d_name, 2))
				rc = scan_obj(&sc, dirfd(d), oe->d_name);
		closedir(d);
	}
	closedir(top);
	return rc;
}
