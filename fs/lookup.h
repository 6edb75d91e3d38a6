/*
 * lookup: a name not in the index, asked of S3 (fs/lookup.c).
 */
#ifndef LM_LOOKUP_H
#define LM_LOOKUP_H

#include "index.h"

struct lmfs;

/* Asks S3 whether name, in directory pe, is a file or a directory, and
 * stores the answer in the index (e, to be released).  Returns 0, -ENOENT,
 * or another negative errno when S3 could not say. */
int lookup_remote(struct lmfs *fs, const struct index_entry *pe, const char *name,
		  struct index_entry *e);

#endif
