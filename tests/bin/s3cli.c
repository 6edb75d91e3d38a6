/*
 * s3cli: a small S3 command line over backend/, for test scripts.
 *
 *   S3_ENDPOINT=.. S3_ACCESS_KEY=.. S3_SECRET_KEY=.. [S3_REGION=..] s3cli CMD ...
 *     mb BUCKET                 create a bucket
 *     put BUCKET KEY FILE       upload FILE ('-' for stdin)
 *     get BUCKET KEY            write the object to stdout
 *     head BUCKET KEY           print size and ETag
 *     meta BUCKET KEY           print its x-amz-meta-* as NAME=VALUE lines
 *     ls BUCKET [PREFIX]        list every key under PREFIX (no delimiter):
 *                               KEY<TAB>SIZE<TAB>MTIME (seconds)
 *     rm BUCKET KEY             delete
 *     put-tree BUCKET DIR [PREFIX]
 *                               upload every file under DIR as PREFIX/relpath,
 *                               8 at a time
 *     presign BUCKET KEY        print a presigned GET URL (1 hour)
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "s3.h"

static struct s3_client *client(const char *bucket)
{
	struct creds cr = { 0 };
	struct s3_client_opts o = { 0 };
	struct s3_error err;
	struct s3_client *c;

	cr.access_key = getenv("S3_ACCESS_KEY");
	cr.secret_key = getenv("S3_SECRET_KEY");
	o.endpoint = getenv("S3_ENDPOINT");
	o.region = getenv("S3_REGION");
	o.bucket = bucket;
	o.path_style = 1;
	o.tls_verify = 1;
	o.creds = &cr;
	o.deadline_ms = 120000;
	if (!o.endpoint || !cr.access_key || !cr.secret_key) {
		fprintf(stderr, "s3cli: set S3_ENDPOINT, S3_ACCESS_KEY and S3_SECRET_KEY\n");
		exit(2);
	}
	c = s3_client_new(&o, &err);
	if (!c) {
		fprintf(stderr, "s3cli: %s\n", err.message);
		exit(2);
	}
	return c;
}

static int fail(const char *what, const struct s3_error *err)
{
	char m[512];

	s3_error_format(err, m, sizeof(m));
	fprintf(stderr, "s3cli: %s: %s\n", what, m);
	return 1;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (strbuf_add(&sb, buf, n))
			break;
	if (f != stdin)
		fclose(f);
	*len = sb.len;
	return strbuf_detach(&sb);
}

static int put_file(struct s3_client *c, const char *key, const char *path)
{
	struct s3_error err;
	size_t len;
	char *data = slurp(path, &len);
	int rc;

	if (!data) {
		fprintf(stderr, "s3cli: cannot read '%s': %s\n", path, strerror(errno));
		return 1;
	}
	rc = s3_upload(c, key, data, len, NULL, NULL, &err) ? fail(key, &err) : 0;
	free(data);
	return rc;
}

static int to_stdout(void *arg, const char *data, size_t len)
{
	(void)arg;
	return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

static int print_key(void *arg, const struct s3_list_entry *e)
{
	(void)arg;
	printf("%s\t%" PRIu64 "\t%lld\n", e->key, e->size, (long long)e->mtime);
	return 0;
}

static int cmd_ls(struct s3_client *c, const char *prefix)
{
	struct s3_list_params p = { prefix, NULL, NULL, NULL, 0 };
	struct xml_list_result r;
	struct s3_error err;
	char *token = NULL;

	do {
		p.token = token;
		if (s3_list(c, &p, print_key, NULL, &r, &err)) {
			free(token);
			return fail("list", &err);
		}
		free(token);
		token = r.next_token;
	} while (r.truncated && token);
	free(token);
	return 0;
}

/* ---- put-tree ---- */

struct tree_job {
	struct s3_client *c;
	char **paths;
	size_t n, next;
	size_t root_len;
	const char *prefix;
	pthread_mutex_t lock;	/* guards next and failed */
	int failed;
};

static void *tree_worker(void *arg)
{
	struct tree_job *j = arg;

	for (;;) {
		char key[4096];
		size_t i;

		pthread_mutex_lock(&j->lock);
		i = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->n)
			break;
		snprintf(key, sizeof(key), "%s%s", j->prefix, j->paths[i] + j->root_len + 1);
		if (put_file(j->c, key, j->paths[i])) {
			pthread_mutex_lock(&j->lock);
			j->failed = 1;
			pthread_mutex_unlock(&j->lock);
		}
	}
	return NULL;
}

static int walk(const char *dir, char ***paths, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "s3cli: cannot open '%s': %s\n", dir, strerror(errno));
		return -1;
	}
	while (!rc && (de = readdir(d))) {
		char *p;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
			rc = -1;
		else if (stat(p, &st))
			rc = -1, free(p);
		else if (S_ISDIR(st.st_mode)) {
			rc = walk(p, paths, n);
			free(p);
		} else {
			char **np = realloc(*paths, (*n + 1) * sizeof(*np));

			if (!np) {
				free(p);
				rc = -1;
			} else {
				*paths = np;
				(*paths)[(*n)++] = p;
			}
		}
	}
	closedir(d);
	return rc;
}

static int cmd_put_tree(struct s3_client *c, const char *dir, const char *prefix)
{
	struct tree_job j = { c, NULL, 0, 0, strlen(dir), prefix, PTHREAD_MUTEX_INITIALIZER, 0 };
	pthread_t th[8];
	size_t i;

	if (walk(dir, &j.paths, &j.n))
		j.failed = 1;
	for (i = 0; !j.failed && i < 8; i++)
		pthread_create(&th[i], NULL, tree_worker, &j);
	for (i = 0; !j.failed && i < 8; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < j.n; i++)
		free(j.paths[i]);
	free(j.paths);
	return j.failed;
}

int main(int argc, char **argv)
{
	struct s3_object_info info = { 0 };
	struct s3_client *c;
	struct s3_error err;
	struct strbuf url = STRBUF_INIT;
	const char *cmd = argc > 1 ? argv[1] : "";
	int rc = 2;

	if (argc < 3)
		goto usage;
	c = client(!strcmp(cmd, "mb") ? "" : argv[2]);
	if (!strcmp(cmd, "mb"))
		rc = s3_bucket_create(c, argv[2], &err) ? fail(argv[2], &err) : 0;
	else if (!strcmp(cmd, "put") && argc == 5)
		rc = put_file(c, argv[3], argv[4]);
	else if (!strcmp(cmd, "get") && argc == 4) {
		struct s3_get_params g = { argv[3], 0, 0, NULL, NULL, 0, to_stdout, NULL };

		rc = s3_get(c, &g, NULL, NULL, &err) ? fail(argv[3], &err) : 0;
	} else if (!strcmp(cmd, "head") && argc == 4) {
		rc = s3_head(c, argv[3], &info, &err) ? fail(argv[3], &err) : 0;
		if (!rc)
			printf("%" PRIu64 " %s\n", info.size, info.etag);
		s3_object_info_release(&info);
	} else if (!strcmp(cmd, "meta") && argc == 4) {
		size_t i;

		rc = s3_head(c, argv[3], &info, &err) ? fail(argv[3], &err) : 0;
		for (i = 0; !rc && i < info.nmeta; i++)
			printf("%s=%s\n", info.meta[i].name, info.meta[i].value);
		s3_object_info_release(&info);
	} else if (!strcmp(cmd, "ls") && (argc == 3 || argc == 4))
		rc = cmd_ls(c, argc == 4 ? argv[3] : "");
	else if (!strcmp(cmd, "rm") && argc == 4)
		rc = s3_delete(c, argv[3], &err) ? fail(argv[3], &err) : 0;
	else if (!strcmp(cmd, "put-tree") && (argc == 4 || argc == 5))
		rc = cmd_put_tree(c, argv[3], argc == 5 ? argv[4] : "");
	else if (!strcmp(cmd, "presign") && argc == 4) {
		rc = s3_presign_get(c, argv[3], 3600, &url, &err) ? fail(argv[3], &err) : 0;
		if (!rc)
			printf("%s\n", strbuf_str(&url));
		strbuf_release(&url);
	}
	s3_client_free(c);
	if (rc != 2)
		return rc;
usage:
	fprintf(stderr, "usage: s3cli mb|put|get|head|meta|ls|rm|put-tree|presign BUCKET ... "
			"(see tests/bin/s3cli.c)\n");
	return 2;
}
