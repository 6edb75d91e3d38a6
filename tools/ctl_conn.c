/*
 * ctl_conn: the client side of the control socket (see fs/ctl.h).
 *
 * Finding the socket: the mount root's user.lakemount.control attribute.
 * A request: connect, one JSON line out, then lines in until the final
 * {"ok":...} one.  Lines are read with a buffer of our own, so a line may
 * arrive in any number of pieces and several lines in one read.
 */
#include "ctl_conn.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define PERM_HINT "only root and the user who mounted it may use its control socket"

double ctl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- finding the socket ---- */

/* The root of the filesystem holding path (the last directory up from it
 * on the same device), into out; -1 if it cannot be told. */
static int fs_root(const char *path, char *out, size_t outlen)
{
	char cur[PATH_MAX], up[PATH_MAX + 4];
	struct stat st, pst;
	int i;

	if (!realpath(path, cur) || stat(cur, &st))
		return -1;
	for (i = 0; i < 256 && strcmp(cur, "/"); i++) {
		snprintf(up, sizeof(up), "%s/..", cur);
		if (stat(up, &pst) || pst.st_dev != st.st_dev)
			break;
		if (!realpath(up, cur))
			return -1;
	}
	snprintf(out, outlen, "%s", cur);
	return 0;
}

/* getxattr failed with ENODATA/ENOTSUP: say why as precisely as we can. */
static void not_lakemount(const char *mnt, char *err, size_t errlen)
{
	char root[PATH_MAX], probe[8];

	if (getxattr(mnt, "user.lakemount.stats", probe, 0) >= 0) {
		snprintf(err, errlen, "'%s': this lakemount has no control socket "
			 "(an older version: remount it with this one)", mnt);
		return;
	}
	if (!fs_root(mnt, root, sizeof(root)) &&
	    getxattr(root, CTL_XATTR, probe, 0) >= 0) {
		snprintf(err, errlen, "'%s' is a folder inside the lakemount mount '%s': "
			 "give the mount's root", mnt, root);
		return;
	}
	snprintf(err, errlen, "'%s' is not a lakemount mount", mnt);
}

int ctl_locate(const char *mnt, char *sock, size_t socklen, char *err, size_t errlen)
{
	ssize_t n;

	if (socklen < 2) {
		snprintf(err, errlen, "no room for the socket's path");
		return -1;
	}
	n = getxattr(mnt, CTL_XATTR, sock, socklen - 1);
	if (n < 0) {
		switch (errno) {
		case ENODATA:
		case ENOTSUP:
			not_lakemount(mnt, err, errlen);
			break;
		case EACCES:
		case EPERM:
			snprintf(err, errlen, "'%s': permission denied: " PERM_HINT, mnt);
			break;
		case ENOTCONN:
			snprintf(err, errlen, "'%s': transport endpoint is not connected "
				 "(its daemon is gone: unmount it with 'fusermount3 -u %s')", mnt, mnt);
			break;
		case ENOENT:
		case ENOTDIR:
			snprintf(err, errlen, "'%s': no such directory", mnt);
			break;
		case ERANGE:
			snprintf(err, errlen, "'%s': the control socket's path is too long", mnt);
			break;
		default:
			snprintf(err, errlen, "'%s': %s", mnt, strerror(errno));
		}
		return -1;
	}
	while (n > 0 && (sock[n - 1] == '\0' || sock[n - 1] == '\n'))
		n--;
	sock[n] = '\0';
	if (sock[0] != '/') {
		snprintf(err, errlen, "'%s': the daemon gave a control socket path that is not "
			 "absolute: '%s'", mnt, sock);
		return -1;
	}
	return 0;
}

/* ---- connecting ---- */

static int ctl_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int fd, rc;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket '%s': path too long for a socket", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	do
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	while (rc && errno == EINTR);
	if (!rc)
		return fd;
	switch (errno) {
	case EACCES:
	case EPERM:
		snprintf(err, errlen, "cannot connect to '%s': permission denied: " PERM_HINT, path);
		break;
	case ENOENT:
		snprintf(err, errlen, "cannot connect to '%s': no such socket "
			 "(is the daemon still running?)", path);
		break;
	case ECONNREFUSED:
		snprintf(err, errlen, "cannot connect to '%s': connection refused "
			 "(is the daemon still running?)", path);
		break;
	default:
		snprintf(err, errlen, "cannot connect to '%s': %s", path, strerror(errno));
	}
	close(fd);
	return -1;
}

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ---- reading lines ---- */

void ctl_lines_init(struct ctl_lines *l, int fd)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
}

void ctl_lines_release(struct ctl_lines *l)
{
	free(l->buf);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}

/* Wait until fd is readable or the deadline passes. */
static int wait_readable(int fd, double deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	double left;
	int rc;

	if (deadline <= 0)
		return 0;
	for (;;) {
		left = deadline - ctl_now();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		rc = poll(&pfd, 1, left > 3600 ? 3600 * 1000 : (int)(left * 1000) + 1);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/* Make room for at least one more byte to read (and the NUL). */
static int lines_room(struct ctl_lines *l)
{
	size_t ncap;
	char *nb;

	if (l->off > 0) {
		memmove(l->buf, l->buf + l->off, l->len - l->off);
		l->len -= l->off;
		l->off = 0;
	}
	if (l->len + 1 < l->cap)
		return 0;
	if (l->len >= CTL_LINE_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	ncap = l->cap ? l->cap * 2 : 4096;
	if (ncap > CTL_LINE_MAX + 2)
		ncap = CTL_LINE_MAX + 2;
	nb = realloc(l->buf, ncap);
	if (!nb) {
		errno = ENOMEM;
		return -1;
	}
	l->buf = nb;
	l->cap = ncap;
	return 0;
}

int ctl_lines_next(struct ctl_lines *l, char **line, double deadline)
{
	size_t scanned = 0;
	char *nl;
	ssize_t n;

	for (;;) {
		if (l->buf) {
			nl = memchr(l->buf + l->off + scanned, '\n', l->len - l->off - scanned);
			if (nl) {
				*nl = '\0';
				*line = l->buf + l->off;
				l->off = (size_t)(nl - l->buf) + 1;
				return 1;
			}
			scanned = l->len - l->off;
		}
		if (l->fd < 0)
			break;	/* EOF seen before */
		if (lines_room(l))
			return -1;
		scanned = l->len;	/* lines_room moved the unread bytes to 0 */
		if (wait_readable(l->fd, deadline))
			return -1;
		n = read(l->fd, l->buf + l->len, l->cap - l->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			l->fd = -1;
			break;
		}
		l->len += (size_t)n;
	}
	if (!l->buf || l->off == l->len)
		return 0;
	/* a last line without its '\n' */
	l->buf[l->len] = '\0';
	*line = l->buf + l->off;
	l->off = l->len;
	return 1;
}

/* ---- a request ---- */

static void excerpt(const char *s, char *out, size_t outlen)
{
	size_t i, n = strlen(s);

	if (n > 80)
		n = 80;
	for (i = 0; i < n && i + 1 < outlen; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i] = '\0';
}

/* The answer's lines, up to the final one. */
static int read_answer(struct ctl_lines *l, const char *sock, double deadline,
		       ctl_progress_fn progress, void *arg, json_t **final,
		       char *err, size_t errlen)
{
	char *line, ex[96];
	json_t *obj, *p;
	json_error_t jerr;
	int rc;

	for (;;) {
		rc = ctl_lines_next(l, &line, deadline);
		if (rc < 0) {
			if (errno == ETIMEDOUT)
				snprintf(err, errlen, "no answer from the daemon in time ('%s')", sock);
			else
				snprintf(err, errlen, "reading from '%s': %s", sock, strerror(errno));
			return -1;
		}
		if (rc == 0) {
			snprintf(err, errlen, "the daemon closed the connection without an answer "
				 "(see its log, lakemount.log in its cache directory)");
			return -1;
		}
		if (!line[0])
			continue;
		obj = json_loads(line, 0, &jerr);
		if (!obj || !json_is_object(obj)) {
			excerpt(line, ex, sizeof(ex));
			snprintf(err, errlen, "the daemon sent a line that is not a JSON object: '%s'", ex);
			json_decref(obj);
			return -1;
		}
		if (json_object_get(obj, "ok")) {
			*final = obj;
			return 0;
		}
		p = json_object_get(obj, "progress");
		if (!p) {
			excerpt(line, ex, sizeof(ex));
			snprintf(err, errlen, "the daemon sent a line with neither \"ok\" nor "
				 "\"progress\": '%s'", ex);
			json_decref(obj);
			return -1;
		}
		if (progress)
			progress(arg, p);
		json_decref(obj);
	}
}

int ctl_call(const char *sock, json_t *req, double timeout_s, ctl_progress_fn progress,
	     void *arg, json_t **final, char *err, size_t errlen)
{
	struct ctl_lines l;
	double deadline = timeout_s > 0 ? ctl_now() + timeout_s : 0;
	char *text = NULL, *line = NULL;
	size_t n;
	int fd, rc = -1;

	*final = NULL;
	text = json_dumps(req, JSON_COMPACT);
	if (!text) {
		snprintf(err, errlen, "cannot encode the request (a name that is not UTF-8?)");
		return -1;
	}
	n = strlen(text);
	line = malloc(n + 2);
	if (!line) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(line, text, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	fd = ctl_connect(sock, err, errlen);
	if (fd < 0)
		goto out;
	ctl_lines_init(&l, fd);
	if (write_all(fd, line, n + 1)) {
		/* the daemon may have refused us with a line before closing */
		int werr = errno;

		if (read_answer(&l, sock, ctl_now() + 1, NULL, NULL, final, err, errlen))
			snprintf(err, errlen, "writing to '%s': %s", sock, strerror(werr));
	} else {
		rc = read_answer(&l, sock, deadline, progress, arg, final, err, errlen);
	}
	if (*final)
		rc = 0;
	ctl_lines_release(&l);
	close(fd);
out:
	free(line);
	free(text);
	return rc;
}

/* ---- final objects ---- */

int ctl_final_ok(json_t *final)
{
	return json_is_true(json_object_get(final, "ok"));
}

const char *ctl_final_error(json_t *final)
{
	const char *s = json_string_value(json_object_get(final, "error"));

	return s && *s ? s : "the daemon gave no reason";
}

int ctl_final_errno(json_t *final)
{
	json_t *e = json_object_get(final, "errno");

	return json_is_integer(e) ? (int)json_integer_value(e) : 0;
}
