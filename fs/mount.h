/*
 * mount: `lakemount SOURCE MOUNTPOINT`: check the sources, open the cache,
 * mount, and serve until unmounted (fusermount3 -u, umount, SIGTERM,
 * SIGINT).
 */
#ifndef LM_MOUNT_H
#define LM_MOUNT_H

#include "config.h"
#include "log.h"

struct mount_opts {
	const char *mountpoint;	/* absolute, or /dev/fd/N from mount.fuse3's
				   drop_privileges (already mounted) */
	int foreground;		/* else return once mounted, serving in the background */
	int allow_other;	/* other users see the mount (with default_permissions) */
	int debug;		/* FUSE debug output (implies foreground) */
	int readonly;		/* -o ro: the kernel mount is read-only too */
	int noexec;		/* -o noexec: passed to the kernel */
	int nopassthrough;	/* -o nopassthrough: no FUSE passthrough */
	int nopretouch;		/* -o nopretouch: read buffers resident on use */
	const char *log_file;	/* -o log_file=PATH (absolute), or NULL */
	enum log_level log_level;	/* -o log_level=, default info */
	const char *metrics_file;	/* Prometheus text, rewritten every 15 s; or NULL */
	const char *source;	/* the config file or s3:// URL, for the log */
};

/* Returns the process exit status: 0 after a clean unmount (or, in the
 * parent of a background daemon, once the mount is ready), 1 when mounting
 * failed (the reason is printed on stderr).
 *
 * The log goes to o->log_file when set; else to stderr in the foreground;
 * else (a daemon) to syslog and to CACHE_DIR/lakemount.log, the file kept
 * for hosts without a syslog daemon.  A daemon reopens its log file on
 * SIGHUP. */
int mount_run(struct config *cfg, const struct mount_opts *o);

#endif
