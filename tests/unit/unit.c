#include "unit.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int unit_failures;

static const char *cur_name;
static int cur_failed;
static int ncase;

static void unit_report(void)
{
	if (!cur_name)
		return;
	printf("%sok %d - %s\n", cur_failed ? "not " : "", ++ncase, cur_name);
	cur_name = NULL;
}

void unit_case(const char *name)
{
	unit_report();
	cur_name = name;
	cur_failed = 0;
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "# %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	cur_failed = 1;
	unit_failures++;
}

int unit_done(void)
{
	unit_report();
	printf("1..%d\n", ncase);
	return unit_failures ? 1 : 0;
}

static char tmpdir[256];

int unit_tmpdir(const char *prog)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/%s.XXXXXX", t && *t ? t : "/tmp", prog);
	if (mkdtemp(tmpdir))
		return 0;
	perror("mkdtemp");
	return -1;
}

void unit_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

void unit_tmpdir_remove(void)
{
	char path[600];
	struct dirent *de;
	DIR *dp = opendir(tmpdir);

	while (dp && (de = readdir(dp))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	if (dp)
		closedir(dp);
	rmdir(tmpdir);
}

double unit_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
