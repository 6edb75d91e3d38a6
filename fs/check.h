/*
 * check: `lakemount --check`: try every source of a config once.
 */
#ifndef LM_CHECK_H
#define LM_CHECK_H

#include <stdio.h>

#include "config.h"

/* Print one line per source to out ("source 'x': ok ..." or the reason with
 * the fix).  Returns 0 when every source answered, 1 otherwise. */
int check_sources(const struct config *cfg, FILE *out);

#endif
