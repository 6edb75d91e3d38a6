/*
 * Fault injection, as a transport wrapping another.
 *
 * Locks: fault->lock guards n, injected, rng and turn.  It is never held
 * while calling into the inner transport.
 */
#include "fault.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct fault {
	struct transport t;
	struct transport *inner;
	struct fault_opts o;
	pthread_mutex_t lock;
	unsigned long n;	/* requests seen */
	unsigned long injected;
	unsigned rng;		/* rand_r state */
	unsigned turn;		/* which kind comes next */
};

static const struct http_canned canned_503 = {
	CURLE_OK, 503,
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
	"<Message>Please reduce your request rate. (injected)</Message></Error>",
};
static const struct http_canned canned_500 = {
	CURLE_OK, 500,
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code>"
	"<Message>We encountered an internal error. (injected)</Message></Error>",
};
static const struct http_canned canned_reset = { CURLE_RECV_ERROR, 0, NULL };

/* Pick the kind of fault for this request, or 0 for none. */
static unsigned fault_pick(struct fault *f)
{
	unsigned kinds = f->o.kinds ? f->o.kinds : FAULT_ALL, k = 0, i;
	int hit = 0;

	pthread_mutex_lock(&f->lock);
	f->n++;
	if (f->o.every_nth && f->n % f->o.every_nth == 0)
		hit = 1;
	if (f->o.percent && (unsigned)(rand_r(&f->rng) % 100) < f->o.percent)
		hit = 1;
	for (i = 0; hit && i < 5; i++) {
		unsigned bit = 1u << ((f->turn + i) % 5);

		if (kinds & bit) {
			k = bit;
			f->turn = (f->turn + i + 1) % 5;
			break;
		}
	}
	if (k)
		f->injected++;
	pthread_mutex_unlock(&f->lock);
	return k;
}

/* FAULT_LOST: the real answer came; pretend it never did. */
static void lost_done(struct http_req *req)
{
	req->done = req->wrap_done;
	req->wrap_done = NULL;
	req->status = 0;
	snprintf(req->errmsg, sizeof(req->errmsg), "connection reset after the request (injected)");
	req->curl_code = CURLE_RECV_ERROR;
	req->done(req);
}

static int fault_submit(struct transport *t, struct http_req *req, long delay_ms)
{
	struct fault *f = (struct fault *)t;

	switch (fault_pick(f)) {
	case FAULT_503:
		req->canned = &canned_503;
		break;
	case FAULT_500:
		req->canned = &canned_500;
		break;
	case FAULT_RESET:
		req->canned = &canned_reset;
		break;
	case FAULT_LOST:
		req->wrap_done = req->done;
		req->done = lost_done;
		break;
	case FAULT_DELAY:
		delay_ms += f->o.delay_ms ? f->o.delay_ms : 200;
		break;
	}
	return transport_submit(f->inner, req, delay_ms);
}

static void fault_free(struct transport *t)
{
	struct fault *f = (struct fault *)t;

	transport_free(f->inner);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static const struct transport_ops fault_ops = {
	.submit = fault_submit,
	.free = fault_free,
};

struct transport *fault_new(struct transport *inner, const struct fault_opts *o)
{
	struct fault *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->t.ops = &fault_ops;
	f->inner = inner;
	f->o = *o;
	f->rng = o->seed ? o->seed : 1;
	pthread_mutex_init(&f->lock, NULL);
	return &f->t;
}

void fault_counts(struct transport *t, unsigned long *requests, unsigned long *injected)
{
	struct fault *f = (struct fault *)t;

	pthread_mutex_lock(&f->lock);
	*requests = f->n;
	*injected = f->injected;
	pthread_mutex_unlock(&f->lock);
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!*s)
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_kinds(char *s, unsigned *out)
{
	static const struct { const char *name; unsigned bit; } map[] = {
		{ "503", FAULT_503 }, { "500", FAULT_500 }, { "reset", FAULT_RESET },
		{ "lost", FAULT_LOST }, { "delay", FAULT_DELAY }, { "all", FAULT_ALL },
	};
	char *save = NULL, *tok;
	size_t i;

	*out = 0;
	for (tok = strtok_r(s, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (!strcmp(tok, map[i].name))
				break;
		if (i == sizeof(map) / sizeof(map[0]))
			return -1;
		*out |= map[i].bit;
	}
	return *out ? 0 : -1;
}

int fault_parse(const char *spec, struct fault_opts *o)
{
	char *copy = strdup(spec), *save = NULL, *item;
	int rc = -1;

	if (!copy)
		return -1;
	memset(o, 0, sizeof(*o));
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		int bad;

		if (!eq)
			goto out;
		*eq++ = '\0';
		if (!strcmp(item, "every"))
			bad = parse_uint(eq, 1000000, &o->every_nth);
		else if (!strcmp(item, "percent"))
			bad = parse_uint(eq, 100, &o->percent);
		else if (!strcmp(item, "delay"))
			bad = parse_uint(eq, 600000, &o->delay_ms);
		else if (!strcmp(item, "seed"))
			bad = parse_uint(eq, ~0u, &o->seed);
		else if (!strcmp(item, "kinds"))
			bad = parse_kinds(eq, &o->kinds);
		else
			bad = 1;
		if (bad)
			goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}
