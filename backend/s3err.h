/*
 * s3err: the backend's error report.  Every failed S3 call fills one: the
 * backend's own class of error, the HTTP status and the S3 error code when
 * the server sent one.  Turning these into errnos is fs/'s business.
 */
#ifndef LM_S3ERR_H
#define LM_S3ERR_H

#include <stddef.h>

enum s3_status {
	S3_OK = 0,
	S3_ERR_NOT_FOUND,	/* 404: NoSuchKey, NoSuchBucket, NoSuchUpload */
	S3_ERR_PRECONDITION,	/* 412: If-Match failed, the object changed */
	S3_ERR_AUTH,		/* 403 SignatureDoesNotMatch, InvalidAccessKeyId */
	S3_ERR_ACCESS,		/* 403 AccessDenied and other refusals */
	S3_ERR_RANGE,		/* 416: range outside the object */
	S3_ERR_CONFLICT,	/* 409: BucketNotEmpty, BucketAlreadyExists... */
	S3_ERR_CLIENT,		/* any other 4xx: never retried */
	S3_ERR_THROTTLED,	/* 429/503 SlowDown, still so after every retry */
	S3_ERR_SERVER,		/* 5xx, still so after every retry */
	S3_ERR_CONNECT,		/* could not resolve or connect */
	S3_ERR_TIMEOUT,		/* connect, stall or deadline timeout */
	S3_ERR_NETWORK,		/* reset or other transport failure */
	S3_ERR_PROTOCOL,	/* a response we cannot make sense of */
	S3_ERR_NOMEM,
	S3_ERR_INVALID,		/* bad arguments from the caller */
	S3_ERR_CANCELLED,	/* the client was shut down */
};

struct s3_error {
	enum s3_status status;
	long http_status;	/* 0 when no response came */
	unsigned attempts;	/* how many were made */
	char code[64];		/* S3 <Code>, or "" */
	char message[256];	/* S3 <Message> or transport detail, or "" */
};

const char *s3_status_name(enum s3_status st);

/* Is a failure with this status worth another attempt? */
int s3_status_retryable(enum s3_status st);

/* "SignatureDoesNotMatch (HTTP 403): <message>", or a transport message. */
void s3_error_format(const struct s3_error *e, char *buf, size_t len);

void s3_error_clear(struct s3_error *e);

/* Clear e and set it to st with a message (the caller's own failure, such
 * as S3_ERR_NOMEM or S3_ERR_PROTOCOL). */
void s3_error_set(struct s3_error *e, enum s3_status st, const char *msg);

/* Set e from an HTTP status and the parsed (possibly empty) S3 code/message. */
void s3_error_from_http(struct s3_error *e, long http_status,
			const char *code, const char *message);

#endif
