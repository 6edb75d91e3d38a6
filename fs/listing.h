/*
 * listing: a directory listed from S3 (ListObjectsV2, delimiter "/"), page
 * by page, for fs/dir.c, which stores the pages in the index.
 *
 * A listing's pages need each other's continuation tokens, so one stream
 * of them takes a round trip per 1,000 names.  Names in a folder of an
 * archive count up (BTCUSDT-1m-2017-08-17.zip, ...-2017-08-18.zip, ...), and
 * the first page shows by how much a page's worth of them counts: from it,
 * listing_start() guesses where the next pages would begin and lists from
 * there at once, a stream per guess (StartAfter), each stopping where the
 * next begins.  A guess that is off costs requests, never names: every
 * stream but the last ends where the next one starts, and the last goes to
 * the end.  Pages are handed out in key order (listing_next) as they
 * come, and while the next in that order has not come, a later stream's
 * page that has: the server answers the streams' requests in no
 * particular order, and the one that holds the next page is often the
 * last.  A page that may hold a prefix "N/" of a file N in an earlier
 * stream waits for its turn (dir.c, note 6, wants the file first).  Within
 * a stream, pages come in key order.
 *
 * Locks: l->lock guards the streams' queues and states; it is taken with
 * no other lock of ours held (the fetchers hold nothing else while they
 * wait on S3), and callers may hold their own locks around listing_next().
 */
#ifndef LM_LISTING_H
#define LM_LISTING_H

#include <stddef.h>

#include "index.h"

struct lmfs;
struct listing;

/* One page: the children S3 gave, as the index takes them. */
struct page {
	const char *dir_key;
	struct index_child *c;
	char **strs;			/* name, key, etag of each child */
	size_t n, cap;
	char *lo, *hi;			/* its least and greatest key or prefix,
					   shown or not; NULL when empty */
	int failed;
	int last;			/* no page follows */
	struct page *next;		/* in a stream's queue */
};

void page_release(struct page *p);
/* Drops the children i of p for which drop(p, i, arg) says so. */
void page_drop(struct page *p, int (*drop)(const struct page *p, size_t i, void *arg),
	       void *arg);

/* The page of dir's listing after *token (NULL: the first; start_after
 * then says where it begins, NULL for the start) into p.  On success
 * *token is the next one (NULL at the end).  Returns 0 or a negative
 * errno (logged). */
int listing_fetch(struct lmfs *fs, const struct index_entry *dir, const char *start_after,
		  char **token, struct page *p);

/* Start listing dir in the background.  Returns 0 or a negative errno. */
int listing_start(struct lmfs *fs, const struct index_entry *dir, struct listing **out);
/* The next page (see above), waiting for one: 1 and *p (the caller's, to
 * page_release() and free(); p->last on the listing's last), 0 after the
 * last, or a negative errno: the listing broke off. */
int listing_next(struct listing *l, struct page **p);
/* No more pages are wanted: the fetchers end after the page they are on,
 * and the last one frees l. */
void listing_stop(struct listing *l);

/* Up to max names after last, guessed from the first page [first, last]
 * of a listing to begin a page each (see the top of this file).  The name
 * is read from the run of digits where first and last begin to differ on,
 * as a number in fields (2017-08-17: year, month, day), each field after
 * the first counting up to the greatest value it takes in seen (the names
 * of the page); the guesses step on by what the page spanned.  Returns how
 * many it wrote to out (malloc'd); 0 when the names do not count up that
 * way. */
size_t listing_guess(const char *first, const char *last, const char *const *seen,
		     size_t nseen, char **out, size_t max);

#endif
