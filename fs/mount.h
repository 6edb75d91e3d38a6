/*
 * mount: `lakemount SOURCE MOUNTPOINT`: check the sources, open the cache,
 * mount, and serve until unmounted (fusermount3 -u, SIGTERM, SIGINT).
 */
#ifndef LM_MOUNT_H
#define LM_MOUNT_H

#include "config.h"

struct mount_opts {
	const char *mountpoint;
	int foreground;		/* else return once mounted, serving in the background */
	int allow_other;
	int debug;		/* FUSE debug output (implies foreground) */
};

/* Returns the process exit status: 0 after a clean unmount (or, in the
 * parent of a background daemon, once the mount is ready), 1 when mounting
 * failed (the reason is printed on stderr). */
int mount_run(struct config *cfg, const struct mount_opts *o);

#endif
