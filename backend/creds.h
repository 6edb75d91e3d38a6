/*
 * creds: S3 credentials, found the way the AWS tools find them.
 *
 * Order: an explicit profile (from the config or -o profile=) reads the
 * shared credentials file; otherwise AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
 * (and AWS_SESSION_TOKEN) when set; otherwise the profile named by
 * AWS_PROFILE, or "default", from the shared credentials file
 * (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials).
 *
 * Secrets are never copied into error messages; creds_release() wipes them.
 */
#ifndef LM_CREDS_H
#define LM_CREDS_H

#include <stddef.h>

struct creds {
	char *access_key;
	char *secret_key;
	char *session_token;	/* NULL when none */
	char *origin;		/* where they came from, for messages:
				   "environment" or "profile 'x' in /root/.aws/credentials" */
};

/* Resolve credentials for profile (NULL: none named).  On success returns 0
 * and fills c (release with creds_release()).  On failure returns -1, leaves
 * c empty and writes a message that names the fix into err. */
int creds_resolve(struct creds *c, const char *profile, char *err, size_t errlen);

/* Read profile from the INI file at path.  Returns 0, or -1 with err set
 * (missing file, missing profile, profile without both keys). */
int creds_from_file(struct creds *c, const char *path, const char *profile,
		    char *err, size_t errlen);

/* Deep copy; returns 0 or -1 (ENOMEM). */
int creds_copy(struct creds *dst, const struct creds *src);

void creds_release(struct creds *c);

#endif
