/*
 * errors.c - the calling thread's error detail (errors.h)
 *
 *	vd_err_set		record detail and lower code, return the code
 *	vd_err_clear	forget them
 *	verdict_errdetail	the detail, for the public API
 *	verdict_errlower	the lower library's code, for the public API
 *
 * The detail lives in thread-local storage: an error of one thread is
 * never reported to another, and recording one takes no lock.
 *
 * Diagnostics: none; this module is where diagnostics are kept.
 *
 * Limits: a detail is cut at 511 bytes.  Only the last error of a thread
 * is kept.
 */
#include <stdarg.h>
#include <stdio.h>

#include "errors.h"

static __thread char err_detail[512];
static __thread int err_lower;

/* vd_err_set - the detail may be cut; a cut sentence still helps */
int
vd_err_set(int code, int lower, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_detail, sizeof(err_detail), fmt, ap);
	va_end(ap);
	err_lower = lower;
	return code;
}

/* vd_err_clear - a success must not carry an older failure's text */
void
vd_err_clear(void)
{
	err_detail[0] = 0;
	err_lower = 0;
}

/* verdict_errdetail - the calling thread's last detail, "" when none */
VERDICT_API const char *
verdict_errdetail(void)
{
	return err_detail;
}

/* verdict_errlower - the calling thread's last lower code, 0 when none */
VERDICT_API int
verdict_errlower(void)
{
	return err_lower;
}
