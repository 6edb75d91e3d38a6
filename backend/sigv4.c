/*
 * sigv4: AWS Signature Version 4, as S3 checks it.
 *
 *   canonical request = METHOD \n path \n query \n
 *                       (name:value \n)* \n signed-names \n payload-hash
 *   string to sign    = "AWS4-HMAC-SHA256" \n amz-date \n scope \n
 *                       hex(SHA-256(canonical request))
 *   scope             = yyyymmdd/region/service/aws4_request
 *   signing key       = HMAC chain of "AWS4"+secret over the scope's parts
 *   signature         = hex(HMAC(signing key, string to sign))
 *
 * Header names are lower-cased and sorted; values are trimmed and inner runs
 * of blanks folded to one space; a name given twice is signed once with its
 * values joined by ',' in the order given.  The path and query are signed as
 * passed: they must already be in uri.c's encoding, which is also what goes
 * on the wire, so the server sees exactly the bytes that were signed.
 *
 * The secret and every key derived from it are wiped once used.
 */
#include "sigv4.h"
#include "uri.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define ALGORITHM "AWS4-HMAC-SHA256"
#define SHA256_LEN 32

static void hex_of(const unsigned char *md, size_t n, char *out)
{
	static const char hexdig[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdig[md[i] >> 4];
		out[2 * i + 1] = hexdig[md[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int digest(const EVP_MD *md, const void *data, size_t len,
		  unsigned char *out, unsigned want)
{
	unsigned int n = 0;

	if (!data)
		data = "";
	if (!EVP_Digest(data, len, out, &n, md, NULL) || n != want)
		return -1;
	return 0;
}

static int hmac256(const void *key, size_t keylen, const void *data,
		   size_t len, unsigned char out[SHA256_LEN])
{
	unsigned int n = 0;

	if (keylen > INT_MAX)
		return -1;
	if (!HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &n) ||
	    n != SHA256_LEN)
		return -1;
	return 0;
}

void sigv4_amz_date(time_t t, char out[17])
{
	struct tm tm;

	/* A year past 9999 does not fit the format: strftime() then returns
	 * 0, and an empty date makes signing fail rather than lie. */
	if (!gmtime_r(&t, &tm) || strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
		out[0] = '\0';
}

void sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[SHA256_LEN];

	if (digest(EVP_sha256(), data, len, md, SHA256_LEN)) {
		out[0] = '\0';
		return;
	}
	hex_of(md, SHA256_LEN, out);
}

void sigv4_md5_base64(const void *data, size_t len, char out[25])
{
	unsigned char md[16];

	if (digest(EVP_md5(), data, len, md, sizeof(md))) {
		out[0] = '\0';
		return;
	}
	/* 16 bytes make 24 base64 characters; EVP_EncodeBlock adds the NUL. */
	EVP_EncodeBlock((unsigned char *)out, md, sizeof(md));
}

/* ---- canonical headers ------------------------------------------------ */

/* One header in canonical form; offsets into a scratch buffer that may
 * move while it grows. */
struct canon_hdr {
	size_t name, name_len;
	size_t value, value_len;
	size_t index;		/* position in rq->headers */
	const char *base;
};

static int canon_hdr_cmp(const void *pa, const void *pb)
{
	const struct canon_hdr *a = pa, *b = pb;
	size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
	int c = memcmp(a->base + a->name, b->base + b->name, n);

	if (c)
		return c;
	if (a->name_len != b->name_len)
		return a->name_len < b->name_len ? -1 : 1;
	/* qsort is not stable: keep a repeated name's values in order. */
	return (a->index > b->index) - (a->index < b->index);
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Append the lower-cased name; a name that could not be a header name
 * (empty, a ':', a blank or control byte) would let one header pass for
 * two in the canonical text, so it is refused. */
static int add_name(struct strbuf *sb, const char *name)
{
	const char *p;
	char c;

	if (!name || !*name)
		return -1;
	for (p = name; *p; p++) {
		c = *p;
		if ((unsigned char)c <= ' ' || (unsigned char)c >= 0x7f || c == ':')
			return -1;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (strbuf_add(sb, &c, 1))
			return -1;
	}
	return 0;
}

/* Append the value trimmed, each inner run of blanks folded to one space.
 * A CR or LF would start a new canonical line, so it is refused. */
static int add_value(struct strbuf *sb, const char *value)
{
	const char *p = value ? value : "";
	const char *run;

	while (is_blank(*p))
		p++;
	while (*p) {
		if (*p == '\r' || *p == '\n')
			return -1;
		if (!is_blank(*p)) {
			run = p;
			while (*p && !is_blank(*p) && *p != '\r' && *p != '\n')
				p++;
			if (strbuf_add(sb, run, (size_t)(p - run)))
				return -1;
			continue;
		}
		while (is_blank(*p))
			p++;
		if (*p && strbuf_add(sb, " ", 1))
			return -1;
	}
	return 0;
}

/* Append the canonical header lines of rq to canon (each "name:value\n")
 * and the signed names ("a;b;c") to names. */
static int canon_headers(const struct sigv4_request *rq, struct strbuf *canon,
			 struct strbuf *names)
{
	struct strbuf scratch = STRBUF_INIT;
	struct canon_hdr *h = NULL;
	size_t i, n = rq->nheaders;
	int rc = -1;

	if (!n)
		return 0;
	if (!rq->headers || !(h = calloc(n, sizeof(*h))))
		goto fail;
	for (i = 0; i < n; i++) {
		h[i].index = i;
		h[i].name = scratch.len;
		if (add_name(&scratch, rq->headers[i].name))
			goto fail;
		h[i].name_len = scratch.len - h[i].name;
		h[i].value = scratch.len;
		if (add_value(&scratch, rq->headers[i].value))
			goto fail;
		h[i].value_len = scratch.len - h[i].value;
	}
	for (i = 0; i < n; i++)
		h[i].base = strbuf_str(&scratch);
	qsort(h, n, sizeof(*h), canon_hdr_cmp);

	for (i = 0; i < n; i++) {
		const char *b = h[i].base;
		int repeat = i && h[i].name_len == h[i - 1].name_len &&
			!memcmp(b + h[i].name, b + h[i - 1].name, h[i].name_len);

		if (repeat) {
			/* canon ends in "\n": replace it with ",value\n". */
			canon->len--;
			if (strbuf_add(canon, ",", 1))
				goto fail;
		} else if ((i && strbuf_add(names, ";", 1)) ||
			   strbuf_add(names, b + h[i].name, h[i].name_len) ||
			   strbuf_add(canon, b + h[i].name, h[i].name_len) ||
			   strbuf_add(canon, ":", 1)) {
			goto fail;
		}
		if (strbuf_add(canon, b + h[i].value, h[i].value_len) ||
		    strbuf_add(canon, "\n", 1))
			goto fail;
	}
	rc = 0;
fail:
	free(h);
	strbuf_release(&scratch);
	return rc;
}

/* ---- canonical request, string to sign, signature ---------------------- */

static int canonical(struct strbuf *out, const struct sigv4_request *rq,
		     struct strbuf *names)
{
	struct strbuf canon = STRBUF_INIT;
	const char *path = rq->path && *rq->path ? rq->path : "/";
	int rc = -1;

	if (!rq->method || !rq->payload_hash)
		goto fail;
	if (canon_headers(rq, &canon, names))
		goto fail;
	if (strbuf_addf(out, "%s\n%s\n%s\n%s\n%s\n%s", rq->method, path,
			rq->query ? rq->query : "", strbuf_str(&canon),
			strbuf_str(names), rq->payload_hash))
		goto fail;
	rc = 0;
fail:
	strbuf_release(&canon);
	return rc;
}

int sigv4_canonical_request(struct strbuf *out, const struct sigv4_request *rq)
{
	struct strbuf cr = STRBUF_INIT, names = STRBUF_INIT;
	int rc = -1;

	if (canonical(&cr, rq, &names) || strbuf_add(out, cr.buf, cr.len))
		goto fail;
	rc = 0;
fail:
	strbuf_release(&cr);
	strbuf_release(&names);
	return rc;
}

static int valid_date(const char *amz_date)
{
	return amz_date && strlen(amz_date) == 16 && amz_date[8] == 'T' &&
	       amz_date[15] == 'Z';
}

static int valid_key(const struct sigv4_key *key)
{
	return key && key->access_key && key->secret_key && key->region &&
	       key->service;
}

/* The string to sign of rq into sts, the signed names into names. */
static int build_sts(struct strbuf *sts, struct strbuf *names,
		     const struct sigv4_key *key, const char *amz_date,
		     const struct sigv4_request *rq)
{
	struct strbuf cr = STRBUF_INIT;
	char hash[65];
	int rc = -1;

	if (!valid_key(key) || !valid_date(amz_date))
		goto fail;
	if (canonical(&cr, rq, names))
		goto fail;
	sigv4_sha256_hex(cr.buf, cr.len, hash);
	if (!hash[0])
		goto fail;
	if (strbuf_addf(sts, ALGORITHM "\n%s\n%.8s/%s/%s/aws4_request\n%s",
			amz_date, amz_date, key->region, key->service, hash))
		goto fail;
	rc = 0;
fail:
	strbuf_release(&cr);
	return rc;
}

int sigv4_string_to_sign(struct strbuf *out, const struct sigv4_key *key,
			 const char *amz_date, const struct sigv4_request *rq)
{
	struct strbuf sts = STRBUF_INIT, names = STRBUF_INIT;
	int rc = -1;

	if (build_sts(&sts, &names, key, amz_date, rq) ||
	    strbuf_add(out, sts.buf, sts.len))
		goto fail;
	rc = 0;
fail:
	strbuf_release(&sts);
	strbuf_release(&names);
	return rc;
}

/* hex(HMAC(signing key, sts)) into sig. */
static int signature(char sig[65], const struct sigv4_key *key,
		     const char *amz_date, const struct strbuf *sts)
{
	struct strbuf secret = STRBUF_INIT;
	unsigned char k1[SHA256_LEN], k2[SHA256_LEN], mac[SHA256_LEN];
	int rc = -1;

	if (strbuf_addf(&secret, "AWS4%s", key->secret_key) ||
	    hmac256(secret.buf, secret.len, amz_date, 8, k1) ||
	    hmac256(k1, sizeof(k1), key->region, strlen(key->region), k2) ||
	    hmac256(k2, sizeof(k2), key->service, strlen(key->service), k1) ||
	    hmac256(k1, sizeof(k1), "aws4_request", 12, k2) ||
	    hmac256(k2, sizeof(k2), sts->buf, sts->len, mac))
		goto fail;
	hex_of(mac, sizeof(mac), sig);
	rc = 0;
fail:
	if (secret.buf)
		OPENSSL_cleanse(secret.buf, secret.alloc);
	strbuf_release(&secret);
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	return rc;
}

int sigv4_authorization(struct strbuf *out, const struct sigv4_key *key,
			const char *amz_date, const struct sigv4_request *rq)
{
	struct strbuf sts = STRBUF_INIT, names = STRBUF_INIT;
	char sig[65];
	int rc = -1;

	if (build_sts(&sts, &names, key, amz_date, rq) ||
	    signature(sig, key, amz_date, &sts))
		goto fail;
	if (strbuf_addf(out, ALGORITHM " Credential=%s/%.8s/%s/%s/aws4_request, "
			"SignedHeaders=%s, Signature=%s", key->access_key,
			amz_date, key->region, key->service, strbuf_str(&names),
			sig))
		goto fail;
	rc = 0;
fail:
	strbuf_release(&sts);
	strbuf_release(&names);
	return rc;
}

/* ---- presigned URLs ----------------------------------------------------- */

/*
 * The X-Amz-* parameters join the request's own and the whole query is
 * signed, so it must be in canonical order.  rq->query arrives encoded;
 * decoding it and re-encoding everything through uri_query() keeps a single
 * definition of "canonical" and yields one string that is both the URL's
 * query and the signed one.
 */

/* Decode s[0..len) into scratch, then a NUL; *off is where it starts.  A
 * decoded NUL would cut the string short, so it is refused. */
static int add_decoded(struct strbuf *scratch, const char *s, size_t len,
		       size_t *off)
{
	*off = scratch->len;
	if (uri_decode(scratch, s, len))
		return -1;
	if (memchr(strbuf_str(scratch) + *off, '\0', scratch->len - *off))
		return -1;
	return strbuf_add(scratch, "", 1);
}

/* Decode the parameters of query q into scratch; offs gets two offsets per
 * parameter, name and value ((size_t)-1 for a bare "uploads"). */
static int split_query(const char *q, struct strbuf *scratch, size_t *offs,
		       size_t max, size_t *n)
{
	const char *amp, *eq, *end;

	*n = 0;
	while (q && *q) {
		amp = strchr(q, '&');
		end = amp ? amp : q + strlen(q);
		if (end > q) {
			if (*n == max)
				return -1;
			eq = memchr(q, '=', (size_t)(end - q));
			offs[2 * *n + 1] = (size_t)-1;
			if (add_decoded(scratch, q, (size_t)((eq ? eq : end) - q),
					&offs[2 * *n]) ||
			    (eq && add_decoded(scratch, eq + 1,
					       (size_t)(end - eq - 1),
					       &offs[2 * *n + 1])))
				return -1;
			++*n;
		}
		q = amp ? amp + 1 : end;
	}
	return 0;
}

static size_t count_params(const char *q)
{
	size_t n = 1;

	for (; q && *q; q++)
		n += *q == '&';
	return n;
}

/* The canonical query of rq->query plus the X-Amz-* auth parameters. */
static int presign_query(struct strbuf *out, const struct sigv4_key *key,
			 const char *token, const char *amz_date,
			 unsigned expires, const struct sigv4_request *rq)
{
	struct strbuf scratch = STRBUF_INIT, cred = STRBUF_INIT;
	struct strbuf canon = STRBUF_INIT, names = STRBUF_INIT;
	size_t max = count_params(rq->query), *offs = NULL, n = 0, i;
	struct uri_param *p = NULL;
	char exp[16];
	int rc = -1;

	offs = calloc(2 * max, sizeof(*offs));
	p = calloc(max + 6, sizeof(*p));
	if (!offs || !p)
		goto fail;
	if (split_query(rq->query, &scratch, offs, max, &n))
		goto fail;
	for (i = 0; i < n; i++) {
		p[i].name = scratch.buf + offs[2 * i];
		p[i].value = offs[2 * i + 1] == (size_t)-1 ? NULL :
			scratch.buf + offs[2 * i + 1];
	}
	if (canon_headers(rq, &canon, &names) ||
	    strbuf_addf(&cred, "%s/%.8s/%s/%s/aws4_request", key->access_key,
			amz_date, key->region, key->service))
		goto fail;
	snprintf(exp, sizeof(exp), "%u", expires);
	p[n++] = (struct uri_param){ "X-Amz-Algorithm", ALGORITHM };
	p[n++] = (struct uri_param){ "X-Amz-Credential", strbuf_str(&cred) };
	p[n++] = (struct uri_param){ "X-Amz-Date", amz_date };
	p[n++] = (struct uri_param){ "X-Amz-Expires", exp };
	p[n++] = (struct uri_param){ "X-Amz-SignedHeaders", strbuf_str(&names) };
	if (token)
		p[n++] = (struct uri_param){ "X-Amz-Security-Token", token };
	rc = uri_query(out, p, n);
fail:
	free(offs);
	free(p);
	strbuf_release(&scratch);
	strbuf_release(&cred);
	strbuf_release(&canon);
	strbuf_release(&names);
	return rc;
}

int sigv4_presign(struct strbuf *out, const struct sigv4_key *key,
		  const char *token, const char *amz_date, unsigned expires,
		  const struct sigv4_request *rq)
{
	struct strbuf q = STRBUF_INIT, sts = STRBUF_INIT, names = STRBUF_INIT;
	struct sigv4_request signed_rq = *rq;
	char sig[65];
	int rc = -1;

	if (!valid_key(key) || !valid_date(amz_date))
		goto fail;
	if (presign_query(&q, key, token, amz_date, expires, rq))
		goto fail;
	signed_rq.query = strbuf_str(&q);
	if (build_sts(&sts, &names, key, amz_date, &signed_rq) ||
	    signature(sig, key, amz_date, &sts))
		goto fail;
	if (strbuf_addf(out, "%s&X-Amz-Signature=%s", strbuf_str(&q), sig))
		goto fail;
	rc = 0;
fail:
	strbuf_release(&q);
	strbuf_release(&sts);
	strbuf_release(&names);
	return rc;
}
