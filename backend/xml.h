/*
 * xml: streaming parsers (expat) for the XML documents S3 answers with.
 *
 * A listing page is fed to xml_list as it arrives and each object or common
 * prefix is handed to a callback as soon as its element closes: a page of
 * 1,000 keys is never built as a tree.  The small documents (Error, upload
 * ids, ETags of completions and copies, DeleteObjects results) are parsed
 * with the same machinery.
 */
#ifndef LM_XML_H
#define LM_XML_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "s3err.h"

/* ---- generic streaming ---- */

/* Called when an element that holds only text closes: name is the element,
 * parent the enclosing element ("" at the root), text its content (decoded,
 * NUL-terminated, len bytes).  Return 0 to go on, non-zero to stop parsing. */
typedef int (*xml_leaf_fn)(void *arg, const char *parent, const char *name,
			   const char *text, size_t len);
/* Called when any element closes (after its leaves); for record boundaries. */
typedef int (*xml_close_fn)(void *arg, const char *name);

struct xml_stream;

/* NULL on ENOMEM.  Text of one element is capped at 64 KiB. */
struct xml_stream *xml_stream_new(xml_leaf_fn leaf, xml_close_fn close, void *arg);
/* Feed bytes; final=1 with the last (possibly empty) chunk.  Returns 0, or -1
 * on malformed XML, a callback's stop, or ENOMEM (see xml_stream_error()). */
int xml_stream_feed(struct xml_stream *xs, const char *data, size_t len, int final);
const char *xml_stream_error(const struct xml_stream *xs);
void xml_stream_free(struct xml_stream *xs);

/* ---- ListObjects (v1 and v2) ---- */

struct s3_list_entry {
	const char *key;	/* full key, or for a prefix the prefix with its '/' */
	int is_prefix;		/* 1 for a CommonPrefixes entry */
	uint64_t size;
	const char *etag;	/* with its quotes stripped; "" for prefixes */
	time_t mtime;		/* LastModified, 0 for prefixes */
};

/* Return 0 to go on, non-zero to stop (the feed then fails). */
typedef int (*s3_list_fn)(void *arg, const struct s3_list_entry *e);

struct xml_list_result {
	int truncated;		/* IsTruncated */
	char *next_token;	/* v2 NextContinuationToken; v1 NextMarker, or the
				   last key or prefix when the server omits it;
				   NULL when not truncated.  Caller frees. */
	unsigned nkeys;		/* Contents seen */
	unsigned nprefixes;	/* CommonPrefixes seen */
};

struct xml_list;

struct xml_list *xml_list_new(s3_list_fn fn, void *arg);
int xml_list_feed(struct xml_list *xl, const char *data, size_t len, int final);
/* After the final feed: move the result out (next_token ownership passes). */
void xml_list_result(struct xml_list *xl, struct xml_list_result *out);
const char *xml_list_error(const struct xml_list *xl);
void xml_list_free(struct xml_list *xl);

/* ---- small documents ---- */

/* Parse an <Error> body into e->code and e->message (either may stay ""
 * when absent or empty: RGW sends empty <Message>).  Returns 0 if the body
 * was an Error document, -1 otherwise (e untouched then). */
int xml_parse_error(const char *body, size_t len, struct s3_error *e);

/* Copy the text of the first element named name (anywhere) into out.
 * Returns its length, or -1 when absent, malformed or too long. */
int xml_find_text(const char *body, size_t len, const char *name,
		  char *out, size_t outlen);

/* DeleteObjects <DeleteResult>: fn is called for each <Error> entry with its
 * Key, Code and Message.  Returns the number of <Deleted> entries, or -1 on
 * malformed XML. */
typedef void (*xml_delete_err_fn)(void *arg, const char *key,
				  const char *code, const char *message);
int xml_parse_delete_result(const char *body, size_t len,
			    xml_delete_err_fn fn, void *arg);

/* Append s to out with &, <, >, ", ' escaped (for request bodies such as
 * DeleteObjects and CompleteMultipartUpload).  Returns 0 or -1. */
struct strbuf;
int xml_escape(struct strbuf *out, const char *s);

/* Parse an ISO 8601 time as S3 writes it ("2013-09-17T18:07:53.000Z") or an
 * HTTP date ("Wed, 12 Oct 2009 17:50:00 GMT").  Returns 0 and sets *t, or -1. */
int s3_parse_time(const char *s, time_t *t);

#endif
