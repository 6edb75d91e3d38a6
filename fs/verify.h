/*
 * verify: the sidecar checksums of archive zips ("checksums":
 * "sidecar-sha256" on a tree entry).  Every X.zip of the Binance archive has
 * a sibling X.zip.CHECKSUM holding what `sha256sum X.zip` prints.
 *
 * The state of an object version is kept in the index (meta
 * "chk:<object id>": "ok", "mismatch" or "none" when there is no sidecar),
 * so it survives restarts and a republished object (new ETag, new id)
 * starts afresh.
 */
#ifndef LM_VERIFY_H
#define LM_VERIFY_H

#include <pthread.h>
#include <stdint.h>

#include "index.h"
#include "s3.h"

struct lmfs;

/* After blocks of an object were fetched: if the object is a zip of a
 * checked tree and now fully cached, check it (under lock).  Returns 0
 * (fine, or nothing to do), -EAGAIN (the blocks were fetched again after a
 * first mismatch: copies held in memory must go), or -EBADMSG (a confirmed
 * mismatch and the policy is "enforce": readers must get EIO). */
int verify_after_fetch(struct lmfs *fs, struct s3_client *c, int tree, const char *key,
		       const char *etag, const char *obj, uint64_t size,
		       pthread_mutex_t *lock);

/* Is opening e (its object id obj, lmfs_object_id) refused: a mismatch
 * was recorded and the policy enforces? */
int verify_refuses(struct lmfs *fs, const struct index_entry *e, const char *obj);

/* "ok", "mismatch", "unverified" or "none" for user.lakemount.checksum
 * (obj: e's object id, as for verify_refuses). */
const char *verify_state(struct lmfs *fs, const struct index_entry *e, const char *obj);

#endif
