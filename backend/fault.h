/*
 * fault: a transport that wraps another and makes some requests fail, the
 * way a bad network or a loaded S3 does.  Used by the tests (and by
 * LAKEMOUNT_FAULTS in the daemon) to prove that retries hide transient
 * failures and that permanent ones surface as clean errors.
 *
 * Which requests fail: every Nth (every_nth > 0), and/or each with a
 * probability of percent/100 (seeded, so a run can be repeated).  How they
 * fail is picked among the enabled kinds, in turn:
 *   FAULT_503     answered 503 SlowDown without reaching the server
 *   FAULT_500     answered 500 InternalError without reaching the server
 *   FAULT_RESET   the connection "resets" before the request is sent
 *   FAULT_LOST    the request reaches the server and is carried out, but the
 *                 answer is lost (a reset after the fact): retries must be
 *                 safe for operations that already happened
 *   FAULT_DELAY   the request is held back delay_ms, then sent normally
 */
#ifndef LM_FAULT_H
#define LM_FAULT_H

#include "http.h"

enum {
	FAULT_503 = 1 << 0,
	FAULT_500 = 1 << 1,
	FAULT_RESET = 1 << 2,
	FAULT_LOST = 1 << 3,
	FAULT_DELAY = 1 << 4,
	FAULT_ALL = 0x1f,
};

struct fault_opts {
	unsigned every_nth;	/* 0: off */
	unsigned percent;	/* 0..100 */
	unsigned kinds;		/* FAULT_* mask; 0 means FAULT_ALL */
	unsigned delay_ms;	/* for FAULT_DELAY; default 200 */
	unsigned seed;
};

/* Wrap inner (ownership passes: freeing the wrapper frees it).  NULL on
 * ENOMEM, with inner left alone. */
struct transport *fault_new(struct transport *inner, const struct fault_opts *o);

/* Parse "every=N,percent=P,kinds=503+500+reset+lost+delay,delay=MS,seed=S".
 * Returns 0, or -1 on an unknown or malformed item. */
int fault_parse(const char *spec, struct fault_opts *o);

/* How many requests passed through, and how many were made to fail. */
void fault_counts(struct transport *t, unsigned long *requests, unsigned long *injected);

#endif
