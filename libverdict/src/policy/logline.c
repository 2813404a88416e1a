/*
 * logline.c - the verdict log line: key=value, rate-limited
 *
 *	vd_logline_init		a limiter that has let no line through yet
 *	vd_logline_write	one line per verdict that log_verdicts asks
 *				for, at most log_rate_limit a second
 *
 * The line is "verdict: ip=... verdict=... score=... source=... cidr=...
 * elapsed_us=... profile=... [error=...] reason=...", one key=value per
 * field, "-" for none, a value quoted when it holds a blank, '"', '\' or
 * '=', so that log tools split it without guessing.
 *
 * Logging must never cost the hot path more than the verdict: only the
 * lines log_verdicts asks for are formatted, at most log_rate_limit per
 * second; the rest are counted, and the first line of a later second is
 * preceded by one notice saying how many were left out.  The window is
 * one atomic word (second << 32 | lines), so threads sharing a context
 * take no lock.  The second comes from the library's coarse clock: a few
 * milliseconds of resolution is plenty for a one-second window, and a
 * test can move it without sleeping.
 *
 * Diagnostics: "verdict: N verdict lines suppressed (log_rate_limit L
 * per second)" at LOG_NOTICE.
 *
 * Limits: a line is cut at 767 bytes; the window's second is the coarse
 * clock's, modulo 2^32; lines counted against one second by one thread
 * while another moves the window to the next may be reported a second
 * late.
 */
#include <stdio.h>
#include <syslog.h>

#include "clock.h"
#include "config.h"
#include "logline.h"

#define LOGLINE_MAX 768

/* vd_logline_init - no line yet, nothing suppressed */
void
vd_logline_init(logline *ll, const vd_logger *lg, long rate_limit)
{
	ll->lg = lg;
	ll->rate_limit = rate_limit;
	ll->window = 0;
	ll->suppressed = 0;
}

/* logline_admit - count one line against this second; 0 when over the
 * limit (counted as suppressed), else 1, or 2 for the first line of a
 * new second */
static int
logline_admit(logline *ll)
{
	uint64_t sec = (uint64_t)(vd_clock_coarse_ns() / VD_NS_PER_S);
	uint64_t w, nw;

	sec &= 0xffffffff;
	w = __atomic_load_n(&ll->window, __ATOMIC_RELAXED);
	for (;;) {
		if (w >> 32 == sec) {
			if (ll->rate_limit > 0 &&
			    (long)(w & 0xffffffff) >= ll->rate_limit) {
				__atomic_add_fetch(&ll->suppressed, 1,
						   __ATOMIC_RELAXED);
				return 0;
			}
			nw = w + 1;
		} else {
			nw = sec << 32 | 1;
		}
		if (__atomic_compare_exchange_n(&ll->window, &w, nw, 0,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			break;
	}
	return (nw & 0xffffffff) == 1 ? 2 : 1;
}

/* kv_put - append " key=value" to line, value quoted when it has blanks,
 * quotes, backslashes or '=' */
static size_t
kv_put(char *line, size_t off, size_t cap, const char *key, const char *val)
{
	int quote = 0;

	if (off >= cap)
		return off;
	if (val == NULL || *val == 0)
		val = "-";
	for (const char *c = val; *c; c++)
		if (*c == ' ' || *c == '"' || *c == '\\' || *c == '=')
			quote = 1;
	off += (size_t)snprintf(line + off, cap - off, " %s=%s", key,
				quote ? "\"" : "");
	for (const char *c = val; *c && off + 3 < cap; c++) {
		if (*c == '"' || *c == '\\')
			line[off++] = '\\';
		line[off++] = (unsigned char)*c < 0x20 ? ' ' : *c;
	}
	if (quote && off + 1 < cap)
		line[off++] = '"';
	if (off >= cap)
		off = cap - 1;
	line[off] = 0;
	return off;
}

/* logline_format - res as the key=value line */
static void
logline_format(verdict_result *res, char line[LOGLINE_MAX])
{
	const size_t cap = LOGLINE_MAX;
	char num[64];
	size_t off;

	off = (size_t)snprintf(line, cap, "verdict:");
	off = kv_put(line, off, cap, "ip", vd_result_ip_text(res));
	off = kv_put(line, off, cap, "verdict", res->would_block ?
		     "would-block" : verdict_kind_name(res->kind));
	snprintf(num, sizeof(num), "%d", res->score);
	off = kv_put(line, off, cap, "score", num);
	off = kv_put(line, off, cap, "source", res->source);
	off = kv_put(line, off, cap, "cidr", vd_result_cidr_text(res));
	snprintf(num, sizeof(num), "%ld", res->elapsed_us);
	off = kv_put(line, off, cap, "elapsed_us", num);
	snprintf(num, sizeof(num), "%d", res->profile);
	off = kv_put(line, off, cap, "profile", num);
	if (res->kind == VERDICT_ERROR)
		off = kv_put(line, off, cap, "error",
			     verdict_strerror(res->err));
	kv_put(line, off, cap, "reason",
	       res->have_reason ? res->reason : NULL);
}

/* vd_logline_write - the line, when asked for and within the budget */
void
vd_logline_write(logline *ll, int log_verdicts, verdict_result *res)
{
	char line[LOGLINE_MAX];
	uint64_t supp;
	int admit;

	if (ll->lg == NULL || ll->lg->fn == NULL ||
	    log_verdicts == LOG_VERDICTS_NONE)
		return;
	if (log_verdicts == LOG_VERDICTS_BLOCK &&
	    res->kind != VERDICT_BLOCK && !res->would_block)
		return;
	if ((admit = logline_admit(ll)) == 0)
		return;
	if (admit == 2 && (supp = __atomic_exchange_n(&ll->suppressed, 0,
						      __ATOMIC_RELAXED)) > 0)
		vd_log(ll->lg, LOG_NOTICE, "verdict: %llu verdict lines "
		       "suppressed (log_rate_limit %ld per second)",
		       (unsigned long long)supp, ll->rate_limit);
	logline_format(res, line);
	ll->lg->fn(LOG_INFO, line, ll->lg->arg);
}
