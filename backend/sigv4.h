/*
 * sigv4: AWS Signature Version 4 for S3 (HMAC-SHA256 over a canonical
 * request), header form and query (presigned URL) form.  Pure functions of
 * their inputs and the time passed in: no clock is read here, so tests sign
 * with the published examples' fixed time.
 */
#ifndef LM_SIGV4_H
#define LM_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "strbuf.h"

#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct sigv4_key {
	const char *access_key;
	const char *secret_key;
	const char *region;	/* "us-east-1" */
	const char *service;	/* "s3" */
};

struct sigv4_header {
	const char *name;	/* any case; canonicalised to lower case */
	const char *value;	/* trimmed, inner runs of spaces folded */
};

struct sigv4_request {
	const char *method;		/* "GET" */
	const char *path;		/* URI-encoded path: "/bucket/a%20b" */
	const char *query;		/* canonical query (uri_query()), "" if none */
	const struct sigv4_header *headers;	/* every header to sign, with */
	size_t nheaders;		/* host, x-amz-date, x-amz-content-sha256 */
	const char *payload_hash;	/* hex SHA-256 or SIGV4_UNSIGNED_PAYLOAD */
};

/* "20130524T000000Z" for t (UTC); out must hold 17 bytes. */
void sigv4_amz_date(time_t t, char out[17]);

/* Lower-case hex SHA-256 of data; out must hold 65 bytes. */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);

/* Base64 MD5 of data, for Content-MD5; out must hold 25 bytes. */
void sigv4_md5_base64(const void *data, size_t len, char out[25]);

/* Append the Authorization header value ("AWS4-HMAC-SHA256 Credential=...,
 * SignedHeaders=..., Signature=...") for rq signed at amz_date to out.
 * Returns 0, or -1 on ENOMEM or a crypto failure (out unchanged then). */
int sigv4_authorization(struct strbuf *out, const struct sigv4_key *key,
			const char *amz_date, const struct sigv4_request *rq);

/* Append to out the query string of a presigned URL: rq->query merged with
 * X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
 * X-Amz-SignedHeaders (and X-Amz-Security-Token when token is not NULL),
 * then X-Amz-Signature.  rq->payload_hash should be UNSIGNED-PAYLOAD.
 * Returns 0 or -1. */
int sigv4_presign(struct strbuf *out, const struct sigv4_key *key,
		  const char *token, const char *amz_date, unsigned expires,
		  const struct sigv4_request *rq);

/* The canonical request and string to sign, exposed for tests and debug
 * logs (they hold no secret). */
int sigv4_canonical_request(struct strbuf *out, const struct sigv4_request *rq);
int sigv4_string_to_sign(struct strbuf *out, const struct sigv4_key *key,
			 const char *amz_date, const struct sigv4_request *rq);

#endif
