/*
 * One file of `lakemount-ctl sync`: copy src to dst, S3 to S3.
 *
 * Design notes
 *  1. Direct, not through the journal: the client waits for the answer, and
 *     an interrupted sync is resumed by running it again, which skips what
 *     already landed (note 2).  Before copying, whatever the journal still
 *     holds for dst is waited for, so a queued upload cannot land on top.
 *  2. "Already there" means dst has src's size and content: the same ETag,
 *     or dst records src's ETag in x-amz-meta-lakemount-source-etag (set by
 *     every copy made here: a multipart source or a copy in parts gets an
 *     ETag of its own, so ETags alone would copy it again on every run), or
 *     both carry the same x-amz-meta-sha256.
 *  3. Same endpoint: CopyObject (UploadPartCopy for big objects), pinned to
 *     the ETag the source had when it was looked at.  Different endpoints:
 *     the bytes stream through a temporary file in the cache directory
 *     (writer_download, as a file opened for writing gets its object).
 *  4. The index learns dst (and any directory on the way) at once, so `ls`
 *     shows it without waiting for the parent's TTL.
 */
#include "ctl_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lmfs.h"
#include "wnames.h"
#include "writer.h"

#define SOURCE_ETAG "lakemount-source-etag"

/* Note 2. */
static int same_content(const struct s3_object_info *src, const struct s3_object_info *dst)
{
	const char *a = s3_object_meta(src, "sha256"), *b = s3_object_meta(dst, "sha256");
	const char *from = s3_object_meta(dst, SOURCE_ETAG);

	if (src->size != dst->size)
		return 0;
	return !strcmp(src->etag, dst->etag) || (from && !strcmp(from, src->etag)) ||
	       (a && b && !strcmp(a, b));
}

/* dst's parent directory row, walking (and, with make, recording in the
 * index) directories that S3 only implies.  *name points into dst. */
static int dst_parent(struct ctl *c, const char *dst, int make, struct index_entry *parent,
		      const char **name)
{
	const char *slash = strrchr(dst, '/');
	char *dirs = NULL, *comp, *save = NULL, key[4096];
	struct index_entry e;
	uint64_t ino = INDEX_ROOT_INO;
	int rc;

	*name = slash ? slash + 1 : dst;
	if (!**name || !strcmp(*name, ".") || !strcmp(*name, ".."))
		return -EINVAL;
	rc = index_get(c->fs->ix, INDEX_ROOT_INO, parent) ? -EIO : 0;
	if (rc || !slash)
		return rc;
	dirs = strndup(dst, (size_t)(slash - dst));
	if (!dirs)
		return -ENOMEM;
	for (comp = strtok_r(dirs, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		if (!strcmp(comp, ".") || !strcmp(comp, "..")) {
			rc = -EINVAL;
			break;
		}
		snprintf(key, sizeof(key), "%s%s/", parent->key, comp);
		rc = dir_lookup(c->fs, ino, comp, &e);
		if (rc == -ENOENT && parent->tree >= 0 && make) {
			struct index_child ch = { comp, INDEX_DIR, key, 0, "", time(NULL) };

			rc = index_put(c->fs->ix, ino, &ch, NULL) ||
			     index_lookup(c->fs->ix, ino, comp, &e) ? -EIO : 0;
		} else if (rc == -ENOENT && parent->tree >= 0) {
			/* a dry run: what the row would be */
			memset(&e, 0, sizeof(e));
			e.name = strdup(comp);
			e.key = strdup(key);
			e.kind = INDEX_DIR;
			e.tree = parent->tree;
			rc = e.name && e.key ? 0 : -ENOMEM;
			if (rc)
				index_entry_release(&e);
		}
		if (rc)
			break;
		index_entry_release(parent);
		*parent = e;
		if (parent->kind != INDEX_DIR) {
			rc = -ENOTDIR;
			break;
		}
		ino = parent->ino;
	}
	free(dirs);
	return rc;
}

/* Note 3, across endpoints: GET into a temporary file, then upload it. */
static int stream_copy(struct ctl *c, const struct index_entry *se, struct s3_client *to,
		       const struct s3_object_info *si, const char *dst_key,
		       const struct s3_put_opts *po, char etag[S3_ETAG_MAX], char *msg, size_t mlen)
{
	struct index_entry src = *se;
	struct s3_error err;
	char tmp[4200];
	void *map = MAP_FAILED;
	int fd, rc;

	snprintf(tmp, sizeof(tmp), "%s/ctl-copy-XXXXXX", c->fs->cfg->cache_dir);
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(msg, mlen, "temporary file: %s", strerror(errno));
		return -EIO;
	}
	unlink(tmp);
	/* the version looked at, not the one the index may still name */
	snprintf(src.etag, sizeof(src.etag), "%s", si->etag);
	src.size = si->size;
	rc = writer_download(c->fs, &src, fd);
	if (rc) {
		snprintf(msg, mlen, "download: %s", strerror(-rc));
		goto out;
	}
	if (si->size) {
		map = mmap(NULL, si->size, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			snprintf(msg, mlen, "temporary file: %s", strerror(errno));
			rc = -EIO;
			goto out;
		}
	}
	if (s3_upload(to, dst_key, map == MAP_FAILED ? "" : map, si->size, po, etag, &err)) {
		s3_error_format(&err, msg, mlen);
		rc = -lmfs_errno(&err);
	}
out:
	if (map != MAP_FAILED)
		munmap(map, si->size);
	close(fd);
	return rc;
}

/* src's current metadata plus the note-2 record of its ETag. */
static size_t copy_meta(const struct s3_object_info *si, struct s3_meta *out)
{
	size_t i, n = 0;

	for (i = 0; i < si->nmeta && n < S3_MAX_META - 1; i++)
		if (strcmp(si->meta[i].name, SOURCE_ETAG))
			out[n++] = si->meta[i];
	out[n].name = (char *)SOURCE_ETAG;
	out[n++].value = (char *)si->etag;
	return n;
}

json_t *ctl_cmd_copy(struct ctl_req *r, json_t *req)
{
	struct ctl *c = r->c;
	struct lmfs *fs = c->fs;
	const char *src = json_string_value(json_object_get(req, "src"));
	const char *dst0 = json_string_value(json_object_get(req, "dst")), *name, *method;
	int dry = json_is_true(json_object_get(req, "dry_run")), rc, server;
	struct index_entry se = { 0 }, parent = { 0 };
	struct s3_object_info si = { 0 }, di = { 0 };
	struct s3_meta meta[S3_MAX_META];
	struct s3_put_opts po = { 0 };
	struct s3_client *from, *to;
	struct s3_error err;
	const char *dst = dst0;
	char key[4096], etag[S3_ETAG_MAX] = "", msg[600] = "";
	json_t *ans = NULL;

	if (!src || !dst)
		return ctl_fail(EINVAL, "copy needs \"src\" and \"dst\"");
	rc = ctl_resolve(c, src, &se);
	if (rc || se.kind != INDEX_FILE || se.tree < 0) {
		ans = ctl_fail(rc ? -rc : EISDIR, "%s: %s", src,
			       rc ? strerror(-rc) : "not a file in S3");
		goto out;
	}
	rc = dst_parent(c, dst, 0, &parent, &name);
	if (!rc && (parent.tree < 0 || wn_writable(fs, parent.tree)))
		rc = -EROFS;
	if (rc) {
		ans = ctl_fail(-rc, "%s: %s", dst0, strerror(-rc));
		goto out;
	}
	snprintf(key, sizeof(key), "%s%s", parent.key, name);
	from = lmfs_client(fs, se.tree);
	to = lmfs_client(fs, parent.tree);
	server = lmfs_same_endpoint(fs, fs->cfg->tree[se.tree].source,
				    fs->cfg->tree[parent.tree].source);
	method = server ? "server" : "stream";
	if (s3_head(from, se.key, &si, &err)) {
		s3_error_format(&err, msg, sizeof(msg));
		ans = ctl_fail(lmfs_errno(&err), "%s: %s", src, msg);
		goto out;
	}
	/* Note 1: a queued upload of dst lands first. */
	if (!dry && writer_wait_key(fs, parent.tree, key, 0)) {
		ans = ctl_fail(EIO, "%s: changes to it are still waiting to be uploaded", dst0);
		goto out;
	}
	rc = s3_head(to, key, &di, &err);
	if (rc && err.status != S3_ERR_NOT_FOUND) {
		s3_error_format(&err, msg, sizeof(msg));
		ans = ctl_fail(lmfs_errno(&err), "%s: %s", dst0, msg);
		goto out;
	}
	if (!rc && same_content(&si, &di)) {
		ans = json_pack("{s:b,s:s,s:n,s:I}", "ok", 1, "result", "skipped", "method",
				"bytes", (json_int_t)si.size);
		goto out;
	}
	if (dry) {
		ans = json_pack("{s:b,s:s,s:s,s:I}", "ok", 1, "result", "would_copy", "method",
				method, "bytes", (json_int_t)si.size);
		goto out;
	}
	po.content_type = si.content_type[0] ? si.content_type : NULL;
	po.meta = meta;
	po.nmeta = copy_meta(&si, meta);
	if (server) {
		struct s3_copy_opts co = { fs->cfg->sources[fs->cfg->tree[se.tree].source].bucket,
					   1, po.content_type, meta, po.nmeta, si.etag };

		rc = s3_copy(to, se.key, key, &co, etag, &err) ? -lmfs_errno(&err) : 0;
		if (rc)
			s3_error_format(&err, msg, sizeof(msg));
	} else {
		rc = stream_copy(c, &se, to, &si, key, &po, etag, msg, sizeof(msg));
	}
	if (rc) {
		ans = ctl_fail(-rc, "%s -> %s: %s", src, dst0, msg);
		goto out;
	}
	/* Note 4. */
	index_entry_release(&parent);
	if (dst_parent(c, dst, 1, &parent, &name) == 0) {
		struct index_child ch = { name, INDEX_FILE, key, si.size, etag, time(NULL) };

		index_put(fs->ix, parent.ino, &ch, NULL);
	}
	ans = json_pack("{s:b,s:s,s:s,s:I}", "ok", 1, "result", "copied", "method", method,
			"bytes", (json_int_t)si.size);
out:
	s3_object_info_release(&si);
	s3_object_info_release(&di);
	index_entry_release(&se);
	index_entry_release(&parent);
	return ans;
}
