/*
 * ctl_files: prefetch, evict, pin, unpin, verify and sync.
 *
 * A run: the PATH arguments are resolved (ctl_walk.c) and walked into one
 * list of files; a pool of --jobs workers (ctl_pool.c) sends one request
 * per file; each answer is shown at once (a line, a JSON object, or on a
 * terminal only the progress line and the failures) and added to the
 * summary.  run->mu guards the summary; output goes through the progress
 * display's lock (ctl_progress_printf), so lines stay whole.
 */
#include "ctl_files.h"
#include "ctl_conn.h"
#include "ctl_fmt.h"
#include "ctl_pool.h"
#include "ctl_progress.h"
#include "ctl_walk.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum kind { K_PREFETCH, K_EVICT, K_PIN, K_UNPIN, K_VERIFY, K_SYNC };

struct fcmd {
	const char *name;
	enum kind kind;
	int progress;		/* the daemon sends {"bytes","total"} progress */
};

static const struct fcmd fcmds[] = {
	{ "prefetch", K_PREFETCH, 1 },
	{ "evict", K_EVICT, 0 },
	{ "pin", K_PIN, 1 },
	{ "unpin", K_UNPIN, 0 },
	{ "verify", K_VERIFY, 1 },
	{ "sync", K_SYNC, 0 },
};

struct summary {
	uint64_t ok, failed;	/* files */
	uint64_t bytes;		/* of the files that succeeded */
	uint64_t fetched;	/* prefetch, pin: bytes that came from S3 */
	uint64_t sum_ok, sum_bad, sum_none, sum_unv;	/* verify */
	uint64_t copied, skipped, would, server, stream;	/* sync */
};

struct run {
	const struct ctl_args *a;
	const struct fcmd *cmd;
	struct ctl_files files;
	char *dst;		/* sync: DST, relative to the mount */
	int bar;		/* a progress line on the terminal */
	struct ctl_progress *prog;
	pthread_mutex_t mu;	/* guards sum */
	struct summary sum;
};

/* One file's request under way (the progress callback's argument). */
struct job {
	struct run *run;
	const struct ctl_file *file;
	unsigned slot;
};

int ctl_files_is_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(fcmds) / sizeof(fcmds[0]); i++)
		if (!strcmp(fcmds[i].name, name))
			return 1;
	return 0;
}

/* ---- paths ---- */

/* sync's destination for a file: DST + its path below SRC. */
static char *dst_of(const struct run *r, const struct ctl_file *f)
{
	char *out;
	size_t n;

	if (!f->sub[0])
		return strdup(r->dst);
	if (!r->dst[0])
		return strdup(f->sub);
	n = strlen(r->dst) + strlen(f->sub) + 2;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s/%s", r->dst, f->sub);
	return out;
}

static const char *walk_error(int err)
{
	return err == EINVAL ? "neither a regular file nor a folder" : strerror(err);
}

/* ---- output ---- */

static void emit_json(struct run *r, json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s)
		ctl_progress_printf(r->prog, stdout, "%s\n", s);
	free(s);
}

/* A JSON line for a file: "path" (or "src" and "dst") then the answer. */
static void emit_file_json(struct run *r, const struct ctl_file *f, const char *dst,
			   json_t *answer)
{
	json_t *o = json_object();

	if (!o)
		return;
	if (r->cmd->kind == K_SYNC) {
		json_object_set_new(o, "src", json_string(f->rel));
		json_object_set_new(o, "dst", json_string(dst ? dst : ""));
	} else {
		json_object_set_new(o, "path", json_string(f->rel));
	}
	json_object_update(o, answer);
	emit_json(r, o);
	json_decref(o);
}

/* The file's name in a line: "path" or "src -> dst". */
static void file_label(const struct run *r, const struct ctl_file *f, const char *dst,
		       char *out, size_t outlen)
{
	if (r->cmd->kind == K_SYNC)
		snprintf(out, outlen, "%s -> %s", f->rel, dst ? dst : "?");
	else
		snprintf(out, outlen, "%s", f->rel);
}

/* A failed file: counted, and shown. */
static void fail_file(struct run *r, const struct ctl_file *f, const char *dst,
		      const char *msg, int err)
{
	char label[2 * PATH_MAX + 8];
	json_t *o;

	pthread_mutex_lock(&r->mu);
	r->sum.failed++;
	pthread_mutex_unlock(&r->mu);
	if (r->a->json) {
		o = json_pack("{s:b,s:s}", "ok", 0, "error", msg);
		if (o && err)
			json_object_set_new(o, "errno", json_integer(err));
		if (o)
			emit_file_json(r, f, dst, o);
		json_decref(o);
		return;
	}
	file_label(r, f, dst, label, sizeof(label));
	if (r->bar)
		ctl_progress_printf(r->prog, stderr, CTL_PROG ": %s: %s\n", label, msg);
	else
		ctl_progress_printf(r->prog, stdout, "%s  %llu  error: %s\n", label,
				    (unsigned long long)f->size, msg);
}

static uint64_t num(json_t *o, const char *key, uint64_t dflt)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return (uint64_t)json_integer_value(v);
	return dflt;
}

/* verify's answer, counted (r->mu held); *bad when it fails the run. */
static const char *verify_result(struct run *r, json_t *answer, char *what, size_t len,
				 int *bad)
{
	const char *s = json_string_value(json_object_get(answer, "checksum"));
	const char *exp = json_string_value(json_object_get(answer, "expected"));
	const char *act = json_string_value(json_object_get(answer, "actual"));

	if (s && !strcmp(s, "ok")) {
		r->sum.sum_ok++;
		return "ok";
	}
	if (s && !strcmp(s, "none")) {
		r->sum.sum_none++;
		return "no checksum";
	}
	*bad = 1;
	if (s && !strcmp(s, "mismatch")) {
		r->sum.sum_bad++;
		if (exp && act)
			snprintf(what, len, "mismatch: expected %s, actual %s", exp, act);
		else
			snprintf(what, len, "mismatch");
		return what;
	}
	/* "unverified": the daemon could not tell */
	r->sum.sum_unv++;
	snprintf(what, len, "%s", s ? s : "unverified");
	return what;
}

/* sync's answer, counted (r->mu held); *counted: its bytes were copied
 * (or would be). */
static const char *sync_result(struct run *r, json_t *answer, int *counted)
{
	const char *s = json_string_value(json_object_get(answer, "result"));
	const char *m = json_string_value(json_object_get(answer, "method"));

	if (s && !strcmp(s, "copied")) {
		r->sum.copied++;
		if (m && !strcmp(m, "stream")) {
			r->sum.stream++;
			return "copied (streamed)";
		}
		r->sum.server++;
		return "copied (server-side)";
	}
	if (s && !strcmp(s, "skipped")) {
		r->sum.skipped++;
		*counted = 0;
		return "skipped";
	}
	if (s && !strcmp(s, "would_copy")) {
		r->sum.would++;
		return "would copy";
	}
	return s ? s : "?";
}

/* A successful answer: counted, and shown. */
static void ok_file(struct run *r, const struct ctl_file *f, const char *dst, json_t *answer)
{
	char label[2 * PATH_MAX + 8], what[300];
	const char *res = "ok";
	uint64_t bytes = f->size;
	int bad = 0, counted = 1;

	file_label(r, f, dst, label, sizeof(label));
	pthread_mutex_lock(&r->mu);
	switch (r->cmd->kind) {
	case K_PREFETCH:
	case K_PIN:
		bytes = num(answer, "bytes", f->size);
		r->sum.fetched += num(answer, "fetched", 0);
		break;
	case K_EVICT:
		bytes = num(answer, "bytes", 0);
		break;
	case K_UNPIN:
		break;
	case K_VERIFY:
		res = verify_result(r, answer, what, sizeof(what), &bad);
		break;
	case K_SYNC:
		bytes = num(answer, "bytes", f->size);
		res = sync_result(r, answer, &counted);
		break;
	}
	r->sum.ok++;
	if (counted)
		r->sum.bytes += bytes;
	pthread_mutex_unlock(&r->mu);
	if (r->a->json)
		emit_file_json(r, f, dst, answer);
	else if (!r->bar)
		ctl_progress_printf(r->prog, stdout, "%s  %llu  %s\n", label,
				    (unsigned long long)bytes, res);
	else if (bad)
		ctl_progress_printf(r->prog, stderr, CTL_PROG ": %s: checksum %s\n", label, res);
}

/* ---- one file ---- */

static void on_progress(void *arg, json_t *progress)
{
	struct job *j = arg;
	uint64_t b = num(progress, "bytes", 0);

	if (b > j->file->size)
		b = j->file->size;
	ctl_progress_slot(j->run->prog, j->slot, b);
}

/* The daemon serves a number of connections at once and answers the
 * others "too many requests at once" (EBUSY; EAGAIN would do too): such a
 * request is sent again a little later, BUSY_TRIES times at most. */
#define BUSY_TRIES 100
#define BUSY_WAIT_US 20000

static int busy(json_t *final)
{
	int e = ctl_final_errno(final);

	if (ctl_final_ok(final))
		return 0;
	return e == EAGAIN || (e == EBUSY && strstr(ctl_final_error(final), "too many requests"));
}

static json_t *request_for(const struct run *r, const struct ctl_file *f, const char *dst)
{
	if (r->cmd->kind == K_SYNC)
		return json_pack("{s:s,s:s,s:s,s:b}", "cmd", "copy", "src", f->rel, "dst", dst,
				 "dry_run", r->a->dry_run);
	return json_pack("{s:s,s:s}", "cmd", r->cmd->name, "path", f->rel);
}

static void do_file(void *arg, size_t i, unsigned slot)
{
	struct run *r = arg;
	const struct ctl_file *f = &r->files.v[i];
	struct job j = { .run = r, .file = f, .slot = slot };
	json_t *req = NULL, *final = NULL;
	char *dst = NULL, err[1024];
	int e, tries;

	if (f->err) {
		fail_file(r, f, NULL, walk_error(f->err), f->err);
		goto done;
	}
	if (r->cmd->kind == K_SYNC && !(dst = dst_of(r, f))) {
		fail_file(r, f, NULL, "out of memory", ENOMEM);
		goto done;
	}
	req = request_for(r, f, dst);
	if (!req) {
		fail_file(r, f, dst, "cannot make the request (a name that is not UTF-8?)", EINVAL);
		goto done;
	}
	for (tries = 0;; tries++) {
		if (ctl_call(r->a->sock, req, 0, r->cmd->progress ? on_progress : NULL, &j,
			     &final, err, sizeof(err))) {
			fail_file(r, f, dst, err, 0);
			goto done;
		}
		if (!busy(final) || tries >= BUSY_TRIES)
			break;
		json_decref(final);
		final = NULL;
		usleep(BUSY_WAIT_US * (tries < 10 ? tries + 1 : 10));
	}
	if (ctl_final_ok(final)) {
		ok_file(r, f, dst, final);
		goto done;
	}
	if (r->a->json) {
		pthread_mutex_lock(&r->mu);
		r->sum.failed++;
		pthread_mutex_unlock(&r->mu);
		emit_file_json(r, f, dst, final);
	} else {
		e = ctl_final_errno(final);
		fail_file(r, f, dst, ctl_final_error(final), e);
	}
done:
	ctl_progress_file_done(r->prog, slot, f->size);
	json_decref(final);
	json_decref(req);
	free(dst);
}

/* ---- the summary ---- */

static const char *files_word(uint64_t n)
{
	return n == 1 ? "file" : "files";
}

static void print_summary(struct run *r)
{
	const struct summary *s = &r->sum;
	char b[32], c[48];
	json_t *o;

	ctl_fmt_size(s->bytes, b, sizeof(b));
	ctl_fmt_size(s->fetched, c, sizeof(c));
	if (r->a->json) {
		o = json_pack("{s:s,s:I,s:I,s:I,s:I}", "command", r->cmd->name,
			      "files", (json_int_t)r->files.n, "ok", (json_int_t)s->ok,
			      "failed", (json_int_t)s->failed, "bytes", (json_int_t)s->bytes);
		if (!o)
			return;
		if (r->cmd->kind == K_PREFETCH || r->cmd->kind == K_PIN)
			json_object_set_new(o, "fetched", json_integer((json_int_t)s->fetched));
		if (r->cmd->kind == K_VERIFY) {
			json_object_set_new(o, "checksum_ok", json_integer((json_int_t)s->sum_ok));
			json_object_set_new(o, "mismatch", json_integer((json_int_t)s->sum_bad));
			json_object_set_new(o, "no_checksum", json_integer((json_int_t)s->sum_none));
			json_object_set_new(o, "unverified", json_integer((json_int_t)s->sum_unv));
		}
		if (r->cmd->kind == K_SYNC) {
			json_object_set_new(o, "dry_run", json_boolean(r->a->dry_run));
			json_object_set_new(o, "copied", json_integer((json_int_t)s->copied));
			json_object_set_new(o, "server_side", json_integer((json_int_t)s->server));
			json_object_set_new(o, "streamed", json_integer((json_int_t)s->stream));
			json_object_set_new(o, "would_copy", json_integer((json_int_t)s->would));
			json_object_set_new(o, "skipped", json_integer((json_int_t)s->skipped));
		}
		o = json_pack("{s:o}", "summary", o);
		if (o)
			emit_json(r, o);
		json_decref(o);
		return;
	}
	switch (r->cmd->kind) {
	case K_PREFETCH:
	case K_PIN:
		printf("%s %llu %s, %s (%s from S3), %llu failed\n",
		       r->cmd->kind == K_PIN ? "pinned" : "prefetched",
		       (unsigned long long)s->ok, files_word(s->ok), b, c,
		       (unsigned long long)s->failed);
		break;
	case K_EVICT:
		printf("evicted %llu %s, %s dropped from the cache, %llu failed\n",
		       (unsigned long long)s->ok, files_word(s->ok), b,
		       (unsigned long long)s->failed);
		break;
	case K_UNPIN:
		printf("unpinned %llu %s (%s), %llu failed\n", (unsigned long long)s->ok,
		       files_word(s->ok), b, (unsigned long long)s->failed);
		break;
	case K_VERIFY:
		snprintf(c, sizeof(c), ", %llu unverified", (unsigned long long)s->sum_unv);
		printf("verified %llu %s (%s): %llu ok, %llu mismatch, %llu without checksum%s, "
		       "%llu failed\n", (unsigned long long)s->ok, files_word(s->ok), b,
		       (unsigned long long)s->sum_ok, (unsigned long long)s->sum_bad,
		       (unsigned long long)s->sum_none, s->sum_unv ? c : "",
		       (unsigned long long)s->failed);
		break;
	case K_SYNC:
		if (r->a->dry_run)
			printf("would copy %llu (%s), skipped %llu, failed %llu\n",
			       (unsigned long long)s->would, b, (unsigned long long)s->skipped,
			       (unsigned long long)s->failed);
		else
			printf("copied %llu (%s, server-side %llu, streamed %llu), skipped %llu, "
			       "failed %llu\n", (unsigned long long)s->copied, b,
			       (unsigned long long)s->server, (unsigned long long)s->stream,
			       (unsigned long long)s->skipped, (unsigned long long)s->failed);
		break;
	}
}

/* ---- setting up a run ---- */

static const struct fcmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(fcmds) / sizeof(fcmds[0]); i++)
		if (!strcmp(fcmds[i].name, name))
			return &fcmds[i];
	return NULL;
}

static void on_walk(void *arg, const struct ctl_files *files)
{
	struct run *r = arg;
	char note[96];

	if (!r->bar)
		return;
	snprintf(note, sizeof(note), "scanning: %zu files, %zu MiB", files->n,
		 (size_t)(files->bytes >> 20));
	ctl_progress_note(r->prog, note);
}

/* True if rel is base or lies under it. */
static int rel_under(const char *rel, const char *base)
{
	size_t n = strlen(base);

	if (!n)
		return 1;
	return !strncmp(rel, base, n) && (rel[n] == '\0' || rel[n] == '/');
}

/* sync SRC DST: r->dst from DST.  A file SRC goes to DST itself, or into
 * it when DST is a folder (or ends with '/'); a folder's files go to DST
 * under their path below SRC. */
static int sync_setup(struct run *r, const char *src, const char *dstarg)
{
	char err[PATH_MAX + 128], path[PATH_MAX];
	const char *base;
	struct stat st;
	char *dst, *nd;
	size_t n;

	if (ctl_path_resolve(r->a->mountpoint, dstarg, &dst, err, sizeof(err))) {
		ctl_err("sync: %s", err);
		return CTL_EXIT_USAGE;
	}
	ctl_path_join(r->a->mountpoint, src, path, sizeof(path));
	if (!lstat(path, &st) && S_ISDIR(st.st_mode) && rel_under(dst, src)) {
		ctl_err("sync: the destination '%s' lies inside the source '%s'", dstarg,
			r->a->paths[0]);
		free(dst);
		return CTL_EXIT_USAGE;
	}
	if (!lstat(path, &st) && S_ISREG(st.st_mode)) {
		ctl_path_join(r->a->mountpoint, dst, path, sizeof(path));
		n = strlen(dstarg);
		if ((n && dstarg[n - 1] == '/') || !dst[0] ||
		    (!stat(path, &st) && S_ISDIR(st.st_mode))) {
			base = strrchr(src, '/');
			base = base ? base + 1 : src;
			n = strlen(dst) + strlen(base) + 2;
			nd = malloc(n);
			if (!nd) {
				free(dst);
				ctl_err("out of memory");
				return CTL_EXIT_FAIL;
			}
			snprintf(nd, n, dst[0] ? "%s/%s" : "%s%s", dst, base);
			free(dst);
			dst = nd;
		}
		if (!strcmp(dst, src)) {
			ctl_err("sync: '%s' onto itself", dstarg);
			free(dst);
			return CTL_EXIT_USAGE;
		}
	}
	r->dst = dst;
	return CTL_EXIT_OK;
}

/* Resolve every PATH, then walk them into r->files. */
static int collect(struct run *r, char **rels, int nrels)
{
	int i;

	for (i = 0; i < nrels; i++) {
		if (ctl_walk(r->a->mountpoint, rels[i], &r->files, on_walk, r)) {
			ctl_err("%s: out of memory", r->cmd->name);
			return CTL_EXIT_FAIL;
		}
	}
	return CTL_EXIT_OK;
}

static int resolve_all(const struct ctl_args *a, int n, char **rels)
{
	char err[PATH_MAX + 128];
	int i;

	for (i = 0; i < n; i++) {
		if (ctl_path_resolve(a->mountpoint, a->paths[i], &rels[i], err, sizeof(err))) {
			ctl_err("%s: %s", a->command, err);
			return CTL_EXIT_USAGE;
		}
	}
	return CTL_EXIT_OK;
}

int ctl_cmd_files(const struct ctl_args *a)
{
	struct run r = { .a = a };
	char **rels = NULL;
	int i, nsrc, rc;
	unsigned jobs;

	r.cmd = find_cmd(a->command);
	if (!r.cmd)
		return CTL_EXIT_USAGE;
	if (r.cmd->kind == K_SYNC && a->npaths != 2) {
		ctl_err("sync: give SRC and DST, two paths in the mount (see --help)");
		return CTL_EXIT_USAGE;
	}
	if (a->npaths < 1) {
		ctl_err("%s: give at least one PATH (see --help)", a->command);
		return CTL_EXIT_USAGE;
	}
	jobs = a->jobs ? a->jobs :
	       r.cmd->kind == K_SYNC ? CTL_SYNC_JOBS_DEFAULT : CTL_JOBS_DEFAULT;
	nsrc = r.cmd->kind == K_SYNC ? 1 : a->npaths;
	rels = calloc((size_t)nsrc, sizeof(*rels));
	if (!rels) {
		ctl_err("out of memory");
		return CTL_EXIT_FAIL;
	}
	pthread_mutex_init(&r.mu, NULL);
	rc = resolve_all(a, nsrc, rels);
	if (!rc && r.cmd->kind == K_SYNC)
		rc = sync_setup(&r, rels[0], a->paths[1]);
	if (rc)
		goto out;
	r.bar = !a->json && isatty(STDERR_FILENO);
	r.prog = ctl_progress_new(r.bar, jobs);
	if (!r.prog) {
		ctl_err("out of memory");
		rc = CTL_EXIT_FAIL;
		goto out;
	}
	rc = collect(&r, rels, nsrc);
	if (rc)
		goto out;
	ctl_progress_note(r.prog, NULL);
	ctl_progress_total(r.prog, r.files.n, r.files.bytes);
	ctl_pool_run(r.files.n, jobs, do_file, &r);
	ctl_progress_free(r.prog);
	r.prog = NULL;
	print_summary(&r);
	rc = r.sum.failed || r.sum.sum_bad || r.sum.sum_unv ? CTL_EXIT_FAIL : CTL_EXIT_OK;
out:
	ctl_progress_free(r.prog);
	for (i = 0; i < nsrc; i++)
		free(rels[i]);
	free(rels);
	free(r.dst);
	ctl_files_release(&r.files);
	pthread_mutex_destroy(&r.mu);
	return rc;
}
