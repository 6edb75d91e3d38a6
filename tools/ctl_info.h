/*
 * ctl_info: the commands about the daemon as a whole: status, stats, flush.
 */
#ifndef LM_CTL_INFO_H
#define LM_CTL_INFO_H

#include "ctl_cmd.h"

#include <stdio.h>
#include <jansson.h>

#define CTL_FLUSH_TIMEOUT 300	/* seconds, flush's default */

int ctl_cmd_status(const struct ctl_args *a);
int ctl_cmd_stats(const struct ctl_args *a);
int ctl_cmd_flush(const struct ctl_args *a);

/* The human forms, from the daemon's "status" and "stats" objects (for
 * the commands and their checks). */
void ctl_print_status(FILE *f, json_t *status);
void ctl_print_stats(FILE *f, json_t *stats);

/* The q-quantile (0 < q < 1) of a latency histogram as fs/ctl.h gives it
 * ("le", cumulative "counts", "count"), interpolated within its bucket as
 * Prometheus's histogram_quantile does.  Returns -1 when it has no
 * request; *above is set when the quantile lies past the last finite
 * bound (the value returned is then that bound). */
double ctl_histogram_quantile(json_t *hist, double q, int *above);

#endif
