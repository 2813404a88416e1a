/*
 * vm_stats.c - verdict-milter's counters: verdicts by kind and source, DNS
 * outcomes, a latency histogram
 *
 *	vm_stats_connect	count one connect callback
 *	vm_stats_skip		count a connection accepted without a check
 *	vm_stats_record		count one finished check
 *	vm_stats_log		emit the counters as log lines
 *	vm_stats_percentile	latency percentile from the histogram
 *
 * Every counter is a relaxed atomic: a thread per connection updates them
 * with no lock, and a report may be a few counts inconsistent between
 * lines, which a periodic report can afford.  Counters run from the start
 * of the process (a reload keeps them).
 *
 * Latency is the library's own elapsed time of the check, put into fixed
 * buckets (1 µs .. 5 s, finer below 1 ms where the target is); a
 * percentile is reported as the upper bound of its bucket, so "p99<=700"
 * means at least 99 % of the checks took at most 700 µs.
 *
 * Sources are the verdict's source text (a table name, a DNSBL display
 * name, "geo", ...), kept in a fixed open-addressing table whose slots are
 * claimed with compare-and-swap.
 *
 * Limits: at most SRC_SLOTS distinct sources; later ones count under
 * "other".  Source names are cut at SRC_NAME bytes.  DNS answers are
 * counted from the per-zone detail the library returns (timeouts,
 * SERVFAIL, operator error codes 127.255.255.x, other errors); the
 * library's cache hits are not visible through the public API.
 */
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_stats.h"

#define NKIND 5			/* verdict_kind values 0..4 */
#define SRC_SLOTS 64
#define SRC_NAME 64

static const long bucket_max[] = {
	1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700,
	1000, 1500, 2000, 3000, 5000, 7000, 10000, 20000, 50000, 100000,
	200000, 500000, 1000000, 2000000, 5000000, LONG_MAX
};
#define NBUCKET (sizeof(bucket_max) / sizeof(bucket_max[0]))

typedef struct src_slot {
	_Atomic(char *) name;
	atomic_ulong n[NKIND];
} src_slot;

static atomic_ulong n_connect, n_skip, n_kind[NKIND], n_would_block;
static atomic_ulong n_dns_timeout, n_dns_servfail, n_dns_errcode,
		    n_dns_other;
static atomic_ulong hist[NBUCKET];
static atomic_long lat_max;
static src_slot src[SRC_SLOTS];
static src_slot src_other;

void
vm_stats_connect(void)
{
	atomic_fetch_add_explicit(&n_connect, 1, memory_order_relaxed);
}

void
vm_stats_skip(void)
{
	atomic_fetch_add_explicit(&n_skip, 1, memory_order_relaxed);
}

/* src_find - the slot of a source name, claiming a free one if needed */
static src_slot *
src_find(const char *name)
{
	char buf[SRC_NAME + 1];
	unsigned h = 2166136261u;
	size_t i, len;

	len = strlen(name);
	if (len > SRC_NAME)
		len = SRC_NAME;
	memcpy(buf, name, len);
	buf[len] = 0;
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)buf[i]) * 16777619u;
	for (i = 0; i < SRC_SLOTS; i++) {
		src_slot *s = &src[(h + i) % SRC_SLOTS];
		char *cur = atomic_load_explicit(&s->name,
						 memory_order_acquire);
		char *mine;

		if (cur == NULL) {
			if ((mine = strdup(buf)) == NULL)
				return &src_other;
			if (atomic_compare_exchange_strong(&s->name, &cur,
							   mine))
				return s;
			free(mine);	/* another thread won: cur is its name */
		}
		if (strcmp(cur, buf) == 0)
			return s;
	}
	return &src_other;
}

/* dns_count - classify the per-zone answers of one check */
static void
dns_count(const verdict_result *res)
{
	size_t i, n = verdict_result_zone_count(res);
	const char *ans;

	for (i = 0; i < n; i++) {
		if (verdict_result_zone(res, i, NULL, &ans, NULL, NULL) != 0 ||
		    ans == NULL)
			continue;
		if (strcmp(ans, "timeout") == 0)
			atomic_fetch_add_explicit(&n_dns_timeout, 1,
						  memory_order_relaxed);
		else if (strcmp(ans, "SERVFAIL") == 0)
			atomic_fetch_add_explicit(&n_dns_servfail, 1,
						  memory_order_relaxed);
		else if (strstr(ans, "127.255.255.") != NULL)
			atomic_fetch_add_explicit(&n_dns_errcode, 1,
						  memory_order_relaxed);
		else if (strcmp(ans, "NXDOMAIN") != 0 &&
			 strncmp(ans, "127.", 4) != 0)
			atomic_fetch_add_explicit(&n_dns_other, 1,
						  memory_order_relaxed);
	}
}

void
vm_stats_record(const verdict_result *res)
{
	int kind = verdict_result_kind(res);
	long us = verdict_result_elapsed_us(res);
	long prev;
	const char *source;
	size_t b;

	if (kind < 0 || kind >= NKIND)
		kind = VERDICT_ERROR;
	atomic_fetch_add_explicit(&n_kind[kind], 1, memory_order_relaxed);
	if (verdict_result_would_block(res))
		atomic_fetch_add_explicit(&n_would_block, 1,
					  memory_order_relaxed);
	source = verdict_result_source(res);
	if (source != NULL && *source)
		atomic_fetch_add_explicit(&src_find(source)->n[kind], 1,
					  memory_order_relaxed);
	dns_count(res);
	if (us < 0)
		us = 0;
	for (b = 0; b < NBUCKET - 1 && us > bucket_max[b]; b++)
		;
	atomic_fetch_add_explicit(&hist[b], 1, memory_order_relaxed);
	prev = atomic_load_explicit(&lat_max, memory_order_relaxed);
	while (us > prev && !atomic_compare_exchange_weak(&lat_max, &prev, us))
		;
}

long
vm_stats_percentile(int pct)
{
	unsigned long total = 0, seen = 0, want;
	unsigned long snap[NBUCKET];
	size_t b;

	for (b = 0; b < NBUCKET; b++)
		total += snap[b] = atomic_load_explicit(&hist[b],
							memory_order_relaxed);
	if (total == 0)
		return 0;
	/* the smallest bucket holding the ceil(pct% of total)-th check */
	want = (total * (unsigned long)pct + 99) / 100;
	if (want == 0)
		want = 1;
	for (b = 0; b < NBUCKET; b++) {
		seen += snap[b];
		if (seen >= want)
			break;
	}
	if (b >= NBUCKET - 1)	/* the open bucket: say the maximum seen */
		return atomic_load_explicit(&lat_max, memory_order_relaxed);
	return bucket_max[b];
}

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

void
vm_stats_log(void (*emit)(const char *line))
{
	char line[512];
	size_t i;

	snprintf(line, sizeof(line), "stats: connections=%lu unchecked=%lu "
		 "neutral=%lu allow=%lu block=%lu tempfail=%lu error=%lu "
		 "would_block=%lu latency_us_p50<=%ld latency_us_p99<=%ld "
		 "latency_us_max=%ld",
		 LD(n_connect), LD(n_skip), LD(n_kind[VERDICT_NEUTRAL]),
		 LD(n_kind[VERDICT_ALLOW]), LD(n_kind[VERDICT_BLOCK]),
		 LD(n_kind[VERDICT_TEMPFAIL]), LD(n_kind[VERDICT_ERROR]),
		 LD(n_would_block), vm_stats_percentile(50),
		 vm_stats_percentile(99), LD(lat_max));
	emit(line);
	snprintf(line, sizeof(line), "stats: dns_timeout=%lu dns_servfail=%lu "
		 "dns_error_code=%lu dns_other_error=%lu", LD(n_dns_timeout),
		 LD(n_dns_servfail), LD(n_dns_errcode), LD(n_dns_other));
	emit(line);
	for (i = 0; i <= SRC_SLOTS; i++) {
		src_slot *s = i < SRC_SLOTS ? &src[i] : &src_other;
		const char *name = i < SRC_SLOTS ? atomic_load(&s->name) :
				   "other";

		if (name == NULL || LD(s->n[0]) + LD(s->n[1]) + LD(s->n[2]) +
		    LD(s->n[3]) + LD(s->n[4]) == 0)
			continue;
		snprintf(line, sizeof(line), "stats: source=%s neutral=%lu "
			 "allow=%lu block=%lu tempfail=%lu error=%lu", name,
			 LD(s->n[VERDICT_NEUTRAL]), LD(s->n[VERDICT_ALLOW]),
			 LD(s->n[VERDICT_BLOCK]), LD(s->n[VERDICT_TEMPFAIL]),
			 LD(s->n[VERDICT_ERROR]));
		emit(line);
	}
}
