/*
 * FUSE passthrough on libfuse 3.14: the protocol pieces it lacks.  What
 * and why are in passthru.h.
 *
 * The kernel's protocol (include/uapi/linux/fuse.h, 7.40), as far as it
 * is used here: FUSE_PASSTHROUGH is bit 37 of the INIT flags (bit 5 of
 * flags2, which count only with FUSE_INIT_EXT), and
 * FUSE_DIRECT_IO_ALLOW_MMAP (7.39) bit 36: without it a FOPEN_DIRECT_IO
 * file cannot be mmapped shared, and fs/ops.c opens files direct where it
 * may pass them through later.  The INIT reply carries max_stack_depth
 * right after flags2; FOPEN_PASSTHROUGH is bit 7 of an open reply's flags,
 * whose backing_id sits where older headers have padding;
 * FUSE_DEV_IOC_BACKING_OPEN and _CLOSE are ioctls 1 and 2 of magic 229 on
 * /dev/fuse.  Debian 12's <linux/fuse.h> is 7.38, so these are spelled
 * out below.
 */
#include "passthru.h"

#include <errno.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"

#define PT_FLAGS2_ALLOW_MMAP (1u << 4)		/* FUSE_DIRECT_IO_ALLOW_MMAP >> 32 */
#define PT_FLAGS2_PASSTHROUGH (1u << 5)		/* FUSE_PASSTHROUGH >> 32 */
#define PT_FLAGS2 (PT_FLAGS2_ALLOW_MMAP | PT_FLAGS2_PASSTHROUGH)
#define PT_FOPEN_PASSTHROUGH (1u << 7)
/* The INIT reply, in 32-bit words: flags2 is word 8, max_stack_depth 9. */
#define PT_INIT_OUT_FLAGS2 8
#define PT_INIT_OUT_STACK 9
#define PT_INIT_OUT_WORDS 16
/* Backing files may be on a filesystem that stacks on nothing (ext4, xfs,
 * tmpfs): one level below the mount. */
#define PT_STACK_DEPTH 1

struct pt_backing_map {
	int32_t fd;
	uint32_t flags;
	uint64_t padding;
};

#define PT_IOC_BACKING_OPEN _IOW(229, 1, struct pt_backing_map)
#define PT_IOC_BACKING_CLOSE _IOW(229, 2, uint32_t)

struct pt_open_out {
	uint64_t fh;
	uint32_t open_flags;
	int32_t backing_id;
};

struct passthru {
	int devfd;
	/* Written by the thread that handles INIT, read by any (__atomic:
	 * nothing but the kernel orders INIT before the other requests) */
	uint64_t init_unique;		/* of the INIT request, until replied */
	int offered;			/* the kernel offered passthrough */
	int agreed;			/* and our INIT reply took it */
	pthread_mutex_t lock;		/* guards failed */
	int failed;			/* a registration failed for good */
};

/* The session's userdata is the struct lmfs, not us: the one passthru of
 * the process is found here.  Set before the session reads its first
 * request, cleared after it stopped. */
static struct passthru *the_pt;

static ssize_t pt_read(int fd, void *buf, size_t len, void *userdata)
{
	ssize_t n = read(fd, buf, len);
	struct passthru *p = the_pt;
	const struct fuse_in_header *h = buf;
	uint32_t in[5];

	(void)userdata;
	if (p && n >= (ssize_t)(sizeof(*h) + sizeof(in)) && h->opcode == FUSE_INIT) {
		/* major, minor, max_readahead, flags, flags2 */
		memcpy(in, (const char *)buf + sizeof(*h), sizeof(in));
		__atomic_store_n(&p->offered,
				 (in[3] & FUSE_INIT_EXT) && (in[4] & PT_FLAGS2) == PT_FLAGS2,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&p->init_unique, h->unique, __ATOMIC_RELEASE);
	}
	return n;
}

static ssize_t pt_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	struct passthru *p = the_pt;
	const struct fuse_out_header *h = iov[0].iov_base;
	uint32_t out[PT_INIT_OUT_WORDS];
	struct iovec v[2];

	(void)userdata;
	if (!p || count != 2 || iov[0].iov_len != sizeof(*h) ||
	    !__atomic_load_n(&p->init_unique, __ATOMIC_ACQUIRE) || h->unique != p->init_unique)
		return writev(fd, iov, count);
	__atomic_store_n(&p->init_unique, 0, __ATOMIC_RELAXED);
	if (h->error || !p->offered || iov[1].iov_len != sizeof(out))
		return writev(fd, iov, count);
	memcpy(out, iov[1].iov_base, sizeof(out));
	out[PT_INIT_OUT_FLAGS2] |= PT_FLAGS2;
	out[PT_INIT_OUT_STACK] = PT_STACK_DEPTH;
	v[0] = iov[0];
	v[1] = (struct iovec){ out, sizeof(out) };
	__atomic_store_n(&p->agreed, 1, __ATOMIC_RELEASE);
	return writev(fd, v, 2);
}

struct passthru *passthru_attach(struct fuse_session *se)
{
	static const struct fuse_custom_io io = { pt_writev, pt_read, NULL, NULL };
	struct passthru *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->devfd = fuse_session_fd(se);
	pthread_mutex_init(&p->lock, NULL);
	the_pt = p;
	if (p->devfd < 0 || fuse_session_custom_io(se, &io, p->devfd)) {
		the_pt = NULL;
		passthru_free(p);
		return NULL;
	}
	return p;
}

void passthru_free(struct passthru *p)
{
	if (!p)
		return;
	if (the_pt == p)
		the_pt = NULL;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int passthru_offered(struct passthru *p)
{
	return p && __atomic_load_n(&p->offered, __ATOMIC_ACQUIRE);
}

int passthru_enabled(struct passthru *p)
{
	int on;

	if (!p || !__atomic_load_n(&p->agreed, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&p->lock);
	on = !p->failed;
	pthread_mutex_unlock(&p->lock);
	return on;
}

int passthru_backing_open(struct passthru *p, int fd)
{
	struct pt_backing_map m = { fd, 0, 0 };
	int id = ioctl(p->devfd, PT_IOC_BACKING_OPEN, &m), err = errno, first;

	if (id > 0)
		return id;
	if (id == 0)
		err = EIO;
	/* Refusals that every later file would meet too: no privilege, a
	 * cache on a stacked filesystem, a kernel that says no. */
	if (err == EPERM || err == ELOOP || err == EINVAL || err == ENOTTY ||
	    err == EOPNOTSUPP) {
		pthread_mutex_lock(&p->lock);
		first = !p->failed;
		p->failed = 1;
		pthread_mutex_unlock(&p->lock);
		if (first)
			log_warn(LOG_FIELDS(LF_STR("error", strerror(err))),
				 "no passthrough: the kernel refused a cache file as a backing "
				 "file (%s%s); cached files are read through lakemount",
				 strerror(err), err == EPERM ? ": it needs CAP_SYS_ADMIN" : "");
	}
	return -err;
}

void passthru_backing_close(struct passthru *p, int id)
{
	uint32_t i = (uint32_t)id;

	if (p && id > 0)
		ioctl(p->devfd, PT_IOC_BACKING_CLOSE, &i);
}

int passthru_reply_open(fuse_req_t req, const struct fuse_file_info *fi, int id)
{
	struct pt_open_out out = { fi->fh, PT_FOPEN_PASSTHROUGH, id };
	struct iovec v = { &out, sizeof(out) };

	/* the kernel refuses FOPEN_KEEP_CACHE with it: no page cache */
	if (fi->direct_io)
		out.open_flags |= FOPEN_DIRECT_IO;
	return fuse_reply_iov(req, &v, 1);
}
