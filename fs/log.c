/*
 * The daemon's JSON-lines log.
 *
 * Secrets.  Nothing secret is ever logged, at any level: no request header
 * (Authorization, x-amz-security-token, x-amz-content-sha256...), no query
 * string, no URL (a presigned one carries X-Amz-Credential and
 * X-Amz-Signature), no credential or config value that is a secret.
 * Callers log what names an object (bucket, key, source name, op, status,
 * S3 error code) and never more; log_request() takes the fields of a
 * struct s3_request_event, which carries none of these by design.  As a
 * second line of defence, a string (msg or field) that looks like signed
 * request material is replaced whole by "[redacted]" before it is written.
 *
 * Lines.  Each event becomes one JSON object (jansson escapes it) written
 * with one writev() under the logger's lock, so lines of different threads
 * never mix, on a pipe or in a file opened O_APPEND that logrotate or
 * another process also appends to.  Bytes that are not UTF-8 (a Latin-1
 * file name written through the mount) are shown as \xNN text: the line
 * stays JSON.
 *
 * Destinations (any mix): a file, stderr, syslog (facility daemon, the
 * same JSON as the message).  log_hup() only raises a flag; the next line
 * reopens the file first, under the lock.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "s3.h"

#define LOG_MSG_MAX 4096

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const int level_syslog[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

static struct {
	pthread_mutex_t lock;	/* guards fd, path, to_stderr, to_syslog */
	int fd;			/* the file, or -1 */
	char *path;		/* its name, for reopening */
	int to_stderr;
	int to_syslog;
	int level;		/* read without the lock (atomic) */
	volatile sig_atomic_t hup;
} lg = { PTHREAD_MUTEX_INITIALIZER, -1, NULL, 1, 0, LOG_LEVEL_INFO, 0 };

static int open_file(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
}

int log_open(const struct log_opts *o, char *err, size_t errlen)
{
	char *path = NULL, *old_path;
	int fd = -1, old_fd, had_syslog;

	if (o->file) {
		path = strdup(o->file);
		if (!path) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		fd = open_file(path);
		if (fd < 0) {
			snprintf(err, errlen, "cannot open log file '%s': %s", path,
				 strerror(errno));
			free(path);
			return -1;
		}
	}
	if (o->to_syslog)
		openlog("lakemount", LOG_PID, LOG_DAEMON);
	pthread_mutex_lock(&lg.lock);
	old_fd = lg.fd;
	old_path = lg.path;
	had_syslog = lg.to_syslog;
	lg.fd = fd;
	lg.path = path;
	lg.to_stderr = o->to_stderr;
	lg.to_syslog = o->to_syslog;
	lg.hup = 0;
	__atomic_store_n(&lg.level, (int)o->level, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&lg.lock);
	if (had_syslog && !o->to_syslog)
		closelog();
	if (old_fd >= 0)
		close(old_fd);
	free(old_path);
	return 0;
}

void log_close(void)
{
	struct log_opts o = { (enum log_level)__atomic_load_n(&lg.level, __ATOMIC_RELAXED),
			      NULL, 1, 0 };
	char err[16];

	log_open(&o, err, sizeof(err));	/* cannot fail without a file */
}

void log_hup(void)
{
	lg.hup = 1;
}

int log_level_parse(const char *name, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (!strcmp(name, level_names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *log_level_name(enum log_level lv)
{
	return (unsigned)lv <= LOG_LEVEL_DEBUG ? level_names[lv] : "debug";
}

int log_enabled(enum log_level lv)
{
	return (int)lv <= __atomic_load_n(&lg.level, __ATOMIC_RELAXED);
}

/* ---- making a line ---- */

/* Length of the UTF-8 sequence at p, or 0 when it is not one (overlong
 * forms and surrogates included). */
static size_t utf8_len(const unsigned char *p)
{
	uint32_t c;
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		n = 2, c = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, c = p[0] & 0x0f;
	else if ((p[0] & 0xf8) == 0xf0)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return n;
}

/* s with every byte that is not part of UTF-8 written as \xNN. */
static json_t *text_escaped(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(strlen(s) * 4 + 1), *q = out;
	json_t *v;
	size_t n;

	if (!out)
		return NULL;
	while (*p) {
		n = utf8_len(p);
		if (n) {
			memcpy(q, p, n);
			q += n;
			p += n;
		} else {
			q += snprintf(q, 5, "\\x%02x", *p++);
		}
	}
	*q = '\0';
	v = json_string(out);
	free(out);
	return v;
}

/* Parts of a signed request: none should reach a caller's message, but if
 * one ever did (say inside a transport error), it is not written. */
static int looks_secret(const char *s)
{
	static const char *const marks[] = {
		"x-amz-signature", "x-amz-credential", "x-amz-security-token",
		"authorization:", "aws4-hmac-sha256", NULL,
	};
	size_t i;

	for (i = 0; marks[i]; i++)
		if (strcasestr(s, marks[i]))
			return 1;
	return 0;
}

static json_t *text(const char *s)
{
	json_t *v;

	if (looks_secret(s))
		return json_string("[redacted]");
	v = json_string(s);
	return v ? v : text_escaped(s);
}

static void now_iso(char out[32])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static json_t *field_value(const struct log_field *f)
{
	switch (f->type) {
	case LOG_FIELD_STR:
		return text(f->s);
	case LOG_FIELD_INT:
		return json_integer(f->i);
	case LOG_FIELD_REAL:
		return isfinite(f->d) ? json_real(f->d) : json_null();
	case LOG_FIELD_BOOL:
		return json_boolean(f->i);
	}
	return json_null();
}

/* The line (malloc'd, without its newline), or NULL. */
static char *make_line(enum log_level lv, const struct log_field *f, const char *msg)
{
	json_t *o = json_object();
	char when[32], *line = NULL;

	now_iso(when);
	if (!o || json_object_set_new(o, "time", json_string(when)) ||
	    json_object_set_new(o, "level", json_string(log_level_name(lv))) ||
	    json_object_set_new(o, "msg", text(msg)))
		goto out;
	for (; f && f->name; f++) {
		if (f->type == LOG_FIELD_STR && !f->s)
			continue;
		/* set_new takes the value, and copes with NULL */
		if (json_object_set_new(o, f->name, field_value(f)))
			goto out;
	}
	/* 10 digits: durations rounded to microseconds print as such */
	line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
out:
	json_decref(o);
	return line;
}

/* ---- writing it ---- */

static void reopen_locked(void)
{
	int fd;

	lg.hup = 0;
	if (!lg.path)
		return;
	fd = open_file(lg.path);
	if (fd < 0)
		return;	/* keep writing where we were */
	if (lg.fd >= 0)
		close(lg.fd);
	lg.fd = fd;
}

static void write_line(enum log_level lv, const char *line)
{
	struct iovec iov[2] = { { (void *)line, strlen(line) }, { "\n", 1 } };
	int to_syslog;

	pthread_mutex_lock(&lg.lock);
	if (lg.hup)
		reopen_locked();
	if (lg.fd >= 0 && writev(lg.fd, iov, 2) < 0) {
		/* a full disk: the line is lost, the daemon goes on */
	}
	if (lg.to_stderr && writev(STDERR_FILENO, iov, 2) < 0) {
		/* stderr closed */
	}
	to_syslog = lg.to_syslog;
	pthread_mutex_unlock(&lg.lock);
	if (to_syslog)
		syslog(level_syslog[lv], "%s", line);
}

void log_msg(enum log_level lv, const struct log_field *fields, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX], *line;
	va_list ap;

	if ((unsigned)lv > LOG_LEVEL_DEBUG || !log_enabled(lv))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	line = make_line(lv, fields, msg);
	if (!line)
		return;
	write_line(lv, line);
	free(line);
}

void log_request(const struct s3_request_event *ev)
{
	enum log_level lv = LOG_LEVEL_DEBUG;
	int failed = ev->status != S3_OK;

	if (failed && ev->final && ev->status != S3_ERR_NOT_FOUND &&
	    ev->status != S3_ERR_CANCELLED)
		lv = LOG_LEVEL_WARN;
	if (!log_enabled(lv))
		return;
	log_msg(lv, LOG_FIELDS(LF_STR("op", ev->op), LF_STR("method", ev->method),
			       LF_STR("bucket", ev->bucket), LF_STR("key", ev->key),
			       LF_INT("http_status", ev->http_status),
			       LF_STR("status", s3_status_name(ev->status)),
			       LF_STR("error", ev->error && *ev->error ? ev->error : NULL),
			       LF_INT("attempt", ev->attempt), LF_BOOL("final", ev->final),
			       LF_REAL("duration_ms", round(ev->seconds * 1e6) / 1e3),
			       LF_INT("bytes_down", ev->bytes_down),
			       LF_INT("bytes_up", ev->bytes_up),
			       LF_INT("bytes_copied", ev->bytes_copied)),
		"%s", lv == LOG_LEVEL_WARN ? "s3 request failed" : "s3 request");
}
