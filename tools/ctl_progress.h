/*
 * ctl_progress: the one-line progress display of lakemount-ctl on a
 * terminal, and the lock its output goes through.
 *
 * Workers report what they do (ctl_progress_slot, ctl_progress_file_done);
 * a thread of the display redraws the line on stderr at most 10 times a
 * second: files done/total, bytes done/total, rate, time left.  Lines a
 * command prints while the bar is shown go through ctl_progress_printf,
 * which clears the bar first, so output and bar never mix.  With the
 * display off, ctl_progress_printf only keeps the lines of several
 * threads whole.
 */
#ifndef LM_CTL_PROGRESS_H
#define LM_CTL_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

struct ctl_progress;

/* show: draw on stderr (a terminal).  nslots: how many workers report
 * bytes of a file under way.  NULL when out of memory. */
struct ctl_progress *ctl_progress_new(int show, unsigned nslots);

/* The work to do: shown as "done/total" from now on. */
void ctl_progress_total(struct ctl_progress *p, uint64_t files, uint64_t bytes);

/* A free text instead of the counts ("scanning: 1,234 files",
 * "flushing: 12 changes pending"); NULL goes back to the counts. */
void ctl_progress_note(struct ctl_progress *p, const char *text);

/* Worker slot has done bytes of the file it is on. */
void ctl_progress_slot(struct ctl_progress *p, unsigned slot, uint64_t bytes);

/* Worker slot finished a file of size bytes (counted whole, whatever
 * happened to it). */
void ctl_progress_file_done(struct ctl_progress *p, unsigned slot, uint64_t bytes);

/* Print a line (or lines) on f without mixing with the bar or with other
 * threads' lines.  p may be NULL (no display, one thread). */
void ctl_progress_printf(struct ctl_progress *p, FILE *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Stop the display and clear its line.  NULL is a no-op. */
void ctl_progress_free(struct ctl_progress *p);

/* The line the display would draw for these numbers, width columns at
 * most (for the display and its checks). */
void ctl_progress_render(char *out, size_t outlen, unsigned width, uint64_t files_done,
			 uint64_t files_total, uint64_t bytes_done, uint64_t bytes_total,
			 double rate);

#endif
