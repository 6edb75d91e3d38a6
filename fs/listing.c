/*
 * Listing a directory from S3, in one stream of pages or several at once.
 * What and why are at the top of listing.h; the names S3 holds but a
 * directory cannot show are dir.c's note 5.
 *
 * Streams: stream 0 starts at the beginning.  Its first page decides the
 * plan (plan(), before that page is queued, so that listing_next() knows
 * every stream once it has a page): stream k > 0 starts after guess k
 * (StartAfter: keys greater than it) and every stream stops where the next
 * starts (`stop`, a full key: entries greater than it are dropped, and the
 * stream ends), so each key is in exactly one stream.  A stream whose thread
 * cannot start leaves its range to the one before it, which then goes on
 * to the end.
 */
#include "listing.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmfs.h"
#include "log.h"

#define LISTING_STREAMS 8	/* at most, each its own request at a time */
#define LISTING_AHEAD 4		/* pages a stream may hold unread */
#define GUESS_DIGITS 18		/* a run longer than this is not counted */

struct listing;

struct stream {
	struct listing *l;
	char *start;			/* StartAfter of its first page, or NULL */
	char *stop;			/* the next stream's start, or NULL */
	struct page *queue, **tail;
	int queued;
	int fetching;			/* its thread runs */
	int done;			/* its last page is queued */
	int err;			/* negative errno: it broke off */
};

struct listing {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* a page came or went, a stream ended */
	struct lmfs *fs;
	struct index_entry dir;
	struct stream s[LISTING_STREAMS];
	int n;				/* streams, final once a page is queued */
	int cur;			/* the one listing_next() takes from */
	int refs;			/* the owner's and each running fetcher's */
	int stop;
};

/* ---- pages ---- */

/* The name a listed key or prefix has inside the directory, or NULL when it
 * has none we can show (dir.c, note 5).  Writes into buf. */
static const char *child_name(const char *dir_key, const struct s3_list_entry *e,
			      char *buf, size_t buflen)
{
	size_t plen = strlen(dir_key), n;
	const char *name;

	if (strncmp(e->key, dir_key, plen))
		return NULL;
	name = e->key + plen;
	n = strlen(name);
	if (e->is_prefix && n && name[n - 1] == '/')
		n--;
	if (!n || n > NAME_MAX || n >= buflen || memchr(name, '/', n))
		return NULL;
	memcpy(buf, name, n);
	buf[n] = '\0';
	if (!strcmp(buf, ".") || !strcmp(buf, ".."))
		return NULL;
	return buf;
}

/* Keep *bound the least (lo) or greatest key seen. */
static int bound(char **bound, const char *key, int lo)
{
	char *k;

	if (*bound && (lo ? strcmp(key, *bound) >= 0 : strcmp(key, *bound) <= 0))
		return 0;
	if (!(k = strdup(key)))
		return -1;
	free(*bound);
	*bound = k;
	return 0;
}

static int page_add(void *arg, const struct s3_list_entry *e)
{
	struct page *p = arg;
	char name[1024];
	const char *nm = child_name(p->dir_key, e, name, sizeof(name));
	char *dup_name, *dup_key, *dup_etag;

	if (bound(&p->lo, e->key, 1) || bound(&p->hi, e->key, 0))
		goto fail;
	if (!nm)
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		struct index_child *c = realloc(p->c, cap * sizeof(*c));
		char **strs = c ? realloc(p->strs, cap * 3 * sizeof(*strs)) : NULL;

		if (c)
			p->c = c;
		if (!strs)
			goto fail;
		p->strs = strs;
		p->cap = cap;
	}
	/* The entry's strings live only during this call: keep copies. */
	dup_name = strdup(nm);
	dup_key = strdup(e->key);
	dup_etag = strdup(e->etag ? e->etag : "");
	if (!dup_name || !dup_key || !dup_etag) {
		free(dup_name);
		free(dup_key);
		free(dup_etag);
		goto fail;
	}
	p->strs[3 * p->n] = dup_name;
	p->strs[3 * p->n + 1] = dup_key;
	p->strs[3 * p->n + 2] = dup_etag;
	p->c[p->n++] = (struct index_child){
		dup_name, e->is_prefix ? INDEX_DIR : INDEX_FILE, dup_key, e->size,
		dup_etag, (int64_t)e->mtime,
	};
	return 0;
fail:
	p->failed = 1;
	return 1;
}

void page_release(struct page *p)
{
	size_t i;

	for (i = 0; i < 3 * p->n; i++)
		free(p->strs[i]);
	free(p->strs);
	free(p->c);
	free(p->lo);
	free(p->hi);
	memset(p, 0, sizeof(*p));
}

int listing_fetch(struct lmfs *fs, const struct index_entry *dir, const char *start_after,
		  char **token, struct page *p)
{
	struct s3_list_params lp = { dir->key, "/", *token ? NULL : start_after, *token, 1000 };
	struct s3_client *c = lmfs_client(fs, dir->tree);
	struct xml_list_result res = { 0 };
	struct s3_error err;
	int rc = 0;

	p->dir_key = dir->key;
	if (s3_list(c, &lp, page_add, p, &res, &err)) {
		char m[512];

		s3_error_format(&err, m, sizeof(m));
		log_warn(LOG_FIELDS(LF_STR("source", lmfs_source_name(fs, dir->tree)),
				    LF_STR("key", dir->key), LF_S3_ERROR(&err)),
			 "cannot list '%s': %s", dir->key, m);
		rc = p->failed ? -ENOMEM : -lmfs_errno(&err);
		goto out;
	}
	free(*token);
	*token = res.truncated ? res.next_token : NULL;
	res.next_token = NULL;
	p->last = !*token;
out:
	free(res.next_token);
	return rc;
}

void page_drop(struct page *p, int (*drop)(const struct page *p, size_t i, void *arg),
	       void *arg)
{
	size_t i, k;

	for (i = k = 0; i < p->n; i++) {
		if (drop(p, i, arg)) {
			free(p->strs[3 * i]);
			free(p->strs[3 * i + 1]);
			free(p->strs[3 * i + 2]);
			continue;
		}
		p->c[k] = p->c[i];
		memmove(&p->strs[3 * k++], &p->strs[3 * i], 3 * sizeof(*p->strs));
	}
	p->n = k;
}

static int past(const struct page *p, size_t i, void *stop)
{
	return strcmp(p->c[i].key, stop) > 0;
}

/* Drops p's children past key stop (the next stream starts after it, so
 * a key equal to it is this stream's); 1 when p reached it (the stream
 * has all of its range then). */
static int page_trim(struct page *p, const char *stop)
{
	if (!p->hi || strcmp(p->hi, stop) < 0)
		return 0;
	page_drop(p, past, (void *)stop);
	return 1;
}

/* ---- guesses ---- */

/* A counting field of a name: digits at [at, at + w), counted modulo radix
 * (the first field has none: it counts on without bound). */
struct field {
	size_t at, w;
	uint64_t radix;
};

static uint64_t digits_value(const char *s, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

static int is_digit(char c)
{
	return isdigit((unsigned char)c);
}

/* The fields of last from a (the start of a run of digits) on, as long as
 * first has the same shape there: digits where last has digits, the same
 * other characters between them.  So "2017-08-17.zip" against
 * "2018-12-29.zip.CHECKSUM" gives the year, the month and the day.  All
 * together hold at most GUESS_DIGITS digits, so that a value of them fits
 * in 64 bits. */
static size_t fields_of(const char *first, const char *last, size_t a, struct field *f,
			size_t max)
{
	size_t i = a, n = 0, digits = 0, s;

	while (n < max && last[i] && first[i]) {
		if (!is_digit(last[i])) {
			if (last[i] != first[i])
				break;
			i++;
			continue;
		}
		if (!is_digit(first[i]))
			break;
		for (s = i; is_digit(last[i]) && is_digit(first[i]); i++)
			;
		if (is_digit(last[i]) || is_digit(first[i]) || digits + (i - s) > GUESS_DIGITS)
			break;
		digits += i - s;
		f[n++] = (struct field){ s, i - s, 0 };
	}
	return n;
}

/* Whether name has the shape of last up to the end of the fields: the same
 * characters before and between them, digits in them. */
static int same_shape(const char *name, const char *last, const struct field *f, size_t n)
{
	size_t end = f[n - 1].at + f[n - 1].w, i, k, sep;

	if (strnlen(name, end) < end || is_digit(name[end]) || strncmp(name, last, f[0].at))
		return 0;
	for (k = 0; k < n; k++) {
		sep = k + 1 < n ? f[k + 1].at : end;
		for (i = f[k].at; i < f[k].at + f[k].w; i++)
			if (!is_digit(name[i]))
				return 0;
		for (; i < sep; i++)
			if (name[i] != last[i])
				return 0;
	}
	return 1;
}

/* The fields of s folded into one number, each after the first in its
 * radix.  Its digits must fit the radixes (values below them). */
static uint64_t fields_value(const char *s, const struct field *f, size_t n)
{
	uint64_t v = digits_value(s + f[0].at, f[0].w);
	size_t k;

	for (k = 1; k < n; k++)
		v = v * f[k].radix + digits_value(s + f[k].at, f[k].w);
	return v;
}

/* Write v into field f of s, a copy of last's first end characters. */
static void put_field(char *s, const char *last, const struct field *f, size_t end, uint64_t v)
{
	snprintf(s + f->at, f->w + 1, "%0*" PRIu64, (int)f->w, v);
	s[f->at + f->w] = f->at + f->w < end ? last[f->at + f->w] : '\0';
}

size_t listing_guess(const char *first, const char *last, const char *const *seen,
		     size_t nseen, char **out, size_t max)
{
	struct field f[GUESS_DIGITS];
	size_t d = 0, a, nf, i, k, n = 0, end;
	uint64_t x, xf, step, v, top;

	while (first[d] && first[d] == last[d])
		d++;
	if (!is_digit(last[d]) || !is_digit(first[d]))
		return 0;
	for (a = d; a && is_digit(last[a - 1]); a--)
		;
	nf = fields_of(first, last, a, f, GUESS_DIGITS);
	if (!nf || f[0].at != a)
		return 0;
	/* The radix of a field after the first: one past the greatest value it
	 * takes in the page (months 1-12 count in 13s), learnt from the names
	 * of the same shape. */
	for (k = 1; k < nf; k++) {
		f[k].radix = digits_value(last + f[k].at, f[k].w);
		if ((v = digits_value(first + f[k].at, f[k].w)) > f[k].radix)
			f[k].radix = v;
	}
	for (i = 0; i < nseen; i++) {
		if (!same_shape(seen[i], last, f, nf))
			continue;
		for (k = 1; k < nf; k++)
			if ((v = digits_value(seen[i] + f[k].at, f[k].w)) > f[k].radix)
				f[k].radix = v;
	}
	for (k = 1; k < nf; k++)
		f[k].radix++;
	x = fields_value(last, f, nf);
	xf = fields_value(first, f, nf);
	if (x <= xf)
		return 0;
	/* A little short of a page's worth: months and days do not fill their
	 * radixes evenly, and a stream that covers a few names more than a page
	 * takes a second round trip for them. */
	step = x - xf;
	step -= step / 8;
	if (!step)
		step = 1;
	for (top = 1, i = 0; i < f[0].w; i++)
		top *= 10;
	end = f[nf - 1].at + f[nf - 1].w;
	for (k = 1; n < max; k++) {
		uint64_t q;
		size_t j;
		char *s;

		if (step > (UINT64_MAX - x) / k)
			break;
		v = x + step * k;
		if (!(s = malloc(end + 1)))
			break;
		memcpy(s, last, end);
		s[end] = '\0';
		for (j = nf; j-- > 1;) {
			q = v % f[j].radix;
			v /= f[j].radix;
			put_field(s, last, &f[j], end, q);
		}
		if (v >= top) {
			free(s);
			break;
		}
		put_field(s, last, &f[0], end, v);
		out[n++] = s;
	}
	return n;
}

/* ---- streams ---- */

static void listing_unref(struct listing *l)	/* l->lock held; released here */
{
	int last = --l->refs == 0, k;
	struct page *p;

	pthread_mutex_unlock(&l->lock);
	if (!last)
		return;
	for (k = 0; k < LISTING_STREAMS; k++) {
		while ((p = l->s[k].queue)) {
			l->s[k].queue = p->next;
			page_release(p);
			free(p);
		}
		free(l->s[k].start);
		free(l->s[k].stop);
	}
	index_entry_release(&l->dir);
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static void fetchers_count(struct lmfs *fs, int d)
{
	pthread_mutex_lock(&fs->list_lock);
	fs->nfetchers += d;
	pthread_mutex_unlock(&fs->list_lock);
}

static void *stream_main(void *arg);

/* Starts stream k's thread (l->lock held).  0, or -1 when it cannot. */
static int stream_start(struct listing *l, int k)
{
	pthread_attr_t attr;
	pthread_t th;
	int rc;

	fetchers_count(l->fs, 1);
	l->s[k].fetching = 1;
	l->refs++;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&th, &attr, stream_main, &l->s[k]);
	pthread_attr_destroy(&attr);
	if (rc) {
		l->s[k].fetching = 0;
		l->refs--;
		fetchers_count(l->fs, -1);
		return -1;
	}
	return 0;
}

/* A full key: the directory's key and a name after it. */
static char *full_key(const struct listing *l, const char *name)
{
	size_t a = strlen(l->dir.key), b = strlen(name);
	char *k = malloc(a + b + 1);

	if (k) {
		memcpy(k, l->dir.key, a);
		memcpy(k + a, name, b + 1);
	}
	return k;
}

/* Stream 0's first page p, with more to come: the other streams
 * (l->lock held). */
static void plan(struct listing *l, const struct page *p)
{
	size_t plen = strlen(l->dir.key), n, i;
	char *guess[LISTING_STREAMS - 1];
	const char **seen;
	int k;

	if (!p->lo || !p->hi || strncmp(p->lo, l->dir.key, plen) || strncmp(p->hi, l->dir.key, plen))
		return;
	/* (without the names, the guess learns less: no matter) */
	seen = malloc((p->n ? p->n : 1) * sizeof(*seen));
	for (i = 0; seen && i < p->n; i++)
		seen[i] = p->c[i].name;
	n = listing_guess(p->lo + plen, p->hi + plen, seen, seen ? p->n : 0, guess,
			  LISTING_STREAMS - 1);
	free(seen);
	for (i = 0; i < n; i++) {
		k = (int)i + 1;
		l->s[k].start = full_key(l, guess[i]);
		free(guess[i]);
		if (!l->s[k].start)
			break;
		l->s[k].stop = NULL;
		l->s[k - 1].stop = l->s[k].start ? strdup(l->s[k].start) : NULL;
		if (!l->s[k - 1].stop || stream_start(l, k)) {
			/* stream k - 1 goes on to the end instead */
			free(l->s[k - 1].stop);
			l->s[k - 1].stop = NULL;
			free(l->s[k].start);
			l->s[k].start = NULL;
			break;
		}
		l->n = k + 1;
	}
	for (i++; i < n; i++)
		free(guess[i]);
}

static void *stream_main(void *arg)
{
	struct stream *s = arg;
	struct listing *l = s->l;
	char *token = NULL;
	int rc = 0, first = 1, k = (int)(s - l->s);

	for (;;) {
		struct page *p = calloc(1, sizeof(*p));
		int ended;

		if (!p) {
			rc = -ENOMEM;
			break;
		}
		rc = listing_fetch(l->fs, &l->dir, first ? s->start : NULL, &token, p);
		pthread_mutex_lock(&l->lock);
		if (!rc && k == 0 && first && !p->last && !l->stop)
			plan(l, p);
		/* Every stop is set before any stream looks at one: plan()
		 * runs under the lock, which the streams it starts need
		 * before their first look. */
		if (!rc && s->stop && page_trim(p, s->stop))
			p->last = 1;
		first = 0;
		if (rc || l->stop) {
			pthread_mutex_unlock(&l->lock);
			page_release(p);
			free(p);
			break;
		}
		ended = p->last;
		*s->tail = p;
		s->tail = &p->next;
		s->queued++;
		s->done = ended;
		pthread_cond_broadcast(&l->cond);
		while (!ended && s->queued >= LISTING_AHEAD && !l->stop)
			pthread_cond_wait(&l->cond, &l->lock);
		pthread_mutex_unlock(&l->lock);
		if (ended)
			break;
	}
	free(token);
	pthread_mutex_lock(&l->lock);
	s->fetching = 0;
	s->err = rc;
	pthread_cond_broadcast(&l->cond);
	fetchers_count(l->fs, -1);
	listing_unref(l);
	return NULL;
}

int listing_start(struct lmfs *fs, const struct index_entry *dir, struct listing **out)
{
	struct listing *l = calloc(1, sizeof(*l));
	int k;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	if (index_entry_copy(&l->dir, dir)) {
		free(l);
		return -ENOMEM;
	}
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	l->fs = fs;
	l->n = 1;
	l->refs = 1;
	for (k = 0; k < LISTING_STREAMS; k++) {
		l->s[k].l = l;
		l->s[k].tail = &l->s[k].queue;
	}
	pthread_mutex_lock(&l->lock);
	if (stream_start(l, 0)) {
		l->stop = 1;
		listing_unref(l);
		return -EAGAIN;
	}
	pthread_mutex_unlock(&l->lock);
	*out = l;
	return 0;
}

/* Whether the first klen bytes of key sort before or equal to s. */
static int key_le(const char *key, size_t klen, const char *s)
{
	size_t sl = strlen(s);
	int c = memcmp(key, s, klen < sl ? klen : sl);

	return c < 0 || (c == 0 && klen <= sl);
}

/* Whether page p of stream k may be handed out before the streams ahead of
 * k are done: none of its prefixes "N/" can be named after a file N of an
 * earlier stream, whose keys are those up to k's start (dir.c note 6 needs
 * the file first). */
static int page_alone(const struct listing *l, int k, const struct page *p)
{
	size_t i, n;

	for (i = 0; i < p->n; i++) {
		if (p->c[i].kind != INDEX_DIR || !(n = strlen(p->c[i].key)))
			continue;
		if (key_le(p->c[i].key, n - 1, l->s[k].start))
			return 0;
	}
	return 1;
}

/* Take the head page of stream k (l->lock held). */
static struct page *take(struct listing *l, int k)
{
	struct stream *s = &l->s[k];
	struct page *p = s->queue;
	int i;

	s->queue = p->next;
	if (!s->queue)
		s->tail = &s->queue;
	s->queued--;
	p->next = NULL;
	/* the end of a stream is not the end of the listing */
	p->last = 1;
	for (i = 0; i < l->n; i++)
		if (!l->s[i].done || l->s[i].queue)
			p->last = 0;
	return p;
}

int listing_next(struct listing *l, struct page **out)
{
	struct stream *s;
	int rc, k;

	pthread_mutex_lock(&l->lock);
	for (;;) {
		s = &l->s[l->cur];
		if (s->queue) {
			*out = take(l, l->cur);
			rc = 1;
			break;
		}
		if (s->done && l->cur + 1 < l->n) {
			l->cur++;
			continue;
		}
		/* The next page in key order has not come: one of a later
		 * stream that has will do, so that the pages that came are
		 * stored and shown while it comes (the streams' requests are
		 * answered in no particular order). */
		for (k = l->cur + 1; k < l->n; k++)
			if (l->s[k].queue && page_alone(l, k, l->s[k].queue))
				break;
		if (k < l->n) {
			*out = take(l, k);
			rc = 1;
			break;
		}
		if (s->done || !s->fetching) {
			rc = s->done ? 0 : s->err ? s->err : -EIO;
			break;
		}
		pthread_cond_wait(&l->cond, &l->lock);
	}
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
	return rc;
}

void listing_stop(struct listing *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->lock);
	l->stop = 1;
	pthread_cond_broadcast(&l->cond);
	listing_unref(l);
}
