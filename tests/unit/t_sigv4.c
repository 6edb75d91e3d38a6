/*
 * t_sigv4: SigV4 against AWS's published S3 examples (fixed clock), then
 * against libcurl's own CURLOPT_AWS_SIGV4 on a captured request.
 *
 * The examples are those of the S3 API Reference pages "Signature
 * Calculations for the Authorization Header: Transferring Payload in a Single
 * Chunk" and "Authenticating Requests: Using Query Parameters": bucket
 * examplebucket, us-east-1, 20130524T000000Z, and AWS's example key pair.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "sigv4.h"
#include "uri.h"

#define EX_DATE "20130524T000000Z"
#define EX_HOST "examplebucket.s3.amazonaws.com"

static const struct sigv4_key ex_key = {
	"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"us-east-1", "s3",
};

/* The Authorization value, or NULL; kept in sb. */
static const char *auth(struct strbuf *sb, const struct sigv4_key *key,
			const char *date, const struct sigv4_request *rq)
{
	strbuf_reset(sb);
	if (sigv4_authorization(sb, key, date, rq))
		return NULL;
	return strbuf_str(sb);
}

/* The 64 hex digits after "Signature=", or "" when there is none. */
static const char *sig_of(const char *authz)
{
	const char *p = authz ? strstr(authz, "Signature=") : NULL;

	return p ? p + 10 : "";
}

static void test_helpers(void)
{
	char date[17], hex[65], b64[25];

	unit_case("amz date of a fixed time");
	sigv4_amz_date(1369353600, date);
	UNIT_CHECK_STR(date, EX_DATE);

	unit_case("sha256 hex: empty and the PUT example's payload");
	sigv4_sha256_hex("", 0, hex);
	UNIT_CHECK_STR(hex, SIGV4_EMPTY_SHA256);
	sigv4_sha256_hex("Welcome to Amazon S3.", 21, hex);
	UNIT_CHECK_STR(hex, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");

	unit_case("md5 base64 for Content-MD5");
	sigv4_md5_base64("", 0, b64);
	UNIT_CHECK_STR(b64, "1B2M2Y8AsgTpgAmY7PhCfg==");
	sigv4_md5_base64("The quick brown fox jumps over the lazy dog", 43, b64);
	UNIT_CHECK_STR(b64, "nhB9nTcrtoJr2B01QqQZ1g==");
}

/* ---- the published examples ------------------------------------------- */

static void test_get_object(void)
{
	const struct sigv4_header h[] = {
		{ "Host", EX_HOST },
		{ "Range", "bytes=0-9" },
		{ "x-amz-content-sha256", SIGV4_EMPTY_SHA256 },
		{ "x-amz-date", EX_DATE },
	};
	const struct sigv4_request rq = {
		"GET", "/test.txt", "", h, 4, SIGV4_EMPTY_SHA256,
	};
	struct strbuf sb = STRBUF_INIT;

	unit_case("AWS example GET Object: canonical request as published");
	UNIT_CHECK(!sigv4_canonical_request(&sb, &rq));
	UNIT_CHECK_STR(strbuf_str(&sb),
		"GET\n"
		"/test.txt\n"
		"\n"
		"host:examplebucket.s3.amazonaws.com\n"
		"range:bytes=0-9\n"
		"x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
		"x-amz-date:20130524T000000Z\n"
		"\n"
		"host;range;x-amz-content-sha256;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	unit_case("AWS example GET Object: string to sign as published");
	strbuf_reset(&sb);
	UNIT_CHECK(!sigv4_string_to_sign(&sb, &ex_key, EX_DATE, &rq));
	UNIT_CHECK_STR(strbuf_str(&sb),
		"AWS4-HMAC-SHA256\n"
		"20130524T000000Z\n"
		"20130524/us-east-1/s3/aws4_request\n"
		"7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");

	unit_case("AWS example GET Object: Authorization");
	UNIT_CHECK_STR(auth(&sb, &ex_key, EX_DATE, &rq),
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/"
		"us-east-1/s3/aws4_request, "
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
		"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	strbuf_release(&sb);
}

static void test_put_object(void)
{
	char payload[65];
	struct strbuf path = STRBUF_INIT, sb = STRBUF_INIT;
	struct sigv4_header h[] = {
		{ "Date", "Fri, 24 May 2013 00:00:00 GMT" },
		{ "Host", EX_HOST },
		{ "x-amz-date", EX_DATE },
		{ "x-amz-storage-class", "REDUCED_REDUNDANCY" },
		{ "x-amz-content-sha256", payload },
	};
	struct sigv4_request rq = { "PUT", NULL, "", h, 5, payload };

	unit_case("AWS example PUT Object: '$' in the key, Date header, body");
	sigv4_sha256_hex("Welcome to Amazon S3.", 21, payload);
	UNIT_CHECK(!strbuf_adds(&path, "/"));
	UNIT_CHECK(!uri_encode(&path, "test$file.text", 14, 1));
	UNIT_CHECK_STR(strbuf_str(&path), "/test%24file.text");
	rq.path = strbuf_str(&path);
	UNIT_CHECK_STR(auth(&sb, &ex_key, EX_DATE, &rq),
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/"
		"us-east-1/s3/aws4_request, "
		"SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;"
		"x-amz-storage-class, "
		"Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
	strbuf_release(&path);
	strbuf_release(&sb);
}

static void test_bucket_examples(void)
{
	const struct sigv4_header h[] = {
		{ "host", EX_HOST },
		{ "x-amz-content-sha256", SIGV4_EMPTY_SHA256 },
		{ "x-amz-date", EX_DATE },
	};
	const struct uri_param lifecycle[] = { { "lifecycle", NULL } };
	const struct uri_param list[] = { { "prefix", "J" }, { "max-keys", "2" } };
	struct strbuf q = STRBUF_INIT, sb = STRBUF_INIT;
	struct sigv4_request rq = { "GET", "/", NULL, h, 3, SIGV4_EMPTY_SHA256 };

	unit_case("AWS example GET Bucket lifecycle: bare sub-resource");
	UNIT_CHECK(!uri_query(&q, lifecycle, 1));
	UNIT_CHECK_STR(strbuf_str(&q), "lifecycle=");
	rq.query = strbuf_str(&q);
	UNIT_CHECK_STR(sig_of(auth(&sb, &ex_key, EX_DATE, &rq)),
		"fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");

	unit_case("AWS example GET Bucket (list objects): sorted query");
	strbuf_reset(&q);
	UNIT_CHECK(!uri_query(&q, list, 2));
	UNIT_CHECK_STR(strbuf_str(&q), "max-keys=2&prefix=J");
	rq.query = strbuf_str(&q);
	UNIT_CHECK_STR(sig_of(auth(&sb, &ex_key, EX_DATE, &rq)),
		"34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
	strbuf_release(&q);
	strbuf_release(&sb);
}

static void test_presign(void)
{
	const struct sigv4_header h[] = { { "host", EX_HOST } };
	const struct sigv4_request rq = {
		"GET", "/test.txt", "", h, 1, SIGV4_UNSIGNED_PAYLOAD,
	};
	struct sigv4_request unsigned_rq = rq;
	struct strbuf sb = STRBUF_INIT;
	const char *q;

	unit_case("AWS example presigned GET Object, 86400 s");
	UNIT_CHECK(!sigv4_presign(&sb, &ex_key, NULL, EX_DATE, 86400, &rq));
	UNIT_CHECK_STR(strbuf_str(&sb),
		"X-Amz-Algorithm=AWS4-HMAC-SHA256"
		"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
		"&X-Amz-Date=20130524T000000Z"
		"&X-Amz-Expires=86400"
		"&X-Amz-SignedHeaders=host"
		"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");

	unit_case("AWS example presigned GET Object: string to sign");
	q = strstr(strbuf_str(&sb), "&X-Amz-Signature=");
	UNIT_CHECK(q != NULL);
	if (q) {
		struct strbuf query = STRBUF_INIT, sts = STRBUF_INIT;

		UNIT_CHECK(!strbuf_add(&query, sb.buf, (size_t)(q - sb.buf)));
		unsigned_rq.query = strbuf_str(&query);
		UNIT_CHECK(!sigv4_string_to_sign(&sts, &ex_key, EX_DATE, &unsigned_rq));
		UNIT_CHECK_STR(strbuf_str(&sts),
			"AWS4-HMAC-SHA256\n20130524T000000Z\n"
			"20130524/us-east-1/s3/aws4_request\n"
			"3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
		strbuf_release(&query);
		strbuf_release(&sts);
	}

	unit_case("presign: own parameters merged in order, token signed");
	{
		const struct sigv4_request prq = {
			"GET", "/test.txt",
			"response-content-type=text%2Fplain&versionId=3%2B",
			h, 1, SIGV4_UNSIGNED_PAYLOAD,
		};

		strbuf_reset(&sb);
		UNIT_CHECK(!sigv4_presign(&sb, &ex_key, "tok/en+=", EX_DATE, 60,
					  &prq));
		q = strbuf_str(&sb);
		UNIT_CHECK(!strncmp(q, "X-Amz-Algorithm=", 16));
		UNIT_CHECK(strstr(q, "&X-Amz-Expires=60&X-Amz-Security-Token="
				  "tok%2Fen%2B%3D&X-Amz-SignedHeaders=host&"
				  "response-content-type=text%2Fplain&"
				  "versionId=3%2B&X-Amz-Signature=") != NULL);
	}

	unit_case("presign: a malformed escape in the query fails");
	strbuf_reset(&sb);
	unsigned_rq.query = "a=%zz";
	UNIT_CHECK_INT(sigv4_presign(&sb, &ex_key, NULL, EX_DATE, 60,
				     &unsigned_rq), -1);
	UNIT_CHECK_INT(sb.len, 0);
	strbuf_release(&sb);
}

/* ---- canonicalisation rules ------------------------------------------- */

static void test_canonical_rules(void)
{
	/* The GET Object example again, names in mixed case and any order,
	 * values with blanks: the same signature must come out. */
	const struct sigv4_header messy[] = {
		{ "X-AMZ-DATE", "  " EX_DATE "\t" },
		{ "rAnGe", "\tbytes=0-9  " },
		{ "HOST", EX_HOST },
		{ "X-Amz-Content-Sha256", SIGV4_EMPTY_SHA256 "   " },
	};
	const struct sigv4_request rq = {
		"GET", "/test.txt", "", messy, 4, SIGV4_EMPTY_SHA256,
	};
	const struct sigv4_header folded[] = {
		{ "Zeta", "  a   b \t\t c  " }, { "alpha", "x" },
		{ "X-Amz-Meta-Tags", "one" }, { "x-amz-meta-tags", "two" },
		{ "empty", "   " },
	};
	const struct sigv4_request frq = {
		"GET", "/", "", folded, 5, SIGV4_UNSIGNED_PAYLOAD,
	};
	struct strbuf sb = STRBUF_INIT;

	unit_case("header names sorted case-insensitively, values trimmed");
	UNIT_CHECK_STR(sig_of(auth(&sb, &ex_key, EX_DATE, &rq)),
		"f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");

	unit_case("inner blanks folded; a repeated name joined with ','");
	strbuf_reset(&sb);
	UNIT_CHECK(!sigv4_canonical_request(&sb, &frq));
	UNIT_CHECK_STR(strbuf_str(&sb),
		"GET\n/\n\n"
		"alpha:x\n"
		"empty:\n"
		"x-amz-meta-tags:one,two\n"
		"zeta:a b c\n"
		"\n"
		"alpha;empty;x-amz-meta-tags;zeta\n"
		"UNSIGNED-PAYLOAD");
	strbuf_release(&sb);
}

static void test_payload_and_token(void)
{
	struct strbuf sb = STRBUF_INIT;

	unit_case("UNSIGNED-PAYLOAD is signed as the payload hash");
	{
		const struct sigv4_header h[] = {
			{ "host", EX_HOST },
			{ "x-amz-content-sha256", SIGV4_UNSIGNED_PAYLOAD },
			{ "x-amz-date", EX_DATE },
		};
		struct sigv4_request urq = {
			"GET", "/test.txt", "", h, 3, SIGV4_UNSIGNED_PAYLOAD,
		};
		const char *a;

		strbuf_reset(&sb);
		UNIT_CHECK(!sigv4_canonical_request(&sb, &urq));
		UNIT_CHECK(strstr(strbuf_str(&sb),
				  "x-amz-content-sha256:UNSIGNED-PAYLOAD\n") != NULL);
		UNIT_CHECK(sb.len > 17 &&
			   !strcmp(sb.buf + sb.len - 17, "\nUNSIGNED-PAYLOAD"));
		a = auth(&sb, &ex_key, EX_DATE, &urq);
		UNIT_CHECK(a && strlen(sig_of(a)) == 64);
	}

	unit_case("session token is signed as x-amz-security-token");
	{
		const struct sigv4_header h[] = {
			{ "host", EX_HOST },
			{ "x-amz-content-sha256", SIGV4_EMPTY_SHA256 },
			{ "x-amz-date", EX_DATE },
			{ "X-Amz-Security-Token", "FQoGZXIvYXdzEXAMPLE/token+=" },
		};
		struct sigv4_request trq = {
			"GET", "/test.txt", "", h, 4, SIGV4_EMPTY_SHA256,
		};
		char without[65];
		const char *a;

		trq.nheaders = 3;
		snprintf(without, sizeof(without), "%s",
			 sig_of(auth(&sb, &ex_key, EX_DATE, &trq)));
		trq.nheaders = 4;
		a = auth(&sb, &ex_key, EX_DATE, &trq);
		UNIT_CHECK(a && strstr(a, "SignedHeaders=host;x-amz-content-sha256;"
				       "x-amz-date;x-amz-security-token, ") != NULL);
		UNIT_CHECK(strlen(sig_of(a)) == 64 && strcmp(sig_of(a), without));
		strbuf_reset(&sb);
		UNIT_CHECK(!sigv4_canonical_request(&sb, &trq));
		UNIT_CHECK(strstr(strbuf_str(&sb), "\nx-amz-security-token:"
				  "FQoGZXIvYXdzEXAMPLE/token+=\n") != NULL);
	}
	strbuf_release(&sb);
}

static void test_refusals(void)
{
	struct sigv4_header h[] = { { "host", EX_HOST }, { "x-a", "v" } };
	struct sigv4_request rq = { "GET", "/", "", h, 2, SIGV4_EMPTY_SHA256 };
	struct strbuf sb = STRBUF_INIT;

	unit_case("refused: CR/LF in a value, ':' or blank in a name");
	UNIT_CHECK(!strbuf_adds(&sb, "keep"));
	h[1].value = "v\r\nx-evil: 1";
	UNIT_CHECK_INT(sigv4_authorization(&sb, &ex_key, EX_DATE, &rq), -1);
	h[1].value = "v";
	h[1].name = "x-a:b";
	UNIT_CHECK_INT(sigv4_authorization(&sb, &ex_key, EX_DATE, &rq), -1);
	h[1].name = "x a";
	UNIT_CHECK_INT(sigv4_canonical_request(&sb, &rq), -1);
	h[1].name = "";
	UNIT_CHECK_INT(sigv4_string_to_sign(&sb, &ex_key, EX_DATE, &rq), -1);
	UNIT_CHECK_STR(strbuf_str(&sb), "keep");

	unit_case("refused: a date that is not yyyymmddThhmmssZ");
	h[1].name = "x-a";
	UNIT_CHECK_INT(sigv4_authorization(&sb, &ex_key, "20130524", &rq), -1);
	UNIT_CHECK_INT(sigv4_authorization(&sb, &ex_key, "", &rq), -1);
	UNIT_CHECK_STR(strbuf_str(&sb), "keep");
	strbuf_release(&sb);
}

/* ---- cross-check with libcurl's CURLOPT_AWS_SIGV4 ----------------------- */

struct capture {
	int lfd;
	char req[16384];
	size_t len;
};

/* Find "\r\nname:" (any case) in the header block; the raw value, blanks
 * and all, into out. */
static int header_value(const char *req, const char *name, char *out,
			size_t outlen)
{
	size_t n = strlen(name);
	const char *p = strstr(req, "\r\n"), *end;

	while (p && p[2] != '\r') {
		p += 2;
		end = strstr(p, "\r\n");
		if (!end)
			return -1;
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			snprintf(out, outlen, "%.*s", (int)(end - p - n - 1), p + n + 1);
			return 0;
		}
		p = end;
	}
	return -1;
}

/* Accept one connection, keep the request head, read any body, answer. */
static void *serve_one(void *arg)
{
	static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	struct capture *c = arg;
	struct timeval tv = { 10, 0 };
	char cl[32], sink[4096], *head_end = NULL;
	long body = 0;
	ssize_t r;
	int fd = accept(c->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!head_end && c->len < sizeof(c->req) - 1) {
		r = read(fd, c->req + c->len, sizeof(c->req) - 1 - c->len);
		if (r <= 0)
			break;
		c->len += (size_t)r;
		c->req[c->len] = '\0';
		head_end = strstr(c->req, "\r\n\r\n");
	}
	if (head_end && !header_value(c->req, "Content-Length", cl, sizeof(cl)))
		body = strtol(cl, NULL, 10) - (long)(c->len - (size_t)(head_end + 4 - c->req));
	while (body > 0 && (r = read(fd, sink, sizeof(sink))) > 0)
		body -= r;
	if (write(fd, reply, sizeof(reply) - 1) < 0)
		c->len = 0;
	close(fd);
	return NULL;
}

/* Send target (encoded path and query) through curl's SigV4 signer to a
 * local socket; the raw request head ends up in c->req. */
static int curl_capture(struct capture *c, const char *method, const char *target,
			const char *body, const char *const *headers)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof(sa);
	struct curl_slist *hl = NULL, *tmp;
	char url[1024];
	pthread_t th;
	CURL *curl = NULL;
	CURLcode cc = CURLE_FAILED_INIT;
	int started = 0;

	memset(c, 0, sizeof(*c));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(c->lfd, 1) || getsockname(c->lfd, (struct sockaddr *)&sa, &salen))
		goto out;
	if (pthread_create(&th, NULL, serve_one, c))
		goto out;
	started = 1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", ntohs(sa.sin_port), target);
	for (; headers && *headers; headers++) {
		if (!(tmp = curl_slist_append(hl, *headers)))
			goto out;
		hl = tmp;
	}
	if (!(curl = curl_easy_init()))
		goto out;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
	curl_easy_setopt(curl, CURLOPT_USERPWD, "AKIDEXAMPLE:se/cr+et=KEY");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hl);
	if (method)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (body)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	cc = curl_easy_perform(curl);
out:
	if (c->lfd >= 0)
		shutdown(c->lfd, SHUT_RDWR);	/* wakes accept() if never used */
	if (started)
		pthread_join(th, NULL);
	if (c->lfd >= 0)
		close(c->lfd);
	curl_easy_cleanup(curl);
	curl_slist_free_all(hl);
	return cc == CURLE_OK && c->len ? 0 : -1;
}

/* Sign the captured request with sigv4_authorization(): every header curl
 * listed in SignedHeaders, with the raw value curl sent.  path and query
 * are ours (uri.c's encoding); payload is the hash to sign. */
static int sign_captured(struct strbuf *out, const char *req, const char *path,
			 const char *query, const char *payload)
{
	static const struct sigv4_key key = {
		"AKIDEXAMPLE", "se/cr+et=KEY", "us-east-1", "s3",
	};
	struct sigv4_header h[16];
	char names[512], values[16][512], date[64], method[16], *name, *save;
	struct sigv4_request rq = { method, path, query, h, 0, payload };
	const char *p = strstr(req, "SignedHeaders=");
	size_t n = 0;

	if (!p || sscanf(req, "%15s", method) != 1 ||
	    header_value(req, "x-amz-date", date, sizeof(date)))
		return -1;
	snprintf(names, sizeof(names), "%.*s", (int)strcspn(p + 14, ","), p + 14);
	for (name = strtok_r(names, ";", &save); name && n < 16;
	     name = strtok_r(NULL, ";", &save), n++) {
		if (header_value(req, name, values[n], sizeof(values[n])))
			return -1;
		h[n].name = name;
		h[n].value = values[n];
	}
	rq.nheaders = n;
	return sigv4_authorization(out, &key, date + strspn(date, " "), &rq);
}

/* The Authorization value curl sent, blanks trimmed. */
static const char *curl_auth(const struct capture *c, char *buf, size_t len)
{
	if (header_value(c->req, "Authorization", buf, len))
		return "";
	return buf + strspn(buf, " ");
}

/* The odd key's path and the canonical query, in uri.c's encoding. */
static struct strbuf xpath = STRBUF_INIT, xquery = STRBUF_INIT;
static struct capture cap;

static void test_curl_sorted_query(void)
{
	const struct uri_param params[] = {
		{ "prefix", "x/y" }, { "max-keys", "7" },
	};
	const char *hdrs[] = { "X-Amz-Meta-Note:   a   b  ", NULL };
	struct strbuf ours = STRBUF_INIT;
	char theirs[1024], target[512];

	unit_case("curl cross-check: odd key, sorted query, folded header");
	UNIT_CHECK(!strbuf_adds(&xpath, "/bucket/"));
	UNIT_CHECK(!uri_encode(&xpath, "a b+c~d=e", 9, 1));
	UNIT_CHECK(!uri_query(&xquery, params, 2));
	UNIT_CHECK_STR(strbuf_str(&xpath), "/bucket/a%20b%2Bc~d%3De");
	UNIT_CHECK_STR(strbuf_str(&xquery), "max-keys=7&prefix=x%2Fy");
	snprintf(target, sizeof(target), "%s?%s", xpath.buf, xquery.buf);
	UNIT_CHECK(!curl_capture(&cap, NULL, target, NULL, hdrs));
	printf("# curl %s: %s\n", curl_version_info(CURLVERSION_NOW)->version,
	       curl_auth(&cap, theirs, sizeof(theirs)));
	UNIT_CHECK(!sign_captured(&ours, cap.req, xpath.buf, xquery.buf,
				  SIGV4_EMPTY_SHA256));
	UNIT_CHECK_STR(strbuf_str(&ours), curl_auth(&cap, theirs, sizeof(theirs)));
	strbuf_release(&ours);
}

static void test_curl_unsorted_query(void)
{
	/* SigV4 signs the query sorted.  curl 7.88 signs it as it stands in
	 * the URL (later curl sorts it): either way, ours must agree with
	 * curl once given the query curl signed. */
	const char *raw = "prefix=x%2Fy&max-keys=7";
	const char *hdrs[] = { "X-Amz-Meta-Note:   a   b  ", NULL };
	struct strbuf ours = STRBUF_INIT;
	char theirs[1024], target[512], sorted_auth[1024];
	const char *a;

	unit_case("curl cross-check: query in URL order");
	snprintf(target, sizeof(target), "%s?%s", xpath.buf, raw);
	UNIT_CHECK(!curl_capture(&cap, NULL, target, NULL, hdrs));
	UNIT_CHECK(!sign_captured(&ours, cap.req, xpath.buf, xquery.buf,
				  SIGV4_EMPTY_SHA256));
	snprintf(sorted_auth, sizeof(sorted_auth), "%s", strbuf_str(&ours));
	strbuf_reset(&ours);
	UNIT_CHECK(!sign_captured(&ours, cap.req, xpath.buf, raw,
				  SIGV4_EMPTY_SHA256));
	a = curl_auth(&cap, theirs, sizeof(theirs));
	if (!strcmp(a, sorted_auth))
		printf("# curl sorts the query before signing\n");
	else if (!strcmp(a, strbuf_str(&ours)))
		printf("# curl signs the query unsorted, as in the URL\n");
	else
		unit_fail(__FILE__, __LINE__, "curl: %s, ours: %s", a, sorted_auth);
	strbuf_release(&ours);
}

static void test_curl_put_and_unsigned(void)
{
	const char *body = "Welcome to Amazon S3.";
	const char *put_hdrs[] = {
		"Content-Type: text/plain",
		"X-Amz-Security-Token: FQoG/tok+en=",
		"x-amz-storage-class:REDUCED_REDUNDANCY",
		NULL,
	};
	const char *u_hdrs[] = { "x-amz-content-sha256: UNSIGNED-PAYLOAD", NULL };
	struct strbuf ours = STRBUF_INIT;
	char theirs[1024], payload[65];

	unit_case("curl cross-check: PUT with body, content-type, token header");
	sigv4_sha256_hex(body, strlen(body), payload);
	UNIT_CHECK(!curl_capture(&cap, "PUT", xpath.buf, body, put_hdrs));
	UNIT_CHECK(strstr(cap.req, "SignedHeaders=content-type;host;"
			  "x-amz-date;x-amz-security-token;"
			  "x-amz-storage-class, ") != NULL);
	UNIT_CHECK(!sign_captured(&ours, cap.req, xpath.buf, "", payload));
	UNIT_CHECK_STR(strbuf_str(&ours), curl_auth(&cap, theirs, sizeof(theirs)));

	unit_case("curl cross-check: UNSIGNED-PAYLOAD");
	UNIT_CHECK(!curl_capture(&cap, NULL, xpath.buf, NULL, u_hdrs));
	strbuf_reset(&ours);
	UNIT_CHECK(!sign_captured(&ours, cap.req, xpath.buf, "",
				  SIGV4_UNSIGNED_PAYLOAD));
	UNIT_CHECK_STR(strbuf_str(&ours), curl_auth(&cap, theirs, sizeof(theirs)));
	strbuf_release(&ours);
}

int main(void)
{
	test_helpers();
	test_get_object();
	test_put_object();
	test_bucket_examples();
	test_presign();
	test_canonical_rules();
	test_payload_and_token();
	test_refusals();

	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_curl_sorted_query();
	test_curl_unsorted_query();
	test_curl_put_and_unsigned();
	curl_global_cleanup();
	strbuf_release(&xpath);
	strbuf_release(&xquery);
	return unit_done();
}
