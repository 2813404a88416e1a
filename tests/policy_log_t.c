/*
 * policy_log_t.c - the verdict log line: its key=value form, which
 * verdicts log_verdicts lets through, and the log_rate_limit window
 * driven by the injected coarse clock (no sleeping).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "clock.h"
#include "testutil.h"
#include "verdict.h"

#define CAP_LINES 64

typedef struct logcap {
	int verdicts, notices;
	char line[CAP_LINES][512];	/* verdict lines, in order */
	char notice[256];
} logcap;

static void
cap_log(int level, const char *line, void *arg)
{
	logcap *c = arg;

	if (strncmp(line, "verdict: ip=", 12) == 0) {
		ck_assert_int_eq(level, LOG_INFO);
		if (c->verdicts < CAP_LINES)
			snprintf(c->line[c->verdicts], sizeof(c->line[0]),
				 "%s", line);
		c->verdicts++;
	} else if (strstr(line, "suppressed") != NULL) {
		ck_assert_int_eq(level, LOG_NOTICE);
		c->notices++;
		snprintf(c->notice, sizeof(c->notice), "%s", line);
	}
}

/* the test's coarse clock: moved by the test, read by the library */
static int64_t test_now_ns;

static int64_t
test_clock(void)
{
	return test_now_ns;
}

/* open_logged - a context on conf_text whose log lines go to cap */
static verdict_ctx *
open_logged(const char *conf_text, logcap *cap)
{
	const char *dir = tu_tmpdir();
	char *conf = tu_write(dir, "verdict.conf", conf_text);
	verdict_ctx *ctx = verdict_new();

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(verdict_set_log(ctx, cap_log, cap), VERDICT_OK);
	ck_assert_msg(verdict_load_config(ctx, conf) == VERDICT_OK, "%s",
		      verdict_errdetail());
	ck_assert_msg(verdict_open(ctx, 0) == VERDICT_OK, "%s",
		      verdict_errdetail());
	free(conf);
	return ctx;
}

/* 50 verdicts within one second log 5 lines with log_rate_limit = 5; the
 * first verdict of the next second logs, after one line saying how many
 * were left out */
START_TEST(log_rate_limit)
{
	static logcap cap;
	verdict_result *r = verdict_result_new();
	verdict_ctx *ctx;
	int i;

	memset(&cap, 0, sizeof(cap));
	test_now_ns = 1000 * VD_NS_PER_S + VD_NS_PER_S / 2;
	vd_clock_set_coarse(test_clock);
	ctx = open_logged("log_verdicts = all\nlog_rate_limit = 5\n", &cap);
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(verdict_check(ctx, 1, "192.0.2.1", r),
				 VERDICT_OK);
		test_now_ns += VD_NS_PER_S / 200;	/* still this second */
	}
	ck_assert_int_eq(test_now_ns / VD_NS_PER_S, 1000);
	ck_assert_int_eq(cap.verdicts, 5);
	ck_assert_int_eq(cap.notices, 0);

	test_now_ns = 1001 * VD_NS_PER_S;	/* the next second begins */
	ck_assert_int_eq(verdict_check(ctx, 1, "192.0.2.1", r), VERDICT_OK);
	ck_assert_int_eq(cap.verdicts, 6);
	ck_assert_int_eq(cap.notices, 1);
	ck_assert_msg(strstr(cap.notice, "verdict: 45 verdict lines "
			     "suppressed (log_rate_limit 5 per second)"),
		      "notice: %s", cap.notice);

	/* the new second's budget is the limit again, the notice once */
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(verdict_check(ctx, 1, "192.0.2.1", r),
				 VERDICT_OK);
	ck_assert_int_eq(cap.verdicts, 10);
	ck_assert_int_eq(cap.notices, 1);

	verdict_result_free(r);
	verdict_free(ctx);
	vd_clock_set_coarse(NULL);
}
END_TEST

/* log_rate_limit = 0: no limit, no notice */
START_TEST(log_unlimited)
{
	static logcap cap;
	verdict_result *r = verdict_result_new();
	verdict_ctx *ctx;

	memset(&cap, 0, sizeof(cap));
	test_now_ns = 7 * VD_NS_PER_S;
	vd_clock_set_coarse(test_clock);
	ctx = open_logged("log_verdicts = all\nlog_rate_limit = 0\n", &cap);
	for (int i = 0; i < 300; i++)
		ck_assert_int_eq(verdict_check(ctx, 1, "192.0.2.1", r),
				 VERDICT_OK);
	ck_assert_int_eq(cap.verdicts, 300);
	ck_assert_int_eq(cap.notices, 0);
	verdict_result_free(r);
	verdict_free(ctx);
	vd_clock_set_coarse(NULL);
}
END_TEST

/* the line's fields, in order; elapsed_us is cut out, it varies */
static const struct {
	const char *label, *conf, *ip;
	int logged;
	const char *head, *tail;
} lines[] = {
	{ "trusted allow", "log_verdicts = all\ntrusted_networks = "
	  "192.0.2.0/24\n", "192.0.2.7", 1,
	  "verdict: ip=192.0.2.7 verdict=allow score=0 "
	  "source=trusted_networks cidr=192.0.2.0/24 elapsed_us=",
	  " profile=1 reason=-" },
	{ "neutral v6", "log_verdicts = all\n", "2001:db8::1", 1,
	  "verdict: ip=2001:db8::1 verdict=neutral score=0 source=- cidr=- "
	  "elapsed_us=", " profile=1 reason=-" },
	{ "block only: neutral not logged", "log_verdicts = block\n",
	  "192.0.2.7", 0, NULL, NULL },
	{ "none", "log_verdicts = none\ntrusted_networks = 192.0.2.0/24\n",
	  "192.0.2.7", 0, NULL, NULL },
};

START_TEST(log_line_form)
{
	static logcap cap;
	verdict_result *r = verdict_result_new();
	verdict_ctx *ctx;
	const char *l, *t;

	memset(&cap, 0, sizeof(cap));
	ctx = open_logged(lines[_i].conf, &cap);
	ck_assert_int_eq(verdict_check(ctx, 1, lines[_i].ip, r), VERDICT_OK);
	ck_assert_msg(cap.verdicts == lines[_i].logged, "%s: %d lines",
		      lines[_i].label, cap.verdicts);
	if (lines[_i].logged) {
		l = cap.line[0];
		ck_assert_msg(strncmp(l, lines[_i].head,
				      strlen(lines[_i].head)) == 0,
			      "%s: %s", lines[_i].label, l);
		t = l + strlen(lines[_i].head);
		t += strspn(t, "0123456789");
		ck_assert_msg(t > l + strlen(lines[_i].head) &&
			      strcmp(t, lines[_i].tail) == 0, "%s: %s",
			      lines[_i].label, l);
	}
	verdict_result_free(r);
	verdict_free(ctx);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("policy_log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, log_rate_limit);
	tcase_add_test(tc, log_unlimited);
	tcase_add_loop_test(tc, log_line_form, 0,
			    (int)(sizeof(lines) / sizeof(lines[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
