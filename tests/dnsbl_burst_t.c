/*
 * dnsbl_burst_t.c - a burst of checks of one uncached IP wakes in time
 *
 * tests/dnsresponder.py on loopback; zone slow.test answers 150 ms after
 * a query, so every check of the burst is waiting when the answer comes.
 * 2,000 threads (250 under the sanitizers, VERDICT_SANITIZED=1;
 * BURST_N=n changes it), released together by a barrier, each
 * verdict_check one new IP with dnsbl_timeout = 1s (2s under the
 * sanitizers): every check must block from the DNSBL.  A check whose
 * wake-up came after its deadline would be NEUTRAL (DNS failure is
 * unknown, never listed), so the test asserts that all of them woke,
 * right, within the deadline, with room for a loaded CI machine
 * (tests/bench/burst_bench.sh measures the wake-up itself).
 * Three bursts, each on a new IP; the server sees one query per burst.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "verdict.h"

#define BURST 2000
#define BURST_SAN 250
#define BURSTS 3
#define STACK (128 * 1024)

typedef tu_responder responder;


typedef struct barg {
	verdict_ctx *c;
	pthread_barrier_t *go;
	const char *ip;
	int rc, kind, source_kind;
	long us;
} barg;

static void *
burst_thread(void *p)
{
	barg *a = p;
	verdict_result *r = verdict_result_new();

	a->rc = -1;
	pthread_barrier_wait(a->go);
	if (r == NULL)
		return NULL;
	a->rc = verdict_check(a->c, 1, a->ip, r);
	a->kind = verdict_result_kind(r);
	a->source_kind = verdict_result_source_kind(r);
	a->us = verdict_result_elapsed_us(r);
	verdict_result_free(r);
	return NULL;
}

/* one_burst - n threads check ip at once; the number of wrong answers */
static int
one_burst(verdict_ctx *c, const char *ip, int n, long *maxus)
{
	pthread_barrier_t go;
	pthread_attr_t attr;
	pthread_t *th = calloc((size_t)n, sizeof(*th));
	barg *args = calloc((size_t)n, sizeof(*args));
	int started = 0, bad = 0;

	ck_assert_ptr_nonnull(th);
	ck_assert_ptr_nonnull(args);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK);
	ck_assert_int_eq(pthread_barrier_init(&go, NULL, (unsigned)n + 1), 0);
	for (int i = 0; i < n; i++) {
		args[i].c = c;
		args[i].go = &go;
		args[i].ip = ip;
		if (pthread_create(&th[i], &attr, burst_thread, &args[i]) != 0)
			break;
		started++;
	}
	/* threads that could not start: the barrier would never open */
	ck_assert_msg(started == n, "only %d of %d threads started", started,
		      n);
	pthread_barrier_wait(&go);
	*maxus = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		if (args[i].rc != 0 || args[i].kind != VERDICT_BLOCK ||
		    args[i].source_kind != VERDICT_SOURCE_DNSBL)
			bad++;
		if (args[i].us > *maxus)
			*maxus = args[i].us;
	}
	pthread_barrier_destroy(&go);
	pthread_attr_destroy(&attr);
	free(th);
	free(args);
	return bad;
}

START_TEST(burst)
{
	const char *dir = tu_tmpdir();
	const char *san = getenv("VERDICT_SANITIZED");
	const char *nenv = getenv("BURST_N");
	int sanitized = san && *san == '1';
	int n = sanitized ? BURST_SAN : BURST;
	long tmo_ms = sanitized ? 2000 : 1000, maxus;
	char text[1024], db[600], ip[32], qname[64];
	verdict_ctx *c;
	verdict_result *r;
	responder resp;
	char *conf;

	if (nenv && strtol(nenv, NULL, 10) > 0)
		n = (int)strtol(nenv, NULL, 10);
	if (!tu_responder_start(dir, &resp)) {
		tu_responder_stop(&resp, SIGTERM);
		ck_abort_msg("dnsresponder.py did not start");
	}
	snprintf(db, sizeof(db), "%s/db", dir);
	/* [profile 2] only lengthens the resolver's per-try timeout
	 * (a third of the longest dnsbl_timeout), so that the 150 ms
	 * answer comes before any retry */
	snprintf(text, sizeof(text), "database = %s\n"
		 "dns_servers = 127.0.0.1:%d\ndnsbl_sites = slow.test\n"
		 "dnsbl_timeout = %ldms\nlog_verdicts = none\n"
		 "[profile 2]\ndnsbl_timeout = 3s\n", db, resp.port, tmo_ms);
	conf = tu_write(dir, "verdict.conf", text);
	c = verdict_new();
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(verdict_load_config(c, conf), 0);
	ck_assert_msg(verdict_open(c, 0) == 0, "open: %s",
		      verdict_errdetail());
	/* the zone's self-test first: the bursts wait for the answer only */
	r = verdict_result_new();
	ck_assert_int_eq(verdict_check(c, 1, "198.18.255.1", r), 0);
	ck_assert_int_eq(verdict_result_kind(r), VERDICT_BLOCK);
	verdict_result_free(r);
	for (int k = 1; k <= BURSTS; k++) {
		int bad;

		snprintf(ip, sizeof(ip), "198.18.0.%d", k);
		bad = one_burst(c, ip, n, &maxus);
		snprintf(qname, sizeof(qname), "%d.0.18.198.slow.test", k);
		fprintf(stderr, "burst %d: %d checks of %s, %d wrong, slowest "
			"%ld ms (deadline %ld ms, answer after 150 ms), %d "
			"queries\n", k, n, ip, bad, maxus / 1000, tmo_ms,
			tu_count_lines(resp.log, qname));
		ck_assert_msg(bad == 0, "burst %d: %d of %d checks were not "
			      "blocked by the DNSBL within %ld ms", k, bad, n,
			      tmo_ms);
		ck_assert_int_eq(tu_count_lines(resp.log, qname), 1);
	}
	tu_responder_stop(&resp, SIGTERM);
	verdict_free(c);
	free(conf);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("dnsbl_burst");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, burst);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	if (system("command -v python3 >/dev/null 2>&1") != 0) {
		printf("SKIP: python3 is not installed\n");
		return TU_SKIP;
	}
	return tu_run(suite());
}
