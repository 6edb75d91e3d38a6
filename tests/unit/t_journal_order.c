/*
 * t_journal_order: which op the journal lets run, under pressure: random
 * calls checked against a model of the rules (including reopens), four
 * threads claiming at once, and the time 10,000 ops take (also with a long
 * chain on one key ahead of independent ops).
 */
#include "unit.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal_util.h"

/* ---- against a model ---- */

#define MSTEPS 6000
#define MKEYS 8

struct mop {
	int64_t id;
	int kind, key, src, claimed, alive;	/* key, src: indexes (src -1: none) */
	int ran;		/* retried, or from before a reopen: may have run */
};

static struct mop mops[MSTEPS * 2];
static size_t nmops;
static const char *mkey[MKEYS] = { "m/0", "m/1", "m/%", "m/_", "m/é", "m/'", "m/0/", "m" };

static int m_touches(const struct mop *o, int k)
{
	return o->alive && (o->key == k || o->src == k);
}

static int m_conflict(const struct mop *a, const struct mop *b)
{
	return m_touches(b, a->key) || (a->src >= 0 && m_touches(b, a->src));
}

/* The model's answer to a claim: the oldest runnable op, or NULL. */
static struct mop *m_runnable(void)
{
	size_t i, k;

	for (i = 0; i < nmops; i++) {
		if (!mops[i].alive || mops[i].claimed)
			continue;
		for (k = 0; k < i && !m_conflict(&mops[i], &mops[k]); k++)
			;
		if (k == i)
			return &mops[i];
	}
	return NULL;
}

static struct mop *m_claimed(unsigned r)
{
	size_t i, n = 0;

	for (i = 0; i < nmops; i++)
		n += mops[i].alive && mops[i].claimed;
	for (i = 0; n && i < nmops; i++)
		if (mops[i].alive && mops[i].claimed && r-- % n == 0)
			return &mops[i];
	return NULL;
}

static int m_drop(int k)
{
	size_t i, c;
	int n = 0;

	for (i = 0; i < nmops; i++) {
		struct mop *o = &mops[i];

		if (!o->alive || o->claimed || o->key != k ||
		    (o->kind != JOURNAL_PUT && o->kind != JOURNAL_META))
			continue;
		for (c = i + 1; c < nmops && !(mops[c].alive && mops[c].src == k); c++)
			;
		if (c == nmops) {
			o->alive = 0;
			n++;
		}
	}
	return n;
}

static int m_rekey(int from, int to)
{
	struct mop *one = NULL;
	size_t i;
	int nf = 0, nt = 0;

	for (i = 0; i < nmops; i++) {
		if (m_touches(&mops[i], from) && !nf++)
			one = &mops[i];
		nt += m_touches(&mops[i], to);
	}
	if (nf != 1 || nt || one->kind != JOURNAL_PUT || one->claimed || one->ran)
		return 0;
	one->key = to;
	return 1;
}

static void m_add(struct journal *j, unsigned r)
{
	int key = (int)(r / 4 % MKEYS), src = (int)(r / 32 % MKEYS);
	struct journal_op op = { .kind = 1 + r % 4, .source = "s3", .key = (char *)mkey[key] };

	if (op.kind == JOURNAL_COPY) {
		src = src == key ? (src + 1) % MKEYS : src;
		op.src_source = "s3";
		op.src_key = (char *)mkey[src];
	}
	mops[nmops] = (struct mop){ add1(j, op), op.kind, key,
				    op.kind == JOURNAL_COPY ? src : -1, 0, 1, 0 };
	nmops++;
}

static struct journal *t_model(struct journal *j)
{
	char path[512], err[512];
	struct mop *want;
	unsigned r, seed = 12345;
	int64_t got;
	int step, bad = 0, k, n, nclaim = 0, ndrop = 0, nrekey = 0;

	unit_case("6,000 random adds, claims, dones, retries, drops, rekeys, reopens: as a model");
	for (step = 0; j && step < MSTEPS; step++) {
		seed = seed * 1103515245 + 12345;
		r = seed >> 8;
		switch (r % 16) {
		case 0: case 1: case 2:
			m_add(j, r >> 4);
			break;
		case 3: case 4: case 5: case 6: case 7: case 8:
			want = m_runnable();
			got = claim_id(j);
			if (got != (want ? want->id : 0)) {
				printf("# claimed %lld, the model %lld\n", (long long)got,
				       want ? (long long)want->id : 0LL);
				bad++;
			} else if (want) {
				want->claimed = 1;
				nclaim++;
			}
			break;
		case 9: case 10: case 11:
			if ((want = m_claimed(r >> 4))) {
				bad += journal_done(j, want->id) != 0;
				want->alive = 0;
			}
			break;
		case 12:
			if ((want = m_claimed(r >> 4))) {
				bad += journal_retry(j, want->id, "503") != 0;
				want->claimed = 0;
				want->ran = 1;
			}
			break;
		case 13:
			k = (int)(r >> 4) % MKEYS;
			n = m_drop(k);
			ndrop += n > 0;
			bad += journal_drop_puts(j, "s3", mkey[k]) != n;
			break;
		case 14:
			k = (int)(r >> 4) % MKEYS;
			n = m_rekey(k, (int)((r >> 8) % MKEYS));
			nrekey += n;
			bad += journal_rekey(j, "s3", mkey[k], mkey[(r >> 8) % MKEYS]) != n;
			break;
		default:
			if (r % 1024 != 15)
				break;
			journal_close(j);
			unit_path(path, sizeof(path), "model.db");
			j = NULL;
			UNIT_CHECK_INT(journal_open(path, &j, err, sizeof(err)), 0);
			for (size_t i = 0; i < nmops; i++) {
				mops[i].claimed = 0;
				mops[i].ran = 1;
			}
		}
		if (bad) {
			unit_fail(__FILE__, __LINE__, "step %d (%u): differs from the model", step,
				  r % 16);
			break;
		}
	}
	if (!j)
		return NULL;
	printf("# %d claims, %d drops, %d rekeys; %lld ops left\n", nclaim, ndrop, nrekey,
	       (long long)journal_count(j));
	for (size_t i = 0; i < nmops; i++)
		if (mops[i].alive && mops[i].claimed)
			UNIT_CHECK_INT(journal_done(j, mops[i].id), 0);
	drain(j);
	return j;
}

/* ---- threads ---- */

#define NTHREADS 4
#define TOPS 2000
#define TKEYS 37

struct shared {
	struct journal *j;
	pthread_mutex_t lock;
	struct journal_op ops[TOPS];
	int64_t first;			/* ops[i] has id first + i */
	double deadline;		/* stuck: give up */
	int claimed[TOPS], done[TOPS];
	int twice, early, errors, ndone;
};

static int path_eq(const char *s1, const char *k1, const char *s2, const char *k2)
{
	return k1 && k2 && *k1 && *k2 && !strcmp(s1, s2) && !strcmp(k1, k2);
}

static int conflict(const struct journal_op *a, const struct journal_op *b)
{
	return path_eq(a->source, a->key, b->source, b->key) ||
		path_eq(a->source, a->key, b->src_source, b->src_key) ||
		path_eq(a->src_source, a->src_key, b->source, b->key) ||
		path_eq(a->src_source, a->src_key, b->src_source, b->src_key);
}

static void *claimer(void *arg)
{
	struct shared *s = arg;
	struct journal_op op;
	int64_t i, k;
	int rc;

	for (;;) {
		rc = journal_claim(s->j, INT64_MAX, &op);
		if (rc <= 0) {
			pthread_mutex_lock(&s->lock);
			k = s->ndone;
			s->errors += rc < 0 || unit_now_ms() > s->deadline;
			pthread_mutex_unlock(&s->lock);
			if (rc < 0 || k == TOPS || unit_now_ms() > s->deadline)
				break;
			sched_yield();
			continue;
		}
		i = op.id - s->first;
		pthread_mutex_lock(&s->lock);
		if (i < 0 || i >= TOPS || s->claimed[i]++) {
			s->twice++;
		} else {
			/* Every older op it conflicts with is done already. */
			for (k = 0; k < i; k++)
				s->early += !s->done[k] && conflict(&s->ops[k], &s->ops[i]);
			s->errors += strcmp(op.key, s->ops[i].key) != 0;
		}
		pthread_mutex_unlock(&s->lock);
		if (op.id % 3 == 0)
			usleep(50);
		pthread_mutex_lock(&s->lock);
		if (i >= 0 && i < TOPS)
			s->done[i] = 1;
		s->ndone++;
		pthread_mutex_unlock(&s->lock);
		s->errors += journal_done(s->j, op.id) != 0;
		journal_op_release(&op);
	}
	return NULL;
}

static void t_threads(void)
{
	static char keys[TKEYS][16];
	struct shared *s = calloc(1, sizeof(*s));
	int64_t *ids = calloc(TOPS, sizeof(*ids));
	pthread_t th[NTHREADS];
	double t;
	int i, n;

	unit_case("four threads claim 2,000 ops: none twice, none before an older conflicting one");
	if (!s || !ids || !(s->j = open_ok("threads.db")))
		goto out;
	pthread_mutex_init(&s->lock, NULL);
	for (i = 0; i < TKEYS; i++)
		snprintf(keys[i], sizeof(keys[i]), "t/%02d", i);
	for (i = 0; i < TOPS; i++) {
		const char *k = keys[(i * 7) % TKEYS], *k2 = keys[(i * 11 + 3) % TKEYS];

		switch (i % 5) {
		case 0: s->ops[i] = copy(k2, k); break;
		case 1: s->ops[i] = del(k); break;
		case 2: s->ops[i] = meta(k); break;
		default: s->ops[i] = put(k); break;
		}
	}
	UNIT_CHECK_INT(journal_add(s->j, s->ops, TOPS, ids), 0);
	s->first = ids[0];
	for (i = 1; i < TOPS; i++)
		UNIT_CHECK_INT(ids[i], s->first + i);
	t = unit_now_ms();
	s->deadline = t + 60e3;
	for (n = 0; n < NTHREADS; n++)
		UNIT_CHECK_INT(pthread_create(&th[n], NULL, claimer, s), 0);
	for (n = 0; n < NTHREADS; n++)
		pthread_join(th[n], NULL);
	printf("# %d ops on %d keys through %d threads in %.1f ms\n", TOPS, TKEYS, NTHREADS,
	       unit_now_ms() - t);
	UNIT_CHECK_INT(s->twice, 0);
	UNIT_CHECK_INT(s->early, 0);
	UNIT_CHECK_INT(s->errors, 0);
	UNIT_CHECK_INT(s->ndone, TOPS);
	UNIT_CHECK_INT(journal_count(s->j), 0);
	pthread_mutex_destroy(&s->lock);
out:
	if (s)
		journal_close(s->j);
	free(s);
	free(ids);
}

/* ---- 10,000 ops ---- */

#define BIG 10000

static void t_big(void)
{
	struct journal_op *ops = calloc(BIG, sizeof(*ops));
	char (*key)[48] = calloc(BIG, sizeof(*key));
	struct journal *j = NULL;
	double t, add_ms, run_ms;
	int64_t id;
	int i, n = 0;

	unit_case("10,000 independent ops: added, claimed and done quickly");
	if (!ops || !key || !(j = open_ok("big.db")))
		goto out;
	for (i = 0; i < BIG; i++) {
		snprintf(key[i], sizeof(key[i]), "data/spot/daily/%05d.zip", i);
		ops[i] = put(key[i]);
	}
	t = unit_now_ms();
	UNIT_CHECK_INT(journal_add(j, ops, BIG, NULL), 0);
	add_ms = unit_now_ms() - t;
	t = unit_now_ms();
	while ((id = claim_id(j)) > 0)
		n += journal_done(j, id) == 0;
	run_ms = unit_now_ms() - t;
	UNIT_CHECK_INT(n, BIG);
	UNIT_CHECK_INT(journal_count(j), 0);
	printf("# %d ops: added in %.1f ms, claimed and done in %.1f ms (%.0f ops/s)\n",
	       BIG, add_ms, run_ms, BIG / run_ms * 1e3);
	UNIT_CHECK(run_ms < 3000);

	/* The slow case: claims held ahead of the rest, and a long chain on
	 * one key ahead of independent ops. */
	for (i = 0; i < BIG; i++)
		ops[i] = put(i < BIG / 2 ? "same" : key[i]);
	UNIT_CHECK_INT(journal_add(j, ops, BIG, NULL), 0);
	t = unit_now_ms();
	for (i = 0; i < BIG / 2 + 1; i++)
		n += claim_id(j) > 0;
	printf("# a chain of %d ops on one key ahead: %d claims in %.1f ms\n",
	       BIG / 2, BIG / 2 + 1, unit_now_ms() - t);
	UNIT_CHECK_INT(claim_id(j), 0);
out:
	journal_close(j);
	free(ops);
	free(key);
}

int main(void)
{
	struct journal *j;

	if (unit_tmpdir("t_journal_order"))
		return 1;
	j = open_ok("model.db");
	if (j)
		j = t_model(j);
	journal_close(j);
	t_threads();
	t_big();
	unit_tmpdir_remove();
	return unit_done();
}
