/*
 * t_log: the JSON-lines log: one object per line, fields in order, levels,
 * bytes that are not UTF-8, signed-request material kept out, and the
 * levels of S3 request events.
 */
#include "unit.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "s3.h"

static char path[4096];

/* Log to a fresh file at level lv. */
static void start(enum log_level lv)
{
	struct log_opts o = { lv, path, 0, 0 };
	char err[256];

	unlink(path);
	if (log_open(&o, err, sizeof(err)))
		unit_fail(__FILE__, __LINE__, "log_open: %s", err);
}

/* The file's lines as JSON objects (NULL where one does not parse);
 * *n gets their number.  The caller frees with drop(). */
static json_t **lines(size_t *n)
{
	json_t **v = NULL, **grown;
	char buf[8192];
	FILE *f = fopen(path, "r");

	*n = 0;
	while (f && fgets(buf, sizeof(buf), f)) {
		grown = realloc(v, (*n + 1) * sizeof(*v));
		if (!grown)
			break;
		v = grown;
		v[(*n)++] = json_loads(buf, 0, NULL);
	}
	if (f)
		fclose(f);
	return v;
}

static void drop(json_t **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		json_decref(v[i]);
	free(v);
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void test_lines(void)
{
	json_t **v;
	const char *k;
	size_t n;
	void *it;

	unit_case("one JSON object per line: time, level, msg first, then the fields");
	start(LOG_LEVEL_INFO);
	log_warn(LOG_FIELDS(LF_STR("key", "bronze/a \"b\"\n.csv"), LF_INT("errno", 5),
			    LF_REAL("duration_ms", 1.25), LF_BOOL("final", 1),
			    LF_STR("absent", NULL)),
		 "upload '%s' failed", "bronze/a.csv");
	v = lines(&n);
	UNIT_CHECK_INT(n, 1);
	if (n == 1 && v[0]) {
		it = json_object_iter(v[0]);
		k = json_object_iter_key(it);
		UNIT_CHECK_STR(k, "time");
		k = json_object_iter_key(it = json_object_iter_next(v[0], it));
		UNIT_CHECK_STR(k, "level");
		k = json_object_iter_key(json_object_iter_next(v[0], it));
		UNIT_CHECK_STR(k, "msg");
		UNIT_CHECK_INT(strlen(str(v[0], "time")), strlen("2026-11-22T10:00:00.123Z"));
		UNIT_CHECK(str(v[0], "time")[23] == 'Z');
		UNIT_CHECK_STR(str(v[0], "level"), "warn");
		UNIT_CHECK_STR(str(v[0], "msg"), "upload 'bronze/a.csv' failed");
		UNIT_CHECK_STR(str(v[0], "key"), "bronze/a \"b\"\n.csv");
		UNIT_CHECK_INT(json_integer_value(json_object_get(v[0], "errno")), 5);
		UNIT_CHECK(json_real_value(json_object_get(v[0], "duration_ms")) == 1.25);
		UNIT_CHECK(json_is_true(json_object_get(v[0], "final")));
		UNIT_CHECK(!json_object_get(v[0], "absent"));
	} else {
		UNIT_CHECK(n == 1 && v && v[0]);
	}
	drop(v, n);
}

static void test_levels(void)
{
	enum log_level lv;
	json_t **v;
	size_t n;

	unit_case("levels: a logger at warn writes error and warn only");
	start(LOG_LEVEL_WARN);
	UNIT_CHECK(log_enabled(LOG_LEVEL_ERROR) && log_enabled(LOG_LEVEL_WARN));
	UNIT_CHECK(!log_enabled(LOG_LEVEL_INFO) && !log_enabled(LOG_LEVEL_DEBUG));
	log_error(NULL, "e");
	log_warn(NULL, "w");
	log_info(NULL, "i");
	log_debug(NULL, "d");
	v = lines(&n);
	UNIT_CHECK_INT(n, 2);
	drop(v, n);

	unit_case("level names parse; others are refused");
	UNIT_CHECK(log_level_parse("debug", &lv) == 0 && lv == LOG_LEVEL_DEBUG);
	UNIT_CHECK(log_level_parse("error", &lv) == 0 && lv == LOG_LEVEL_ERROR);
	UNIT_CHECK(log_level_parse("warning", &lv) == -1);
	UNIT_CHECK(log_level_parse("", &lv) == -1);
	UNIT_CHECK_STR(log_level_name(LOG_LEVEL_INFO), "info");
}

static void test_bytes(void)
{
	json_t **v;
	size_t n;

	unit_case("bytes that are not UTF-8 become \\xNN; UTF-8 stays as it is");
	start(LOG_LEVEL_INFO);
	log_info(LOG_FIELDS(LF_STR("key", "caf\xe9.csv"), LF_STR("ok", "caf\xc3\xa9"),
			    LF_STR("overlong", "\xc0\xaf"), LF_STR("cut", "ab\xe2\x82")),
		 "name %s", "caf\xe9");
	v = lines(&n);
	UNIT_CHECK_INT(n, 1);
	if (n == 1 && v[0]) {
		UNIT_CHECK_STR(str(v[0], "key"), "caf\\xe9.csv");
		UNIT_CHECK_STR(str(v[0], "ok"), "caf\xc3\xa9");
		UNIT_CHECK_STR(str(v[0], "overlong"), "\\xc0\\xaf");
		UNIT_CHECK_STR(str(v[0], "cut"), "ab\\xe2\\x82");
		UNIT_CHECK_STR(str(v[0], "msg"), "name caf\\xe9");
	} else {
		UNIT_CHECK(n == 1 && v && v[0]);
	}
	drop(v, n);
}

static void test_secrets(void)
{
	char buf[8192];
	FILE *f;
	size_t got;

	unit_case("strings that look like signed requests are not written");
	start(LOG_LEVEL_DEBUG);
	log_warn(LOG_FIELDS(LF_STR("url", "http://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
				   "X-Amz-Credential=AKIA%2F&X-Amz-Signature=abcdef")),
		 "GET %s", "http://h/b/k?X-Amz-Signature=abcdef");
	log_warn(LOG_FIELDS(LF_STR("header", "Authorization: AWS4-HMAC-SHA256 Credential=x")),
		 "plain");
	f = fopen(path, "r");
	got = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[got] = '\0';
	if (f)
		fclose(f);
	UNIT_CHECK(got > 0);
	UNIT_CHECK(!strstr(buf, "Signature=") && !strstr(buf, "abcdef"));
	UNIT_CHECK(!strstr(buf, "Credential") && !strstr(buf, "Authorization"));
	UNIT_CHECK(strstr(buf, "\"plain\"") != NULL);
}

static void test_requests(void)
{
	struct s3_request_event ev = { "GetObject", "GET", "b", "k", 503, S3_ERR_THROTTLED,
				       "SlowDown", 1, 0, 0.0123456, 0, 0, 0 };
	json_t **v;
	size_t n;

	unit_case("request events: a retried attempt at debug, a final failure at warn");
	start(LOG_LEVEL_WARN);
	log_request(&ev);		/* not final: debug, filtered out */
	ev.final = 1;
	log_request(&ev);		/* final failure: warn */
	ev.status = S3_ERR_NOT_FOUND;
	ev.http_status = 404;
	log_request(&ev);		/* a lookup's answer: debug */
	v = lines(&n);
	UNIT_CHECK_INT(n, 1);
	if (n == 1 && v[0]) {
		UNIT_CHECK_STR(str(v[0], "msg"), "s3 request failed");
		UNIT_CHECK_STR(str(v[0], "op"), "GetObject");
		UNIT_CHECK_STR(str(v[0], "error"), "SlowDown");
		UNIT_CHECK_INT(json_integer_value(json_object_get(v[0], "http_status")), 503);
		UNIT_CHECK(json_real_value(json_object_get(v[0], "duration_ms")) == 12.346);
	}
	drop(v, n);

	unit_case("request events at debug: every attempt, with its fields");
	start(LOG_LEVEL_DEBUG);
	ev.status = S3_OK;
	ev.http_status = 200;
	ev.error = "";
	ev.bytes_down = 1048576;
	log_request(&ev);
	v = lines(&n);
	UNIT_CHECK_INT(n, 1);
	if (n == 1 && v[0]) {
		UNIT_CHECK_STR(str(v[0], "level"), "debug");
		UNIT_CHECK_STR(str(v[0], "msg"), "s3 request");
		UNIT_CHECK_STR(str(v[0], "status"), "ok");
		UNIT_CHECK(!json_object_get(v[0], "error"));
		UNIT_CHECK_INT(json_integer_value(json_object_get(v[0], "bytes_down")), 1048576);
	}
	drop(v, n);
}

int main(void)
{
	if (unit_tmpdir("t_log"))
		return 1;
	unit_path(path, sizeof(path), "lm.log");
	test_lines();
	test_levels();
	test_bytes();
	test_secrets();
	test_requests();
	log_close();
	unit_tmpdir_remove();
	return unit_done();
}
