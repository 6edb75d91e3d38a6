/*
 * umeta: what an upload sends besides its bytes (split from upload.c):
 * the x-amz-meta-* of a file or directory and the sha256 of a buffer.
 */
#include "umeta.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static void set_one(struct s3_meta *m, char *name, char *buf, size_t len, const char *fmt,
		    long long v)
{
	snprintf(buf, len, fmt, v);
	m->name = name;
	m->value = buf;
}

void umeta_fill(struct umeta *ms, uint32_t mode, int64_t uid, int64_t gid,
		int64_t mtime, const char *sha256, int dir)
{
	static char n_mode[] = "mode", n_uid[] = "uid", n_gid[] = "gid", n_mtime[] = "mtime",
		    n_sha[] = "sha256";

	ms->n = 0;
	set_one(&ms->m[ms->n++], n_mode, ms->mode, sizeof(ms->mode), "%lld",
		(long long)((dir ? S_IFDIR : S_IFREG) | (mode ? mode & 07777 : dir ? 0755 : 0644)));
	set_one(&ms->m[ms->n++], n_uid, ms->uid, sizeof(ms->uid), "%lld",
		(long long)(uid >= 0 ? uid : (int64_t)getuid()));
	set_one(&ms->m[ms->n++], n_gid, ms->gid, sizeof(ms->gid), "%lld",
		(long long)(gid >= 0 ? gid : (int64_t)getgid()));
	set_one(&ms->m[ms->n++], n_mtime, ms->mtime, sizeof(ms->mtime), "%lld",
		(long long)mtime);
	if (sha256 && *sha256) {
		snprintf(ms->sha, sizeof(ms->sha), "%s", sha256);
		ms->m[ms->n].name = n_sha;
		ms->m[ms->n++].value = ms->sha;
	}
}

void sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned i;

	EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}
