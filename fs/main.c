/*
 * lakemount: mount a crypto-market data lakehouse (S3) as a directory tree.
 *
 *   lakemount SOURCE MOUNTPOINT [-o opt,...] [-f]
 *   lakemount --check SOURCE [-o opt,...]
 *
 * SOURCE is a JSON config file (lakemount.json(5)) or s3://bucket[/prefix].
 *
 * From fstab.  The line
 *   /etc/lakemount.json /mnt/lake fuse.lakemount _netdev,allow_other 0 0
 * makes `mount /mnt/lake` run /sbin/mount.fuse3 (as mount.fuse, with
 * "-o rw,allow_other,_netdev -t fuse.lakemount").  mount.fuse3 drops
 * _netdev, nofail, auto, noauto, user, nouser and users, adds dev and suid
 * unless nodev and nosuid were given, and runs through /bin/sh:
 *   lakemount /etc/lakemount.json /mnt/lake -o rw,allow_other,dev,suid
 * mount(8) has dropped PATH from the environment by then, so the shell
 * searches its default /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:
 * /sbin:/bin (`make install` puts lakemount in /usr/local/bin).  mount(8)
 * keeps x-* and comment= options to itself, drops defaults, and turns user
 * into noexec,nosuid,nodev.  So every generic mount option is accepted
 * here, for either kind of SOURCE: honoured (ro, noexec) or ignored for a
 * reason given in generic_opts[]; an option that is neither is refused by
 * name.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "log.h"
#include "mount.h"

#define LAKEMOUNT_VERSION "0.1.0"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: lakemount SOURCE MOUNTPOINT [-o opt,...] [-f]\n"
		"       lakemount --check SOURCE [-o opt,...]\n"
		"\n"
		"SOURCE is a JSON config file (see lakemount.json(5)) or s3://bucket[/prefix].\n"
		"\n"
		"  -c, --check       validate the config and try every source, then exit\n"
		"                    (0: all fine, 1: a source failed, 2: config error)\n"
		"  -o opt,...        allow_other, ro, noexec, nopassthrough, nopretouch,\n"
		"                    debug, log_file=PATH, metrics_file=PATH,\n"
		"                    log_level=error|warn|info|debug;\n"
		"                    generic mount options (rw, _netdev, nofail, noatime...)\n"
		"                    are accepted; for s3:// sources also endpoint=URL,\n"
		"                    region=R, profile=P, anonymous, path_style,\n"
		"                    cache_dir=DIR, cache_max=SIZE, ca_file=PEM\n"
		"                    (see lakemount(8))\n"
		"  -f, --foreground  stay in the foreground, logging to stderr\n"
		"  -h, --help        this help\n"
		"  -V, --version     print the version\n");
}

/* Options of mount(8), systemd and mount.fuse3 that change nothing here. */
static const char *const generic_opts[] = {
	/* what lakemount does anyway: write-back, nosuid and nodev whatever
	 * is asked (see mount.c) */
	"defaults", "async", "exec", "dev", "nodev", "suid", "nosuid",
	"default_permissions",
	/* access times are not kept: st_atime is always st_mtime */
	"atime", "noatime", "relatime", "norelatime", "strictatime", "nostrictatime",
	"diratime", "nodiratime", "lazytime", "nolazytime",
	/* for mount(8) and systemd, not for the filesystem */
	"auto", "noauto", "user", "nouser", "users", "owner", "group", "_netdev",
	"nofail", "silent", "loud",
	NULL,
};

/* Where -o log_file= and metrics_file= end up, absolute (the daemon
 * runs in /). */
struct opt_paths {
	char log_file[PATH_MAX];
	char metrics_file[PATH_MAX];
};

static int is_generic(const char *opt)
{
	size_t i;

	if (!strncmp(opt, "x-", 2) || !strncmp(opt, "comment=", 8))
		return 1;
	for (i = 0; generic_opts[i]; i++)
		if (!strcmp(opt, generic_opts[i]))
			return 1;
	return 0;
}

/* name=VALUE: VALUE if opt is that option, else NULL. */
static const char *opt_value(const char *opt, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(opt, name, n) && opt[n] == '=' ? opt + n + 1 : NULL;
}

static int absolute(const char *opt, const char *path, char *out, size_t len)
{
	char cwd[PATH_MAX];

	if (!*path) {
		fprintf(stderr, "lakemount: -o %s: needs a path\n", opt);
		return -1;
	}
	if (*path == '/') {
		if ((size_t)snprintf(out, len, "%s", path) < len)
			return 0;
	} else if (getcwd(cwd, sizeof(cwd)) &&
		   (size_t)snprintf(out, len, "%s/%s", cwd, path) < len) {
		return 0;
	}
	fprintf(stderr, "lakemount: -o %s: path too long, or the current directory is gone\n", opt);
	return -1;
}

/* One of our options into mo: returns 1 if it was one, 0 if not, -1 after
 * printing what is wrong with it. */
static int own_option(const char *opt, struct mount_opts *mo, struct opt_paths *p)
{
	const char *v;

	if (!strcmp(opt, "allow_other"))
		mo->allow_other = 1;
	else if (!strcmp(opt, "debug"))
		mo->debug = mo->foreground = 1;
	else if (!strcmp(opt, "ro"))
		mo->readonly = 1;
	else if (!strcmp(opt, "rw"))
		mo->readonly = 0;	/* the last of the two counts, as in mount(8) */
	else if (!strcmp(opt, "noexec"))
		mo->noexec = 1;
	else if (!strcmp(opt, "nopassthrough"))
		mo->nopassthrough = 1;
	else if (!strcmp(opt, "nopretouch"))
		mo->nopretouch = 1;
	else if ((v = opt_value(opt, "log_level")) != NULL) {
		if (log_level_parse(v, &mo->log_level)) {
			fprintf(stderr, "lakemount: -o log_level='%s': expected error, warn, "
				"info or debug\n", v);
			return -1;
		}
	} else if ((v = opt_value(opt, "log_file")) != NULL) {
		if (absolute("log_file", v, p->log_file, sizeof(p->log_file)))
			return -1;
		mo->log_file = p->log_file;
	} else if ((v = opt_value(opt, "metrics_file")) != NULL) {
		if (absolute("metrics_file", v, p->metrics_file, sizeof(p->metrics_file)))
			return -1;
		mo->metrics_file = p->metrics_file;
	} else if (!strcmp(opt, "sync") || !strcmp(opt, "dirsync")) {
		fprintf(stderr, "lakemount: -o %s: not supported: changes are uploaded after "
			"close(2); fsync(2) or `sync FILE` waits until one is in S3\n", opt);
		return -1;
	} else
		return 0;
	return 1;
}

/* Sort the -o options: ours into mo, generic ones away, the rest into
 * rest (room for opts and ",ro"), which only an s3:// source (url) may
 * have.  Returns 0, or -1 after printing what is wrong. */
static int mount_options(const char *opts, const char *source, int url,
			 struct mount_opts *mo, struct opt_paths *p, char *rest)
{
	char *copy = strdup(opts), *item, *save = NULL;
	size_t used = 0, cap = strlen(opts) + sizeof(",ro");
	int rc = -1, own;

	rest[0] = '\0';
	if (!copy)
		goto out;
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		own = own_option(item, mo, p);
		if (own < 0)
			goto out;
		if (own || is_generic(item))
			continue;
		if (!url) {
			fprintf(stderr, "lakemount: unknown mount option '%s' (lakemount(8) lists "
				"them; sources and the cache are set in '%s')\n", item, source);
			goto out;
		}
		used += (size_t)snprintf(rest + used, cap - used, "%s%s", used ? "," : "", item);
	}
	/* an s3:// source's own "ro" (read-only tree, longer listing ttl) */
	if (url && mo->readonly)
		snprintf(rest + used, cap - used, "%sro", used ? "," : "");
	rc = 0;
out:
	free(copy);
	return rc;
}

static int load(struct config *cfg, const char *source, const char *rest, int readonly)
{
	char err[1024];
	size_t i;
	int rc;

	if (!strncmp(source, "s3://", 5))
		rc = config_from_url(cfg, source, rest, err, sizeof(err));
	else
		rc = config_load_file(cfg, source, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "lakemount: %s\n", err);
		return rc;
	}
	/* -o ro (fstab's ro): every tree read-only, whatever the file says */
	for (i = 0; readonly && i < cfg->ntree; i++)
		cfg->tree[i].readonly = 1;
	return 0;
}

/* Is path the directory dir or below it?  Both absolute. */
static int path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n] || n == 1);
}

/* The cache directory must not lie under the mount point: the mount would
 * hide it, and the daemon would stage and log through itself.  Both are
 * compared as written and resolved (the cache may not exist yet). */
static int cache_outside(const struct config *cfg, const char *source, const char *mnt)
{
	char real[PATH_MAX];

	if (path_within(cfg->cache_dir, mnt) ||
	    (realpath(cfg->cache_dir, real) && path_within(real, mnt))) {
		fprintf(stderr, "lakemount: cannot mount '%s': the cache directory '%s' lies "
			"inside the mount point '%s': expected one outside it (\"cache.dir\", "
			"or -o cache_dir=)\n", source, cfg->cache_dir, mnt);
		return -1;
	}
	return 0;
}

/* Is opt one of the comma-separated opts? */
static int has_opt(const char *opts, const char *opt)
{
	size_t n = strlen(opt);
	const char *p;

	for (p = opts; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, opt, n) && (p[n] == ',' || !p[n]))
			return 1;
	return 0;
}

/* -o may come more than once: all of them, joined by commas. */
static int add_opts(char **opts, const char *more)
{
	size_t len = *opts ? strlen(*opts) : 0;
	char *grown = realloc(*opts, len + strlen(more) + 2);

	if (!grown)
		return -1;
	snprintf(grown + len, strlen(more) + 2, "%s%s", len ? "," : "", more);
	*opts = grown;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct config cfg = { 0 };
	struct mount_opts mo = { .log_level = LOG_LEVEL_INFO };
	struct opt_paths paths;
	char *opts = NULL, *rest = NULL, mountpoint[PATH_MAX];
	const char *source;
	int check = 0, c, rc = 2;

	while ((c = getopt_long(argc, argv, "cfho:V", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			check = 1;
			break;
		case 'f':
			mo.foreground = 1;
			break;
		case 'o':
			if (add_opts(&opts, optarg))
				goto out;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("lakemount %s\n", LAKEMOUNT_VERSION);
			return 0;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (argc - optind != (check ? 1 : 2)) {
		usage(stderr);
		goto out;
	}
	source = argv[optind];
	mo.source = source;
	if (!opts && !(opts = strdup("")))
		goto out;
	rest = malloc(strlen(opts) + sizeof(",ro"));
	if (!rest || mount_options(opts, source, !strncmp(source, "s3://", 5), &mo, &paths, rest))
		goto out;
	if (load(&cfg, source, rest, mo.readonly))
		goto out;
	if (check) {
		rc = check_sources(&cfg, stdout);
		goto out;
	}
	if (!strncmp(argv[optind + 1], "/dev/fd/", 8)) {
		/* mount.fuse3 -o drop_privileges mounted already, with the
		 * options as given: without default_permissions, allow_other
		 * would let every user change anything */
		if (mo.allow_other && !has_opt(opts, "default_permissions")) {
			fprintf(stderr, "lakemount: -o allow_other with drop_privileges needs "
				"default_permissions as well\n");
			goto out;
		}
		snprintf(mountpoint, sizeof(mountpoint), "%s", argv[optind + 1]);
	} else if (!realpath(argv[optind + 1], mountpoint)) {
		fprintf(stderr, "lakemount: mount point '%s': %s\n", argv[optind + 1],
			strerror(errno));
		rc = 1;
		goto out;
	}
	if (cache_outside(&cfg, source, mountpoint))
		goto out;	/* rc is still 2: a configuration error */
	mo.mountpoint = mountpoint;
	rc = mount_run(&cfg, &mo);
out:
	free(opts);
	free(rest);
	config_release(&cfg);
	return rc;
}
