/*
 * uri: S3's URI encoding (RFC 3986 unreserved characters pass, every other
 * byte becomes %XX with upper-case hex), as SigV4 and the request line need it.
 *
 * Keys are byte strings: spaces, '+', '%', '~', '=', and UTF-8 such as
 * "币安人生USDT" are encoded byte by byte, so that encoding then decoding
 * gives back exactly the key.
 */
#ifndef LM_URI_H
#define LM_URI_H

#include <stddef.h>

#include "strbuf.h"

/* Append the encoding of s[0..len) to out; '/' is kept when keep_slash (object
 * key in a path), encoded otherwise (query values).  Returns 0 or -1 (ENOMEM). */
int uri_encode(struct strbuf *out, const char *s, size_t len, int keep_slash);

/* Decode %XX escapes of s into out ('+' stays '+').  Returns 0, or -1 on a
 * malformed escape or ENOMEM. */
int uri_decode(struct strbuf *out, const char *s, size_t len);

/* One query parameter, unencoded.  value NULL means a bare sub-resource such
 * as "uploads" or "delete": it is written "uploads=" as SigV4 requires. */
struct uri_param {
	const char *name;
	const char *value;
};

/* Append the canonical query string of params (each name and value encoded,
 * sorted by encoded name then value, joined by '&') to out.  The same string
 * serves as the URL's query and as SigV4's canonical query.  Returns 0 or -1. */
int uri_query(struct strbuf *out, const struct uri_param *params, size_t n);

#endif
