/*
 * log.h - log lines through the caller's callback
 *
 * The library never prints: every module is handed a vd_logger and gives
 * it formatted lines; the front end that set the callback decides where
 * they go.  Warnings that a broken zone or file would repeat on every
 * check pass through vd_log_ratelimit first.
 */
#ifndef VD_LOG_H
#define VD_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include "verdict.h"

/* The logger every module gets: the caller's callback, may be NULL. */
typedef struct vd_logger {
	verdict_log_fn fn;
	void *arg;
} vd_logger;

/* vd_log / vd_log_va - format one line (cut at 1023 bytes) and hand it to
 * lg's callback; nothing when lg or its callback is NULL. */
void vd_log(const vd_logger *lg, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vd_log_va(const vd_logger *lg, int level, const char *fmt, va_list ap);

/*
 * vd_log_ratelimit - "once per interval" gate for repeated warnings: returns 1
 * when the caller may log now (and records the time), 0 when it logged
 * less than interval_ns ago.  Lock-free; *last starts at 0.
 */
int vd_log_ratelimit(int64_t *last, int64_t interval_ns);

#endif
