/*
 * ctl_info: status, stats and flush -- one request each, the answer shown
 * for people (tables, human sizes) or, with --json, as the daemon gave it.
 */
#include "ctl_info.h"
#include "ctl_conn.h"
#include "ctl_fmt.h"
#include "ctl_progress.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The S3 operations in the order a table lists them; others follow in
 * name order. */
static const char *const op_order[] = {
	"ListObjectsV2", "HeadObject", "GetObject", "PutObject", "CopyObject",
	"DeleteObject", "DeleteObjects", "CreateMultipartUpload", "UploadPart",
	"UploadPartCopy", "CompleteMultipartUpload", "AbortMultipartUpload", NULL,
};

/* ---- small helpers over the daemon's JSON ---- */

static uint64_t num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
	if (json_is_real(v))
		return json_real_value(v) > 0 ? (uint64_t)json_real_value(v) : 0;
	return 0;
}

static const char *str(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of obj in table order, into a malloc'ed array (*n of them). */
static const char **ops_of(json_t *obj, size_t *n)
{
	size_t total = json_object_size(obj), k = 0, i, rest;
	const char **v = calloc(total ? total : 1, sizeof(*v));
	const char *key;
	json_t *val;

	*n = 0;
	if (!v)
		return NULL;
	for (i = 0; op_order[i]; i++)
		if (json_object_get(obj, op_order[i]))
			v[k++] = op_order[i];
	rest = k;
	json_object_foreach(obj, key, val) {
		for (i = 0; op_order[i] && strcmp(op_order[i], key); i++)
			;
		if (!op_order[i] && k < total)
			v[k++] = key;
	}
	qsort(v + rest, k - rest, sizeof(*v), cmp_str);
	*n = k;
	return v;
}

/* ---- one request ---- */

/* Send req, wait for the final object into *final.  On failure the message
 * is printed and CTL_EXIT_FAIL returned. */
static void print_json(json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s)
		printf("%s\n", s);
	free(s);
}

/* A final object with "ok":false: printed, CTL_EXIT_FAIL. */
static int refused(const struct ctl_args *a, json_t *final)
{
	if (a->json)
		print_json(final);
	ctl_err("%s: %s", a->command, ctl_final_error(final));
	if (ctl_final_errno(final) == EACCES && !strstr(ctl_final_error(final), "permission"))
		ctl_err("permission denied: only root and the user who mounted '%s' may "
			"use its control socket", a->mountpoint);
	return CTL_EXIT_FAIL;
}

/* Send req (taken over), wait for the final answer and deal with what every
 * command here deals with alike: a failed call, a refusal, --json.  Returns
 * 1 with *final (the caller shows it, then releases it) when a
 * human-readable answer is still to be printed; else 0 with *rc set. */
static int ask(const struct ctl_args *a, json_t *req, double timeout_s, ctl_progress_fn fn,
	       void *arg, json_t **final, int *rc)
{
	char err[1024];
	int failed;

	*final = NULL;
	*rc = CTL_EXIT_FAIL;
	if (!req) {
		ctl_err("%s: out of memory", a->command);
		return 0;
	}
	failed = ctl_call(a->sock, req, timeout_s, fn, arg, final, err, sizeof(err));
	json_decref(req);
	if (failed) {
		ctl_err("%s: %s", a->command, err);
		return 0;
	}
	if (!ctl_final_ok(*final)) {
		*rc = refused(a, *final);
	} else if (a->json) {
		print_json(*final);
		*rc = CTL_EXIT_OK;
	} else {
		return 1;
	}
	json_decref(*final);
	*final = NULL;
	return 0;
}

/* Print final's object member with print; complain when there is none. */
static int show(const struct ctl_args *a, json_t *final, const char *member,
		void (*print)(FILE *f, json_t *obj))
{
	json_t *v = json_object_get(final, member);

	if (!json_is_object(v)) {
		ctl_err("%s: the daemon's answer has no \"%s\" object", a->command, member);
		return CTL_EXIT_FAIL;
	}
	print(stdout, v);
	return CTL_EXIT_OK;
}

/* ---- status ---- */

static void print_sources(FILE *f, json_t *sources)
{
	char age[32];
	size_t i, w = 4, we = 8;
	json_t *s, *ea;
	const char *le;

	json_array_foreach(sources, i, s) {
		if (strlen(str(s, "name", "?")) > w)
			w = strlen(str(s, "name", "?"));
		if (strlen(str(s, "endpoint", "?")) > we)
			we = strlen(str(s, "endpoint", "?"));
	}
	fprintf(f, "sources:\n");
	json_array_foreach(sources, i, s) {
		fprintf(f, "  %-*s  %-7s  %-*s  bucket '%s'  %llu requests, %llu failed\n", (int)w,
			str(s, "name", "?"), str(s, "health", "unknown"), (int)we,
			str(s, "endpoint", "?"),
			str(s, "bucket", "?"), (unsigned long long)num(s, "requests"),
			(unsigned long long)num(s, "failures"));
		le = str(s, "last_error", NULL);
		if (le) {
			ea = json_object_get(s, "last_error_age_s");
			if (json_is_number(ea))
				fprintf(f, "  %-*s  last error %s ago: %s\n", (int)w, "",
					ctl_fmt_age(json_number_value(ea), age, sizeof(age)), le);
			else
				fprintf(f, "  %-*s  last error: %s\n", (int)w, "", le);
		}
	}
	if (!json_array_size(sources))
		fprintf(f, "  (none)\n");
}

void ctl_print_status(FILE *f, json_t *st)
{
	json_t *cache = json_object_get(st, "cache"), *wr = json_object_get(st, "writes");
	json_t *le = json_object_get(st, "last_error");
	char a[32], b[32], c[32];
	uint64_t used = num(cache, "used_bytes"), max = num(cache, "max_bytes");

	fprintf(f, "lakemount at %s, pid %llu, up %s\n", str(st, "mountpoint", "?"),
		(unsigned long long)num(st, "pid"),
		ctl_fmt_age((double)num(st, "uptime_s"), a, sizeof(a)));
	print_sources(f, json_object_get(st, "sources"));
	fprintf(f, "cache: %s of %s used (%.1f%%), %llu blocks, %llu pinned files, in %s\n",
		ctl_fmt_size(used, a, sizeof(a)), ctl_fmt_size(max, b, sizeof(b)), pct(used, max),
		(unsigned long long)num(cache, "blocks"),
		(unsigned long long)num(cache, "pinned_files"), str(cache, "dir", "?"));
	fprintf(f, "writes: %llu dirty files, %llu changes in the journal, "
		"%llu uploads in flight, %s staged\n",
		(unsigned long long)num(wr, "dirty_files"), (unsigned long long)num(wr, "journal"),
		(unsigned long long)num(wr, "uploading"),
		ctl_fmt_size(num(wr, "staged_bytes"), c, sizeof(c)));
	if (json_is_object(le))
		fprintf(f, "last error: %s ago: %s\n",
			ctl_fmt_age((double)num(le, "age_s"), a, sizeof(a)),
			str(le, "message", "?"));
	else
		fprintf(f, "last error: none\n");
}

int ctl_cmd_status(const struct ctl_args *a)
{
	json_t *final;
	int rc;

	if (ask(a, json_pack("{s:s}", "cmd", "status"), 0, NULL, NULL, &final, &rc)) {
		rc = show(a, final, "status", ctl_print_status);
		json_decref(final);
	}
	return rc;
}

/* ---- stats ---- */

double ctl_histogram_quantile(json_t *hist, double q, int *above)
{
	json_t *le = json_object_get(hist, "le"), *counts = json_object_get(hist, "counts");
	double rank, lo = 0, lo_count = 0, hi, c;
	uint64_t total = num(hist, "count");
	size_t i, n = json_array_size(le);

	*above = 0;
	if (!total || !n || json_array_size(counts) != n)
		return -1;
	rank = q * (double)total;
	for (i = 0; i < n; i++) {
		hi = json_number_value(json_array_get(le, i));
		c = json_number_value(json_array_get(counts, i));
		if (c >= rank && c > lo_count)
			return lo + (hi - lo) * (rank - lo_count) / (c - lo_count);
		lo = hi;
		lo_count = c;
	}
	*above = 1;
	return lo;
}

static void print_requests(FILE *f, json_t *req)
{
	static const char *const cols[] = { "ok", "client_error", "server_error", "network_error" };
	uint64_t tot[4] = { 0 }, v;
	const char **ops;
	size_t n, i, j;
	json_t *o;

	ops = ops_of(req, &n);
	if (!ops || !n) {
		fprintf(f, "requests: none yet\n");
		free(ops);
		return;
	}
	fprintf(f, "%-26s %10s %12s %12s %13s\n", "requests", "ok", "client error",
		"server error", "network error");
	for (i = 0; i < n; i++) {
		o = json_object_get(req, ops[i]);
		fprintf(f, "  %-24s", ops[i]);
		for (j = 0; j < 4; j++) {
			v = num(o, cols[j]);
			tot[j] += v;
			fprintf(f, " %*llu", j == 0 ? 10 : j == 3 ? 13 : 12, (unsigned long long)v);
		}
		fputc('\n', f);
	}
	fprintf(f, "  %-24s %10llu %12llu %12llu %13llu\n", "all", (unsigned long long)tot[0],
		(unsigned long long)tot[1], (unsigned long long)tot[2], (unsigned long long)tot[3]);
	free(ops);
}

static void print_latency(FILE *f, json_t *lat)
{
	char m[32], p50[32], p99[32];
	const char **ops;
	size_t n, i;
	json_t *h;
	double v;
	int above;

	ops = ops_of(lat, &n);
	if (!ops || !n) {
		free(ops);
		return;
	}
	fprintf(f, "%-26s %10s %10s %10s %10s\n", "latency", "count", "mean", "p50", "p99");
	for (i = 0; i < n; i++) {
		h = json_object_get(lat, ops[i]);
		if (!num(h, "count")) {
			fprintf(f, "  %-24s %10d %10s %10s %10s\n", ops[i], 0, "-", "-", "-");
			continue;
		}
		ctl_fmt_latency(json_number_value(json_object_get(h, "sum_s")) /
				(double)num(h, "count"), m, sizeof(m));
		v = ctl_histogram_quantile(h, 0.5, &above);
		snprintf(p50, sizeof(p50), "%s", above ? ">" : "");
		ctl_fmt_latency(v, p50 + strlen(p50), sizeof(p50) - strlen(p50));
		v = ctl_histogram_quantile(h, 0.99, &above);
		snprintf(p99, sizeof(p99), "%s", above ? ">" : "");
		ctl_fmt_latency(v, p99 + strlen(p99), sizeof(p99) - strlen(p99));
		fprintf(f, "  %-24s %10llu %10s %10s %10s\n", ops[i],
			(unsigned long long)num(h, "count"), m, p50, p99);
	}
	free(ops);
}

void ctl_print_stats(FILE *f, json_t *st)
{
	json_t *bytes = json_object_get(st, "bytes"), *cache = json_object_get(st, "cache");
	uint64_t hits = num(cache, "hits"), misses = num(cache, "misses");
	uint64_t used = num(cache, "used_bytes"), max = num(cache, "max_bytes");
	char a[32], b[32], c[32];

	fprintf(f, "up %s\n", ctl_fmt_age((double)num(st, "uptime_s"), a, sizeof(a)));
	print_requests(f, json_object_get(st, "requests"));
	fprintf(f, "retries: %llu\n", (unsigned long long)num(st, "retries"));
	fprintf(f, "bytes: %s down, %s up, %s copied server-side\n",
		ctl_fmt_size(num(bytes, "down"), a, sizeof(a)),
		ctl_fmt_size(num(bytes, "up"), b, sizeof(b)),
		ctl_fmt_size(num(bytes, "copied"), c, sizeof(c)));
	fprintf(f, "cache: %llu hits, %llu misses (%.1f%% hits), %llu evictions, "
		"%s of %s used (%.1f%%)\n",
		(unsigned long long)hits, (unsigned long long)misses, pct(hits, hits + misses),
		(unsigned long long)num(cache, "evictions"), ctl_fmt_size(used, a, sizeof(a)),
		ctl_fmt_size(max, b, sizeof(b)), pct(used, max));
	fprintf(f, "passthrough: %llu opens read by the kernel straight from the cache\n",
		(unsigned long long)num(cache, "passthrough_opens"));
	print_latency(f, json_object_get(st, "latency"));
}

int ctl_cmd_stats(const struct ctl_args *a)
{
	json_t *final, *req;
	const char *text;
	int rc;

	if (a->prometheus)
		req = json_pack("{s:s,s:s}", "cmd", "stats", "format", "prometheus");
	else
		req = json_pack("{s:s}", "cmd", "stats");
	if (!ask(a, req, 0, NULL, NULL, &final, &rc))
		return rc;
	if (!a->prometheus) {
		rc = show(a, final, "stats", ctl_print_stats);
	} else if ((text = json_string_value(json_object_get(final, "text")))) {
		fputs(text, stdout);
		rc = CTL_EXIT_OK;
	} else {
		ctl_err("stats: the daemon's answer has no \"text\"");
		rc = CTL_EXIT_FAIL;
	}
	json_decref(final);
	return rc;
}

/* ---- flush ---- */

static void flush_progress(void *arg, json_t *progress)
{
	struct ctl_progress *p = arg;
	char note[128];
	json_t *v = json_object_get(progress, "pending");

	if (!p || !json_is_integer(v))
		return;
	snprintf(note, sizeof(note), "flushing: %lld change%s pending",
		 (long long)json_integer_value(v), json_integer_value(v) == 1 ? "" : "s");
	ctl_progress_note(p, note);
}

int ctl_cmd_flush(const struct ctl_args *a)
{
	unsigned timeout = a->timeout_s ? a->timeout_s : CTL_FLUSH_TIMEOUT;
	json_t *final, *req;
	struct ctl_progress *p = NULL;
	double t0 = ctl_now();
	char el[32];
	int rc, shown;

	if (!a->json && isatty(STDERR_FILENO)) {
		p = ctl_progress_new(1, 0);
		if (p)
			ctl_progress_note(p, "flushing: waiting for the daemon");
	}
	req = json_pack("{s:s,s:I}", "cmd", "flush", "timeout_s", (json_int_t)timeout);
	/* the daemon answers by itself after timeout_s; a minute more is ours */
	shown = ask(a, req, (double)timeout + 60, flush_progress, p, &final, &rc);
	ctl_progress_free(p);
	if (shown) {
		printf("flushed: every change is in S3 (%s)\n",
		       ctl_fmt_clock(ctl_now() - t0, el, sizeof(el)));
		json_decref(final);
		rc = CTL_EXIT_OK;
	}
	return rc;
}
