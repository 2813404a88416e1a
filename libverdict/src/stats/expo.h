/*
 * expo.h - the Prometheus text exposition format 0.0.4 (expo.c)
 */
#ifndef VD_EXPO_H
#define VD_EXPO_H

#include <stdio.h>

#include "verdict.h"

/* vd_expo_line - one item of verdict_stats as text into out: "# HELP"
 * and "# TYPE" for a declaration, a sample line otherwise.  0, or -1
 * when writing failed. */
int vd_expo_line(const verdict_stat *s, FILE *out);

#endif
