/*
 * lakemount: mount a crypto-market data lakehouse (S3) as a directory tree.
 *
 *   lakemount SOURCE MOUNTPOINT [-o opt,...] [-f]
 *   lakemount --check SOURCE [-o opt,...]
 *
 * SOURCE is a JSON config file (lakemount.json(5)) or s3://bucket[/prefix].
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
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
		"  -o opt,...        allow_other, debug; and for s3:// sources: endpoint=URL,\n"
		"                    region=R, profile=P, anonymous, ro, path_style,\n"
		"                    cache_dir=DIR, cache_max=SIZE\n"
		"  -f, --foreground  stay in the foreground\n"
		"  -h, --help        this help\n"
		"  -V, --version     print the version\n");
}

/* Take the mount options (allow_other, debug) out of opts; the rest stays
 * for the s3:// source. */
static void mount_options(char *opts, struct mount_opts *mo)
{
	char *rest = opts, *item, *save = NULL, *copy = strdup(opts);
	size_t used = 0, cap = strlen(opts) + 1;

	if (!copy)
		return;
	rest[0] = '\0';
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (!strcmp(item, "allow_other"))
			mo->allow_other = 1;
		else if (!strcmp(item, "debug"))
			mo->debug = mo->foreground = 1;
		else
			used += (size_t)snprintf(rest + used, cap - used, "%s%s",
						 used ? "," : "", item);
	}
	free(copy);
}

static int load(struct config *cfg, const char *source, const char *opts)
{
	char err[1024];
	int rc;

	if (!strncmp(source, "s3://", 5))
		rc = config_from_url(cfg, source, opts ? opts : "", err, sizeof(err));
	else if (opts && *opts) {
		snprintf(err, sizeof(err), "-o '%s': only allow_other and debug apply to a "
			 "config file; put the rest in '%s'", opts, source);
		rc = -1;
	} else
		rc = config_load_file(cfg, source, err, sizeof(err));
	if (rc)
		fprintf(stderr, "lakemount: %s\n", err);
	return rc;
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
	struct mount_opts mo = { 0 };
	char *opts = NULL, mountpoint[PATH_MAX];
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
			free(opts);
			opts = strdup(optarg);
			if (!opts)
				return 2;
			mount_options(opts, &mo);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("lakemount %s\n", LAKEMOUNT_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != (check ? 1 : 2)) {
		usage(stderr);
		return 2;
	}
	if (load(&cfg, argv[optind], opts))
		goto out;
	if (check) {
		rc = check_sources(&cfg, stdout);
		goto out;
	}
	if (!realpath(argv[optind + 1], mountpoint)) {
		fprintf(stderr, "lakemount: mount point '%s': %s\n", argv[optind + 1],
			strerror(errno));
		rc = 1;
		goto out;
	}
	mo.mountpoint = mountpoint;
	rc = mount_run(&cfg, &mo);
out:
	free(opts);
	config_release(&cfg);
	return rc;
}
