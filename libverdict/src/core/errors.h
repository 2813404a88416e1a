/*
 * errors.h - the calling thread's error detail
 *
 * A failing library function returns one of verdict.h's codes; the
 * sentence that explains this failure (which file, which line, which
 * table) and the lower library's own code wait beside it in thread-local
 * storage, so a caller on another thread never reads someone else's.
 */
#ifndef VD_ERRORS_H
#define VD_ERRORS_H

#include "verdict.h"

/* vd_err_set - record the calling thread's error detail (printf format) and
 * lower code; returns code, so "return vd_err_set(VERDICT_EDB, rc, ...)". */
int vd_err_set(int code, int lower, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* vd_err_clear - forget the calling thread's error detail. */
void vd_err_clear(void);

#endif
