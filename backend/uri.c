/*
 * uri: S3's flavour of percent-encoding.
 *
 * SigV4 signs the exact bytes of the path and query, so there is one
 * encoding and it is used both on the wire and in the canonical request:
 * RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~) pass, every other byte
 * becomes %XX in upper-case hex.  A key is a byte string; no byte is special
 * except '/', which separates path segments and is kept only in paths.
 */
#include "uri.h"

#include <stdlib.h>
#include <string.h>

static const char hexdig[] = "0123456789ABCDEF";

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Undo a partial append so that a failed call leaves out as it was. */
static void truncate_to(struct strbuf *out, size_t len)
{
	if (!out->buf)
		return;
	out->len = len;
	out->buf[len] = '\0';
}

int uri_encode(struct strbuf *out, const char *s, size_t len, int keep_slash)
{
	/* Encode through a small stack buffer: one strbuf_add per chunk
	 * instead of one per byte. */
	char chunk[256];
	size_t used = 0, i, orig = out->len;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (used + 3 > sizeof(chunk)) {
			if (strbuf_add(out, chunk, used))
				goto fail;
			used = 0;
		}
		if (is_unreserved(c) || (keep_slash && c == '/')) {
			chunk[used++] = (char)c;
		} else {
			chunk[used++] = '%';
			chunk[used++] = hexdig[c >> 4];
			chunk[used++] = hexdig[c & 0xf];
		}
	}
	if (strbuf_add(out, chunk, used))
		goto fail;
	return 0;
fail:
	truncate_to(out, orig);
	return -1;
}

int uri_decode(struct strbuf *out, const char *s, size_t len)
{
	char chunk[256];
	size_t used = 0, i, orig = out->len;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (used == sizeof(chunk)) {
			if (strbuf_add(out, chunk, used))
				goto fail;
			used = 0;
		}
		if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				goto fail;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				goto fail;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		chunk[used++] = c;
	}
	if (strbuf_add(out, chunk, used))
		goto fail;
	return 0;
fail:
	truncate_to(out, orig);
	return -1;
}

/* An encoded parameter: offsets into one scratch buffer, so that growing
 * the buffer (which may move it) does not invalidate them. */
struct enc_param {
	size_t name, name_len;
	size_t value, value_len;
	const char *base;	/* scratch.buf, set once all are encoded */
};

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return (alen > blen) - (alen < blen);
}

/* Byte order of the encoded name, then of the encoded value.  Comparing
 * "name=value" as one string would be wrong: '=' sorts after '-' and '.',
 * so "a=1" would land after "a-b=2" although name "a" comes first. */
static int enc_param_cmp(const void *pa, const void *pb)
{
	const struct enc_param *a = pa, *b = pb;
	int c = bytes_cmp(a->base + a->name, a->name_len,
			  b->base + b->name, b->name_len);

	if (c)
		return c;
	return bytes_cmp(a->base + a->value, a->value_len,
			 b->base + b->value, b->value_len);
}

int uri_query(struct strbuf *out, const struct uri_param *params, size_t n)
{
	struct strbuf scratch = STRBUF_INIT;
	struct enc_param *enc = NULL;
	size_t i, orig = out->len;
	int rc = -1;

	if (!n)
		return 0;
	enc = calloc(n, sizeof(*enc));
	if (!enc)
		goto fail;
	for (i = 0; i < n; i++) {
		const char *v = params[i].value ? params[i].value : "";

		enc[i].name = scratch.len;
		if (uri_encode(&scratch, params[i].name,
			       strlen(params[i].name), 0))
			goto fail;
		enc[i].name_len = scratch.len - enc[i].name;
		enc[i].value = scratch.len;
		if (uri_encode(&scratch, v, strlen(v), 0))
			goto fail;
		enc[i].value_len = scratch.len - enc[i].value;
	}
	for (i = 0; i < n; i++)
		enc[i].base = strbuf_str(&scratch);
	qsort(enc, n, sizeof(*enc), enc_param_cmp);

	for (i = 0; i < n; i++) {
		if ((i && strbuf_add(out, "&", 1)) ||
		    strbuf_add(out, enc[i].base + enc[i].name, enc[i].name_len) ||
		    strbuf_add(out, "=", 1) ||
		    strbuf_add(out, enc[i].base + enc[i].value, enc[i].value_len))
			goto fail;
	}
	rc = 0;
fail:
	if (rc)
		truncate_to(out, orig);
	free(enc);
	strbuf_release(&scratch);
	return rc;
}
