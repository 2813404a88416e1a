/*
 * learn_t.c - learned reputation: the model (decay, threshold,
 * escalation, negative weights) on numbers, then the library on a real
 * database with an injected wall clock: reports, the verdict and its
 * order (allow wins), monitor mode, forgiveness, expiry, the safety
 * rules, bad input, the entry bound, a flood, and reporters in several
 * processes counted.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "store.h"
#include "testutil.h"
#include "verdict.h"

#define T0 1700000000LL
#define DAY 86400

static int64_t now_s = T0;

static int64_t
test_wall(void)
{
	return now_s;
}

static const learn_params P = { 3, DAY, 30 * DAY, 32, 64, 1000000 };

START_TEST(model_decay_and_threshold)
{
	learn_rec r;

	vd_learn_model_new(&P, &r, T0);
	vd_learn_model_apply(&P, &r, T0, 1, "a", 1);
	vd_learn_model_apply(&P, &r, T0 + 1, 1, NULL, 0);
	ck_assert(!vd_learn_model_blocked(&P, &r, T0 + 1));
	vd_learn_model_apply(&P, &r, T0 + 3, 1, "c", 1);
	/* three reports within seconds block, though two have decayed */
	ck_assert(vd_learn_model_score(&r, T0 + 3) < 3);
	ck_assert(vd_learn_model_blocked(&P, &r, T0 + 3));
	ck_assert_str_eq(r.reason, "c");
	ck_assert_int_eq(r.reports, 3);
	/* one half-life later: half the score */
	ck_assert(fabs(vd_learn_model_score(&r, T0 + 3 + DAY) -
		       r.score / 2) < 1e-9);
	/* until: the last blocking second and the first free one */
	{
		uint64_t u = vd_learn_model_until(&P, &r, T0 + 3);

		ck_assert(u > T0 + 3);
		ck_assert(vd_learn_model_blocked(&P, &r, u - 1));
		ck_assert(!vd_learn_model_blocked(&P, &r, u));
		ck_assert_int_eq(vd_learn_model_until(&P, &r, u), 0);
	}
	/* a clock that goes back is no time passing */
	ck_assert(vd_learn_model_score(&r, T0) == r.score);
}
END_TEST

START_TEST(model_escalation)
{
	learn_rec r;
	uint32_t want = DAY;

	vd_learn_model_new(&P, &r, T0);
	for (int round = 0; round < 8; round++) {
		int64_t t = T0 + (int64_t)round * 400 * DAY;

		for (int i = 0; i < 3; i++)
			vd_learn_model_apply(&P, &r, (uint64_t)t, 1, NULL, 0);
		ck_assert(vd_learn_model_blocked(&P, &r, (uint64_t)t));
		ck_assert_int_eq(r.half_life, want);
		/* doubled on each later crossing, capped at 30 days */
		want = want * 2 > 30 * DAY ? 30 * DAY : want * 2;
	}
	ck_assert_int_eq(r.half_life, 30 * DAY);
	ck_assert_int_eq(r.crossings, 8);
	/* staying above the threshold is no new crossing */
	vd_learn_model_apply(&P, &r, T0 + 7 * 400 * DAY, 1, NULL, 0);
	ck_assert_int_eq(r.crossings, 8);
}
END_TEST

START_TEST(model_negative)
{
	learn_rec r;

	vd_learn_model_new(&P, &r, T0);
	for (int i = 0; i < 4; i++)
		vd_learn_model_apply(&P, &r, T0, 1, NULL, 0);
	ck_assert(vd_learn_model_blocked(&P, &r, T0));
	vd_learn_model_apply(&P, &r, T0, -2, NULL, 0);
	ck_assert(!vd_learn_model_blocked(&P, &r, T0));
	ck_assert(fabs(vd_learn_model_score(&r, T0) - 2) < 1e-9);
	vd_learn_model_apply(&P, &r, T0, -10, NULL, 0);
	ck_assert(vd_learn_model_score(&r, T0) < 0);
	/* decays towards zero, then is forgotten */
	ck_assert(!vd_learn_model_forgotten(&r, T0 + DAY));
	ck_assert(vd_learn_model_forgotten(&r, T0 + 20 * DAY));
}
END_TEST

/* setup - a database with tables learned, drop, ok; ctx with extra */
static verdict_ctx *
setup(const char *dir, const char *extra)
{
	const char *t[][2] = { { "drop", "block" }, { "ok", "allow" } };
	char conf[1024];
	verdict_ctx *c;

	tu_tables_create(dir, t, 2);
	c = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);
	ck_assert_int_eq(verdict_table_create(c, "learned",
					      VERDICT_TABLE_LEARNED),
			 VERDICT_OK);
	ck_assert_int_eq(verdict_add(c, "ok", "127.0.9.0/24", NULL, 0, NULL,
				     0), VERDICT_OK);
	ck_assert_int_eq(verdict_add(c, "drop", "127.0.8.0/24", "dropped", 0,
				     NULL, 0), VERDICT_OK);
	verdict_free(c);
	snprintf(conf, sizeof(conf), "learned_tables = learned\n"
		 "block_tables = drop\nallow_tables = ok\n"
		 "trusted_networks = 127.0.7.0/24\n%s", extra ? extra : "");
	return tu_open_ctx(dir, conf, VERDICT_OPEN_WRITE);
}

static void
report_n(verdict_ctx *c, const char *ip, int n, double w, const char *why)
{
	for (int i = 0; i < n; i++)
		ck_assert_msg(verdict_report(c, ip, w, why) == VERDICT_OK,
			      "%s", verdict_errdetail());
	ck_assert_int_eq(verdict_report_flush(c), VERDICT_OK);
}

START_TEST(api_block_decay_forgive)
{
	const char *dir = tu_tmpdir();
	verdict_ctx *c;
	verdict_result *r = verdict_result_new();
	size_t n, purged;

	now_s = T0;
	vd_clock_set_wall(test_wall);
	c = setup(dir, NULL);
	report_n(c, "127.0.0.5", 2, 1, "spam");
	tu_expect(c, "127.0.0.5", "neutral", "-", "-", "-");
	report_n(c, "127.0.0.5", 1, 1, "GTUBE");
	tu_expect(c, "127.0.0.5", "block", "learned", "127.0.0.5/32", "GTUBE");
	ck_assert_int_eq(verdict_check(c, 1, "127.0.0.5", r), VERDICT_OK);
	ck_assert_int_eq(verdict_result_source_kind(r), VERDICT_SOURCE_LEARNED);
	ck_assert_ptr_nonnull(strstr(verdict_result_reply(r), "learned"));
	/* explain names the score, the threshold and the time */
	ck_assert_int_eq(verdict_check_ex(c, 1, "127.0.0.5", 0,
					  VERDICT_CHECK_EXPLAIN, r),
			 VERDICT_OK);
	n = verdict_result_explain_count(r);
	ck_assert_ptr_nonnull(strstr(verdict_result_explain(r, n - 1),
				     "score 3.000 >= threshold 3, blocked "
				     "until"));
	/* IPv6: the /64 is the key */
	report_n(c, "2001:db8::1", 2, 1, NULL);
	report_n(c, "2001:db8::2", 1, 1, NULL);
	tu_expect(c, "2001:db8::ffff", "block", "learned", "2001:db8::/64",
		  "-");
	/* a day later the score has halved: free again */
	now_s = T0 + DAY;
	tu_expect(c, "127.0.0.5", "neutral", "-", "-", "-");
	/* back: crossing again doubles the half-life; 1.5 + 3 = 4.5 would
	 * be 2.25 a day later at the old half-life, is 3.18 at the new */
	report_n(c, "127.0.0.5", 3, 1, NULL);
	tu_expect(c, "127.0.0.5", "block", "learned", "127.0.0.5/32", "GTUBE");
	now_s = T0 + DAY + DAY;
	tu_expect(c, "127.0.0.5", "block", "learned", "127.0.0.5/32", "GTUBE");
	/* forgiveness: the whole /64 by one address in it, IPv4 by CIDR */
	ck_assert_int_eq(verdict_forgive(c, "2001:db8::7", &n), VERDICT_OK);
	ck_assert_int_eq(n, 1);
	tu_expect(c, "2001:db8::1", "neutral", "-", "-", "-");
	ck_assert_int_eq(verdict_forgive(c, "127.0.0.0/8", &n), VERDICT_OK);
	ck_assert_int_eq(n, 1);
	tu_expect(c, "127.0.0.5", "neutral", "-", "-", "-");
	/* expiry purges what decayed to nothing */
	report_n(c, "127.0.0.6", 1, 1, NULL);
	ck_assert_int_eq(verdict_expire(c, &purged), VERDICT_OK);
	ck_assert_int_eq(purged, 0);
	now_s += 20 * DAY;
	ck_assert_int_eq(verdict_expire(c, &purged), VERDICT_OK);
	ck_assert_int_eq(purged, 1);
	verdict_result_free(r);
	verdict_free(c);
	vd_clock_set_wall(NULL);
}
END_TEST

START_TEST(api_order_and_safety)
{
	const char *dir = tu_tmpdir();
	verdict_ctx *c;
	uint64_t acc, ign, lost;

	now_s = T0;
	vd_clock_set_wall(test_wall);
	c = setup(dir, NULL);
	/* ignored: loopback, trusted, allow-listed */
	report_n(c, "127.0.0.1", 5, 1, NULL);
	report_n(c, "::1", 5, 1, NULL);
	report_n(c, "127.0.7.1", 5, 1, NULL);
	report_n(c, "127.0.9.1", 5, 1, NULL);
	verdict_report_counts(c, &acc, &ign, &lost);
	ck_assert_int_eq(acc, 0);
	ck_assert_int_eq(ign, 20);
	tu_expect(c, "127.0.0.1", "neutral", "-", "-", "-");
	/* a block table answers before the learned one */
	report_n(c, "127.0.8.1", 5, 1, "x");
	tu_expect(c, "127.0.8.1", "block", "drop", "127.0.8.0/24", "dropped");
	/* an allow entry added after the reports still wins */
	report_n(c, "127.0.10.1", 5, 1, "x");
	tu_expect(c, "127.0.10.1", "block", "learned", "127.0.10.1/32", "x");
	verdict_free(c);
	c = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);
	ck_assert_int_eq(verdict_add(c, "ok", "127.0.10.1", NULL, 0, NULL, 0),
			 VERDICT_OK);
	verdict_free(c);
	c = tu_open_ctx(dir, "learned_tables = learned\nallow_tables = ok\n",
			VERDICT_OPEN_WRITE);
	tu_expect(c, "127.0.10.1", "allow", "ok", "127.0.10.1/32", "-");
	verdict_free(c);
	/* monitor mode: would-block only */
	c = tu_open_ctx(dir, "learned_tables = learned\nmode = monitor\n", 0);
	{
		verdict_result *r = verdict_result_new();

		ck_assert_int_eq(verdict_check(c, 1, "127.0.8.1", r),
				 VERDICT_OK);
		ck_assert_int_eq(verdict_result_kind(r), VERDICT_NEUTRAL);
		ck_assert_int_eq(verdict_result_would_block(r), 1);
		verdict_result_free(r);
	}
	/* a read-only context cannot report */
	ck_assert_int_eq(verdict_report(c, "127.0.0.3", 1, NULL),
			 VERDICT_ESTATE);
	verdict_free(c);
	vd_clock_set_wall(NULL);
}
END_TEST

/* dump_count - keys of the learned table, and the reports of one */
typedef struct dump_acc {
	size_t n;
	uint32_t reports;
	double min;
} dump_acc;

static int
dump_cb(const verdict_learned_entry *e, void *arg)
{
	dump_acc *a = arg;

	a->n++;
	if (strcmp(e->key, "127.0.0.5/32") == 0)
		a->reports = e->reports;
	if (a->n == 1 || e->score < a->min)
		a->min = e->score;
	return 0;
}

START_TEST(api_bad_input_nothing_written)
{
	const char *dir = tu_tmpdir();
	verdict_ctx *c;
	verdict_report_item it[4] = {
		{ "127.0.0.5", 1, NULL }, { "127.0.0.6", 2, "r" },
		{ "127.0.0.7", 0, NULL }, { "127.0.0.8", 1, NULL } };
	const double bad[] = { NAN, INFINITY, -INFINITY, 100.5, -101 };
	char longr[260];
	size_t b;
	dump_acc a = { 0, 0, 0 };

	c = setup(dir, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		it[2].weight = bad[i];
		rc = verdict_report_many(c, 1, it, 4, &b, NULL);
		ck_assert(rc == VERDICT_EINVAL || rc == VERDICT_ERANGE);
		ck_assert_int_eq(b, 2);
		ck_assert_int_eq(verdict_report(c, "127.0.0.5", bad[i], NULL),
				 rc);
	}
	it[2].weight = 1;
	it[3].ip = "127.0.0.256";
	ck_assert_int_eq(verdict_report_many(c, 1, it, 4, &b, NULL),
			 VERDICT_EINVAL);
	ck_assert_int_eq(b, 3);
	memset(longr, 'x', sizeof(longr) - 1);
	longr[sizeof(longr) - 1] = 0;
	ck_assert_int_eq(verdict_report(c, "127.0.0.5", 1, longr),
			 VERDICT_ERANGE);
	ck_assert_int_eq(verdict_report_flush(c), VERDICT_OK);
	ck_assert_int_eq(verdict_learned_dump(c, "learned", dump_cb, &a),
			 VERDICT_OK);
	ck_assert_int_eq(a.n, 0);
	ck_assert_int_eq(verdict_learned_dump(c, "drop", dump_cb, &a),
			 VERDICT_EINVAL);
	/* the entries of a learned table are not a block table's */
	ck_assert_int_eq(verdict_add(c, "learned", "1.2.3.4", NULL, 0, NULL,
				     0), VERDICT_EINVAL);
	verdict_free(c);
}
END_TEST

START_TEST(api_bound_and_flood)
{
	const char *dir = tu_tmpdir();
	verdict_ctx *c;
	verdict_report_item *it = calloc(300, sizeof(*it));
	char (*ips)[32] = calloc(300, 32);
	dump_acc a = { 0, 0, 0 };

	now_s = T0;
	vd_clock_set_wall(test_wall);
	c = setup(dir, "learn_max_entries = 128\n");
	/* a flood for one key: one record */
	for (int i = 0; i < 300; i++) {
		it[i].ip = "127.0.0.5";
		it[i].weight = 0.5;
	}
	ck_assert_int_eq(verdict_report_many(c, 1, it, 300, NULL, NULL),
			 VERDICT_OK);
	/* 300 new keys, weights rising: the lowest are dropped first */
	for (int i = 0; i < 300; i++) {
		snprintf(ips[i], 32, "127.1.%d.%d", i / 200, i % 200 + 1);
		it[i].ip = ips[i];
		it[i].weight = 1 + i / 10.0;
	}
	ck_assert_int_eq(verdict_report_many(c, 1, it, 300, NULL, NULL),
			 VERDICT_OK);
	ck_assert_int_eq(verdict_learned_dump(c, "learned", dump_cb, &a),
			 VERDICT_OK);
	ck_assert(a.n <= 128 && a.n >= 100);
	ck_assert_int_eq(a.reports, 300);	/* score 150: kept */
	ck_assert(a.min >= 1 + (300 - a.n) / 10.0 - 1e-9);
	verdict_free(c);
	free(it);
	free(ips);
	vd_clock_set_wall(NULL);
}
END_TEST

START_TEST(api_concurrent_processes)
{
	const char *dir = tu_tmpdir();
	verdict_ctx *c;
	dump_acc a = { 0, 0, 0 };
	pid_t pid[4];
	int st;

	c = setup(dir, "learn_commit_interval = 5ms\n");
	verdict_free(c);
	for (int p = 0; p < 4; p++) {
		if ((pid[p] = fork()) == 0) {
			verdict_ctx *x = tu_open_ctx(dir,
				"learned_tables = learned\n"
				"learn_commit_interval = 5ms\n",
				VERDICT_OPEN_WRITE);
			verdict_report_item one = { "127.0.0.5", 0.001, NULL };
			int bad = 0;

			for (int i = 0; i < 100; i++) {
				/* the queue and whole batches, interleaved */
				if (verdict_report(x, "127.0.0.5", 0.001,
						   "q") != VERDICT_OK)
					bad = 1;
				if (i % 10 == 0 &&
				    verdict_report_many(x, 1, &one, 1, NULL,
							NULL) != VERDICT_OK)
					bad = 1;
			}
			verdict_free(x);	/* flushes */
			_exit(bad);
		}
		ck_assert_int_gt(pid[p], 0);
	}
	for (int p = 0; p < 4; p++) {
		ck_assert_int_eq(waitpid(pid[p], &st, 0), pid[p]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	c = tu_open_ctx(dir, "learned_tables = learned\n", 0);
	ck_assert_int_eq(verdict_learned_dump(c, "learned", dump_cb, &a),
			 VERDICT_OK);
	ck_assert_int_eq(a.n, 1);
	ck_assert_int_eq(a.reports, 4 * 110);
	verdict_free(c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("learn");
	TCase *tc = tcase_create("learn");

	tcase_add_test(tc, model_decay_and_threshold);
	tcase_add_test(tc, model_escalation);
	tcase_add_test(tc, model_negative);
	tcase_add_test(tc, api_block_decay_forgive);
	tcase_add_test(tc, api_order_and_safety);
	tcase_add_test(tc, api_bad_input_nothing_written);
	tcase_add_test(tc, api_bound_and_flood);
	tcase_add_test(tc, api_concurrent_processes);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
