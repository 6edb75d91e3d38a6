/*
 * creds: S3 credentials from the environment or the AWS shared credentials
 * file, resolved in the order creds.h gives.
 *
 * The file is INI, read with inih.  Two things about the inih this builds
 * against shape the reader below:
 *
 *  1. Its lines are read into a fixed buffer (INI_MAX_LINE, 200 bytes in
 *     Debian's build); a longer line is cut and its tail parsed as a line of
 *     its own.  A session token is often 800 bytes or more, so every line
 *     is read here first with getline(); one too long for inih is handed on
 *     as "name=<LONG_MARK>" and its value kept aside for the handler.
 *  2. With INI_ALLOW_MULTILINE an indented line continues the previous
 *     value.  Values in this file never span lines, and an indented key is
 *     a slip, not a continuation; so leading blanks are dropped.
 *
 * Secrets never reach an error message: messages name the file, the line
 * number, the profile and the key, never a value or a line's text.
 */
#include "creds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "strbuf.h"

/* Stands in for a value too long for inih's line buffer; it cannot occur in
 * a line that fits, because it holds a control byte. */
#define LONG_MARK "\001long\001"

struct ini_state {
	FILE *f;
	const char *profile;
	char *line;		/* getline()'s buffer */
	size_t line_cap;
	char *long_value;	/* the value of the last over-long line */
	int lineno;
	int bad_line;		/* first over-long line that is not name=value */
	int read_errno;		/* set when reading failed */
	int nomem;
	int found;		/* saw [profile] */
	char *access_key, *secret_key, *session_token;
};

static void wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Value part of an over-long "name = value ; comment" line, in place: the
 * same trimming and inline-comment rule inih applies to lines that fit. */
static char *long_line_value(char *eq)
{
	char *v = eq + 1, *end;

	while (is_blank(*v))
		v++;
	for (end = v; *end; end++) {
		if (*end == ';' && end > v && is_blank(end[-1]))
			break;
		if (*end == '\r' || *end == '\n')
			break;
	}
	while (end > v && is_blank(end[-1]))
		end--;
	*end = '\0';
	return v;
}

/* inih's reader: see the notes at the top of the file. */
static char *read_line(char *str, int num, void *stream)
{
	struct ini_state *st = stream;
	char *p, *eq, *v;
	ssize_t n = getline(&st->line, &st->line_cap, st->f);
	size_t name_len;

	if (n < 0) {
		if (ferror(st->f))
			st->read_errno = errno ? errno : EIO;
		return NULL;
	}
	if (num < 16)
		return NULL;
	st->lineno++;
	for (p = st->line; is_blank(*p); p++)
		n--;
	if (n < num) {
		memcpy(str, p, (size_t)n + 1);
		return str;
	}
	eq = strpbrk(p, "=:");
	if (*p == ';' || *p == '#' || *p == '[' || !eq ||
	    (size_t)(eq - p) + sizeof(LONG_MARK) + 2 > (size_t)num) {
		/* Hand inih a comment in its place; anything but a comment is
		 * an error, reported as inih reports one for a short line. */
		if (*p != ';' && *p != '#' && !st->bad_line)
			st->bad_line = st->lineno;
		snprintf(str, (size_t)num, ";\n");
		return str;
	}
	name_len = (size_t)(eq - p);
	v = long_line_value(eq);
	wipe_free(st->long_value);
	st->long_value = strdup(v);
	if (!st->long_value)
		st->nomem = 1;
	explicit_bzero(v, strlen(v));
	snprintf(str, (size_t)num, "%.*s=%s\n", (int)name_len, p, LONG_MARK);
	return str;
}

static int set_value(char **slot, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return -1;
	wipe_free(*slot);
	*slot = copy;
	return 0;
}

static int on_value(void *user, const char *section, const char *name,
		    const char *value)
{
	struct ini_state *st = user;
	char **slot = NULL;

	if (strcmp(section, st->profile))
		return 1;
	st->found = 1;
	if (!strcmp(value, LONG_MARK))
		value = st->long_value ? st->long_value : "";
	/* Key names are matched without case, as the AWS CLI does. */
	if (!strcasecmp(name, "aws_access_key_id"))
		slot = &st->access_key;
	else if (!strcasecmp(name, "aws_secret_access_key"))
		slot = &st->secret_key;
	else if (!strcasecmp(name, "aws_session_token"))
		slot = &st->session_token;
	if (slot && set_value(slot, value)) {
		st->nomem = 1;
		return 0;
	}
	return 1;
}

static void ini_state_release(struct ini_state *st)
{
	if (st->line)
		explicit_bzero(st->line, st->line_cap);
	free(st->line);
	wipe_free(st->long_value);
	wipe_free(st->access_key);
	wipe_free(st->secret_key);
	wipe_free(st->session_token);
}

/* After a parse: are the keys there?  Fills err if not. */
static int check_keys(const struct ini_state *st, const char *path,
		      const char *profile, char *err, size_t errlen)
{
	const char *missing = NULL;

	if (!st->found) {
		snprintf(err, errlen, "no profile '%s' in credentials file '%s': "
			 "add a [%s] section, or name an existing profile",
			 profile, path, profile);
		return -1;
	}
	if (!st->access_key || !*st->access_key)
		missing = "aws_access_key_id";
	else if (!st->secret_key || !*st->secret_key)
		missing = "aws_secret_access_key";
	if (missing) {
		snprintf(err, errlen, "profile '%s' in credentials file '%s' has "
			 "no %s: add it to the [%s] section", profile, path,
			 missing, profile);
		return -1;
	}
	return 0;
}

/* Move the keys found into c, with an origin for messages. */
static int creds_take(struct creds *c, struct ini_state *st, const char *path,
		      const char *profile)
{
	struct strbuf origin = STRBUF_INIT;

	if (strbuf_addf(&origin, "profile '%s' in %s", profile, path))
		return -1;
	c->origin = strbuf_detach(&origin);
	if (!c->origin)
		return -1;
	c->access_key = st->access_key;
	c->secret_key = st->secret_key;
	if (st->session_token && *st->session_token)
		c->session_token = st->session_token;
	else
		wipe_free(st->session_token);
	st->access_key = st->secret_key = st->session_token = NULL;
	return 0;
}

int creds_from_file(struct creds *c, const char *path, const char *profile,
		    char *err, size_t errlen)
{
	struct ini_state st = { 0 };
	char ebuf[128];
	int line, rc = -1;

	memset(c, 0, sizeof(*c));
	st.profile = profile;
	st.f = fopen(path, "re");
	if (!st.f) {
		snprintf(err, errlen, "cannot read credentials file '%s': %s: "
			 "create it, or set AWS_ACCESS_KEY_ID and "
			 "AWS_SECRET_ACCESS_KEY", path,
			 strerror_r(errno, ebuf, sizeof(ebuf)));
		goto fail;
	}
	line = ini_parse_stream(read_line, &st, on_value, &st);
	if (st.read_errno) {
		snprintf(err, errlen, "cannot read credentials file '%s': %s",
			 path, strerror_r(st.read_errno, ebuf, sizeof(ebuf)));
		goto fail;
	}
	if (st.nomem || line == -2) {
		snprintf(err, errlen, "cannot read credentials file '%s': "
			 "out of memory", path);
		goto fail;
	}
	if (line > 0 || st.bad_line) {
		if (line <= 0 || (st.bad_line && st.bad_line < line))
			line = st.bad_line;
		snprintf(err, errlen, "cannot parse credentials file '%s': "
			 "line %d is not '[profile]' or 'name = value': fix or "
			 "remove it", path, line);
		goto fail;
	}
	if (check_keys(&st, path, profile, err, errlen))
		goto fail;
	if (creds_take(c, &st, path, profile)) {
		snprintf(err, errlen, "cannot read credentials file '%s': "
			 "out of memory", path);
		goto fail;
	}
	rc = 0;
fail:
	if (rc)
		creds_release(c);
	if (st.f)
		fclose(st.f);
	ini_state_release(&st);
	return rc;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* The shared credentials file's path into sb. */
static int credentials_path(struct strbuf *sb, char *err, size_t errlen)
{
	const char *file = env("AWS_SHARED_CREDENTIALS_FILE");
	const char *home = env("HOME");

	/* "~/x" as the AWS CLI expands it; a shell would have, unquoted. */
	if (file && (file[0] != '~' || (file[1] && file[1] != '/')))
		return strbuf_adds(sb, file) ? -2 : 0;
	if (!home) {
		snprintf(err, errlen, "cannot find the credentials file: HOME is "
			 "not set: set AWS_SHARED_CREDENTIALS_FILE, or "
			 "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
		return -1;
	}
	if (file)
		return strbuf_addf(sb, "%s%s", home, file + 1) ? -2 : 0;
	return strbuf_addf(sb, "%s/.aws/credentials", home) ? -2 : 0;
}

static int creds_from_env(struct creds *c, char *err, size_t errlen)
{
	const char *token = env("AWS_SESSION_TOKEN");

	memset(c, 0, sizeof(*c));
	c->access_key = strdup(env("AWS_ACCESS_KEY_ID"));
	c->secret_key = strdup(env("AWS_SECRET_ACCESS_KEY"));
	c->session_token = token ? strdup(token) : NULL;
	c->origin = strdup("environment");
	if (!c->access_key || !c->secret_key || !c->origin ||
	    (token && !c->session_token)) {
		creds_release(c);
		snprintf(err, errlen, "cannot read credentials from the "
			 "environment: out of memory");
		return -1;
	}
	return 0;
}

int creds_resolve(struct creds *c, const char *profile, char *err, size_t errlen)
{
	struct strbuf path = STRBUF_INIT;
	int have_id = env("AWS_ACCESS_KEY_ID") != NULL;
	int have_secret = env("AWS_SECRET_ACCESS_KEY") != NULL;
	int rc = -1, prc;

	memset(c, 0, sizeof(*c));
	if (!profile || !*profile) {
		if (have_id && have_secret)
			return creds_from_env(c, err, errlen);
		if (have_id != have_secret) {
			snprintf(err, errlen, "incomplete credentials in the "
				 "environment: %s is set but %s is not: set "
				 "both, or unset both to use the credentials file",
				 have_id ? "AWS_ACCESS_KEY_ID" :
				 "AWS_SECRET_ACCESS_KEY",
				 have_id ? "AWS_SECRET_ACCESS_KEY" :
				 "AWS_ACCESS_KEY_ID");
			return -1;
		}
		profile = env("AWS_PROFILE");
		if (!profile)
			profile = "default";
	}
	prc = credentials_path(&path, err, errlen);
	if (prc == -2)
		snprintf(err, errlen, "cannot find the credentials file: "
			 "out of memory");
	if (prc)
		goto fail;
	rc = creds_from_file(c, path.buf, profile, err, errlen);
fail:
	strbuf_release(&path);
	return rc;
}

int creds_copy(struct creds *dst, const struct creds *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src->access_key && !(dst->access_key = strdup(src->access_key)))
		goto fail;
	if (src->secret_key && !(dst->secret_key = strdup(src->secret_key)))
		goto fail;
	if (src->session_token &&
	    !(dst->session_token = strdup(src->session_token)))
		goto fail;
	if (src->origin && !(dst->origin = strdup(src->origin)))
		goto fail;
	return 0;
fail:
	creds_release(dst);
	return -1;
}

void creds_release(struct creds *c)
{
	wipe_free(c->access_key);
	wipe_free(c->secret_key);
	wipe_free(c->session_token);
	free(c->origin);
	memset(c, 0, sizeof(*c));
}
