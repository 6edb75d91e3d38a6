/*
 * ctl_pool: run one job per item on N threads at once.
 */
#ifndef LM_CTL_POOL_H
#define LM_CTL_POOL_H

#include <stddef.h>

/* Job i, run by worker slot (0 .. jobs-1; one job at a time per slot). */
typedef void (*ctl_job_fn)(void *arg, size_t i, unsigned slot);

/* Run fn for every i in 0 .. n-1, at most jobs at a time, and return when
 * all are done.  Items are taken in order.  If threads cannot be created,
 * fewer run (at worst the jobs run one by one on the caller's thread). */
void ctl_pool_run(size_t n, unsigned jobs, ctl_job_fn fn, void *arg);

#endif
