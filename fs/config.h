/*
 * config: lakemount's configuration, from a JSON file (jansson) or from an
 * s3://bucket[/prefix] URL with -o options.  Every later part of the daemon
 * reads this struct; nothing else parses configuration.
 *
 * Errors name the file, the line and the field, and say what is expected:
 *   cannot read config '/etc/lm.json': line 4: "sources.lake.bucket" must be a string
 * Unknown keys are errors, so a typo never passes silently.
 */
#ifndef LM_CONFIG_H
#define LM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum config_checksums {
	CONFIG_CHECKSUMS_NONE = 0,
	CONFIG_CHECKSUMS_SIDECAR_SHA256,	/* "sidecar-sha256": X.zip.CHECKSUM */
};

enum config_checksums_policy {
	CONFIG_CHECKSUMS_POLICY_ENFORCE = 0,	/* "enforce": EIO on a mismatch */
	CONFIG_CHECKSUMS_POLICY_WARN,		/* "warn": serve and log */
};

struct config_source {
	char *name;		/* key in "sources" */
	char *endpoint;		/* "https://host[:port]"; default from AWS_ENDPOINT_URL,
				   else https://s3.<region>.amazonaws.com */
	char *region;		/* default AWS_REGION, else "us-east-1" */
	char *bucket;		/* required */
	char *prefix;		/* "" or ends with '/' */
	char *profile;		/* NULL: the AWS default chain */
	int anonymous;		/* unsigned requests */
	int path_style;		/* else virtual-hosted */
	int tls_verify;		/* default 1; "tls_verify": false warns */
	char *ca_file;		/* PEM CAs trusted instead of the system's; NULL */
	int list_v1;		/* ListObjects v1 (marker) for stores without v2 */
	unsigned max_connections;	/* per endpoint, default 16 */
};

struct config_tree {
	char *path;		/* mount-relative, no leading or trailing '/'; "" = root */
	size_t source;		/* index into config.sources */
	char *prefix;		/* key prefix under the source's prefix; "" or ends '/' */
	int readonly;
	unsigned ttl;		/* listing TTL, seconds; default 86400 readonly, 60 else */
	enum config_checksums checksums;
	enum config_checksums_policy checksums_policy;
};

struct config {
	char *file;		/* path it came from, NULL for a URL */
	char *cache_dir;	/* default /var/cache/lakemount (root) or
				   $XDG_CACHE_HOME/lakemount */
	uint64_t cache_max;	/* bytes; default 10 GiB */
	unsigned io_timeout;	/* seconds a request may take in all, default 30 */
	unsigned upload_delay;	/* seconds between a close and its upload, default 1 */
	struct config_source *sources;
	size_t nsources;
	struct config_tree *tree;
	size_t ntree;
};

/* Load and validate a JSON config file.  Returns 0, or -1 with a message in
 * err (file, line and field, and the fix); cfg is then empty. */
int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);

/* Same, from text held in memory; name stands for the file in messages. */
int config_load_text(struct config *cfg, const char *name, const char *text,
		     char *err, size_t errlen);

/* Build a one-source config from "s3://bucket[/prefix]" and a comma list of
 * options (endpoint=URL, region=R, profile=P, anonymous, ro, path_style,
 * cache_dir=D, cache_max=SIZE, ca_file=PEM); the source is mounted at the root.  Options
 * it does not know are an error.  Returns 0, or -1 with err set. */
int config_from_url(struct config *cfg, const char *url, const char *opts,
		    char *err, size_t errlen);

void config_release(struct config *cfg);

/* "20GiB", "512MiB", "4096", "1.5GiB", "20 GB" (KiB/MiB/GiB/TiB, also
 * K/M/G/T and KB/MB/GB as powers of 1024, spaces allowed before the unit).
 * Returns 0 and sets *out, or -1.  (Config fields further refuse 0 and
 * anything past INT64_MAX.) */
int config_parse_size(const char *s, uint64_t *out);

#endif
