/*
 * Multipart uploads and server-side copies.
 *
 * Notes
 *  1. CopyObject, UploadPartCopy and CompleteMultipartUpload may answer
 *     200 OK with an <Error> body (the server committed to 200 before the
 *     work was done); body_error() turns that into a failure, retryable when
 *     the code says so.
 *  2. Ceph RGW 16 answers CompleteMultipartUpload with an empty <ETag>: the
 *     ETag is then read with HEAD.
 *  3. A retried Complete or Abort whose first attempt did reach the server
 *     finds the upload gone (NoSuchUpload).  For Complete that is success
 *     when the object now has a multipart ETag of as many parts; for Abort
 *     it is success.
 *  4. Parts run in parallel, at most part_parallel at once, each its own
 *     heap-allocated op freed by its completion (parallel_* below).
 *  5. A copy must come from one version of the source.  The conditional
 *     header x-amz-copy-source-if-match says so to the server, but RGW 16
 *     ignores it and Swift's s3api refuses it for multipart ETags ("-N"),
 *     so it is sent only for plain ETags, and a copy in parts checks the
 *     source's ETag again at the end: if it changed, the copy is deleted
 *     and the call fails with PreconditionFailed.
 */
#include "s3_op.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "uri.h"

static int body_error(struct s3_op *op)
{
	struct s3_error e;
	int transient;

	s3_error_clear(&e);
	if (xml_parse_error(strbuf_str(&op->resp), op->resp.len, &e))
		return 0;
	transient = !strcmp(e.code, "InternalError") || !strcmp(e.code, "SlowDown") ||
		    !strcmp(e.code, "ServiceUnavailable");
	s3_error_from_http(&op->err, transient ? 500 : 400, e.code, e.message);
	op->err.http_status = 200;
	return -1;
}

static void nomem(struct s3_error *err)
{
	s3_error_set(err, S3_ERR_NOMEM, "");
}

int s3_mpu_create(struct s3_client *c, const char *key, const struct s3_put_opts *o,
		  char **upload_id, struct s3_error *err)
{
	static const struct uri_param q[] = { { "uploads", NULL } };
	struct s3_op op;
	char id[1024];
	int rc = -1;

	*upload_id = NULL;
	s3_op_init(&op, c, "POST", key);
	if (s3_op_queries(&op, q, 1) ||
	    (o && s3_op_put_headers(&op, o->content_type, o->meta, o->nmeta))) {
		nomem(err);
		goto out;
	}
	if (s3_op_run(&op, err))
		goto out;
	if (xml_find_text(strbuf_str(&op.resp), op.resp.len, "UploadId", id, sizeof(id)) <= 0) {
		s3_error_clear(err);
		err->status = S3_ERR_PROTOCOL;
		snprintf(err->message, sizeof(err->message), "no UploadId in the answer");
		goto out;
	}
	*upload_id = strdup(id);
	if (!*upload_id) {
		nomem(err);
		goto out;
	}
	rc = 0;
out:
	s3_op_release(&op);
	return rc;
}

/* Prepare the op of one part (upload or copy); the caller runs it. */
static int part_op_init(struct s3_op *op, struct s3_client *c, const char *key,
			const char *upload_id, unsigned number)
{
	char num[16];
	struct uri_param q[2] = { { "partNumber", num }, { "uploadId", upload_id } };

	snprintf(num, sizeof(num), "%u", number);
	s3_op_init(op, c, "PUT", key);
	return s3_op_queries(op, q, 2);
}

static int part_upload_init(struct s3_op *op, struct s3_client *c, const char *key,
			    const char *upload_id, unsigned number, const void *data,
			    size_t len)
{
	if (part_op_init(op, c, key, upload_id, number))
		return -1;
	s3_op_body(op, data, len);
	op->extra_deadline_ms = (long)(len >> 20) * 1000;
	return 0;
}

static int part_copy_init(struct s3_op *op, struct s3_client *c, const char *key,
			  const char *upload_id, unsigned number, const char *src_bucket,
			  const char *src_key, uint64_t off, uint64_t len, const char *if_match)
{
	struct strbuf src = STRBUF_INIT;
	int rc = -1;

	if (part_op_init(op, c, key, upload_id, number))
		goto out;
	if (strbuf_add(&src, "/", 1) ||
	    uri_encode(&src, src_bucket, strlen(src_bucket), 0) ||
	    strbuf_add(&src, "/", 1) || uri_encode(&src, src_key, strlen(src_key), 1))
		goto out;
	if (s3_op_header(op, "x-amz-copy-source", "%s", strbuf_str(&src)) ||
	    s3_op_header(op, "x-amz-copy-source-range", "bytes=%" PRIu64 "-%" PRIu64,
			 off, off + len - 1) ||
	    (if_match && !strchr(if_match, '-') &&
	     s3_op_header(op, "x-amz-copy-source-if-match", "\"%s\"", if_match)))
		goto out;
	op->on_success = body_error;
	op->copy_bytes = len;
	op->extra_deadline_ms = (long)(len >> 20) * 100;
	rc = 0;
out:
	strbuf_release(&src);
	return rc;
}

/* The ETag of a part: a header for UploadPart, the body for a copy. */
static void part_etag(struct s3_op *op, struct s3_part *part)
{
	char etag[S3_ETAG_MAX];

	if (op->info.etag[0]) {
		memcpy(part->etag, op->info.etag, S3_ETAG_MAX);
	} else if (xml_find_text(strbuf_str(&op->resp), op->resp.len, "ETag",
				 etag, sizeof(etag)) > 0) {
		s3_etag_copy(part->etag, etag);
	}
}

int s3_mpu_part(struct s3_client *c, const char *key, const char *upload_id,
		struct s3_part *part, const void *data, size_t len, struct s3_error *err)
{
	struct s3_op op;
	int rc = -1;

	if (part_upload_init(&op, c, key, upload_id, part->number, data, len)) {
		nomem(err);
		goto out;
	}
	rc = s3_op_run(&op, err);
	if (!rc)
		part_etag(&op, part);
out:
	s3_op_release(&op);
	return rc;
}

int s3_mpu_part_copy(struct s3_client *c, const char *key, const char *upload_id,
		     struct s3_part *part, const char *src_bucket, const char *src_key,
		     uint64_t off, uint64_t len, const char *if_match, struct s3_error *err)
{
	struct s3_op op;
	int rc = -1;

	if (part_copy_init(&op, c, key, upload_id, part->number,
			   src_bucket ? src_bucket : c->bucket, src_key, off, len, if_match)) {
		nomem(err);
		goto out;
	}
	rc = s3_op_run(&op, err);
	if (!rc)
		part_etag(&op, part);
out:
	s3_op_release(&op);
	return rc;
}

/* Does key now hold what a completion of n parts makes?  (Note 3.) */
static int completed_before(struct s3_client *c, const char *key, size_t n,
			    char etag[S3_ETAG_MAX])
{
	struct s3_object_info info = { 0 };
	struct s3_error e;
	char suffix[24];
	size_t el, sl;
	int rc = 0;

	snprintf(suffix, sizeof(suffix), "-%zu", n);
	if (s3_head(c, key, &info, &e) == 0) {
		el = strlen(info.etag);
		sl = strlen(suffix);
		if (el > sl && !strcmp(info.etag + el - sl, suffix)) {
			if (etag)
				memcpy(etag, info.etag, S3_ETAG_MAX);
			rc = 1;
		}
	}
	s3_object_info_release(&info);
	return rc;
}

int s3_mpu_complete(struct s3_client *c, const char *key, const char *upload_id,
		    const struct s3_part *parts, size_t n, char etag[S3_ETAG_MAX],
		    struct s3_error *err)
{
	struct uri_param q[1] = { { "uploadId", upload_id } };
	struct strbuf body = STRBUF_INIT;
	struct s3_object_info info = { 0 };
	struct s3_op op;
	char got[S3_ETAG_MAX];
	size_t i;
	int rc = -1;

	s3_op_init(&op, c, "POST", key);
	nomem(err);
	if (strbuf_adds(&body, "<CompleteMultipartUpload>"))
		goto out;
	for (i = 0; i < n; i++)
		if (strbuf_addf(&body, "<Part><PartNumber>%u</PartNumber><ETag>\"%s\"</ETag></Part>",
				parts[i].number, parts[i].etag))
			goto out;
	if (strbuf_adds(&body, "</CompleteMultipartUpload>") || s3_op_queries(&op, q, 1) ||
	    s3_op_header(&op, "Content-Type", "application/xml"))
		goto out;
	s3_op_body(&op, body.buf, body.len);
	op.on_success = body_error;
	if (s3_op_run(&op, err)) {
		if (err->status == S3_ERR_NOT_FOUND && err->attempts > 1 &&
		    completed_before(c, key, n, etag)) {
			s3_error_clear(err);
			rc = 0;
		}
		goto out;
	}
	got[0] = '\0';
	if (xml_find_text(strbuf_str(&op.resp), op.resp.len, "ETag", got, sizeof(got)) <= 0 ||
	    !got[0] || !strcmp(got, "\"\"")) {
		/* RGW 16: empty ETag in the answer (note 2). */
		if (s3_head(c, key, &info, err))
			goto out;
		memcpy(got, info.etag, S3_ETAG_MAX);
	}
	if (etag)
		s3_etag_copy(etag, got);
	rc = 0;
out:
	s3_object_info_release(&info);
	strbuf_release(&body);
	s3_op_release(&op);
	return rc;
}

int s3_mpu_abort(struct s3_client *c, const char *key, const char *upload_id,
		 struct s3_error *err)
{
	struct uri_param q[1] = { { "uploadId", upload_id } };
	struct s3_op op;
	int rc = -1;

	s3_op_init(&op, c, "DELETE", key);
	if (s3_op_queries(&op, q, 1)) {
		nomem(err);
		goto out;
	}
	rc = s3_op_run(&op, err);
	if (rc && err->status == S3_ERR_NOT_FOUND && err->attempts > 1) {
		s3_error_clear(err);	/* note 3: the first attempt did it */
		rc = 0;
	}
out:
	s3_op_release(&op);
	return rc;
}

/* ---- parts in parallel ---- */

struct part_job {
	struct s3_op op;
	struct s3_part *part;
	struct s3_group *g;
};

static void part_job_done(struct s3_op *op)
{
	struct part_job *j = (struct part_job *)op;
	struct s3_group *g = j->g;
	struct s3_error e = op->err;

	if (e.status == S3_OK)
		part_etag(op, j->part);
	s3_op_release(op);
	free(j);
	s3_group_done(g, &e);
}

/* Describe part i of the whole (upload or copy) into op. */
typedef int (*part_init_fn)(struct s3_op *op, void *arg, unsigned number,
			    uint64_t off, uint64_t len);

static int parallel_parts(struct s3_client *c, uint64_t total, struct s3_part *parts,
			  size_t n, part_init_fn init, void *arg, struct s3_error *err)
{
	struct s3_group g;
	size_t i;
	int rc = -1;

	s3_group_init(&g);
	for (i = 0; i < n; i++) {
		uint64_t off = (uint64_t)i * c->part_size;
		uint64_t len = total - off < c->part_size ? total - off : c->part_size;
		struct part_job *j;

		if (s3_group_wait(&g, c->part_parallel - 1))
			break;
		j = calloc(1, sizeof(*j));
		parts[i].number = (unsigned)i + 1;
		if (!j || init(&j->op, arg, parts[i].number, off, len)) {
			struct s3_error e;

			if (j) {
				s3_op_release(&j->op);
				free(j);
			}
			nomem(&e);
			s3_group_fail(&g, &e);
			break;
		}
		j->part = &parts[i];
		j->g = &g;
		j->op.complete = part_job_done;
		s3_group_start(&g, &j->op);
	}
	if (s3_group_wait(&g, 0) == 0)
		rc = 0;
	else
		*err = g.err;	/* no op runs any more: no lock needed */
	s3_group_release(&g);
	return rc;
}

struct upload_arg {
	struct s3_client *c;
	const char *key;
	const char *upload_id;
	const char *data;
};

static int upload_part_init(struct s3_op *op, void *arg, unsigned number,
			    uint64_t off, uint64_t len)
{
	struct upload_arg *u = arg;

	return part_upload_init(op, u->c, u->key, u->upload_id, number,
				u->data + off, (size_t)len);
}

struct copy_arg {
	struct s3_client *c;
	const char *key;
	const char *upload_id;
	const char *src_bucket;
	const char *src_key;
	const char *if_match;
};

static int copy_part_init(struct s3_op *op, void *arg, unsigned number,
			  uint64_t off, uint64_t len)
{
	struct copy_arg *a = arg;

	return part_copy_init(op, a->c, a->key, a->upload_id, number, a->src_bucket,
			      a->src_key, off, len, a->if_match);
}

/* Create, run the parts, complete; abort on any failure. */
static int multipart(struct s3_client *c, const char *key, const struct s3_put_opts *o,
		     uint64_t total, part_init_fn init, void *arg, const char **upload_id,
		     char etag[S3_ETAG_MAX], struct s3_error *err)
{
	size_t n = total ? (size_t)((total + c->part_size - 1) / c->part_size) : 1;
	struct s3_part *parts = NULL;
	struct s3_error ignored;
	char *id = NULL;
	int rc = -1;

	if (n > 10000) {
		s3_error_clear(err);
		err->status = S3_ERR_INVALID;
		snprintf(err->message, sizeof(err->message),
			 "object needs %zu parts (at most 10000): raise the part size", n);
		return -1;
	}
	parts = calloc(n, sizeof(*parts));
	if (!parts) {
		nomem(err);
		return -1;
	}
	if (s3_mpu_create(c, key, o, &id, err))
		goto out;
	*upload_id = id;
	if (parallel_parts(c, total, parts, n, init, arg, err) ||
	    s3_mpu_complete(c, key, id, parts, n, etag, err)) {
		s3_mpu_abort(c, key, id, &ignored);
		goto out;
	}
	rc = 0;
out:
	free(id);
	free(parts);
	return rc;
}

int s3_upload(struct s3_client *c, const char *key, const void *data, size_t len,
	      const struct s3_put_opts *o, char etag[S3_ETAG_MAX], struct s3_error *err)
{
	struct upload_arg u = { c, key, NULL, data };

	if (len <= c->multipart_threshold)
		return s3_put(c, key, data, len, o, etag, err);
	return multipart(c, key, o, len, upload_part_init, &u, &u.upload_id, etag, err);
}

static int copy_object(struct s3_client *c, const char *src_bucket, const char *src_key,
		       const char *dst_key, uint64_t size, const struct s3_copy_opts *o,
		       char etag[S3_ETAG_MAX], struct s3_error *err)
{
	struct strbuf src = STRBUF_INIT;
	struct s3_op op;
	char got[S3_ETAG_MAX];
	int rc = -1;

	s3_op_init(&op, c, "PUT", dst_key);
	if (strbuf_add(&src, "/", 1) || uri_encode(&src, src_bucket, strlen(src_bucket), 0) ||
	    strbuf_add(&src, "/", 1) || uri_encode(&src, src_key, strlen(src_key), 1) ||
	    s3_op_header(&op, "x-amz-copy-source", "%s", strbuf_str(&src)) ||
	    s3_op_header(&op, "x-amz-metadata-directive", "%s",
			 o && o->replace_meta ? "REPLACE" : "COPY") ||
	    (o && o->if_match && !strchr(o->if_match, '-') &&
	     s3_op_header(&op, "x-amz-copy-source-if-match", "\"%s\"", o->if_match)) ||
	    (o && o->replace_meta &&
	     s3_op_put_headers(&op, o->content_type, o->meta, o->nmeta))) {
		nomem(err);
		goto out;
	}
	op.on_success = body_error;
	op.copy_bytes = size;
	if (s3_op_run(&op, err))
		goto out;
	if (etag && xml_find_text(strbuf_str(&op.resp), op.resp.len, "ETag", got, sizeof(got)) > 0)
		s3_etag_copy(etag, got);
	rc = 0;
out:
	strbuf_release(&src);
	s3_op_release(&op);
	return rc;
}

/* Note 5: after a copy in parts, is the source still the one copied? */
static int source_unchanged(struct s3_client *c, const char *src_bucket,
			    const char *src_key, const char *dst_key,
			    const char *etag, struct s3_error *err)
{
	struct s3_error ignored;
	struct s3_op head;
	int rc;

	s3_op_init(&head, c, "HEAD", src_key);
	head.bucket = src_bucket;
	rc = s3_op_run(&head, err);
	if (!rc && strcmp(head.info.etag, etag)) {
		s3_delete(c, dst_key, &ignored);
		s3_error_clear(err);
		s3_error_from_http(err, 412, "PreconditionFailed",
				   "the source changed while it was copied");
		rc = -1;
	}
	s3_op_release(&head);
	return rc;
}

int s3_copy(struct s3_client *c, const char *src_key, const char *dst_key,
	    const struct s3_copy_opts *o, char etag[S3_ETAG_MAX], struct s3_error *err)
{
	const char *src_bucket = o && o->src_bucket ? o->src_bucket : c->bucket;
	struct copy_arg a = { c, dst_key, NULL, src_bucket, src_key, NULL };
	struct s3_object_info info = { 0 };
	struct s3_put_opts po = { 0 };
	struct s3_op head;
	int rc = -1;

	/* The source's size decides how; its ETag pins every part to one
	 * version of it, since RGW ignores x-amz-copy-source-if-match. */
	s3_op_init(&head, c, "HEAD", src_key);
	head.bucket = src_bucket;
	rc = s3_op_run(&head, err);
	info = head.info;
	memset(&head.info, 0, sizeof(head.info));
	s3_op_release(&head);
	if (rc)
		goto out;
	rc = -1;
	if (o && o->if_match && strcmp(o->if_match, info.etag)) {
		s3_error_clear(err);
		s3_error_from_http(err, 412, "PreconditionFailed", "source changed");
		goto out;
	}
	if (info.size <= c->copy_threshold) {
		rc = copy_object(c, src_bucket, src_key, dst_key, info.size, o, etag, err);
		goto out;
	}
	a.if_match = info.etag;
	if (o && o->replace_meta) {
		po.content_type = o->content_type;
		po.meta = o->meta;
		po.nmeta = o->nmeta;
	} else {
		po.content_type = info.content_type[0] ? info.content_type : NULL;
		po.meta = info.meta;
		po.nmeta = info.nmeta;
	}
	rc = multipart(c, dst_key, &po, info.size, copy_part_init, &a, &a.upload_id, etag, err);
	if (!rc)
		rc = source_unchanged(c, src_bucket, src_key, dst_key, info.etag, err);
out:
	s3_object_info_release(&info);
	return rc;
}
