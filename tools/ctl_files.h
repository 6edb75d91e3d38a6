/*
 * ctl_files: the commands on files -- prefetch, evict, pin, unpin, verify
 * and sync.  Each walks its PATH arguments (folders recursively, through
 * the mount) and sends one request per regular file, --jobs of them at
 * once, each on a connection of its own; shows a progress line on a
 * terminal or one line per file elsewhere (one JSON object per file with
 * --json), then a summary.
 */
#ifndef LM_CTL_FILES_H
#define LM_CTL_FILES_H

#include "ctl_cmd.h"

#define CTL_JOBS_DEFAULT 4	/* prefetch, evict, pin, unpin, verify */
#define CTL_SYNC_JOBS_DEFAULT 16
#define CTL_JOBS_MAX 64	/* the daemon serves 64 connections at once */

/* True if name is one of the commands below. */
int ctl_files_is_command(const char *name);

/* Run command a->command on a->paths.  Exit status: CTL_EXIT_OK when every
 * file succeeded (and, for verify, matched its checksum or has none),
 * CTL_EXIT_FAIL when one failed (for verify: a mismatch, or a zip the
 * daemon could not check), CTL_EXIT_USAGE for a path outside the mount. */
int ctl_cmd_files(const struct ctl_args *a);

#endif
