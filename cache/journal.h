/*
 * journal: the write-back journal, the S3 writes lakemount owes.  A change
 * made through the mount is first recorded here (a PUT of a staged file, a
 * server-side COPY, a DELETE, a metadata update), and the call that made it
 * returns once the record is on disk; uploaders then claim the records, do
 * them against S3, and mark them done or failed.  After a crash or a power
 * cut every record is replayed, so each must be idempotent (PUT, COPY and
 * DELETE of S3 are).
 *
 * Ordering: an op waits for every older op that touches one of its paths
 * ((source,key), and (src_source,src_key) for a COPY), so per path the ops
 * apply in the order they were added, and ops on unrelated paths run in
 * parallel.
 *
 * Thread safety: every call may come from any thread; the journal
 * serialises them on its own mutex (one SQLite connection, prepared
 * statements).  Claims are held in memory and are the journal's, not a
 * thread's: any thread may finish an op another claimed.
 *
 * Errors: a call that returns -1 leaves a message for journal_errmsg().
 */
#ifndef LM_JOURNAL_H
#define LM_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

enum journal_kind {
	JOURNAL_PUT = 1,	/* upload staged (or an empty body) to (source,key),
				   with mode/uid/gid/mtime as metadata */
	JOURNAL_COPY = 2,	/* server-side copy (src_source,src_key), pinned to
				   src_etag ("" = unpinned), onto (source,key) */
	JOURNAL_DELETE = 3,	/* delete (source,key) */
	JOURNAL_META = 4,	/* copy (source,key) onto itself with new
				   mode/uid/gid/mtime */
};

/* One op.  For journal_add the caller fills it: NULL strings mean "", and
 * id, tries, error and created are ignored.  Ops the journal hands out own
 * their strings: journal_op_release(). */
struct journal_op {
	int64_t id;		/* grows with every op added; never reused */
	enum journal_kind kind;
	char *source;		/* the config's name for a bucket/endpoint */
	char *key;		/* the S3 key written or deleted; never "" */
	char *src_source;	/* COPY only */
	char *src_key;		/* COPY: never ""; the other kinds: "" */
	char *src_etag;		/* COPY only; "" = copy whatever is there */
	char *staged;		/* PUT: the staged file's name, resolved by the
				   caller; "" = an empty body (a "dir/" marker).
				   COPY of a rename, or the DELETE after a PUT
				   rekeyed by journal_rename: the inode number
				   of the file renamed; COPY of a cp: of the
				   file copied into; "INO:LEN" for a
				   directory, LEN its old prefix's length
				   (fs/wreplay.c reads them; "" in older
				   journals) */
	uint64_t size;		/* PUT: the staged file's size */
	char sha256[65];	/* PUT: hex digest of the body, or "" */
	uint32_t mode, uid, gid;
	int64_t mtime;		/* seconds since the epoch */
	int tries;		/* failures so far (journal_retry) */
	char *error;		/* the last failure's message, or "" */
	int64_t created;	/* when it was added (seconds since the epoch) */
};

/* Free op's strings and zero it.  NULL and zeroed ops are fine. */
void journal_op_release(struct journal_op *op);

struct journal;

/* Open (creating if needed) the journal at path: WAL mode, and every
 * journal_add that returned survives a power cut.  Returns 0, or -1 with a
 * message naming the file in err: it cannot be opened, it is not a journal
 * (the file is then left alone), or it is a journal of another version
 * (never rebuilt: it holds writes not yet uploaded). */
int journal_open(const char *path, struct journal **out, char *err, size_t errlen);
/* Close j (NULL is fine); claims not finished are dropped, and their ops
 * will be claimed again after the next open. */
void journal_close(struct journal *j);

/* The message of the calling thread's last failed journal call (j may be
 * NULL: messages are per thread, so threads do not overwrite each other's). */
const char *journal_errmsg(struct journal *j);
/* Whether this thread's last failed journal call failed for want of disk
 * space (SQLITE_FULL): the caller answers ENOSPC, not EIO. */
int journal_err_nospace(void);

/* Add n ops in one transaction: all or none are stored.  ids (may be NULL)
 * gets the new ids, in order.  Returns 0 once the ops are on disk, or -1
 * with nothing stored (also when an op has an unknown kind or an empty
 * key, or is a COPY without src_key, or another kind with one). */
int journal_add(struct journal *j, const struct journal_op *ops, size_t n, int64_t *ids);

/* Claim the oldest runnable op: not claimed, created <= not_after
 * (INT64_MAX: no delay), and no older op (claimed or not) touches one of
 * its paths.  Returns 1 with op filled (the caller releases it, and must
 * end the claim with journal_done or journal_retry), 0 when no op is
 * runnable now (op zeroed), -1 on error. */
int journal_claim(struct journal *j, int64_t not_after, struct journal_op *op);

/* The claimed op id succeeded: its row is deleted.  0, or -1 (also when id
 * is not claimed). */
int journal_done(struct journal *j, int64_t id);

/* The claimed op id failed: it is pending again, in its place in the
 * order, with tries + 1 and error (NULL: "") stored.  The next claim may
 * return it at once: backing off is the caller's business.  0 or -1. */
int journal_retry(struct journal *j, int64_t id, const char *error);

/* A rename of a file never uploaded: if the only op touching (source,from)
 * is one unclaimed PUT that never ran (no failed try, not from an earlier
 * run) and no op touches (source,to), that PUT's key becomes `to` and 1 is
 * returned.  Otherwise nothing changes: 0.  -1 on
 * error. */
int journal_rekey(struct journal *j, const char *source, const char *from, const char *to);

/* Delete the unclaimed PUT and META ops of (source,key), but those a
 * later COPY reads from (the copy needs them).  Returns how many were
 * deleted, or -1. */
int journal_drop_puts(struct journal *j, const char *source, const char *key);

/* An unlink of (source,key), in one transaction: journal_drop_puts, then
 * a DELETE of key.  Returns how many ops were dropped, or -1 with nothing
 * changed. */
int journal_unlink(struct journal *j, const char *source, const char *key);

/* A rename of the file (source,from) to (source,to), in one transaction,
 * so that a crash leaves all of it or nothing.  With replace (a file at
 * `to` is renamed over), that file's ops go as journal_drop_puts drops
 * them (*dropped gets how many); no DELETE of `to` is added: what follows
 * writes it whole.  Then either the PUT that alone touches `from` moves to
 * `to` as journal_rekey moves it, and a DELETE of `from` (staged = ino)
 * follows (returns 1), or a COPY from -> to (src_etag "", staged = ino, the renamed file's
 * inode number, for the replay at the next mount) and a DELETE of `from`
 * are added (returns 0).  -1 on error, nothing changed. */
int journal_rename(struct journal *j, const char *source, const char *from, const char *to,
		   int replace, const char *ino, int *dropped);

/* The number of ops, claimed or not, or -1. */
int64_t journal_count(struct journal *j);

/* 1 when an op added after op id deletes (source,key) or copies onto it
 * (a rename or a cp over it): what is at that key now is another file, or
 * a later content of it, not what op id wrote.  0, or -1 on error. */
int journal_replaced_later(struct journal *j, int64_t id, const char *source, const char *key);

/* The number of ops, claimed or not, that write (source,key) or copy from
 * it; with prefix, those whose key or src_key starts with key (byte for
 * byte: "a/" matches "a/b", not "a" nor "a0").  -1 on error. */
int journal_pending(struct journal *j, const char *source, const char *key, int prefix);

/* The number of ops that write (source,key) and no uploader has claimed
 * (a claimed one is being done), or -1. */
int journal_waiting(struct journal *j, const char *source, const char *key);

/* Whether (source,key) is on its way out of S3: 1 when the newest op
 * writing it is a DELETE (a listing or a lookup that still finds it must
 * not bring it back), else 0.  With prefix, the number of DELETEs of keys
 * under key (as journal_pending matches them).  -1 on error. */
int journal_deleting(struct journal *j, const char *source, const char *key, int prefix);

/* Call fn for every op in id order, claimed or not; fn returns 0 to go on,
 * anything else to stop.  The op's strings live until fn returns.  fn must
 * not call the journal (such a call fails).  Returns 0 or -1. */
int journal_each(struct journal *j, int (*fn)(void *arg, const struct journal_op *op),
		 void *arg);

#endif
