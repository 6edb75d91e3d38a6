/*
 * Fetching ahead across files.  `cat` of a folder's glob, a shell loop over
 * its zips, `rsync` read a folder's files one after another in name order,
 * and each file's first GET costs a round trip the reader waits for.
 * Behind 20 ms, `cat` of the bench's 1,000 files of 60 KiB took 24 s, a
 * round trip a file (3.1 s with this); readahead within a file cannot help
 * a file that fits in a block.
 *
 * Design notes
 *  1. A folder's opens are followed in a small table (SLOTS folders; the
 *     least recently used slot goes).  An open of a file among the AHEAD
 *     that come after the folder's last opened one, in the index's order
 *     (bytes, as S3 lists and a C-locale glob sorts), extends the folder's
 *     run; any other open starts a new one.  Among, not just next: a loop
 *     over the zips of an archive folder skips the X.zip.CHECKSUM between
 *     them.
 *  2. From the third file of a run on, each open asks the reader to fetch
 *     the start of each of the next AHEAD files (reader_prefetch; note 4)
 *     that was not asked for already (`upto`, the last name queued).  The
 *     reader bounds what is in flight (half its readahead budget) and
 *     keeps what lands on disk only: a guess that is wrong costs some GETs
 *     and cache space, never memory held.
 *  3. Only read-only trees: there an object does not change under its name
 *     between the listing and the fetch, so nothing is fetched for a file
 *     a write is about to replace.
 *  4. What is fetched of each follows how the folder's last file was
 *     read, as its release tells (siblings_read): as many blocks of its
 *     start as that file's were read, up to the first part (all of it for
 *     cat, sha256sum, rsync; one block for `head -1`, or for a member's
 *     first lines); the last block if its reading began past the start
 *     (unzip -l and zipinfo read a zip's central directory at its end, a
 *     parquet reader its footer); both if both (Python's zipfile, so
 *     pandas: the end, then the member from the start).  A loop of
 *     `unzip -l` over a folder of big zips fetched 8 MiB of the start of
 *     each next zip, of which it read nothing, and `head -1` of big CSVs
 *     8 MiB of each where it read a block.  A file opened and closed
 *     unread tells nothing.  When that changes, the files already asked
 *     for are asked for again (reader_prefetch fetches what is missing).
 *
 * Locks: s->lock guards the table; it is not held during index or reader
 * calls.
 */
#include "siblings.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lmfs.h"
#include "reader.h"

#define SLOTS 16
#define AHEAD 8

struct slot {
	uint64_t parent;		/* 0: free */
	char last[NAME_MAX + 1];	/* the last file opened */
	char horizon[NAME_MAX + 1];	/* the AHEAD-th file after it, or the
					   folder's last file */
	char upto[NAME_MAX + 1];	/* the last file queued ahead */
	unsigned run;			/* files opened in order, this one too */
	unsigned head;			/* fetch so many first blocks */
	int tail;			/* and the last block (note 4) */
	uint64_t used;			/* s->clock at the last open */
};

struct siblings {
	pthread_mutex_t lock;
	struct slot slot[SLOTS];
	uint64_t clock;
};

struct siblings *siblings_new(void)
{
	struct siblings *s = calloc(1, sizeof(*s));

	if (s)
		pthread_mutex_init(&s->lock, NULL);
	return s;
}

void siblings_free(struct siblings *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* The files after the one opened, in order (copies). */
struct ahead {
	struct index_entry e[AHEAD];
	int n;
};

static int collect(void *arg, const struct index_entry *e)
{
	struct ahead *a = arg;

	/* (a name over NAME_MAX is never opened: the kernel refuses it) */
	if (e->kind == INDEX_FILE && strlen(e->name) <= NAME_MAX &&
	    !index_entry_copy(&a->e[a->n], e))
		a->n++;
	return a->n == AHEAD;
}

/* The slot of parent, or the least recently used one, emptied (s->lock
 * held). */
static struct slot *slot_of(struct siblings *s, uint64_t parent)
{
	struct slot *lru = &s->slot[0];
	int i;

	for (i = 0; i < SLOTS; i++) {
		if (s->slot[i].parent == parent)
			return &s->slot[i];
		if (s->slot[i].used < lru->used)
			lru = &s->slot[i];
	}
	memset(lru, 0, sizeof(*lru));
	lru->parent = parent;
	lru->head = UINT_MAX;	/* the first part, until a release tells */
	return lru;
}

void siblings_opened(struct siblings *s, struct lmfs *fs, const struct index_entry *e)
{
	char upto[NAME_MAX + 1];
	struct ahead a = { .n = 0 };
	struct slot *sl;
	unsigned run, head;
	int i, known, tail;

	if (!s || !e->parent || strlen(e->name) > NAME_MAX)
		return;
	/* on an index error, no guess: the run starts again */
	known = index_readdir_after(fs->ix, e->parent, e->name, 4 * AHEAD, collect, &a) >= 0;
	pthread_mutex_lock(&s->lock);
	sl = slot_of(s, e->parent);
	if (strcmp(e->name, sl->last) > 0 && strcmp(e->name, sl->horizon) <= 0)
		sl->run++;
	else
		sl->run = 1, sl->upto[0] = '\0';
	strcpy(sl->last, e->name);
	strcpy(sl->horizon, known && a.n ? a.e[a.n - 1].name : "");
	sl->used = ++s->clock;
	run = known ? sl->run : 0;
	head = sl->head;
	tail = sl->tail;
	strcpy(upto, sl->upto);
	pthread_mutex_unlock(&s->lock);

	for (i = 0; run >= 3 && i < a.n; i++) {
		if (strcmp(a.e[i].name, upto) <= 0)
			continue;
		if (reader_prefetch(fs->reader, &a.e[i], head, tail) < 0)
			break;		/* the reader's budget is spent */
		strcpy(upto, a.e[i].name);
	}
	if (run >= 3) {
		pthread_mutex_lock(&s->lock);
		sl = slot_of(s, e->parent);
		if (strcmp(upto, sl->upto) > 0 && sl->head == head && sl->tail == tail)
			strcpy(sl->upto, upto);
		pthread_mutex_unlock(&s->lock);
	}
	for (i = 0; i < a.n; i++)
		index_entry_release(&a.e[i]);
}

void siblings_read(struct siblings *s, uint64_t parent, unsigned head, int tail)
{
	int i;

	if (!s || !parent)
		return;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < SLOTS; i++) {
		struct slot *sl = &s->slot[i];

		if (sl->parent == parent) {
			if (sl->head != head || sl->tail != tail) {
				sl->head = head;
				sl->tail = tail;
				sl->upto[0] = '\0';	/* note 4 */
			}
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
}
