/*
 * util.c - small shared helpers
 *
 *	vd_util_err	record the thread's error detail, return the code
 *	vd_util_strlcpy	bounded copy
 *	vd_util_parse_long	strict decimal parsing with a range
 *	vd_util_utf8_cut	cut a string on a UTF-8 boundary
 *	vd_log		format a line for the caller's log callback
 *	vd_ratelimit	once-per-interval gate for repeated warnings
 *	vd_util_bigalloc	prefaulted anonymous memory for bulk passes
 *	vd_util_recs_add	append a copy to a list of owned records
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "util.h"

static __thread char err_detail[512];
static __thread int err_lower;

int
vd_util_err(int code, int lower, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_detail, sizeof(err_detail), fmt, ap);
	va_end(ap);
	err_lower = lower;
	return code;
}

void
vd_util_clear_err(void)
{
	err_detail[0] = 0;
	err_lower = 0;
}

VERDICT_API const char *
verdict_errdetail(void)
{
	return err_detail;
}

VERDICT_API int
verdict_errlower(void)
{
	return err_lower;
}

size_t
vd_util_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = 0;
	}
	return len;
}

/* vd_util_parse_long - no white space, no '+', no leading zeros but "0". */
int
vd_util_parse_long(const char *s, size_t len, long min, long max, long *out)
{
	size_t i = 0;
	int neg = 0;
	unsigned long v = 0, lim;

	if (len && s[0] == '-' && min < 0) {
		neg = 1;
		i = 1;
	}
	if (i == len)
		return -1;
	if (s[i] == '0' && len - i > 1)
		return -1;
	lim = neg ? (unsigned long)(-(min + 1)) + 1 : (unsigned long)max;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (lim - (unsigned long)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (neg) {
		long r = v == 0 ? 0 : -(long)(v - 1) - 1;

		if (r < min)
			return -1;
		*out = r;
	} else {
		if (v > (unsigned long)max || (long)v < min)
			return -1;
		*out = (long)v;
	}
	return 0;
}

size_t
vd_util_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	if (n == len)
		return n;
	/* back up over continuation bytes to the start of the cut char */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

void
vd_vlog(const vd_logger *lg, int level, const char *fmt, va_list ap)
{
	char line[1024];

	if (lg == NULL || lg->fn == NULL)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	lg->fn(level, line, lg->arg);
}

void
vd_log(const vd_logger *lg, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vd_vlog(lg, level, fmt, ap);
	va_end(ap);
}

int
vd_ratelimit(int64_t *last, int64_t interval_ns)
{
	int64_t now = vd_clock_now_ns();
	int64_t prev = __atomic_load_n(last, __ATOMIC_RELAXED);

	if (prev != 0 && now - prev < interval_ns)
		return 0;
	return __atomic_compare_exchange_n(last, &prev, now, 0,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23	/* Linux 5.14 */
#endif

/* below this, malloc: a mapping costs syscalls a small import notices */
#define BIG_MIN ((size_t)1 << 20)

void *
vd_util_bigreserve(size_t size)
{
	void *p;

	if (size < BIG_MIN)
		return malloc(size ? size : 1);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void *
vd_util_bigalloc(size_t size)
{
	void *p = vd_util_bigreserve(size);

	/* a hint: an older kernel just says no */
	if (p != NULL && size >= BIG_MIN)
		(void)madvise(p, size, MADV_POPULATE_WRITE);
	return p;
}

void *
vd_util_bigresize(void *p, size_t size, size_t new_size)
{
	void *np;

	if (size >= BIG_MIN && new_size >= BIG_MIN) {
		np = mremap(p, size, new_size, MREMAP_MAYMOVE);
		return np == MAP_FAILED ? NULL : np;
	}
	if (size < BIG_MIN && new_size < BIG_MIN)
		return realloc(p, new_size ? new_size : 1);
	if ((np = vd_util_bigreserve(new_size)) == NULL)
		return NULL;
	memcpy(np, p, size < new_size ? size : new_size);
	vd_util_bigfree(p, size);
	return np;
}

void
vd_util_bigfree(void *p, size_t size)
{
	if (p == NULL)
		return;
	if (size < BIG_MIN)
		free(p);
	else
		munmap(p, size);
}

typedef struct par2_arg {
	void (*fn)(void *);
	void *arg;
} par2_arg;

static void *
par2_run(void *p)
{
	par2_arg *a = p;

	a->fn(a->arg);
	return NULL;
}

void
vd_util_par2(void (*fn)(void *), void *a, void *b)
{
	par2_arg pb = { fn, b };
	pthread_t th;

	if (pthread_create(&th, NULL, par2_run, &pb) != 0) {
		fn(a);
		fn(b);
		return;
	}
	fn(a);
	pthread_join(th, NULL);
}

int
vd_util_recs_add(util_recs *r, const void *a, size_t alen, const void *b,
	      size_t blen)
{
	uint8_t *c;

	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 16;
		uint8_t **nr = realloc(r->rec, nc * sizeof(*nr));
		size_t *nl;

		if (nr == NULL)
			return -1;
		r->rec = nr;
		if ((nl = realloc(r->len, nc * sizeof(*nl))) == NULL)
			return -1;
		r->len = nl;
		r->cap = nc;
	}
	if ((c = malloc(alen + blen ? alen + blen : 1)) == NULL)
		return -1;
	memcpy(c, a, alen);
	if (blen)
		memcpy(c + alen, b, blen);
	r->rec[r->n] = c;
	r->len[r->n++] = alen + blen;
	return 0;
}

void
vd_util_recs_free(util_recs *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->rec[i]);
	free(r->rec);
	free(r->len);
	memset(r, 0, sizeof(*r));
}
