/*
 * whash: the sha256 that every upload carries, computed while a file is
 * written rather than after.  A file written from its start in order
 * (cp, dd, a collector appending) is hashed by a thread of its own that
 * reads the staging file back behind the writer (from the page cache, on
 * another core); at upload time only the tail is left to hash.  Anything
 * else (a write elsewhere, a shrink) gives up on the running hash, and the
 * upload hashes the whole file.  Locks: see writer_int.h (hlock is taken
 * under writer.lock never the other way round).
 */
#include "writer_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define HASH_CHUNK (1u << 20)
#define HASH_KICK (8u << 20)	/* wake the hasher every 8 MiB written */

int whash_wrote(struct wfile *wf, uint64_t off, uint64_t n)
{
	int kick = 0;

	pthread_mutex_lock(&wf->hlock);
	if (wf->hash_ok && off == wf->seq_end) {
		kick = (wf->seq_end + n) / HASH_KICK != wf->seq_end / HASH_KICK;
		wf->seq_end += n;
	} else if (n) {
		wf->hash_ok = 0;
	}
	pthread_mutex_unlock(&wf->hlock);
	return kick;
}

int whash_truncated(struct wfile *wf, uint64_t size)
{
	int ok = 1;

	pthread_mutex_lock(&wf->hlock);
	if (size == 0) {
		if (!wf->sha)
			wf->sha = EVP_MD_CTX_new();
		ok = wf->sha && EVP_DigestInit_ex(wf->sha, EVP_sha256(), NULL) == 1;
		wf->hashed = 0;
		wf->seq_end = 0;
		wf->hash_ok = ok;
	} else if (size != wf->seq_end) {
		wf->hash_ok = 0;
	}
	pthread_mutex_unlock(&wf->hlock);
	return ok ? 0 : -ENOMEM;
}

void whash_kick(struct writer *w)
{
	pthread_mutex_lock(&w->lock);
	pthread_cond_signal(&w->hash_work);
	pthread_mutex_unlock(&w->lock);
}

/* Hash wf up to upto (hlock held; dropped while reading).  0 when done,
 * -1 when the hash was given up meanwhile or the file cannot be read. */
static int catch_up(struct wfile *wf, uint64_t upto, char *buf)
{
	while (wf->hash_ok && wf->hashed < upto) {
		uint64_t at = wf->hashed;
		size_t want = upto - at > HASH_CHUNK ? HASH_CHUNK : (size_t)(upto - at);
		ssize_t n;

		/* under hlock: no write can land in [at, upto) meanwhile */
		n = pread(wf->fd, buf, want, (off_t)at);
		if (n <= 0 || EVP_DigestUpdate(wf->sha, buf, (size_t)n) != 1) {
			wf->hash_ok = 0;
			return -1;
		}
		wf->hashed += (uint64_t)n;
		/* let the writer in between chunks */
		pthread_mutex_unlock(&wf->hlock);
		pthread_mutex_lock(&wf->hlock);
	}
	return wf->hash_ok ? 0 : -1;
}

int wfile_hash(struct wfile *wf, uint64_t size, char hex[65])
{
	unsigned char md[32];
	EVP_MD_CTX *copy = NULL;
	char *buf = NULL;
	int ok = 0, i;

	/* The hasher may be at work on it too: each chunk is read and
	 * hashed under hlock at the current end, so they take turns.  The
	 * buffer is needed only for a tail the hasher did not reach. */
	pthread_mutex_lock(&wf->hlock);
	if (wf->hash_ok && wf->seq_end == size && wf->fd >= 0 &&
	    (wf->hashed == size || (buf = malloc(HASH_CHUNK))) &&
	    catch_up(wf, size, buf) == 0 && (copy = EVP_MD_CTX_new()))
		ok = EVP_MD_CTX_copy_ex(copy, wf->sha) == 1 &&
		     EVP_DigestFinal_ex(copy, md, NULL) == 1;
	pthread_mutex_unlock(&wf->hlock);
	EVP_MD_CTX_free(copy);
	free(buf);
	for (i = 0; ok && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return ok;
}

/* A file the hasher should read: referenced, or NULL (w->lock held). */
static struct wfile *behind(struct writer *w)
{
	size_t i;

	for (i = 0; i < WRITER_BUCKETS; i++) {
		struct wfile *wf;

		for (wf = w->buckets[i]; wf; wf = wf->next) {
			int due;

			if (wf->fd < 0)
				continue;
			pthread_mutex_lock(&wf->hlock);
			due = wf->hash_ok && wf->seq_end - wf->hashed >= HASH_CHUNK;
			pthread_mutex_unlock(&wf->hlock);
			if (due) {
				wfile_ref(wf);
				return wf;
			}
		}
	}
	return NULL;
}

static void *hasher_main(void *arg)
{
	struct writer *w = arg;
	char *buf = malloc(HASH_CHUNK);

	pthread_mutex_lock(&w->lock);
	while (buf && !w->stopping) {
		struct wfile *wf = behind(w);
		struct timespec ts;

		if (!wf) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&w->hash_work, &w->lock, &ts);
			continue;
		}
		pthread_mutex_unlock(&w->lock);
		pthread_mutex_lock(&wf->hlock);
		/* only whole chunks: the writer may still be at the tail */
		catch_up(wf, wf->seq_end - wf->seq_end % HASH_CHUNK, buf);
		pthread_mutex_unlock(&wf->hlock);
		pthread_mutex_lock(&w->lock);
		wfile_unref(w, wf);
	}
	pthread_mutex_unlock(&w->lock);
	free(buf);
	return NULL;
}

int whash_start(struct writer *w)
{
	if (pthread_create(&w->hasher, NULL, hasher_main, w))
		return -1;
	w->has_hasher = 1;
	return 0;
}

void whash_stop(struct writer *w)
{
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->hash_work);
	pthread_mutex_unlock(&w->lock);
	if (w->has_hasher)
		pthread_join(w->hasher, NULL);
	w->has_hasher = 0;
}
