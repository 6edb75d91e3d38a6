/* umeta: the metadata and hash an upload carries (umeta.c). */
#ifndef LM_UMETA_H
#define LM_UMETA_H

#include <stddef.h>
#include <stdint.h>

#include "s3.h"

/* x-amz-meta-{mode,uid,gid,mtime,sha256}, s3fs's names; m[0..n) point
 * into the struct. */
struct umeta {
	struct s3_meta m[5];
	char mode[16], uid[24], gid[24], mtime[24], sha[65];
	size_t n;
};

/* mode 0: the default (0644, or 0755 for a directory); uid, gid -1: ours;
 * sha256 NULL or "": none sent. */
void umeta_fill(struct umeta *ms, uint32_t mode, int64_t uid, int64_t gid, int64_t mtime,
		const char *sha256, int dir);
/* The sha256 of data, in lowercase hex. */
void sha256_hex(const void *data, size_t len, char hex[65]);

#endif
