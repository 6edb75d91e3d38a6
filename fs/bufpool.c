/*
 * bufpool: block buffers for the reader.
 *
 * A cold read of S3 data lands every byte in a fresh 1 MiB buffer, and
 * memory the process touches for the first time costs a page fault per
 * 4 KiB: a tenth of the daemon's CPU in a cold 256 MiB read, before this
 * pool.  So the buffers come from one region reserved at start (address
 * space only, MAP_NORESERVE), 2 MiB-aligned and madvise(MADV_HUGEPAGE)d,
 * where the kernel maps a huge page per 2 MiB touched, and given-back
 * buffers are reused, most recently used first (still in the CPU's cache),
 * instead of going back to malloc, which returns them to the system now
 * and then and faults them in again.
 *
 * The region holds n buffers, the most the reader keeps at once within its
 * budgets; past that, buffers come from malloc and go back to free.  Memory
 * is resident once used and stays so until the pool is freed: the process
 * never holds more than its peak, which is what the reader's budgets bound.
 *
 * Pretouch: even with the pool, the first cold read of a mount makes the
 * kernel clear a page for every byte of the buffers it first uses.  On a
 * VM whose host takes back free guest memory (virtio-balloon free page
 * reporting, as on the machines here) that clear waits on the host: 5-12
 * us per 4 KiB, and a third of the daemon's CPU in the first cold read of
 * 256 MiB (105 of 330 ms).  bufpool_pretouch() makes buffers resident ahead of
 * use, from a thread of their own after the mount is up, where nobody
 * waits for it.  It only faults pages in (MADV_POPULATE_WRITE): a buffer
 * in use meanwhile keeps its bytes.
 *
 * Locks: p->lock guards free and nfree; callers may hold their own locks
 * (the reader's r->lock is taken before it).
 */
#include "bufpool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define ALIGN ((size_t)2 << 20)

struct bufpool {
	pthread_mutex_t lock;
	size_t size, n;
	char *map;		/* as mmap returned it, maplen bytes */
	size_t maplen;
	char *base;		/* map rounded up to ALIGN: n buffers */
	char **free;		/* a stack of free buffers of the region */
	size_t nfree;
};

struct bufpool *bufpool_new(size_t size, size_t n)
{
	struct bufpool *p = calloc(1, sizeof(*p));
	size_t i;

	if (!p || !size || !n || n > SIZE_MAX / size - ALIGN)
		goto fail;
	p->size = size;
	p->n = n;
	p->maplen = size * n + ALIGN;
	p->map = mmap(NULL, p->maplen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p->map == MAP_FAILED) {
		p->map = NULL;
		goto fail;
	}
	p->base = (char *)(((uintptr_t)p->map + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1));
	/* Only a hint: without huge pages the pool still saves refaults. */
	madvise(p->base, size * n, MADV_HUGEPAGE);
	if (!(p->free = malloc(n * sizeof(*p->free))))
		goto fail;
	/* Lowest addresses on top, so that buffers fill huge pages in turn. */
	for (i = 0; i < n; i++)
		p->free[i] = p->base + (n - 1 - i) * size;
	p->nfree = n;
	pthread_mutex_init(&p->lock, NULL);
	return p;
fail:
	if (p && p->map)
		munmap(p->map, p->maplen);
	free(p);
	return NULL;
}

int bufpool_pretouch(struct bufpool *p, size_t n)
{
	if (n > p->n)
		n = p->n;
	/* base upwards: the buffers bufpool_get hands out first */
	return madvise(p->base, p->size * n, MADV_POPULATE_WRITE) ? -1 : 0;
}

int bufpool_owns(const struct bufpool *p, const char *b)
{
	return b && b >= p->base && b < p->base + p->size * p->n;
}

char *bufpool_get(struct bufpool *p)
{
	char *b = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->nfree)
		b = p->free[--p->nfree];
	pthread_mutex_unlock(&p->lock);
	return b ? b : malloc(p->size);
}

void bufpool_put(struct bufpool *p, char *b)
{
	if (!bufpool_owns(p, b)) {
		free(b);
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->free[p->nfree++] = b;
	pthread_mutex_unlock(&p->lock);
}

void bufpool_free(struct bufpool *p)
{
	if (!p)
		return;
	munmap(p->map, p->maplen);
	free(p->free);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
