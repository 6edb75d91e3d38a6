/*
 * bufpool: the reader's block buffers, all the same size, from one
 * reserved region backed by transparent huge pages where the kernel gives
 * them (fs/bufpool.c says why).
 */
#ifndef LM_BUFPOOL_H
#define LM_BUFPOOL_H

#include <stddef.h>

struct bufpool;

/* A pool of n buffers of size bytes; NULL when out of memory.  Nothing is
 * resident until used or pretouched. */
struct bufpool *bufpool_new(size_t size, size_t n);
/* A buffer of the pool's size: from the region, or malloc() once the
 * region is all in use; NULL when out of memory.  Thread-safe. */
char *bufpool_get(struct bufpool *p);
/* Give back a buffer from bufpool_get() (NULL is fine).  Thread-safe. */
void bufpool_put(struct bufpool *p, char *b);
/* Make the first n buffers bufpool_get() hands out resident now, without
 * changing a byte of any buffer (in use or not): 0, or -1 with errno
 * (EINVAL before Linux 5.14; ENOMEM).  Safe beside the other calls. */
int bufpool_pretouch(struct bufpool *p, size_t n);
/* Whether b came from bufpool_get(): such a buffer must not be given to
 * free() or realloc(). */
int bufpool_owns(const struct bufpool *p, const char *b);
/* Frees the region: every buffer must have been given back. */
void bufpool_free(struct bufpool *p);

#endif
