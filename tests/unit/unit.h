/*
 * unit: the smallest test harness that will do.  Each t_*.c file is one
 * program; UNIT_CHECK records a failure and goes on, so one run shows every
 * broken case.  Output is TAP-like ("ok 3 - name" / "not ok 4 - name"), and
 * the exit status is 1 if any check failed.
 */
#ifndef LM_UNIT_H
#define LM_UNIT_H

#include <stdio.h>
#include <string.h>

extern int unit_failures;

/* Start a named case; results are printed when the next case begins or at
 * unit_done(). */
void unit_case(const char *name);
void unit_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print the last case's result and return the exit status for main(). */
int unit_done(void);

/* A private directory for the program's files, under $TMPDIR (or /tmp),
 * named after prog: 0, or -1 with a message.  unit_path() names a file in
 * it; unit_tmpdir_remove() deletes it with the files in it. */
int unit_tmpdir(const char *prog);
void unit_path(char *buf, size_t len, const char *name);
void unit_tmpdir_remove(void);

/* A monotonic clock, in milliseconds, for the timing notes. */
double unit_now_ms(void);

#define UNIT_CHECK(cond) do { \
	if (!(cond)) \
		unit_fail(__FILE__, __LINE__, "check failed: %s", #cond); \
} while (0)

#define UNIT_CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!g_ || strcmp(g_, w_)) \
		unit_fail(__FILE__, __LINE__, "%s: got '%s', want '%s'", \
			  #got, g_ ? g_ : "(null)", w_); \
} while (0)

#define UNIT_CHECK_INT(got, want) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ != w_) \
		unit_fail(__FILE__, __LINE__, "%s: got %lld, want %lld", \
			  #got, g_, w_); \
} while (0)

#endif
