/*
 * passthru: FUSE passthrough (Linux 6.9 and later).  A file opened while
 * its object is whole in the block cache is read by the kernel straight
 * from the cache's data file (blocks_backing_open), as a local file is,
 * with no round trip through the daemon per read; fs/ops.c decides which
 * opens get it and fs/inode.c keeps an inode's opens in one mode.
 *
 * The kernel offers passthrough in its INIT request and takes it when the
 * INIT reply asks for it; a backing file is registered with an ioctl on
 * /dev/fuse (which needs CAP_SYS_ADMIN) and named by id in the open reply.
 * libfuse 3.14 (Debian 12) knows none of that, so passthru takes over the
 * session's reads and writes of /dev/fuse (fuse_session_custom_io): it
 * notes the kernel's offer in the INIT request and adds the flag to the
 * INIT reply (with FUSE_DIRECT_IO_ALLOW_MMAP, which fs/ops.c needs with
 * it), and passthru_reply_open() writes the open reply itself.
 * Everything else passes through unchanged.
 *
 * Locks: p->lock guards `failed`; the INIT fields are written once, by
 * the thread that handles INIT, and read with __atomic loads.
 */
#ifndef LM_PASSTHRU_H
#define LM_PASSTHRU_H

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

struct passthru;

/* After fuse_session_mount(): takes over se's I/O so that passthrough can
 * be negotiated.  NULL when out of memory or refused (the session then
 * serves without it). */
struct passthru *passthru_attach(struct fuse_session *se);
void passthru_free(struct passthru *p);

/* Whether the kernel offered passthrough in its INIT request (known from
 * the INIT request on, so in the session's init callback). */
int passthru_offered(struct passthru *p);

/* Whether the kernel agreed to passthrough and no registration has failed
 * for want of privilege.  p may be NULL. */
int passthru_enabled(struct passthru *p);

/* Registers fd (read-only, a local file) as a backing file: returns its id
 * (> 0), or -errno; an EPERM turns passthrough off for good (logged once).
 * fd may be closed afterwards. */
int passthru_backing_open(struct passthru *p, int fd);
void passthru_backing_close(struct passthru *p, int id);

/* Replies to an open with fi's handle, read through backing id (reads come
 * to us when fi->direct_io; an mmap maps the backing file).  Returns what
 * fuse_reply_open() would. */
int passthru_reply_open(fuse_req_t req, const struct fuse_file_info *fi, int id);

#endif
