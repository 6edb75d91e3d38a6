/*
 * ctl_walk: turning the PATH arguments of lakemount-ctl into the mount's
 * relative paths the daemon takes, and folders into their files.
 *
 * A relative path is what the control protocol calls a path: relative to
 * the mount's root, no leading '/', no "." or ".." components, "" for the
 * root itself.  Folders are walked through the mount (opendir, readdir,
 * lstat), so the daemon lists them as it lists them for `ls`.
 */
#ifndef LM_CTL_WALK_H
#define LM_CTL_WALK_H

#include <stddef.h>
#include <stdint.h>

/* One regular file found, or one path that could not be walked (err != 0:
 * an errno; the file is then counted as failed). */
struct ctl_file {
	char *rel;	/* relative to the mount's root */
	char *sub;	/* relative to the walked argument ("" when it was the file) */
	uint64_t size;
	int err;
};

/* A growing list of files; owns its entries. */
struct ctl_files {
	struct ctl_file *v;
	size_t n, cap;
	uint64_t bytes;	/* the sum of the sizes */
	size_t nerr;	/* entries with err != 0 */
};

/* Normalize arg into *rel (malloc'ed; the caller frees it).  An absolute
 * arg must lie under mountpoint (as given, or with its symlinks resolved);
 * a relative one is taken relative to mountpoint.  Returns 0, or -1 with a
 * message in err ("'/x' is not under the mount '/mnt'", "'../x' leads out
 * of the mount"). */
int ctl_path_resolve(const char *mountpoint, const char *arg, char **rel,
		     char *err, size_t errlen);

/* mountpoint + "/" + rel into out (rel "" gives the mountpoint itself). */
void ctl_path_join(const char *mountpoint, const char *rel, char *out, size_t outlen);

/* Called after each folder walked, with the list so far (for a count on
 * the terminal).  May be NULL. */
typedef void (*ctl_walk_fn)(void *arg, const struct ctl_files *files);

/* Append the regular files at or under rel to files, in name order
 * (bytewise), folder by folder.  Symbolic links and special files are
 * skipped.  What cannot be read (rel itself missing, a folder that cannot
 * be opened) is appended with err set.  Returns -1 only when out of memory. */
int ctl_walk(const char *mountpoint, const char *rel, struct ctl_files *files,
	     ctl_walk_fn fn, void *arg);

void ctl_files_release(struct ctl_files *files);

#endif
