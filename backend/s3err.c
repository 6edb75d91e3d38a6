#include "s3err.h"

#include <stdio.h>
#include <string.h>

static const char *const names[] = {
	[S3_OK] = "ok",
	[S3_ERR_NOT_FOUND] = "not found",
	[S3_ERR_PRECONDITION] = "precondition failed",
	[S3_ERR_AUTH] = "authentication failed",
	[S3_ERR_ACCESS] = "access denied",
	[S3_ERR_RANGE] = "range not satisfiable",
	[S3_ERR_CONFLICT] = "conflict",
	[S3_ERR_CLIENT] = "request refused",
	[S3_ERR_THROTTLED] = "throttled",
	[S3_ERR_SERVER] = "server error",
	[S3_ERR_CONNECT] = "cannot connect",
	[S3_ERR_TIMEOUT] = "timed out",
	[S3_ERR_NETWORK] = "network error",
	[S3_ERR_PROTOCOL] = "bad response",
	[S3_ERR_NOMEM] = "out of memory",
	[S3_ERR_INVALID] = "invalid request",
	[S3_ERR_CANCELLED] = "cancelled",
};

const char *s3_status_name(enum s3_status st)
{
	if ((unsigned)st < sizeof(names) / sizeof(names[0]) && names[st])
		return names[st];
	return "unknown error";
}

int s3_status_retryable(enum s3_status st)
{
	switch (st) {
	case S3_ERR_THROTTLED:
	case S3_ERR_SERVER:
	case S3_ERR_CONNECT:
	case S3_ERR_TIMEOUT:
	case S3_ERR_NETWORK:
		return 1;
	default:
		return 0;
	}
}

void s3_error_clear(struct s3_error *e)
{
	memset(e, 0, sizeof(*e));
}

void s3_error_set(struct s3_error *e, enum s3_status st, const char *msg)
{
	memset(e, 0, sizeof(*e));
	e->status = st;
	snprintf(e->message, sizeof(e->message), "%s", msg ? msg : "");
}

void s3_error_format(const struct s3_error *e, char *buf, size_t len)
{
	const char *what = e->code[0] ? e->code : s3_status_name(e->status);

	if (e->http_status && e->message[0])
		snprintf(buf, len, "%s (HTTP %ld): %s", what, e->http_status, e->message);
	else if (e->http_status)
		snprintf(buf, len, "%s (HTTP %ld)", what, e->http_status);
	else if (e->message[0])
		snprintf(buf, len, "%s: %s", what, e->message);
	else
		snprintf(buf, len, "%s", what);
}

static enum s3_status status_of(long http, const char *code)
{
	if (!strcmp(code, "SignatureDoesNotMatch") || !strcmp(code, "InvalidAccessKeyId") ||
	    !strcmp(code, "InvalidToken") || !strcmp(code, "ExpiredToken") ||
	    !strcmp(code, "RequestTimeTooSkewed"))
		return S3_ERR_AUTH;
	if (!strcmp(code, "SlowDown") || http == 429)
		return S3_ERR_THROTTLED;
	/* S3 sends RequestTimeout as a 400: the body never arrived in time. */
	if (!strcmp(code, "RequestTimeout"))
		return S3_ERR_TIMEOUT;
	/* The body did not hash to what the request signed (or to its
	 * Content-MD5): it was damaged on the way, and the same bytes sent
	 * again can pass.  Bytes that changed under the request fail every
	 * attempt, as they should. */
	if (!strcmp(code, "XAmzContentSHA256Mismatch") || !strcmp(code, "BadDigest"))
		return S3_ERR_NETWORK;
	if (http == 404)
		return S3_ERR_NOT_FOUND;
	if (http == 412)
		return S3_ERR_PRECONDITION;
	if (http == 416)
		return S3_ERR_RANGE;
	if (http == 409)
		return S3_ERR_CONFLICT;
	if (http == 403 || http == 401)
		return S3_ERR_ACCESS;
	if (http >= 500)
		return S3_ERR_SERVER;
	return S3_ERR_CLIENT;
}

void s3_error_from_http(struct s3_error *e, long http_status,
			const char *code, const char *message)
{
	e->http_status = http_status;
	snprintf(e->code, sizeof(e->code), "%s", code ? code : "");
	snprintf(e->message, sizeof(e->message), "%s", message ? message : "");
	e->status = status_of(http_status, e->code);
}
