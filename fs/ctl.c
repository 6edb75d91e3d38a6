/*
 * The control socket's server (the protocol is in ctl.h).
 *
 * One thread polls the listening socket (and, every METRICS_PERIOD, writes
 * the metrics file); each connection is served on a detached thread of its
 * own, at most MAX_CONN at once.  Who may talk to us: the socket is 0600 in
 * the 0700 cache directory, and SO_PEERCRED must say root or our own uid.
 *
 * Lock order: ctl.lock is taken alone, or before fs/ locks (the pin list is
 * changed under it while blocks are pinned: ctl.lock -> cache/ locks).
 * ctl_stop sets `stopping`; long commands look at it between steps, and
 * ctl_stop waits until nconn is 0, so no request outlives the lmfs.
 */
#include "ctl_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lmfs.h"

#define MAX_CONN 64
#define MAX_REQUEST 65536
#define METRICS_PERIOD_MS 15000
#define PROGRESS_NS 250000000L

struct conn {
	struct ctl *c;
	int fd;
};

static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

double ctl_uptime(struct ctl *c)
{
	return since(&c->started);
}

json_t *ctl_fail(int errnum, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b,s:i,s:s}", "ok", 0, "errno", errnum, "error", msg);
}

/* Write one JSON line.  -1 when the client is gone. */
static int send_line(int fd, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
	size_t len, done = 0;
	ssize_t n;
	int rc = -1;

	if (!text)
		return -1;
	len = strlen(text);
	text[len++] = '\n';	/* json_dumps left room: its NUL */
	while (done < len) {
		n = send(fd, text + done, len - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		done += (size_t)n;
	}
	rc = 0;
out:
	free(text);
	return rc;
}

int ctl_cancelled(struct ctl_req *r)
{
	int stop;

	pthread_mutex_lock(&r->c->lock);
	stop = r->c->stopping;
	pthread_mutex_unlock(&r->c->lock);
	return stop || r->gone;
}

int ctl_progress(struct ctl_req *r, json_t *progress, int force)
{
	json_t *line;

	if (!force && since(&r->last_progress) < PROGRESS_NS / 1e9) {
		json_decref(progress);
		return ctl_cancelled(r) ? -1 : 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &r->last_progress);
	line = json_pack("{s:o}", "progress", progress);
	if (!line || send_line(r->fd, line))
		r->gone = 1;
	json_decref(line);
	return ctl_cancelled(r) ? -1 : 0;
}

/* Read the request line; NULL with *why set when there is none. */
static json_t *read_request(int fd, json_t **why)
{
	char *buf = malloc(MAX_REQUEST + 1), *nl = NULL;
	size_t got = 0;
	json_error_t je;
	json_t *req = NULL;
	ssize_t n;

	*why = NULL;
	if (!buf) {
		*why = ctl_fail(ENOMEM, "out of memory");
		return NULL;
	}
	while (!nl && got < MAX_REQUEST) {
		n = recv(fd, buf + got, MAX_REQUEST - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf[got + (size_t)n] = '\0';
		nl = strchr(buf + got, '\n');
		got += (size_t)n;
	}
	if (!nl) {
		*why = ctl_fail(EINVAL, got >= MAX_REQUEST ? "request too long"
							   : "no request line came");
		goto out;
	}
	*nl = '\0';
	req = json_loads(buf, 0, &je);
	if (!req || !json_is_object(req)) {
		*why = ctl_fail(EINVAL, "the request is not a JSON object: %s",
				req ? "wrong type" : je.text);
		json_decref(req);
		req = NULL;
	}
out:
	free(buf);
	return req;
}

static const struct {
	const char *name;
	json_t *(*fn)(struct ctl_req *r, json_t *req);
} commands[] = {
	{ "status", ctl_cmd_status },	{ "stats", ctl_cmd_stats },
	{ "prefetch", ctl_cmd_prefetch }, { "pin", ctl_cmd_pin },
	{ "unpin", ctl_cmd_unpin },	{ "evict", ctl_cmd_evict },
	{ "verify", ctl_cmd_verify },	{ "flush", ctl_cmd_flush },
	{ "copy", ctl_cmd_copy },
};

static json_t *dispatch(struct ctl_req *r, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	size_t i;

	if (!cmd)
		return ctl_fail(EINVAL, "the request has no \"cmd\"");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, cmd))
			return commands[i].fn(r, req);
	return ctl_fail(EINVAL, "unknown command '%s'", cmd);
}

static int peer_allowed(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		return 0;
	return cr.uid == 0 || cr.uid == geteuid();
}

static void *conn_main(void *arg)
{
	struct conn *cn = arg;
	struct ctl *c = cn->c;
	struct ctl_req r = { c, cn->fd, 0, { 0, 0 } };
	struct timeval tv = { 10, 0 };
	json_t *req = NULL, *answer = NULL;

	setsockopt(cn->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(cn->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* The request is read before a stranger is refused: a client that is
	 * still sending when the socket closes gets EPIPE, not the answer. */
	req = read_request(cn->fd, &answer);
	if (!peer_allowed(cn->fd)) {
		json_decref(answer);
		answer = ctl_fail(EACCES, "permission denied: only root and the user who "
					  "mounted it may use this control socket");
	} else if (req) {
		answer = dispatch(&r, req);
	}
	if (!answer)
		answer = ctl_fail(ENOMEM, "out of memory");
	if (answer && !r.gone)
		send_line(cn->fd, answer);
	json_decref(answer);
	json_decref(req);
	close(cn->fd);
	free(cn);
	pthread_mutex_lock(&c->lock);
	c->nconn--;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

static void serve(struct ctl *c, int fd)
{
	struct conn *cn = NULL;
	pthread_attr_t at;
	pthread_t t;
	int busy;

	pthread_mutex_lock(&c->lock);
	busy = c->nconn >= MAX_CONN || c->stopping;
	if (!busy)
		c->nconn++;
	pthread_mutex_unlock(&c->lock);
	if (busy) {
		json_t *no = ctl_fail(EAGAIN, "too many requests at once; try again");

		if (no)
			send_line(fd, no);
		json_decref(no);
		close(fd);
		return;
	}
	cn = malloc(sizeof(*cn));
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (cn) {
		cn->c = c;
		cn->fd = fd;
	}
	if (!cn || pthread_create(&t, &at, conn_main, cn)) {
		free(cn);
		close(fd);
		pthread_mutex_lock(&c->lock);
		c->nconn--;
		pthread_mutex_unlock(&c->lock);
	}
	pthread_attr_destroy(&at);
}

/* Rewrite the metrics file whole: a reader never sees half of it. */
static void write_metrics(struct ctl *c)
{
	char *text = ctl_prometheus(c), tmp[4200];
	FILE *f = NULL;

	if (!text)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", c->metrics_file);
	f = fopen(tmp, "w");
	if (!f)
		goto out;
	fputs(text, f);
	if (fclose(f) == 0)
		rename(tmp, c->metrics_file);
	else
		unlink(tmp);
out:
	free(text);
}

static void *server_main(void *arg)
{
	struct ctl *c = arg;
	struct pollfd p[2] = { { c->lfd, POLLIN, 0 }, { c->wake[0], POLLIN, 0 } };
	struct timespec next;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &next);
	next.tv_sec -= METRICS_PERIOD_MS / 1000;	/* the first one at once */
	for (;;) {
		int wait = c->metrics_file ? (int)(METRICS_PERIOD_MS - since(&next) * 1000) : -1;

		if (c->metrics_file && wait <= 0) {
			write_metrics(c);
			clock_gettime(CLOCK_MONOTONIC, &next);
			wait = METRICS_PERIOD_MS;
		}
		if (poll(p, 2, wait) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			serve(c, fd);
	}
	return NULL;
}

static void ctl_free(struct ctl *c)
{
	if (c->lfd >= 0)
		close(c->lfd);
	if (c->wake[0] >= 0)
		close(c->wake[0]);
	if (c->wake[1] >= 0)
		close(c->wake[1]);
	ctl_pins_free(c);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c->path);
	free(c->pins_path);
	free(c->mountpoint);
	free(c->metrics_file);
	free(c);
}

struct ctl *ctl_start(struct lmfs *fs, const char *mountpoint, const char *metrics_file,
		      char *err, size_t errlen)
{
	struct ctl *c = calloc(1, sizeof(*c));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *dir = fs->cfg->cache_dir;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->fs = fs;
	c->lfd = c->wake[0] = c->wake[1] = -1;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	if (asprintf(&c->path, "%s/control.sock", dir) < 0 ||
	    asprintf(&c->pins_path, "%s/pins", dir) < 0) {
		c->path = c->pins_path = NULL;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	c->mountpoint = strdup(mountpoint);
	c->metrics_file = metrics_file ? strdup(metrics_file) : NULL;
	if (!c->mountpoint || (metrics_file && !c->metrics_file)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket '%s': the path is longer than a socket's "
			 "%zu bytes; use a shorter cache_dir", c->path, sizeof(sa.sun_path) - 1);
		goto fail;
	}
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	/* A socket left by a daemon that died: nobody listens on it. */
	unlink(c->path);
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(c->path, 0600) || listen(c->lfd, 64) || pipe2(c->wake, O_CLOEXEC)) {
		snprintf(err, errlen, "control socket '%s': %s", c->path, strerror(errno));
		goto fail;
	}
	ctl_pins_load(c);
	if (pthread_create(&c->thread, NULL, server_main, c)) {
		snprintf(err, errlen, "cannot start the control socket's thread");
		goto fail;
	}
	fs->control = c->path;
	return c;
fail:
	if (c->lfd >= 0)
		unlink(c->path);
	ctl_free(c);
	return NULL;
}

void ctl_stop(struct ctl *c)
{
	char one = 1;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_mutex_unlock(&c->lock);
	if (write(c->wake[1], &one, 1) < 0)
		return;	/* cannot happen: a fresh pipe has room */
	pthread_join(c->thread, NULL);
	pthread_mutex_lock(&c->lock);
	while (c->nconn)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
	if (c->metrics_file)
		write_metrics(c);
	unlink(c->path);
	c->fs->control = NULL;
	ctl_free(c);
}

const char *ctl_path(const struct ctl *c)
{
	return c->path;
}

int ctl_resolve(struct ctl *c, const char *path, struct index_entry *e)
{
	char *copy = strdup(path), *comp, *save = NULL;
	uint64_t ino = INDEX_ROOT_INO;
	int rc = -EINVAL;

	memset(e, 0, sizeof(*e));
	if (!copy)
		return -ENOMEM;
	if (path[0] == '/')
		goto out;
	for (comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		if (!strcmp(comp, ".") || !strcmp(comp, "..")) {
			rc = -EINVAL;
			goto out;
		}
		index_entry_release(e);
		rc = dir_lookup(c->fs, ino, comp, e);
		if (rc)
			goto out;
		ino = e->ino;
	}
	if (ino == INDEX_ROOT_INO)
		rc = index_get(c->fs->ix, ino, e) ? -EIO : 0;
	else
		rc = 0;
out:
	if (rc)
		index_entry_release(e);
	free(copy);
	return rc;
}
