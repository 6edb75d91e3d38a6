/*
 * Inside the control socket: the server (ctl.c) hands each request to a
 * command (ctl_cmds.c, ctl_copy.c) as a struct ctl_req.
 */
#ifndef LM_CTL_INT_H
#define LM_CTL_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "ctl.h"
#include "index.h"

struct ctl {
	struct lmfs *fs;
	char *path;			/* the socket */
	char *pins_path;		/* CACHE_DIR/pins */
	char *mountpoint;
	char *metrics_file;		/* NULL: none */
	int lfd;
	int wake[2];			/* ctl_stop wakes the server's poll */
	pthread_t thread;
	struct timespec started;
	pthread_mutex_t lock;		/* guards nconn, stopping, pins */
	pthread_cond_t cond;		/* a connection ended */
	int nconn;
	int stopping;
	char **pins;			/* object ids pinned by the user */
	uint64_t *pin_blocks;		/* and how many blocks each */
	size_t npins;
};

struct ctl_req {
	struct ctl *c;
	int fd;
	int gone;			/* the client went away */
	struct timespec last_progress;
};

/* Send a progress object (taken over) at most ~4 times a second; force:
 * now.  Returns -1 when the client is gone or the daemon is stopping: the
 * command should give up. */
int ctl_progress(struct ctl_req *r, json_t *progress, int force);
/* The daemon is unmounting, or the client left. */
int ctl_cancelled(struct ctl_req *r);

/* A final answer: {"ok":false,"errno":e,"error":msg}. */
json_t *ctl_fail(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The row of a path relative to the mount's root.  0, or a negative errno
 * (-EINVAL for a path that is not one: "..", a leading '/'). */
int ctl_resolve(struct ctl *c, const char *path, struct index_entry *e);

/* Seconds since ctl_start. */
double ctl_uptime(struct ctl *c);

/* Commands: each gets the request object and returns the final answer. */
json_t *ctl_cmd_status(struct ctl_req *r, json_t *req);
json_t *ctl_cmd_stats(struct ctl_req *r, json_t *req);
json_t *ctl_cmd_prefetch(struct ctl_req *r, json_t *req);
json_t *ctl_cmd_pin(struct ctl_req *r, json_t *req);
json_t *ctl_cmd_unpin(struct ctl_req *r, json_t *req);
json_t *ctl_cmd_evict(struct ctl_req *r, json_t *req);
json_t *ctl_cmd_verify(struct ctl_req *r, json_t *req);
json_t *ctl_cmd_flush(struct ctl_req *r, json_t *req);
json_t *ctl_cmd_copy(struct ctl_req *r, json_t *req);

/* The Prometheus text of the daemon's counters (malloc'd), or NULL. */
char *ctl_prometheus(struct ctl *c);

/* Pins (ctl_cmds.c): load CACHE_DIR/pins and pin what it names. */
void ctl_pins_load(struct ctl *c);
void ctl_pins_free(struct ctl *c);

#endif
