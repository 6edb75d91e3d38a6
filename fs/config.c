/*
 * config: the JSON config file (jansson) and the s3:// URL form, both into
 * one struct config.
 *
 * 1. Each JSON object is described by a table of fields: parse_object()
 *    refuses keys not in it, requires the required ones and hands each value
 *    to parse_field() by kind, so every message has one shape:
 *      cannot read config 'FILE': line N: "PATH" must be ...
 * 2. Lines: jansson knows them only for syntax errors; for the rest
 *    cfg_json_line() (config_parse.c, with the checks of single values)
 *    finds the field in the raw text.
 * 3. The s3:// form becomes the JSON a file would hold and passes the same
 *    checks; its messages name the -o option instead.
 * 4. Fixed defaults are set before parsing, those that hang on the
 *    environment or on other fields after it.  On failure the whole config
 *    is released: callers never see half of one.
 */
#include "config_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strbuf.h"

#define CONFIG_FILE_MAX (1024 * 1024)
struct cfg_ctx {
	const char *what;	/* "cannot read config", "cannot mount" */
	const char *name;	/* the file or URL */
	const char *text;	/* the raw JSON, NULL for a URL */
	struct config *cfg;
	char *err;
	size_t errlen;
};

/* -o options of the s3:// form, and where each goes in the JSON it becomes. */
enum { IN_SOURCE, IN_TREE, IN_CACHE };
static const struct {
	const char *opt;
	int in;
	const char *key;
	int flag;		/* takes no value: sets true */
} url_opts[] = {
	{ "endpoint", IN_SOURCE, "endpoint", 0 }, { "region", IN_SOURCE, "region", 0 },
	{ "profile", IN_SOURCE, "profile", 0 }, { "anonymous", IN_SOURCE, "anonymous", 1 },
	{ "ro", IN_TREE, "readonly", 1 }, { "path_style", IN_SOURCE, "path_style", 1 },
	{ "cache_dir", IN_CACHE, "dir", 0 }, { "cache_max", IN_CACHE, "max_size", 0 },
	{ "ca_file", IN_SOURCE, "ca_file", 0 },
};
#define NURL_OPTS (sizeof(url_opts) / sizeof(url_opts[0]))
#define URL_OPTS_HELP "endpoint=URL, region=R, profile=P, anonymous, ro, path_style, " \
	"cache_dir=DIR, cache_max=SIZE or ca_file=PEM"

static struct cfg_path path_add(const struct cfg_path *p, const char *key, size_t index)
{
	struct cfg_path q = *p;

	if (q.n < CFG_PATH_DEPTH) {
		q.c[q.n].key = key;
		q.c[q.n++].index = index;
	}
	return q;
}

/* Append item to the list in buf, after sep unless it is the first. */
static void list_add(char *buf, size_t len, const char *sep, const char *item)
{
	size_t used = strlen(buf);

	if (used < len)
		snprintf(buf + used, len - used, "%s%s", used ? sep : "", item);
}

/* ---- messages ---- */

/* The -o option a field came from, in the s3:// form. */
static const char *url_opt_of(const struct cfg_path *p)
{
	const char *key = p->n && p->c[p->n - 1].key ? p->c[p->n - 1].key : "";
	size_t i;

	for (i = 0; i < NURL_OPTS; i++)
		if (!strcmp(url_opts[i].key, key))
			return url_opts[i].opt;
	return key;
}

/* Rewrite the control characters of s (size len), which a key or a value
 * can hold ("\n" inside a JSON string, from jansson), as \xNN: a message
 * stays one line. */
static void cfg_one_line(char *s, size_t len)
{
	char out[1024];
	size_t i, o = 0;

	for (i = 0; s[i] && o + 5 < sizeof(out); i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x", ch);
		else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
	snprintf(s, len, "%s", out);
}

/* Fill cx->err; with p NULL the message is about no field.  Returns -1. */
__attribute__((format(printf, 3, 4)))
static int cfg_fail(struct cfg_ctx *cx, const struct cfg_path *p, const char *fmt, ...)
{
	char field[256] = "", where[320] = "", part[80], msg[512];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (i = 0; p && i < p->n; i++) {
		if (p->c[i].key)
			snprintf(part, sizeof(part), "%s%s", i ? "." : "", p->c[i].key);
		else
			snprintf(part, sizeof(part), "[%zu]", p->c[i].index);
		list_add(field, sizeof(field), "", part);
	}
	if (p && !cx->text)
		snprintf(where, sizeof(where), "option '%s' ", url_opt_of(p));
	else if (p)
		snprintf(where, sizeof(where), "line %d: %s%s%s", cfg_json_line(cx->text, p),
			 p->n ? "\"" : "", field, p->n ? "\" " : "");
	snprintf(cx->err, cx->errlen, "%s '%s': %s%s", cx->what, cx->name, where, msg);
	cfg_one_line(cx->err, cx->errlen);
	return -1;
}

static int cfg_oom(struct cfg_ctx *cx)
{
	return cfg_fail(cx, NULL, "out of memory");
}

/* ---- values ---- */

static int set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = strdup(s);
	return *dst ? 0 : -1;
}

static char *str_fmt(const char *fmt, const char *a)
{
	struct strbuf sb = STRBUF_INIT;

	/* A failed add leaves sb as it was: empty, holding no memory. */
	return strbuf_addf(&sb, fmt, a) ? NULL : strbuf_detach(&sb);
}

static void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cache_max = 10ULL << 30;
	cfg->io_timeout = 30;
	cfg->upload_delay = 1;
}

static int apply_defaults(struct cfg_ctx *cx)
{
	struct config *cfg = cx->cfg;
	const char *region = getenv("AWS_REGION"), *endpoint = getenv("AWS_ENDPOINT_URL");
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME"), *bad;
	struct config_source *src;

	for (src = cfg->sources; src < cfg->sources + cfg->nsources; src++) {
		if ((!src->prefix && set_str(&src->prefix, "")) ||
		    (!src->region && set_str(&src->region, region && *region ? region : "us-east-1")))
			return cfg_oom(cx);
		if (!src->endpoint && endpoint && *endpoint) {
			if (set_str(&src->endpoint, endpoint))
				return cfg_oom(cx);
			if ((bad = cfg_endpoint_fix(src->endpoint)) != NULL)
				return cfg_fail(cx, NULL, "AWS_ENDPOINT_URL '%s' %s", endpoint, bad);
		} else if (!src->endpoint) {
			src->endpoint = str_fmt("https://s3.%s.amazonaws.com", src->region);
			if (!src->endpoint)
				return cfg_oom(cx);
		}
	}
	if (cfg->cache_dir)
		return 0;
	/* The XDG spec says a relative XDG_CACHE_HOME is to be ignored. */
	if (geteuid() == 0)
		cfg->cache_dir = strdup("/var/cache/lakemount");
	else if (xdg && xdg[0] == '/')
		cfg->cache_dir = str_fmt("%s/lakemount", xdg);
	else if (home && home[0] == '/')
		cfg->cache_dir = str_fmt("%s/.cache/lakemount", home);
	else
		return cfg_fail(cx, NULL, "no cache directory: HOME is not set; set \"cache.dir\"");
	return cfg->cache_dir ? 0 : cfg_oom(cx);
}

/* ---- the JSON document ---- */

enum field_kind {
	F_STR, F_BUCKET, F_ENDPOINT, F_PREFIX, F_PATH, F_ABSPATH, F_CAFILE,	/* parse_string() */
	F_BOOL, F_UINT, F_SIZE, F_CHECKSUMS, F_POLICY,
	F_SOURCE,			/* a name in "sources", stored as its index */
	F_CACHE, F_SOURCES, F_TREE,	/* the nested objects and arrays */
};

struct field {
	const char *key;
	enum field_kind kind;
	size_t off;		/* in the struct being filled */
	int required;
	unsigned min, max;	/* F_UINT */
};

static int parse_object(struct cfg_ctx *cx, const struct cfg_path *p, json_t *obj,
			const struct field *fields, void *base);

static const struct field cache_fields[] = {
	{ "dir", F_ABSPATH, offsetof(struct config, cache_dir), 0, 0, 0 },
	{ "max_size", F_SIZE, offsetof(struct config, cache_max), 0, 0, 0 },
	{ NULL, 0, 0, 0, 0, 0 },
};

#define SRC(f) offsetof(struct config_source, f)
static const struct field source_fields[] = {
	{ "endpoint", F_ENDPOINT, SRC(endpoint), 0, 0, 0 },
	{ "region", F_STR, SRC(region), 0, 0, 0 },
	{ "bucket", F_BUCKET, SRC(bucket), 1, 0, 0 },
	{ "prefix", F_PREFIX, SRC(prefix), 0, 0, 0 },
	{ "profile", F_STR, SRC(profile), 0, 0, 0 },
	{ "anonymous", F_BOOL, SRC(anonymous), 0, 0, 0 },
	{ "path_style", F_BOOL, SRC(path_style), 0, 0, 0 },
	{ "tls_verify", F_BOOL, SRC(tls_verify), 0, 0, 0 },
	{ "ca_file", F_CAFILE, SRC(ca_file), 0, 0, 0 },
	{ "list_v1", F_BOOL, SRC(list_v1), 0, 0, 0 },
	{ "max_connections", F_UINT, SRC(max_connections), 0, 1, 1024 },
	{ NULL, 0, 0, 0, 0, 0 },
};
#undef SRC

#define TREE(f) offsetof(struct config_tree, f)
static const struct field tree_fields[] = {
	{ "path", F_PATH, TREE(path), 1, 0, 0 },
	{ "source", F_SOURCE, TREE(source), 1, 0, 0 },
	{ "prefix", F_PREFIX, TREE(prefix), 0, 0, 0 },
	{ "readonly", F_BOOL, TREE(readonly), 0, 0, 0 },
	{ "ttl", F_UINT, TREE(ttl), 0, 0, 365 * 86400 },
	{ "checksums", F_CHECKSUMS, TREE(checksums), 0, 0, 0 },
	{ "checksums_policy", F_POLICY, TREE(checksums_policy), 0, 0, 0 },
	{ NULL, 0, 0, 0, 0, 0 },
};
#undef TREE

/* The order matters: "sources" must be read before "tree" names them. */
static const struct field root_fields[] = {
	{ "cache", F_CACHE, 0, 0, 0, 0 },
	{ "io_timeout", F_UINT, offsetof(struct config, io_timeout), 0, 1, 3600 },
	{ "sources", F_SOURCES, 0, 1, 0, 0 },
	{ "tree", F_TREE, 0, 1, 0, 0 },
	{ "upload_delay", F_UINT, offsetof(struct config, upload_delay), 0, 0, 86400 },
	{ NULL, 0, 0, 0, 0, 0 },
};

static const char *const checksums_names[] = { "none", "sidecar-sha256", NULL };
static const char *const policy_names[] = { "enforce", "warn", NULL };

/* The string kinds: copy, then check and normalise by kind. */
static int parse_string(struct cfg_ctx *cx, const struct cfg_path *p,
			enum field_kind kind, json_t *v, char **out)
{
	const char *bad = NULL;

	if (!json_is_string(v))
		return cfg_fail(cx, p, "must be a string");
	if (!json_string_length(v) && kind != F_PREFIX && kind != F_PATH)
		return cfg_fail(cx, p, "must not be empty");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return cfg_fail(cx, p, "must not contain \\u0000");
	*out = str_fmt(kind == F_PREFIX ? "%s/" : "%s", json_string_value(v));
	if (!*out)
		return cfg_oom(cx);
	if (kind == F_BUCKET && strchr(*out, '/'))
		bad = "must be a bucket name, without '/'";
	else if (kind == F_ENDPOINT)
		bad = cfg_endpoint_fix(*out);
	else if (kind == F_PREFIX)
		bad = cfg_prefix_fix(*out);
	else if (kind == F_PATH)
		bad = cfg_tree_path_fix(*out);
	else if ((kind == F_ABSPATH || kind == F_CAFILE) && **out != '/')
		bad = "must be an absolute path";
	else if (kind == F_CAFILE && access(*out, R_OK))
		return cfg_fail(cx, p, "names a file that cannot be read (%s): expected a PEM file "
				"of CA certificates", strerror(errno));
	return bad ? cfg_fail(cx, p, "%s", bad) : 0;
}

/* Index of v's string in names (NULL-terminated), or -1 with a message. */
static int parse_choice(struct cfg_ctx *cx, const struct cfg_path *p, json_t *v,
			const char *const *names)
{
	char list[128] = "", quoted[40];
	int i;

	for (i = 0; names[i]; i++) {
		if (json_is_string(v) && !strcmp(json_string_value(v), names[i]))
			return i;
		snprintf(quoted, sizeof(quoted), "\"%s\"", names[i]);
		list_add(list, sizeof(list), names[i + 1] ? ", " : " or ", quoted);
	}
	return cfg_fail(cx, p, "must be %s", list);
}

static int parse_source_name(struct cfg_ctx *cx, const struct cfg_path *p, json_t *v,
			     size_t *out)
{
	const struct config *cfg = cx->cfg;
	char list[256] = "";
	size_t i;

	if (!json_is_string(v))
		return cfg_fail(cx, p, "must be a string naming a source");
	for (i = 0; i < cfg->nsources; i++) {
		if (!strcmp(cfg->sources[i].name, json_string_value(v))) {
			*out = i;
			return 0;
		}
		list_add(list, sizeof(list), ", ", cfg->sources[i].name);
	}
	return cfg_fail(cx, p, "names no source '%s' (sources are: %s)",
			json_string_value(v), list);
}

static int parse_sources(struct cfg_ctx *cx, const struct cfg_path *p, json_t *obj)
{
	struct config *cfg = cx->cfg;
	struct config_source *src;
	struct cfg_path q;
	void *it;

	if (!json_is_object(obj) || !json_object_size(obj))
		return cfg_fail(cx, p, "must be an object of named sources");
	cfg->sources = calloc(json_object_size(obj), sizeof(*cfg->sources));
	if (!cfg->sources)
		return cfg_oom(cx);
	for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		q = path_add(p, json_object_iter_key(it), 0);
		src = &cfg->sources[cfg->nsources++];
		src->tls_verify = 1;
		src->max_connections = 16;
		if (set_str(&src->name, json_object_iter_key(it)))
			return cfg_oom(cx);
		if (parse_object(cx, &q, json_object_iter_value(it), source_fields, src))
			return -1;
		if (src->anonymous && src->profile) {
			q = path_add(&q, "profile", 0);
			return cfg_fail(cx, &q, "cannot be used with \"anonymous\": true "
					"(anonymous requests are not signed)");
		}
	}
	return 0;
}

static int parse_tree(struct cfg_ctx *cx, const struct cfg_path *p, json_t *arr)
{
	struct config *cfg = cx->cfg;
	struct config_tree *t;
	struct cfg_path q;
	json_t *v;
	size_t i, j;

	if (!json_is_array(arr) || !json_array_size(arr))
		return cfg_fail(cx, p, "must be a non-empty array of mounts");
	cfg->tree = calloc(json_array_size(arr), sizeof(*cfg->tree));
	if (!cfg->tree)
		return cfg_oom(cx);
	json_array_foreach(arr, j, v) {
		q = path_add(p, NULL, j);
		t = &cfg->tree[cfg->ntree++];
		if (parse_object(cx, &q, v, tree_fields, t))
			return -1;
		if (!t->prefix && set_str(&t->prefix, ""))
			return cfg_oom(cx);
		if (!json_object_get(v, "ttl"))
			t->ttl = t->readonly ? 86400 : 60;
		/* Each mount point owns its subtree: no two may overlap. */
		q = path_add(&q, "path", 0);
		for (i = 0; i < j; i++)
			if (!strcmp(cfg->tree[i].path, t->path) ||
			    cfg_path_below(cfg->tree[i].path, t->path) ||
			    cfg_path_below(t->path, cfg->tree[i].path))
				return cfg_fail(cx, &q, "'%s' overlaps '%s' of tree[%zu]: mount paths "
						"must not repeat or nest", t->path, cfg->tree[i].path, i);
	}
	return 0;
}

static int parse_field(struct cfg_ctx *cx, const struct cfg_path *p,
		       const struct field *f, json_t *v, void *base)
{
	void *dst = (char *)base + f->off;
	json_int_t n;
	int i;

	switch (f->kind) {
	case F_STR: case F_BUCKET: case F_ENDPOINT: case F_PREFIX: case F_PATH: case F_ABSPATH:
	case F_CAFILE:
		return parse_string(cx, p, f->kind, v, dst);
	case F_BOOL:
		if (!json_is_boolean(v))
			return cfg_fail(cx, p, "must be true or false");
		*(int *)dst = json_is_true(v);
		return 0;
	case F_UINT:
		n = json_is_integer(v) ? json_integer_value(v) : -1;
		if (n < f->min || n > f->max)
			return cfg_fail(cx, p, "must be an integer from %u to %u", f->min, f->max);
		*(unsigned *)dst = (unsigned)n;
		return 0;
	case F_SIZE:
		if (json_is_integer(v) && json_integer_value(v) > 0)
			*(uint64_t *)dst = (uint64_t)json_integer_value(v);
		else if (!json_is_string(v) || config_parse_size(json_string_value(v), dst) ||
			 !*(uint64_t *)dst || *(uint64_t *)dst > INT64_MAX)
			/* (INT64_MAX: sizes go out as JSON and SQLite integers) */
			return cfg_fail(cx, p, "must be a size such as \"20GiB\" or a number of "
					"bytes, from 1 byte to 8 EiB");
		return 0;
	case F_SOURCE:
		return parse_source_name(cx, p, v, dst);
	case F_CHECKSUMS:
		if ((i = parse_choice(cx, p, v, checksums_names)) < 0)
			return -1;
		*(enum config_checksums *)dst = (enum config_checksums)i;
		return 0;
	case F_POLICY:
		if ((i = parse_choice(cx, p, v, policy_names)) < 0)
			return -1;
		*(enum config_checksums_policy *)dst = (enum config_checksums_policy)i;
		return 0;
	case F_CACHE:
		return parse_object(cx, p, v, cache_fields, base);
	case F_SOURCES:
		return parse_sources(cx, p, v);
	case F_TREE:
		return parse_tree(cx, p, v);
	}
	return -1;
}

static int parse_object(struct cfg_ctx *cx, const struct cfg_path *p, json_t *obj,
			const struct field *fields, void *base)
{
	const struct field *f;
	struct cfg_path q;
	char known[256] = "";
	json_t *v;
	void *it;

	if (!json_is_object(obj))
		return cfg_fail(cx, p, "%s", p->n ? "must be an object" :
				"the top level must be an object");
	for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		for (f = fields; f->key && strcmp(f->key, json_object_iter_key(it)); f++)
			;
		if (f->key)
			continue;
		for (f = fields; f->key; f++)
			list_add(known, sizeof(known), ", ", f->key);
		q = path_add(p, json_object_iter_key(it), 0);
		return cfg_fail(cx, &q, "is not a known key (expected one of: %s)", known);
	}
	for (f = fields; f->key; f++) {
		q = path_add(p, f->key, 0);
		v = json_object_get(obj, f->key);
		if (!v && f->required)
			return cfg_fail(cx, &q, "is required");
		if (v && parse_field(cx, &q, f, v, base))
			return -1;
	}
	return 0;
}

/* ---- entry points ---- */

/* jansson refused the text: say where, and what was meant when it is a
 * common slip (an empty file, a trailing comma, a number past 2^63). */
static void syntax_error(struct cfg_ctx *cx, const json_error_t *jerr)
{
	struct cfg_path p = { 0 };
	const char *t = cx->text;
	json_t *reals;
	int at = jerr->position;

	if (!t[strspn(t, " \t\r\n")]) {
		cfg_fail(cx, NULL, "the file is empty: expected a JSON object (see lakemount.json(5))");
		return;
	}
	if (strstr(jerr->text, "too big")) {
		reals = json_loads(t, JSON_DECODE_INT_AS_REAL, NULL);
		if (reals && cfg_find_bignum(reals, &p)) {
			cfg_fail(cx, &p, "is a number out of range (integers go from -2^63 to 2^63-1)");
			json_decref(reals);
			return;
		}
		json_decref(reals);
	}
	/* jansson stopped just past the token it did not expect */
	if (at >= 2 && (t[at - 1] == '}' || t[at - 1] == ']'))
		for (at -= 2; at > 0 && strchr(" \t\r\n", t[at]); at--)
			;
	cfg_fail(cx, NULL, "line %d: invalid JSON: %s%s", jerr->line, jerr->text,
		 at >= 0 && t[at] == ',' && at < jerr->position - 1 ?
		 " (a comma before it must go: JSON has no trailing commas)" : "");
}


int config_load_text(struct config *cfg, const char *name, const char *text,
		     char *err, size_t errlen)
{
	struct cfg_ctx cx = { "cannot read config", name, text, cfg, err, errlen };
	struct cfg_path top = { 0 };
	json_error_t jerr;
	json_t *root;
	int rc = -1;

	/* the byte order mark some editors put first: JSON may have it
	 * ignored (RFC 8259), and jansson's message about it shows nothing */
	if (!strncmp(text, "\xef\xbb\xbf", 3))
		cx.text = text += 3;
	config_init(cfg);
	root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		syntax_error(&cx, &jerr);
	else if (set_str(&cfg->file, name))
		cfg_oom(&cx);
	else if (!parse_object(&cx, &top, root, root_fields, cfg) && !apply_defaults(&cx))
		rc = 0;
	json_decref(root);
	if (rc)
		config_release(cfg);
	return rc;
}

int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct strbuf sb;
	const char *why = NULL;
	char buf[8192];
	FILE *f;
	size_t n;
	int rc = -1;

	config_init(cfg);
	strbuf_init(&sb, CONFIG_FILE_MAX);
	f = fopen(path, "re");
	while (f && !why && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (strbuf_add(&sb, buf, n))
			why = sb.len + n > CONFIG_FILE_MAX ? "it is over 1 MiB" : "out of memory";
	if (!why && (!f || ferror(f)))
		why = errno == EISDIR ? "it is a directory; expected a JSON file "
			"(see lakemount.json(5))" : strerror(errno);
	else if (!why && strlen(strbuf_str(&sb)) != sb.len)
		why = "it holds a NUL byte, so it is not JSON";
	if (why)
		snprintf(err, errlen, "cannot read config '%s': %s", path, why);
	else
		rc = config_load_text(cfg, path, strbuf_str(&sb), err, errlen);
	if (f)
		fclose(f);
	strbuf_release(&sb);
	return rc;
}

int config_from_url(struct config *cfg, const char *url, const char *opts,
		    char *err, size_t errlen)
{
	struct cfg_ctx cx = { "cannot mount", url, NULL, cfg, err, errlen };
	struct cfg_path top = { 0 };
	const char *slash = NULL;
	char *bucket = NULL, *copy = NULL, *item, *val, *save = NULL;
	json_t *root = NULL, *in[3];
	size_t i;
	int rc = -1;

	config_init(cfg);
	if (!strncmp(url, "s3://", 5) && url[5] && url[5] != '/')
		slash = strchrnul(url + 5, '/');
	if (!slash || (slash[0] && slash[1] == '/')) {
		cfg_fail(&cx, NULL, "%s", slash ? "the prefix must not start with '/'" :
			 "expected s3://bucket[/prefix]");
		goto fail;
	}
	bucket = strndup(url + 5, (size_t)(slash - url - 5));
	copy = strdup(opts ? opts : "");
	if (bucket)
		root = json_pack("{s:{s:{s:s,s:s}},s:[{s:s,s:s}],s:{}}", "sources", bucket,
				 "bucket", bucket, "prefix", *slash ? slash + 1 : "",
				 "tree", "path", "", "source", bucket, "cache");
	if (!copy || !root) {
		cfg_fail(&cx, NULL, "out of memory, or the URL is not UTF-8");
		goto fail;
	}
	in[IN_SOURCE] = json_object_get(json_object_get(root, "sources"), bucket);
	in[IN_TREE] = json_array_get(json_object_get(root, "tree"), 0);
	in[IN_CACHE] = json_object_get(root, "cache");
	/* Empty items (",," or a trailing comma) are skipped by strtok_r. */
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if ((val = strchr(item, '=')) != NULL)
			*val++ = '\0';
		for (i = 0; i < NURL_OPTS && strcmp(item, url_opts[i].opt); i++)
			;
		if (i == NURL_OPTS)
			cfg_fail(&cx, NULL, "unknown option '%s' (expected " URL_OPTS_HELP ")", item);
		else if (url_opts[i].flag && val)
			cfg_fail(&cx, NULL, "option '%s' takes no value", item);
		else if (!url_opts[i].flag && (!val || !*val))
			cfg_fail(&cx, NULL, "option '%s' needs a value: %s=...", item, item);
		else if (json_object_set_new(in[url_opts[i].in], url_opts[i].key,
					     val ? json_string(val) : json_true()))
			cfg_fail(&cx, NULL, "option '%s': out of memory, or not UTF-8", item);
		else
			continue;
		goto fail;
	}
	if (!parse_object(&cx, &top, root, root_fields, cfg) && !apply_defaults(&cx))
		rc = 0;
fail:
	json_decref(root);
	free(bucket);
	free(copy);
	if (rc)
		config_release(cfg);
	return rc;
}

void config_release(struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nsources; i++) {
		free(cfg->sources[i].name);
		free(cfg->sources[i].endpoint);
		free(cfg->sources[i].region);
		free(cfg->sources[i].bucket);
		free(cfg->sources[i].prefix);
		free(cfg->sources[i].profile);
		free(cfg->sources[i].ca_file);
	}
	for (i = 0; i < cfg->ntree; i++) {
		free(cfg->tree[i].path);
		free(cfg->tree[i].prefix);
	}
	free(cfg->sources);
	free(cfg->tree);
	free(cfg->file);
	free(cfg->cache_dir);
	memset(cfg, 0, sizeof(*cfg));
}
