#include "verify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lmfs.h"
#include "log.h"
#include "reader.h"

static int wants_check(struct lmfs *fs, int tree, const char *key)
{
	const struct config_tree *t = lmfs_tree(fs, tree);
	size_t n = strlen(key);

	return t && t->checksums == CONFIG_CHECKSUMS_SIDECAR_SHA256 && n > 4 &&
	       !strcmp(key + n - 4, ".zip");
}

static int get_state(struct lmfs *fs, const char *obj, char *val, size_t len)
{
	char name[BLOCKS_ID_LEN + 8];

	snprintf(name, sizeof(name), "chk:%s", obj);
	return index_meta_get(fs->ix, name, val, len);
}

static void set_state(struct lmfs *fs, const char *obj, const char *val)
{
	char name[BLOCKS_ID_LEN + 8];

	snprintf(name, sizeof(name), "chk:%s", obj);
	index_meta_set(fs->ix, name, val);
}

/* SHA-256 of every cached block of obj, in hex.  -1 if one is missing. */
static int hash_object(struct lmfs *fs, const char *obj, uint64_t size, char hex[65])
{
	uint32_t bs = blocks_block_size(fs->blocks);
	uint64_t nblocks = (size + bs - 1) / bs, b;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *buf = malloc(bs);
	int rc = -1;

	if (!ctx || !buf || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto out;
	for (b = 0; b < nblocks; b++) {
		ssize_t n = blocks_get(fs->blocks, obj, b, buf, bs);

		if (n < 0 || !EVP_DigestUpdate(ctx, buf, (size_t)n))
			goto out;
	}
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen))
		goto out;
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	rc = 0;
out:
	free(buf);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* sidecar(): the sidecar whole in the reader's memory or the cache, after
 * its GET if one is running: 1 and its bytes in buf, or 0. */
static int sidecar_held(struct lmfs *fs, const char *obj, uint64_t size, char *buf,
			size_t cap, size_t *got)
{
	ssize_t n = reader_peek(fs->reader, obj, 0, buf, cap);

	if (n != (ssize_t)size && reader_await(fs->reader, obj, 0))
		n = reader_peek(fs->reader, obj, 0, buf, cap);
	if (n != (ssize_t)size)
		return 0;
	*got = (size_t)n;
	return 1;
}

/* The hash X.zip.CHECKSUM names: 0, 1 when there is no sidecar, -1 when it
 * could not be read now.  A sidecar the index knows is read from the
 * reader's memory or the block cache when it is there, and put in the
 * cache when its GET brought it whole: `rsync` or `sha256sum -c` read it
 * too, and would GET it a second time.  Its GET is a flight of the reader
 * (reader_claim), so that one of them reading it meanwhile waits for it
 * rather than GET it too: `rsync` of the bench's 500 zips and their
 * sidecars, which reads X.zip.CHECKSUM as soon as X.zip is read, made 270
 * such second GETs.  When the reader's own GET of it is running, the
 * check waits for that (reader_await); when that fetch is still queued,
 * the check GETs it: waiting there could wait for a job queued behind
 * the very worker that waits. */
static int sidecar(struct lmfs *fs, struct s3_client *c, int tree, const char *key,
		   char want[65])
{
	char side[4096], buf[1024], obj[BLOCKS_ID_LEN + 1];
	/* A ranged read, so that a body cut short under a Content-Length
	 * that says so is caught against the Content-Range (s3_get). */
	struct s3_get_params g = { side, 0, sizeof(buf) - 1, NULL, buf, sizeof(buf) - 1,
				   NULL, NULL };
	struct s3_object_info info = { 0 };
	struct index_entry e = { 0 };
	struct flight *f = NULL;
	struct s3_error err;
	size_t got = 0, i;
	int known, rc = 0;

	snprintf(side, sizeof(side), "%s.CHECKSUM", key);
	known = index_find_key(fs->ix, tree, side, &e) == 0 && e.kind == INDEX_FILE &&
		e.etag[0] && e.size && e.size < sizeof(buf);
	if (known)
		lmfs_object_id(fs, &e, obj);
	if (!known || !sidecar_held(fs, obj, e.size, buf, sizeof(buf) - 1, &got)) {
		f = known ? reader_claim(fs->reader, obj, 0) : NULL;
		if (s3_get(c, &g, &got, &info, &err))
			/* 416: an empty sidecar, as unusable as none */
			rc = err.status == S3_ERR_NOT_FOUND || err.status == S3_ERR_RANGE ? 1 : -1;
		else if (known && got == e.size && info.size == e.size &&
			 !strcmp(info.etag, e.etag))
			blocks_put(fs->blocks, obj, 0, buf, got);
		reader_claim_end(fs->reader, f);
	}
	s3_object_info_release(&info);
	index_entry_release(&e);
	if (rc)
		return rc;
	for (i = 0; i < 64; i++) {
		char ch = i < got ? buf[i] : '\0';

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      (ch >= 'A' && ch <= 'F')))
			return 1;	/* not a sha256sum line: no usable sidecar */
		want[i] = (char)(ch >= 'A' && ch <= 'F' ? ch + 32 : ch);
	}
	want[64] = '\0';
	return 0;
}

/* Fetch the whole object into the block store again, part by part. */
static int refetch(struct lmfs *fs, struct s3_client *c, const char *key, const char *etag,
		   const char *obj, uint64_t size)
{
	uint32_t bs = blocks_block_size(fs->blocks);
	uint64_t part = (uint64_t)bs * 8, off;
	char *buf = malloc(part);
	int rc = -1;

	if (!buf)
		return -1;
	for (off = 0; off < size; off += part) {
		uint64_t len = size - off < part ? size - off : part, b;
		struct s3_get_params g = { key, off, len, etag, buf, part, NULL, NULL };
		struct s3_error err;
		size_t got = 0;

		if (s3_get(c, &g, &got, NULL, &err) || got != len)
			goto out;
		for (b = 0; b * bs < len; b++)
			blocks_put(fs->blocks, obj, off / bs + b, buf + b * bs,
				   len - b * bs < bs ? len - b * bs : bs);
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

static int policy_warns(struct lmfs *fs, int tree)
{
	return lmfs_tree(fs, tree)->checksums_policy == CONFIG_CHECKSUMS_POLICY_WARN;
}

int verify_after_fetch(struct lmfs *fs, struct s3_client *c, int tree, const char *key,
		       const char *etag, const char *obj, uint64_t size,
		       pthread_mutex_t *lock)
{
	char state[32], want[65], got[65], again[65];
	int rc = 0, refetched = 0;

	if (!wants_check(fs, tree, key) || blocks_cached_bytes(fs->blocks, obj) < size)
		return 0;
	pthread_mutex_lock(lock);
	if (get_state(fs, obj, state, sizeof(state)) == 0) {
		if (!strcmp(state, "mismatch") && !policy_warns(fs, tree))
			rc = -EBADMSG;
		goto out;
	}
	switch (sidecar(fs, c, tree, key, want)) {
	case 1:
		set_state(fs, obj, "none");
		/* fall through */
	case -1:
		goto out;
	}
	if (hash_object(fs, obj, size, got))
		goto out;	/* evicted meanwhile: checked on the next fetch */
	if (!strcmp(got, want)) {
		set_state(fs, obj, "ok");
		/* an upload of these bytes can be a server-side copy */
		index_content_add(fs->ix, got, size, tree, key, etag);
		goto out;
	}
	/* Once more from S3: the first copy may have been damaged on the way. */
	blocks_drop(fs->blocks, obj);
	refetched = 1;
	if (refetch(fs, c, key, etag, obj, size) || hash_object(fs, obj, size, again))
		goto out;
	if (!strcmp(again, want)) {
		set_state(fs, obj, "ok");
		index_content_add(fs->ix, again, size, tree, key, etag);
		goto out;
	}
	set_state(fs, obj, "mismatch");
	log_error(LOG_FIELDS(LF_STR("source", lmfs_source_name(fs, tree)),
			     LF_STR("bucket", s3_client_bucket(c)), LF_STR("key", key),
			     LF_STR("sha256", again), LF_STR("expected", want),
			     LF_STR("policy", policy_warns(fs, tree) ? "warn" : "enforce")),
		  "checksum mismatch: 's3://%s/%s' hashes to %s but %s.CHECKSUM says %s%s",
		  s3_client_bucket(c), key, again, key, want,
		  policy_warns(fs, tree) ? " (served: checksums_policy is \"warn\")" : "");
	if (!policy_warns(fs, tree))
		rc = -EBADMSG;
out:
	pthread_mutex_unlock(lock);
	return rc ? rc : refetched ? -EAGAIN : 0;
}

int verify_refuses(struct lmfs *fs, const struct index_entry *e, const char *obj)
{
	char state[32];

	if (!wants_check(fs, e->tree, e->key) || policy_warns(fs, e->tree))
		return 0;
	return get_state(fs, obj, state, sizeof(state)) == 0 && !strcmp(state, "mismatch");
}

const char *verify_state(struct lmfs *fs, const struct index_entry *e, const char *obj)
{
	char state[32];

	if (e->kind != INDEX_FILE || !wants_check(fs, e->tree, e->key))
		return "none";
	if (get_state(fs, obj, state, sizeof(state)))
		return "unverified";
	return !strcmp(state, "ok") ? "ok" : !strcmp(state, "mismatch") ? "mismatch" : "none";
}
