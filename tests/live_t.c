/*
 * live_t.c - verdict_live (a context that follows its configuration
 * file) and the verdict_cidr_* values, through the public API.
 *
 * The holder re-stat()s its file on the coarse clock, which the test
 * drives (vd_clock_set_coarse): a reload is asserted after moving time by
 * a second, never after sleeping.  The callout's harness covers the same
 * holder from threads and a dlopen()ed image (tests/callout).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "testutil.h"
#include "verdict.h"

/* ------------------------------------------------------------ helpers */

/* setup - a database with block tables drop (192.0.2.0/24) and other
 * (198.51.100.0/24); returns the config path (malloc'd). */
static char *
setup(const char *dir, const char *block)
{
	char text[512], *conf;
	verdict_ctx *ctx = verdict_new();

	snprintf(text, sizeof(text), "database = %s/db\n", dir);
	conf = tu_write(dir, "verdict.conf", text);
	ck_assert_int_eq(verdict_load_config(ctx, conf), VERDICT_OK);
	ck_assert_int_eq(verdict_open(ctx, VERDICT_OPEN_WRITE |
				      VERDICT_OPEN_CREATE | VERDICT_OPEN_NODNS |
				      VERDICT_OPEN_NOTABLECHECK), VERDICT_OK);
	ck_assert_int_eq(verdict_table_create(ctx, "drop", VERDICT_TABLE_BLOCK),
			 VERDICT_OK);
	ck_assert_int_eq(verdict_table_create(ctx, "other",
					      VERDICT_TABLE_BLOCK), VERDICT_OK);
	ck_assert_int_eq(verdict_add(ctx, "drop", "192.0.2.0/24", NULL, 0,
				     NULL, 0), VERDICT_OK);
	ck_assert_int_eq(verdict_add(ctx, "other", "198.51.100.0/24", NULL, 0,
				     NULL, 0), VERDICT_OK);
	verdict_free(ctx);
	free(conf);
	snprintf(text, sizeof(text), "database = %s/db\nblock_tables = %s\n",
		 dir, block);
	return tu_write(dir, "verdict.conf", text);
}

/* kind - the verdict kind of ip under profile 1 of the holder's context */
static int
kind(verdict_live *lv, const char *ip)
{
	verdict_result *res = verdict_result_new();
	verdict_ctx *vc;
	unsigned hold;
	int k;

	ck_assert_int_eq(verdict_live_get(lv, &vc, &hold), VERDICT_OK);
	ck_assert_int_eq(verdict_check(vc, 1, ip, res), VERDICT_OK);
	k = verdict_result_kind(res);
	verdict_live_put(lv, hold);
	verdict_result_free(res);
	return k;
}

static void
rewrite(const char *dir, const char *text)
{
	free(tu_write(dir, "verdict.conf", text));
}

/* -------------------------------------------------------------- cidr */

static const struct {
	const char *in, *out;
	int rc;
} cidrs[] = {
	{ "192.0.2.0/24", "192.0.2.0/24", VERDICT_OK },
	{ "192.0.2.1", "192.0.2.1/32", VERDICT_OK },
	{ "192.0.2.1/24", "192.0.2.0/24", VERDICT_ERANGE },
	{ "2001:DB8:0:0::/32", "2001:db8::/32", VERDICT_OK },
	{ "::ffff:192.0.2.0/120", "192.0.2.0/24", VERDICT_OK },
	{ "192.0.2.0/33", NULL, VERDICT_EINVAL },
	{ "192.0.2", NULL, VERDICT_EINVAL },
	{ "", NULL, VERDICT_EINVAL },
};

START_TEST(cidr_parse_format)
{
	verdict_cidr c;
	char buf[VERDICT_CIDR_TEXT_MAX];
	int rc = verdict_cidr_parse(cidrs[_i].in, strlen(cidrs[_i].in), &c);

	ck_assert_msg(rc == cidrs[_i].rc, "%s: rc %d, want %d", cidrs[_i].in,
		      rc, cidrs[_i].rc);
	if (cidrs[_i].out == NULL)
		return;
	ck_assert_uint_eq(verdict_cidr_format(&c, buf, sizeof(buf)),
			  strlen(cidrs[_i].out));
	ck_assert_str_eq(buf, cidrs[_i].out);
}
END_TEST

START_TEST(cidr_order)
{
	/* ascending, as a plain feed lists them */
	static const char *const v[] = {
		"0.0.0.0/8", "10.0.0.0/8", "10.0.0.0/16", "10.0.1.0/24",
		"192.0.2.0/24", "2001:db8::/32", "2001:db8::/48",
	};
	verdict_cidr a, b;
	char small[8];

	for (size_t i = 0; i + 1 < sizeof(v) / sizeof(*v); i++) {
		ck_assert_int_eq(verdict_cidr_parse(v[i], strlen(v[i]), &a), 0);
		ck_assert_int_eq(verdict_cidr_parse(v[i + 1], strlen(v[i + 1]),
						    &b), 0);
		ck_assert_msg(verdict_cidr_cmp(&a, &b) < 0, "%s < %s", v[i],
			      v[i + 1]);
		ck_assert_msg(verdict_cidr_cmp(&b, &a) > 0, "%s > %s", v[i + 1],
			      v[i]);
		ck_assert_int_eq(verdict_cidr_cmp(&a, &a), 0);
	}
	/* a short buffer: cut, NUL-terminated, the full length returned */
	ck_assert_uint_eq(verdict_cidr_format(&b, small, sizeof(small)),
			  strlen("2001:db8::/48"));
	ck_assert_str_eq(small, "2001:db");
}
END_TEST

/* -------------------------------------------------------------- live */

START_TEST(live_reload)
{
	const char *dir = tu_tmpdir();
	char *conf = setup(dir, "drop"), text[512];
	verdict_ctx *held, *vc;
	unsigned hold, hold2;
	verdict_live *lv;

	tu_log_reset();
	vd_clock_set_coarse(tu_fake_now);
	lv = verdict_live_new(conf, VERDICT_OPEN_NODNS, tu_log_cb, NULL);
	ck_assert_ptr_nonnull(lv);
	ck_assert_int_eq(kind(lv, "192.0.2.1"), VERDICT_BLOCK);
	ck_assert_int_eq(tu_log_count(" loaded"), 1);

	/* changed, but not re-stat()ed within the second */
	snprintf(text, sizeof(text), "database = %s/db\nblock_tables = "
		 "other\n", dir);
	rewrite(dir, text);
	ck_assert_int_eq(kind(lv, "192.0.2.1"), VERDICT_BLOCK);

	/* a context held across the reload stays usable */
	ck_assert_int_eq(verdict_live_get(lv, &held, &hold), VERDICT_OK);
	tu_tick(2);
	ck_assert_int_eq(verdict_live_get(lv, &vc, &hold2), VERDICT_OK);
	ck_assert_ptr_ne(vc, held);
	verdict_live_put(lv, hold2);
	ck_assert_int_eq(tu_log_count("configuration reloaded"), 1);
	ck_assert_int_eq(kind(lv, "192.0.2.1"), VERDICT_NEUTRAL);
	ck_assert_int_eq(kind(lv, "198.51.100.7"), VERDICT_BLOCK);
	ck_assert(verdict_profile_exists(held, 1));
	verdict_live_put(lv, hold);

	/* broken: the running one is kept, logged once */
	rewrite(dir, "no_such_key = 1\n");
	tu_tick(2);
	ck_assert_int_eq(kind(lv, "198.51.100.7"), VERDICT_BLOCK);
	tu_tick(2);
	ck_assert_int_eq(kind(lv, "198.51.100.7"), VERDICT_BLOCK);
	ck_assert_int_eq(tu_log_count("keeping the running one"), 1);
	ck_assert_int_eq(tu_log_count("verdict.conf:1:"), 1);

	/* fixed again (the grace period of the first swap ended) */
	snprintf(text, sizeof(text), "database = %s/db\nblock_tables = "
		 "drop, other\n", dir);
	rewrite(dir, text);
	tu_tick(2);
	ck_assert_int_eq(kind(lv, "192.0.2.1"), VERDICT_BLOCK);
	ck_assert_int_eq(kind(lv, "198.51.100.7"), VERDICT_BLOCK);
	ck_assert_int_eq(tu_log_count("configuration reloaded"), 2);
	verdict_live_free(lv);
	vd_clock_set_coarse(NULL);
	free(conf);
}
END_TEST

START_TEST(live_broken_start)
{
	const char *dir = tu_tmpdir();
	char *conf = setup(dir, "drop"), text[512], why[600];
	verdict_ctx *vc;
	unsigned hold;
	verdict_live *lv;

	tu_log_reset();
	vd_clock_set_coarse(tu_fake_now);
	ck_assert_ptr_null(verdict_live_new("", 0, NULL, NULL));
	rewrite(dir, "no_such_key = 1\n");
	lv = verdict_live_new(conf, VERDICT_OPEN_NODNS, tu_log_cb, NULL);
	ck_assert_ptr_nonnull(lv);
	ck_assert_int_eq(verdict_live_why(lv, why, sizeof(why)), VERDICT_OK);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(verdict_live_get(lv, &vc, &hold), VERDICT_ECONFIG);
	ck_assert_ptr_null(vc);
	ck_assert_int_eq(verdict_live_get(lv, &vc, &hold), VERDICT_ECONFIG);
	ck_assert_int_eq(verdict_live_why(lv, why, sizeof(why)), VERDICT_OK);
	ck_assert_msg(strstr(why, "verdict.conf:1:") != NULL, "why: %s", why);
	ck_assert_int_eq(verdict_live_why(lv, why, 8), VERDICT_ERANGE);
	ck_assert_str_eq(tu_log_text(), "");	/* the caller says it, at its rate */

	snprintf(text, sizeof(text), "database = %s/db\nblock_tables = "
		 "drop\n", dir);
	rewrite(dir, text);
	tu_tick(2);
	ck_assert_int_eq(kind(lv, "192.0.2.1"), VERDICT_BLOCK);
	ck_assert_int_eq(tu_log_count(" loaded"), 1);
	verdict_live_free(lv);
	vd_clock_set_coarse(NULL);
	free(conf);
}
END_TEST

START_TEST(live_fork)
{
	const char *dir = tu_tmpdir();
	char *conf = setup(dir, "drop");
	verdict_ctx *parent, *child;
	unsigned hold;
	verdict_live *lv;
	pid_t pid;
	int st;

	lv = verdict_live_new(conf, VERDICT_OPEN_NODNS, NULL, NULL);
	ck_assert_int_eq(verdict_live_get(lv, &parent, &hold), VERDICT_OK);
	verdict_live_put(lv, hold);
	if ((pid = fork()) == 0) {
		/* the child builds its own; the parent's is left alone */
		int ok = verdict_live_get(lv, &child, &hold) == VERDICT_OK &&
			 child != parent;

		if (ok)
			verdict_live_put(lv, hold);
		_exit(ok && kind(lv, "192.0.2.1") == VERDICT_BLOCK ? 0 : 1);
	}
	ck_assert_int_ge(pid, 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(kind(lv, "192.0.2.1"), VERDICT_BLOCK);
	verdict_live_free(lv);
	free(conf);
}
END_TEST

START_TEST(default_config)
{
	const char *p = verdict_default_config();

	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, VD_DEFAULT_CONFIG);
	ck_assert(strlen(p) > strlen("/verdict/verdict.conf"));
	ck_assert_str_eq(p + strlen(p) - strlen("/verdict/verdict.conf"),
			 "/verdict/verdict.conf");
}
END_TEST

static Suite *
live_suite(void)
{
	Suite *s = suite_create("live");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, cidr_parse_format, 0,
			    sizeof(cidrs) / sizeof(*cidrs));
	tcase_add_test(tc, cidr_order);
	tcase_add_test(tc, live_reload);
	tcase_add_test(tc, live_broken_start);
	tcase_add_test(tc, live_fork);
	tcase_add_test(tc, default_config);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(live_suite());
}
