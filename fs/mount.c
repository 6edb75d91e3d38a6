/*
 * Mounting and serving.
 *
 * In the background case the process forks *before* any thread exists (the
 * S3 engine and reader threads would not survive a fork); the child does all
 * the work and tells the parent over a pipe either "ok" or the message of
 * what failed, which the parent prints before exiting 1.  So `lakemount`
 * returns once the mount is ready, and a bad config, an unreachable
 * endpoint or a wrong secret are reported on the terminal.
 */
#define FUSE_USE_VERSION 34

#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "lmfs.h"
#include "ops.h"

/* Report to the parent (fd >= 0) or to stderr. */
static void report(int fd, const char *msg)
{
	size_t len = strlen(msg);

	if (fd < 0) {
		if (*msg)
			fprintf(stderr, "lakemount: %s\n", msg);
		return;
	}
	if (write(fd, msg, len ? len : 1) < 0)
		return;
}

/* Every source must answer before we mount over the user's directory. */
static int sources_ok(struct config *cfg, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int rc;

	if (!mem) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = check_sources(cfg, mem);
	fclose(mem);
	if (rc) {
		/* Keep the lines of the sources that failed. */
		char *line, *save = NULL;
		size_t used = 0;

		err[0] = '\0';
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (!strstr(line, "': ok ("))
				used += (size_t)snprintf(err + used, used < errlen ? errlen - used : 0,
							 "%s%s", used ? "\n" : "", line);
	}
	free(text);
	return rc ? -1 : 0;
}

static FILE *open_log(struct config *cfg, int foreground)
{
	char path[4096];
	int fd;

	if (foreground)
		return stderr;
	snprintf(path, sizeof(path), "%s/lakemount.log", cfg->cache_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	return fd < 0 ? NULL : fdopen(fd, "a");
}

static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static int serve(struct config *cfg, const struct mount_opts *o, int notify)
{
	char err[2048], fopts[256];
	char *argv[] = { "lakemount", "-o", fopts, o->debug ? "-d" : NULL, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(o->debug ? 4 : 3, argv);
	struct fuse_loop_config lc = { .clone_fd = 0, .max_idle_threads = 16 };
	struct fuse_session *se = NULL;
	struct lmfs fs;
	FILE *log = NULL;
	int rc = 1, opened = 0, mounted = 0, handlers = 0;

	/* Blocks (1 MiB) come and go all the time: from the heap, reused,
	 * rather than a fresh mmap (and page faults) each. */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	snprintf(fopts, sizeof(fopts), "fsname=lakemount,subtype=lakemount,default_permissions%s",
		 o->allow_other ? ",allow_other" : "");
	if (sources_ok(cfg, err, sizeof(err)))
		goto fail;
	if (lmfs_open(&fs, cfg, NULL, err, sizeof(err)))
		goto fail;
	opened = 1;
	log = open_log(cfg, o->foreground);
	fs.log = log;
	se = fuse_session_new(&args, ops_table(), sizeof(struct fuse_lowlevel_ops), &fs);
	if (!se) {
		snprintf(err, sizeof(err), "cannot start a FUSE session (is /dev/fuse there?)");
		goto fail;
	}
	if (fuse_set_signal_handlers(se) == 0)
		handlers = 1;
	if (fuse_session_mount(se, o->mountpoint)) {
		snprintf(err, sizeof(err), "cannot mount on '%s' (see the message above, or "
			 "is something mounted there already?)", o->mountpoint);
		goto fail;
	}
	mounted = 1;
	lmfs_log(&fs, "mounted on %s", o->mountpoint);
	report(notify, "");
	if (notify >= 0) {
		close(notify);
		notify = -1;
		detach_stdio();
	}
	/* The loop returns the number of a signal that ended it (SIGTERM,
	 * SIGINT): that is a clean stop, not a failure. */
	rc = fuse_session_loop_mt(se, &lc) < 0 ? 1 : 0;
	lmfs_log(&fs, "unmounting %s", o->mountpoint);
	goto out;
fail:
	report(notify, err);
out:
	if (handlers)
		fuse_remove_signal_handlers(se);
	if (mounted)
		fuse_session_unmount(se);
	if (se)
		fuse_session_destroy(se);
	if (opened)
		lmfs_close(&fs);
	if (log && log != stderr)
		fclose(log);
	fuse_opt_free_args(&args);
	return rc;
}

int mount_run(struct config *cfg, const struct mount_opts *o)
{
	struct stat st;
	char msg[2048];
	ssize_t n;
	int fds[2], status;
	pid_t pid;

	if (stat(o->mountpoint, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "lakemount: mount point '%s' is not a directory\n", o->mountpoint);
		return 1;
	}
	if (o->foreground)
		return serve(cfg, o, -1);
	if (pipe2(fds, O_CLOEXEC)) {
		perror("lakemount: pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("lakemount: fork");
		return 1;
	}
	if (pid == 0) {
		close(fds[0]);
		setsid();
		if (chdir("/"))
			_exit(1);
		_exit(serve(cfg, o, fds[1]));
	}
	close(fds[1]);
	n = read(fds[0], msg, sizeof(msg) - 1);
	close(fds[0]);
	if (n > 0 && !(n == 1 && msg[0] == '\0')) {
		msg[n] = '\0';
		fprintf(stderr, "lakemount: %s\n", msg);
		waitpid(pid, &status, 0);
		return 1;
	}
	if (n <= 0) {
		fprintf(stderr, "lakemount: the daemon died before the mount was ready\n");
		waitpid(pid, &status, 0);
		return 1;
	}
	return 0;
}
