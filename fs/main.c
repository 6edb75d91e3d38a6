/*
 * lakemount: mount a crypto-market data lakehouse (S3) as a directory tree.
 *
 *   lakemount SOURCE MOUNTPOINT [-o opt,...] [-f]
 *   lakemount --check SOURCE [-o opt,...]
 *
 * SOURCE is a JSON config file (lakemount.json(5)) or s3://bucket[/prefix].
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"

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
		"  -o opt,...        for s3:// sources: endpoint=URL, region=R, profile=P,\n"
		"                    anonymous, ro, path_style, cache_dir=DIR, cache_max=SIZE\n"
		"  -f, --foreground  stay in the foreground\n"
		"  -h, --help        this help\n"
		"  -V, --version     print the version\n");
}

static int load(struct config *cfg, const char *source, const char *opts)
{
	char err[1024];
	int rc;

	if (!strncmp(source, "s3://", 5))
		rc = config_from_url(cfg, source, opts ? opts : "", err, sizeof(err));
	else if (opts) {
		snprintf(err, sizeof(err), "-o '%s': options apply to s3:// sources; "
			 "put them in the config file '%s' instead", opts, source);
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
	const char *opts = NULL;
	int check = 0, c, rc = 2;

	while ((c = getopt_long(argc, argv, "cfho:V", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			check = 1;
			break;
		case 'f':
			break;
		case 'o':
			opts = optarg;
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
	fprintf(stderr, "lakemount: this build can check configurations (--check) "
			"but cannot mount yet; mounting arrives with the read path\n");
	rc = 2;
out:
	config_release(&cfg);
	return rc;
}
