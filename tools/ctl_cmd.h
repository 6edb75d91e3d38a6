/*
 * ctl_cmd: what lakemount-ctl's commands are given, and their exit codes.
 *
 * lakemount-ctl.c parses the command line into a struct ctl_args and finds
 * the daemon's socket; the commands (ctl_info.c: status, stats, flush;
 * ctl_files.c: prefetch, evict, pin, unpin, verify, sync) do the rest and
 * return the process's exit status.
 */
#ifndef LM_CTL_CMD_H
#define LM_CTL_CMD_H

#include <limits.h>

enum {
	CTL_EXIT_OK = 0,	/* everything done */
	CTL_EXIT_FAIL = 1,	/* the daemon or a file failed */
	CTL_EXIT_USAGE = 2,	/* a wrong command line: nothing was done */
};

struct ctl_args {
	const char *command;
	const char *mountpoint;
	char sock[PATH_MAX];	/* the control socket (ctl_locate) */
	int json;		/* --json: machine-readable output */
	int prometheus;		/* stats --prometheus */
	int dry_run;		/* sync --dry-run */
	unsigned jobs;		/* --jobs N; 0: the command's default */
	unsigned timeout_s;	/* flush --timeout; 0: the default */
	char **paths;		/* the operands after MOUNTPOINT */
	int npaths;
};

#endif
