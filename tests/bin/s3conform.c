/*
 * s3conform: the backend's conformance checks against a real S3 server.
 *
 *   S3_ENDPOINT=http://127.0.0.1:PORT S3_ACCESS_KEY=.. S3_SECRET_KEY=.. \
 *   [S3_REGION=us-east-1] [LM_FAULTS=percent=30] s3conform BUCKET [CASE...]
 *
 * Creates BUCKET and BUCKET-2, runs each case (all by default) and prints
 * "ok N - case" / "not ok N - case" lines; exit status 1 if any failed.
 * With LM_FAULTS the client's transport injects failures (backend/fault.h)
 * and every case must still pass: that is the retry logic's proof.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fault.h"
#include "s3.h"

static const char *bucket;
static char bucket2[80];
static struct transport *fault_t;	/* the fault wrapper, when LM_FAULTS */
static int failures;

#define FAIL(...) do { printf("# " __VA_ARGS__); printf("\n"); goto fail; } while (0)
#define CHECK_S3(call, e) do { if ((call)) { char m_[512]; \
	s3_error_format(&(e), m_, sizeof(m_)); \
	FAIL("%s:%d: %s: %s (attempts %u)", __FILE__, __LINE__, #call, m_, (e).attempts); } } while (0)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct s3_client *client_new(const char *secret, int list_v1, uint64_t copy_threshold,
				    int with_faults)
{
	struct creds cr = { 0 };
	struct s3_client_opts o = { 0 };
	struct s3_error err;
	struct s3_client *c;
	const char *faults = getenv("LM_FAULTS");
	struct fault_opts fo;

	cr.access_key = getenv("S3_ACCESS_KEY");
	cr.secret_key = (char *)(secret ? secret : getenv("S3_SECRET_KEY"));
	o.endpoint = getenv("S3_ENDPOINT");
	o.region = getenv("S3_REGION");
	o.bucket = bucket;
	o.path_style = !getenv("S3_VIRTUAL_HOST");
	o.creds = &cr;
	o.list_v1 = list_v1;
	o.copy_threshold = copy_threshold;
	o.part_size = 5u << 20;
	o.multipart_threshold = 6u << 20;
	o.tls_verify = 1;
	if (with_faults && faults && *faults) {
		if (fault_parse(faults, &fo)) {
			fprintf(stderr, "s3conform: bad LM_FAULTS '%s'\n", faults);
			exit(2);
		}
		fo.seed = fo.seed ? fo.seed : (unsigned)time(NULL);
		if (!fault_t)
			printf("# faults: %s, seed %u\n", faults, fo.seed);
		if (!fo.delay_ms)
			fo.delay_ms = 20;
		o.transport = fault_new(http_engine_new(16), &fo);
		o.max_attempts = 12;
		o.deadline_ms = 120000;
		o.retry_base_ms = 10;	/* the same logic, less waiting */
		if (!fault_t)
			fault_t = o.transport;	/* the main client's: it lives longest */
	}
	c = s3_client_new(&o, &err);
	if (!c) {
		fprintf(stderr, "s3conform: client: %s\n", err.message);
		exit(2);
	}
	return c;
}

/* ---- listing 2,500 keys ---- */

#define NKEYS 2500

struct put_job {
	struct s3_client *c;
	unsigned from, to;
	int failed;
	struct s3_error err;
};

static void *put_range(void *arg)
{
	struct put_job *j = arg;
	unsigned i;

	for (i = j->from; i < j->to && !j->failed; i++) {
		char key[64];

		snprintf(key, sizeof(key), "list/k%05u", i);
		if (s3_put(j->c, key, key, strlen(key), NULL, NULL, &j->err))
			j->failed = 1;
	}
	return NULL;
}

struct seen {
	unsigned char keys[NKEYS];
	unsigned prefixes, dups, strays, n;
};

static int on_entry(void *arg, const struct s3_list_entry *e)
{
	struct seen *s = arg;
	unsigned k;

	s->n++;
	if (e->is_prefix) {
		if (!strcmp(e->key, "list/sub/"))
			s->prefixes++;
		else
			s->strays++;
		return 0;
	}
	if (sscanf(e->key, "list/k%05u", &k) != 1 || k >= NKEYS || e->size != 11) {
		s->strays++;
		return 0;
	}
	if (s->keys[k]++)
		s->dups++;
	return 0;
}

static int list_all(struct s3_client *c, unsigned page, struct seen *s, unsigned *pages)
{
	struct s3_list_params p = { "list/", "/", NULL, NULL, page };
	struct xml_list_result r;
	struct s3_error err;
	char *token = NULL;
	unsigned i;

	memset(s, 0, sizeof(*s));
	*pages = 0;
	do {
		p.token = token;
		CHECK_S3(s3_list(c, &p, on_entry, s, &r, &err), err);
		free(token);
		token = r.next_token;
		(*pages)++;
	} while (r.truncated && token);
	free(token);
	for (i = 0; i < NKEYS; i++)
		if (s->keys[i] != 1)
			FAIL("page size %u: key %u seen %u times", page, i, s->keys[i]);
	if (s->prefixes != 1 || s->strays || s->dups)
		FAIL("page size %u: prefixes %u strays %u dups %u", page, s->prefixes,
		     s->strays, s->dups);
	return 0;
fail:
	return -1;
}

static int case_list(struct s3_client *c)
{
	struct s3_client *v1 = client_new(NULL, 1, 0, 1);
	struct put_job jobs[8];
	pthread_t th[8];
	struct s3_error err;
	struct seen *s = calloc(1, sizeof(*s));
	unsigned i, pages;
	int rc = -1;

	if (!s)
		FAIL("ENOMEM");
	for (i = 0; i < 8; i++) {
		jobs[i] = (struct put_job){ c, i * NKEYS / 8, (i + 1) * NKEYS / 8, 0, { 0 } };
		pthread_create(&th[i], NULL, put_range, &jobs[i]);
	}
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 8; i++)
		CHECK_S3(jobs[i].failed, jobs[i].err);
	CHECK_S3(s3_put(c, "list/sub/inner", "x", 1, NULL, NULL, &err), err);
	if (list_all(c, 1000, s, &pages))
		goto fail;
	if (pages != 3)
		FAIL("pages of 1000: %u pages, want 3", pages);
	if (list_all(c, 7, s, &pages))
		goto fail;
	if (pages != (NKEYS + 1 + 6) / 7)
		FAIL("pages of 7: %u pages, want %u", pages, (NKEYS + 1 + 6) / 7);
	if (list_all(v1, 7, s, &pages))
		FAIL("the same with ListObjects v1 (marker)");
	rc = 0;
fail:
	free(s);
	s3_client_free(v1);
	return rc;
}

/* ---- odd keys ---- */

static const char *const odd_keys[] = {
	"odd/with space", "odd/plus+sign", "odd/percent%20literal", "odd/tilde~x",
	"odd/eq=uals", "odd/amp&er", "odd/semi;colon", "odd/q?mark", "odd/hash#tag",
	"odd/quote'single", "odd/star*", "odd/comma,x", "odd/at@x", "odd/colon:x",
	"odd/币安人生USDT/币安人生USDT-1m-2025-01-01.zip", "odd/émoji-😀", "odd/a//double",
	"odd/dots/../up", "odd/dot/./here", "odd/trailing.",
};
#define NODD (sizeof(odd_keys) / sizeof(odd_keys[0]))

static int odd_seen(void *arg, const struct s3_list_entry *e)
{
	unsigned *found = arg;
	size_t i;

	for (i = 0; i < NODD; i++)
		if (!strcmp(e->key, odd_keys[i]))
			found[i]++;
	return 0;
}

static int case_odd_keys(struct s3_client *c)
{
	struct s3_list_params p = { "odd/", NULL, NULL, NULL, 0 };
	struct xml_list_result r;
	struct s3_object_info info = { 0 };
	struct s3_error err;
	unsigned found[NODD] = { 0 };
	char buf[256];
	size_t i, got;

	for (i = 0; i < NODD; i++) {
		struct s3_get_params g = { odd_keys[i], 0, 0, NULL, buf, sizeof(buf), NULL, NULL };

		CHECK_S3(s3_put(c, odd_keys[i], odd_keys[i], strlen(odd_keys[i]), NULL, NULL, &err), err);
		CHECK_S3(s3_get(c, &g, &got, &info, &err), err);
		if (got != strlen(odd_keys[i]) || memcmp(buf, odd_keys[i], got))
			FAIL("'%s': read back different bytes", odd_keys[i]);
		CHECK_S3(s3_head(c, odd_keys[i], &info, &err), err);
		if (info.size != strlen(odd_keys[i]))
			FAIL("'%s': HEAD size %" PRIu64, odd_keys[i], info.size);
	}
	s3_object_info_release(&info);
	CHECK_S3(s3_list(c, &p, odd_seen, found, &r, &err), err);
	free(r.next_token);
	for (i = 0; i < NODD; i++)
		if (found[i] != 1)
			FAIL("'%s' listed %u times", odd_keys[i], found[i]);
	return 0;
fail:
	s3_object_info_release(&info);
	return -1;
}

/* ---- ranges and If-Match ---- */

static unsigned char *random_bytes(size_t n, unsigned seed)
{
	unsigned char *p = malloc(n);
	size_t i;

	for (i = 0; p && i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed >> 16);
	}
	return p;
}

static int case_ranges(struct s3_client *c)
{
	static const uint64_t r[][2] = {
		{ 0, 1 }, { 0, 10 }, { 1000, 4096 }, { 1048575, 1 }, { 524288, 0 },
		{ 0, 0 }, { 777, 1048576 - 777 },
	};
	size_t n = 1 << 20, i, got;
	unsigned char *data = random_bytes(n, 7), *buf = malloc(n);
	struct s3_object_info info = { 0 };
	struct s3_error err;
	int rc = -1;

	if (!data || !buf)
		FAIL("ENOMEM");
	CHECK_S3(s3_put(c, "range/obj", data, n, NULL, NULL, &err), err);
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		struct s3_get_params g = { "range/obj", r[i][0], r[i][1], NULL, buf, n, NULL, NULL };
		size_t want = r[i][1] ? r[i][1] : n - r[i][0];

		CHECK_S3(s3_get(c, &g, &got, &info, &err), err);
		if (got != want || memcmp(buf, data + r[i][0], want))
			FAIL("range %" PRIu64 "+%" PRIu64 ": got %zu bytes, want %zu, or wrong bytes",
			     r[i][0], r[i][1], got, want);
		if (info.size != n)
			FAIL("range %" PRIu64 ": object size %" PRIu64, r[i][0], info.size);
	}
	{
		struct s3_get_params g = { "range/obj", n + 10, 5, NULL, buf, n, NULL, NULL };

		if (!s3_get(c, &g, &got, NULL, &err) || err.status != S3_ERR_RANGE)
			FAIL("range past the end: want a range error, got %s",
			     s3_status_name(err.status));
	}
	rc = 0;
fail:
	s3_object_info_release(&info);
	free(data);
	free(buf);
	return rc;
}

static int case_if_match(struct s3_client *c)
{
	char etag1[S3_ETAG_MAX], etag2[S3_ETAG_MAX], buf[64];
	struct s3_get_params g = { "ifmatch/obj", 0, 5, NULL, buf, sizeof(buf), NULL, NULL };
	struct s3_error err;
	double t0;
	size_t got;

	CHECK_S3(s3_put(c, "ifmatch/obj", "old version", 11, NULL, etag1, &err), err);
	CHECK_S3(s3_put(c, "ifmatch/obj", "new version!", 12, NULL, etag2, &err), err);
	if (!strcmp(etag1, etag2) || !etag1[0])
		FAIL("ETags '%s' '%s' should differ", etag1, etag2);
	g.if_match = etag2;
	CHECK_S3(s3_get(c, &g, &got, NULL, &err), err);
	if (got != 5 || memcmp(buf, "new v", 5))
		FAIL("If-Match with the current ETag: wrong bytes");
	g.if_match = etag1;
	t0 = now_s();
	if (!s3_get(c, &g, &got, NULL, &err) || err.status != S3_ERR_PRECONDITION)
		FAIL("stale If-Match: want precondition failed, got %s", s3_status_name(err.status));
	if (now_s() - t0 > 5 || got != 0)
		FAIL("stale If-Match took %.1fs and gave %zu bytes", now_s() - t0, got);
	return 0;
fail:
	return -1;
}

/* ---- multipart and copies ---- */

static int read_all(struct s3_client *c, const char *key, unsigned char *buf, size_t cap,
		    size_t *got, struct s3_object_info *info)
{
	struct s3_get_params g = { key, 0, 0, NULL, buf, cap, NULL, NULL };
	struct s3_error err;

	CHECK_S3(s3_get(c, &g, got, info, &err), err);
	return 0;
fail:
	return -1;
}

static int case_multipart(struct s3_client *c)
{
	size_t n = (11u << 20) + 12345, got, i;
	unsigned char *data = random_bytes(n, 11), *buf = malloc(n + 1);
	struct s3_part parts[3];
	struct s3_object_info info = { 0 };
	struct s3_error err;
	char *id = NULL, etag[S3_ETAG_MAX];
	int rc = -1;

	if (!data || !buf)
		FAIL("ENOMEM");
	/* Piece by piece: three parts, sent in the order 3, 1, 2. */
	CHECK_S3(s3_mpu_create(c, "mpu/manual", NULL, &id, &err), err);
	for (i = 0; i < 3; i++) {
		size_t k = (i + 2) % 3, off = k * (5u << 20);
		size_t len = k == 2 ? n - off : 5u << 20;

		parts[k].number = (unsigned)k + 1;
		CHECK_S3(s3_mpu_part(c, "mpu/manual", id, &parts[k], data + off, len, &err), err);
	}
	CHECK_S3(s3_mpu_complete(c, "mpu/manual", id, parts, 3, etag, &err), err);
	if (!strstr(etag, "-3"))
		FAIL("multipart ETag '%s' should end in -3", etag);
	if (read_all(c, "mpu/manual", buf, n + 1, &got, &info) || got != n || memcmp(buf, data, n))
		FAIL("3-part upload read back wrong (%zu bytes)", got);
	if (strcmp(info.etag, etag))
		FAIL("GET ETag '%s' differs from completion's '%s'", info.etag, etag);
	/* The parallel path. */
	CHECK_S3(s3_upload(c, "mpu/auto", data, n, NULL, etag, &err), err);
	if (read_all(c, "mpu/auto", buf, n + 1, &got, NULL) || got != n || memcmp(buf, data, n))
		FAIL("s3_upload read back wrong");
	/* An aborted upload leaves nothing. */
	free(id);
	id = NULL;
	CHECK_S3(s3_mpu_create(c, "mpu/aborted", NULL, &id, &err), err);
	CHECK_S3(s3_mpu_abort(c, "mpu/aborted", id, &err), err);
	if (!s3_head(c, "mpu/aborted", &info, &err) || err.status != S3_ERR_NOT_FOUND)
		FAIL("aborted upload: HEAD should say not found");
	rc = 0;
fail:
	s3_object_info_release(&info);
	free(id);
	free(data);
	free(buf);
	return rc;
}

static int case_copy(struct s3_client *c)
{
	/* Part copies above 6 MiB, in 5 MiB parts. */
	struct s3_client *pc = client_new(NULL, 0, 6u << 20, 1);
	size_t n = (11u << 20) + 999, got;
	unsigned char *data = random_bytes(n, 3), *buf = malloc(n + 1);
	struct s3_copy_opts co = { 0 };
	struct s3_error err;
	char etag[S3_ETAG_MAX];
	int rc = -1;

	if (!data || !buf)
		FAIL("ENOMEM");
	CHECK_S3(s3_upload(c, "copy/src", data, n, NULL, etag, &err), err);
	CHECK_S3(s3_copy(pc, "copy/src", "copy/by-parts", NULL, etag, &err), err);
	if (!strstr(etag, "-3"))
		FAIL("UploadPartCopy result ETag '%s' should end in -3", etag);
	if (read_all(c, "copy/by-parts", buf, n + 1, &got, NULL) || got != n || memcmp(buf, data, n))
		FAIL("UploadPartCopy read back wrong");
	CHECK_S3(s3_copy(c, "copy/src", "copy/whole", NULL, etag, &err), err);
	if (read_all(c, "copy/whole", buf, n + 1, &got, NULL) || got != n || memcmp(buf, data, n))
		FAIL("CopyObject read back wrong");
	/* Across buckets on one endpoint, both ways of copying. */
	co.src_bucket = bucket;
	{
		struct s3_client *c2, *pc2;
		const char *b = bucket;

		bucket = bucket2;
		c2 = client_new(NULL, 0, 0, 1);
		pc2 = client_new(NULL, 0, 6u << 20, 1);
		bucket = b;
		rc = s3_copy(c2, "copy/src", "from-other-bucket", &co, etag, &err) ||
		     read_all(c2, "from-other-bucket", buf, n + 1, &got, NULL) || got != n ||
		     memcmp(buf, data, n) ||
		     s3_copy(pc2, "copy/src", "from-other-bucket-parts", &co, etag, &err) ||
		     read_all(c2, "from-other-bucket-parts", buf, n + 1, &got, NULL) ||
		     got != n || memcmp(buf, data, n);
		s3_client_free(c2);
		s3_client_free(pc2);
		if (rc) {
			rc = -1;
			FAIL("copy across buckets failed or read back wrong");
		}
		rc = -1;
	}
	rc = 0;
fail:
	s3_client_free(pc);
	free(data);
	free(buf);
	return rc;
}

static int case_copy_replace(struct s3_client *c)
{
	struct s3_meta m1[] = { { "origin", "binance" }, { "layer", "bronze" } };
	struct s3_meta m2[] = { { "layer", "silver" } };
	struct s3_put_opts po = { "text/csv", m1, 2 };
	struct s3_copy_opts co = { NULL, 1, "application/zip", m2, 1, NULL };
	struct s3_object_info info = { 0 };
	struct s3_error err;
	char etag1[S3_ETAG_MAX], etag2[S3_ETAG_MAX];
	unsigned char buf[64];
	size_t got;
	int rc = -1;

	CHECK_S3(s3_put(c, "meta/obj", "1,2,3\n", 6, &po, etag1, &err), err);
	CHECK_S3(s3_head(c, "meta/obj", &info, &err), err);
	if (!s3_object_meta(&info, "origin") || strcmp(s3_object_meta(&info, "layer"), "bronze") ||
	    strcmp(info.content_type, "text/csv"))
		FAIL("PUT metadata not stored");
	co.if_match = etag1;
	CHECK_S3(s3_copy(c, "meta/obj", "meta/obj", &co, etag2, &err), err);
	CHECK_S3(s3_head(c, "meta/obj", &info, &err), err);
	if (s3_object_meta(&info, "origin") || !s3_object_meta(&info, "layer") ||
	    strcmp(s3_object_meta(&info, "layer"), "silver") || strcmp(info.content_type, "application/zip"))
		FAIL("REPLACE did not replace the metadata (layer=%s type=%s)",
		     s3_object_meta(&info, "layer") ? s3_object_meta(&info, "layer") : "-", info.content_type);
	if (strcmp(info.etag, etag1))
		FAIL("REPLACE changed the ETag: '%s' -> '%s'", etag1, info.etag);
	if (read_all(c, "meta/obj", buf, sizeof(buf), &got, NULL) || got != 6 ||
	    memcmp(buf, "1,2,3\n", 6))
		FAIL("REPLACE changed the bytes");
	rc = 0;
fail:
	s3_object_info_release(&info);
	return rc;
}

/* ---- deletes ---- */

static int count_entry(void *arg, const struct s3_list_entry *e)
{
	(void)e;
	(*(unsigned *)arg)++;
	return 0;
}

static int case_delete(struct s3_client *c)
{
	const char **keys = calloc(NKEYS + 1, sizeof(*keys));
	char (*names)[32] = calloc(NKEYS, 32);
	struct s3_list_params p = { "list/", NULL, NULL, NULL, 0 };
	struct xml_list_result r = { 0 };
	struct s3_object_info info = { 0 };
	struct s3_error err;
	unsigned i, left = 0;
	int rc = -1;

	if (!keys || !names)
		FAIL("ENOMEM");
	for (i = 0; i < NKEYS; i++) {
		snprintf(names[i], 32, "list/k%05u", i);
		keys[i] = names[i];
	}
	keys[NKEYS] = "list/sub/inner";
	CHECK_S3(s3_delete_many(c, keys, NKEYS + 1, NULL, NULL, &err), err);
	CHECK_S3(s3_list(c, &p, count_entry, &left, &r, &err), err);
	if (left)
		FAIL("%u keys left after DeleteObjects", left);
	CHECK_S3(s3_delete(c, "meta/obj", &err), err);
	if (!s3_head(c, "meta/obj", &info, &err) || err.status != S3_ERR_NOT_FOUND)
		FAIL("deleted object still answers HEAD");
	CHECK_S3(s3_delete(c, "meta/obj", &err), err);	/* deleting again is fine */
	rc = 0;
fail:
	free(r.next_token);
	s3_object_info_release(&info);
	free(keys);
	free(names);
	return rc;
}

/* ---- wrong secret ---- */

static int case_wrong_secret(struct s3_client *c)
{
	struct s3_client *bad = client_new("not-the-secret", 0, 0, 0);
	struct s3_list_params p = { NULL, "/", NULL, NULL, 1 };
	struct xml_list_result r = { 0 };
	struct s3_error err;
	double t0 = now_s(), dt;
	int rc = -1;

	(void)c;
	if (!s3_list(bad, &p, count_entry, &rc, &r, &err))
		FAIL("listing with a wrong secret succeeded");
	dt = now_s() - t0;
	if (err.status != S3_ERR_AUTH || strcmp(err.code, "SignatureDoesNotMatch"))
		FAIL("wrong secret: got %s / '%s'", s3_status_name(err.status), err.code);
	if (err.attempts != 1 || dt > 2)
		FAIL("wrong secret: %u attempts in %.2fs; should fail at once", err.attempts, dt);
	rc = 0;
fail:
	free(r.next_token);
	s3_client_free(bad);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(struct s3_client *c);
} cases[] = {
	{ "list 2,500 keys in pages of 1000 and 7 (v2 and v1)", case_list },
	{ "odd and non-ASCII keys round-trip", case_odd_keys },
	{ "ranged GETs return exact bytes", case_ranges },
	{ "If-Match with a stale ETag fails cleanly", case_if_match },
	{ "3-part multipart upload, parallel upload, abort", case_multipart },
	{ "UploadPartCopy and CopyObject, across buckets", case_copy },
	{ "CopyObject REPLACE changes metadata only", case_copy_replace },
	{ "DeleteObjects and DeleteObject", case_delete },
	{ "wrong secret fails with SignatureDoesNotMatch, quickly", case_wrong_secret },
};

static int wanted(int argc, char **argv, int idx)
{
	int i;

	if (argc <= 2)
		return 1;
	for (i = 2; i < argc; i++)
		if (atoi(argv[i]) == idx + 1)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct s3_client *c, *admin;
	struct s3_error err;
	size_t i;

	if (argc < 2 || !getenv("S3_ENDPOINT") || !getenv("S3_ACCESS_KEY")) {
		fprintf(stderr, "usage: S3_ENDPOINT=.. S3_ACCESS_KEY=.. S3_SECRET_KEY=.. "
				"s3conform BUCKET [CASE...]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	bucket = argv[1];
	snprintf(bucket2, sizeof(bucket2), "%s-2", bucket);
	admin = client_new(NULL, 0, 0, 0);
	if (s3_bucket_create(admin, bucket, &err) || s3_bucket_create(admin, bucket2, &err)) {
		char m[512];

		s3_error_format(&err, m, sizeof(m));
		fprintf(stderr, "s3conform: cannot create bucket '%s': %s\n", bucket, m);
		return 2;
	}
	s3_client_free(admin);
	c = client_new(NULL, 0, 0, 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double t0 = now_s();
		int bad;

		if (!wanted(argc, argv, (int)i))
			continue;
		bad = cases[i].fn(c) != 0;
		failures += bad;
		printf("%sok %zu - %s (%.1fs)\n", bad ? "not " : "", i + 1, cases[i].name,
		       now_s() - t0);
	}
	if (fault_t) {
		unsigned long nreq, ninj;

		fault_counts(fault_t, &nreq, &ninj);
		printf("# faults: %lu of %lu requests failed on purpose\n", ninj, nreq);
		if (!ninj) {
			printf("not ok - fault injection was asked for but injected nothing\n");
			failures++;
		}
	}
	s3_client_free(c);
	return failures ? 1 : 0;
}
