/*
 * util.h - small shared helpers: monotonic clock, thread-local error
 * detail, bounded string and number handling, the logger.
 */
#ifndef VD_UTIL_H
#define VD_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "verdict.h"

#include "clock.h"

/* vd_util_err - record the calling thread's error detail (printf format) and
 * lower code; returns code, so "return vd_util_err(VERDICT_EDB, rc, ...)". */
int vd_util_err(int code, int lower, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* vd_util_clear_err - forget the calling thread's error detail. */
void vd_util_clear_err(void);

/* vd_util_strlcpy - copy with truncation; always NUL-terminates when size>0;
 * returns strlen(src). */
size_t vd_util_strlcpy(char *dst, const char *src, size_t size);

/* vd_util_parse_long - the whole of s[0..len) as a decimal integer (optional
 * leading '-' when min < 0) within [min, max]; 0 ok, -1 otherwise. */
int vd_util_parse_long(const char *s, size_t len, long min, long max,
		    long *out);

/* vd_util_utf8_cut - the largest n <= max such that s[0..n) does not end in
 * the middle of a UTF-8 sequence. */
size_t vd_util_utf8_cut(const char *s, size_t len, size_t max);

/*
 * vd_util_bigalloc - size bytes for a bulk pass (imports): an anonymous
 * mapping populated in one call, because a page fault per 4 KiB costs
 * more than the work on a virtual machine (below 1 MiB it is plain
 * malloc).  Not asked for huge pages: where the host takes back freed
 * guest memory (virtio-balloon free page reporting), a fresh 2 MiB page
 * cost 1.7 ms/MiB to populate and 4 KiB pages 0.35 (measured here).
 * NULL on failure.  vd_util_bigfree releases it (size as allocated).
 */
void *vd_util_bigalloc(size_t size);
void vd_util_bigfree(void *p, size_t size);

/*
 * vd_util_bigreserve - size bytes of address space for an array that fills
 * as it goes: not populated, a page costs only when first written (below
 * 1 MiB plain malloc).  vd_util_bigresize moves it to new_size bytes
 * (mremap: no copy for a mapping), NULL on failure with p intact.  Both
 * are freed with vd_util_bigfree (size as last allocated).
 */
void *vd_util_bigreserve(size_t size);
void *vd_util_bigresize(void *p, size_t size, size_t new_size);

/*
 * vd_util_par2 - fn(a) on this thread and fn(b) on a second one, both done
 * on return (bulk passes of an import split in two halves).  When no
 * thread can be started, fn(b) runs here after fn(a): the result is the
 * same, only slower.  fn must not touch what the other half touches.
 */
void vd_util_par2(void (*fn)(void *), void *a, void *b);

/* util_recs - a growing list of owned byte strings (records copied out
 * of a transaction before it changes them).  Start zeroed. */
typedef struct util_recs {
	uint8_t **rec;
	size_t *len;
	size_t n, cap;
} util_recs;

/* vd_util_recs_add - append a copy of a[0..alen) followed by b[0..blen)
 * (b may be NULL when blen is 0); 0 ok, -1 out of memory */
int vd_util_recs_add(util_recs *r, const void *a, size_t alen, const void *b,
		  size_t blen);
void vd_util_recs_free(util_recs *r);

/* The logger every module gets: the caller's callback, may be NULL. */
typedef struct vd_logger {
	verdict_log_fn fn;
	void *arg;
} vd_logger;

void vd_log(const vd_logger *lg, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vd_vlog(const vd_logger *lg, int level, const char *fmt, va_list ap);

/*
 * vd_ratelimit - "once per interval" gate for repeated warnings: returns 1
 * when the caller may log now (and records the time), 0 when it logged
 * less than interval_ns ago.  Lock-free; *last starts at 0.
 */
int vd_ratelimit(int64_t *last, int64_t interval_ns);

#endif
