/*
 * lakemount-ctl: report on and steer a running lakemount through its
 * control socket (the protocol is at the top of fs/ctl.h; the manual is
 * man/lakemount-ctl.1).
 *
 *   lakemount-ctl [--json] COMMAND MOUNTPOINT [OPTIONS] [ARGS]
 *
 * This file parses the command line and finds the daemon; the commands
 * live in ctl_info.c (status, stats, flush) and ctl_files.c (prefetch,
 * evict, pin, unpin, verify, sync).
 */
#include "ctl_cmd.h"
#include "ctl_conn.h"
#include "ctl_files.h"
#include "ctl_fmt.h"
#include "ctl_info.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: lakemount-ctl [--json] COMMAND MOUNTPOINT [ARGS]\n"
	"\n"
	"  status                       sources, cache, uploads and the last error\n"
	"  stats [--prometheus]         requests, bytes, cache hits, latency\n"
	"  prefetch [--jobs N] PATH...  read files (folders: all their files) into the cache\n"
	"  pin [--jobs N] PATH...       prefetch and keep in the cache\n"
	"  unpin [--jobs N] PATH...     let pinned files be evicted again\n"
	"  evict [--jobs N] PATH...     drop files from the cache\n"
	"  verify [--jobs N] PATH...    check zips against their .CHECKSUM\n"
	"  sync [--jobs N] [--dry-run] SRC DST\n"
	"                               copy SRC's files to DST, S3 to S3, skipping\n"
	"                               those already there\n"
	"  flush [--timeout SECONDS]    wait until every change is in S3\n"
	"\n"
	"PATH, SRC and DST are in the mount: absolute under MOUNTPOINT, or relative\n"
	"to it.  --json: machine-readable output.  See lakemount-ctl(1).\n";

static const char short_usage[] =
	"usage: lakemount-ctl [--json] COMMAND MOUNTPOINT [ARGS]\n"
	"commands: status, stats, prefetch, pin, unpin, evict, verify, sync, flush\n"
	"(lakemount-ctl --help says more)\n";

/* A wrong command line: the message (fmt with arg), a short usage, 2. */
static int usage_error(const char *fmt, const char *arg)
{
	char msg[512];

	if (fmt) {
		snprintf(msg, sizeof(msg), fmt, arg);
		ctl_err("%s", msg);
	}
	fputs(short_usage, stderr);
	return CTL_EXIT_USAGE;
}

/* A whole number in [min, max] from s; -1 if it is not one. */
static long number(const char *s, long min, long max)
{
	char *end;
	long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	return v;
}

enum { NEED_JOBS = 1, NEED_DRY = 2, NEED_TIMEOUT = 4, NEED_PROM = 8 };

/* Which options each command takes. */
static int command_options(const char *cmd)
{
	if (!strcmp(cmd, "status"))
		return 0;
	if (!strcmp(cmd, "stats"))
		return NEED_PROM;
	if (!strcmp(cmd, "flush"))
		return NEED_TIMEOUT;
	if (!strcmp(cmd, "sync"))
		return NEED_JOBS | NEED_DRY;
	if (ctl_files_is_command(cmd))
		return NEED_JOBS;
	return -1;
}

/* An option's value: "--opt=V" or the next argument. */
static const char *option_value(const char *arg, const char *name, int argc, char **argv, int *i)
{
	size_t n = strlen(name);

	if (arg[n] == '=')
		return arg + n + 1;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int is_opt(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(arg, name, n) && (arg[n] == '\0' || arg[n] == '=');
}

/* The options and operands after COMMAND.  Returns -1 to exit 0 (help),
 * CTL_EXIT_USAGE, or 0. */
static int parse_rest(struct ctl_args *a, int argc, char **argv, int i, int allowed)
{
	const char *v, *arg;
	int dashdash = 0;
	long n;

	for (; i < argc; i++) {
		arg = argv[i];
		if (dashdash || arg[0] != '-' || !arg[1]) {
			if (!a->mountpoint)
				a->mountpoint = arg;
			else
				a->paths[a->npaths++] = argv[i];
			continue;
		}
		if (!strcmp(arg, "--")) {
			dashdash = 1;
		} else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			fputs(usage_text, stdout);
			return -1;
		} else if (!strcmp(arg, "--json")) {
			a->json = 1;
		} else if ((allowed & NEED_JOBS) && (is_opt(arg, "--jobs") || !strcmp(arg, "-j"))) {
			v = option_value(arg, arg[1] == 'j' ? "-j" : "--jobs", argc, argv, &i);
			n = number(v, 1, CTL_JOBS_MAX);
			if (n < 0)
				return usage_error("--jobs takes a number from 1 to 64, not '%s'",
						   v ? v : "");
			a->jobs = (unsigned)n;
		} else if ((allowed & NEED_DRY) && !strcmp(arg, "--dry-run")) {
			a->dry_run = 1;
		} else if ((allowed & NEED_TIMEOUT) && is_opt(arg, "--timeout")) {
			v = option_value(arg, "--timeout", argc, argv, &i);
			n = number(v, 1, 7 * 86400);
			if (n < 0)
				return usage_error("--timeout takes a number of seconds from 1 to "
						   "604800, not '%s'", v ? v : "");
			a->timeout_s = (unsigned)n;
		} else if ((allowed & NEED_PROM) && !strcmp(arg, "--prometheus")) {
			a->prometheus = 1;
		} else {
			char msg[256];

			snprintf(msg, sizeof(msg), "%s: unknown option '%%s'", a->command);
			return usage_error(msg, arg);
		}
	}
	return 0;
}

static int parse(struct ctl_args *a, int argc, char **argv)
{
	int i, allowed, rc;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_text, stdout);
			return -1;
		}
		if (strcmp(argv[i], "--json"))
			return usage_error("unknown option '%s'", argv[i]);
		a->json = 1;
	}
	if (i >= argc)
		return usage_error("no command given", NULL);
	a->command = argv[i];
	allowed = command_options(a->command);
	if (allowed < 0)
		return usage_error("unknown command '%s'", a->command);
	a->paths = calloc((size_t)argc, sizeof(*a->paths));
	if (!a->paths) {
		ctl_err("out of memory");
		return CTL_EXIT_FAIL;
	}
	rc = parse_rest(a, argc, argv, i + 1, allowed);
	if (rc)
		return rc;
	if (!a->mountpoint)
		return usage_error("%s: no MOUNTPOINT given", a->command);
	if (a->prometheus && a->json)
		return usage_error("stats: give --json or --prometheus, not both", NULL);
	if (!(allowed & NEED_JOBS) && a->npaths)
		return usage_error("%s takes no argument after MOUNTPOINT", a->command);
	return 0;
}

int main(int argc, char **argv)
{
	struct ctl_args a;
	char err[PATH_MAX + 256];
	int rc;

	memset(&a, 0, sizeof(a));
	signal(SIGPIPE, SIG_IGN);	/* a daemon gone mid-request: EPIPE, said as such */
	json_object_seed(0);		/* once, before the worker threads make objects */
	rc = parse(&a, argc, argv);
	if (rc) {
		free(a.paths);
		return rc < 0 ? CTL_EXIT_OK : rc;
	}
	if (ctl_locate(a.mountpoint, a.sock, sizeof(a.sock), err, sizeof(err))) {
		ctl_err("%s", err);
		free(a.paths);
		return CTL_EXIT_FAIL;
	}
	if (!strcmp(a.command, "status"))
		rc = ctl_cmd_status(&a);
	else if (!strcmp(a.command, "stats"))
		rc = ctl_cmd_stats(&a);
	else if (!strcmp(a.command, "flush"))
		rc = ctl_cmd_flush(&a);
	else
		rc = ctl_cmd_files(&a);
	free(a.paths);
	return rc;
}
