/*
 * ctl_pool: a fixed set of threads taking items from a shared counter.
 */
#include "ctl_pool.h"

#include <pthread.h>
#include <stdlib.h>

struct pool {
	size_t n;
	size_t next;	/* the next item to take; __atomic */
	ctl_job_fn fn;
	void *arg;
};

struct worker {
	struct pool *pool;
	unsigned slot;
	pthread_t thread;
};

static void work(struct pool *p, unsigned slot)
{
	size_t i;

	for (;;) {
		i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
		if (i >= p->n)
			return;
		p->fn(p->arg, i, slot);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	work(w->pool, w->slot);
	return NULL;
}

void ctl_pool_run(size_t n, unsigned jobs, ctl_job_fn fn, void *arg)
{
	struct pool p = { .n = n, .next = 0, .fn = fn, .arg = arg };
	struct worker *w;
	unsigned i, started = 0;

	if (!jobs)
		jobs = 1;
	if (jobs > n)
		jobs = n ? (unsigned)n : 1;
	w = jobs > 1 ? calloc(jobs, sizeof(*w)) : NULL;
	if (w) {
		for (i = 0; i < jobs; i++) {
			w[i].pool = &p;
			w[i].slot = i;
			if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]))
				break;
			started++;
		}
	}
	if (!started)
		work(&p, 0);
	for (i = 0; i < started; i++)
		pthread_join(w[i].thread, NULL);
	free(w);
}
