#include "unit.h"

#include <stdarg.h>

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
