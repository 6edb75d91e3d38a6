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
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ctl.h"
#include "lmfs.h"
#include "log.h"
#include "ops.h"
#include "passthru.h"
#include "reader.h"

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

/* Send the log where mount.h says.  A daemon's file in the cache
 * directory only once lmfs_open made the directory (cache_ready); until
 * then its lines go to syslog alone. */
static int start_log(const struct config *cfg, const struct mount_opts *o, int cache_ready,
		     char *err, size_t errlen)
{
	struct log_opts lo = { o->log_level, o->log_file, 0, 0 };
	char path[4096];

	if (!o->log_file && o->foreground) {
		lo.to_stderr = 1;
	} else if (!o->log_file) {
		lo.to_syslog = 1;
		if (cache_ready) {
			snprintf(path, sizeof(path), "%s/lakemount.log", cfg->cache_dir);
			lo.file = path;
		}
	}
	return log_open(&lo, err, errlen);
}

/* logrotate's postrotate sends SIGHUP: the next line goes to a new file. */
static void on_hup(int sig)
{
	(void)sig;
	log_hup();
}

/* A daemon has no terminal whose hang-up should stop it: SIGHUP, which
 * libfuse made a way to unmount, reopens the log instead. */
static void hup_reopens_log(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
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
	struct lmfs fs = { 0 };
	struct ctl *ctl = NULL;
	char lerr[512];
	int rc = 1, opened = 0, mounted = 0, handlers = 0;

	/* Blocks (1 MiB) come and go all the time: from the heap, reused,
	 * rather than a fresh mmap (and page faults) each. */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	/* default_permissions always: the kernel checks the mode bits lmfs_stat
	 * gives, which is what makes allow_other safe (lakemount itself checks
	 * no caller's uid).  nosuid and nodev are libfuse's defaults and stay:
	 * modes come from x-amz-meta-mode, which anyone with write access to
	 * the bucket sets. */
	snprintf(fopts, sizeof(fopts),
		 "fsname=lakemount,subtype=lakemount,default_permissions%s%s%s",
		 o->allow_other ? ",allow_other" : "", o->readonly ? ",ro" : "",
		 o->noexec ? ",noexec" : "");
	if (start_log(cfg, o, 0, err, sizeof(err)))
		goto fail;
	if (sources_ok(cfg, err, sizeof(err)))
		goto fail;
	if (lmfs_open(&fs, cfg, err, sizeof(err)))
		goto fail;
	opened = 1;
	if (!o->log_file && !o->foreground && start_log(cfg, o, 1, lerr, sizeof(lerr)))
		log_warn(LOG_FIELDS(LF_STR("error", lerr)), "%s", lerr);
	se = fuse_session_new(&args, ops_table(), sizeof(struct fuse_lowlevel_ops), &fs);
	if (!se) {
		snprintf(err, sizeof(err), "cannot start a FUSE session (is /dev/fuse there?)");
		goto fail;
	}
	if (fuse_set_signal_handlers(se) == 0)
		handlers = 1;
	if (!o->foreground)
		hup_reopens_log();
	if (fuse_session_mount(se, o->mountpoint)) {
		snprintf(err, sizeof(err), "cannot mount on '%s' (see the message above, or "
			 "is something mounted there already?)", o->mountpoint);
		goto fail;
	}
	mounted = 1;
	/* before the first request: INIT is where passthrough is agreed */
	if (!o->nopassthrough)
		fs.pt = passthru_attach(se);
	ctl = ctl_start(&fs, o->mountpoint, o->metrics_file, err, sizeof(err));
	if (!ctl)
		log_warn(LOG_FIELDS(LF_STR("path", o->mountpoint), LF_STR("error", err)),
			 "no control socket: %s", err);
	log_info(LOG_FIELDS(LF_STR("path", o->mountpoint), LF_STR("config", o->source),
			    LF_INT("pid", getpid()),
			    LF_STR("log_level", log_level_name(o->log_level))),
		 "mounted on %s", o->mountpoint);
	report(notify, "");
	/* after the mount is up, so that nobody waits for it */
	if (!o->nopretouch && fs.reader)
		reader_pretouch(fs.reader);
	if (notify >= 0) {
		close(notify);
		notify = -1;
		detach_stdio();
	}
	/* The loop returns the number of a signal that ended it (SIGTERM,
	 * SIGINT): that is a clean stop, not a failure. */
	rc = fuse_session_loop_mt(se, &lc) < 0 ? 1 : 0;
	log_info(LOG_FIELDS(LF_STR("path", o->mountpoint)), "unmounting %s", o->mountpoint);
	goto out;
fail:
	/* on stderr the message below says it already */
	if (notify >= 0 || o->log_file)
		log_error(LOG_FIELDS(LF_STR("path", o->mountpoint), LF_STR("config", o->source)),
			  "cannot mount: %s", err);
	report(notify, err);
out:
	ctl_stop(ctl);
	if (handlers)
		fuse_remove_signal_handlers(se);
	if (mounted)
		fuse_session_unmount(se);
	if (se)
		fuse_session_destroy(se);
	passthru_free(fs.pt);
	if (opened)
		lmfs_close(&fs);	/* logs what the journal still holds */
	log_close();
	fuse_opt_free_args(&args);
	return rc;
}

/* The daemon leaves the working directory for "/": a relative path in the
 * environment (read again when the daemon makes its clients) must not
 * change meaning. */
static void absolute_env(const char *name)
{
	const char *v = getenv(name);
	char abs[PATH_MAX];

	if (v && *v && v[0] != '/' && realpath(v, abs))
		setenv(name, abs, 1);
}

int mount_run(struct config *cfg, const struct mount_opts *o)
{
	struct stat st;
	char msg[2048];
	ssize_t n;
	int fds[2], status;
	pid_t pid;

	/* /dev/fd/N: mount.fuse3 -o drop_privileges mounted already, and
	 * libfuse takes the descriptor */
	if (strncmp(o->mountpoint, "/dev/fd/", 8) &&
	    (stat(o->mountpoint, &st) || !S_ISDIR(st.st_mode))) {
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
		absolute_env("AWS_SHARED_CREDENTIALS_FILE");
		absolute_env("AWS_CONFIG_FILE");
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
