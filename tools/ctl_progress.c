/*
 * ctl_progress: a progress line on stderr, redrawn by a thread of its own
 * every 100 ms while something changed, with the rate measured over the
 * last 5 seconds.
 *
 * Lock: p->mu guards every field and every write to stdout/stderr made
 * through ctl_progress_printf, so the bar is cleared, the line written and
 * the bar drawn again without another thread in between.
 */
#include "ctl_progress.h"
#include "ctl_fmt.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define TICK_MS 100
#define RATE_WINDOW 5.0		/* seconds */
#define NSAMPLES 64

struct sample {
	double t;
	uint64_t bytes;
};

struct ctl_progress {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int show, running, stop;
	int drawn;		/* the bar is on the screen */
	uint64_t files_total, bytes_total;
	uint64_t files_done, bytes_done;	/* of finished files */
	uint64_t *slot;		/* bytes of the file each worker is on */
	unsigned nslots;
	char *note;
	struct sample samples[NSAMPLES];
	unsigned nsample, isample;
	double t0;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned term_width(void)
{
	struct winsize ws;

	if (!ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

/* ---- rendering ---- */

void ctl_progress_render(char *out, size_t outlen, unsigned width, uint64_t files_done,
			 uint64_t files_total, uint64_t bytes_done, uint64_t bytes_total,
			 double rate)
{
	char counts[160], a[32], b[32], r[32], eta[32];
	size_t clen, bar, fill, i, len = 0;
	double frac;

	if (!outlen)
		return;
	if (width >= outlen)
		width = (unsigned)outlen - 1;
	if (bytes_done > bytes_total)
		bytes_done = bytes_total;
	if (rate > 0 && bytes_total > bytes_done) {
		ctl_fmt_clock((double)(bytes_total - bytes_done) / rate, eta, sizeof(eta));
		snprintf(r, sizeof(r), "%s/s", ctl_fmt_size((uint64_t)rate, a, sizeof(a)));
	} else {
		snprintf(eta, sizeof(eta), "-:--");
		snprintf(r, sizeof(r), rate > 0 ? "%s/s" : "- B/s",
			 ctl_fmt_size((uint64_t)rate, a, sizeof(a)));
	}
	snprintf(counts, sizeof(counts), "%llu/%llu files  %s/%s  %s  %s left",
		 (unsigned long long)files_done, (unsigned long long)files_total,
		 ctl_fmt_size(bytes_done, a, sizeof(a)), ctl_fmt_size(bytes_total, b, sizeof(b)),
		 r, eta);
	clen = strlen(counts);
	/* "[#####-----] " before the counts when there is room for 10 cells */
	if (width > clen + 13) {
		bar = width - clen - 3;
		if (bar > 30)
			bar = 30;
		if (bytes_total)
			frac = (double)bytes_done / (double)bytes_total;
		else
			frac = files_total ? (double)files_done / (double)files_total : 0;
		fill = (size_t)(frac * (double)bar + 0.5);
		if (fill > bar)
			fill = bar;
		out[len++] = '[';
		for (i = 0; i < bar; i++)
			out[len++] = i < fill ? '#' : '-';
		out[len++] = ']';
		out[len++] = ' ';
	}
	snprintf(out + len, outlen - len, "%.*s", (int)(width - len), counts);
}

/* The rate over the last RATE_WINDOW seconds; adds a sample. */
static double sample_rate(struct ctl_progress *p, double t, uint64_t bytes)
{
	struct sample *old = NULL, *s;
	unsigned i;

	p->samples[p->isample] = (struct sample){ t, bytes };
	p->isample = (p->isample + 1) % NSAMPLES;
	if (p->nsample < NSAMPLES)
		p->nsample++;
	for (i = 0; i < p->nsample; i++) {
		s = &p->samples[i];
		if (t - s->t <= RATE_WINDOW && (!old || s->t < old->t))
			old = s;
	}
	if (!old || t - old->t < 0.5 || bytes < old->bytes) {
		/* too early for a window: since the start */
		if (t - p->t0 < 0.5)
			return 0;
		return (double)bytes / (t - p->t0);
	}
	return (double)(bytes - old->bytes) / (t - old->t);
}

static void clear_locked(struct ctl_progress *p)
{
	if (p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		p->drawn = 0;
	}
}

static void draw_locked(struct ctl_progress *p)
{
	char line[512];
	uint64_t bytes = p->bytes_done;
	unsigned i, w = term_width() - 1;
	double rate;

	for (i = 0; i < p->nslots; i++)
		bytes += p->slot[i];
	rate = sample_rate(p, now(), bytes);
	if (p->note)
		snprintf(line, sizeof(line), "%.*s", (int)(w < sizeof(line) ? w : sizeof(line) - 1),
			 p->note);
	else
		ctl_progress_render(line, sizeof(line), w, p->files_done, p->files_total,
				    bytes, p->bytes_total, rate);
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	p->drawn = 1;
}

static void *ticker(void *arg)
{
	struct ctl_progress *p = arg;
	struct timespec ts;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		draw_locked(p);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* ---- the interface ---- */

struct ctl_progress *ctl_progress_new(int show, unsigned nslots)
{
	struct ctl_progress *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->slot = calloc(nslots ? nslots : 1, sizeof(*p->slot));
	if (!p->slot) {
		free(p);
		return NULL;
	}
	p->nslots = nslots;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->t0 = now();
	p->show = show;
	if (show && !pthread_create(&p->thread, NULL, ticker, p))
		p->running = 1;
	else
		p->show = 0;
	return p;
}

void ctl_progress_total(struct ctl_progress *p, uint64_t files, uint64_t bytes)
{
	pthread_mutex_lock(&p->mu);
	p->files_total = files;
	p->bytes_total = bytes;
	p->t0 = now();
	p->nsample = p->isample = 0;
	if (p->show)
		draw_locked(p);	/* at once: the work may be over before a tick */
	pthread_mutex_unlock(&p->mu);
}

void ctl_progress_note(struct ctl_progress *p, const char *text)
{
	char *n = text ? strdup(text) : NULL;

	pthread_mutex_lock(&p->mu);
	free(p->note);
	p->note = n;
	pthread_mutex_unlock(&p->mu);
}

void ctl_progress_slot(struct ctl_progress *p, unsigned slot, uint64_t bytes)
{
	pthread_mutex_lock(&p->mu);
	if (slot < p->nslots)
		p->slot[slot] = bytes;
	pthread_mutex_unlock(&p->mu);
}

void ctl_progress_file_done(struct ctl_progress *p, unsigned slot, uint64_t bytes)
{
	pthread_mutex_lock(&p->mu);
	if (slot < p->nslots)
		p->slot[slot] = 0;
	p->files_done++;
	p->bytes_done += bytes;
	pthread_mutex_unlock(&p->mu);
}

void ctl_progress_printf(struct ctl_progress *p, FILE *f, const char *fmt, ...)
{
	va_list ap;

	if (!p) {
		va_start(ap, fmt);
		vfprintf(f, fmt, ap);
		va_end(ap);
		fflush(f);
		return;
	}
	pthread_mutex_lock(&p->mu);
	clear_locked(p);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fflush(f);
	pthread_mutex_unlock(&p->mu);
}

void ctl_progress_free(struct ctl_progress *p)
{
	if (!p)
		return;
	if (p->running) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->thread, NULL);
	}
	clear_locked(p);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->note);
	free(p->slot);
	free(p);
}
