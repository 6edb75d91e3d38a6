/*
 * index_util.h: what the index's two unit programs (t_index.c,
 * t_index_pages.c) share: an index in the test's directory, children to
 * list, a listing in one page, a name's inode number.
 */
#ifndef LM_INDEX_UTIL_H
#define LM_INDEX_UTIL_H

#include <stdint.h>

#include "index.h"
#include "unit.h"

static inline struct index *open_ok(const char *name)
{
	struct index *ix = NULL;
	char path[512], err[512];

	unit_path(path, sizeof(path), name);
	if (index_open(&ix, path, err, sizeof(err)))
		unit_fail(__FILE__, __LINE__, "open '%s': %s", path, err);
	else
		UNIT_CHECK_STR(err, "");
	return ix;
}

static inline struct index_child file(const char *name, const char *key, uint64_t size,
			       const char *etag)
{
	return (struct index_child){ name, INDEX_FILE, key, size, etag, 1700000000 };
}

static inline struct index_child dir(const char *name, const char *key)
{
	return (struct index_child){ name, INDEX_DIR, key, 0, "", 0 };
}

/* List dir with these children, all in one page. */
static inline int list_all(struct index *ix, uint64_t d, const struct index_child *c, size_t n,
		    int64_t now)
{
	uint64_t gen;

	if (index_listing_begin(ix, d, &gen) || index_listing_page(ix, d, gen, c, n, NULL))
		return -1;
	return index_listing_end(ix, d, gen, now);
}

static inline uint64_t ino_of(struct index *ix, uint64_t parent, const char *name)
{
	struct index_entry e;
	uint64_t ino = 0;

	if (index_lookup(ix, parent, name, &e) == 0)
		ino = e.ino;
	index_entry_release(&e);
	return ino;
}

#endif
