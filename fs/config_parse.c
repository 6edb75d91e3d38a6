/*
 * config_parse: the checks and normalisations of single config values, and
 * where a field sits in the raw text, for config.c (which owns the document
 * and its messages).  Nothing here allocates or knows struct config.
 *
 * Lines: jansson knows lines only for syntax errors.  For the rest the
 * field's path is looked up again in the raw text (cfg_json_line), which
 * gives the line of its deepest part that exists: a missing "bucket" is
 * reported on the line of its source.
 */
#include "config_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- lines for messages ----
 * The text was accepted by jansson, so it is JSON; the scanner still stops
 * at the NUL whatever it meets.  Only strings (for their quotes and escapes),
 * brackets, commas and colons matter. */

struct jscan {
	const char *p;
	int line;
};

static void js_blank(struct jscan *s)
{
	for (; *s->p && strchr(" \t\r\n", *s->p); s->p++)
		s->line += *s->p == '\n';
}

/* Past one value: a string, a bare word, or a whole object or array. */
static void js_value(struct jscan *s)
{
	int depth = 0;

	do {
		if (*s->p == '"') {	/* to its closing quote; no raw line ends */
			for (s->p++; *s->p && *s->p != '"'; s->p++)
				s->p += *s->p == '\\' && s->p[1];
		} else if (!depth && *s->p != '{' && *s->p != '[') {
			s->p += strcspn(s->p, ",}] \t\r\n");
			return;
		}
		depth += (*s->p == '{' || *s->p == '[') - (*s->p == '}' || *s->p == ']');
		s->line += *s->p == '\n';
		if (*s->p)
			s->p++;
	} while (depth > 0 && *s->p);
}

/* In the object at s->p find member key, or in the array element index:
 * returns the line where it starts, with s->p on its value, or 0.  Keys are
 * compared as written, so one spelled with escapes is not found and the
 * message gives its parent's line. */
static int js_child(struct jscan *s, const char *key, size_t index)
{
	size_t i, n = key ? strlen(key) : 0;
	int line, hit;

	if (*s->p != (key ? '{' : '['))
		return 0;
	for (i = 0, s->p++;; i++, s->p++) {
		js_blank(s);
		line = s->line;
		if (!*s->p || *s->p == '}' || *s->p == ']')
			return 0;
		hit = key ? !strncmp(s->p + 1, key, n) && s->p[n + 1] == '"' : i == index;
		if (key) {	/* past the key and its colon */
			js_value(s);
			js_blank(s);
			s->p += *s->p == ':';
			js_blank(s);
		}
		if (hit)
			return line;
		js_value(s);
		js_blank(s);
		if (*s->p != ',')
			return 0;
	}
}

int cfg_json_line(const char *text, const struct cfg_path *p)
{
	struct jscan s = { text, 1 };
	int i, line, found;

	js_blank(&s);
	line = s.line;
	for (i = 0; i < p->n; i++) {
		found = js_child(&s, p->c[i].key, p->c[i].index);
		if (!found)
			break;
		line = found;
	}
	return line;
}

/* ---- values ---- */

/* Cut trailing '/' off an endpoint; NULL if fine, else what is wrong. */
const char *cfg_endpoint_fix(char *s)
{
	size_t len = strlen(s);

	while (len && s[len - 1] == '/')
		s[--len] = '\0';
	if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
		return "must start with http:// or https://";
	return NULL;
}

/* A key prefix is "" or ends with '/': parse_string() added one '/', kept
 * only where needed.  A leading '/' is refused: no sane layout has keys that
 * start with one, so it is a typo. */
const char *cfg_prefix_fix(char *s)
{
	size_t len = strlen(s);

	if (*s == '/' && len > 1)
		return "must not start with '/'";
	if (len == 1 || s[len - 2] == '/')
		s[len - 1] = '\0';
	return NULL;
}

/* A tree path loses its outer '/'; empty, "." and ".." components are
 * refused. */
const char *cfg_tree_path_fix(char *path)
{
	const char *s = path, *c, *end;
	size_t len;

	while (*s == '/')
		s++;
	len = strlen(s);
	while (len && s[len - 1] == '/')
		len--;
	memmove(path, s, len);
	path[len] = '\0';
	for (c = path; *c; c = *end ? end + 1 : end) {
		end = strchrnul(c, '/');
		if (end == c || (end - c == 1 && c[0] == '.') ||
		    (end - c == 2 && c[0] == '.' && c[1] == '.'))
			return "must not have empty, '.' or '..' components";
	}
	return NULL;
}

/* Does inner lie strictly below outer ("" being the root)? */
int cfg_path_below(const char *outer, const char *inner)
{
	size_t len = strlen(outer);

	if (!len)
		return inner[0] != '\0';
	return !strncmp(outer, inner, len) && inner[len] == '/';
}

int config_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	unsigned long long whole, frac = 0, scale = 1, f;
	unsigned shift = 0;
	const char *p, *u;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	whole = strtoull(s, &end, 10);
	if (errno)
		return -1;
	p = end;
	/* Up to 6 decimals, in integers: 1.5GiB is exactly 1610612736. */
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9' && scale < 10000000; p++) {
			frac = frac * 10 + (unsigned)(*p - '0');
			scale *= 10;
		}
		if (scale == 1 || scale == 10000000)
			return -1;
	}
	while (*p == ' ')
		p++;
	if (*p && (u = strchr(units, toupper((unsigned char)*p))) != NULL) {
		shift = 10 * (unsigned)(u - units + 1);
		p++;
	}
	/* K, KB and KiB all mean 1024: nobody sizes a cache in powers of 10. */
	if ((*p && strcasecmp(p, "B") && (!shift || strcasecmp(p, "iB"))) ||
	    (!shift && scale != 1) || whole > (UINT64_MAX >> shift))
		return -1;
	f = (frac << shift) / scale;
	if ((whole << shift) > UINT64_MAX - f)
		return -1;
	*out = (whole << shift) + f;
	return 0;
}


/* ---- numbers jansson cannot hold ---- */

int cfg_find_bignum(json_t *v, struct cfg_path *p)
{
	const char *key;
	json_t *child;
	double d;
	size_t i;
	int n = p->n, deeper = n < CFG_PATH_DEPTH;	/* else: found, but named by its parent */

	if (json_is_real(v)) {
		d = json_real_value(v);
		/* 2^63 is exact as a double: the first integer json_int_t lacks */
		return d >= 9223372036854775808.0 || d < -9223372036854775808.0;
	}
	p->n += deeper;
	if (json_is_object(v)) {
		json_object_foreach(v, key, child) {
			if (deeper)
				p->c[n].key = key;
			if (cfg_find_bignum(child, p))
				return 1;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) {
			if (deeper) {
				p->c[n].key = NULL;
				p->c[n].index = i;
			}
			if (cfg_find_bignum(child, p))
				return 1;
		}
	}
	p->n = n;
	return 0;
}
