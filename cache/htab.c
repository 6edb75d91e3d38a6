/*
 * htab: the chained hash tables of the block cache's objects and entries
 * (blocks.c), split out of it.  No locking of its own: the caller's lock
 * (b->lock in blocks.c) guards a table and its nodes.
 */
#include "htab.h"

#include <stdlib.h>

#define TAB_MIN 1024

int htab_init(struct htab *t)
{
	t->slot = calloc(TAB_MIN, sizeof(*t->slot));
	t->n = TAB_MIN;
	t->used = 0;
	return t->slot ? 0 : -1;
}

struct hlink *htab_first(const struct htab *t, uint64_t hash)
{
	return t->slot[hash & (t->n - 1)];
}

void htab_insert(struct htab *t, struct hlink *l)
{
	struct hlink **slot, **p, *c, *next;
	size_t i, n = t->n * 2;

	if (t->used >= t->n && (slot = calloc(n, sizeof(*slot)))) {
		for (i = 0; i < t->n; i++) {
			for (c = t->slot[i]; c; c = next) {
				next = c->next;
				c->next = slot[c->hash & (n - 1)];
				slot[c->hash & (n - 1)] = c;
			}
		}
		free(t->slot);
		t->slot = slot;
		t->n = n;
	}
	p = &t->slot[l->hash & (t->n - 1)];
	l->next = *p;
	*p = l;
	t->used++;
}

void htab_remove(struct htab *t, struct hlink *l)
{
	struct hlink **p = &t->slot[l->hash & (t->n - 1)];

	while (*p != l)
		p = &(*p)->next;
	*p = l->next;
	t->used--;
}

void htab_free_all(struct htab *t)
{
	struct hlink *l, *next;
	size_t i;

	for (i = 0; t->slot && i < t->n; i++)
		for (l = t->slot[i]; l; l = next) {
			next = l->next;
			free(l);
		}
	free(t->slot);
}
