/*
 * writer: the write path's file contents and their way to S3.
 *
 * A file written through the mount has a wfile: its bytes in a staging
 * file under CACHE_DIR/staging (named by inode number), its size, time
 * and mode, and version counters that tell fsync what has landed.
 * Closing a changed file queues a PUT in the journal (cache/journal.h);
 * uploader threads (upload.c) apply the journal in order and, once a
 * file's last PUT has landed and nobody has it open, the wfile goes and
 * the file is read from S3 (and the block cache) like any other.
 *
 * Nothing here includes FUSE headers; errors are negative errnos.
 */
#ifndef LM_WRITER_H
#define LM_WRITER_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "index.h"
#include "journal.h"

struct lmfs;
struct wfile;

/* How long an unmount waits for the journal to drain, at most (seconds);
 * it gives up sooner when the endpoint takes nothing for io_timeout. */
#define WRITER_UNMOUNT_WAIT 3600

/* Open the journal and the staging directory under the cache dir, take
 * back the staged files of PUTs a previous run left (replay) and start the
 * uploaders.  Returns 0 or -1 with a message in err. */
int writer_start(struct lmfs *fs, char *err, size_t errlen);
/* Stop taking work, wait (up to wait_s seconds, with progress in the log)
 * for the journal to drain, stop the uploaders.  What is left stays in the
 * journal for the next mount, and the log says so. */
void writer_stop(struct lmfs *fs, unsigned wait_s);

/* The wfile of ino, referenced (writer_put), or NULL. */
struct wfile *writer_find(struct lmfs *fs, uint64_t ino);
/* The wfile of e, made if needed: with its current content (downloaded
 * when the file exists in S3 only), or empty with trunc.  Referenced and
 * counted as open (writer_close).  0 or a negative errno. */
int writer_open(struct lmfs *fs, const struct index_entry *e, int trunc, struct wfile **out);
/* A new, empty file (create) with the row ino. */
int writer_create(struct lmfs *fs, const struct index_entry *e, struct wfile **out);
/* Undo writer_open / writer_create: queue a PUT if the file changed. */
int writer_close(struct lmfs *fs, struct wfile *wf);
void writer_put(struct lmfs *fs, struct wfile *wf);
/* A referenced wfile that counts as open, for an open of a file that
 * already has one. */
void writer_reopen(struct lmfs *fs, struct wfile *wf);

ssize_t writer_pread(struct lmfs *fs, struct wfile *wf, void *buf, size_t size, off_t off);
ssize_t writer_pwrite(struct lmfs *fs, struct wfile *wf, const void *buf, size_t size,
		      off_t off);
int writer_truncate(struct lmfs *fs, struct wfile *wf, uint64_t size);
/* chmod/chown/utimens of a file with a wfile; mode 0 / uid -1 / gid -1 /
 * mtime -1 leave that one alone.  Returns 1 when the file's bytes are still
 * the object's own (opened for writing, not written): the caller changes
 * the object's metadata as for a clean file. */
int writer_set_meta(struct lmfs *fs, struct wfile *wf, uint32_t mode, int64_t uid,
		     int64_t gid, int64_t mtime);
/* Queue a PUT now if the file changed (flush); fsync: then wait until what
 * it holds is in S3.  0 or a negative errno (-EIO: the upload failed or the
 * endpoint stayed away past the I/O timeout; -EINTR: *stop became nonzero,
 * which another thread sets and then calls writer_wake).  stop may be
 * NULL. */
int writer_flush(struct lmfs *fs, struct wfile *wf);
int writer_fsync(struct lmfs *fs, struct wfile *wf, const int *stop);
/* Wake the waits of writer_fsync, to look at their stop. */
void writer_wake(struct lmfs *fs);
/* Wait until the journal holds nothing for (tree, key) (prefix: nothing
 * under it), up to the I/O timeout.  0 or -EIO. */
int writer_wait_key(struct lmfs *fs, int tree, const char *key, int prefix);

/* Write object e (whole, pinned to e->etag) into fd from offset 0.  0 or
 * a negative errno. */
int writer_download(struct lmfs *fs, const struct index_entry *e, int fd);

/* Overlay what the wfile knows (size, time, mode, owner) on st. */
void writer_stat(struct lmfs *fs, struct wfile *wf, struct stat *st);
/* The tree, key (malloc'd), size and inode of wf.  0 or -ENOMEM. */
int writer_target(struct lmfs *fs, struct wfile *wf, int *tree, char **key, uint64_t *size,
		  uint64_t *ino);
/* Files under a renamed directory: keys from old (a prefix) to new. */
void writer_rekey_prefix(struct lmfs *fs, int tree, const char *old, const char *new_);
/* The file's key changed (rename). */
int writer_rekey(struct lmfs *fs, struct wfile *wf, int tree, const char *key);
/* A COPY of the file to its new key was queued (a rename): its wfile,
 * whose staged bytes reads use, stays until the COPY lands (S3 has
 * nothing, or the file renamed over, under the new key until then: a cp
 * right after the rename read the old file, t0610). */
void writer_renamed(struct lmfs *fs, struct wfile *wf);
/* Its queued PUT was moved to the new key (journal_rename): what landed
 * under the old one does not count, the PUT must run (an upload that had
 * landed made it moot, and the DELETE of the old key lost the file). */
void writer_put_moved(struct lmfs *fs, struct wfile *wf);
/* The file was unlinked and `dropped` of its queued PUTs taken out of the
 * journal: its staged bytes go once nobody has it open. */
void writer_unlinked(struct lmfs *fs, struct wfile *wf, int dropped);
/* A server-side copy of src (whole) is queued for this empty file: reads
 * see src's bytes until it lands or the file is written. */
int writer_copy_pending(struct lmfs *fs, struct wfile *wf, const struct index_entry *src);
/* For reads of a wfile whose copy has not landed: the source row (filled,
 * release it), 1 when it has content of its own. */
int writer_copy_source(struct lmfs *fs, struct wfile *wf, struct index_entry *src);
/* The journal, for the namespace operations (wnames.c). */
struct journal *writer_journal(struct lmfs *fs);
/* Wake the uploaders: something was added to the journal. */
void writer_kick(struct lmfs *fs);

/* Counters for the stats: files with changes not yet in S3, journal
 * length, uploads under way, staged bytes. */
struct writer_stats {
	uint64_t dirty, journal, uploading, staged_bytes, bytes_up, copies, dedups;
};
void writer_stats(struct lmfs *fs, struct writer_stats *out);

#endif
