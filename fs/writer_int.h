/*
 * writer_int.h: what writer.c (the files), upload.c (the uploaders) and
 * wqueue.c (closes, fsync, start and stop) share.  Private to them; the
 * rest of fs/ uses writer.h.
 *
 * Locks (outer to inner): writer.lock -> cache/ locks (index, journal).
 * wfile.hlock guards only the running hash and is never held while taking
 * writer.lock.  No lock is held during S3 requests or file I/O (but the
 * open, close and unlink of staging files: writer.c open_common, wfile_free).
 *
 * Versions (all guarded by writer.lock): every change of a file's content
 * or attributes bumps version.  A PUT queued when version was v covers v
 * (queued = v).  An uploader reads version as v0 before it reads the
 * staging file, and on success sets landed = max(landed, v0): the object
 * holds at least what the file held at v0.  fsync of version v waits for
 * landed >= v.  A server-side copy is a version of its own
 * (copy_version); fetching its bytes to change them (materialize) is not:
 * they are the copy's.  The COPY's landing counts off the file it names
 * (copies, ops) and, the last of them, sets landed = copy_version, even
 * if the file has bytes of its own by then.  A wfile goes (and its staging file with it) when nobody
 * has it open, no PUT or copy for it is in the journal (nor the COPY of a
 * rename of it: until that lands, S3 has nothing or another file under
 * its new key, and reads must stay on the staged bytes), nothing uploads
 * it and landed >= version.
 */
#ifndef LM_WRITER_INT_H
#define LM_WRITER_INT_H

#include "writer.h"

#include <openssl/evp.h>
#include <pthread.h>

#include "lmfs.h"

#define WRITER_BUCKETS 1024
/* A journal op waits config.upload_delay seconds (default 1) before an
 * uploader takes it, unless an fsync or unmount waits: a file closed twice
 * in a row (shells dup and close), rsync's rename of its temporary file and
 * the checksum of a file just read all settle first, so one upload (or a
 * copy) does the job. */

struct wfile {
	struct wfile *next;		/* hash chain; writer.lock */
	uint64_t ino;
	/* writer.lock: */
	int refs;
	int opens;
	int fd;				/* staging file; -1: none (copy pending);
					   changed under hlock too */
	uint64_t size;
	int64_t mtime;
	uint32_t mode;
	int64_t uid, gid;
	int tree;
	char *key;
	uint64_t version, queued, landed;
	int ops;			/* journal ops this file waits for */
	int copies;			/* of ops: COPYs that write its bytes (a
					   cp, a replayed copy or rename) */
	uint64_t copy_version;		/* the version the last of them writes */
	int renames;			/* COPYs of a rename onto its key not
					   landed: reads stay on the staged bytes */
	int puts_waiting;		/* PUTs queued that no uploader took yet:
					   a later change needs no PUT of its own */
	int syncing;			/* fsyncs waiting for this file */
	int uploading;			/* uploads reading the staging file */
	unsigned fails;			/* uploads of it that failed: fsync's
					   measure of an endpoint gone */
	int unlinked;
	int copying;			/* reads go to src */
	int lazy;			/* src is this file's own object, opened
					   for writing but not written yet */
	struct index_entry src;
	/* hlock (whash.c): bytes [0, seq_end) were written in order, and
	 * sha holds the sha256 of [0, hashed), hashed <= seq_end; hash_ok
	 * is 0 once anything else happened (a write elsewhere, a shrink) */
	pthread_mutex_t hlock;
	EVP_MD_CTX *sha;
	uint64_t hashed, seq_end;
	int hash_ok;
};

struct writer {
	struct lmfs *fs;
	struct journal *j;
	char *staging;			/* CACHE_DIR/staging */
	pthread_mutex_t lock;		/* see the top */
	pthread_cond_t work;		/* the journal grew, or stopping */
	pthread_cond_t changed;		/* an op ended: fsync and drains wait */
	struct wfile *buckets[WRITER_BUCKETS];
	pthread_t *threads;
	unsigned nthreads;
	pthread_t hasher;
	int has_hasher;
	pthread_cond_t hash_work;	/* a sequential writer got ahead */
	int stopping;
	int urgent;			/* fsyncs waiting: no upload delay */
	struct writer_stats st;		/* dirty, journal: computed on demand */
};

/* writer.c */
struct wfile *wfile_lookup(struct writer *w, uint64_t ino);	/* w->lock held */
void wfile_ref(struct wfile *wf);				/* w->lock held */
/* Close and free wf; its staging file stays (writer_stop, wfile_free). */
void wfile_destroy(struct wfile *wf);
/* Drop a reference (w->lock held); frees and unlinks when due. */
void wfile_unref(struct writer *w, struct wfile *wf);
/* Take wf out of the table when nothing needs it any more (w->lock held). */
void wfile_maybe_retire(struct writer *w, struct wfile *wf);
int wfile_staging_path(struct writer *w, uint64_t ino, char *buf, size_t len);
/* A wfile for a PUT a previous run queued, from its staging file; none
 * when that file is gone (-ENOENT): the PUT landed, or the file was
 * unlinked, and the PUT is moot. */
int wfile_adopt(struct writer *w, uint64_t ino, int tree, const char *key);
/* At start, a cp's COPY still in the journal: until it lands, reads of ino
 * go to src (pinned to src_etag) and its size is size. */
int wfile_adopt_copy(struct writer *w, uint64_t ino, int tree, const char *key,
		     const struct index_entry *src, const char *src_etag, uint64_t size);
/* whash.c: the running sha256 of files written in order.  The hasher
 * thread reads them back from the page cache behind the writer, on
 * another core; wfile_hash finishes the rest. */
int whash_start(struct writer *w);
void whash_stop(struct writer *w);
/* After a write of n bytes at off: 1 when the hasher should be woken. */
int whash_wrote(struct wfile *wf, uint64_t off, uint64_t n);
void whash_kick(struct writer *w);
/* After a truncate to size (0 starts a new hash).  0 or -ENOMEM. */
int whash_truncated(struct wfile *wf, uint64_t size);
/* The sha256 (hex) of wf's first size bytes, when they were written in
 * order (hashing what is left of them): 1, else 0. */
int wfile_hash(struct wfile *wf, uint64_t size, char hex[65]);

/* wrekey.c: a rename's COPY op (staged: the file's inode) landed, or was
 * found done already: the wfile writer_renamed held may go. */
void writer_rename_landed(struct writer *w, const struct journal_op *op);

/* upload.c */
int upload_start(struct writer *w, unsigned n);
void upload_stop(struct writer *w);
/* The config tree holding (source name, key), or -1. */
int upload_tree_of(struct lmfs *fs, const char *source, const char *key);

/* wreplay.c: at start, give the index the renames and removals an earlier
 * run journaled but did not get to record in the index. */
void writer_replay_index(struct writer *w);
/* At start, a PUT for each staging file no journal op names (written, not
 * closed); staging files of no file are removed. */
void writer_replay_staged(struct writer *w);

#endif
