/*
 * ctl_conn: finding a lakemount daemon's control socket and making one
 * request on it (the protocol is described at the top of fs/ctl.h).
 *
 * One request per connection: ctl_call() connects, writes the request as
 * one JSON line, hands every {"progress":{...}} line to a callback, and
 * returns the final {"ok":...} object.  It is safe to call from several
 * threads at once (each call has its own connection).
 */
#ifndef LM_CTL_CONN_H
#define LM_CTL_CONN_H

#include <stddef.h>
#include <jansson.h>

#define CTL_XATTR "user.lakemount.control"

/* The longest line the daemon may send (Prometheus text is one line). */
#define CTL_LINE_MAX (64u << 20)

/* Find the control socket of the lakemount mounted at MOUNTPOINT (its
 * user.lakemount.control attribute) and write its path into sock.  On
 * error, -1 with a message for the user in err ("'/mnt' is not a
 * lakemount mount", "... permission denied ..."). */
int ctl_locate(const char *mountpoint, char *sock, size_t socklen, char *err, size_t errlen);

/* Called for each progress line with its "progress" object (borrowed). */
typedef void (*ctl_progress_fn)(void *arg, json_t *progress);

/* Send req (not consumed) to the daemon at sock and wait for its final
 * line.  timeout_s > 0 bounds the whole exchange; 0 waits as long as the
 * daemon takes.  progress may be NULL.
 * Returns 0 with *final set (a new reference; "ok" may be true or false),
 * or -1 with a message in err when no final line came (cannot connect,
 * connection closed, not JSON, timed out). */
int ctl_call(const char *sock, json_t *req, double timeout_s, ctl_progress_fn progress,
	     void *arg, json_t **final, char *err, size_t errlen);

/* For a final object: true if "ok" is true. */
int ctl_final_ok(json_t *final);
/* Its "error" message, or "the daemon gave no reason". */
const char *ctl_final_error(json_t *final);
/* Its "errno", or 0. */
int ctl_final_errno(json_t *final);

/* The line reader, exposed for its own use and tests: reads '\n'-ended
 * lines from fd however the bytes arrive (partial reads, several lines in
 * one read), each at most CTL_LINE_MAX bytes. */
struct ctl_lines {
	int fd;
	char *buf;
	size_t len;	/* bytes in buf */
	size_t off;	/* start of the first unread line */
	size_t cap;
};

void ctl_lines_init(struct ctl_lines *l, int fd);
/* Next line without its '\n', NUL-terminated, valid until the next call.
 * A last line without '\n' before EOF is returned too.  deadline is a
 * CLOCK_MONOTONIC time in seconds, 0 for none.  Returns 1 with *line, 0 at
 * EOF, -1 on error with errno set (ETIMEDOUT, EMSGSIZE for a line over
 * CTL_LINE_MAX, ENOMEM, or read's). */
int ctl_lines_next(struct ctl_lines *l, char **line, double deadline);
void ctl_lines_release(struct ctl_lines *l);

/* CLOCK_MONOTONIC in seconds. */
double ctl_now(void);

#endif
