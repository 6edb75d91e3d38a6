#include "check.h"

#include <stdlib.h>

#include "source.h"

static int count_entry(void *arg, const struct s3_list_entry *e)
{
	(void)e;
	(*(unsigned *)arg)++;
	return 0;
}

/* A source is fine when one listing of its prefix, one key long, works. */
static int check_one(const struct config *cfg, const struct config_source *src, FILE *out)
{
	/* Short limits: a dead endpoint must be reported within seconds. */
	struct source_limits lim = { 8000, 2000, 4 };
	struct s3_list_params p = { src->prefix, "/", NULL, NULL, 1 };
	struct xml_list_result res = { 0 };
	struct s3_client *c;
	struct s3_error err;
	char msg[768], *origin = NULL;
	unsigned n = 0;
	int rc = 1;

	c = source_client_new(cfg, src, &lim, &origin, msg, sizeof(msg));
	if (!c)
		goto out;
	if (s3_list(c, &p, count_entry, &n, &res, &err)) {
		source_explain(src, origin, &err, msg, sizeof(msg));
		goto out;
	}
	rc = 0;
out:
	if (rc)
		fprintf(out, "source '%s': %s\n", src->name, msg);
	else
		fprintf(out, "source '%s': ok (%s, bucket '%s'%s%s%s)\n", src->name,
			src->endpoint, src->bucket, src->prefix[0] ? ", prefix '" : "",
			src->prefix, src->prefix[0] ? "'" : "");
	free(res.next_token);
	free(origin);
	s3_client_free(c);
	return rc;
}

int check_sources(const struct config *cfg, FILE *out)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < cfg->nsources; i++)
		rc |= check_one(cfg, &cfg->sources[i], out);
	fflush(out);
	return rc;
}
