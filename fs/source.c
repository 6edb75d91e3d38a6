#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

static struct transport *maybe_faulty(unsigned max_conns, char *msg, size_t msglen)
{
	const char *spec = getenv("LAKEMOUNT_FAULTS");
	struct transport *t, *f;
	struct fault_opts fo;

	t = http_engine_new(max_conns);
	if (!t || !spec || !*spec)
		return t;
	if (fault_parse(spec, &fo)) {
		snprintf(msg, msglen, "LAKEMOUNT_FAULTS '%s' is malformed (see lakemount(1))", spec);
		transport_free(t);
		return NULL;
	}
	f = fault_new(t, &fo);
	if (!f)
		transport_free(t);
	return f;
}

struct s3_client *source_client_new(const struct config *cfg,
				    const struct config_source *src,
				    const struct source_limits *lim,
				    char **origin, char *msg, size_t msglen)
{
	struct s3_client_opts o = { 0 };
	struct creds cr = { 0 };
	struct s3_client *c = NULL;
	struct s3_error err;

	if (origin)
		*origin = NULL;
	msg[0] = '\0';
	if (!src->anonymous && creds_resolve(&cr, src->profile, msg, msglen))
		goto out;
	o.endpoint = src->endpoint;
	o.region = src->region;
	o.bucket = src->bucket;
	o.path_style = src->path_style;
	o.anonymous = src->anonymous;
	o.tls_verify = src->tls_verify;
	o.ca_file = src->ca_file;
	o.list_v1 = src->list_v1;
	o.creds = &cr;
	o.max_connections = src->max_connections;
	/* as many parts in flight as aws s3 cp (10) or close: an upload is
	 * bound by round trips, not by this machine */
	o.part_parallel = 8;
	o.deadline_ms = lim && lim->deadline_ms ? lim->deadline_ms : (long)cfg->io_timeout * 1000;
	o.connect_timeout_ms = lim ? lim->connect_timeout_ms : 0;
	o.max_attempts = lim ? lim->max_attempts : 0;
	o.transport = maybe_faulty(src->max_connections, msg, msglen);
	if (!o.transport) {
		if (!msg[0])
			snprintf(msg, msglen, "cannot start the HTTP engine (out of memory?)");
		goto out;
	}
	if (!src->tls_verify)
		fprintf(stderr, "lakemount: warning: source '%s': TLS certificates are "
				"not verified (\"tls_verify\": false)\n", src->name);
	c = s3_client_new(&o, &err);
	if (!c) {
		snprintf(msg, msglen, "%s", err.message[0] ? err.message : s3_status_name(err.status));
		goto out;
	}
	if (origin && !src->anonymous)
		*origin = strdup(!cr.origin ? "the credentials" : !strcmp(cr.origin, "environment") ?
				 "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment" :
				 cr.origin);
out:
	creds_release(&cr);
	return c;
}

void source_explain(const struct config_source *src, const char *origin,
		    const struct s3_error *err, char *msg, size_t msglen)
{
	char detail[512];
	const char *who = origin ? origin : "the credentials";

	s3_error_format(err, detail, sizeof(detail));
	if (!strcmp(err->code, "SignatureDoesNotMatch"))
		snprintf(msg, msglen, "SignatureDoesNotMatch: the secret key for %s is wrong", who);
	else if (!strcmp(err->code, "InvalidAccessKeyId"))
		snprintf(msg, msglen, "InvalidAccessKeyId: the server does not know the access "
			 "key of %s", who);
	else if (!strcmp(err->code, "RequestTimeTooSkewed"))
		snprintf(msg, msglen, "RequestTimeTooSkewed: this machine's clock is off; "
			 "set it right (e.g. with NTP)");
	else if (!strcmp(err->code, "NoSuchBucket") ||
		 (err->status == S3_ERR_NOT_FOUND && !err->code[0]))
		snprintf(msg, msglen, "NoSuchBucket: bucket '%s' does not exist at %s",
			 src->bucket, src->endpoint);
	else if (err->status == S3_ERR_ACCESS)
		snprintf(msg, msglen, "%s: access to bucket '%s' is refused; check the "
			 "permissions of %s%s", detail, src->bucket, who,
			 src->anonymous ? "" : ", or set \"anonymous\": true for a public bucket");
	else if (err->status == S3_ERR_CONNECT &&
		 (strstr(err->message, "certificate") || !strncmp(err->message, "SSL", 3)))
		/* curl's words for a refused certificate (CURLE_PEER_FAILED_VERIFICATION) */
		snprintf(msg, msglen, "the TLS certificate of %s is not trusted (%s): give its CA "
			 "as \"ca_file\" (see lakemount.json(5)) or fix the endpoint's name",
			 src->endpoint, err->message);
	else if (err->status == S3_ERR_CONNECT)
		snprintf(msg, msglen, "cannot connect to %s (%s): is the endpoint right and "
			 "the server up?", src->endpoint, err->message);
	else if (err->status == S3_ERR_TIMEOUT)
		snprintf(msg, msglen, "no answer from %s in time (%s): is the server up and "
			 "reachable?", src->endpoint, err->message);
	else
		snprintf(msg, msglen, "%s", detail);
}
