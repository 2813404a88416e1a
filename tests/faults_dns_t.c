/*
 * faults_dns_t.c - DNS faults through the public API
 *
 * The DNS server is tests/dnsresponder.py on loopback, which logs every
 * query it receives, so queries are counted where they arrive.
 *
 * Cases:
 *   stampede	10,000 checks of one uncached IP at once (10,000 threads,
 *		released together by a barrier; 1,000 under the sanitizers,
 *		VERDICT_SANITIZED=1), zones sleepy.test (answers after 1 s)
 *		and listed.test: every check blocks with score 2 (inside
 *		its 5 s deadline), and the server sees exactly one query
 *		per zone for that IP.  STAMPEDE_N=n changes the count.
 *   vanish	the server is killed (SIGKILL) once the query of a check
 *		that waits for sleepy.test with dnsbl_timeout = 500ms has
 *		reached it: the verdict comes by the timeout (plus a
 *		margin, scaled under the sanitizers), NEUTRAL with
 *		on_dns_failure = neutral, TEMPFAIL with on_dns_failure =
 *		tempfail
 */
#include <errno.h>
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

#define STAMPEDE 10000
#define STAMPEDE_SAN 1000
#define STACK (128 * 1024)

typedef tu_responder responder;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}


static verdict_ctx *
open_ctx(const char *dir, const responder *r, const char *extra)
{
	char text[2048], db[600];
	verdict_ctx *c;
	char *conf;

	snprintf(db, sizeof(db), "%s/db", dir);
	snprintf(text, sizeof(text),
		 "database = %s\ndns_servers = 127.0.0.1:%d\n%s", db, r->port,
		 extra);
	conf = tu_write(dir, "verdict.conf", text);
	/* an empty database: the DNS is all there is */
	c = verdict_new();
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(verdict_load_config(c, conf), 0);
	ck_assert_msg(verdict_open(c, VERDICT_OPEN_WRITE | VERDICT_OPEN_CREATE)
		      == 0, "open: %s", verdict_errdetail());
	free(conf);
	return c;
}

/* --- stampede */

typedef struct sarg {
	verdict_ctx *c;
	pthread_barrier_t *bar;
	int kind, score, rc, source_kind;
	long us;
} sarg;

static void *
stampede_thread(void *p)
{
	sarg *a = p;
	verdict_result *r = verdict_result_new();

	if (r == NULL) {
		a->rc = -1;
		return NULL;
	}
	pthread_barrier_wait(a->bar);
	a->rc = verdict_check(a->c, 1, "127.8.0.1", r);
	a->kind = verdict_result_kind(r);
	a->score = verdict_result_score(r);
	a->source_kind = verdict_result_source_kind(r);
	a->us = verdict_result_elapsed_us(r);
	verdict_result_free(r);
	return NULL;
}

START_TEST(stampede)
{
	const char *dir = tu_tmpdir();
	const char *san = getenv("VERDICT_SANITIZED");
	int n = san && *san == '1' ? STAMPEDE_SAN : STAMPEDE;
	const char *nenv = getenv("STAMPEDE_N");
	responder resp;
	pthread_barrier_t bar;
	pthread_attr_t attr;
	pthread_t *th;
	sarg *args;
	int started = 0, bad = 0, q1, q2;
	verdict_ctx *c;
	long long t0, ms;
	long maxus = 0;

	if (nenv && strtol(nenv, NULL, 10) > 0)	/* for measuring */
		n = (int)strtol(nenv, NULL, 10);
	th = calloc((size_t)n, sizeof(*th));
	args = calloc((size_t)n, sizeof(*args));
	ck_assert_ptr_nonnull(th);
	ck_assert_ptr_nonnull(args);
	if (!tu_responder_start(dir, &resp)) {
		tu_responder_stop(&resp, SIGKILL);
		ck_abort_msg("dnsresponder.py did not start");
	}
	c = open_ctx(dir, &resp, "dnsbl_sites = sleepy.test*1 listed.test*1\n"
		     "dnsbl_threshold = 2\ndnsbl_timeout = 5s\n");
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK);
	ck_assert_int_eq(pthread_barrier_init(&bar, NULL, (unsigned)n + 1), 0);
	for (int i = 0; i < n; i++) {
		args[i].c = c;
		args[i].bar = &bar;
		if (pthread_create(&th[i], &attr, stampede_thread, &args[i]) != 0)
			break;
		started++;
	}
	if (started < n) {
		/* release the ones that started, then report */
		tu_responder_stop(&resp, SIGTERM);
		ck_abort_msg("only %d of %d threads could start", started, n);
	}
	t0 = now_ms();
	pthread_barrier_wait(&bar);
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		if (args[i].rc != 0 || args[i].kind != VERDICT_BLOCK ||
		    args[i].score != 2 ||
		    args[i].source_kind != VERDICT_SOURCE_DNSBL)
			bad++;
	}
	ms = now_ms() - t0;
	for (int i = 0; i < n; i++)
		if (args[i].us > maxus)
			maxus = args[i].us;
	q1 = tu_count_lines(resp.log, "1.0.8.127.sleepy.test");
	q2 = tu_count_lines(resp.log, "1.0.8.127.listed.test");
	tu_responder_stop(&resp, SIGTERM);
	fprintf(stderr, "stampede: %d threads at once, %d wrong answers, all done in %lld ms, "
	       "slowest check %ld ms, queries: sleepy.test %d, listed.test "
	       "%d\n", n, bad, ms, maxus / 1000, q1, q2);
	ck_assert_msg(bad == 0, "%d of %d checks were not block/2", bad, n);
	ck_assert_int_eq(q1, 1);
	ck_assert_int_eq(q2, 1);
	/* every check got the one answer inside its own 5 s deadline (a
	 * late one would be neutral, score 1): no check waited for a
	 * second round of queries */
	verdict_free(c);
	pthread_attr_destroy(&attr);
	pthread_barrier_destroy(&bar);
	free(th);
	free(args);
}
END_TEST

/* --- vanish */

static const struct {
	const char *label, *policy;
	int kind;
} vanish_cases[] = {
	{ "on_dns_failure = neutral", "neutral", VERDICT_NEUTRAL },
	{ "on_dns_failure = tempfail", "tempfail", VERDICT_TEMPFAIL },
};

typedef struct karg {
	responder *r;
} karg;

/* killer - kill the server once the check's query has reached it (its
 * log line), 5 s at most */
static void *
killer(void *p)
{
	karg *a = p;
	long long end = now_ms() + 5000;

	while (tu_count_lines(a->r->log, "2.0.8.127.sleepy.test") < 1
	       && now_ms() < end)
		usleep(2000);
	kill(a->r->pid, SIGKILL);
	return NULL;
}

/* scaled - a time bound in ms, four times as long in sanitizer builds
 * (VERDICT_SANITIZED=1), which run several times slower */
static long long
scaled(long long ms)
{
	const char *san = getenv("VERDICT_SANITIZED");

	return san && strcmp(san, "1") == 0 ? 4 * ms : ms;
}

/* the time to wake up and return after a deadline, on a 2-core machine
 * running two tests at once; a check that missed its deadline would wait
 * for another try of the resolver, 500 ms more at the least */
#define MARGIN_MS 200

START_TEST(vanish)
{
	const char *dir = tu_tmpdir();
	responder resp;
	verdict_result *r = verdict_result_new();
	char extra[256];
	verdict_ctx *c;
	pthread_t kt;
	karg ka = { &resp };
	long long t0, ms;

	if (!tu_responder_start(dir, &resp)) {
		tu_responder_stop(&resp, SIGKILL);
		ck_abort_msg("dnsresponder.py did not start");
	}
	snprintf(extra, sizeof(extra), "dnsbl_sites = sleepy.test*3\n"
		 "dnsbl_timeout = 500ms\non_dns_failure = %s\n",
		 vanish_cases[_i].policy);
	c = open_ctx(dir, &resp, extra);
	ck_assert_int_eq(pthread_create(&kt, NULL, killer, &ka), 0);
	t0 = now_ms();
	ck_assert_int_eq(verdict_check(c, 1, "127.8.0.2", r), 0);
	ms = now_ms() - t0;
	pthread_join(kt, NULL);
	tu_responder_stop(&resp, SIGKILL);
	fprintf(stderr, "vanish (%s): %s after %lld ms\n", vanish_cases[_i].label,
	       verdict_kind_name(verdict_result_kind(r)), ms);
	/* by the deadline: a dead server may also end it sooner */
	ck_assert_msg(ms <= 500 + scaled(MARGIN_MS), "%s: %lld ms > 500 ms + %lld",
		      vanish_cases[_i].label, ms, scaled(MARGIN_MS));
	ck_assert_msg(verdict_result_kind(r) == vanish_cases[_i].kind,
		      "%s: %s", vanish_cases[_i].label,
		      verdict_kind_name(verdict_result_kind(r)));
	ck_assert_int_eq(verdict_result_score(r), 0);
	verdict_result_free(r);
	verdict_free(c);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("faults_dns");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, stampede);
	tcase_add_loop_test(tc, vanish, 0,
			    sizeof(vanish_cases) / sizeof(vanish_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	if (access("/usr/bin/python3", X_OK) != 0 &&
	    system("command -v python3 >/dev/null 2>&1") != 0) {
		printf("SKIP: python3 is not installed\n");
		return TU_SKIP;
	}
	return tu_run(suite());
}
