/*
 * strbuf: a growable byte buffer with a size cap (after curl's dynbuf).
 *
 * The buffer is always NUL-terminated once anything was added, so text can be
 * used as a C string.  Appending past the cap fails and leaves the contents as
 * they were, so a misbehaving server cannot make us allocate without bound.
 */
#ifndef LM_STRBUF_H
#define LM_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;	/* NULL until the first append */
	size_t len;	/* bytes used, not counting the NUL */
	size_t alloc;	/* bytes allocated */
	size_t cap;	/* most bytes it may hold; 0 means SIZE_MAX/2 */
};

#define STRBUF_INIT { NULL, 0, 0, 0 }

void strbuf_init(struct strbuf *sb, size_t cap);
/* Append; returns 0, or -1 (ENOMEM or over the cap) with sb unchanged. */
int strbuf_add(struct strbuf *sb, const void *data, size_t len);
int strbuf_adds(struct strbuf *sb, const char *s);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* The contents as a string; "" for an empty buffer. Never NULL. */
const char *strbuf_str(const struct strbuf *sb);
/* Hand the buffer to the caller (malloc'd, NUL-terminated, never NULL unless
 * out of memory) and reset sb to empty. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);	/* empty, keeps memory */
void strbuf_release(struct strbuf *sb);	/* frees, back to empty */

#endif
