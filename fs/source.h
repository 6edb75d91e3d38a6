/*
 * source: an S3 client for one configured source, with its credentials
 * resolved the AWS way and, when LAKEMOUNT_FAULTS is set (tests only), a
 * fault-injecting transport under it.
 */
#ifndef LM_SOURCE_H
#define LM_SOURCE_H

#include <stddef.h>

#include "config.h"
#include "creds.h"
#include "s3.h"

struct source_limits {
	long deadline_ms;	/* 0: the config's io_timeout */
	long connect_timeout_ms;	/* 0: backend default */
	unsigned max_attempts;	/* 0: backend default */
};

/* Build a client for src.  On failure returns NULL and writes a message that
 * names the fix into msg.  *origin (may be NULL) gets a malloc'd description
 * of where the credentials came from, for later messages. */
struct s3_client *source_client_new(const struct config *cfg,
				    const struct config_source *src,
				    const struct source_limits *lim,
				    char **origin, char *msg, size_t msglen);

/* Explain a failed call on src in one line that says what to do. */
void source_explain(const struct config_source *src, const char *origin,
		    const struct s3_error *err, char *msg, size_t msglen);

#endif
