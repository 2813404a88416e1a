/*
 * bench_arg.h - a numeric command-line argument of a benchmark program
 *
 * bench_num_arg(s, lo, hi, what): s as a whole decimal number within
 * [lo, hi], or a line on stderr naming what and the range, and exit 2.
 */
#ifndef BENCH_ARG_H
#define BENCH_ARG_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static inline long
bench_num_arg(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "%s %s: expected %ld..%ld\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

#endif
