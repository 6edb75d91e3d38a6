/*
 * t_config: the JSON config and the s3:// form.  Each kind of mistake a user
 * makes must be reported on its line with its field; the documented example
 * must load with every field as written.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static const char example[] =
	"{\n"
	"  \"cache\":   { \"dir\": \"/var/cache/lakemount\", \"max_size\": \"20GiB\" },\n"
	"  \"sources\": {\n"
	"    \"binance\": { \"endpoint\": \"https://s3-ap-northeast-1.amazonaws.com\", "
	"\"region\": \"ap-northeast-1\",\n"
	"                 \"bucket\": \"data.binance.vision\", \"prefix\": \"data/\", "
	"\"anonymous\": true },\n"
	"    \"lake\":    { \"endpoint\": \"http://127.0.0.1:7480\", \"region\": \"us-east-1\",\n"
	"                 \"bucket\": \"lakehouse\", \"profile\": \"default\", "
	"\"path_style\": true }\n"
	"  },\n"
	"  \"tree\": [\n"
	"    { \"path\": \"archive/binance\", \"source\": \"binance\", \"readonly\": true, "
	"\"checksums\": \"sidecar-sha256\" },\n"
	"    { \"path\": \"bronze\", \"source\": \"lake\", \"prefix\": \"bronze/\" },\n"
	"    { \"path\": \"silver\", \"source\": \"lake\", \"prefix\": \"silver/\" },\n"
	"    { \"path\": \"gold\",   \"source\": \"lake\", \"prefix\": \"gold/\" }\n"
	"  ]\n"
	"}\n";

static void clear_env(void)
{
	unsetenv("AWS_REGION");
	unsetenv("AWS_ENDPOINT_URL");
}

static void test_example(void)
{
	struct config cfg;
	char err[512] = "";
	const struct config_source *b, *l;
	size_t i;

	unit_case("the documented example loads with every field right");
	clear_env();
	UNIT_CHECK_INT(config_load_text(&cfg, "/etc/lm.json", example, err, sizeof(err)), 0);
	UNIT_CHECK_STR(err, "");
	UNIT_CHECK_STR(cfg.file, "/etc/lm.json");
	UNIT_CHECK_STR(cfg.cache_dir, "/var/cache/lakemount");
	UNIT_CHECK_INT(cfg.cache_max, 20ULL << 30);
	UNIT_CHECK_INT(cfg.io_timeout, 30);
	UNIT_CHECK_INT(cfg.upload_delay, 1);
	UNIT_CHECK_INT(cfg.nsources, 2);
	UNIT_CHECK_INT(cfg.ntree, 4);
	if (cfg.nsources != 2 || cfg.ntree != 4)
		return;
	b = &cfg.sources[0];
	l = &cfg.sources[1];
	UNIT_CHECK_STR(b->name, "binance");
	UNIT_CHECK_STR(b->endpoint, "https://s3-ap-northeast-1.amazonaws.com");
	UNIT_CHECK_STR(b->region, "ap-northeast-1");
	UNIT_CHECK_STR(b->bucket, "data.binance.vision");
	UNIT_CHECK_STR(b->prefix, "data/");
	UNIT_CHECK(b->profile == NULL);
	UNIT_CHECK_INT(b->anonymous, 1);
	UNIT_CHECK_INT(b->path_style, 0);
	UNIT_CHECK_INT(b->tls_verify, 1);
	UNIT_CHECK_INT(b->list_v1, 0);
	UNIT_CHECK_INT(b->max_connections, 16);
	UNIT_CHECK_STR(l->name, "lake");
	UNIT_CHECK_STR(l->endpoint, "http://127.0.0.1:7480");
	UNIT_CHECK_STR(l->region, "us-east-1");
	UNIT_CHECK_STR(l->bucket, "lakehouse");
	UNIT_CHECK_STR(l->prefix, "");
	UNIT_CHECK_STR(l->profile, "default");
	UNIT_CHECK_INT(l->anonymous, 0);
	UNIT_CHECK_INT(l->path_style, 1);

	UNIT_CHECK_STR(cfg.tree[0].path, "archive/binance");
	UNIT_CHECK_INT(cfg.tree[0].source, 0);
	UNIT_CHECK_STR(cfg.tree[0].prefix, "");
	UNIT_CHECK_INT(cfg.tree[0].readonly, 1);
	UNIT_CHECK_INT(cfg.tree[0].ttl, 86400);
	UNIT_CHECK_INT(cfg.tree[0].checksums, CONFIG_CHECKSUMS_SIDECAR_SHA256);
	UNIT_CHECK_INT(cfg.tree[0].checksums_policy, CONFIG_CHECKSUMS_POLICY_ENFORCE);
	for (i = 1; i < 4; i++) {
		static const char *const names[] = { "", "bronze", "silver", "gold" };
		char prefix[16];

		snprintf(prefix, sizeof(prefix), "%s/", names[i]);
		UNIT_CHECK_STR(cfg.tree[i].path, names[i]);
		UNIT_CHECK_STR(cfg.tree[i].prefix, prefix);
		UNIT_CHECK_INT(cfg.tree[i].source, 1);
		UNIT_CHECK_INT(cfg.tree[i].readonly, 0);
		UNIT_CHECK_INT(cfg.tree[i].ttl, 60);
		UNIT_CHECK_INT(cfg.tree[i].checksums, CONFIG_CHECKSUMS_NONE);
	}
	config_release(&cfg);
	config_release(&cfg);	/* twice is harmless */
}

static void test_every_field(void)
{
	static const char text[] =
		"{\"io_timeout\": 3600, \"upload_delay\": 0, \"cache\": {\"max_size\": 1048576},\n"
		" \"sources\": {\"s\": {\"bucket\": \"b\", \"endpoint\": \"https://minio:9000//\",\n"
		"   \"region\": \"eu-west-3\", \"prefix\": \"a/b\", \"tls_verify\": false,\n"
		"   \"list_v1\": true, \"max_connections\": 64, \"anonymous\": false, "
		"\"profile\": \"p\"}},\n"
		" \"tree\": [{\"path\": \"/x/y/\", \"source\": \"s\", \"prefix\": \"z\", "
		"\"ttl\": 0,\n"
		"   \"readonly\": true, \"checksums\": \"none\", \"checksums_policy\": \"warn\"},\n"
		"  {\"path\": \"w\", \"source\": \"s\", \"ttl\": 5}]}\n";
	struct config cfg;
	char err[512] = "";

	unit_case("every field, normalised: prefixes, paths, endpoint slash");
	clear_env();
	UNIT_CHECK_INT(config_load_text(&cfg, "t.json", text, err, sizeof(err)), 0);
	UNIT_CHECK_STR(err, "");
	if (cfg.ntree != 2)
		return;
	UNIT_CHECK_INT(cfg.io_timeout, 3600);
	UNIT_CHECK_INT(cfg.upload_delay, 0);
	UNIT_CHECK_INT(cfg.cache_max, 1048576);
	UNIT_CHECK_STR(cfg.sources[0].endpoint, "https://minio:9000");
	UNIT_CHECK_STR(cfg.sources[0].region, "eu-west-3");
	UNIT_CHECK_STR(cfg.sources[0].prefix, "a/b/");
	UNIT_CHECK_STR(cfg.sources[0].profile, "p");
	UNIT_CHECK_INT(cfg.sources[0].tls_verify, 0);
	UNIT_CHECK_INT(cfg.sources[0].list_v1, 1);
	UNIT_CHECK_INT(cfg.sources[0].max_connections, 64);
	UNIT_CHECK_STR(cfg.tree[0].path, "x/y");
	UNIT_CHECK_STR(cfg.tree[0].prefix, "z/");
	UNIT_CHECK_INT(cfg.tree[0].ttl, 0);
	UNIT_CHECK_INT(cfg.tree[0].checksums_policy, CONFIG_CHECKSUMS_POLICY_WARN);
	UNIT_CHECK_INT(cfg.tree[1].ttl, 5);
	config_release(&cfg);
}

/* text must fail with exactly want (want starting with "line N: ..." is
 * prefixed with the file part). */
static void expect_error(const char *text, const char *want)
{
	struct config cfg;
	char err[1024], full[1024];

	snprintf(full, sizeof(full), "cannot read config '/etc/lm.json': %s", want);
	memset(&cfg, 0x55, sizeof(cfg));
	if (config_load_text(&cfg, "/etc/lm.json", text, err, sizeof(err)) != -1) {
		unit_fail(__FILE__, __LINE__, "accepted, want '%s'", want);
		config_release(&cfg);
		return;
	}
	UNIT_CHECK_STR(err, full);
	UNIT_CHECK(cfg.sources == NULL && cfg.tree == NULL && cfg.file == NULL);
}

#define SRC_LAKE "\"sources\": {\"lake\": {\"bucket\": \"b\"}}"
#define TREE_ONE "\"tree\": [{\"path\": \"x\", \"source\": \"lake\"}]"

static void test_wrong_types(void)
{
	unit_case("wrong type: the line of the key, the path of the field");
	expect_error("{\n"
		     "  \"sources\": {\n"
		     "    \"lake\": {\n"
		     "      \"bucket\": 5\n"
		     "    }\n"
		     "  },\n"
		     "  " TREE_ONE "\n"
		     "}\n",
		     "line 4: \"sources.lake.bucket\" must be a string");
	expect_error("{" SRC_LAKE ",\n" TREE_ONE ",\n\"io_timeout\": \"30\"}",
		     "line 3: \"io_timeout\" must be an integer from 1 to 3600");
	expect_error("{" SRC_LAKE ",\n" TREE_ONE ",\n\n\"io_timeout\": 0}",
		     "line 4: \"io_timeout\" must be an integer from 1 to 3600");
	expect_error("{" SRC_LAKE ",\n" TREE_ONE ",\n\"upload_delay\": -1}",
		     "line 3: \"upload_delay\" must be an integer from 0 to 86400");
	expect_error("{\"sources\": {\"lake\": {\"bucket\": \"b\",\n\"anonymous\": \"yes\"}},\n"
		     TREE_ONE "}",
		     "line 2: \"sources.lake.anonymous\" must be true or false");
	expect_error("{" SRC_LAKE ",\n\"tree\": [{\"path\": \"x\", \"source\": \"lake\",\n"
		     "  \"checksums\": \"sha1\"}]}",
		     "line 3: \"tree[0].checksums\" must be \"none\" or \"sidecar-sha256\"");
	expect_error("{" SRC_LAKE ",\n\"tree\": [{\"path\": \"x\", \"source\": \"lake\",\n"
		     "  \"ttl\": -1}]}",
		     "line 3: \"tree[0].ttl\" must be an integer from 0 to 31536000");
	expect_error("{" SRC_LAKE ",\n\"tree\": {}}",
		     "line 2: \"tree\" must be a non-empty array of mounts");
	expect_error("[1, 2]", "line 1: the top level must be an object");
	expect_error("{\"sources\": {\n\"lake\": 5},\n" TREE_ONE "}",
		     "line 2: \"sources.lake\" must be an object");
	expect_error("{" SRC_LAKE ",\n\"tree\": [\n\n5]}", "line 4: \"tree[0]\" must be an object");
	expect_error("{\"sources\": {\"lake\": {\"bucket\": \"b\",\n\"max_connections\": 0}},\n"
		     TREE_ONE "}",
		     "line 2: \"sources.lake.max_connections\" must be an integer from 1 to 1024");
	expect_error("{" SRC_LAKE ",\n\"tree\": [{\"path\": \"x\", \"source\": 1}]}",
		     "line 2: \"tree[0].source\" must be a string naming a source");

}

static void test_unknown_keys(void)
{
	unit_case("unknown keys, at every level");
	expect_error("{" SRC_LAKE ",\n" TREE_ONE ",\n  \"cahce\": {}}",
		     "line 3: \"cahce\" is not a known key (expected one of: cache, io_timeout, "
		     "sources, tree, upload_delay)");
	expect_error("{\"sources\": {\n"
		     "  \"lake\": {\"bucket\": \"b\",\n"
		     "           \"buckt\": \"c\"}},\n" TREE_ONE "}",
		     "line 3: \"sources.lake.buckt\" is not a known key (expected one of: "
		     "endpoint, region, bucket, prefix, profile, anonymous, path_style, "
		     "tls_verify, ca_file, list_v1, max_connections)");
	expect_error("{" SRC_LAKE ",\n\"tree\": [\n {\"path\": \"x\", \"source\": \"lake\"},\n"
		     " {\"path\": \"y\", \"source\": \"lake\",\n  \"read_only\": true}]}",
		     "line 5: \"tree[1].read_only\" is not a known key (expected one of: path, "
		     "source, prefix, readonly, ttl, checksums, checksums_policy)");
	expect_error("{" SRC_LAKE ",\n" TREE_ONE ",\n\"cache\": {\"dir\": \"/c\",\n"
		     "\"size\": 5}}",
		     "line 4: \"cache.size\" is not a known key (expected one of: dir, max_size)");

}

static void test_missing(void)
{
	unit_case("missing fields: reported on their parent");
	expect_error("{\n"
		     "  \"sources\": {\n"
		     "    \"lake\": { \"endpoint\": \"http://127.0.0.1:7480\",\n"
		     "              \"region\": \"us-east-1\" }\n"
		     "  },\n"
		     "  " TREE_ONE "\n"
		     "}\n",
		     "line 3: \"sources.lake.bucket\" is required");
	expect_error("{" SRC_LAKE ",\n\"tree\": [\n {\"path\": \"x\", \"source\": \"lake\"},\n"
		     " {\"source\": \"lake\"}]}",
		     "line 4: \"tree[1].path\" is required");
	expect_error("{\n" SRC_LAKE "}", "line 1: \"tree\" is required");

}

static void test_bad_values(void)
{
	unit_case("bad sizes");
	expect_error("{" SRC_LAKE ",\n" TREE_ONE ",\n\"cache\": {\n\"max_size\": \"20 gigs\"}}",
		     "line 4: \"cache.max_size\" must be a size such as \"20GiB\" or a number "
		     "of bytes, from 1 byte to 8 EiB");
	expect_error("{" SRC_LAKE ",\n" TREE_ONE ",\n\"cache\": {\"max_size\": -5}}",
		     "line 3: \"cache.max_size\" must be a size such as \"20GiB\" or a number "
		     "of bytes, from 1 byte to 8 EiB");
	expect_error("{" SRC_LAKE ",\n" TREE_ONE ",\n\"cache\": {\"max_size\": \"0\"}}",
		     "line 3: \"cache.max_size\" must be a size such as \"20GiB\" or a number "
		     "of bytes, from 1 byte to 8 EiB");

	unit_case("a tree entry naming no source");
	expect_error("{\"sources\": {\"lake\": {\"bucket\": \"b\"}, \"bin\": {\"bucket\": \"c\"}},\n"
		     "\"tree\": [\n"
		     "  {\"path\": \"x\", \"source\": \"lake\"},\n"
		     "  {\"path\": \"y\",\n"
		     "   \"source\": \"laek\"}]}",
		     "line 5: \"tree[1].source\" names no source 'laek' (sources are: lake, bin)");

}

static void test_tree_paths(void)
{
	unit_case("tree paths that nest, repeat or have bad components");
	expect_error("{" SRC_LAKE ",\n\"tree\": [\n"
		     "  {\"path\": \"a\", \"source\": \"lake\"},\n"
		     "  {\"path\": \"c\", \"source\": \"lake\"},\n"
		     "  {\"source\": \"lake\",\n"
		     "   \"path\": \"a/b\"}]}",
		     "line 6: \"tree[2].path\" 'a/b' overlaps 'a' of tree[0]: mount paths must "
		     "not repeat or nest");
	expect_error("{" SRC_LAKE ",\n\"tree\": [{\"path\": \"a/b\", \"source\": \"lake\"}, "
		     "{\"path\": \"a\", \"source\": \"lake\"}]}",
		     "line 2: \"tree[1].path\" 'a' overlaps 'a/b' of tree[0]: mount paths must "
		     "not repeat or nest");
	expect_error("{" SRC_LAKE ",\n\"tree\": [{\"path\": \"\", \"source\": \"lake\"},\n"
		     "{\"path\": \"gold\", \"source\": \"lake\"}]}",
		     "line 3: \"tree[1].path\" 'gold' overlaps '' of tree[0]: mount paths must "
		     "not repeat or nest");
	expect_error("{" SRC_LAKE ",\n\"tree\": [{\"path\": \"ab\", \"source\": \"lake\"},\n"
		     "{\"path\": \"/ab/\", \"source\": \"lake\"}]}",
		     "line 3: \"tree[1].path\" 'ab' overlaps 'ab' of tree[0]: mount paths must "
		     "not repeat or nest");
	expect_error("{" SRC_LAKE ",\n\"tree\": [{\"path\": \"a/../b\", \"source\": \"lake\"}]}",
		     "line 2: \"tree[0].path\" must not have empty, '.' or '..' components");
	expect_error("{" SRC_LAKE ",\n\"tree\": [{\"path\": \"a//b\", \"source\": \"lake\"}]}",
		     "line 2: \"tree[0].path\" must not have empty, '.' or '..' components");
	expect_error("{" SRC_LAKE ",\n\"tree\": [{\"path\": \"./a\", \"source\": \"lake\"}]}",
		     "line 2: \"tree[0].path\" must not have empty, '.' or '..' components");

}

static void test_source_values(void)
{
	unit_case("source values: endpoint, prefix, anonymous with profile");
	expect_error("{\"sources\": {\"lake\": {\"bucket\": \"b\",\n"
		     "\"endpoint\": \"127.0.0.1:7480\"}},\n" TREE_ONE "}",
		     "line 2: \"sources.lake.endpoint\" must start with http:// or https://");
	expect_error("{\"sources\": {\"lake\": {\"bucket\": \"b\",\n"
		     "\"prefix\": \"/data\"}},\n" TREE_ONE "}",
		     "line 2: \"sources.lake.prefix\" must not start with '/'");
	expect_error("{\"sources\": {\"lake\": {\"bucket\": \"b\", \"anonymous\": true,\n"
		     "\"profile\": \"default\"}},\n" TREE_ONE "}",
		     "line 2: \"sources.lake.profile\" cannot be used with \"anonymous\": true "
		     "(anonymous requests are not signed)");
	expect_error("{" SRC_LAKE ",\n\"tree\": [{\"path\": \"x\", \"source\": \"lake\",\n"
		     "\"prefix\": \"/\"}]}", "line 3: \"tree[0].prefix\" must not start with '/'");
	expect_error("{\"sources\": {\"lake\": {\"bucket\": \"\"}},\n" TREE_ONE "}",
		     "line 1: \"sources.lake.bucket\" must not be empty");
	expect_error("{\"sources\": {\"lake\": {\"bucket\": \"b\"}},\n\"cache\": "
		     "{\"dir\": \"cache\"},\n" TREE_ONE "}",
		     "line 2: \"cache.dir\" must be an absolute path");

}

static void test_syntax(void)
{
	unit_case("JSON syntax errors: jansson's line");
	expect_error("{\n  \"sources\": {\n    \"lake\": {\"bucket\": \"b\"}\n  }\n"
		     "  \"tree\": []\n}\n",
		     "line 5: invalid JSON: '}' expected near '\"tree\"'");
	expect_error("{\"sources\": {\"lake\": {\"bucket\": \"b\",\n\n\"bucket\": \"c\"}}}",
		     "line 3: invalid JSON: duplicate object key near '\"bucket\"'");
	expect_error("", "the file is empty: expected a JSON object (see lakemount.json(5))");
	expect_error("{\"sources\": {\"lake\": {\"bucket\": \"b\",}}}",
		     "line 1: invalid JSON: string or '}' expected near '}' (a comma before it "
		     "must go: JSON has no trailing commas)");
	expect_error("{\"sources\": {\"lake\": {\"bucket\": \"b\"}},\n" TREE_ONE ",\n"
		     "\"cache\": {\"max_size\": 99999999999999999999}}",
		     "line 3: \"cache.max_size\" is a number out of range (integers go from "
		     "-2^63 to 2^63-1)");
}

static void test_locator(void)
{
	unit_case("lines found past tricky strings and one-line arrays");
	/* Braces, brackets, commas and escaped quotes inside strings must not
	 * confuse the scanner. */
	expect_error("{\"sources\": {\"we{ird\\\"},[\": {\"bucket\": \"b\", \"prefix\": "
		     "\"x\\\\\"},\n"
		     "\"lake\": {\"bucket\": \"b\"}},\n"
		     "\"tree\": [{\"path\": \"p,]\", \"source\": \"lake\"}, {\"path\": \"q\",\n"
		     "\"source\": \"lake\"}, {\"path\": \"r\", \"source\": \"lake\", \"ttl\": "
		     "true}]}",
		     "line 4: \"tree[2].ttl\" must be an integer from 0 to 31536000");
	/* A key spelled with \u escapes is reported on its parent's line. */
	expect_error("{\"sources\": {\"lake\":\n{\"bucket\": \"b\",\n\"\\u0062x\": 1}},\n"
		     TREE_ONE "}",
		     "line 1: \"sources.lake.bx\" is not a known key (expected one of: "
		     "endpoint, region, bucket, prefix, profile, anonymous, path_style, "
		     "tls_verify, ca_file, list_v1, max_connections)");
}

static void test_sizes(void)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "0", 0 }, { "4096", 4096 }, { "20GiB", 20ULL << 30 },
		{ "512MiB", 512ULL << 20 }, { "1.5GiB", 1610612736 }, { "1K", 1024 },
		{ "2KB", 2048 }, { "3kib", 3072 }, { "1 TiB", 1ULL << 40 },
		{ "10G", 10ULL << 30 }, { "0.5M", 512 << 10 }, { "7B", 7 },
		{ "16777215TiB", 16777215ULL << 40 }, { "18446744073709551615", UINT64_MAX },
	};
	static const char *const bad[] = {
		"", "GiB", "-1", "+1", " 1", "1.5", "1.", "1.1234567G", "20 gigs", "1PiB",
		"16777216TiB", "18446744073709551616", "1Ki", "1iB", "1GiB ", "0x10",
	};
	uint64_t v;
	size_t i;

	unit_case("sizes");
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 1;
		if (config_parse_size(good[i].s, &v) || v != good[i].v)
			unit_fail(__FILE__, __LINE__, "'%s': got %llu", good[i].s,
				  (unsigned long long)v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!config_parse_size(bad[i], &v))
			unit_fail(__FILE__, __LINE__, "'%s' was accepted", bad[i]);
}

static void test_defaults(void)
{
	static const char text[] =
		"{\"sources\": {\"s\": {\"bucket\": \"b\"}},\n"
		" \"tree\": [{\"path\": \"\", \"source\": \"s\", \"readonly\": true}]}";
	struct config cfg;
	char err[512] = "";

	unit_case("defaults without environment");
	clear_env();
	UNIT_CHECK_INT(config_load_text(&cfg, "d.json", text, err, sizeof(err)), 0);
	UNIT_CHECK_STR(err, "");
	UNIT_CHECK_STR(cfg.sources[0].region, "us-east-1");
	UNIT_CHECK_STR(cfg.sources[0].endpoint, "https://s3.us-east-1.amazonaws.com");
	UNIT_CHECK_STR(cfg.sources[0].prefix, "");
	UNIT_CHECK(cfg.sources[0].profile == NULL);
	UNIT_CHECK_INT(cfg.sources[0].tls_verify, 1);
	UNIT_CHECK_INT(cfg.sources[0].max_connections, 16);
	UNIT_CHECK_INT(cfg.cache_max, 10ULL << 30);
	UNIT_CHECK_INT(cfg.io_timeout, 30);
	UNIT_CHECK_STR(cfg.tree[0].path, "");
	UNIT_CHECK_STR(cfg.tree[0].prefix, "");
	UNIT_CHECK_INT(cfg.tree[0].ttl, 86400);
	if (geteuid() == 0) {
		UNIT_CHECK_STR(cfg.cache_dir, "/var/cache/lakemount");
	} else {
		const char *xdg = getenv("XDG_CACHE_HOME");

		UNIT_CHECK(cfg.cache_dir && strstr(cfg.cache_dir, xdg && *xdg == '/' ?
						   "/lakemount" : "/.cache/lakemount"));
	}
	config_release(&cfg);

	unit_case("defaults from AWS_REGION and AWS_ENDPOINT_URL");
	setenv("AWS_REGION", "ap-northeast-1", 1);
	UNIT_CHECK_INT(config_load_text(&cfg, "d.json", text, err, sizeof(err)), 0);
	UNIT_CHECK_STR(cfg.sources[0].region, "ap-northeast-1");
	UNIT_CHECK_STR(cfg.sources[0].endpoint, "https://s3.ap-northeast-1.amazonaws.com");
	config_release(&cfg);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:7480/", 1);
	UNIT_CHECK_INT(config_load_text(&cfg, "d.json", text, err, sizeof(err)), 0);
	UNIT_CHECK_STR(cfg.sources[0].endpoint, "http://127.0.0.1:7480");
	config_release(&cfg);
	setenv("AWS_ENDPOINT_URL", "127.0.0.1:7480", 1);
	UNIT_CHECK_INT(config_load_text(&cfg, "d.json", text, err, sizeof(err)), -1);
	UNIT_CHECK_STR(err, "cannot read config 'd.json': AWS_ENDPOINT_URL '127.0.0.1:7480' "
		       "must start with http:// or https://");
	clear_env();
}

static void test_file(void)
{
	char path[] = "/tmp/t_config_XXXXXX";
	struct config cfg;
	char err[512] = "", want[512];
	int fd = mkstemp(path);

	unit_case("config_load_file reads a file, names it in errors");
	UNIT_CHECK(fd >= 0);
	if (fd < 0)
		return;
	UNIT_CHECK(write(fd, example, strlen(example)) == (ssize_t)strlen(example));
	close(fd);
	UNIT_CHECK_INT(config_load_file(&cfg, path, err, sizeof(err)), 0);
	UNIT_CHECK_STR(cfg.file, path);
	UNIT_CHECK_INT(cfg.ntree, 4);
	config_release(&cfg);
	unlink(path);
	UNIT_CHECK_INT(config_load_file(&cfg, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "cannot read config '%s': No such file or directory", path);
	UNIT_CHECK_STR(err, want);
	UNIT_CHECK_INT(config_load_file(&cfg, "/", err, sizeof(err)), -1);
	UNIT_CHECK_STR(err, "cannot read config '/': it is a directory; expected a JSON file (see lakemount.json(5))");
}

static void expect_url(const char *url, const char *opts, const char *bucket,
		       const char *prefix)
{
	struct config cfg;
	char err[512] = "";

	if (config_from_url(&cfg, url, opts, err, sizeof(err))) {
		unit_fail(__FILE__, __LINE__, "'%s' -o '%s': %s", url, opts ? opts : "", err);
		return;
	}
	UNIT_CHECK_INT(cfg.nsources, 1);
	UNIT_CHECK_INT(cfg.ntree, 1);
	UNIT_CHECK_STR(cfg.sources[0].bucket, bucket);
	UNIT_CHECK_STR(cfg.sources[0].prefix, prefix);
	UNIT_CHECK_STR(cfg.tree[0].path, "");
	UNIT_CHECK_STR(cfg.tree[0].prefix, "");
	UNIT_CHECK_INT(cfg.tree[0].source, 0);
	UNIT_CHECK(cfg.file == NULL);
	config_release(&cfg);
}

static void expect_url_error(const char *url, const char *opts, const char *want)
{
	struct config cfg;
	char err[512] = "";

	if (!config_from_url(&cfg, url, opts, err, sizeof(err))) {
		unit_fail(__FILE__, __LINE__, "'%s' -o '%s' accepted", url, opts ? opts : "");
		config_release(&cfg);
		return;
	}
	UNIT_CHECK_STR(err, want);
	UNIT_CHECK(cfg.sources == NULL && cfg.tree == NULL);
}

static void test_url(void)
{
	struct config cfg;
	char err[512] = "";

	clear_env();
	unit_case("s3:// forms");
	expect_url("s3://data.binance.vision", NULL, "data.binance.vision", "");
	expect_url("s3://data.binance.vision/", "", "data.binance.vision", "");
	expect_url("s3://data.binance.vision/data", ",,", "data.binance.vision", "data/");
	expect_url("s3://lakehouse/bronze/binance/", NULL, "lakehouse", "bronze/binance/");

	unit_case("s3:// with every option");
	UNIT_CHECK_INT(config_from_url(&cfg, "s3://lakehouse/gold",
				       "endpoint=http://127.0.0.1:7480/,region=eu-west-1,"
				       "profile=dev,ro,path_style,cache_dir=/tmp/lmc,"
				       "cache_max=1.5GiB", err, sizeof(err)), 0);
	UNIT_CHECK_STR(err, "");
	UNIT_CHECK_STR(cfg.sources[0].endpoint, "http://127.0.0.1:7480");
	UNIT_CHECK_STR(cfg.sources[0].region, "eu-west-1");
	UNIT_CHECK_STR(cfg.sources[0].profile, "dev");
	UNIT_CHECK_INT(cfg.sources[0].path_style, 1);
	UNIT_CHECK_INT(cfg.sources[0].anonymous, 0);
	UNIT_CHECK_INT(cfg.sources[0].tls_verify, 1);
	UNIT_CHECK_INT(cfg.tree[0].readonly, 1);
	UNIT_CHECK_INT(cfg.tree[0].ttl, 86400);
	UNIT_CHECK_STR(cfg.cache_dir, "/tmp/lmc");
	UNIT_CHECK_INT(cfg.cache_max, 1610612736);
	config_release(&cfg);
	UNIT_CHECK_INT(config_from_url(&cfg, "s3://data.binance.vision/data/", "anonymous",
				       err, sizeof(err)), 0);
	UNIT_CHECK_INT(cfg.sources[0].anonymous, 1);
	UNIT_CHECK_STR(cfg.sources[0].endpoint, "https://s3.us-east-1.amazonaws.com");
	UNIT_CHECK_INT(cfg.tree[0].readonly, 0);
	UNIT_CHECK_INT(cfg.tree[0].ttl, 60);
	UNIT_CHECK_INT(cfg.cache_max, 10ULL << 30);
	UNIT_CHECK_INT(cfg.io_timeout, 30);
	config_release(&cfg);

	unit_case("bad s3:// forms and options");
	expect_url_error("http://b/x", NULL,
			 "cannot mount 'http://b/x': expected s3://bucket[/prefix]");
	expect_url_error("s3://", NULL, "cannot mount 's3://': expected s3://bucket[/prefix]");
	expect_url_error("s3:///x", NULL, "cannot mount 's3:///x': expected s3://bucket[/prefix]");
	expect_url_error("s3://b//x", NULL,
			 "cannot mount 's3://b//x': the prefix must not start with '/'");
	expect_url_error("s3://b", "ro,allow_other",
			 "cannot mount 's3://b': unknown option 'allow_other' (expected "
			 "endpoint=URL, region=R, profile=P, anonymous, ro, path_style, "
			 "cache_dir=DIR, cache_max=SIZE or ca_file=PEM)");
	expect_url_error("s3://b", "ro=1", "cannot mount 's3://b': option 'ro' takes no value");
	expect_url_error("s3://b", "region=",
			 "cannot mount 's3://b': option 'region' needs a value: region=...");
	expect_url_error("s3://b", "endpoint",
			 "cannot mount 's3://b': option 'endpoint' needs a value: endpoint=...");
	expect_url_error("s3://b", "endpoint=ftp://x",
			 "cannot mount 's3://b': option 'endpoint' must start with "
			 "http:// or https://");
	expect_url_error("s3://b", "cache_max=lots",
			 "cannot mount 's3://b': option 'cache_max' must be a size such as "
			 "\"20GiB\" or a number of bytes, from 1 byte to 8 EiB");
	expect_url_error("s3://b", "cache_dir=rel",
			 "cannot mount 's3://b': option 'cache_dir' must be an absolute path");
	expect_url_error("s3://b", "ca_file=rel",
			 "cannot mount 's3://b': option 'ca_file' must be an absolute path");
	expect_url_error("s3://b", "ca_file=/nonexistent/ca.pem",
			 "cannot mount 's3://b': option 'ca_file' names a file that cannot be read "
			 "(No such file or directory): expected a PEM file of CA certificates");
	expect_url_error("s3://b", "anonymous,profile=x",
			 "cannot mount 's3://b': option 'profile' cannot be used with "
			 "\"anonymous\": true (anonymous requests are not signed)");
}

int main(void)
{
	test_example();
	test_every_field();
	test_wrong_types();
	test_unknown_keys();
	test_missing();
	test_bad_values();
	test_tree_paths();
	test_source_values();
	test_syntax();
	test_locator();
	test_sizes();
	test_defaults();
	test_file();
	test_url();
	return unit_done();
}
