/*
 * htab: an intrusive chained hash table; a node embeds a struct hlink as
 * its first member and brings its own 64-bit hash.  Not thread-safe.
 */
#ifndef LM_HTAB_H
#define LM_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct hlink {
	struct hlink *next;
	uint64_t hash;
};

struct htab {
	struct hlink **slot;
	size_t n;		/* a power of two */
	size_t used;
};

/* An empty table; 0, or -1 when out of memory. */
int htab_init(struct htab *t);
/* The first node of hash's chain (follow ->next, compare ->hash). */
struct hlink *htab_first(const struct htab *t, uint64_t hash);
/* Doubles the table when full; growing is best effort: when memory is
 * short the chains get longer. */
void htab_insert(struct htab *t, struct hlink *l);
/* l must be in t. */
void htab_remove(struct htab *t, struct hlink *l);
/* Frees the table and every node in it (nodes start with their hlink and
 * were malloc'd). */
void htab_free_all(struct htab *t);

#endif
