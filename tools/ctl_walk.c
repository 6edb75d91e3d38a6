/*
 * ctl_walk: PATH arguments to relative paths, and folders to their files.
 *
 * Normalizing is lexical ("a/./b/../c" is "a/c"): nothing is looked up to
 * resolve a path, so a path leads where its text says, and ".." never
 * leaves the mount.  The walk reads each folder whole, closes it, sorts
 * its names and then goes down into its subfolders: at most one folder is
 * open at a time, however deep the tree.
 */
#include "ctl_walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- paths ---- */

/* Lexically normalize path (absolute or not) into out: components split on
 * '/', "." dropped, ".." takes one off.  An absolute path keeps its leading
 * '/'; ".." at the top of a relative path is an error (-1), at the top of
 * an absolute one it stays at '/'. */
static int normalize(const char *path, char *out, size_t outlen)
{
	const char *p = path, *end;
	size_t len = 0, n, base;
	int abs = path[0] == '/';

	if (outlen < 2)
		return -1;
	base = abs ? 1 : 0;
	if (abs)
		out[len++] = '/';
	out[len] = '\0';
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchr(p, '/');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (len == base) {
				if (!abs)
					return -1;
			} else {
				while (len > base && out[len - 1] != '/')
					len--;
				if (len > base)
					len--;	/* the '/' before it */
				out[len] = '\0';
			}
		} else {
			if (len + (len > base) + n + 1 > outlen)
				return -1;
			if (len > base)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
			out[len] = '\0';
		}
		p += n;
	}
	return 0;
}

/* If abs (normalized) is root or lies under it, the rest (without a leading
 * '/') is returned; else NULL. */
static const char *under(const char *abs, const char *root)
{
	size_t n = strlen(root);

	if (!strcmp(root, "/"))
		return abs + 1;
	if (strncmp(abs, root, n))
		return NULL;
	if (abs[n] == '\0')
		return abs + n;
	if (abs[n] == '/')
		return abs + n + 1;
	return NULL;
}

int ctl_path_resolve(const char *mnt, const char *arg, char **rel, char *err, size_t errlen)
{
	char norm[PATH_MAX], root[PATH_MAX], cwd[PATH_MAX], tmp[2 * PATH_MAX + 2], real[PATH_MAX];
	const char *r = NULL;

	*rel = NULL;
	if (!arg[0]) {
		snprintf(err, errlen, "an empty path: give '.' for the whole mount");
		return -1;
	}
	if (arg[0] != '/') {
		if (normalize(arg, norm, sizeof(norm))) {
			snprintf(err, errlen, "'%s' leads out of the mount", arg);
			return -1;
		}
		r = norm;
	} else {
		if (normalize(arg, norm, sizeof(norm))) {
			snprintf(err, errlen, "'%s': path too long", arg);
			return -1;
		}
		/* the mountpoint as given (made absolute), then with its links resolved */
		if (mnt[0] == '/') {
			snprintf(tmp, sizeof(tmp), "%s", mnt);
		} else if (getcwd(cwd, sizeof(cwd))) {
			snprintf(tmp, sizeof(tmp), "%s/%s", cwd, mnt);
		} else {
			tmp[0] = '\0';
		}
		if (tmp[0] && !normalize(tmp, root, sizeof(root)))
			r = under(norm, root);
		if (!r && realpath(mnt, real))
			r = under(norm, real);
		if (!r) {
			snprintf(err, errlen, "'%s' is not under the mount '%s'", arg, mnt);
			return -1;
		}
	}
	*rel = strdup(r);
	if (!*rel) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void ctl_path_join(const char *mnt, const char *rel, char *out, size_t outlen)
{
	size_t n = strlen(mnt);

	while (n > 1 && mnt[n - 1] == '/')
		n--;
	if (!rel[0])
		snprintf(out, outlen, "%.*s", (int)n, mnt);
	else
		snprintf(out, outlen, "%.*s/%s", (int)n, mnt, rel);
}

/* ---- the list ---- */

static int files_add(struct ctl_files *f, const char *rel, size_t sublen,
		     uint64_t size, int err)
{
	struct ctl_file *nv, *e;
	size_t ncap;

	if (f->n == f->cap) {
		ncap = f->cap ? f->cap * 2 : 64;
		nv = realloc(f->v, ncap * sizeof(*nv));
		if (!nv)
			return -1;
		f->v = nv;
		f->cap = ncap;
	}
	e = &f->v[f->n];
	e->rel = strdup(rel);
	if (!e->rel)
		return -1;
	/* sub: the part of rel below the walked argument */
	e->sub = e->rel + strlen(e->rel) - sublen;
	e->size = size;
	e->err = err;
	f->n++;
	f->bytes += size;
	if (err)
		f->nerr++;
	return 0;
}

void ctl_files_release(struct ctl_files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i].rel);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

/* ---- walking ---- */

struct walk {
	const char *mnt;
	size_t toplen;	/* length of the walked argument's rel (its prefix) */
	struct ctl_files *files;
	ctl_walk_fn fn;
	void *arg;
};

struct dent {
	char *name;
	unsigned char kind;	/* 'f' regular file, 'd' folder, 0 other */
	uint64_t size;
	int err;
};

static int cmp_dent(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

static size_t sublen_of(const struct walk *w, const char *rel)
{
	size_t n = strlen(rel);

	if (n <= w->toplen)
		return 0;
	return n - w->toplen - (w->toplen ? 1 : 0);
}

/* Read folder rel whole into *out (sorted); -1 with errno on failure. */
static int read_folder(const struct walk *w, const char *rel, struct dent **out, size_t *nout)
{
	char path[PATH_MAX];
	struct dent *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int e;

	ctl_path_join(w->mnt, rel, path, sizeof(path));
	d = opendir(path);
	if (!d)
		return -1;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				goto nomem;
			v = nv;
		}
		v[n].name = strdup(de->d_name);
		if (!v[n].name)
			goto nomem;
		v[n].kind = 0;
		v[n].size = 0;
		v[n].err = 0;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			v[n].err = errno;
		else if (S_ISREG(st.st_mode))
			v[n].kind = 'f', v[n].size = (uint64_t)st.st_size;
		else if (S_ISDIR(st.st_mode))
			v[n].kind = 'd';
		n++;
	}
	e = errno;
	closedir(d);
	if (v)
		qsort(v, n, sizeof(*v), cmp_dent);
	*out = v;
	*nout = n;
	if (e) {	/* readdir failed: keep what came, report the folder */
		errno = e;
		return 1;
	}
	return 0;
nomem:
	closedir(d);
	while (n--)
		free(v[n].name);
	free(v);
	errno = ENOMEM;
	return -1;
}

static int walk_folder(struct walk *w, const char *rel)
{
	char child[PATH_MAX];
	struct dent *v = NULL;
	size_t n = 0, i;
	int rc, ret = 0;

	rc = read_folder(w, rel, &v, &n);
	if (rc < 0)
		return errno == ENOMEM ? -1 : files_add(w->files, rel, sublen_of(w, rel), 0, errno);
	if (rc > 0 && files_add(w->files, rel, sublen_of(w, rel), 0, errno))
		ret = -1;
	for (i = 0; i < n && !ret; i++) {
		if (rel[0])
			snprintf(child, sizeof(child), "%s/%s", rel, v[i].name);
		else
			snprintf(child, sizeof(child), "%s", v[i].name);
		if (v[i].err)
			ret = files_add(w->files, child, sublen_of(w, child), 0, v[i].err);
		else if (v[i].kind == 'f')
			ret = files_add(w->files, child, sublen_of(w, child), v[i].size, 0);
	}
	if (w->fn && !ret)
		w->fn(w->arg, w->files);
	for (i = 0; i < n && !ret; i++) {
		if (v[i].kind != 'd' || v[i].err)
			continue;
		if (rel[0])
			snprintf(child, sizeof(child), "%s/%s", rel, v[i].name);
		else
			snprintf(child, sizeof(child), "%s", v[i].name);
		ret = walk_folder(w, child);
	}
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	return ret;
}

int ctl_walk(const char *mnt, const char *rel, struct ctl_files *files, ctl_walk_fn fn, void *arg)
{
	struct walk w = { .mnt = mnt, .toplen = strlen(rel), .files = files, .fn = fn, .arg = arg };
	char path[PATH_MAX];
	struct stat st;

	ctl_path_join(mnt, rel, path, sizeof(path));
	if (lstat(path, &st))
		return files_add(files, rel, 0, 0, errno);
	if (S_ISREG(st.st_mode))
		return files_add(files, rel, 0, (uint64_t)st.st_size, 0);
	if (S_ISDIR(st.st_mode))
		return walk_folder(&w, rel);
	return files_add(files, rel, 0, 0, EINVAL);	/* neither a file nor a folder */
}
