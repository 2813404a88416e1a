/*
 * bench_burst.c - a burst of checks of one uncached IP: how soon do all
 * of them return once the zone has answered
 *
 * Usage: bench_burst CONF THREADS REPS
 *
 * CONF names one DNSBL zone on a loopback server (tests/bench/
 * burst_bench.sh: dnsresponder.py's listed.test, answered at once, or
 * slow.test, after 150 ms).  THREADS threads (128 KiB stacks) check one
 * IP together, released by a barrier, REPS times, each time a new IP (so
 * never cached); a warm-up check first settles the zone's self-test.
 * Each check's return is timed (CLOCK_MONOTONIC).  The first return of a
 * burst is the answer's arrival (no check can return before it: the IP
 * is not cached), so "spread" = last return - first return is how long
 * the last waiter took to wake after the answer; "last" = last return -
 * release.
 *
 * Also per burst: the CPU time (user + system) and context switches of
 * the process, which measure the wake-up's cost on a busy machine too.
 *
 * Prints one line per burst and a summary line "burst: threads=N reps=R
 * spread_ms_median=... spread_ms_max=... last_ms_median=...
 * cpu_ms_median=... csw_median=... wrong=W", wrong counting checks that
 * were not BLOCK from the DNSBL.
 *
 * Diagnostics: "bench_burst: what" on stderr, exit 1.  Limits: timings
 * are wall-clock on whatever else the machine is doing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_arg.h"
#include "verdict.h"

#define STACK (128 * 1024)

static verdict_ctx *ctx;
static pthread_barrier_t go, done;
static char ip[64];
static int64_t *ret_ns, *start_ns;
static int *wrong;
static int nthreads, reps;

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_burst: %s: %s\n", what, verdict_errdetail());
	exit(1);
}

static void *
run(void *p)
{
	int id = (int)(intptr_t)p;
	verdict_result *r = verdict_result_new();

	if (r == NULL)
		abort();
	for (int k = 0; k < reps; k++) {
		pthread_barrier_wait(&go);
		start_ns[id] = now_ns();
		if (verdict_check(ctx, 1, ip, r) != VERDICT_OK ||
		    verdict_result_kind(r) != VERDICT_BLOCK ||
		    verdict_result_source_kind(r) != VERDICT_SOURCE_DNSBL)
			wrong[id]++;
		ret_ns[id] = now_ns();
		pthread_barrier_wait(&done);
	}
	verdict_result_free(r);
	return NULL;
}

/* cpu - user + system time of the process (ms) and its context
 * switches: what a burst costs, whatever else the machine runs */
static double
cpu(long *csw)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*csw = ru.ru_nvcsw + ru.ru_nivcsw;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	verdict_result *r;
	pthread_attr_t attr;
	pthread_t *th;
	double *spread, *last, *cms, *csws, smax = 0, c0;
	long sw0, sw1;
	int64_t t0, lo, hi, shi;
	long bad = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_burst CONF THREADS REPS\n");
		return 2;
	}
	nthreads = (int)bench_num_arg(argv[2], 1, 100000, "bench_burst: THREADS");
	reps = (int)bench_num_arg(argv[3], 1, 1000, "bench_burst: REPS");
	if ((ctx = verdict_new()) == NULL ||
	    verdict_load_config(ctx, argv[1]) != VERDICT_OK ||
	    verdict_open(ctx, 0) != VERDICT_OK)
		die("open");
	/* the zone's self-test, and the resolver's first socket */
	r = verdict_result_new();
	if (r == NULL || verdict_check(ctx, 1, "198.18.255.1", r) != 0 ||
	    verdict_result_kind(r) != VERDICT_BLOCK)
		die("warm-up check (is the zone answering?)");
	verdict_result_free(r);
	th = calloc((size_t)nthreads, sizeof(*th));
	ret_ns = calloc((size_t)nthreads, sizeof(*ret_ns));
	start_ns = calloc((size_t)nthreads, sizeof(*start_ns));
	wrong = calloc((size_t)nthreads, sizeof(*wrong));
	spread = calloc((size_t)reps, sizeof(*spread));
	last = calloc((size_t)reps, sizeof(*last));
	cms = calloc((size_t)reps, sizeof(*cms));
	csws = calloc((size_t)reps, sizeof(*csws));
	if (!cms || !csws || !th || !ret_ns || !start_ns || !wrong || !spread || !last)
		die("calloc");
	pthread_barrier_init(&go, NULL, (unsigned)nthreads + 1);
	pthread_barrier_init(&done, NULL, (unsigned)nthreads + 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK);
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], &attr, run, (void *)(intptr_t)i))
			die("pthread_create");
	for (int k = 0; k < reps; k++) {
		snprintf(ip, sizeof(ip), "198.18.%d.%d", k / 250, k % 250 + 1);
		c0 = cpu(&sw0);
		t0 = now_ns();
		pthread_barrier_wait(&go);
		pthread_barrier_wait(&done);
		cms[k] = cpu(&sw1) - c0;
		csws[k] = (double)(sw1 - sw0);
		lo = hi = ret_ns[0];
		shi = start_ns[0];
		for (int i = 1; i < nthreads; i++) {
			shi = start_ns[i] > shi ? start_ns[i] : shi;
			lo = ret_ns[i] < lo ? ret_ns[i] : lo;
			hi = ret_ns[i] > hi ? ret_ns[i] : hi;
		}
		spread[k] = (double)(hi - lo) / 1e6;
		last[k] = (double)(hi - t0) / 1e6;
		smax = spread[k] > smax ? spread[k] : smax;
		printf("burst %d: %s, last thread running %.1f ms after the "
		       "release, first return %.1f ms, last %.1f ms, spread "
		       "%.1f ms, cpu %.0f ms, %.0f context switches\n", k, ip,
		       (double)(shi - t0) / 1e6, (double)(lo - t0) / 1e6,
		       last[k], spread[k], cms[k], csws[k]);
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		bad += wrong[i];
	}
	qsort(spread, (size_t)reps, sizeof(*spread), cmp_d);
	qsort(last, (size_t)reps, sizeof(*last), cmp_d);
	qsort(cms, (size_t)reps, sizeof(*cms), cmp_d);
	qsort(csws, (size_t)reps, sizeof(*csws), cmp_d);
	printf("burst: threads=%d reps=%d spread_ms_median=%.1f "
	       "spread_ms_max=%.1f last_ms_median=%.1f cpu_ms_median=%.0f "
	       "csw_median=%.0f wrong=%ld\n", nthreads, reps,
	       spread[reps / 2], smax, last[reps / 2], cms[reps / 2],
	       csws[reps / 2], bad);
	verdict_free(ctx);
	return bad ? 1 : 0;
}
