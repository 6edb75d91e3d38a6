/*
 * lakemount-ctl: talk to a running lakemount (status, cache, uploads).
 * Its commands arrive with the daemon's control socket; for now it only
 * knows its usage.
 */
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "usage: lakemount-ctl COMMAND [ARGS]\n"
		     "\n"
		     "No commands are available in this version: lakemount-ctl will\n"
		     "report on and steer a running lakemount (see lakemount-ctl(1)).\n");
}

int main(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
