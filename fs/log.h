/*
 * log: the daemon's log, one JSON object per line (JSON lines):
 *
 *   {"time":"2026-11-22T10:00:00.123Z","level":"warn","msg":"upload failed: ...",
 *    "key":"bronze/ticks/x.csv","source":"lake","error":"..."}
 *
 * "time" (UTC, milliseconds), "level" and "msg" come first in every line,
 * then the event's own fields.  One logger per process, safe from any
 * thread; until log_open() it writes to stderr at level info.
 *
 *   log_warn(LOG_FIELDS(LF_STR("key", key), LF_INT("errno", e)),
 *            "cannot upload '%s'", key);
 *
 * Fields are typed at compile time (designated initialisers); a string
 * field whose value is NULL is left out.  msg is for people, the fields for
 * programs (jq, log shippers): both name the object.
 */
#ifndef LM_LOG_H
#define LM_LOG_H

#include <stddef.h>

#include "s3err.h"

struct s3_request_event;

/* Most severe first: a logger at level L writes L and everything above. */
enum log_level {
	LOG_LEVEL_ERROR = 0,	/* data is wrong or cannot be kept: a checksum
				   mismatch, a change the journal cannot record,
				   a mount that fails */
	LOG_LEVEL_WARN,		/* a request, upload or copy failed (and will be
				   retried, or the caller got an errno) */
	LOG_LEVEL_INFO,		/* mounted, unmounting, journal replays, copies */
	LOG_LEVEL_DEBUG,	/* every S3 request attempt */
};

enum log_field_type { LOG_FIELD_STR = 1, LOG_FIELD_INT, LOG_FIELD_REAL, LOG_FIELD_BOOL };

struct log_field {
	const char *name;	/* NULL ends a list */
	enum log_field_type type;
	const char *s;		/* LOG_FIELD_STR; NULL: the field is left out */
	long long i;		/* LOG_FIELD_INT, LOG_FIELD_BOOL */
	double d;		/* LOG_FIELD_REAL */
};

#define LF_STR(n, v) { .name = (n), .type = LOG_FIELD_STR, .s = (v) }
#define LF_INT(n, v) { .name = (n), .type = LOG_FIELD_INT, .i = (long long)(v) }
#define LF_REAL(n, v) { .name = (n), .type = LOG_FIELD_REAL, .d = (double)(v) }
#define LF_BOOL(n, v) { .name = (n), .type = LOG_FIELD_BOOL, .i = !!(v) }
/* The fields of a failed S3 call: "status" (s3_status_name), "http_status"
 * (0: no answer came) and "error" (the S3 code, or the transport's message). */
#define LF_S3_ERROR(e) LF_STR("status", s3_status_name((e)->status)), \
	LF_INT("http_status", (e)->http_status), \
	LF_STR("error", (e)->code[0] ? (e)->code : (e)->message)
/* A NULL-terminated array of one or more fields, for one call. */
#define LOG_FIELDS(...) ((const struct log_field[]){ __VA_ARGS__, { .name = NULL } })

struct log_opts {
	enum log_level level;
	const char *file;	/* append here (created 0600), or NULL */
	int to_stderr;
	int to_syslog;		/* facility daemon, ident "lakemount" */
};

/* Send the log where o says (any mix of the three), replacing what an
 * earlier call set up.  Returns 0, or -1 with a message in err (the file
 * cannot be opened); the logger is then left as it was. */
int log_open(const struct log_opts *o, char *err, size_t errlen);
/* Close the file and syslog; later lines go to stderr. */
void log_close(void);

/* Reopen the file before the next line (after logrotate moved it).  Only
 * sets a flag: safe in a signal handler (SIGHUP). */
void log_hup(void);

/* "error", "warn", "info", "debug" -> *out; -1 for anything else. */
int log_level_parse(const char *name, enum log_level *out);
const char *log_level_name(enum log_level lv);

/* Would a line at lv be written?  For callers whose fields cost. */
int log_enabled(enum log_level lv);

/* One event.  fields may be NULL.  Never fails: a line that cannot be
 * made or written is dropped. */
void log_msg(enum log_level lv, const struct log_field *fields, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(fields, ...) log_msg(LOG_LEVEL_ERROR, fields, __VA_ARGS__)
#define log_warn(fields, ...) log_msg(LOG_LEVEL_WARN, fields, __VA_ARGS__)
#define log_info(fields, ...) log_msg(LOG_LEVEL_INFO, fields, __VA_ARGS__)
#define log_debug(fields, ...) log_msg(LOG_LEVEL_DEBUG, fields, __VA_ARGS__)

/* One S3 request attempt (an s3_client observer's event): at level debug
 * always, and at warn when it was the last attempt and it failed (except
 * "not found", the answer of every lookup of a name that is not there, and
 * "cancelled", at shutdown).  Quick when neither level is on; safe on the
 * transport's thread. */
void log_request(const struct s3_request_event *ev);

#endif
