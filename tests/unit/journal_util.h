/*
 * journal_util.h: what the journal's two unit programs (t_journal.c,
 * t_journal_order.c) share: opening a journal in the test directory and
 * making, adding and claiming ops.
 */
#ifndef LM_JOURNAL_UTIL_H
#define LM_JOURNAL_UTIL_H

#include <stdint.h>

#include "journal.h"
#include "unit.h"

static inline struct journal *open_ok(const char *name)
{
	struct journal *j = NULL;
	char path[512], err[512];

	unit_path(path, sizeof(path), name);
	if (journal_open(path, &j, err, sizeof(err)))
		unit_fail(__FILE__, __LINE__, "open '%s': %s", path, err);
	else
		UNIT_CHECK_STR(err, "");
	return j;
}

static inline struct journal_op put(const char *key)
{
	return (struct journal_op){ .kind = JOURNAL_PUT, .source = "s3", .key = (char *)key,
				    .staged = "st", .size = 1, .mode = 0100644 };
}

static inline struct journal_op copy(const char *from, const char *to)
{
	return (struct journal_op){ .kind = JOURNAL_COPY, .source = "s3", .key = (char *)to,
				    .src_source = "s3", .src_key = (char *)from };
}

static inline struct journal_op del(const char *key)
{
	return (struct journal_op){ .kind = JOURNAL_DELETE, .source = "s3", .key = (char *)key };
}

static inline struct journal_op meta(const char *key)
{
	return (struct journal_op){ .kind = JOURNAL_META, .source = "s3", .key = (char *)key,
				    .mode = 0100600 };
}

static inline int64_t add1(struct journal *j, struct journal_op op)
{
	int64_t id = -1;

	if (journal_add(j, &op, 1, &id))
		unit_fail(__FILE__, __LINE__, "add '%s': %s", op.key, journal_errmsg(j));
	return id;
}

/* Claim (no delay): the id claimed, 0 if none, -1 on error. */
static inline int64_t claim_id(struct journal *j)
{
	struct journal_op op;
	int rc = journal_claim(j, INT64_MAX, &op);
	int64_t id = rc == 1 ? op.id : rc;

	journal_op_release(&op);
	return id;
}

/* Claim and finish everything runnable, again and again, until empty. */
static inline void drain(struct journal *j)
{
	int64_t id;

	while ((id = claim_id(j)) > 0)
		UNIT_CHECK_INT(journal_done(j, id), 0);
	UNIT_CHECK_INT(id, 0);
	UNIT_CHECK_INT(journal_count(j), 0);
}

#endif
