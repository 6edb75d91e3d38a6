/*
 * siblings: a folder's files read one after another, in name order, get
 * the next ones fetched ahead (siblings.c says when and why).
 */
#ifndef LM_SIBLINGS_H
#define LM_SIBLINGS_H

#include "index.h"

struct lmfs;
struct siblings;

/* NULL when out of memory. */
struct siblings *siblings_new(void);
void siblings_free(struct siblings *s);

/* File row e of a read-only tree was just opened. */
void siblings_opened(struct siblings *s, struct lmfs *fs, const struct index_entry *e);
/* An open of a file in folder parent (an inode number), now released,
 * read so many blocks of its start (head; 0: none) and began its reading
 * past the start (tail). */
void siblings_read(struct siblings *s, uint64_t parent, unsigned head, int tail);

#endif
