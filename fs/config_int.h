/*
 * config_int: what config.c and config_parse.c share.  Not for other
 * modules: they read struct config (config.h).
 */
#ifndef LM_CONFIG_INT_H
#define LM_CONFIG_INT_H

#include <jansson.h>
#include <stddef.h>

#include "config.h"

#define CFG_PATH_DEPTH 4

/* Where a field sits: "sources" . "lake" . "bucket", or "tree" [2] . "path". */
struct cfg_path {
	int n;
	struct {
		const char *key;	/* NULL for an array index */
		size_t index;
	} c[CFG_PATH_DEPTH];
};

/* The line of text (JSON that jansson accepted) where the deepest existing
 * part of p starts; 1 when none does. */
int cfg_json_line(const char *text, const struct cfg_path *p);

/* Check and normalise a value in place: NULL if fine, else what is wrong
 * (to follow the field's name in a message). */
const char *cfg_endpoint_fix(char *s);	/* drops trailing '/' */
const char *cfg_prefix_fix(char *s);	/* s came with one '/' added */
const char *cfg_tree_path_fix(char *path);	/* drops outer '/' */

/* Does tree path inner lie strictly below outer ("" being the root)? */
int cfg_path_below(const char *outer, const char *inner);

/* In a document decoded with JSON_DECODE_INT_AS_REAL, the first number
 * that is integral and outside json_int_t: 1 with its path in *p, else 0. */
int cfg_find_bignum(json_t *v, struct cfg_path *p);

#endif
